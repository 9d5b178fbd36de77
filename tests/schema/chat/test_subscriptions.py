"""chatMessages over the websocket, frame by frame: what subscribers of a room hear when messages
are sent, and what they never hear; catching up from a cursor; no query per delivery.

Messages are sent through the API over the socket, or through the service in a worker thread
(``in_db``), so that their broadcasts leave on commit as in production.
"""

import asyncio
import base64
import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections, transaction

from chat import payload, services
from chat.models import ChatMessage
from chat.payload import MessageChange
from cities.models import OfficeMembership
from core import channel_groups
from events import services as event_services
from events.models import Event
from schema.chat import resolvers, subscriptions
from schema.chat.resolvers import cursor_of
from tests.factories import MembershipFactory
from tests.sentinels import nothing_before
from tests.sockets import (
    complete_frame,
    disconnect,
    error_frame,
    in_db,
    next_frame,
    receive,
    subscribe,
)
from tests.waiting import eventually

from .conftest import MESSAGES, SEND, gid

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("database_thread")]


# ---------------------------------------------------------------------------------------------
# Sockets
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def rooms_read(monkeypatch):
    """The events whose room a chatMessages subscription opened (after joining its group)."""
    opened = []
    original = subscriptions.open_room

    def open_room(account, pk):
        found = original(account, pk)
        opened.append(pk)
        return found

    monkeypatch.setattr(subscriptions, "open_room", open_room)
    return opened


async def follow(socket, rooms_read, operation_id, event, after=None, query=MESSAGES):
    """Subscribe to the event's chat and wait until the subscription has joined the room and
    read where it stands: what commits from then on is heard."""
    before = rooms_read.count(event.pk)
    variables = {"event": gid(event)}
    if after is not None:
        variables["after"] = after
    await subscribe(socket, operation_id, query, variables)
    # The subscription joins the room's group before it opens the room: once the room is
    # read, whatever commits is heard.
    await eventually(lambda: rooms_read.count(event.pk) > before)


def say(user, event, body, client_id=None, reply_to=None):
    """Send through the service, in the database thread: the broadcast leaves on commit."""
    return in_db(
        services.send_message, user, event, body, client_id or f"{user.pk}-{body}", reply_to
    )


def encoded(message, change, **changes):
    """The payload the services would broadcast of ``change`` to ``message``, with
    ``changes`` made to it (a payload no service would send)."""
    return payload.encode(dataclasses.replace(payload.broadcast_of(message, change), **changes))


def message(seq, body, author="Ada", reply_to=None):
    return {
        "seq": seq,
        "body": body,
        "author": {"displayName": author},
        "replyTo": reply_to,
        "isDeleted": False,
    }


def chat_frame(operation_id, kind, seq, body, author="Ada", reply_to=None):
    return next_frame(
        operation_id,
        {
            "chatMessages": {
                "kind": kind,
                "cursor": cursor_of(seq),
                "message": message(seq, body, author, reply_to),
            }
        },
    )


def deleted_frame(operation_id, seq):
    return next_frame(
        operation_id,
        {
            "chatMessages": {
                "kind": "DELETED",
                "cursor": cursor_of(seq),
                "message": {
                    "seq": seq,
                    "body": None,
                    "author": None,
                    "replyTo": None,
                    "isDeleted": True,
                },
            }
        },
    )


@pytest.fixture(autouse=True)
def unlimited(settings):
    """These tests send faster than people type; the limit has tests of its own."""
    settings.CHAT_RATE = "0/s"


