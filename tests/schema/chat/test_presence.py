"""chatPresence over the websocket, frame by frame, and Event.chatRoom.presentCount: counts that
go up and down with the connections following a room, across processes sharing the store, and
that forget a dead process's connections when their leases run out."""

import asyncio

import pytest
from channels.layers import get_channel_layer

from chat import presence
from core import channel_groups
from events.models import Event
from schema.chat import subscriptions
from tests.sockets import (
    assert_silent,
    complete_frame,
    disconnect,
    error_frame,
    in_db,
    next_frame,
    receive,
    subscribe,
)
from tests.waiting import eventually

from .conftest import MESSAGES, gid

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("database_thread")]

PRESENCE = "subscription Here($event: ID!) { chatPresence(event: $event) { count } }"


def count_frame(operation_id, count):
    return next_frame(operation_id, {"chatPresence": {"count": count}})


async def watch(socket, event, operation_id="here"):
    await subscribe(socket, operation_id, PRESENCE, {"event": gid(event)})


async def enter(socket, event, operation_id):
    await subscribe(socket, operation_id, MESSAGES, {"event": gid(event)})


async def test_the_count_goes_up_and_down_with_the_connections_in_the_room(
    connected, room, other_room, ada, bob
):
    watcher = await connected()
    await watch(watcher, room)
    assert await receive(watcher) == count_frame("here", 0)

    first, second = await connected(user=ada), await connected(user=bob)
    await enter(first, room, "chat")
    assert await receive(watcher) == count_frame("here", 1)
    await enter(second, room, "chat")
    assert await receive(watcher) == count_frame("here", 2)

    # A second subscription on the same connection, and one to another room, change nothing.
    await enter(first, room, "again")
    await enter(first, other_room, "elsewhere")
    await assert_silent(watcher)
    await first.send_json_to(complete_frame("again"))
    await assert_silent(watcher)

    # The connection leaves with its last subscription to the room, and with its socket.
    await first.send_json_to(complete_frame("chat"))
    assert await receive(watcher) == count_frame("here", 1)
    await disconnect(second)
    assert await receive(watcher) == count_frame("here", 0)
    await assert_silent(watcher)


async def test_the_count_at_subscribe_includes_those_already_there(connected, room, ada):
    present = await connected(user=ada)
    await enter(present, room, "chat")
    watcher = await connected()
    await eventually(lambda: presence.present_count(room.pk) == 1)

    await watch(watcher, room)

    assert await receive(watcher) == count_frame("here", 1)


async def test_connections_of_other_processes_count_and_a_dead_ones_expire(
    connected, room, settings
):
    settings.CHAT_PRESENCE_LEASE_SECONDS = 1
    watcher = await connected()
    await watch(watcher, room)
    assert await receive(watcher) == count_frame("here", 0)
    store = presence.store()
    group = channel_groups.group_name(channel_groups.EVENT_CHAT_PRESENCE, id=room.pk)

    # Another process takes a lease for its connection, and says so.
    entered = await in_db(store.enter, room.pk, "specific.other-process!abc")
    await channel_groups.broadcast(group, {"count": entered.count, "version": entered.version})
    assert await receive(watcher) == count_frame("here", 1)

    # That process dies: nobody renews the lease; after it runs out the watcher's sweep ends
    # it and tells everyone.
    await asyncio.sleep(1.2)
    assert await receive(watcher) == count_frame("here", 0)
    assert (await in_db(store.snapshot, room.pk)).count == 0


async def test_a_subscriber_keeps_its_lease_while_it_lives(connected, room, ada, settings):
    settings.CHAT_PRESENCE_LEASE_SECONDS = 1
    present = await connected(user=ada)
    await enter(present, room, "chat")
    watcher = await connected()
    await eventually(lambda: presence.present_count(room.pk) == 1)
    await watch(watcher, room)
    assert await receive(watcher) == count_frame("here", 1)

    # Two and a half leases long, with the watcher sweeping all along: renewed, never ended.
    await asyncio.sleep(2.5)

    await assert_silent(watcher)
    assert presence.present_count(room.pk) == 1


async def test_an_older_count_than_one_heard_is_ignored(connected, room, ada):
    watcher = await connected()
    await watch(watcher, room)
    assert await receive(watcher) == count_frame("here", 0)
    present = await connected(user=ada)
    await enter(present, room, "chat")
    assert await receive(watcher) == count_frame("here", 1)
    version = (await in_db(presence.store().snapshot, room.pk)).version

    # A late broadcast from before (another process's, overtaken) says 0.
    group = channel_groups.group_name(channel_groups.EVENT_CHAT_PRESENCE, id=room.pk)
    await channel_groups.broadcast(group, {"count": 0, "version": version - 1})

    await assert_silent(watcher)


async def test_watching_a_draft_is_refused(connected, event_factory):
    draft = await in_db(lambda: event_factory(status=Event.Status.DRAFT, announced_at=None))
    socket = await connected()

    await watch(socket, draft)

    assert await receive(socket) == error_frame(
        "here",
        {
            "message": "Nothing with this ID.",
            "locations": [{"line": 1, "column": 34}],
            "path": ["chatPresence"],
            "extensions": {"code": "NOT_FOUND", "field": "event"},
        },
    )


async def test_a_burst_of_changes_is_told_once_with_the_newest_count(room, monkeypatch):
    layer = get_channel_layer()
    told = []

    async def group_send(group, message):
        told.append((group, message["payload"]))

    monkeypatch.setattr(layer, "group_send", group_send)

    # A thousand people arrive within a moment: their counts, in whatever order they are read.
    for version in (3, 1, 5, 2, 4):
        subscriptions.tell_presence(room.pk, presence.Snapshot(version * 10, version))
    await eventually(lambda: bool(told))
    await asyncio.sleep(subscriptions.PRESENCE_TELL_SECONDS * 2)

    assert told == [(f"event.{room.pk}.chat.presence", {"count": 50, "version": 5})]
