"""The websocket endpoint frame by frame: the graphql-transport-ws protocol, its limits, the
Origin check, and subscriptions fed by channel-layer groups.

Most tests talk to the project's ASGI application (the root schema); the protocol's
subscription mechanics run against small schemas of this module, so that they do not depend on
the API's subscriptions (tested in tests/schema/test_subscriptions.py).
"""

import asyncio
import json
import logging
import random
import uuid
from concurrent.futures import ThreadPoolExecutor

import graphene
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.cache import cache, caches
from django.db import connections, transaction
from graphql import GraphQLError
from graphql_relay import to_global_id
from prometheus_client import REGISTRY

from backend.asgi import application
from cities.models import City, CityFollow
from core import channel_groups, metrics
from core.logs import request_id_var
from core.middleware import WebsocketRequestIdMiddleware
from core.ratelimit import Rate
from graphql_server.errors import PermissionDeniedError
from graphql_server.websocket import context, limits, protocol
from graphql_server.websocket.consumer import GraphQLWebsocketConsumer
from graphql_server.websocket.origin import AllowedOriginMiddleware
from tests.conftest import bearer_for
from tests.sentinels import nothing_before
from tests.sockets import (
    HOST,
    PROTOCOL,
    SENTINEL_PONG,
    assert_closed,
    close_all,
    complete_frame,
    disconnect,
    error_frame,
    in_db,
    init,
    next_frame,
    receive,
    sentinel_ping,
    subscribe,
)
from tests.waiting import eventually

LANGUAGES = "{ languages { code } }"
CITIES = "{ cities { edges { node { name } } } }"
ME = "{ me { email calendarUrl } }"
CITY_FOLLOW = """
mutation Follow($city: ID!) {
  cityFollow(city: $city) { city { name } errors { field code message } }
}
"""
HELLO = "{ hello }"
NEWS = "subscription News($group: String!) { news(group: $group) { text cityName } }"
COUNTDOWN = "subscription { countdown(start: 3) }"
FORBIDDEN = "subscription { forbidden }"
BROKEN = "subscription { broken }"


# ---------------------------------------------------------------------------------------------
# A schema with subscriptions, for what the root schema cannot show yet
# ---------------------------------------------------------------------------------------------
class News(graphene.ObjectType):
    text = graphene.String(required=True)
    city_name = graphene.String(description="From the database, in the connection's language.")

    @staticmethod
    def resolve_city_name(root, info):
        return City.objects.get(pk=root["city"]).name if "city" in root else None


class SampleQuery(graphene.ObjectType):
    hello = graphene.String(required=True)

    @staticmethod
    def resolve_hello(root, info):
        return "hello"


class SampleSubscription(graphene.ObjectType):
    news = graphene.Field(News, required=True, group=graphene.String(required=True))
    countdown = graphene.Int(required=True, start=graphene.Int(required=True))
    forbidden = graphene.Int()
    broken = graphene.Int()

    @staticmethod
    async def subscribe_news(root, info, group):
        news = info.context.listen(group)
        # Joined before the first result, so a test that has seen it may broadcast.
        await news.join()
        yield {"text": "listening"}
        async for payload in news:
            yield payload

    @staticmethod
    async def subscribe_countdown(root, info, start):
        for number in range(start, 0, -1):
            yield number

    @staticmethod
    async def subscribe_forbidden(root, info):
        raise PermissionDeniedError()
        yield  # pragma: no cover - makes this an async generator

    @staticmethod
    async def subscribe_broken(root, info):
        yield 1
        raise RuntimeError("a bug in a resolver")


sample_schema = graphene.Schema(query=SampleQuery, subscription=SampleSubscription)
# Wrapped as backend.asgi wraps the project's consumer.
sample_application = WebsocketRequestIdMiddleware(
    AllowedOriginMiddleware(GraphQLWebsocketConsumer.as_asgi(schema=sample_schema))
)


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
async def database_thread():
    """Run the consumer's database work (and ``in_db``) in one known thread, and close that
    thread's connections when the test ends.

    The consumer works in the event loop's thread pool, whose threads end with each test's
    loop; connections left open there would be dropped by the garbage collector (a
    ResourceWarning with psycopg) and keep PostgreSQL from dropping the test database.
    """
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=1))
    yield
    await loop.run_in_executor(None, connections.close_all)