# ---------------------------------------------------------------------------------------------
# Live messages
# ---------------------------------------------------------------------------------------------
async def test_a_message_sent_reaches_every_subscriber_of_the_room(
    connected, rooms_read, room, ada, bob
):
    watcher = await connected()
    sender = await connected(user=ada)
    await follow(watcher, rooms_read, "chat", room)
    await follow(sender, rooms_read, "mine", room)

    # Ada sends over her own socket: the mutation's answer and the broadcast come back (in
    # either order: the broadcast leaves as the mutation's transaction commits).
    await subscribe(
        sender,
        "send",
        SEND,
        {"event": gid(room), "body": "  Hello, Aktau!  ", "clientId": "c-1"},
    )
    frames = {}
    for _ in range(3):
        frame = await receive(sender)
        frames.setdefault(frame["id"], []).append(frame)
    [answer, done] = frames["send"]
    assert answer["payload"]["data"]["chatMessageSend"]["message"]["body"] == "Hello, Aktau!"
    assert done == complete_frame("send")
    assert frames["mine"] == [chat_frame("mine", "CREATED", 1, "Hello, Aktau!")]
    assert await receive(watcher) == chat_frame("chat", "CREATED", 1, "Hello, Aktau!")

    # A reply, through the service, reaches both with the message it answers.
    first = await in_db(lambda: ChatMessage.objects.get(event=room, seq=1))
    await say(bob, room, "Hello from Bursa", reply_to=first)
    quote = {"seq": 1, "body": "Hello, Aktau!"}
    for socket, operation_id in ((watcher, "chat"), (sender, "mine")):
        assert await receive(socket) == chat_frame(
            operation_id, "CREATED", 2, "Hello from Bursa", "Bob", quote
        )

    # Each once: the next message is the next frame.
    await nothing_before(
        say(ada, room, "Sentinel"),
        {
            watcher: chat_frame("chat", "CREATED", 3, "Sentinel"),
            sender: chat_frame("mine", "CREATED", 3, "Sentinel"),
        },
    )


async def test_a_subscriber_never_hears_another_events_chat(
    connected, rooms_read, room, other_room, ada
):
    socket = await connected()
    await follow(socket, rooms_read, "chat", room)

    await say(ada, other_room, "Wrong room")
    # Even a payload sent to this room's group that names another event is dropped.
    stray = await in_db(lambda: ChatMessage.objects.get(event=other_room))
    elsewhere = await in_db(encoded, stray, MessageChange.CREATED)
    await channel_groups.broadcast(
        channel_groups.group_name(channel_groups.EVENT_CHAT, id=room.pk), elsewhere
    )

    # A message sent in the room afterwards is the first frame.
    await nothing_before(
        say(ada, room, "Right room"), {socket: chat_frame("chat", "CREATED", 1, "Right room")}
    )


async def test_a_payload_of_an_event_that_is_not_public_is_never_delivered(
    connected, rooms_read, room, ada
):
    socket = await connected()
    await follow(socket, rooms_read, "chat", room)
    first = await say(ada, room, "Public")
    assert await receive(socket) == chat_frame("chat", "CREATED", 1, "Public")

    # An edit, newer than what the subscriber has of the message, saying the event is hidden.
    first.body, first.revision = "Hidden", first.revision + 1
    hidden = await in_db(lambda: encoded(first, MessageChange.EDITED, public=False))
    await channel_groups.broadcast(
        channel_groups.group_name(channel_groups.EVENT_CHAT, id=room.pk), hidden
    )

    # A message sent in the room afterwards is the next frame.
    await nothing_before(
        say(ada, room, "Still public"), {socket: chat_frame("chat", "CREATED", 2, "Still public")}
    )


CHANGES = """
subscription Chat($event: ID!) {
  chatMessages(event: $event) {
    kind
    message { seq body isDeleted author { displayName } reactions { emoji count } }
  }
}
"""
CHANGES_AFTER = CHANGES.replace("$event: ID!)", "$event: ID!, $after: String)").replace(
    "chatMessages(event: $event)", "chatMessages(event: $event, after: $after)"
)
MINE = """
subscription Chat($event: ID!) {
  chatMessages(event: $event) {
    kind message { seq clientId reactions { emoji count reactedByMe } }
  }
}
"""


def change_frame(operation_id, kind, seq, body, author="Ada", reactions=()):
    deleted = body is None
    return next_frame(
        operation_id,
        {
            "chatMessages": {
                "kind": kind,
                "message": {
                    "seq": seq,
                    "body": body,
                    "isDeleted": deleted,
                    "author": None if deleted else {"displayName": author},
                    "reactions": [{"emoji": emoji, "count": n} for emoji, n in reactions],
                },
            }
        },
    )


