"""chatPresence over the websocket, frame by frame, and Event.chatRoom.presentCount: counts that
go up and down with the connections following a room, across processes sharing the store, and
that forget a dead process's connections when their leases run out.

Leases run out by the presence store's clock, which these tests hold still and move on
themselves: a lease ends when the test says so, not after a wait. That nothing arrives is
proved with a later change of the count as sentinel (``tests.sentinels``).
"""

import time
from types import SimpleNamespace

import pytest
from channels.layers import get_channel_layer

from chat import presence
from core import channel_groups
from events.models import Event
from schema.chat import subscriptions
from tests.sentinels import SENTINEL_SECONDS, nothing_before
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

from .conftest import MESSAGES, gid

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("database_thread")]

PRESENCE = "subscription Here($event: ID!) { chatPresence(event: $event) { count } }"


def count_frame(operation_id, count):
    return next_frame(operation_id, {"chatPresence": {"count": count}})


async def watch(socket, event, operation_id="here"):
    await subscribe(socket, operation_id, PRESENCE, {"event": gid(event)})


async def enter(socket, event, operation_id):
    await subscribe(socket, operation_id, MESSAGES, {"event": gid(event)})


@pytest.fixture
def held(monkeypatch):
    """What this process's connections did in rooms, in order: ``("enter", room)`` when a
    chatMessages subscription took its hold on the room (``chat.presence.holds``), ``("leave",
    room)`` when it let go."""
    done = []

    def recorded(action):
        original = getattr(presence.holds, action)

        def record(room, member):
            snapshot = original(room, member)
            done.append((action, room))
            return snapshot

        return record

    for action in ("enter", "leave"):
        monkeypatch.setattr(presence.holds, action, recorded(action))
    return done


class StoppedClock:
    """A clock that shows the same time until moved on."""

    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    """The presence store's clock, stopped at the time the test starts."""
    stopped = StoppedClock(time.time())
    monkeypatch.setattr(presence.store(), "clock", stopped)
    return stopped


@pytest.fixture
def lease_work(monkeypatch, clock):
    """The store's times of the process's lease renewals (``renewed``) and of the watchers'
    sweeps (``swept``), by the stopped clock."""
    store = presence.store()
    work = SimpleNamespace(renewed=[], swept=[])
    renew, sweep = store.renew, store.sweep

    def renewing(room, members, now=None):
        now = clock() if now is None else now
        renew(room, members, now)
        work.renewed.append(now)

    def sweeping(room, now=None):
        now = clock() if now is None else now
        result = sweep(room, now)
        work.swept.append(now)
        return result

    monkeypatch.setattr(store, "renew", renewing)
    monkeypatch.setattr(store, "sweep", sweeping)
    return work


async def test_the_count_goes_up_and_down_with_the_connections_in_the_room(
    connected, held, room, other_room, ada, bob
):
    watcher = await connected()
    await watch(watcher, room)
    assert await receive(watcher) == count_frame("here", 0)

    first, second = await connected(user=ada), await connected(user=bob)
    await enter(first, room, "chat")
    assert await receive(watcher) == count_frame("here", 1)
    await enter(second, room, "chat")
    assert await receive(watcher) == count_frame("here", 2)

    # A second subscription on the same connection, and one to another room, change nothing:
    # another connection leaving is the next count heard.
    await enter(first, room, "again")
    await enter(first, other_room, "elsewhere")
    await eventually(lambda: held.count(("enter", room.pk)) == 3)
    await eventually(lambda: ("enter", other_room.pk) in held)
    await nothing_before(disconnect(second), {watcher: count_frame("here", 1)})
    # Nor does that second subscription ending: another connection coming in is the next count.
    await first.send_json_to(complete_frame("again"))
    await eventually(lambda: held.count(("leave", room.pk)) == 2)
    third = await connected()
    await nothing_before(enter(third, room, "chat"), {watcher: count_frame("here", 2)})

    # The connection leaves with its last subscription to the room, and with its socket.
    await first.send_json_to(complete_frame("chat"))
    assert await receive(watcher) == count_frame("here", 1)
    await disconnect(third)
    assert await receive(watcher) == count_frame("here", 0)
    # Each change told once: the next connection in is the next count.
    await nothing_before(enter(await connected(), room, "chat"), {watcher: count_frame("here", 1)})


async def test_the_count_at_subscribe_includes_those_already_there(connected, room, ada):
    present = await connected(user=ada)
    await enter(present, room, "chat")
    watcher = await connected()
    await eventually(lambda: presence.present_count(room.pk) == 1)

    await watch(watcher, room)

    assert await receive(watcher) == count_frame("here", 1)


async def test_connections_of_other_processes_count_and_a_dead_ones_expire(
    connected, room, settings, clock
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

    # That process dies: nobody renews the lease; once it has run out the watcher's next sweep
    # (every third of a lease) ends it and tells everyone.
    clock.advance(1)
    assert await watcher.receive_json_from(timeout=SENTINEL_SECONDS) == count_frame("here", 0)
    assert (await in_db(store.snapshot, room.pk)).count == 0


async def test_a_subscriber_keeps_its_lease_while_it_lives(
    connected, room, ada, bob, settings, clock, lease_work
):
    settings.CHAT_PRESENCE_LEASE_SECONDS = lease = 0.6
    present = await connected(user=ada)
    await enter(present, room, "chat")
    watcher = await connected()
    await eventually(lambda: presence.present_count(room.pk) == 1)
    await watch(watcher, room)
    assert await receive(watcher) == count_frame("here", 1)

    # Two and a half leases go by, the watcher sweeping all along: at each step (shorter than
    # a lease) the process renews and the watcher sweeps before time moves on.
    for _ in range(3):
        clock.advance(0.9 * lease)
        await eventually(lambda: clock.now in lease_work.renewed and clock.now in lease_work.swept)

    # Renewed, never ended: one more connection coming in is the next count heard.
    another = await connected(user=bob)
    await nothing_before(enter(another, room, "chat"), {watcher: count_frame("here", 2)})
    assert presence.present_count(room.pk) == 2


async def test_an_older_count_than_one_heard_is_ignored(connected, room, ada, bob):
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

    # One more connection coming in is the next count heard.
    another = await connected(user=bob)
    await nothing_before(enter(another, room, "chat"), {watcher: count_frame("here", 2)})


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
    group = f"event.{room.pk}.chat.presence"

    # A thousand people arrive within a moment: their counts, in whatever order they are read.
    for version in (3, 1, 5, 2, 4):
        subscriptions.tell_presence(room.pk, presence.Snapshot(version * 10, version))
    await eventually(lambda: bool(told))
    # Told once: a change told after that one went out is the next thing told.
    subscriptions.tell_presence(room.pk, presence.Snapshot(60, 6))
    await eventually(lambda: len(told) > 1)

    assert told == [(group, {"count": 50, "version": 5}), (group, {"count": 60, "version": 6})]
