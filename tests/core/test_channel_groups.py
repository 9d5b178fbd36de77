"""Broadcasts from synchronous code: they leave once the transaction commits, and on Redis
without waiting for the server's event loop."""

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.db import connections, transaction

from core import channel_groups
from schema.core.group_hub import GroupHub
from tests.schema.test_websocket_protocol import database_thread, in_db  # noqa: F401

pytestmark = pytest.mark.usefixtures("database_thread")

GROUP = channel_groups.group_name(channel_groups.EVENT_CHANGES, id=515151)


class Listener:
    def __init__(self):
        self.heard = []

    def deliver(self, payload):
        self.heard.append(payload)


async def eventually(condition, timeout=3.0):
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


@pytest.fixture
async def listener():
    hub = GroupHub.of(get_channel_layer())
    listener = Listener()
    await hub.join(GROUP, listener)
    yield listener
    await hub.leave(GROUP, listener)


@pytest.mark.django_db(transaction=True)
async def test_a_broadcast_leaves_when_the_transaction_commits(listener):
    def change():
        with transaction.atomic():
            channel_groups.broadcast_on_commit(GROUP, {"event": 515151})
            assert listener.heard == []

    await in_db(change)

    await eventually(lambda: listener.heard)
    assert listener.heard == [{"event": 515151}]


@pytest.mark.django_db(transaction=True)
async def test_a_broadcast_from_a_request_thread_does_not_wait_for_a_busy_event_loop(listener):
    if not isinstance(get_channel_layer(), RedisChannelLayer):
        pytest.skip("The in-memory layer lives on the server's loop (CI's second leg: Redis).")
    took = []

    def change():
        started = time.monotonic()
        with transaction.atomic():
            channel_groups.broadcast_on_commit(GROUP, {"event": 515151})
        took.append(time.monotonic() - started)

    # A request's thread, as the server runs it; the server's loop busy for a second, as with
    # a thousand websockets to send to.
    request = asyncio.ensure_future(database_sync_to_async(change)())
    asyncio.get_running_loop().call_soon(time.sleep, 1.0)
    try:
        await request
    finally:
        # That thread is asgiref's one shared thread: nothing may stay open there.
        await sync_to_async(connections.close_all)()

    assert took[0] < 0.5
    await eventually(lambda: listener.heard)
    assert listener.heard == [{"event": 515151}]
