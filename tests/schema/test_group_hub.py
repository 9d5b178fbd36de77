"""The process's group hub: one channel-layer membership per group, whatever the number of the
process's listeners, on the in-memory layer and (CI's second leg) on Redis."""

import asyncio
import logging

import pytest
import redis
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer

from schema.core import group_hub, groups
from schema.core.group_hub import GroupHub


class Listener:
    def __init__(self):
        self.heard = []

    def deliver(self, payload):
        self.heard.append(payload)


async def eventually(condition, timeout=2.0):
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


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


GROUP = groups.group_name(groups.EVENT_CHAT, id=424242)


async def test_listeners_of_one_group_share_one_membership(layer, hub):
    one, two = Listener(), Listener()

    await hub.join(GROUP, one)
    await hub.join(GROUP, two)

    assert members(layer, GROUP) == {hub.channel}
    await groups.broadcast(GROUP, {"text": "Welcome"})
    await eventually(lambda: one.heard and two.heard)
    assert one.heard == two.heard == [{"text": "Welcome"}]


async def test_the_process_leaves_a_group_with_its_last_listener(layer, hub):
    one, two = Listener(), Listener()
    await hub.join(GROUP, one)
    await hub.join(GROUP, two)
    channel = hub.channel

    await hub.leave(GROUP, one)
    assert members(layer, GROUP) == {channel}
    await groups.broadcast(GROUP, {"n": 1})
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

    await groups.broadcast(GROUP, {"seq": 1})

    await eventually(lambda: all(listener.heard for listener in listeners))
    assert len(received) == 1
    assert {len(listener.heard) for listener in listeners} == {1}


async def test_reading_goes_on_after_the_channel_layer_fails(layer, hub, monkeypatch, caplog):
    monkeypatch.setattr(group_hub, "RETRY_SECONDS", 0.01)
    original = layer.receive
    failures = [ConnectionError("Redis went away")]

    async def receive(channel):
        if failures:
            raise failures.pop()
        return await original(channel)

    monkeypatch.setattr(layer, "receive", receive)
    listener = Listener()

    with caplog.at_level(logging.ERROR, logger="schema.core.group_hub"):
        await hub.join(GROUP, listener)
        await eventually(lambda: not failures)
        await groups.broadcast(GROUP, {"text": "Still here"})
        await eventually(lambda: listener.heard)

    assert listener.heard == [{"text": "Still here"}]
    assert [r.message for r in caplog.records] == [
        "Reading the websocket groups' channel failed; retrying"
    ]


async def test_memberships_are_renewed_before_they_lapse(layer, hub, monkeypatch):
    # Memberships lapse after the layer's group_expiry; the hub renews them every quarter.
    monkeypatch.setattr(layer, "group_expiry", 1)
    listener = Listener()
    await hub.join(GROUP, listener)

    await asyncio.sleep(1.6)
    await groups.broadcast(GROUP, {"text": "Still a member"})

    await eventually(lambda: listener.heard)
    assert listener.heard == [{"text": "Still a member"}]


async def test_one_hub_per_channel_layer_and_event_loop(layer):
    assert GroupHub.of(layer) is GroupHub.of(layer)
    assert GroupHub.of(layer) is not GroupHub.of(object())