@pytest.fixture
async def open_socket():
    """Open a websocket (the handshake only); every socket is closed after the test."""
    sockets = []

    async def open_(
        app=application,
        *,
        subprotocols=(PROTOCOL,),
        headers=(),
        client=("203.0.113.7", 50000),
        accepted=True,
    ):
        socket = WebsocketCommunicator(
            app,
            "/graphql/",
            headers=[(b"host", HOST.encode()), *headers],
            subprotocols=list(subprotocols),
        )
        socket.scope["client"] = client
        sockets.append(socket)
        connected, _ = await socket.connect()
        assert connected is accepted
        return socket

    yield open_
    await close_all(sockets)


@pytest.fixture
async def connected(open_socket):
    """Open a websocket and go through connection_init → connection_ack."""

    async def connect(app=application, payload=None, **options):
        socket = await open_socket(app, **options)
        await init(socket, payload)
        assert await receive(socket) == {"type": "connection_ack"}
        return socket

    return connect


@pytest.fixture
def ada(user_factory):
    return user_factory(email="ada@example.org")


@pytest.fixture
def aktau(city_factory):
    return city_factory(name_en="Aktau", name_ru="Актау", name_kk="Ақтау", country="KZ")


# ---------------------------------------------------------------------------------------------
# Handshake and connection_init
# ---------------------------------------------------------------------------------------------
async def test_the_handshake_negotiates_graphql_transport_ws():
    socket = WebsocketCommunicator(
        application, "/graphql/", headers=[(b"host", HOST.encode())], subprotocols=[PROTOCOL]
    )

    assert await socket.connect() == (True, PROTOCOL)

    await disconnect(socket)


@pytest.mark.parametrize("subprotocols", [(), ("graphql-ws",)], ids=["none", "legacy"])
async def test_a_socket_without_the_subprotocol_is_closed_4406(open_socket, subprotocols):
    socket = await open_socket(subprotocols=subprotocols)

    await assert_closed(socket, 4406, "Subprotocol not acceptable")


async def test_an_anonymous_connection_is_acknowledged_and_has_no_viewer(connected):
    socket = await connected()

    await subscribe(socket, "1", ME)

    assert await receive(socket) == next_frame("1", {"me": None})
    assert await receive(socket) == complete_frame("1")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("style", ["authorization", "token"])
async def test_a_token_in_connection_init_signs_the_connection_in(connected, ada, style):
    token = bearer_for(ada)
    payload = {"authorization": f"Bearer {token}"} if style == "authorization" else {"token": token}
    socket = await connected(payload=payload)

    await subscribe(socket, "me", ME)

    # calendarUrl is built on the host and scheme the socket was opened with.
    calendar_url = f"http://{HOST}/calendar/{ada.calendar_token}.ics"
    assert await receive(socket) == next_frame(
        "me", {"me": {"email": "ada@example.org", "calendarUrl": calendar_url}}
    )
    assert await receive(socket) == complete_frame("me")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"authorization": "Bearer not-a-token"}, "Malformed token."),
        ({"token": "not-a-token"}, "Malformed token."),
        (
            {"authorization": "Basic YWRhOnNlY3JldA=="},
            "Send the token as 'Authorization: Bearer <token>'.",
        ),
    ],
    ids=["bearer", "token", "basic"],
)
async def test_a_refused_token_closes_4403(open_socket, payload, reason):
    socket = await open_socket()

    await init(socket, payload)

    await assert_closed(socket, 4403, reason)


@pytest.mark.django_db(transaction=True)
async def test_a_token_of_an_inactive_user_closes_4403(open_socket, ada):
    ada.is_active = False
    await in_db(ada.save)
    socket = await open_socket()

    await init(socket, {"token": bearer_for(ada)})

    await assert_closed(socket, 4403, "The session has ended.")


async def test_a_second_connection_init_closes_4429(connected):
    socket = await connected()

    await init(socket)

    await assert_closed(socket, 4429, "Too many initialisation requests")


async def test_no_connection_init_in_time_closes_4408(open_socket, settings):
    settings.WEBSOCKET_INIT_TIMEOUT_SECONDS = 0.02
    socket = await open_socket()

    await assert_closed(socket, 4408, "Connection initialisation timeout")


async def test_subscribe_before_the_ack_closes_4401(open_socket):
    socket = await open_socket()

    await subscribe(socket, "1", LANGUAGES)

    await assert_closed(socket, 4401, "Unauthorized")