async def test_edits_reactions_and_deletions_reach_the_subscribers(
    connected, rooms_read, room, ada, bob, moderator
):
    socket = await connected()
    await follow(socket, rooms_read, "chat", room, query=CHANGES)

    hello = await say(ada, room, "Hello")
    await in_db(services.edit_message, ada, hello, "Hello, Aktau!")
    await in_db(services.toggle_reaction, bob, hello, "🎉")
    await in_db(services.toggle_reaction, ada, hello, "🎉")
    await in_db(services.toggle_reaction, ada, hello, "👍")
    await in_db(services.delete_message, moderator, hello)

    assert await receive(socket) == change_frame("chat", "CREATED", 1, "Hello")
    assert await receive(socket) == change_frame("chat", "EDITED", 1, "Hello, Aktau!")
    assert await receive(socket) == change_frame(
        "chat", "REACTIONS", 1, "Hello, Aktau!", reactions=[("🎉", 1)]
    )
    assert await receive(socket) == change_frame(
        "chat", "REACTIONS", 1, "Hello, Aktau!", reactions=[("🎉", 2)]
    )
    assert await receive(socket) == change_frame(
        "chat", "REACTIONS", 1, "Hello, Aktau!", reactions=[("👍", 1), ("🎉", 2)]
    )
    assert await receive(socket) == change_frame("chat", "DELETED", 1, None)
    # Each change once: the next message is the next frame.
    await nothing_before(
        say(bob, room, "Sentinel"), {socket: change_frame("chat", "CREATED", 2, "Sentinel", "Bob")}
    )


async def test_each_subscriber_sees_its_own_client_ids_and_reactions(
    connected, rooms_read, room, ada, bob
):
    sockets = {}
    for name, user in (("ada", ada), ("bob", bob)):
        sockets[name] = await connected(user=user)
        await follow(sockets[name], rooms_read, "chat", room, query=MINE)

    hello = await say(ada, room, "Hello", client_id="ada-hello")
    await in_db(services.toggle_reaction, bob, hello, "👍")

    def frame(kind, client_id, reacted):
        reactions = (
            [{"emoji": "👍", "count": 1, "reactedByMe": reacted}] if kind != "CREATED" else []
        )
        return next_frame(
            "chat",
            {
                "chatMessages": {
                    "kind": kind,
                    "message": {"seq": 1, "clientId": client_id, "reactions": reactions},
                }
            },
        )

    assert await receive(sockets["ada"]) == frame("CREATED", "ada-hello", False)
    assert await receive(sockets["ada"]) == frame("REACTIONS", "ada-hello", False)
    assert await receive(sockets["bob"]) == frame("CREATED", None, False)
    assert await receive(sockets["bob"]) == frame("REACTIONS", None, True)


# ---------------------------------------------------------------------------------------------
# Subscribing
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def outsider(user_factory, office_factory):
    """A publisher of an office that has nothing to do with the drafts below."""
    user = user_factory(email="outsider@example.org")
    MembershipFactory(user=user, office=office_factory(), role=OfficeMembership.Role.PUBLISHER)
    return user


@pytest.mark.parametrize(
    ("viewer", "target", "message", "code"),
    [
        ("outsider", "draft", "Nothing with this ID.", "NOT_FOUND"),
        ("editor", "draft", "This event has no chat: it is a draft.", "NO_CHAT_ROOM"),
        ("outsider", "nonsense", "'nonsense' is not the ID of an Event.", "INVALID_ID"),
    ],
    ids=["another office's draft", "a draft of one's own office", "not an event's ID"],
)
async def test_subscribing_is_refused_without_a_room_the_viewer_may_see(
    connected, event_factory, user_factory, outsider, viewer, target, message, code
):
    draft = await in_db(lambda: event_factory(status=Event.Status.DRAFT, announced_at=None))
    if viewer == "editor":
        user = await in_db(user_factory)
        await in_db(
            lambda: MembershipFactory(
                user=user, office=draft.office, role=OfficeMembership.Role.EDITOR
            )
        )
    else:
        user = outsider
    socket = await connected(user=user)

    await subscribe(
        socket, "chat", MESSAGES, {"event": gid(draft) if target == "draft" else target}
    )

    assert await receive(socket) == error_frame(
        "chat",
        {
            "message": message,
            "locations": [{"line": 3, "column": 3}],
            "path": ["chatMessages"],
            "extensions": {"code": code, "field": "event"},
        },
    )


def chat_cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "nonsense",
        "Y2hhdDp4",
        cursor_of(1)[:-2],
        chat_cursor("chat:²"),
        chat_cursor("chat:١"),
        chat_cursor("chat:-1"),
        chat_cursor("chat:9223372036854775808"),
        chat_cursor("chat:" + "9" * 1_500),
        chat_cursor("chat:1\x00"),
        chat_cursor("chat:"),
        "A" * 2_048,
    ],
)
async def test_a_cursor_that_is_not_a_messages_is_refused(connected, room, cursor):
    socket = await connected()

    await subscribe(socket, "chat", MESSAGES, {"event": gid(room), "after": cursor})

    assert await receive(socket) == error_frame(
        "chat",
        {
            "message": "after is not a cursor of a chat message.",
            "locations": [{"line": 3, "column": 3}],
            "path": ["chatMessages"],
            "extensions": {"code": "INVALID_CURSOR", "field": "after"},
        },
    )


