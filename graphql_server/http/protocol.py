"""GraphQL over HTTP, the transport's part: media types, request parameters, HTTP errors.

Follows the GraphQL-over-HTTP specification (https://graphql.github.io/graphql-over-http/draft/):
what a well-formed request is, how the response's media type is chosen, and which status
each failure gets under each media type. The view (``graphql_server.http.view``) runs the steps.
"""

import json
import re
import uuid
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote_to_bytes

from django.utils.translation import gettext_noop
from graphql import GraphQLError

from core.text import unencodable_path

from ..errors import translated

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"
TEXT_HTML = "text/html"

# Bodies a browser form can send across sites without a CORS preflight.
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")
# The request bodies served: JSON (the spec's), and a bare document (params in the URL).
JSON_CONTENT_TYPE = "application/json"
GRAPHQL_CONTENT_TYPE = "application/graphql"


class HttpErrorCode(StrEnum):
    """``extensions.code`` of requests refused before any GraphQL document is looked at (an
    unexpected failure is the API's ``INTERNAL_SERVER_ERROR``, whichever the transport)."""

    BAD_REQUEST = "BAD_REQUEST"
    NOT_ACCEPTABLE = "NOT_ACCEPTABLE"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    LENGTH_REQUIRED = "LENGTH_REQUIRED"
    URI_TOO_LONG = "URI_TOO_LONG"
    # The Host header names no host this server serves (not in ALLOWED_HOSTS).
    DISALLOWED_HOST = "DISALLOWED_HOST"