# ---------------------------------------------------------------------------------------------
# Ping and pong
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("ping", "pong"),
    [
        ({"type": "ping"}, {"type": "pong"}),
        ({"type": "ping", "payload": {"sent": 17}}, {"type": "pong", "payload": {"sent": 17}}),
    ],
    ids=["bare", "payload"],
)
async def test_a_ping_is_answered_with_a_pong(connected, ping, pong):
    socket = await connected()

    await socket.send_json_to(ping)

    assert await receive(socket) == pong


async def test_a_ping_is_answered_before_connection_init_too(open_socket):
    socket = await open_socket()

    await socket.send_json_to({"type": "ping"})

    assert await receive(socket) == {"type": "pong"}


async def test_an_unsolicited_pong_is_ignored(connected):
    socket = await connected()

    await socket.send_json_to({"type": "pong", "payload": {"beat": 1}})

    # The consumer answers frames in order: a ping's pong is the next frame, nothing before it.
    await nothing_before(sentinel_ping(socket), {socket: SENTINEL_PONG})


async def test_the_server_pings_and_takes_the_pong(connected, settings):
    settings.WEBSOCKET_KEEPALIVE_SECONDS = 0.05
    socket = await connected()

    assert await receive(socket) == {"type": "ping"}
    await socket.send_json_to({"type": "pong"})

    # Still open: the next keepalive comes, not a close.
    assert await receive(socket) == {"type": "ping"}


# ---------------------------------------------------------------------------------------------
# Invalid messages
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("{not json", "Message is not valid JSON"),
        ("[" * 5_000 + "]" * 5_000, "Message is not valid JSON"),
        ([], "Message must be a JSON object"),
        ({"payload": {}}, "Message is missing the 'type' property"),
        ({"type": "subscription"}, "Unexpected message type 'subscription'"),
        ({"type": "next", "id": "1", "payload": {}}, "Unexpected message type 'next'"),
        ({"type": "connection_ack"}, "Unexpected message type 'connection_ack'"),
        (
            {"type": "subscribe", "payload": {"query": LANGUAGES}},
            "'subscribe' message needs a non-empty string 'id'",
        ),
        (
            {"type": "subscribe", "id": "", "payload": {"query": LANGUAGES}},
            "'subscribe' message needs a non-empty string 'id'",
        ),
        (
            {"type": "subscribe", "id": 1, "payload": {"query": LANGUAGES}},
            "'subscribe' message needs a non-empty string 'id'",
        ),
        ({"type": "subscribe", "id": "1"}, "'subscribe' payload must be an object"),
        (
            {"type": "subscribe", "id": "1", "payload": {}},
            "'subscribe' payload needs a string 'query'",
        ),
        (
            {"type": "subscribe", "id": "1", "payload": {"query": LANGUAGES, "variables": []}},
            "'subscribe' payload 'variables' must be an object or null",
        ),
        (
            {"type": "subscribe", "id": "1", "payload": {"query": LANGUAGES, "extensions": 1}},
            "'subscribe' payload 'extensions' must be an object or null",
        ),
        (
            {"type": "subscribe", "id": "1", "payload": {"query": LANGUAGES, "operationName": 1}},
            "'subscribe' payload 'operationName' must be a string or null",
        ),
        ({"type": "complete"}, "'complete' message needs a non-empty string 'id'"),
        ({"type": "ping", "payload": "hello"}, "'ping' payload must be an object or null"),
        (b"\x00binary", "Messages are JSON in text frames"),
    ],
)
async def test_an_invalid_message_closes_4400_saying_why(connected, message, reason):
    socket = await connected()

    if isinstance(message, bytes):
        await socket.send_to(bytes_data=message)
    else:
        await socket.send_to(text_data=message if isinstance(message, str) else json.dumps(message))

    await assert_closed(socket, 4400, reason)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ([], "'connection_init' payload must be an object or null"),
        ({"token": 5}, "'token' must be a string"),
        ({"authorization": ["Bearer x"]}, "'authorization' must be a string"),
        ({"language": 5}, "'language' must be a string"),
    ],
)
async def test_an_invalid_connection_init_closes_4400(open_socket, payload, reason):
    socket = await open_socket()

    await socket.send_json_to({"type": "connection_init", "payload": payload})

    await assert_closed(socket, 4400, reason)