async def test_a_cancelled_events_room_can_still_be_followed(
    connected, rooms_read, room, ada, user_factory
):
    first = await say(ada, room, "Before the storm")
    publisher = await in_db(user_factory)
    await in_db(
        lambda: MembershipFactory(
            user=publisher, office=room.office, role=OfficeMembership.Role.PUBLISHER
        )
    )
    await in_db(event_services.cancel_event, publisher, room, "Storm warning")
    socket = await connected()

    await follow(socket, rooms_read, "chat", room, after=cursor_of(0))

    assert await receive(socket) == chat_frame("chat", "CREATED", first.seq, "Before the storm")
    # Replayed once: its deletion (which a closed room still allows) is the next frame.
    await nothing_before(
        in_db(services.delete_message, ada, first),
        {socket: deleted_frame("chat", first.seq)},
    )


# ---------------------------------------------------------------------------------------------
# Catching up
# ---------------------------------------------------------------------------------------------
async def test_a_client_that_reconnects_after_its_cursor_gets_every_message_once_in_order(
    connected, rooms_read, room, ada, bob
):
    socket = await connected()
    await follow(socket, rooms_read, "chat", room)
    await say(ada, room, "one")
    assert await receive(socket) == chat_frame("chat", "CREATED", 1, "one")
    cursor = cursor_of(1)
    await disconnect(socket)

    # While the client is away, three messages.
    for author, body in ((bob, "two"), (ada, "three"), (bob, "four")):
        await say(author, room, body)

    again = await connected()
    await follow(again, rooms_read, "chat", room, after=cursor)
    assert await receive(again) == chat_frame("chat", "CREATED", 2, "two", "Bob")
    assert await receive(again) == chat_frame("chat", "CREATED", 3, "three")
    assert await receive(again) == chat_frame("chat", "CREATED", 4, "four", "Bob")
    await say(ada, room, "five")
    assert await receive(again) == chat_frame("chat", "CREATED", 5, "five")
    await nothing_before(
        say(bob, room, "six"), {again: chat_frame("chat", "CREATED", 6, "six", "Bob")}
    )


async def test_catching_up_replays_long_backlogs_in_batches(
    connected, rooms_read, room, ada, message_factory, monkeypatch
):
    monkeypatch.setattr(subscriptions, "BACKLOG_BATCH", 3)
    await in_db(lambda: [message_factory(event=room, author=ada) for _ in range(7)])
    socket = await connected()

    await follow(socket, rooms_read, "chat", room, after=cursor_of(2))

    seqs = [(await receive(socket))["payload"]["data"]["chatMessages"]["message"]["seq"]]
    while seqs[-1] < 7:
        seqs.append((await receive(socket))["payload"]["data"]["chatMessages"]["message"]["seq"])
    assert seqs == [3, 4, 5, 6, 7]
    await nothing_before(
        say(ada, room, "Sentinel"), {socket: chat_frame("chat", "CREATED", 8, "Sentinel")}
    )


async def test_messages_committed_while_catching_up_arrive_once(
    connected, rooms_read, room, ada, bob, monkeypatch
):
    # Given two stored messages, and a third sent while the subscriber reads the backlog:
    await say(ada, room, "one")
    await say(ada, room, "two")
    reading = threading.Event()
    original = resolvers.backlog

    def backlog_then_a_new_message(*args, **kwargs):
        rows = original(*args, **kwargs)
        if not reading.is_set():
            reading.set()
            # Sent (and broadcast) after the backlog was read: heard live only.
            services.send_message(bob, room, "three", "bob-3")
        return rows

    monkeypatch.setattr(resolvers, "backlog", backlog_then_a_new_message)
    socket = await connected()

    await follow(socket, rooms_read, "chat", room, after=cursor_of(0))

    assert await receive(socket) == chat_frame("chat", "CREATED", 1, "one")
    assert await receive(socket) == chat_frame("chat", "CREATED", 2, "two")
    assert await receive(socket) == chat_frame("chat", "CREATED", 3, "three", "Bob")
    # "three" once: the next message is the next frame.
    await nothing_before(say(ada, room, "four"), {socket: chat_frame("chat", "CREATED", 4, "four")})


