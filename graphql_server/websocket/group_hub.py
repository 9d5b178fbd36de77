"""One channel per server process for every group its websocket connections listen to, and what
happens when the channel layer is lost.

Channels' usual way gives each connection a channel of its own and adds it to each group it
listens to: a broadcast to a room of a thousand subscribers is then a thousand channel-layer
messages, each woken up for, dispatched and handled by its connection on its own. Here the
process joins a group once, with one channel, when the first of its connections starts to
listen to it, and leaves it when the last one stops; the hub reads that channel and hands each
broadcast to the process's listeners of its group (``deliver(payload)``, which must not block).
A broadcast costs one channel-layer message per process, whatever the audience.

Membership of a group on the channel layer lapses after the layer's ``group_expiry`` (a day by
default); the hub renews the groups it is in well before.

**Losing the channel layer.** When Redis restarts (or fails over, or is flushed) the groups'
memberships go with it: a process that went on reading its channel would never hear anything
again, its sockets open and deaf. The hub notices the loss when reading its channel fails, when
adding its channel to a group or sending fails, or when its heartbeat (a message it sends
itself every ``HEARTBEAT_SECONDS`` through a group of its own) is not heard within
``HEARTBEAT_TIMEOUT_SECONDS``, which catches a Redis that came back before any read failed.
Then it

1. drops every listener and tells each one (``lost()``): the websocket consumer closes that
   connection with 4503 (``CloseCode.SERVICE_UNAVAILABLE``), and its client resumes;
2. reports the process as unable to deliver (``core.outages``): ``/readyz`` answers 503;
3. refuses new listeners (``ChannelLayerUnavailable``; the consumer closes with 4503 as well)
   and probes the layer every ``RETRY_SECONDS`` with a round trip through a group. Once a probe
   succeeds it has healed: ``/readyz`` answers 200 again, and the next listener starts the hub
   afresh, with a new channel, joining again every group its connections listen to.

**Why close the sockets rather than deliver what they missed.** What was broadcast while the
layer was gone is lost; what it said is in the database, but only the chat can find it there (a
room's messages have a sequence number, and ``chatMessages(after:)`` replays from one). An
announced event, an event's change or a presence count has no such number, so the server
cannot know what each subscription missed. Closing gives every kind one way back, the one every
client needs anyway for a dropped network or a deploy: reconnect (graphql-ws retries 4503 by
itself) and subscribe again, the chat with ``after`` set to the last message received, which
replays from the database everything committed meanwhile, each message once; the rest is read
again. Sockets that listen to no group (queries and mutations only) are left open.

One hub serves one channel layer on one event loop (``GroupHub.of(layer)``): a server process
has one of each; tests may make many, one after the other.
"""

import asyncio
import contextlib
import logging
import time
import uuid
import weakref

from core import outages
from core.channel_groups import BROADCAST

logger = logging.getLogger(__name__)

# The prefix of the hub's channel name, for channel-layer settings (capacity) and debugging.
CHANNEL_PREFIX = "websocket-groups"
# The type of the hub's own messages to itself (its heartbeats and probes).
HEARTBEAT = "websocket_groups.heartbeat"
# A message that only ends a read (``_wake``).
WAKE = "websocket_groups.wake"
# How often a listening hub checks that it still hears its groups, and how long a heartbeat
# may take to come back (behind a burst of broadcasts on the same channel) before the hub takes
# its groups for lost.
HEARTBEAT_SECONDS = 5.0
HEARTBEAT_TIMEOUT_SECONDS = 10.0
# How many of its groups a hub renews at once (each a round trip to the layer, on a
# connection of its own from the layer's pool).
RENEW_CONCURRENCY = 32
# How often a hub that lost the channel layer probes it, and how long a probe may take.
RETRY_SECONDS = 1.0
PROBE_TIMEOUT_SECONDS = 5.0


class ChannelLayerUnavailable(ConnectionError):
    """The hub cannot take listeners now: it lost the channel layer and has not healed yet."""


