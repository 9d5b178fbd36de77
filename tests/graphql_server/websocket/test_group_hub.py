"""The process's group hub: one channel-layer membership per group, whatever the number of the
process's listeners, on the in-memory layer and (CI's second leg) on Redis."""

import asyncio

import pytest
import redis
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer

from core import channel_groups
from graphql_server.websocket.group_hub import GroupHub
from tests.waiting import eventually


class Listener:
    def __init__(self):
        self.heard = []
        self.lost_layer = False

    def deliver(self, payload):
        self.heard.append(payload)

    def lost(self):
        self.lost_layer = True


def members(layer, group: str) -> set[str]:
    """The channels in ``group`` as the layer itself keeps them."""
    if isinstance(layer, RedisChannelLayer):
        (host,) = layer.hosts
        with redis.Redis.from_url(host["address"]) as client:
            return {m.decode() for m in client.zrange(f"{layer.prefix}:group:{group}", 0, -1)}
    return set(layer.groups.get(group, {}))


@pytest.fixture
def layer():
    return get_channel_layer()


@pytest.fixture
async def hub(layer):
    hub = GroupHub.of(layer)
    yield hub
    # Leave whatever a test left joined, so that nothing reads on after the test's loop.
    for group, listeners in list(hub._listeners.items()):
        for listener in list(listeners):
            await hub.leave(group, listener)
    await hub.close()


GROUP = channel_groups.group_name(channel_groups.EVENT_CHAT, id=424242)
OTHER_GROUP = channel_groups.group_name(channel_groups.EVENT_CHANGES, id=424242)


async def test_listeners_of_one_group_share_one_membership(layer, hub):
    one, two = Listener(), Listener()

    await hub.join(GROUP, one)
    await hub.join(GROUP, two)

    assert members(layer, GROUP) == {hub.channel}
    await channel_groups.broadcast(GROUP, {"text": "Welcome"})
    await eventually(lambda: one.heard and two.heard)
    assert one.heard == two.heard == [{"text": "Welcome"}]


async def test_the_process_leaves_a_group_with_its_last_listener(layer, hub):
    one, two = Listener(), Listener()
    await hub.join(GROUP, one)
    await hub.join(GROUP, two)
    channel = hub.channel

    await hub.leave(GROUP, one)
    assert members(layer, GROUP) == {channel}
    await channel_groups.broadcast(GROUP, {"n": 1})
    await eventually(lambda: two.heard)
    assert one.heard == []

    await hub.leave(GROUP, two)
    assert members(layer, GROUP) == set()
    assert hub.channel is None  # nothing left to read


async def test_a_broadcast_to_a_thousand_listeners_is_one_channel_layer_message(
    layer, hub, monkeypatch
):
    received = []
    original = layer.receive

    async def receive(channel):
        message = await original(channel)
        received.append(message)
        return message

    monkeypatch.setattr(layer, "receive", receive)
    listeners = [Listener() for _ in range(1000)]
    for listener in listeners:
        await hub.join(GROUP, listener)

    await channel_groups.broadcast(GROUP, {"seq": 1})

    await eventually(lambda: all(listener.heard for listener in listeners))
    # (The hub's own heartbeats travel on the same channel.)
    assert [message["type"] for message in received].count(channel_groups.BROADCAST) == 1
    assert {len(listener.heard) for listener in listeners} == {1}


async def test_a_leave_cancelled_halfway_still_leaves(layer, hub, monkeypatch):
    # A socket's clean-up is cancelled again when the socket closes as its operations end.
    listener = Listener()
    await hub.join(GROUP, listener)
    discarding, finish = asyncio.Event(), asyncio.Event()
    original = layer.group_discard

    async def group_discard(group, channel):
        discarding.set()
        await finish.wait()
        await original(group, channel)

    monkeypatch.setattr(layer, "group_discard", group_discard)
    leaving = asyncio.create_task(hub.leave(GROUP, listener))
    async with asyncio.timeout(2):
        await discarding.wait()

    leaving.cancel()
    finish.set()

    await eventually(lambda: hub.channel is None)
    assert members(layer, GROUP) == set()


