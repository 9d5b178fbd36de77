"""The websocket when a service it depends on is lost: sockets whose subscriptions can no longer
hear their groups are closed with 4503 (which graphql-ws retries) rather than left open and
deaf, others stay open, and Redis or the database being down is a 4503, never a 4500.

In process, with the outage of layer_outage.py; tests/e2e/test_outages.py does the same to a
live server with a real Redis and PostgreSQL."""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

import graphene
import pytest
from channels.testing import WebsocketCommunicator
from django.db import OperationalError, connections

from core import channel_groups, outages
from graphql_server.websocket import group_hub
from graphql_server.websocket.consumer import GraphQLWebsocketConsumer
from graphql_server.websocket.group_hub import GroupHub
from graphql_server.websocket.origin import AllowedOriginMiddleware
from tests.conftest import bearer_for
from tests.graphql_server.websocket.layer_outage import LayerOutage
from tests.outages import cache_down, database_unreachable  # noqa: F401 (a fixture)
from tests.sockets import in_db
from tests.waiting import eventually

PROTOCOL = "graphql-transport-ws"
GROUP = channel_groups.group_name(channel_groups.EVENT_CHAT, id=626262)
HELLO = "{ hello }"
NEWS = "subscription News($group: String!) { news(group: $group) }"
FROM_THE_DATABASE = "subscription { fromTheDatabase }"
REFUSED_BY_THE_DATABASE = "subscription { refusedByTheDatabase }"
READ_FROM_THE_DATABASE = "subscription { readFromTheDatabase }"
COUNTDOWN = "subscription { countdown }"
LIVE_UPDATES_UNAVAILABLE = "Live updates unavailable; reconnect"
SERVICE_UNAVAILABLE = "Service unavailable"
LOST = "terminating connection due to administrator command"


class Query(graphene.ObjectType):
    hello = graphene.String(required=True)

    @staticmethod
    def resolve_hello(root, info):
        return "hello"


class Subscription(graphene.ObjectType):
    news = graphene.String(required=True, group=graphene.String(required=True))
    from_the_database = graphene.Int()
    refused_by_the_database = graphene.Int()
    read_from_the_database = graphene.Int()
    countdown = graphene.Int()

    @staticmethod
    async def subscribe_news(root, info, group):
        news = info.context.listen(group)
        await news.join()
        yield "listening"
        async for payload in news:
            yield payload["text"]

    @staticmethod
    async def subscribe_from_the_database(root, info):
        yield 1
        raise OperationalError(LOST)

    @staticmethod
    def subscribe_refused_by_the_database(root, info):
        # The source stream cannot open: a check before its first event met the outage.
        raise OperationalError(LOST)

    @staticmethod
    async def subscribe_read_from_the_database(root, info):
        yield 1
        yield 2

    @staticmethod
    def resolve_read_from_the_database(root, info):
        # Each event is read afresh; the second one's read meets the outage.
        if root == 2:
            raise OperationalError(LOST)
        return root

    @staticmethod
    async def subscribe_countdown(root, info):
        for number in (3, 2, 1):
            yield number


application = AllowedOriginMiddleware(
    GraphQLWebsocketConsumer.as_asgi(schema=graphene.Schema(query=Query, subscription=Subscription))
)


@pytest.fixture(autouse=True)
async def database_thread():
    """The consumer's threads in one pool of the test's, its connections closed at the end
    (as in test_protocol.py)."""
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=1))
    yield
    await loop.run_in_executor(None, connections.close_all)


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setattr(group_hub, "RETRY_SECONDS", 0.02)
    monkeypatch.setattr(group_hub, "PROBE_TIMEOUT_SECONDS", 1.0)


@pytest.fixture
async def outage(monkeypatch):
    outage = LayerOutage(monkeypatch)
    yield outage
    await GroupHub.of(outage.layer).close()
    await outage.close()


@pytest.fixture
async def connected():
    """Open a socket and go through connection_init → connection_ack; all closed at the end."""
    sockets = []

    async def connect(token=None):
        socket = WebsocketCommunicator(
            application, "/graphql/", headers=[(b"host", b"localhost")], subprotocols=[PROTOCOL]
        )
        socket.scope["client"] = ("203.0.113.9", 50000)
        sockets.append(socket)
        assert (await socket.connect())[0]
        init = {"type": "connection_init"}
        if token is not None:
            init["payload"] = {"token": token}
        await socket.send_json_to(init)
        assert await receive(socket) == {"type": "connection_ack"}
        return socket

    yield connect
    for socket in sockets:
        if not socket.future.done():
            await socket.disconnect(timeout=0.2)


async def receive(socket):
    return await socket.receive_json_from(timeout=2)


async def subscribe(socket, operation_id, query, variables=None):
    payload = {"query": query, "variables": variables}
    await socket.send_json_to({"id": operation_id, "type": "subscribe", "payload": payload})


async def assert_closed(socket, code, reason):
    assert await socket.receive_output(timeout=2) == {
        "type": "websocket.close",
        "code": code,
        "reason": reason,
    }