async def test_a_broadcast_that_overtakes_an_earlier_one_fills_the_gap_from_the_database(
    connected, rooms_read, room, ada, message_factory
):
    socket = await connected()
    await follow(socket, rooms_read, "chat", room)
    # Two messages are stored; the second's broadcast arrives before the first's.
    first, second = await in_db(
        lambda: [
            message_factory(event=room, author=ada, body="first"),
            message_factory(event=room, author=ada, body="second"),
        ]
    )
    group = channel_groups.group_name(channel_groups.EVENT_CHAT, id=room.pk)
    created = MessageChange.CREATED

    await channel_groups.broadcast(group, await in_db(encoded, second, created))
    assert await receive(socket) == chat_frame("chat", "CREATED", 1, "first")
    assert await receive(socket) == chat_frame("chat", "CREATED", 2, "second")

    # The late broadcast of the first is not sent again.
    await channel_groups.broadcast(group, await in_db(encoded, first, created))
    await nothing_before(
        say(ada, room, "third"), {socket: chat_frame("chat", "CREATED", 3, "third")}
    )


async def test_an_update_overtaken_by_a_newer_one_is_dropped(
    connected, rooms_read, room, ada, message_factory
):
    socket = await connected()
    await follow(socket, rooms_read, "chat", room, query=CHANGES)
    hello = await say(ada, room, "Hello")
    assert await receive(socket) == change_frame("chat", "CREATED", 1, "Hello")
    group = channel_groups.group_name(channel_groups.EVENT_CHAT, id=room.pk)
    reactions = MessageChange.REACTIONS

    # Two reactions commit one after the other; their broadcasts arrive the other way round.
    hello.reactions, hello.revision = {"🎉": 1}, 1
    first = await in_db(encoded, hello, reactions)
    hello.reactions, hello.revision = {"🎉": 2}, 2
    second = await in_db(encoded, hello, reactions)
    await channel_groups.broadcast(group, second)
    await channel_groups.broadcast(group, first)

    assert await receive(socket) == change_frame(
        "chat", "REACTIONS", 1, "Hello", reactions=[("🎉", 2)]
    )
    await nothing_before(
        say(ada, room, "Sentinel"), {socket: change_frame("chat", "CREATED", 2, "Sentinel")}
    )


async def test_a_replayed_message_is_not_followed_by_an_older_update_of_it(
    connected, rooms_read, room, ada, bob, monkeypatch
):
    hello = await say(ada, room, "Hello")
    group = channel_groups.group_name(channel_groups.EVENT_CHAT, id=room.pk)
    original = resolvers.backlog
    stale = []

    def backlog_after_two_reactions(*args, **kwargs):
        if not stale:
            # A reaction's broadcast is queued for the subscriber, and a second reaction
            # commits before the backlog is read: the replay has the newer counts.
            services.toggle_reaction(bob, hello, "🎉")
            stale.append(encoded(ChatMessage.objects.get(pk=hello.pk), reactions))
            services.toggle_reaction(ada, hello, "🎉")
        return original(*args, **kwargs)

    reactions = MessageChange.REACTIONS
    monkeypatch.setattr(resolvers, "backlog", backlog_after_two_reactions)
    socket = await connected()

    await follow(socket, rooms_read, "chat", room, after=cursor_of(0), query=CHANGES_AFTER)
    await eventually(lambda: bool(stale))
    await channel_groups.broadcast(group, stale[0])

    assert await receive(socket) == change_frame(
        "chat", "CREATED", 1, "Hello", reactions=[("🎉", 2)]
    )
    await nothing_before(
        say(ada, room, "Sentinel"), {socket: change_frame("chat", "CREATED", 2, "Sentinel")}
    )


# ---------------------------------------------------------------------------------------------
# After commit only
# ---------------------------------------------------------------------------------------------
class RolledBack(Exception):
    pass