class RequestFailed(Exception):
    """A request answered with errors and no ``data``.

    ``status`` is the status under application/graphql-response+json. ``json_status`` is the
    one under application/json, where the spec wants 200 for every well-formed request (a
    legacy client cannot tell a GraphQL error from a proxy's if the status is not 200);
    it defaults to ``status``, for requests that are not well-formed or not served at all.
    """

    def __init__(
        self,
        errors: list[GraphQLError],
        status: int = 400,
        json_status: int | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__("; ".join(error.message for error in errors))
        self.errors = errors
        self.status = status
        self.json_status = status if json_status is None else json_status
        self.headers = headers or {}

    @classmethod
    def of(cls, message: str, code: StrEnum | str, status: int = 400, **kwargs):
        """A failure with one error of ``message`` and ``code``; ``params`` (for the
        message's placeholders), ``extensions`` and the other keywords of the constructor may
        follow. The message is given in the request's language (``translated``)."""
        extensions = {"code": str(code), **kwargs.pop("extensions", {})}
        message = translated(message, kwargs.pop("params", None))
        return cls([GraphQLError(message, extensions=extensions)], status, **kwargs)


def bad_request(message: str, **params) -> RequestFailed:
    """A request that is not a well-formed GraphQL-over-HTTP request: 400 in either type."""
    return RequestFailed.of(message, HttpErrorCode.BAD_REQUEST, params=params)


BATCH_REFUSED = gettext_noop("Batched requests are not supported; send one JSON object.")
BATCH_REFUSED_IN_MULTIPART = gettext_noop(
    "Batched requests are not supported; 'operations' is one JSON object, as in a JSON request."
)


def batch_refused(multipart: bool = False) -> RequestFailed:
    """A batch (a JSON array of requests), in a JSON body or a multipart one's ``operations``:
    not served, 400 as any body that is not one request."""
    return bad_request(BATCH_REFUSED_IN_MULTIPART if multipart else BATCH_REFUSED)


# ---------------------------------------------------------------------------------------------
# Accept
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    quality: float
    charset: str | None
    position: int

    def specificity(self) -> int:
        return (self.type != "*") + (self.subtype != "*")

    def matches(self, media_type: str) -> bool:
        type_, subtype = media_type.split("/")
        if self.charset not in (None, "utf-8", "utf8", "*"):
            return False  # every response is UTF-8
        return self.type in ("*", type_) and self.subtype in ("*", subtype)


_TOKEN = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")


def parse_accept(header: str) -> list[MediaRange]:
    """The media ranges of an Accept header (RFC 9110 §12.5.1); malformed ones are dropped."""
    ranges = []
    for position, part in enumerate(header.split(",")):
        media_type, *parameters = part.split(";")
        type_, _, subtype = media_type.strip().lower().partition("/")
        if not (_TOKEN.match(type_) and _TOKEN.match(subtype)):
            continue
        quality, charset = 1.0, None
        for parameter in parameters:
            name, _, value = parameter.strip().partition("=")
            name, value = name.strip().lower(), value.strip().strip('"').lower()
            if name == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
            elif name == "charset":
                charset = value
        ranges.append(MediaRange(type_, subtype, quality, charset, position))
    return ranges


def negotiate(header: str | None, offers: tuple[str, ...]) -> str | None:
    """The offer the client prefers, None when it accepts none (406).

    ``offers`` are in the server's order of preference, which decides between offers that
    only a wildcard matches (``*/*``, ``application/*``). Otherwise the quality of the most
    specific range matching each offer counts, then the order in which the client listed
    them, as the spec's "highest priority media type listed". No Accept at all, or an empty
    one, is taken as ``*/*``.
    """
    ranges = parse_accept(header) if header and header.strip() else parse_accept("*/*")
    best, best_key = None, None
    for preference, offer in enumerate(offers):
        matching = [r for r in ranges if r.matches(offer)]
        if not matching:
            continue
        # The most specific range decides the offer's quality (RFC 9110 §12.5.1).
        top = max(matching, key=lambda r: (r.specificity(), -r.position))
        if top.quality <= 0:
            continue
        exact = top.specificity() == 2
        key = (top.quality, exact, -top.position if exact else 0, -preference)
        if best_key is None or key > best_key:
            best, best_key = offer, key
    return best


# ---------------------------------------------------------------------------------------------
# Request parameters
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GraphQLParams:
    """The parameters of a GraphQL-over-HTTP request (spec §4.1), checked for type.

    ``query`` is None only for an automatic persisted query sent by its hash alone.
    """

    query: str | None
    operation_name: str | None
    variables: dict | None
    extensions: dict | None


def params_from_get(querydict, query_string: str = "") -> GraphQLParams:
    """The parameters of a GET: each in the URL's query string, ``variables`` and
    ``extensions`` as JSON (spec §4.3). An empty operationName counts as none.

    ``query_string`` is the URL's as sent (``QUERY_STRING``): Django decodes the parameters
    replacing bytes that are not UTF-8 with U+FFFD, so a request holding them would run with
    text the client never wrote; it is refused instead, as a body that is not UTF-8 is."""
    check_query_string(query_string)
    return checked_params(_url_params(querydict))


def check_query_string(query_string: str) -> None:
    """400 when the query string's percent-escapes are not UTF-8 (``%ED%A0%80``, a surrogate
    encoded as if it were a character, or a lone ``%FF``)."""
    if not query_string or (query_string.isascii() and "%" not in query_string):
        return
    try:
        unquote_to_bytes(query_string).decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request(gettext_noop("The query string is not valid UTF-8.")) from None


def _url_params(querydict) -> dict:
    return {
        "query": querydict.get("query"),
        "operationName": querydict.get("operationName") or None,
        "variables": _json_param(querydict, "variables"),
        "extensions": _json_param(querydict, "extensions"),
    }


def _json_param(querydict, name: str):
    raw = querydict.get(name)
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise bad_request(
            gettext_noop("The '%(name)s' parameter must be a JSON object."), name=name
        ) from None


def params_from_json(body: bytes) -> GraphQLParams:
    """The parameters of a JSON body (spec §4.4.1): one object, UTF-8."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request(gettext_noop("The body is not valid UTF-8.")) from None
    if not text.strip():
        raise bad_request(gettext_noop("The body is empty; send a JSON object with a 'query'."))
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise bad_request(gettext_noop("The body is not valid JSON.")) from None
    if isinstance(data, list):
        raise batch_refused()
    if not isinstance(data, dict):
        raise bad_request(gettext_noop("The body must be a JSON object."))
    return checked_params(data)


def params_from_graphql_body(body: bytes, querydict, query_string: str = "") -> GraphQLParams:
    """A body of ``application/graphql``: the document itself; the other parameters in the
    URL as for GET."""
    try:
        query = body.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request(gettext_noop("The body is not valid UTF-8.")) from None
    check_query_string(query_string)
    return checked_params({**_url_params(querydict), "query": query})


def checked_params(data: dict) -> GraphQLParams:
    """``data``'s parameters if each has its type; null is the same as absent (spec §4.1), and
    so is an empty operationName."""
    query = data.get("query")
    operation_name = data.get("operationName")
    variables = data.get("variables")
    extensions = data.get("extensions")
    if query is not None and not isinstance(query, str):
        raise bad_request(gettext_noop("'query' must be a string."))
    if operation_name is not None and not isinstance(operation_name, str):
        raise bad_request(gettext_noop("'operationName' must be a string."))
    if variables is not None and not isinstance(variables, dict):
        raise bad_request(gettext_noop("'variables' must be an object."))
    if extensions is not None and not isinstance(extensions, dict):
        raise bad_request(gettext_noop("'extensions' must be an object."))
    if query is None and not (extensions and "persistedQuery" in extensions):
        raise bad_request(gettext_noop("A 'query' is required."))
    check_unicode(data)
    # An empty name names no operation: the document's only one runs, as over GET (some
    # clients send "" rather than leaving it out).
    return GraphQLParams(query, operation_name or None, variables, extensions)


def check_unicode(data: dict) -> None:
    """400 when any text of the request — the document, the operation's name, a variable or
    an extension, keys included — is not valid Unicode.

    JSON may escape a lone UTF-16 surrogate (``"\\ud800"``), which decodes to a Python string
    that nothing can encode: the document's hash, the database, the log or the response's own
    encoder would fail on it. It is refused here, once for the whole request, before any of
    those sees it."""
    for name in ("query", "operationName", "variables", "extensions"):
        path = unencodable_path(data.get(name), name)
        if path is not None:
            raise bad_request(
                gettext_noop(
                    "'%(name)s' is not valid Unicode: it holds a lone surrogate "
                    "(an unpaired \\uD800-\\uDFFF escape)."
                )
                if path == name
                else gettext_noop(
                    "'%(name)s' is not valid Unicode: the text at %(path)s holds a lone "
                    "surrogate (an unpaired \\uD800-\\uDFFF escape)."
                ),
                name=name,
                path=path,
            )


# ---------------------------------------------------------------------------------------------
# The request's ID
# ---------------------------------------------------------------------------------------------
# What an X-Request-ID from outside may be; anything else could forge log lines.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id(request) -> str:
    """The ID that ties the request's log lines to its answer: the one a middleware gave it,
    else a sane ``X-Request-ID`` from the proxy, else a new UUID."""
    given = getattr(request, "request_id", None)
    if given:
        return str(given)
    header = request.headers.get("X-Request-ID", "")
    if _REQUEST_ID.match(header):
        return header
    return str(uuid.uuid4())
