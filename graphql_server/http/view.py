"""The HTTP endpoint of the GraphQL API: GraphQL over HTTP, one small step after another.

``GraphQLHttpView.serve`` reads as the pipeline it runs: check the method, negotiate the
media type, read the body, authenticate, read the parameters, resolve an automatic persisted
query, prepare the operation (``graphql_server.documents.prepare_operation``, as the websocket
does: the document cached, else parsed and validated, the operation selected, its cost
checked; plus HTTP's own refusals), execute (through ``graphql_server.runner``, as the websocket
does), encode. Each step fills in the ``Exchange`` or raises ``RequestFailed``, which
``dispatch`` turns into the response the GraphQL-over-HTTP specification asks for.

graphene-django's ``GraphQLView`` is not used to serve operations: it replaces graphql-core's
standard validation rules with its own list, answers validation failures with 400 whatever
the client accepts, and has no step where a cache could slot in. The schema, graphene's
middleware setting and the context (the request, with ``.user``) are the same as with it;
its GraphiQL page is still served, in DEBUG only.
"""

import hashlib
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from django.utils.translation import gettext, gettext_noop
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from graphene_django.views import GraphQLView
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
)

from core.i18n import current_language
from core.middleware import answers_disallowed_hosts, checks_its_own_text
from core.outages import RETRY_AFTER_SECONDS

from .. import response_cache, runner
from ..authenticator import TokenRefused, authenticate_header
from ..documents import DocumentError, DocumentLimits, prepare_operation
from ..errors import ApiErrorCode
from . import multipart
from .persisted_queries import ResolvedQuery, persist, resolve_query
from .protocol import (
    APPLICATION_JSON,
    FORM_CONTENT_TYPES,
    GRAPHQL_CONTENT_TYPE,
    GRAPHQL_RESPONSE_JSON,
    JSON_CONTENT_TYPE,
    TEXT_HTML,
    GraphQLParams,
    HttpErrorCode,
    RequestFailed,
    negotiate,
    params_from_get,
    params_from_graphql_body,
    params_from_json,
    request_id,
)

# Served media types, in the order a wildcard (`*/*`, no Accept) picks them: legacy clients
# that send no Accept, or */*, expect application/json, as the spec allows.
RESPONSE_TYPES = (APPLICATION_JSON, GRAPHQL_RESPONSE_JSON)
# Whatever is in the response besides the media type: the language, and who asked.
VARY = ("Accept", "Accept-Language", "Authorization")


@dataclass
class Exchange:
    """One request on its way through the view's steps; each step fills in its part."""

    request: HttpRequest
    request_id: str
    limits: DocumentLimits
    media_type: str = APPLICATION_JSON
    body: bytes = b""
    params: GraphQLParams | None = None
    query: ResolvedQuery | None = None
    document: DocumentNode | None = None
    operation: OperationDefinitionNode | None = None
    headers: dict[str, str] = field(default_factory=dict)
    cached: response_cache.Lookup | None = None
    # The files of a multipart request (``multipart``), placed in the variables by read_params.
    uploads: multipart.Uploads | None = None

    @property
    def is_get(self) -> bool:
        return self.request.method == "GET"

    @property
    def anonymous(self) -> bool:
        return not self.request.user.is_authenticated


class GraphiQLPage(GraphQLView):
    """graphene-django's GraphiQL page, shown in DEBUG to a browser asking for HTML; the
    page sends its operations back to ``GraphQLHttpView``. Its scripts and styles are the
    app's own static files (``graphql_server/static/graphql_server/graphiql``), not a CDN's."""

    graphiql = True
    graphiql_template = "graphql_server/graphiql.html"

    @classmethod
    def can_display_graphiql(cls, request, data):
        return True