# ---------------------------------------------------------------------------------------------
# Queries and mutations
# ---------------------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("accept_language", "payload"),
    [("ru-RU,ru;q=0.9,en;q=0.5", None), ("en", {"language": "ru"})],
    ids=["accept-language", "connection-init"],
)
async def test_a_query_answers_next_then_complete_in_the_connections_language(
    connected, aktau, accept_language, payload
):
    socket = await connected(
        payload=payload, headers=[(b"accept-language", accept_language.encode())]
    )

    await subscribe(socket, "cities", CITIES)

    assert await receive(socket) == next_frame(
        "cities", {"cities": {"edges": [{"node": {"name": "Актау"}}]}}
    )
    assert await receive(socket) == complete_frame("cities")


@pytest.mark.django_db(transaction=True)
async def test_the_language_holds_for_the_connection_only(connected, aktau):
    russian = await connected(payload={"language": "ru"})
    english = await connected()

    await subscribe(russian, "1", CITIES)
    await subscribe(english, "1", CITIES)

    assert await receive(russian) == next_frame(
        "1", {"cities": {"edges": [{"node": {"name": "Актау"}}]}}
    )
    assert await receive(english) == next_frame(
        "1", {"cities": {"edges": [{"node": {"name": "Aktau"}}]}}
    )


@pytest.mark.django_db(transaction=True)
async def test_a_mutation_over_the_socket_changes_the_database(connected, ada, aktau):
    socket = await connected(payload={"token": bearer_for(ada)})

    await subscribe(socket, "follow", CITY_FOLLOW, {"city": to_global_id("City", aktau.pk)})

    assert await receive(socket) == next_frame(
        "follow", {"cityFollow": {"city": {"name": "Aktau"}, "errors": []}}
    )
    assert await receive(socket) == complete_frame("follow")
    follows = CityFollow.objects.filter(user=ada, city=aktau)
    assert await in_db(follows.exists)


async def test_a_mutation_needing_a_viewer_answers_unauthenticated_in_next(connected):
    socket = await connected()

    await subscribe(socket, "follow", CITY_FOLLOW, {"city": to_global_id("City", 1)})

    assert await receive(socket) == {
        "id": "follow",
        "type": "next",
        "payload": {
            "data": {"cityFollow": None},
            "errors": [
                {
                    "message": "Sign in first.",
                    "locations": [{"line": 3, "column": 3}],
                    "path": ["cityFollow"],
                    "extensions": {"code": "UNAUTHENTICATED"},
                }
            ],
        },
    }
    assert await receive(socket) == complete_frame("follow")


@pytest.mark.parametrize(
    ("query", "error"),
    [
        (
            "{ zzz }",
            {
                "message": "Cannot query field 'zzz' on type 'Query'.",
                "locations": [{"line": 1, "column": 3}],
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            },
        ),
        (
            "{ languages {",
            {
                "message": "Syntax Error: Expected Name, found <EOF>.",
                "locations": [{"line": 1, "column": 14}],
                "extensions": {"code": "GRAPHQL_PARSE_FAILED"},
            },
        ),
        (
            "query A { languages { code } } query B { languages { code } }",
            {
                "message": "Must provide operation name if query contains multiple operations.",
                "extensions": {"code": "OPERATION_RESOLUTION_FAILURE"},
            },
        ),
    ],
    ids=["validation", "syntax", "ambiguous"],
)
async def test_a_document_that_cannot_run_gets_an_error_and_no_complete(connected, query, error):
    socket = await connected()

    await subscribe(socket, "bad", query)

    assert await receive(socket) == error_frame("bad", error)
    # No complete: the operation ended with its error, and the ping's pong comes next.
    await nothing_before(sentinel_ping(socket), {socket: SENTINEL_PONG})


async def test_a_query_id_may_be_used_again_once_complete(connected):
    socket = await connected()

    for _ in range(2):
        await subscribe(socket, "again", LANGUAGES)
        assert await receive(socket) == next_frame(
            "again", {"languages": [{"code": "en"}, {"code": "ru"}, {"code": "kk"}, {"code": "ur"}]}
        )
        assert await receive(socket) == complete_frame("again")


async def test_complete_for_an_unknown_id_is_ignored(connected):
    socket = await connected()

    await socket.send_json_to({"id": "never-started", "type": "complete"})
    await socket.send_json_to({"type": "ping"})

    assert await receive(socket) == {"type": "pong"}


query_only_application = AllowedOriginMiddleware(
    GraphQLWebsocketConsumer.as_asgi(schema=graphene.Schema(query=SampleQuery))
)