async def test_a_message_is_broadcast_once_committed_and_never_if_rolled_back(
    connected, rooms_read, room, ada
):
    socket = await connected()
    await follow(socket, rooms_read, "chat", room)
    before = await say(ada, room, "Before")
    assert await receive(socket) == chat_frame("chat", "CREATED", 1, "Before")
    # While a message's transaction is held nothing else commits in the room (its row is
    # locked): the sentinel then is what an edit of the first message would broadcast.
    before.body, before.revision = "Before, edited", before.revision + 1
    edited = await in_db(encoded, before, MessageChange.EDITED)
    written, commit = threading.Event(), threading.Event()

    def send_then_fail():
        with transaction.atomic():
            services.send_message(ada, room, "Oops", "oops")
            raise RolledBack

    def send_and_hold_the_transaction():
        with transaction.atomic():
            services.send_message(ada, room, "Held", "held")
            written.set()
            commit.wait(timeout=5)

    with pytest.raises(RolledBack):
        await in_db(send_then_fail)
    sending = asyncio.ensure_future(in_db(send_and_hold_the_transaction))
    await eventually(written.is_set)
    await nothing_before(
        channel_groups.broadcast(
            channel_groups.group_name(channel_groups.EVENT_CHAT, id=room.pk), edited
        ),
        {socket: chat_frame("chat", "EDITED", 1, "Before, edited")},
    )

    commit.set()
    await sending
    # The rolled-back message took no number: the held one is the second.
    assert await receive(socket) == chat_frame("chat", "CREATED", 2, "Held")
    await nothing_before(
        say(ada, room, "After"), {socket: chat_frame("chat", "CREATED", 3, "After")}
    )


# ---------------------------------------------------------------------------------------------
# Cost of a delivery
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def consumer_queries():
    """SQL run by the consumer (in the database thread), from when ``start()`` is awaited."""
    recorded = []

    def record(execute, sql, params, many, context):
        recorded.append(sql)
        return execute(sql, params, many, context)

    async def start():
        recorded.clear()
        await in_db(lambda: connections["default"].execute_wrappers.append(record))

    record.start = start
    record.queries = recorded
    return record


async def test_a_delivery_costs_no_query_whatever_the_number_of_subscribers(
    connected, rooms_read, room, ada, bob, consumer_queries
):
    sockets = [await connected(user=user) for user in (ada, bob, None, None)]
    for socket in sockets:
        await follow(socket, rooms_read, "chat", room)
    elsewhere = ThreadPoolExecutor(max_workers=1)
    loop = asyncio.get_running_loop()

    def send(body):
        return loop.run_in_executor(
            elsewhere, services.send_message, ada, room, body, f"ada-{body}", None
        )

    try:
        await consumer_queries.start()
        for body in ("one", "two", "three"):
            await send(body)
        for socket in sockets:
            for seq, body in enumerate(("one", "two", "three"), start=1):
                frame = await receive(socket)
                assert frame["payload"]["data"]["chatMessages"]["message"]["body"] == body
                assert frame["payload"]["data"]["chatMessages"]["message"]["seq"] == seq
    finally:
        await loop.run_in_executor(elsewhere, connections.close_all)
        elsewhere.shutdown()

    assert consumer_queries.queries == []


@pytest.fixture
def messages_built(monkeypatch):
    """The seq of each message heard from a broadcast whose fields a subscriber resolved: one
    per rendering of it."""
    seqs, rendered = [], []
    original = resolvers.facts

    def facts(message):
        if isinstance(message, resolvers.HeardMessage) and all(message is not m for m in rendered):
            rendered.append(message)
            seqs.append(message.data.seq)
        return original(message)

    monkeypatch.setattr(resolvers, "facts", facts)
    return seqs


async def test_subscribers_of_the_same_fields_share_one_rendering_per_process(
    connected, rooms_read, room, ada, bob, messages_built
):
    alike = [await connected(), await connected(user=bob), await connected()]
    for socket in alike:
        await follow(socket, rooms_read, "chat", room)

    await say(ada, room, "Hello")

    frames = [await receive(socket) for socket in alike]
    assert frames == [chat_frame("chat", "CREATED", 1, "Hello")] * 3
    assert messages_built == [1]


async def test_subscribers_of_their_own_fields_render_for_themselves(
    connected, rooms_read, room, ada, bob, messages_built
):
    own = {"ada": await connected(user=ada), "bob": await connected(user=bob)}
    for socket in own.values():
        await follow(socket, rooms_read, "chat", room, query=MINE)

    await say(ada, room, "Hello", client_id="ada-hello")

    assert (await receive(own["ada"]))["payload"]["data"]["chatMessages"]["message"][
        "clientId"
    ] == "ada-hello"
    assert (await receive(own["bob"]))["payload"]["data"]["chatMessages"]["message"][
        "clientId"
    ] is None
    assert messages_built == [1, 1]