@method_decorator(csrf_exempt, name="dispatch")
class GraphQLHttpView(View):
    """GraphQL over HTTP for ``schema`` (a graphene schema): see the module's docstring.

    The API authenticates by bearer token rather than cookie, so Django's CSRF token does not
    apply; accepting only JSON (and application/graphql) bodies, and never running a mutation
    for a GET, keeps a hostile page from acting with a signed-in admin's session cookie. The one
    form body taken, a multipart upload (``multipart``), must carry an Authorization header,
    which no cross-site form can send.
    """

    schema = None

    @classmethod
    def as_view(cls, **initkwargs):
        """The view, routed as ``GraphQLHttpView.as_view(schema=schema)``; it answers text it
        cannot take (a NUL in the query string), and a host it does not serve, with a coded
        GraphQL error of its own."""
        view = checks_its_own_text(super().as_view(**initkwargs))
        return answers_disallowed_hosts(
            view, lambda request, reason: cls(**initkwargs).refuse_host(request, reason)
        )

    def refuse_host(self, request, reason: str) -> HttpResponse:
        """The answer to a request whose Host this server does not serve: ``DISALLOWED_HOST``,
        400, in the media type asked for (application/json when none is served). With DEBUG
        the error says which host to add (Django's ``reason``), as Django's page would; without,
        nothing of the configuration."""
        exchange = Exchange(request, request_id(request), DocumentLimits.from_settings())
        exchange.media_type = (
            negotiate(request.headers.get("Accept"), RESPONSE_TYPES) or APPLICATION_JSON
        )
        message = gettext_noop(
            "This server does not serve the host named in the request's Host header."
        )
        if settings.DEBUG:
            message = f'{message} {reason} (README, "Signing in locally")'
        drain_unread(request)
        return self.failure_response(
            exchange, RequestFailed.of(message, HttpErrorCode.DISALLOWED_HOST, 400)
        )

    def dispatch(self, request, *args, **kwargs):
        exchange = Exchange(request, request_id(request), DocumentLimits.from_settings())
        try:
            return self.serve(exchange)
        except RequestFailed as failure:
            drain_unread(exchange.request)
            return self.failure_response(exchange, failure)
        except Exception as error:
            # Decided and logged as for an operation (an outage, or a bug), for the whole
            # request: the token check, or the view itself, failed before there was data.
            drain_unread(exchange.request)
            failed = runner.unexpected_error(error, exchange.request_id)
            response = self.failure_response(exchange, unexpected_failure(failed))
            if runner.is_unavailable(failed):
                # Logged once, at WARNING: Django would log every 5xx again at ERROR
                # ("Service Unavailable: /graphql/"), which error trackers take for a bug,
                # once a request for as long as an outage lasts.
                response._has_been_logged = True
            return response

    def serve(self, exchange: Exchange) -> HttpResponse:
        self.check_method(exchange)
        self.negotiate(exchange)
        if exchange.media_type == TEXT_HTML:
            return GraphiQLPage.as_view(schema=self.schema)(exchange.request)
        self.read_body(exchange)
        self.authenticate(exchange)
        self.read_params(exchange)
        self.resolve_persisted_query(exchange)
        self.prepare_operation(exchange)
        kept = self.look_up_response(exchange)
        if kept is not None:
            return kept
        result = self.execute(exchange)
        body = self.encode_result(result)
        self.keep_response(exchange, result, body)
        return self.answer(exchange, body, shareable=not result.errors)

    # -- The steps --------------------------------------------------------------------------
    def check_method(self, exchange: Exchange) -> None:
        if exchange.request.method not in ("GET", "POST"):
            raise RequestFailed.of(
                gettext_noop("Send operations with POST (or queries with GET)."),
                HttpErrorCode.METHOD_NOT_ALLOWED,
                405,
                headers={"Allow": "GET, POST"},
            )

    def negotiate(self, exchange: Exchange) -> None:
        """The response's media type, from Accept (spec §5.1); 406 when none is served."""
        offers = RESPONSE_TYPES
        if settings.DEBUG and exchange.is_get:
            offers = (*RESPONSE_TYPES, TEXT_HTML)
        media_type = negotiate(exchange.request.headers.get("Accept"), offers)
        if media_type is None:
            raise RequestFailed.of(
                gettext_noop("Accept %(graphql)s or %(json)s; nothing else is served."),
                HttpErrorCode.NOT_ACCEPTABLE,
                406,
                params={"graphql": GRAPHQL_RESPONSE_JSON, "json": APPLICATION_JSON},
            )
        exchange.media_type = media_type

    def read_body(self, exchange: Exchange) -> None:
        """The body of a POST (or the query string of a GET), refused above the size limit
        before any of it is parsed, and only in the media types served."""
        request, limit = exchange.request, settings.GRAPHQL_MAX_BODY_BYTES
        if exchange.is_get:
            if limit and len(request.META.get("QUERY_STRING", "")) > limit:
                raise RequestFailed.of(
                    gettext_noop(
                        "The query string is over %(limit)s bytes; send the operation with POST."
                    ),
                    HttpErrorCode.URI_TOO_LONG,
                    414,
                    params={"limit": limit},
                )
            return
        content_type = request.content_type.lower()
        charset = (request.content_params.get("charset") or "utf-8").lower()
        if not content_type:
            raise unsupported_media_type(gettext_noop("Send a Content-Type: application/json."))
        if (
            isinstance(request, WSGIRequest)
            and not request.META.get("CONTENT_LENGTH")
            and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        ):
            # A WSGI request's body is read up to its Content-Length: a chunked one would be
            # read as empty. (The proxy in front sends every body with its length; the ASGI
            # server reads chunked bodies whole.)
            raise RequestFailed.of(
                gettext_noop("Send the body with a Content-Length, not in chunks."),
                HttpErrorCode.LENGTH_REQUIRED,
                411,
            )
        if content_type == multipart.MULTIPART_CONTENT_TYPE:
            self.read_multipart(exchange)
            return
        if content_type in FORM_CONTENT_TYPES:
            raise unsupported_media_type(gettext_noop("Send operations as application/json."))
        if content_type not in (JSON_CONTENT_TYPE, GRAPHQL_CONTENT_TYPE):
            raise unsupported_media_type(
                gettext_noop("%(type)s is not served; send application/json."), type=content_type
            )
        if charset not in ("utf-8", "utf8"):
            raise unsupported_media_type(
                gettext_noop("Bodies are read as UTF-8, not %(charset)s."), charset=charset
            )
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if limit and declared > limit:
            raise payload_too_large(limit)
        exchange.body = request.read(limit + 1) if limit else request.read()
        if limit and len(exchange.body) > limit:
            raise payload_too_large(limit)

    def read_multipart(self, exchange: Exchange) -> None:
        """A file upload (``multipart``): only signed in, since a cross-site form can send this
        body but not an Authorization header; at most GRAPHQL_MAX_UPLOAD_BYTES of files beside
        GRAPHQL_MAX_BODY_BYTES of parameters, refused from its Content-Length before a byte of
        it is read."""
        request = exchange.request
        if not request.headers.get("Authorization"):
            raise RequestFailed.of(
                gettext_noop("Files are uploaded signed in: send 'Authorization: Bearer <token>'."),
                ApiErrorCode.UNAUTHENTICATED,
                401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        body_limit, upload_limit = (
            settings.GRAPHQL_MAX_BODY_BYTES,
            settings.GRAPHQL_MAX_UPLOAD_BYTES,
        )
        limit = body_limit + upload_limit if body_limit and upload_limit else 0
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if limit and declared > limit:
            raise payload_too_large(limit)
        exchange.body, exchange.uploads = multipart.read(request, body_limit)

    def authenticate(self, exchange: Exchange) -> None:
        """Only the bearer token identifies the caller; the admin's session cookie does not."""
        request = exchange.request
        try:
            request.user = authenticate_header(request.headers.get("Authorization"))
        except TokenRefused as error:
            raise RequestFailed.of(
                error.message,
                ApiErrorCode.UNAUTHENTICATED,
                401,
                extensions={"reason": error.code},
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            ) from error

    def read_params(self, exchange: Exchange) -> None:
        request = exchange.request
        query_string = request.META.get("QUERY_STRING", "")
        if exchange.is_get:
            exchange.params = params_from_get(request.GET, query_string)
        elif request.content_type.lower() == GRAPHQL_CONTENT_TYPE:
            exchange.params = params_from_graphql_body(exchange.body, request.GET, query_string)
        else:
            exchange.params = params_from_json(exchange.body)
        if exchange.uploads is not None:
            exchange.params = multipart.place_files(exchange.params, exchange.uploads)

    def resolve_persisted_query(self, exchange: Exchange) -> None:
        exchange.query = resolve_query(exchange.params.query, exchange.params.extensions)

    def look_up_response(self, exchange: Exchange) -> HttpResponse | None:
        """The kept answer of an anonymous public read (graphql_server/response_cache.py), once
        the document has passed its checks (a cached document is not parsed or validated
        again) and before anything runs."""
        params = exchange.params
        exchange.cached = response_cache.lookup(
            self.graphql_schema,
            exchange.document,
            exchange.query.hash,
            params.variables,
            params.operation_name,
            current_language(),
            exchange.request.user,
        )
        if exchange.cached.response is None:
            return None
        return self.answer(exchange, exchange.cached.response, shareable=True)

    def keep_response(self, exchange: Exchange, result: ExecutionResult, body: bytes) -> None:
        if exchange.cached is not None and exchange.cached.storable and not result.errors:
            response_cache.store(exchange.cached, body)

    def prepare_operation(self, exchange: Exchange) -> None:
        """The document and the operation to run, checked as over the websocket (loaded,
        selected, costed: ``prepare_operation``), and refused as HTTP's own rules say
        (``refuse_operation``). A registered persisted query is stored once all that passed."""
        params = exchange.params
        try:
            prepared = prepare_operation(
                self.graphql_schema,
                exchange.query.text,
                params.operation_name,
                params.variables,
                query_hash=exchange.query.hash,
                limits=exchange.limits,
                refuse=lambda operation: self.refuse_operation(exchange, operation),
            )
        except DocumentError as error:
            raise request_error(error.errors) from None
        exchange.document, exchange.operation = prepared.document, prepared.operation
        persist(exchange.query)

    def refuse_operation(self, exchange: Exchange, operation: OperationDefinitionNode) -> None:
        """HTTP's own refusals of the operation selected, before its cost is checked: a
        mutation sent by GET (405, spec §4.3), and a subscription (served over the
        websocket)."""
        if operation.operation is OperationType.MUTATION and exchange.is_get:
            raise RequestFailed.of(
                gettext_noop("Mutations are sent with POST."),
                HttpErrorCode.METHOD_NOT_ALLOWED,
                405,
                headers={"Allow": "POST"},
            )
        if operation.operation is OperationType.SUBSCRIPTION:
            raise request_error(
                [
                    GraphQLError(
                        gettext(
                            "Subscriptions are served over the websocket (graphql-transport-ws) "
                            "at the same URL."
                        ),
                        extensions={"code": ApiErrorCode.INVALID.value},
                    )
                ]
            )

    def execute(self, exchange: Exchange) -> ExecutionResult:
        """The operation's result, run as every operation is (graphql_server/runner.py: its
        variables, the executor, masking and logging of unexpected errors, metrics), with the
        request as ``info.context``. Variables that do not fit the operation are a request
        error: nothing runs."""
        params = exchange.params
        try:
            run = runner.prepare(
                self.graphql_schema,
                exchange.document,
                exchange.operation,
                params.variables,
                operation_name=params.operation_name,
                request_id=exchange.request_id,
                limits=exchange.limits,
            )
        except runner.OperationRefused as refused:
            raise request_error(refused.errors) from None
        return run.execute(exchange.request)

    def encode_result(self, result: ExecutionResult) -> bytes:
        """The result as the JSON body of the response."""
        payload = {}
        if result.errors:
            payload["errors"] = [error.formatted for error in result.errors]
        payload["data"] = result.data
        if result.extensions:
            payload["extensions"] = result.extensions
        return encode_json(payload)

    def answer(self, exchange: Exchange, body: bytes, shareable: bool) -> HttpResponse:
        """``body``, 200 (it has ``data``), and how long others may keep it: a query's answer
        without errors (``shareable``) asked by nobody in particular is public, anything else
        private.

        By GET or by POST alike, as Apollo Server marks them: HTTP caches reuse a POST's
        answer for no other POST (RFC 9111 §2), so only a cache told to key POSTs by their
        body keeps it, as the proxy in front does (deploy/nginx/twinning.conf.template). An
        ETag, and 304 to If-None-Match, only for GET: a conditional POST is not a revalidation.
        """
        public = (
            shareable
            and exchange.anonymous
            and exchange.operation.operation is OperationType.QUERY
            and settings.GRAPHQL_GET_MAX_AGE_SECONDS > 0
        )
        if not public:
            return self.respond(exchange, body, 200)
        exchange.headers["Cache-Control"] = (
            f"public, max-age={settings.GRAPHQL_GET_MAX_AGE_SECONDS}"
        )
        if not exchange.is_get:
            return self.respond(exchange, body, 200)
        etag = '"{}"'.format(
            hashlib.sha256(exchange.media_type.encode() + b"\n" + body).hexdigest()[:32]
        )
        exchange.headers["ETag"] = etag
        if etag_matches(exchange.request.headers.get("If-None-Match"), etag):
            response = HttpResponseNotModified()
            for name, value in exchange.headers.items():
                response[name] = value
            patch_vary_headers(response, VARY)
            return response
        return self.respond(exchange, body, 200)

    # -- Responses --------------------------------------------------------------------------
    def failure_response(self, exchange: Exchange, failure: RequestFailed) -> HttpResponse:
        graphql_response = exchange.media_type == GRAPHQL_RESPONSE_JSON
        status = failure.status if graphql_response else failure.json_status
        exchange.headers.pop("Cache-Control", None)
        exchange.headers.pop("ETag", None)
        exchange.headers.update(failure.headers)
        body = encode_json({"errors": [error.formatted for error in failure.errors]})
        return self.respond(exchange, body, status)

    def respond(self, exchange: Exchange, body: bytes, status: int) -> HttpResponse:
        media_type = exchange.media_type if exchange.media_type != TEXT_HTML else APPLICATION_JSON
        response = HttpResponse(body, status=status, content_type=f"{media_type}; charset=utf-8")
        response["Cache-Control"] = "private, no-store"
        for name, value in exchange.headers.items():
            response[name] = value
        patch_vary_headers(response, VARY)
        return response

    @property
    def graphql_schema(self):
        return self.schema.graphql_schema


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
def drain_unread(request, chunk: int = 1 << 16) -> None:
    """Read what is left of a refused request's body, and drop it, when it is at most twice
    what a request of its kind may send (an upload: the parameters and the files; anything
    else: the parameters): a server that answers before it has read what it was sent closes
    the connection under the rest, and the proxy, still sending it, answers 502 instead of the
    refusal. A larger body is left: the connection is closed under it."""
    if request.method != "POST":
        return
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    limit = settings.GRAPHQL_MAX_BODY_BYTES
    if request.content_type.lower() == multipart.MULTIPART_CONTENT_TYPE:
        limit = limit and limit + settings.GRAPHQL_MAX_UPLOAD_BYTES
    if declared <= 0 or (limit and declared > 2 * limit):
        return
    try:
        while request.read(chunk):
            pass
    except Exception:  # a body that cannot be read (a broken connection) is left as it is
        return


def encode_json(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def request_error(errors: list[GraphQLError]) -> RequestFailed:
    """A GraphQL request error (parsing, validation, limits, operation, variables): 400
    under application/graphql-response+json, 200 under application/json (spec §5.4)."""
    return RequestFailed(errors, 400, json_status=200)


def unsupported_media_type(message: str, **params) -> RequestFailed:
    return RequestFailed.of(message, HttpErrorCode.UNSUPPORTED_MEDIA_TYPE, 415, params=params)


def payload_too_large(limit: int) -> RequestFailed:
    return RequestFailed.of(
        gettext_noop("The body is over %(limit)s bytes."),
        HttpErrorCode.PAYLOAD_TOO_LARGE,
        413,
        params={"limit": limit},
    )


def unexpected_failure(error: GraphQLError) -> RequestFailed:
    """A request that failed unexpectedly before it had data, ``error`` standing for the
    cause (``runner.unexpected_error``), in either media type: an outage is 503 with
    Retry-After, which the client may send again as it is once that has passed; a bug is
    500."""
    if runner.is_unavailable(error):
        return RequestFailed([error], 503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return RequestFailed([error], 500)


def etag_matches(header: str | None, etag: str) -> bool:
    """Whether If-None-Match names ``etag`` (weak comparison, RFC 9110 §13.1.2)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))
