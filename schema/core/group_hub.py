"""One channel per server process for every group its websocket connections listen to.

Channels' usual way gives each connection a channel of its own and adds it to each group it
listens to: a broadcast to a room of a thousand subscribers is then a thousand channel-layer
messages, each woken up for, dispatched and handled by its connection on its own. Here the
process joins a group once, with one channel, when the first of its connections starts to
listen to it, and leaves it when the last one stops; the hub reads that channel and hands each
broadcast to the process's listeners of its group (``deliver(payload)``, which must not block).
A broadcast costs one channel-layer message per process, whatever the audience.

Membership of a group on the channel layer lapses after the layer's ``group_expiry`` (a day by
default); the hub renews the groups it is in well before. If reading the channel fails (Redis
went away), the hub logs it and tries again: listeners miss what was broadcast meanwhile, as
they would have with channels of their own (the chat's sequence numbers catch that up).

One hub serves one channel layer on one event loop (``GroupHub.of(layer)``): a server process
has one of each; tests may make many, one after the other.
"""

import asyncio
import logging
import weakref

from .groups import BROADCAST

logger = logging.getLogger(__name__)

# The prefix of the hub's channel name, for channel-layer settings (capacity) and debugging.
CHANNEL_PREFIX = "websocket-groups"
# How long to wait before reading again after the channel layer failed.
RETRY_SECONDS = 1.0


class GroupHub:
    """The groups one process listens to, and their local listeners (see the module)."""

    _hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict]" = (
        weakref.WeakKeyDictionary()
    )

    @classmethod
    def of(cls, layer) -> "GroupHub":
        """The hub of ``layer`` on the running event loop."""
        hubs = cls._hubs.setdefault(asyncio.get_running_loop(), {})
        hub = hubs.get(id(layer))
        if hub is None or hub.layer is not layer:
            hub = hubs[id(layer)] = cls(layer)
        return hub

    def __init__(self, layer):
        self.layer = layer
        self.channel: str | None = None
        self._listeners: dict[str, set] = {}
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task] = []

    def listeners(self, group: str) -> int:
        """How many of this process's listeners ``group`` has."""
        return len(self._listeners.get(group, ()))

    async def join(self, group: str, listener) -> None:
        """Hand ``listener`` what is broadcast to ``group`` from now on (once this returns)."""
        async with self._lock:
            listeners = self._listeners.get(group)
            if listeners is None:
                if self.channel is None:
                    await self._start()
                await self.layer.group_add(group, self.channel)
                listeners = self._listeners[group] = set()
            listeners.add(listener)

    async def leave(self, group: str, listener) -> None:
        """Stop handing ``listener`` the broadcasts of ``group``; the process leaves the group
        with its last listener, and stops reading with the last group."""
        async with self._lock:
            listeners = self._listeners.get(group)
            if listeners is None or listener not in listeners:
                return
            listeners.discard(listener)
            if listeners:
                return
            del self._listeners[group]
            try:
                await self.layer.group_discard(group, self.channel)
            except Exception:
                # The membership lapses on its own (group_expiry); what still arrives for the
                # group meanwhile has no listener and is dropped.
                logger.warning("Could not leave channel-layer group %s", group, exc_info=True)
            if not self._listeners:
                self._stop()

    async def _start(self) -> None:
        self.channel = await self.layer.new_channel(prefix=CHANNEL_PREFIX)
        self._tasks = [
            asyncio.create_task(self._read(self.channel)),
            asyncio.create_task(self._renew()),
        ]

    def _stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        self.channel = None

    async def _read(self, channel: str) -> None:
        while True:
            try:
                message = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Reading the websocket groups' channel failed; retrying")
                await asyncio.sleep(RETRY_SECONDS)
                continue
            if message.get("type") != BROADCAST:
                continue
            payload = message.get("payload")
            for listener in tuple(self._listeners.get(message.get("group"), ())):
                listener.deliver(payload)

    async def _renew(self) -> None:
        """Adds the channel to its groups again before their membership lapses."""
        interval = getattr(self.layer, "group_expiry", 86400) / 4
        while True:
            await asyncio.sleep(interval)
            async with self._lock:
                groups = list(self._listeners)
                channel = self.channel
                for group in groups:
                    try:
                        await self.layer.group_add(group, channel)
                    except Exception:
                        logger.warning(
                            "Could not renew channel-layer group %s", group, exc_info=True
                        )
