"""Fixtures of the chat's API tests: rooms open now or not, the people in them, and helpers
that send through the API."""

import asyncio
import datetime
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.db import connections
from django.utils import timezone
from graphql_relay import to_global_id

from backend.asgi import application
from chat import presence
from cities.models import OfficeMembership
from tests.conftest import bearer_for
from tests.factories import ChatMessageFactory, MembershipFactory
from tests.sockets import HOST, PROTOCOL, close_all, in_db, init, receive

Role = OfficeMembership.Role

SEND = """
mutation Send($event: ID!, $body: String!, $clientId: String!, $replyTo: ID) {
  chatMessageSend(event: $event, body: $body, clientId: $clientId, replyTo: $replyTo) {
    message {
      id seq body author { id displayName } replyTo { seq body } isDeleted clientId cursor
    }
    errors { field code message }
  }
}
"""

MESSAGES = """
subscription Chat($event: ID!, $after: String) {
  chatMessages(event: $event, after: $after) {
    kind cursor
    message { seq body author { displayName } replyTo { seq body } isDeleted }
  }
}
"""


@pytest.fixture(autouse=True)
def clear_cache():
    """Rate-limit counters live in the cache and presence in Redis on the second leg, in
    memory on the first: each test starts without any."""
    forget_presence()
    yield
    forget_presence()


def forget_presence():
    cache.clear()
    store = presence.store()
    if isinstance(store, presence.MemoryPresence):
        store.clear()
    else:
        # Clearing the cache leaves the rest of the Redis database alone: presence's keys go
        # here, and no other keys.
        for key in store.client.scan_iter(f"{store.PREFIX}:*"):
            store.client.delete(key)


def gid(instance) -> str:
    return to_global_id(type(instance).__name__, instance.pk)


def minutes(n: float) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


@pytest.fixture
def room(event_factory):
    """An announced event that started half an hour ago and ends in an hour: its room is open."""
    now = timezone.now()
    return event_factory(
        title_en="Caspian jazz", starts_at=now - minutes(30), ends_at=now + minutes(60)
    )


@pytest.fixture
def other_room(event_factory):
    """Another event on now, of another office."""
    now = timezone.now()
    return event_factory(
        title_en="Silk days", starts_at=now - minutes(10), ends_at=now + minutes(120)
    )


@pytest.fixture
def ada(user_factory):
    return user_factory(email="ada@example.org", display_name="Ada")


@pytest.fixture
def bob(user_factory):
    return user_factory(email="bob@example.org", display_name="Bob")


@pytest.fixture
def moderator(user_factory, room):
    """A MODERATOR of the office that organises ``room``."""
    user = user_factory(email="moderator@example.org", display_name="Mod")
    MembershipFactory(user=user, office=room.office, role=Role.MODERATOR)
    return user


@pytest.fixture
def message_factory(db):
    return ChatMessageFactory


def send_as(gql, user, event, body, client_id="c-1", reply_to=None, query=SEND):
    """chatMessageSend over HTTP; the payload (message and errors)."""
    variables = {"event": gid(event), "body": body, "clientId": client_id}
    if reply_to is not None:
        variables["replyTo"] = reply_to
    result = gql(query, variables, user=user)
    assert "errors" not in result, result
    return result["data"]["chatMessageSend"]


# Websockets (the tests using them also use ``database_thread``).
@pytest.fixture
async def database_thread():
    """The consumer's database work and ``in_db`` in one known thread, whose connections are
    closed when the test ends (as in tests/graphql_server/websocket/test_protocol.py)."""
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=1))
    yield
    await loop.run_in_executor(None, connections.close_all)


@pytest.fixture
async def connected():
    """Open a websocket through connection_init → connection_ack, signed in as ``user`` when
    given; every socket is closed after the test."""
    sockets = []

    async def connect(user=None):
        socket = WebsocketCommunicator(
            application, "/graphql/", headers=[(b"host", HOST.encode())], subprotocols=[PROTOCOL]
        )
        socket.scope["client"] = ("203.0.113.7", 50000)
        sockets.append(socket)
        assert (await socket.connect())[0]
        payload = {"token": await in_db(bearer_for, user)} if user is not None else {}
        await init(socket, payload)
        assert await receive(socket) == {"type": "connection_ack"}
        return socket

    yield connect
    await close_all(sockets)