async def test_a_subscription_on_a_schema_without_subscriptions_is_an_error(connected):
    socket = await connected(query_only_application)

    await subscribe(socket, "sub", "subscription { languages { code } }")

    assert await receive(socket) == error_frame(
        "sub",
        {
            "message": "Schema is not configured to execute subscription operation.",
            "locations": [{"line": 1, "column": 1}],
        },
    )
    # No complete: the operation ended with its error, and the ping's pong comes next.
    await nothing_before(sentinel_ping(socket), {socket: SENTINEL_PONG})


# ---------------------------------------------------------------------------------------------
# Subscriptions
# ---------------------------------------------------------------------------------------------
async def test_a_subscription_hears_its_group_until_the_client_completes_it(connected, discarded):
    group = channel_groups.group_name(channel_groups.CITY_ANNOUNCEMENTS, id=1)
    other_group = channel_groups.group_name(channel_groups.CITY_ANNOUNCEMENTS, id=2)
    socket = await connected(sample_application)
    for operation_id, listened_to in (("news", group), ("other", other_group)):
        await subscribe(socket, operation_id, NEWS, {"group": listened_to})
        assert await receive(socket) == next_frame(
            operation_id, {"news": {"text": "listening", "cityName": None}}
        )

    await channel_groups.broadcast(group, {"text": "Festival on Saturday"})

    assert await receive(socket) == next_frame(
        "news", {"news": {"text": "Festival on Saturday", "cityName": None}}
    )

    await socket.send_json_to({"id": "news", "type": "complete"})

    await eventually(lambda: group in discarded)
    await channel_groups.broadcast(group, {"text": "Nobody listens"})
    # The socket's other subscription hears the next broadcast, through the same channel.
    await nothing_before(
        channel_groups.broadcast(other_group, {"text": "Still listening"}),
        {socket: next_frame("other", {"news": {"text": "Still listening", "cityName": None}})},
    )


@pytest.mark.django_db(transaction=True)
async def test_subscription_events_read_the_database_in_the_connections_language(connected, aktau):
    group = channel_groups.group_name(channel_groups.CITY_ANNOUNCEMENTS, id=aktau.pk)
    socket = await connected(sample_application, payload={"language": "ru"})
    await subscribe(socket, "news", NEWS, {"group": group})
    assert await receive(socket) == next_frame(
        "news", {"news": {"text": "listening", "cityName": None}}
    )

    await channel_groups.broadcast(group, {"text": "Renamed", "city": aktau.pk})

    assert await receive(socket) == next_frame(
        "news", {"news": {"text": "Renamed", "cityName": "Актау"}}
    )


@pytest.mark.django_db(transaction=True)
async def test_a_broadcast_on_commit_arrives_after_the_commit(connected):
    group = channel_groups.group_name(channel_groups.EVENT_CHANGES, id=7)
    socket = await connected(sample_application)
    await subscribe(socket, "news", NEWS, {"group": group})
    assert await receive(socket) == next_frame(
        "news", {"news": {"text": "listening", "cityName": None}}
    )

    def change_the_event():
        with transaction.atomic():
            channel_groups.broadcast_on_commit(group, {"text": "Moved to Sunday"})

    await in_db(change_the_event)

    assert await receive(socket) == next_frame(
        "news", {"news": {"text": "Moved to Sunday", "cityName": None}}
    )


async def test_two_operations_on_one_group_share_the_membership(connected, discarded):
    group = channel_groups.group_name(channel_groups.EVENTS_ANNOUNCED)
    socket = await connected(sample_application)
    for operation_id in ("a", "b"):
        await subscribe(socket, operation_id, NEWS, {"group": group})
        assert await receive(socket) == next_frame(
            operation_id, {"news": {"text": "listening", "cityName": None}}
        )

    await socket.send_json_to({"id": "a", "type": "complete"})
    await channel_groups.broadcast(group, {"text": "Announced"})

    assert await receive(socket) == next_frame(
        "b", {"news": {"text": "Announced", "cityName": None}}
    )
    assert discarded == []


async def test_a_finite_subscription_ends_with_complete_from_the_server(connected):
    socket = await connected(sample_application)

    await subscribe(socket, "count", COUNTDOWN)

    for number in (3, 2, 1):
        assert await receive(socket) == next_frame("count", {"countdown": number})
    assert await receive(socket) == complete_frame("count")