def next_frame(operation_id, data):
    return {"id": operation_id, "type": "next", "payload": {"data": data}}


async def listening(socket, operation_id="news"):
    await subscribe(socket, operation_id, NEWS, {"group": GROUP})
    assert await receive(socket) == next_frame(operation_id, {"news": "listening"})


async def test_subscribed_sockets_close_4503_when_the_layer_is_lost_and_others_stay_open(
    connected, outage
):
    subscribed = [await connected(), await connected()]
    for socket in subscribed:
        await listening(socket)
    querying = await connected()

    await outage.begin()

    for socket in subscribed:
        await assert_closed(socket, 4503, LIVE_UPDATES_UNAVAILABLE)
    await subscribe(querying, "q", HELLO)
    assert await receive(querying) == next_frame("q", {"hello": "hello"})


async def test_a_subscription_while_the_layer_is_lost_closes_4503_without_an_error(
    connected, outage
):
    hub = GroupHub.of(outage.layer)
    await listening(await connected())
    await outage.begin()
    await eventually(lambda: hub.problem, timeout=2)
    socket = await connected()

    await subscribe(socket, "news", NEWS, {"group": GROUP})

    # No `error` for the operation first: graphql-ws would end the subscription for good.
    await assert_closed(socket, 4503, LIVE_UPDATES_UNAVAILABLE)


async def test_once_healed_a_client_that_resubscribes_hears_its_group_again(connected, outage):
    hub = GroupHub.of(outage.layer)
    socket = await connected()
    await listening(socket)
    await outage.begin()
    await assert_closed(socket, 4503, LIVE_UPDATES_UNAVAILABLE)
    assert outages.current()

    outage.end()

    await eventually(lambda: hub.problem is None, timeout=2)
    assert outages.current() == []
    again = await connected()
    await listening(again)
    await channel_groups.broadcast(GROUP, {"text": "Back"})
    assert await receive(again) == next_frame("news", {"news": "Back"})


async def test_a_database_lost_under_a_subscription_closes_4503_not_4500(connected, caplog):
    socket = await connected()

    with caplog.at_level(logging.WARNING, logger="graphql_server.websocket.consumer"):
        await subscribe(socket, "db", FROM_THE_DATABASE)
        assert await receive(socket) == next_frame("db", {"fromTheDatabase": 1})
        await assert_closed(socket, 4503, "Service unavailable")

    records = [r for r in caplog.records if r.name == "graphql_server.websocket.consumer"]
    assert [(r.levelname, r.message) for r in records] == [
        ("WARNING", "Websocket _run failed: a service is unavailable")
    ]


@pytest.mark.usefixtures("cache_down")
async def test_connections_are_let_in_uncounted_while_the_cache_is_down(connected):
    # Anonymous connections from one address are counted in the cache.
    socket = await connected()

    await subscribe(socket, "q", HELLO)

    assert await receive(socket) == next_frame("q", {"hello": "hello"})


async def test_a_subscription_refused_by_an_outage_before_its_first_event_closes_4503(
    connected, caplog
):
    socket = await connected()

    with caplog.at_level(logging.WARNING):
        await subscribe(socket, "db", REFUSED_BY_THE_DATABASE)

        # No `error` for the operation: graphql-ws would not subscribe again after one.
        await assert_closed(socket, 4503, SERVICE_UNAVAILABLE)

    assert {record.levelname for record in caplog.records} == {"WARNING"}


async def test_an_event_whose_reading_meets_an_outage_closes_4503_rather_than_failing(
    connected,
):
    socket = await connected()

    await subscribe(socket, "db", READ_FROM_THE_DATABASE)

    # The event is not told as a failure: the client resumes, and reads it again.
    assert await receive(socket) == next_frame("db", {"readFromTheDatabase": 1})
    await assert_closed(socket, 4503, SERVICE_UNAVAILABLE)


# ---------------------------------------------------------------------------------------------
# The database lost under a signed-in socket
# ---------------------------------------------------------------------------------------------
@pytest.fixture
async def signed_in(connected, user_factory):
    """A socket signed in with an access token of a user of the test database."""
    return await connected(await in_db(lambda: bearer_for(user_factory())))


@pytest.mark.django_db(transaction=True)
async def test_a_query_whose_token_check_meets_an_outage_is_its_error_and_the_socket_stays(
    signed_in,
):
    with database_unreachable():
        await subscribe(signed_in, "q", HELLO)
        frame = await receive(signed_in)

    assert frame["type"] == "error"
    [error] = frame["payload"]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert error["extensions"]["retryAfter"] == 5
    await subscribe(signed_in, "again", HELLO)
    assert await receive(signed_in) == next_frame("again", {"hello": "hello"})


@pytest.mark.django_db(transaction=True)
async def test_a_subscription_whose_token_check_meets_an_outage_closes_4503(signed_in):
    with database_unreachable():
        await subscribe(signed_in, "count", COUNTDOWN)

        await assert_closed(signed_in, 4503, SERVICE_UNAVAILABLE)