class GroupHub:
    """The groups one process listens to, and their local listeners (see the module).

    A listener has ``deliver(payload)``, called for each broadcast to its group, and
    ``lost()``, called when the hub drops it because the channel layer was lost; neither may
    block.
    """

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
        # Why the hub cannot deliver now (it lost the layer and is healing); None when it can.
        self.problem: str | None = None
        self._listeners: dict[str, set] = {}
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task] = []
        # Renewals under way: they finish even when the hub stops (see ``_renew``).
        self._renewals: set[asyncio.Future] = set()
        self._healer: asyncio.Task | None = None
        # Counts losses: a join that was waiting on the layer when it was lost must not add its
        # listener to a hub that has dropped everything since.
        self._losses = 0
        # The hub's own group, for its heartbeat and its probes.
        self._heartbeat_group = f"{CHANNEL_PREFIX}.heartbeat.{uuid.uuid4().hex}"
        self._awaited: tuple[str, asyncio.Future] | None = None
        # Those waiting for the hub to heal (``healed``).
        self._heal_waiters: set[asyncio.Future] = set()

    def listeners(self, group: str) -> int:
        """How many of this process's listeners ``group`` has."""
        return len(self._listeners.get(group, ()))

    async def healed(self) -> None:
        """Returns once the hub takes listeners again: at once if it does now, else once it
        has healed. For listeners it dropped that would join again (a signed-in socket's
        watch of its account, which has no client to reconnect it)."""
        if self.problem is None:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._heal_waiters.add(waiter)
        try:
            await waiter
        finally:
            self._heal_waiters.discard(waiter)

    async def join(self, group: str, listener) -> None:
        """Hand ``listener`` what is broadcast to ``group`` from now on (once this returns).
        Raises ChannelLayerUnavailable when the layer is lost, or is found lost meanwhile."""
        async with self._lock:
            if self.problem is not None:
                raise ChannelLayerUnavailable(self.problem)
            listeners = self._listeners.get(group)
            if listeners is None:
                losses = self._losses
                try:
                    if self.channel is None:
                        await self._start()
                    await self.layer.group_add(group, self.channel)
                except Exception as error:
                    self._lose(f"joining {group} failed: {error!r}")
                    raise ChannelLayerUnavailable(self.problem) from error
                if self._losses != losses:
                    raise ChannelLayerUnavailable(self.problem or "the channel layer was lost")
                listeners = self._listeners[group] = set()
            listeners.add(listener)

    async def leave(self, group: str, listener) -> None:
        """Stop handing ``listener`` the broadcasts of ``group``; the process leaves the group
        with its last listener, and stops reading with the last group."""
        # Shielded: a connection's clean-up can be cancelled again while it runs (the socket
        # closes as its operations end), and a leave cut short would keep the process in the
        # group, reading for nobody.
        await asyncio.shield(self._leave(group, listener))

    async def _leave(self, group: str, listener) -> None:
        async with self._lock:
            listeners = self._listeners.get(group)
            if listeners is None or listener not in listeners:
                return  # never joined, or dropped with the layer
            listeners.discard(listener)
            if listeners:
                return
            del self._listeners[group]
            channel = self.channel
            await self._discard(group, channel)
            if not self._listeners:
                await self._discard(self._heartbeat_group, channel)
                self._stop()
                await self._wake(channel)

    async def close(self) -> None:
        """Stop reading and healing, dropping the listeners without a word: for an event loop
        that ends (tests)."""
        tasks = [*self._tasks, *([self._healer] if self._healer else [])]
        channel = self.channel
        self.channel = None
        for task in tasks:
            task.cancel()
        await self._wake(channel)
        await asyncio.gather(*tasks, *self._renewals, return_exceptions=True)
        self._tasks, self._healer, self._listeners = [], None, {}
        self.channel = self.problem = None
        outages.resolve(self)

    # -- Reading --------------------------------------------------------------------------------
    async def _start(self) -> None:
        channel = await self.layer.new_channel(prefix=CHANNEL_PREFIX)
        await self.layer.group_add(self._heartbeat_group, channel)
        self.channel = channel
        self._tasks = [
            asyncio.create_task(self._read(channel)),
            asyncio.create_task(self._renew(channel)),
            asyncio.create_task(self._beat(channel)),
        ]

    def _stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        self.channel = None
        self._awaited = None

    async def _wake(self, channel: str | None) -> None:
        """Sends ``channel`` a message of no meaning: a read of it that was cancelled, and
        that the layer's client went on with regardless (redis-py does, now and then), ends
        with it rather than with the next broadcast."""
        if channel is None:
            return
        with contextlib.suppress(Exception):
            await self.layer.send(channel, {"type": WAKE})

    async def _discard(self, group: str, channel: str | None) -> None:
        if channel is None:
            return
        try:
            await self.layer.group_discard(group, channel)
        except Exception:
            # The membership lapses on its own (group_expiry); what still arrives for the
            # group meanwhile has no listener and is dropped. A lost layer is noticed by the
            # reader.
            logger.warning("Could not leave channel-layer group %s", group, exc_info=True)

    async def _read(self, channel: str) -> None:
        # Each of the hub's tasks serves one channel, and ends once the hub has another or
        # none: a cancellation can be swallowed deep in the layer's client (redis-py), and a
        # reader of an old channel still in some groups would hand on its broadcasts twice.
        while self.channel == channel:
            try:
                message = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if self.channel == channel:
                    self._lose(f"reading its channel failed: {error!r}")
                return
            if self.channel != channel:
                return
            kind = message.get("type")
            if kind == HEARTBEAT:
                self._heard(message.get("token"))
                continue
            if kind != BROADCAST:
                continue
            payload = message.get("payload")
            for listener in tuple(self._listeners.get(message.get("group"), ())):
                listener.deliver(payload)

    async def _renew(self, channel: str) -> None:
        """Adds the channel to its groups again before their membership lapses."""
        interval = getattr(self.layer, "group_expiry", 86400) / 4
        while self.channel == channel:
            await asyncio.sleep(interval)
            # Shielded: stopping the hub cancels this task, and a renewal cut short between its
            # adds and its clean-up would leave the channel in groups it had left.
            renewal = asyncio.ensure_future(self._renew_once(channel))
            self._renewals.add(renewal)
            renewal.add_done_callback(self._renewals.discard)
            if not await asyncio.shield(renewal):
                return

    async def _renew_once(self, channel: str) -> bool:
        """One renewal of ``channel``'s groups; whether the hub still reads that channel.

        The groups are added again outside ``_lock``, at most RENEW_CONCURRENCY at a time: with
        one group per signed-in user there may be thousands, and joins and leaves must not wait
        for them. A group left meanwhile may have been added again after its leave took it
        away; once the adds are done, every such group is taken away again, under the lock,
        where no join can come in between.
        """
        async with self._lock:
            if self.channel != channel:
                return False
            groups = [self._heartbeat_group, *self._listeners]
        limit = asyncio.Semaphore(RENEW_CONCURRENCY)

        async def add(group: str) -> None:
            async with limit:
                await self.layer.group_add(group, channel)

        # Every add ends before anything is decided: none may land after the clean-up.
        results = await asyncio.gather(*(add(group) for group in groups), return_exceptions=True)
        errors = [result for result in results if isinstance(result, Exception)]
        if errors:
            if self.channel == channel:
                self._lose(f"renewing its groups failed: {errors[0]!r}")
            return False
        async with self._lock:
            if self.channel == channel:
                left = [g for g in groups[1:] if g not in self._listeners]
                for group in left:
                    await self._discard(group, channel)
                return True
        if self.problem is None:
            # The hub stopped (its last group left) while renewing: nobody reads this channel
            # any more, and no join will add it anywhere again.
            for group in groups:
                await self._discard(group, channel)
        return False

    async def _beat(self, channel: str) -> None:
        """Sends the hub a message through its own group every HEARTBEAT_SECONDS, and takes
        the groups for lost if it does not come back in time."""
        loop = asyncio.get_running_loop()
        while self.channel == channel:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            token = uuid.uuid4().hex
            heard = loop.create_future()
            self._awaited = (token, heard)
            try:
                await self.layer.group_send(
                    self._heartbeat_group, {"type": HEARTBEAT, "token": token}
                )
            except Exception as error:
                if self.channel == channel:
                    self._lose(f"sending its heartbeat failed: {error!r}")
                return
            try:
                async with asyncio.timeout(HEARTBEAT_TIMEOUT_SECONDS):
                    await heard
            except TimeoutError:
                if self.channel != channel:
                    return
                self._lose(
                    f"its heartbeat was not heard within {HEARTBEAT_TIMEOUT_SECONDS:g} s: "
                    "the layer lost its groups"
                )
                return

    def _heard(self, token) -> None:
        if self._awaited is not None and self._awaited[0] == token:
            _, heard = self._awaited
            self._awaited = None
            if not heard.done():
                heard.set_result(None)

    # -- Losing the layer, and healing ------------------------------------------------------------
    def _lose(self, why: str) -> None:
        """The layer is lost: drop and tell every listener, stop reading, report the process
        unready and heal (see the module). Synchronous, so that nothing runs in between."""
        if self.problem is not None:
            return
        self.problem = why
        self._losses += 1
        outages.report(self, f"websocket groups: {why}")
        listeners = {listener for group in self._listeners.values() for listener in group}
        self._listeners = {}
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        self._tasks = []
        self.channel = None
        self._awaited = None
        logger.warning(
            "Websocket groups lost the channel layer (%s): closing %d subscriptions' "
            "connections, and probing the layer until it answers",
            why,
            len(listeners),
        )
        for listener in listeners:
            try:
                listener.lost()
            except Exception:
                logger.exception("A websocket groups' listener failed on losing the layer")
        self._healer = asyncio.create_task(self._heal())

    async def _heal(self) -> None:
        lost_at = time.monotonic()
        while True:
            await asyncio.sleep(RETRY_SECONDS)
            try:
                # asyncio.timeout, in this task, not wait_for: a probe of its own task that
                # failed just as this one was cancelled (the hub closing) has wait_for answer
                # with the probe's error, which would swallow the cancellation and probe on.
                async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
                    await self._probe()
            except Exception as error:
                logger.debug("The channel layer does not answer yet: %r", error)
                continue
            break
        self.problem = None
        self._healer = None
        outages.resolve(self)
        for waiter in self._heal_waiters:
            if not waiter.done():
                waiter.set_result(None)
        logger.warning(
            "Websocket groups hear the channel layer again, after %.1f s",
            time.monotonic() - lost_at,
        )

    async def _probe(self) -> None:
        """A round trip through a group, on a channel of the probe's own: the way broadcasts
        travel. Raises if it does not come back."""
        channel = await self.layer.new_channel(prefix=CHANNEL_PREFIX)
        token = uuid.uuid4().hex
        await self.layer.group_add(self._heartbeat_group, channel)
        try:
            await self.layer.group_send(self._heartbeat_group, {"type": HEARTBEAT, "token": token})
            message = await self.layer.receive(channel)
        finally:
            await self.layer.group_discard(self._heartbeat_group, channel)
        if message.get("token") != token:
            raise RuntimeError("the probe heard another message")
