"""Prometheus metrics of the web and worker processes, and the ``/metrics`` endpoint.

Recorded here: HTTP requests (by method, route pattern and status, and their latency), GraphQL
operations executed (by type and outcome), websocket connections (open now, and closed by close
code), and push messages (by FCM's outcome). Every label takes a bounded set of values (route
patterns, never paths; close codes this server uses), so a client cannot make the series grow.

One process (daphne, the embedded default) keeps its counts in memory. Several processes
(more than one daphne behind a socket, a Celery worker's pool, a web and a worker container
sharing a volume) each write to files in ``PROMETHEUS_MULTIPROC_DIR``, and ``/metrics`` sums
them, as prometheus-client's multiprocess mode does. A process's files are named after its host
and pid, not its pid alone, so that containers, each with pids of its own, can share the
directory.
"""

import atexit
import hmac
import ipaddress
import os
import socket
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)

from .client_ip import client_ip

MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


# "_" separates the parts of the files' names, so it is kept out of the host's.
_HOST = socket.gethostname().replace("_", "-") or "localhost"


def process_identifier() -> str:
    """This process among all that share the directory: its host and pid."""
    return f"{_HOST}-{os.getpid()}"


if MULTIPROCESS_DIR:
    # Before any metric exists: each takes its storage from this class when it is created.
    values.ValueClass = values.MultiProcessValue(process_identifier)
    # A gauge file with this process's name can only be a previous process's, left behind
    # with the same pid (a restarted container) without the clean-up below.
    multiprocess.mark_process_dead(process_identifier(), MULTIPROCESS_DIR)

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# The close codes of graphql_server.websocket.protocol.CloseCode (a test keeps the two equal);
# clients may close with any code from 3000 to 4999, and those are counted as "other".
SERVER_CLOSE_CODES = frozenset(
    {1001, 4008, 4400, 4401, 4403, 4406, 4408, 4409, 4413, 4429, 4500, 4503}
)

HTTP_REQUESTS = Counter(
    "twinning_http_requests",
    "HTTP requests answered, by method, route pattern and status code.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "twinning_http_request_duration_seconds",
    "Time from a request entering Django's middleware to its response leaving it.",
    ["method", "route"],
)
GRAPHQL_OPERATIONS = Counter(
    "twinning_graphql_operations",
    "GraphQL operations executed (over HTTP and the websocket; each event of a subscription "
    "counts as one), by type and outcome. Documents refused before execution are not counted.",
    ["type", "outcome"],
)
WEBSOCKETS_OPEN = Gauge(
    "twinning_websocket_connections_open",
    "Websocket connections open now.",
    multiprocess_mode="livesum",
)
WEBSOCKETS_CLOSED = Counter(
    "twinning_websocket_connections_closed",
    "Websocket connections closed, by close code (1000-1015 and the server's own codes; others "
    "as 'other').",
    ["code"],
)
PUSH_MESSAGES = Counter(
    "twinning_push_messages",
    "Push messages sent to devices, by FCM's outcome (SENT, UNREGISTERED, UNAVAILABLE...).",
    ["outcome"],
)


# --- Recording ---------------------------------------------------------------------------------


def observe_http(method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in HTTP_METHODS else "OTHER"
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_LATENCY.labels(method, route).observe(seconds)


def count_graphql_operation(operation_type: str, errored: bool) -> None:
    """Count an executed operation: ``operation_type`` is query, mutation or subscription."""
    GRAPHQL_OPERATIONS.labels(operation_type, "error" if errored else "success").inc()


def websocket_opened() -> None:
    WEBSOCKETS_OPEN.inc()


def websocket_closed(code: int | None) -> None:
    WEBSOCKETS_OPEN.dec()
    WEBSOCKETS_CLOSED.labels(close_code_label(code)).inc()


def close_code_label(code: int | None) -> str:
    if code is not None and (1000 <= code <= 1015 or code in SERVER_CLOSE_CODES):
        return str(code)
    return "other"


def count_push_outcomes(outcomes) -> None:
    """Count one message per outcome given (an ``Outcome`` of notifications.backends)."""
    for outcome in outcomes:
        PUSH_MESSAGES.labels(str(outcome)).inc()


# --- The endpoint ------------------------------------------------------------------------------


def metrics_view(request):
    """The metrics in Prometheus's text format, for a scraper that shows ``METRICS_TOKEN`` as
    a bearer token or calls from ``METRICS_ALLOWED_IPS``. With neither configured the endpoint
    does not exist (404): the counts reveal traffic, so they are never public by default."""
    token = settings.METRICS_TOKEN
    networks = _networks(tuple(settings.METRICS_ALLOWED_IPS))
    if not token and not networks:
        raise Http404("Metrics are not enabled.")
    if not (_shows_token(request, token) or _comes_from(request, networks)):
        response = HttpResponse("Not allowed.\n", status=401, content_type="text/plain")
        if token:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)


def _shows_token(request, token: str) -> bool:
    if not token:
        return False
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # Constant time: how much of a wrong token matched must not show in the answer's timing.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def _comes_from(request, networks) -> bool:
    address = client_ip(request.META)
    if not address or not networks:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in networks)


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]):
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _registry():
    if not MULTIPROCESS_DIR:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, MULTIPROCESS_DIR)
    return registry


def forget_this_process() -> None:
    """Drop this process's live gauges from the shared directory as it exits, so that a
    stopped web process stops counting its sockets as open."""
    forget_process(os.getpid())


def forget_process(pid: int) -> None:
    """Drop the live gauges of the process ``pid`` of this host from the shared directory: a
    server's worker that was killed runs no clean-up of its own (backend/gunicorn.py)."""
    if MULTIPROCESS_DIR and Path(MULTIPROCESS_DIR).is_dir():
        multiprocess.mark_process_dead(f"{_HOST}-{pid}", MULTIPROCESS_DIR)


if MULTIPROCESS_DIR:
    atexit.register(forget_this_process)