async def test_a_subscription_refused_by_its_resolver_is_an_error(connected):
    socket = await connected(sample_application)

    await subscribe(socket, "no", FORBIDDEN)

    assert await receive(socket) == error_frame(
        "no", {"message": "You may not do this.", "extensions": {"code": "PERMISSION_DENIED"}}
    )
    # No complete: the operation ended with its error, and the ping's pong comes next.
    await nothing_before(sentinel_ping(socket), {socket: SENTINEL_PONG})


async def test_a_duplicate_operation_id_closes_4409(connected):
    socket = await connected(sample_application)
    await subscribe(socket, "news", NEWS, {"group": "events.announced"})
    assert await receive(socket) == next_frame(
        "news", {"news": {"text": "listening", "cityName": None}}
    )

    await subscribe(socket, "news", NEWS, {"group": "events.announced"})

    await assert_closed(socket, 4409, "Subscriber for news already exists")


async def test_a_bug_in_a_subscriptions_stream_ends_it_masked_and_logged(connected, caplog):
    socket = await connected(sample_application, headers=[(b"x-request-id", b"conn-4711-abc")])

    with caplog.at_level(logging.ERROR, logger="graphql_server.runner"):
        await subscribe(socket, "bug", BROKEN)

        assert await receive(socket) == next_frame("bug", {"broken": 1})
        assert await receive(socket) == error_frame(
            "bug",
            {
                "message": "Internal server error.",
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "conn-4711-abc"},
            },
        )

    [record] = [record for record in caplog.records if record.name == "graphql_server.runner"]
    assert "conn-4711-abc" in record.getMessage()
    assert record.exc_info[1].args == ("a bug in a resolver",)
    # The one operation ended; the socket serves the next.
    await subscribe(socket, "hello", HELLO)
    assert await receive(socket) == next_frame("hello", {"hello": "hello"})


async def test_a_listener_that_falls_behind_ends_with_too_many_events(monkeypatch):
    monkeypatch.setattr(context, "LISTEN_QUEUE_SIZE", 1)

    class Consumer:
        async def join_group(self, stream):
            pass

    stream = context.GroupStream(Consumer(), "events.announced")
    stream.deliver({"n": 1})
    stream.deliver({"n": 2})

    with pytest.raises(GraphQLError) as raised:
        await anext(stream)
    assert raised.value.formatted == {
        "message": "Events arrived faster than they could be sent; subscribe again.",
        "extensions": {"code": "TOO_MANY_EVENTS"},
    }


def test_group_names_come_from_templates_and_are_checked():
    assert channel_groups.group_name(channel_groups.EVENT_CHAT, id=7) == "event.7.chat"
    with pytest.raises(ValueError, match="not a valid group name"):
        channel_groups.group_name(channel_groups.EVENT_CHAT, id="RXZlbnQ6Nw==")


# ---------------------------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------------------------
async def test_a_message_over_the_size_limit_closes_4413(connected, settings):
    settings.WEBSOCKET_MAX_MESSAGE_BYTES = 200
    socket = await connected()

    await subscribe(socket, "big", "{ languages { code } }" + " " * 200)

    await assert_closed(socket, 4413, "Message too big")


async def test_the_size_limit_counts_bytes_not_characters(connected, settings):
    settings.WEBSOCKET_MAX_MESSAGE_BYTES = 200
    socket = await connected()

    # 60 Cyrillic letters: 60 characters of the JSON, 120 of its bytes.
    await subscribe(socket, "big", "# " + "я" * 60 + "\n{ languages { code } }")

    await assert_closed(socket, 4413, "Message too big")


async def test_subscriptions_beyond_the_limit_get_an_error_and_the_socket_stays(
    connected, settings
):
    settings.WEBSOCKET_MAX_SUBSCRIPTIONS = 1
    socket = await connected(sample_application)
    await subscribe(socket, "a", NEWS, {"group": "events.announced"})
    assert await receive(socket) == next_frame(
        "a", {"news": {"text": "listening", "cityName": None}}
    )

    await subscribe(socket, "b", NEWS, {"group": "events.announced"})

    assert await receive(socket) == error_frame(
        "b",
        {
            "message": "Too many subscriptions on this connection (at most 1).",
            "extensions": {"code": "TOO_MANY_SUBSCRIPTIONS"},
        },
    )
    # Queries are not subscriptions, and a completed subscription frees its place.
    await subscribe(socket, "c", HELLO)
    assert await receive(socket) == next_frame("c", {"hello": "hello"})
    assert await receive(socket) == complete_frame("c")
    await socket.send_json_to({"id": "a", "type": "complete"})
    await subscribe(socket, "b", COUNTDOWN)
    assert await receive(socket) == next_frame("b", {"countdown": 3})


