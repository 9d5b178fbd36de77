"""Middleware of the whole site: request IDs (HTTP and websockets), HTTP metrics, hosts not
served, query strings no view can take, and pages that meet an outage."""

import logging
import re
import time
import uuid

from django.core.exceptions import DisallowedHost
from django.core.signals import request_finished
from django.http import HttpResponse, HttpResponseBadRequest
from django.urls import Resolver404, resolve

from . import metrics
from .logs import request_id_var
from .outages import RETRY_AFTER_SECONDS, is_outage

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
# What a request ID from outside may look like: a proxy's or a client's own ID (a UUID, 32 hex
# digits, a trace ID) is kept so that their logs and ours line up; anything else (too short to
# be unique, too long, characters that do not belong in a header or a log line) is replaced.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{7,127}")


def request_id_from(given: str) -> str:
    """``given`` when it is a sane request ID, else a new one."""
    return given if SANE_REQUEST_ID.fullmatch(given) else str(uuid.uuid4())


class RequestIdMiddleware:
    """Gives each request an ID: the ``X-Request-ID`` it came with when that is a sane token,
    else a new UUID. It is ``request.request_id``, the ``request_id`` of every log record
    written while the request runs, and the response's ``X-Request-ID``, so a user's report
    with the header's value leads to the request's log lines. First in MIDDLEWARE, so that
    everything after it logs with the ID."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER, ""))
        request.request_id = request_id
        # Kept until the response is closed (request_finished, below), not only while the
        # middleware runs: Django logs 4xx and 5xx answers ("Not Found: /…") after the
        # middleware has returned, and those lines need the ID most. Under ASGI the variable
        # lives in the request's own task, under WSGI in its thread until the next request.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


def _forget_request_id(**kwargs) -> None:
    request_id_var.set(None)


request_finished.connect(_forget_request_id, dispatch_uid="core.middleware.forget_request_id")


class WebsocketRequestIdMiddleware:
    """ASGI middleware giving each websocket connection an ID as RequestIdMiddleware gives
    each request (from the handshake's ``X-Request-ID``, else new): every record the
    connection's consumer logs carries it, its tasks and threads included."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        given = dict(scope.get("headers", ())).get(b"x-request-id", b"").decode("latin-1")
        token = request_id_var.set(request_id_from(given))
        try:
            return await self.application(scope, receive, send)
        finally:
            request_id_var.reset(token)


class MetricsMiddleware:
    """Counts and times every request by method, route pattern and status. (GraphQL
    operations are counted where they are executed, by graphql_server.runner.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        # The pattern ("events/<pk:pk>.ics"), never the path: paths are the client's to
        # choose, and each would be a series of its own.
        route = match.route if match is not None else "unmatched"
        metrics.observe_http(request.method, route, response.status_code, elapsed)
        return response


def _view_of(request):
    """The view the request's path leads to, None when none does."""
    try:
        return resolve(request.path_info).func
    except Resolver404:
        return None


def answers_disallowed_hosts(view, answer):
    """Marks a view that answers a request for a host it does not serve (one not in
    ``ALLOWED_HOSTS``) in its own way: ``answer(request, reason)`` makes the response (the
    GraphQL endpoint's, a coded GraphQL error). ``DisallowedHostMiddleware`` calls it."""
    view.answer_disallowed_host = answer
    return view


class DisallowedHostMiddleware:
    """Lets a view marked with ``answers_disallowed_hosts`` answer a request whose Host is not
    served; any other view's request gets Django's own answer, as before.

    Django checks the Host when something first reads it (``CommonMiddleware`` does, for every
    request) and answers a host it does not serve with its HTML page (400), which an app asking
    the API cannot read: a developer's phone or emulator sent an address missing from
    ``ALLOWED_HOSTS``, and sees nothing but a failed request. The check is the same one
    (``request.get_host()``), made before any middleware that reads the host; it is logged as
    Django logs it (``django.security.DisallowedHost``). Before ``SecurityMiddleware`` and
    ``CommonMiddleware``, after ``CorsMiddleware`` (so that a browser may read the answer)."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            request.get_host()
        except DisallowedHost as error:
            answer = getattr(_view_of(request), "answer_disallowed_host", None)
            if answer is None:
                raise
            logging.getLogger("django.security.DisallowedHost").error(
                str(error), extra={"status_code": 400, "request": request}
            )
            return answer(request, str(error))
        return self.get_response(request)


def checks_its_own_text(view):
    """Marks a view that answers text it cannot take in its own way (the GraphQL endpoint,
    with a coded GraphQL error): ``NulInQueryMiddleware`` then leaves its requests alone."""
    view.checks_its_own_text = True
    return view


class NulInQueryMiddleware:
    """Answers 400 to a request whose query string holds a NUL character (``%00``), in a name
    or a value, before its view runs.

    No page of the site has a use for it, and PostgreSQL can neither store nor compare it: the
    admin's list filters and autocomplete pass such text to the database (``?status__exact=
    %00``), which fails with an error rather than finding nothing. Refused once here for every
    view, those written later included; a view that checks text itself is marked with
    ``checks_its_own_text``.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Checked here rather than in a view hook, so that the view is looked up only when a
        # NUL is there.
        query = request.META.get("QUERY_STRING", "")
        if ("%00" in query or "\x00" in query) and self._holds_nul(request):
            try:
                view = resolve(request.path_info).func
            except Resolver404:
                view = None
            if not getattr(view, "checks_its_own_text", False):
                return HttpResponseBadRequest(
                    "The query string holds a NUL character.", content_type="text/plain"
                )
        return self.get_response(request)

    @staticmethod
    def _holds_nul(request) -> bool:
        return any(
            "\x00" in key or any("\x00" in value for value in request.GET.getlist(key))
            for key in request.GET
        )


class OutageMiddleware:
    """Answers 503 with Retry-After, not 500, when a view meets an outage of the database or
    Redis (``core.outages.is_outage``): a calendar app or a browser fetching a page while
    PostgreSQL restarts is told to come back, and the operators' error reports are kept for
    bugs. Every view, those written later included; the GraphQL endpoint answers its own
    (``SERVICE_UNAVAILABLE``) and raises none."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_outage(exception):
            return None
        logger.warning(
            "Service unavailable at %s: %s: %s",
            request.path,
            type(exception).__name__,
            exception,
        )
        response = HttpResponse(
            "The service is unavailable for a moment; try again shortly.\n",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
