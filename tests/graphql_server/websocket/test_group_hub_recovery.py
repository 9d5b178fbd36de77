"""The group hub when the channel layer is lost: it notices (a failed read, a failed join, a
heartbeat not heard), drops and tells its listeners, reports the process unready, and heals once
the layer answers. On the in-memory layer and (CI's second leg) on Redis (see
tests/graphql_server/websocket/layer_outage.py; tests/e2e/test_outages.py kills a real Redis)."""

import asyncio

import pytest
import redis
from channels_redis.core import RedisChannelLayer

from core import channel_groups, outages
from graphql_server.websocket import group_hub
from graphql_server.websocket.group_hub import ChannelLayerUnavailable, GroupHub
from tests.graphql_server.websocket.layer_outage import LayerOutage
from tests.graphql_server.websocket.test_group_hub import Listener, members
from tests.waiting import eventually

GROUP = channel_groups.group_name(channel_groups.EVENT_CHAT, id=515151)
OTHER_GROUP = channel_groups.group_name(channel_groups.EVENT_CHANGES, id=515151)


def forget_groups(layer, *names: str) -> None:
    """What a Redis restart does to the groups ``names``: nobody is in them any more.

    Only these groups: the run's Redis database is shared by every process of the run (a live
    server's, a worker's), and their memberships are theirs."""
    if isinstance(layer, RedisChannelLayer):
        (host,) = layer.hosts
        with redis.Redis.from_url(host["address"]) as client:
            client.delete(*(f"{layer.prefix}:group:{name}" for name in names))
    else:
        for name in names:
            layer.groups.pop(name, None)


@pytest.fixture
async def outage(monkeypatch):
    outage = LayerOutage(monkeypatch)
    yield outage
    await outage.close()


@pytest.fixture
def layer(outage):
    return outage.layer


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    """Probes and heartbeats at test speed."""
    monkeypatch.setattr(group_hub, "RETRY_SECONDS", 0.02)
    monkeypatch.setattr(group_hub, "PROBE_TIMEOUT_SECONDS", 1.0)


@pytest.fixture
async def hub(layer):
    hub = GroupHub.of(layer)
    yield hub
    for group, listeners in list(hub._listeners.items()):
        for listener in list(listeners):
            await hub.leave(group, listener)
    await hub.close()
    # A hub that lost the layer left its groups without a word: the test's own are removed.
    forget_groups(layer, GROUP, OTHER_GROUP, hub._heartbeat_group)


async def test_a_lost_layer_drops_and_tells_every_listener(hub, outage):
    listeners = [Listener(), Listener(), Listener()]
    await hub.join(GROUP, listeners[0])
    await hub.join(GROUP, listeners[1])
    await hub.join(OTHER_GROUP, listeners[2])

    await outage.begin()

    await eventually(lambda: all(listener.lost_layer for listener in listeners), timeout=2)
    assert hub.listeners(GROUP) == hub.listeners(OTHER_GROUP) == 0
    assert hub.problem.startswith("reading its channel failed")


async def test_while_the_layer_is_lost_the_process_is_unready_and_joins_are_refused(hub, outage):
    await hub.join(GROUP, Listener())

    await outage.begin()

    await eventually(lambda: hub.problem, timeout=2)
    assert outages.current() == [f"websocket groups: {hub.problem}"]
    with pytest.raises(ChannelLayerUnavailable):
        await hub.join(GROUP, Listener())


async def test_the_hub_heals_once_the_layer_answers_and_listeners_hear_again(layer, hub, outage):
    first = Listener()
    await hub.join(GROUP, first)
    lost_channel = hub.channel
    await outage.begin()
    await eventually(lambda: first.lost_layer, timeout=2)

    outage.end()

    await eventually(lambda: hub.problem is None, timeout=2)
    assert outages.current() == []
    again = Listener()
    await hub.join(GROUP, again)
    assert hub.channel != lost_channel
    assert hub.channel in members(layer, GROUP)
    await channel_groups.broadcast(GROUP, {"text": "Back"})
    await eventually(lambda: again.heard, timeout=2)
    assert again.heard == [{"text": "Back"}]
    assert first.heard == []  # dropped: its connection was closed


async def test_a_join_that_fails_loses_the_layer_until_it_answers(hub, outage):
    await outage.begin()

    with pytest.raises(ChannelLayerUnavailable):
        await hub.join(GROUP, Listener())

    assert hub.problem.startswith("joining")
    assert outages.current()
    outage.end()
    await eventually(lambda: hub.problem is None, timeout=2)
    listener = Listener()
    await hub.join(GROUP, listener)
    await channel_groups.broadcast(GROUP, {"n": 1})
    await eventually(lambda: listener.heard, timeout=2)


async def test_groups_lost_without_a_failed_read_are_noticed_by_the_heartbeat(
    layer, hub, monkeypatch
):
    # Redis restarted between two reads, or was flushed: reading goes on, and hears nothing.
    monkeypatch.setattr(group_hub, "HEARTBEAT_SECONDS", 0.05)
    monkeypatch.setattr(group_hub, "HEARTBEAT_TIMEOUT_SECONDS", 0.3)
    listener = Listener()
    await hub.join(GROUP, listener)

    forget_groups(layer, GROUP, hub._heartbeat_group)

    await eventually(lambda: listener.lost_layer, timeout=3)
    assert hub.problem.startswith("its heartbeat was not heard")
    await eventually(lambda: hub.problem is None, timeout=2)
    again = Listener()
    await hub.join(GROUP, again)
    await channel_groups.broadcast(GROUP, {"text": "Heard"})
    await eventually(lambda: again.heard, timeout=2)


async def test_a_heard_heartbeat_keeps_the_hub_listening(hub, monkeypatch):
    monkeypatch.setattr(group_hub, "HEARTBEAT_SECONDS", 0.02)
    monkeypatch.setattr(group_hub, "HEARTBEAT_TIMEOUT_SECONDS", 1.0)
    heartbeats = []
    original = hub._heard

    def heard(token):
        heartbeats.append(token)
        original(token)

    monkeypatch.setattr(hub, "_heard", heard)
    listener = Listener()
    await hub.join(GROUP, listener)

    await eventually(lambda: len(heartbeats) >= 5, timeout=3)

    assert hub.problem is None
    assert not listener.lost_layer
    await channel_groups.broadcast(GROUP, {"text": "Still listening"})
    await eventually(lambda: listener.heard, timeout=2)


async def test_a_listener_dropped_with_the_layer_leaves_without_a_word(hub, outage, monkeypatch):
    listener = Listener()
    await hub.join(GROUP, listener)
    await outage.begin()
    await eventually(lambda: listener.lost_layer, timeout=2)
    discarded = []
    monkeypatch.setattr(hub.layer, "group_discard", lambda *args: discarded.append(args))

    await hub.leave(GROUP, listener)

    assert discarded == []


async def test_closing_the_hub_stops_its_healer_even_as_a_probe_fails(hub, outage, monkeypatch):
    # Given a hub healing from a lost layer, its probe waiting for the layer's answer
    probing, answer = asyncio.Event(), asyncio.Event()

    async def probe():
        probing.set()
        await answer.wait()
        raise ConnectionError("The channel layer went away")

    monkeypatch.setattr(hub, "_probe", probe)
    await outage.begin()
    hub._lose("lost for the test")
    healer = hub._healer
    await probing.wait()

    # When the probe fails just as the hub closes (the failure and the cancellation are
    # delivered in the same turn of the loop)
    answer.set()
    async with asyncio.timeout(5):
        await hub.close()

    # Then the healer has stopped: it does not probe on
    assert healer.cancelled()