@pytest.mark.django_db(transaction=True)
async def test_connections_beyond_the_limit_per_user_close_4008(
    connected, open_socket, settings, ada
):
    settings.WEBSOCKET_MAX_CONNECTIONS_PER_USER = 1
    # The count lives in the cache, which Redis keeps between runs (and user IDs start over).
    counted = limits.ConnectionSlot(f"user:{ada.pk}", 1, owner="")
    await sync_to_async(cache.delete_many)(counted.keys)
    first = await connected(payload={"token": bearer_for(ada)})

    second = await open_socket(client=("198.51.100.9", 40000))
    await init(second, {"token": bearer_for(ada)})

    await assert_closed(second, 4008, "Too many connections")
    # The place is free again once the first connection has gone.
    await disconnect(first)
    await connected(payload={"token": bearer_for(ada)})


async def test_the_connections_of_a_process_share_one_cache_client(connected, monkeypatch):
    # Django's cache is one client per async context, and each connection runs in a context
    # of its own: counting connections through it held a Redis connection per socket.
    made = []
    original = caches.create_connection

    def create_connection(alias):
        made.append(alias)
        return original(alias)

    monkeypatch.setattr(caches, "create_connection", create_connection)
    run = random.randrange(1 << 15)
    address = f"198.{18 + (run >> 14)}.{run >> 6 & 255}.{(run & 63) * 4}"

    for port in range(10):
        await connected(client=(address, 3000 + port))

    assert len(made) <= 1


async def test_anonymous_connections_beyond_the_limit_per_address_close_4008(
    connected, open_socket, settings
):
    settings.WEBSOCKET_MAX_ANONYMOUS_CONNECTIONS_PER_IP = 1
    # Addresses of this run only: the count lives in the cache, which Redis keeps between runs.
    run = random.randrange(1 << 15)
    here, there = (f"198.{18 + (run >> 14)}.{run >> 6 & 255}.{(run & 63) * 4 + n}" for n in (1, 2))
    await connected(client=(here, 1000))
    await connected(client=(there, 1000))

    third = await open_socket(client=(here, 2000))
    await init(third)

    await assert_closed(third, 4008, "Too many connections")


async def test_operations_beyond_the_rate_get_rate_limited(connected, settings):
    settings.WEBSOCKET_OPERATIONS_PER_SECOND = 0.5
    settings.WEBSOCKET_OPERATIONS_BURST = 2
    socket = await connected(sample_application)
    for operation_id in ("1", "2"):
        await subscribe(socket, operation_id, HELLO)
        assert await receive(socket) == next_frame(operation_id, {"hello": "hello"})
        assert await receive(socket) == complete_frame(operation_id)

    await subscribe(socket, "3", HELLO)

    assert await receive(socket) == error_frame(
        "3",
        {
            "message": "Too many operations; retry later.",
            "extensions": {"code": "RATE_LIMITED", "retryAfter": pytest.approx(2.0, abs=0.2)},
        },
    )


async def test_a_client_that_keeps_flooding_is_closed_4008(connected, settings):
    settings.WEBSOCKET_OPERATIONS_PER_SECOND = 0.001
    settings.WEBSOCKET_OPERATIONS_BURST = 1
    socket = await connected(sample_application)
    await subscribe(socket, "1", HELLO)
    assert await receive(socket) == next_frame("1", {"hello": "hello"})
    assert await receive(socket) == complete_frame("1")
    await subscribe(socket, "2", HELLO)
    assert (await receive(socket))["type"] == "error"

    await subscribe(socket, "3", HELLO)

    await assert_closed(socket, 4008, "Too many operations")


# ---------------------------------------------------------------------------------------------
# Origin
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("origin", "accepted"),
    [
        (None, True),
        (f"http://{HOST}", True),
        ("https://app.twinning.test", True),
        ("https://evil.test", False),
        (f"https://{HOST}.evil.test", False),
        ("https://localhost.evil.test", False),
        ("null", False),
    ],
    ids=["absent", "same-host", "allowed", "other-site", "bad-port", "look-alike", "null"],
)
async def test_the_handshake_checks_the_origin(open_socket, settings, origin, accepted):
    settings.WEBSOCKET_ALLOWED_ORIGINS = ["https://app.twinning.test"]
    headers = [(b"origin", origin.encode())] if origin else []

    socket = await open_socket(headers=headers, accepted=accepted)

    if accepted:
        await init(socket)
        assert await receive(socket) == {"type": "connection_ack"}


