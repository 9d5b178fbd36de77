"""An outage of the channel layer inside the test process, for the group hub's tests: from
``begin()`` until ``end()`` every call to the layer fails, as while Redis is down, and so does a
read already waiting.

On Redis the layer's own connections are cut by Redis itself (``CLIENT KILL`` of the clients
named for this test, and no others: the server may be shared), so a waiting read fails as it
does when Redis goes away. In memory, a waiting read is given up for an error. tests/e2e/
test_outages.py kills a real Redis under a live server.
"""

import asyncio
import contextlib
import uuid

import redis.asyncio
from channels.layers import channel_layers, get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.conf import settings

# Calls that go to Redis; each fails while the outage lasts.
LAYER_CALLS = ("group_add", "group_discard", "group_send", "send", "new_channel")
# While a read that began before the outage still waits, how soon Redis is asked again for the
# layer's connections: redis-py replaces a pooled connection it finds closed, and Redis tells
# nobody of a new one.
CUT_AGAIN_SECONDS = 0.01


class LayerOutage:
    """See the module. Make it with the ``layer_outage`` fixture."""

    def __init__(self, monkeypatch):
        self.down = asyncio.Event()
        # The layer's reads under way, and whether there are none.
        self._reads = 0
        self._no_reads = asyncio.Event()
        self._no_reads.set()
        self.client_name = None
        self._cutter: asyncio.Task | None = None
        layers = settings.CHANNEL_LAYERS
        if layers["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer":
            # The default layer, with its connections named so that only they are cut.
            self.client_name = f"outage-{uuid.uuid4().hex[:12]}"
            config = {**layers["default"]["CONFIG"]}
            config["hosts"] = [
                {**host, "client_name": self.client_name} for host in config["hosts"]
            ]
            monkeypatch.setattr(
                settings, "CHANNEL_LAYERS", {"default": {**layers["default"], "CONFIG": config}}
            )
        channel_layers.backends.clear()
        self.layer = get_channel_layer()
        for name in LAYER_CALLS:
            monkeypatch.setattr(self.layer, name, self._failing(getattr(self.layer, name)))
        monkeypatch.setattr(self.layer, "receive", self._receive(self.layer.receive))

    async def begin(self) -> None:
        self.down.set()
        if isinstance(self.layer, RedisChannelLayer):
            self._cutter = asyncio.create_task(self._cut_connections())

    def end(self) -> None:
        self.down.clear()

    async def close(self) -> None:
        self.end()
        if self._cutter is not None:
            await self._cutter
        if isinstance(self.layer, RedisChannelLayer):
            await self.layer.close_pools()
        channel_layers.backends.clear()

    async def _cut_connections(self) -> None:
        """Redis drops every connection of the layer, those a read already under way opens
        meanwhile included, until no read is under way (each has failed): from then on every
        call fails before it reaches Redis (``_check``), and nothing reconnects.

        Redis's own asynchronous client: the event loop goes on while it asks."""
        (host,) = self.layer.hosts
        async with redis.asyncio.Redis.from_url(host["address"]) as client:
            while self.down.is_set():
                for connection in await client.client_list():
                    if connection.get("name") == self.client_name:
                        await client.client_kill_filter(_id=connection["id"])
                if self._no_reads.is_set():
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._no_reads.wait(), CUT_AGAIN_SECONDS)

    def _check(self) -> None:
        if self.down.is_set():
            raise ConnectionError("The channel layer went away")

    def _failing(self, call):
        async def failing(*args, **kwargs):
            self._check()
            return await call(*args, **kwargs)

        return failing

    def _receive(self, receive):
        async def receiving(channel):
            self._check()
            if isinstance(self.layer, RedisChannelLayer):
                self._reads += 1
                self._no_reads.clear()
                try:
                    return await receive(channel)  # cut by Redis when the outage begins
                finally:
                    self._reads -= 1
                    if not self._reads:
                        self._no_reads.set()
            reading = asyncio.ensure_future(receive(channel))
            outage = asyncio.ensure_future(self.down.wait())
            done, _ = await asyncio.wait({reading, outage}, return_when=asyncio.FIRST_COMPLETED)
            if reading in done:
                outage.cancel()
                return reading.result()
            reading.cancel()
            self._check()

        return receiving
