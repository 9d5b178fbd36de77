"""An outage of the channel layer inside the test process, for the group hub's tests: from
``begin()`` until ``end()`` every call to the layer fails, as while Redis is down, and so does a
read already waiting.

On Redis the layer's own connections are cut by Redis itself (``CLIENT KILL`` of the clients
named for this test, and no others: the server may be shared), so a waiting read fails as it
does when Redis goes away. In memory, a waiting read is given up for an error. tests/e2e/
test_outages.py kills a real Redis under a live server.
"""

import asyncio
import uuid

import redis
from channels.layers import channel_layers, get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.conf import settings

# Calls that go to Redis; each fails while the outage lasts.
LAYER_CALLS = ("group_add", "group_discard", "group_send", "send", "new_channel")


class LayerOutage:
    """See the module. Make it with the ``layer_outage`` fixture."""

    def __init__(self, monkeypatch):
        self.down = asyncio.Event()
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
        """While the outage lasts, Redis drops every connection of the layer it is given,
        those the layer opens on its own while reading included."""
        (host,) = self.layer.hosts
        with redis.Redis.from_url(host["address"]) as client:
            while self.down.is_set():
                for connection in client.client_list():
                    if connection.get("name") == self.client_name:
                        client.client_kill_filter(_id=connection["id"])
                await asyncio.sleep(0.01)

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
                return await receive(channel)  # cut by Redis when the outage begins
            reading = asyncio.ensure_future(receive(channel))
            outage = asyncio.ensure_future(self.down.wait())
            done, _ = await asyncio.wait({reading, outage}, return_when=asyncio.FIRST_COMPLETED)
            if reading in done:
                outage.cancel()
                return reading.result()
            reading.cancel()
            self._check()

        return receiving