# ---------------------------------------------------------------------------------------------
# Rate limits, metrics and request IDs of the socket
# ---------------------------------------------------------------------------------------------
def metric(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.django_db(transaction=True)
async def test_mutations_over_the_socket_count_on_the_http_limits(connected, settings, ada, aktau):
    settings.RATE_LIMIT_MUTATIONS_USER = Rate(1, 60)
    socket = await connected(payload={"token": bearer_for(ada)})
    variables = {"city": to_global_id("City", aktau.pk)}
    await subscribe(socket, "1", CITY_FOLLOW, variables)
    assert (await receive(socket))["payload"]["data"]["cityFollow"]["errors"] == []
    assert await receive(socket) == complete_frame("1")

    await subscribe(socket, "2", CITY_FOLLOW, variables)

    frame = await receive(socket)
    assert frame["payload"]["data"] == {"cityFollow": None}
    (error,) = frame["payload"]["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert 1 <= error["extensions"]["retryAfter"] <= 60


async def test_open_and_closed_connections_are_counted(open_socket):
    opened = metric("twinning_websocket_connections_open")
    closed_normally = metric("twinning_websocket_connections_closed_total", code="1000")
    socket = await open_socket()

    assert metric("twinning_websocket_connections_open") == opened + 1
    await socket.disconnect(code=1000, timeout=0.2)

    assert metric("twinning_websocket_connections_open") == opened
    assert metric("twinning_websocket_connections_closed_total", code="1000") == closed_normally + 1


def test_every_close_code_of_the_server_has_a_series_of_its_own():
    assert {int(code) for code in protocol.CloseCode} == metrics.SERVER_CLOSE_CODES
    assert metrics.close_code_label(4403) == "4403"
    assert metrics.close_code_label(1001) == "1001"
    # Codes a client makes up share one series.
    assert metrics.close_code_label(4999) == "other"
    assert metrics.close_code_label(None) == "other"


async def test_operations_over_the_socket_are_counted_by_type_and_outcome(connected):
    queries = metric("twinning_graphql_operations_total", type="query", outcome="success")
    failed = metric("twinning_graphql_operations_total", type="mutation", outcome="error")
    socket = await connected(sample_application)

    await subscribe(socket, "1", HELLO)
    assert await receive(socket) == next_frame("1", {"hello": "hello"})
    assert await receive(socket) == complete_frame("1")
    socket = await connected()
    await subscribe(socket, "2", CITY_FOLLOW, {"city": to_global_id("City", 1)})
    assert (await receive(socket))["payload"]["errors"][0]["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )

    assert metric("twinning_graphql_operations_total", type="query", outcome="success") == (
        queries + 1
    )
    assert metric("twinning_graphql_operations_total", type="mutation", outcome="error") == (
        failed + 1
    )


@pytest.mark.parametrize(
    ("header", "kept"),
    [(b"b7c1d0e4-5a1f-4a53-9d0b-0d1f9f2a7c11", True), (b"bad id", False), (None, False)],
)
async def test_each_connection_logs_with_a_request_id_of_its_own(header, kept):
    seen = []

    async def application(scope, receive, send):
        seen.append(request_id_var.get())

    headers = [(b"x-request-id", header)] if header else []
    await WebsocketRequestIdMiddleware(application)(
        {"type": "websocket", "headers": headers}, None, None
    )

    (request_id,) = seen
    if kept:
        assert request_id == header.decode()
    else:
        assert uuid.UUID(request_id)
    assert request_id_var.get() is None


async def test_an_empty_operation_name_runs_the_documents_only_operation(connected):
    socket = await connected()

    payload = {"query": LANGUAGES, "operationName": ""}
    await socket.send_json_to({"id": "unnamed", "type": "subscribe", "payload": payload})

    assert await receive(socket) == next_frame(
        "unnamed", {"languages": [{"code": "en"}, {"code": "ru"}, {"code": "kk"}, {"code": "ur"}]}
    )
    assert await receive(socket) == complete_frame("unnamed")
