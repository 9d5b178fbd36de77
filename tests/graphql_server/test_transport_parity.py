"""HTTP and the websocket run every operation the same way (graphql_server/runner.py): the same
operations, sent over both, answer the same errors, are executed by the same executor, logged
with the request's or the connection's ID and counted alike. If one transport grows a way of
its own, these tests say so."""

import asyncio
import contextlib
import json
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from channels.testing import WebsocketCommunicator
from django.db import InterfaceError, OperationalError, connections
from graphql_relay import to_global_id
from prometheus_client import REGISTRY

from backend.asgi import application
from graphql_server.execution import PlannedExecutionContext
from schema.cities import resolvers as city_resolvers
from tests.conftest import bearer_for
from tests.outages import database_unreachable
from tests.sockets import HOST, PROTOCOL, disconnect, in_db, init, receive

pytestmark = pytest.mark.django_db(transaction=True)

HTTP_ID = "http-request-0001"
WEBSOCKET_ID = "websocket-conn-0001"

CITY = "query City($slug: String) { city(slug: $slug) { name } }"
CITIES = "query Cities($first: Int) { cities(first: $first) { edges { node { name } } } }"
TWO_ALIASES = "{ a: languages { code } b: languages { code } }"
ME = "{ me { email } }"
REPORTS = "query Reports($id: ID!) { event(id: $id) { title chatReports { totalCount } } }"
FOLLOW = """
mutation Follow($city: ID!) {
  cityFollow(city: $city) { city { name } errors { field code message } }
}
"""


@pytest.fixture(autouse=True)
async def database_thread():
    """The consumer's database work, the HTTP requests and ``in_db`` in one known thread,
    whose connections are closed when the test ends (as in websocket/test_protocol.py)."""
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=1))
    yield
    await loop.run_in_executor(None, connections.close_all)


@pytest.fixture
def over_http(client):
    """POST an operation to /graphql/ with ``X-Request-ID: HTTP_ID``, ``during`` what
    happens meanwhile (a context manager); the response's body, which has ``status``."""

    async def send(query, variables=None, token=None, during=contextlib.nullcontext, status=200):
        headers = {"HTTP_X_REQUEST_ID": HTTP_ID}
        if token is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        body = json.dumps({"query": query, "variables": variables or {}})

        def post():
            with during():
                return client.post("/graphql/", body, content_type="application/json", **headers)

        response = await in_db(post)
        assert response.status_code == status, response.content
        return response.json()

    return send


async def over_websocket(query, variables=None, token=None, during=contextlib.nullcontext):
    """Run an operation over a websocket opened with ``X-Request-ID: WEBSOCKET_ID`` (signed
    in before ``during`` begins); its answer in the shape of an HTTP body: a `next` payload,
    or an `error` message's errors as ``{"errors": […]}``."""
    socket = WebsocketCommunicator(
        application,
        "/graphql/",
        headers=[(b"host", HOST.encode()), (b"x-request-id", WEBSOCKET_ID.encode())],
        subprotocols=[PROTOCOL],
    )
    socket.scope["client"] = ("203.0.113.7", 50000)
    assert (await socket.connect())[0]
    try:
        await init(socket, {"token": token} if token is not None else None)
        assert await receive(socket) == {"type": "connection_ack"}
        payload = {"query": query, "variables": variables or {}}
        with during():
            await socket.send_json_to({"id": "op", "type": "subscribe", "payload": payload})
            frame = await receive(socket)
        if frame["type"] == "next":
            assert await receive(socket) == {"id": "op", "type": "complete"}
            return frame["payload"]
        assert frame["type"] == "error", frame
        return {"errors": frame["payload"]}
    finally:
        await disconnect(socket)


def without_request_ids(body: dict, request_id: str) -> dict:
    """``body`` with each error's ``extensions.requestId``, which must be ``request_id``,
    taken out."""
    body = json.loads(json.dumps(body))
    for error in body.get("errors", ()):
        extensions = error.get("extensions", {})
        if "requestId" in extensions:
            assert extensions.pop("requestId") == request_id
    return body


async def both(
    over_http, query, variables=None, token=None, during=contextlib.nullcontext, http_status=200
) -> dict:
    """The operation's answer over HTTP and over the websocket, ``during`` what happens
    meanwhile, which must be the same but for the request IDs (each transport's own); that
    answer."""
    http = await over_http(query, variables, token, during, http_status)
    websocket = await over_websocket(query, variables, token, during)

    assert without_request_ids(websocket, WEBSOCKET_ID) == without_request_ids(http, HTTP_ID)
    return without_request_ids(http, HTTP_ID)


def operations(kind: str, outcome: str) -> float:
    labels = {"type": kind, "outcome": outcome}
    return REGISTRY.get_sample_value("twinning_graphql_operations_total", labels) or 0.0


