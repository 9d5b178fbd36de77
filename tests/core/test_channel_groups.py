"""Broadcasts sent from synchronous code: from a WSGI worker's request (no event loop anywhere)
on one event loop kept by the process, so that the channel layer keeps its Redis connections;
from a thread working for an event loop (the ASGI tier) on that loop. On the in-memory layer
and (CI's second leg) on Redis."""

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from core import channel_groups

GROUP = channel_groups.group_name(channel_groups.EVENT_CHAT, id=525252)


@pytest.fixture
def loops_sent_on(monkeypatch):
    """The event loop each broadcast ran on, in order."""
    loops = []
    real = channel_groups.broadcast

    async def broadcast(group, payload):
        loops.append(asyncio.get_running_loop())
        await real(group, payload)

    monkeypatch.setattr(channel_groups, "broadcast", broadcast)
    return loops


async def heard(layer, channel: str) -> dict:
    return await asyncio.wait_for(layer.receive(channel), 5)


async def test_broadcasts_from_plain_sync_code_share_one_kept_loop(loops_sent_on):
    # Given a channel in the group
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(GROUP, channel)

    # When two broadcasts are sent from plain synchronous code, in two threads of their own
    # (as two requests of a WSGI worker), with no event loop anywhere near
    for seq in (1, 2):
        await asyncio.to_thread(channel_groups.send_broadcast, GROUP, {"seq": seq})

    # Then both are heard, in order
    assert await heard(layer, channel) == channel_groups.broadcast_message(GROUP, {"seq": 1})
    assert await heard(layer, channel) == channel_groups.broadcast_message(GROUP, {"seq": 2})
    # and both ran on one loop of the process's own, running in its own thread: not on this
    # test's loop, and not on a loop made for each call
    first, second = loops_sent_on
    assert first is second
    assert first is not asyncio.get_running_loop()
    assert first.is_running()
    await layer.group_discard(GROUP, channel)


async def test_broadcasts_from_a_thread_of_an_event_loop_are_sent_on_that_loop(loops_sent_on):
    # Given a channel in the group
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(GROUP, channel)

    # When synchronous code run for this loop (as a request of the ASGI tier) broadcasts
    await sync_to_async(channel_groups.send_broadcast, thread_sensitive=False)(GROUP, {"seq": 3})

    # Then it is heard, and it was sent on this loop, whose connections are kept already
    assert await heard(layer, channel) == channel_groups.broadcast_message(GROUP, {"seq": 3})
    assert loops_sent_on == [asyncio.get_running_loop()]
    await layer.group_discard(GROUP, channel)


def test_a_failed_broadcast_from_plain_sync_code_raises_in_the_caller(monkeypatch):
    # Given a channel layer that fails to send (as Redis refusing the connection)
    async def failing(group, payload):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(channel_groups, "broadcast", failing)

    # When a broadcast is sent from plain synchronous code, then its error reaches the sender
    # (broadcast_on_commit's if_lost, or Django's robust on-commit logging, report it)
    errors = []

    def send():
        try:
            channel_groups.send_broadcast(GROUP, {"seq": 4})
        except ConnectionError as error:
            errors.append(error)

    thread = threading.Thread(target=send)
    thread.start()
    thread.join(10)
    assert [str(error) for error in errors] == ["Redis is down"]