class Renewals:
    """The hub's renewals of ``GROUP`` (its adds of the group after the first), counted; held
    back from the layer while ``hold`` is set and the gate closed."""

    def __init__(self, layer, monkeypatch):
        self.count = 0
        self.hold = False
        self.started = asyncio.Event()
        self.gate = asyncio.Event()
        self.joined = False
        original = layer.group_add

        async def group_add(group, channel):
            if group == GROUP and self.joined:
                self.count += 1
                if self.hold:
                    self.started.set()
                    await self.gate.wait()
            await original(group, channel)
            if group == GROUP:
                self.joined = True

        monkeypatch.setattr(layer, "group_add", group_add)

    async def held(self) -> None:
        """Once a renewal has reached ``GROUP``, and waits at the gate."""
        self.hold = True
        async with asyncio.timeout(5):
            await self.started.wait()


@pytest.fixture
def renewals(layer, monkeypatch):
    # Memberships lapse after the layer's group_expiry; the hub renews them every quarter.
    monkeypatch.setattr(layer, "group_expiry", 1)
    return Renewals(layer, monkeypatch)


async def test_memberships_are_renewed_before_they_lapse(layer, hub, renewals):
    listener = Listener()
    await hub.join(GROUP, listener)

    # Renewed often enough that the first membership would have lapsed by now
    await eventually(lambda: renewals.count >= 5, timeout=5)
    await channel_groups.broadcast(GROUP, {"text": "Still a member"})

    await eventually(lambda: listener.heard)
    assert listener.heard == [{"text": "Still a member"}]


async def test_joins_and_leaves_do_not_wait_for_a_renewal(layer, hub, renewals):
    # Given a renewal under way, its add of one group slow to come back
    await hub.join(GROUP, Listener())
    await renewals.held()

    # Then other groups are joined and left meanwhile
    listener = Listener()
    async with asyncio.timeout(2):
        await hub.join(OTHER_GROUP, listener)
        assert members(layer, OTHER_GROUP) == {hub.channel}
        await hub.leave(OTHER_GROUP, listener)
    assert members(layer, OTHER_GROUP) == set()
    renewals.gate.set()


async def test_a_group_left_during_a_renewal_is_not_renewed_into(layer, hub, renewals):
    # Given a hub in two groups, renewing them, its add of the one about to be left held back
    left, staying = Listener(), Listener()
    await hub.join(GROUP, left)
    await hub.join(OTHER_GROUP, staying)
    await renewals.held()

    # When the group is left, and the renewal's add lands after the leave
    await hub.leave(GROUP, left)
    renewals.gate.set()
    await eventually(lambda: not hub._renewals)

    # Then the process is not in it, and still in the other
    assert members(layer, GROUP) == set()
    assert members(layer, OTHER_GROUP) == {hub.channel}
    await channel_groups.broadcast(OTHER_GROUP, {"text": "Still here"})
    await eventually(lambda: staying.heard)


async def test_a_hub_stopped_during_a_renewal_leaves_no_membership_behind(layer, hub, renewals):
    # Given a hub in one group, renewing it, its add held back
    listener = Listener()
    await hub.join(GROUP, listener)
    channel, heartbeat = hub.channel, hub._heartbeat_group
    await renewals.held()

    # When its last group is left (the hub stops reading), and then the add lands
    await hub.leave(GROUP, listener)
    assert hub.channel is None
    renewals.gate.set()
    await eventually(lambda: not hub._renewals)

    # Then the channel nobody reads is in no group
    assert channel not in members(layer, GROUP)
    assert channel not in members(layer, heartbeat)


async def test_one_hub_per_channel_layer_and_event_loop(layer):
    assert GroupHub.of(layer) is GroupHub.of(layer)
    assert GroupHub.of(layer) is not GroupHub.of(object())