# ---------------------------------------------------------------------------------------------
# The same errors
# ---------------------------------------------------------------------------------------------
async def test_an_unexpected_error_is_masked_logged_with_the_id_and_counted_alike(
    over_http, monkeypatch, caplog
):
    def city(id, slug):
        raise RuntimeError('relation "cities_city" does not exist: SELECT password FROM …')

    monkeypatch.setattr(city_resolvers, "city", city)
    failed = operations("query", "error")

    with caplog.at_level(logging.ERROR, logger="graphql_server.runner"):
        answer = await both(over_http, CITY, {"slug": "aktau-kz"})

    assert answer == {
        "data": {"city": None},
        "errors": [
            {
                "message": "Internal server error.",
                "locations": [{"line": 1, "column": 29}],
                "path": ["city"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR"},
            }
        ],
    }
    logged = sorted(caplog.records, key=lambda record: record.getMessage())
    assert [record.getMessage() for record in logged] == [
        f"Unexpected error in GraphQL request {HTTP_ID} at city",
        f"Unexpected error in GraphQL request {WEBSOCKET_ID} at city",
    ]
    assert all(record.exc_info[0] is RuntimeError for record in logged)
    assert operations("query", "error") == failed + 2


@pytest.mark.parametrize(
    "outage",
    [
        OperationalError("terminating connection due to administrator command"),
        InterfaceError("connection already closed"),
        redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
    ],
    ids=["database-lost", "database-closed", "redis-refused"],
)
async def test_an_outage_in_a_resolver_is_service_unavailable_logged_as_a_warning_alike(
    over_http, monkeypatch, caplog, outage
):
    def city(id, slug):
        raise outage

    monkeypatch.setattr(city_resolvers, "city", city)
    failed = operations("query", "error")

    with caplog.at_level(logging.WARNING, logger="graphql_server.runner"):
        answer = await both(over_http, CITY, {"slug": "aktau-kz"})

    # The data as far as it goes, and an error that says to try again, not that it is a bug.
    assert answer == {
        "data": {"city": None},
        "errors": [
            {
                "message": "Service unavailable; try again.",
                "locations": [{"line": 1, "column": 29}],
                "path": ["city"],
                "extensions": {"code": "SERVICE_UNAVAILABLE", "retryAfter": 5},
            }
        ],
    }
    logged = [record for record in caplog.records if record.name == "graphql_server.runner"]
    assert sorted((record.levelname, record.getMessage()) for record in logged) == [
        ("WARNING", f"Service unavailable in GraphQL request {request_id} at city: {cause}")
        for request_id in (HTTP_ID, WEBSOCKET_ID)
        for cause in [f"{type(outage).__name__}: {outage}"]
    ]
    assert operations("query", "error") == failed + 2


async def test_an_outage_at_the_token_check_is_service_unavailable_alike(
    over_http, user_factory, caplog
):
    token = await in_db(lambda: bearer_for(user_factory()))

    with caplog.at_level(logging.WARNING, logger="graphql_server.runner"):
        answer = await both(
            over_http, ME, token=token, during=database_unreachable, http_status=503
        )

    # Nothing ran: over HTTP the request's error (503), over the socket the operation's.
    assert answer == {
        "errors": [
            {
                "message": "Service unavailable; try again.",
                "extensions": {"code": "SERVICE_UNAVAILABLE", "retryAfter": 5},
            }
        ]
    }
    assert sorted(record.levelname for record in caplog.records) == ["WARNING", "WARNING"]


async def test_variables_that_do_not_fit_are_refused_alike(over_http):
    answer = await both(over_http, CITIES, {"first": "many"})

    assert answer == {
        "errors": [
            {
                "message": "Variable '$first' got invalid value 'many'; "
                "Int cannot represent non-integer value: 'many'",
                "locations": [{"line": 1, "column": 14}],
                "extensions": {"code": "INVALID_VARIABLES"},
            }
        ]
    }


async def test_wrong_variables_are_told_about_up_to_a_bound_alike(over_http, settings):
    # 25 counts are over the cost limit, which is checked first; here the variables are.
    settings.GRAPHQL_MAX_COST = 0
    names = [f"v{n}" for n in range(25)]
    definitions = ", ".join(f"${name}: Int" for name in names)
    fields = " ".join(f"{name}: cities(first: ${name}) {{ totalCount }}" for name in names)

    answer = await both(
        over_http, f"query({definitions}) {{ {fields} }}", dict.fromkeys(names, "x")
    )

    # Ten errors, then graphql-core's word that it stopped: not one per wrong value.
    assert len(answer["errors"]) == 11
    assert {error["extensions"]["code"] for error in answer["errors"]} == {"INVALID_VARIABLES"}
    assert "data" not in answer


async def test_a_limit_is_enforced_alike(over_http, settings):
    settings.GRAPHQL_MAX_ALIASES = 1

    answer = await both(over_http, TWO_ALIASES)

    (error,) = answer["errors"]
    assert error["extensions"] == {"code": "TOO_MANY_ALIASES"}
    assert "data" not in answer


async def test_a_permission_error_is_answered_alike(over_http, user_factory, event_factory):
    event = await in_db(event_factory)
    token = await in_db(lambda: bearer_for(user_factory()))

    answer = await both(over_http, REPORTS, {"id": to_global_id("Event", event.pk)}, token)

    assert answer == {
        "data": {"event": {"title": event.title_en, "chatReports": None}},
        "errors": [
            {
                "message": "Only the event's moderators read its chat's reports.",
                "locations": [{"line": 1, "column": 50}],
                "path": ["event", "chatReports"],
                "extensions": {"code": "PERMISSION_DENIED"},
            }
        ],
    }


async def test_a_mutation_needing_a_viewer_is_refused_alike(over_http):
    answer = await both(over_http, FOLLOW, {"city": to_global_id("City", 1)})

    assert answer["data"] == {"cityFollow": None}
    assert [error["extensions"] for error in answer["errors"]] == [{"code": "UNAUTHENTICATED"}]


# ---------------------------------------------------------------------------------------------
# The same executor
# ---------------------------------------------------------------------------------------------
async def test_both_transports_execute_with_the_planned_execution(over_http, monkeypatch):
    executed = []
    original = PlannedExecutionContext.execute_operation

    def execute_operation(self, operation, root_value):
        executed.append(operation.name.value)
        return original(self, operation, root_value)

    monkeypatch.setattr(PlannedExecutionContext, "execute_operation", execute_operation)

    await both(over_http, CITIES, {"first": 1})

    assert executed == ["Cities", "Cities"]
