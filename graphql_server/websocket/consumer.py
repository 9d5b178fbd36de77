"""The consumer that serves one websocket connection: its life (handshake, `connection_init`,
the close), the protocol's messages, its groups and its tasks.

The connection's other concerns each have a module: the protocol's messages and codes
(``protocol``), its limits (``limits``), the request behind it (``handshake``), the viewer
(``session``), its operations (``operations``) and what they see (``context``). The process's
groups are heard by one hub for every connection (``group_hub``).

No maintained library speaks this protocol for graphene on Channels, hence this package. It is
kept thin: it checks frames, authenticates through the project's authenticator, hands
operations to the runner that HTTP uses too, and enforces the limits in the "Websockets"
section of the settings; what an operation does is the schema's business.
"""

import asyncio
import contextlib
import contextvars
import functools
import hashlib
import logging
import math
import uuid

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.translation import gettext
from graphql import GraphQLError

from core import metrics
from core.logs import request_id_var
from core.middleware import request_id_from
from core.outages import is_outage

from . import going_away
from .context import GroupStream, Operation
from .group_hub import ChannelLayerUnavailable, GroupHub
from .handshake import client_address, handshake_language, request_meta, supported_language
from .limits import SLOT_LEASE_SECONDS, ConnectionSlot, Limits, TokenBucket
from .operations import OperationsMixin
from .protocol import (
    GOING_AWAY_REASON,
    LIVE_UPDATES_UNAVAILABLE,
    PROTOCOL,
    SERVICE_UNAVAILABLE,
    CloseCode,
    CloseConnection,
    WebsocketErrorCode,
    fit_reason,
    invalid,
    parse_message,
    to_json,
    utf8_length,
)
from .session import SessionMixin

logger = logging.getLogger(__name__)


def _guarded(handler):
    """Runs a Channels handler so that no exception escapes it (see ``_guard``)."""

    @functools.wraps(handler)
    async def run(self, *args, **kwargs):
        await self._guard(handler.__name__, handler(self, *args, **kwargs))

    return run


class GraphQLWebsocketConsumer(SessionMixin, OperationsMixin, AsyncWebsocketConsumer):
    """Serves one websocket connection: see the package's docstring and the module's.

    Route it with the schema to serve: ``GraphQLWebsocketConsumer.as_asgi(schema=schema)``
    (or set ``schema`` on a subclass). Channel-layer messages of type ``broadcast`` (see
    ``core.channel_groups``) reach the operations listening to their group through the
    process's ``GroupHub``.
    """

    schema = None
    # No channel of its own: the process's GroupHub hears the groups for every connection, so
    # a broadcast to a thousand subscribers is not a thousand channel-layer messages.
    channel_layer_alias = None

    def __init__(self, *args, schema=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.schema = schema or self.schema
        if self.schema is None:
            raise ImproperlyConfigured("Route GraphQLWebsocketConsumer.as_asgi(schema=...).")
        self.graphql_schema = getattr(self.schema, "graphql_schema", self.schema)
        self.language = settings.LANGUAGE_CODE
        self.meta: dict[str, str] = {}
        self.limits: Limits | None = None
        # Unique across server processes: presence and connection slots are held under it.
        self.connection_id = f"websocket.{uuid.uuid4().hex}"
        # The ID of the connection's log lines and of its operations' unexpected errors.
        self.request_id = ""
        self._hub: GroupHub | None = None
        self._closed = False
        # The server is stopping: no new operation is taken (``go_away``).
        self._going_away = False
        # Done once the operation whose `subscribe` is being handled has started (or ended).
        self._starting: asyncio.Future | None = None
        self._init_received = False
        self._acknowledged = False
        self._operations: dict[str, Operation] = {}
        # The streams listening to groups through the hub, for the last clean-up.
        self._streams: set[GroupStream] = set()
        self._tasks: set[asyncio.Task] = set()
        # The timers of the connection's periodic work (``_every``), by job.
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._timer_context: contextvars.Context | None = None
        self._init_timer: asyncio.Task | None = None
        self._bucket: TokenBucket | None = None
        self._refused = 0
        self._slot: ConnectionSlot | None = None

    # -- Channels' handlers ---------------------------------------------------------------------
    async def dispatch(self, message):
        """As Channels' own, without closing the event loop thread's old database connections
        before each handler (a hop to a thread per frame): this consumer never uses the
        database on the event loop, only in worker threads that do that themselves."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    @_guarded
    async def connect(self):
        metrics.websocket_opened()
        going_away.opened(self)
        # The handshake's request ID (WebsocketRequestIdMiddleware), else one of its own: the
        # variable then holds for every handler, task and thread of the connection.
        self.request_id = request_id_var.get() or request_id_from("")
        request_id_var.set(self.request_id)
        self.limits = Limits.from_settings()
        self.meta = request_meta(self.scope)
        self.language = handshake_language(self.meta)
        self._bucket = TokenBucket(self.limits.operations_per_second, self.limits.operations_burst)
        if PROTOCOL not in self.scope.get("subprotocols", ()):
            # As graphql-ws's own server does: accept, then say why in a close frame, which a
            # client can read (a refused handshake only shows as a failed connection).
            await self.accept()
            raise CloseConnection(
                CloseCode.SUBPROTOCOL_NOT_ACCEPTABLE, "Subprotocol not acceptable"
            )
        await self.accept(PROTOCOL)
        if self.limits.init_timeout > 0:
            self._init_timer = self._spawn(self._expect_init, self.limits.init_timeout)

    @_guarded
    async def receive(self, text_data=None, bytes_data=None):
        if self._closed:
            return
        size = len(bytes_data) if text_data is None else utf8_length(text_data)
        if self.limits.max_message_bytes and size > self.limits.max_message_bytes:
            raise CloseConnection(CloseCode.MESSAGE_TOO_BIG, "Message too big")
        if text_data is None:
            raise invalid("Messages are JSON in text frames")
        message = parse_message(text_data)
        handler = {
            "connection_init": self._on_connection_init,
            "ping": self._on_ping,
            "pong": self._on_pong,
            "subscribe": self._on_subscribe,
            "complete": self._on_complete,
        }[message["type"]]
        await handler(message)

    async def disconnect(self, code):
        metrics.websocket_closed(code)
        going_away.closed(self)
        self._closed = True
        if self._expiry is not None:
            self._expiry.cancel()
        self._stop_timers()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # Operations leave their groups as they end; this catches a clean-up cut short.
        for stream in list(self._streams):
            await self._quietly(self.leave_group(stream))
        if self._account is not None:
            await self._quietly(self._hub.leave(self._account.group, self._account))
        if self._slot is not None:
            await self._quietly(sync_to_async(self._slot.release, thread_sensitive=False)())

    # -- Protocol messages ----------------------------------------------------------------------
    async def _on_connection_init(self, message):
        if self._init_received:
            raise CloseConnection(
                CloseCode.TOO_MANY_INIT_REQUESTS, "Too many initialisation requests"
            )
        self._init_received = True
        if self._init_timer is not None:
            self._init_timer.cancel()
            self._init_timer = None
        payload = message.get("payload") or {}
        language = payload.get("language")
        if language is not None:
            if not isinstance(language, str):
                raise invalid("'language' must be a string")
            self.language = supported_language(language) or self.language
        await self._sign_in(payload)
        await self._claim_slot()
        if self.user.is_authenticated:
            # Before the ack: whatever happens to the account from then on is heard.
            await self._watch_account()
        self._acknowledged = True
        await self._send({"type": "connection_ack"})
        if self.limits.keepalive > 0:
            self._every(self.limits.keepalive, self._keep_alive)
        self._keep_checking()

    async def _on_ping(self, message):
        # The pong carries the ping's payload back, as graphql-ws's server does: a client can
        # put a timestamp there to measure latency.
        pong = {"type": "pong"}
        if message.get("payload") is not None:
            pong["payload"] = message["payload"]
        await self._send(pong)

    async def _on_pong(self, message):
        """An answer to the server's ping, or a client's unsolicited heartbeat: nothing to do."""

    async def _on_subscribe(self, message):
        if not self._acknowledged:
            raise CloseConnection(CloseCode.UNAUTHORIZED, "Unauthorized")
        if self._going_away:
            # Not answered here: graphql-ws subscribes again on the connection it opens after
            # the 1001 that follows.
            return
        operation_id = message["id"]
        if operation_id in self._operations:
            raise CloseConnection(
                CloseCode.SUBSCRIBER_ALREADY_EXISTS, f"Subscriber for {operation_id} already exists"
            )
        wait = self._bucket.take()
        if wait:
            self._refused += 1
            # A client told to wait `burst` times over and still sending is flooding.
            if self._refused > self.limits.operations_burst:
                raise CloseConnection(CloseCode.POLICY_VIOLATION, "Too many operations")
            with translation.override(self.language):
                error = GraphQLError(
                    gettext("Too many operations; retry later."),
                    extensions={
                        "code": WebsocketErrorCode.RATE_LIMITED.value,
                        "retryAfter": math.ceil(wait * 100) / 100,
                    },
                )
            await self._send_error(operation_id, [error])
            return
        self._refused = 0
        operation = Operation(operation_id)
        self._operations[operation_id] = operation
        self._starting = asyncio.get_running_loop().create_future()
        try:
            # Its refusals (the document's, the variables', the viewer's) in its language.
            with translation.override(self.language):
                started = await self._start(operation, message["payload"])
            if started is None:
                await self._finish(operation)
                return
            operation.task = self._spawn(self._run, operation, *started)
        finally:
            # Messages are handled one at a time: no other operation starts meanwhile.
            self._starting.set_result(None)

    async def _on_complete(self, message):
        # An unknown ID is an operation that already ended: the protocol says to ignore it.
        operation = self._operations.pop(message["id"], None)
        if operation is not None and operation.task is not None:
            operation.task.cancel()

    # -- The server stopping ---------------------------------------------------------------------
    async def go_away(self) -> None:
        """Close with 1001 once the queries and mutations running now have sent their answers;
        new operations are not taken meanwhile (see ``going_away``)."""
        self._going_away = True
        while answering := self._answering():
            await asyncio.wait(answering)
        await self.close_with(CloseCode.GOING_AWAY, GOING_AWAY_REASON)

    def _answering(self) -> list[asyncio.Future]:
        """What ``go_away`` waits for: an operation being started (its authorization, its
        checks), and the queries and mutations running."""
        waits = [
            operation.task
            for operation in self._operations.values()
            if operation.task is not None and not operation.streaming and not operation.task.done()
        ]
        if self._starting is not None and not self._starting.done():
            waits.append(self._starting)
        return waits

    # -- Groups ---------------------------------------------------------------------------------
    async def join_group(self, stream: GroupStream) -> None:
        """Hand ``stream`` what its group hears from now on (the process joins the group with
        its first listener)."""
        if self._hub is None:
            self._hub = GroupHub.of(get_channel_layer())
        self._streams.add(stream)
        try:
            await self._hub.join(stream.group, stream)
        except ChannelLayerUnavailable:
            # Nothing can be heard now: the client reconnects, and resumes once it can.
            self._streams.discard(stream)
            await self.close_with(CloseCode.SERVICE_UNAVAILABLE, LIVE_UPDATES_UNAVAILABLE)
            raise

    async def leave_group(self, stream: GroupStream) -> None:
        """Stop handing ``stream`` its group's broadcasts (the process leaves with the last)."""
        if stream in self._streams:
            self._streams.discard(stream)
            await self._hub.leave(stream.group, stream)

    # -- Connection -----------------------------------------------------------------------------
    async def _claim_slot(self) -> None:
        if self.user.is_authenticated:
            limit, holder = self.limits.max_connections_per_user, f"user:{self.user.pk}"
        else:
            address = client_address(self.meta)
            limit = self.limits.max_anonymous_connections_per_ip if address else 0
            # Hashed: a forwarded address is the client's to write, and must make a valid key.
            holder = "ip:" + hashlib.sha256((address or "").encode()).hexdigest()[:32]
        if not limit:
            return
        slot = ConnectionSlot(holder, limit, owner=self.connection_id)
        if not await sync_to_async(slot.claim, thread_sensitive=False)():
            raise CloseConnection(CloseCode.POLICY_VIOLATION, "Too many connections")
        self._slot = slot
        self._every(SLOT_LEASE_SECONDS / 3, self._renew_slot)

    async def _renew_slot(self) -> None:
        await sync_to_async(self._slot.renew, thread_sensitive=False)()

    async def _expect_init(self, timeout: float) -> None:
        await asyncio.sleep(timeout)
        if not self._init_received:
            raise CloseConnection(CloseCode.INIT_TIMEOUT, "Connection initialisation timeout")

    async def _keep_alive(self) -> None:
        await self._send({"type": "ping"})

    async def _in_thread(self, function, *args):
        """``function(*args)`` in a worker thread, with Django's handling of database
        connections around it."""
        # Not thread-sensitive: Channels gives a consumer no thread of its own, so
        # thread_sensitive=True would run every socket's operations, process-wide, one at a
        # time on a single shared thread. An execution is self-contained (any transaction
        # opens and closes inside it), so any thread of the pool will do.
        return await database_sync_to_async(function, thread_sensitive=False)(*args)

    def _spawn(self, function, *args) -> asyncio.Task:
        """Run ``function(*args)`` in a task of this connection, guarded like a handler and
        cancelled when the connection ends."""

        # The coroutine is made inside the task: a task cancelled before it starts then leaves
        # no coroutine behind that was never awaited.
        async def run():
            await self._guard(function.__name__, function(*args))

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _every(self, interval: float, function, first: float | None = None) -> None:
        """Run ``function()`` (a coroutine function) in a task of the connection ``first``
        seconds from now (``interval`` unless given), then ``interval`` seconds after each run
        ends, until the connection closes; guarded like a handler.

        Between runs the connection holds a timer (about 0.7 KiB) rather than a task asleep
        with its coroutines (about 2.7 KiB): an idle connection has three such jobs
        (keep-alive, the token's re-check, the connection slot's renewal), and a process holds
        tens of thousands of idle connections. The timer calls a method of the connection,
        not a closure of its own (two functions and their cells for each job)."""
        self._schedule(function, interval, interval if first is None else first)

    def _schedule(self, function, interval: float, delay: float) -> None:
        if not self._closed:
            self._timers[function.__name__] = self._call_later(
                delay, self._run_periodic, function, interval
            )

    def _call_later(self, delay: float, callback, *args) -> asyncio.TimerHandle:
        """``loop.call_later``, every timer of the connection sharing one copy of its context
        (the loop's own would copy the context for each: about 0.25 KiB a timer). Timers'
        callbacks never run inside one another, so one context serves them all; the tasks they
        start copy it. A callback must therefore set no context variable itself (the next
        timer's would see it): the work goes in the task it starts."""
        if self._timer_context is None:
            self._timer_context = contextvars.copy_context()
        return asyncio.get_running_loop().call_later(
            delay, callback, *args, context=self._timer_context
        )

    def _run_periodic(self, function, interval: float) -> None:
        self._timers.pop(function.__name__, None)
        if self._closed:
            return
        self._spawn(function).add_done_callback(
            lambda task: self._schedule(function, interval, interval)
        )

    def _stop_timers(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    async def _guard(self, name: str, coroutine) -> None:
        """Await ``coroutine``; an expected CloseConnection closes the socket with its code,
        anything else is a bug: logged, and closed with 4500 and a generic reason."""
        try:
            await coroutine
        except CloseConnection as close:
            await self.close_with(close.code, close.reason)
        except Exception as error:
            if is_outage(error):
                # The database or Redis is unreachable, not a bug: 4503, which clients retry.
                logger.warning("Websocket %s failed: a service is unavailable", name, exc_info=True)
                await self.close_with(CloseCode.SERVICE_UNAVAILABLE, SERVICE_UNAVAILABLE)
                return
            logger.exception("Websocket %s failed", name)
            await self.close_with(CloseCode.INTERNAL_SERVER_ERROR, "Internal server error")

    def close_soon(self, code: CloseCode, reason: str) -> None:
        """``close_with`` for callers that cannot wait (callbacks)."""
        if not self._closed:
            self._spawn(self.close_with, code, reason)

    async def close_with(self, code: CloseCode, reason: str) -> None:
        """Close the socket with ``code`` and stop everything the connection runs."""
        if self._closed:
            return
        self._closed = True
        self._stop_timers()
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        logger.debug("Closing websocket %s: %s %s", self.connection_id, int(code), reason)
        # A client that has gone already cannot be told (see ``_send_text``).
        with contextlib.suppress(OSError):
            await self.close(int(code), reason=fit_reason(reason))

    async def _send(self, message: dict) -> None:
        if not self._closed:
            await self._send_text(to_json(message))

    async def _send_next(self, operation_id: str, payload_text: str) -> None:
        """A `next` message whose payload is already JSON."""
        if not self._closed:
            await self._send_text(
                f'{{"id":{to_json(operation_id)},"type":"next","payload":{payload_text}}}'
            )

    async def _send_text(self, text: str) -> None:
        """Send one frame. A send to a client that has gone raises an OSError of the server's
        (uvicorn's ClientDisconnected, as the ASGI specification asks; daphne drops the frame
        instead): the socket is then taken as closed, nothing more is sent, and its disconnect,
        already on its way, ends the connection as usual. Not a failure to log or to answer
        with 4500 (a keep-alive ping or a broadcast may meet any client that just left)."""
        try:
            await self.send(text_data=text)
        except OSError:
            self._closed = True

    async def _send_error(self, operation_id: str, errors: list[GraphQLError]) -> None:
        payload = [error.formatted for error in errors]
        await self._send({"id": operation_id, "type": "error", "payload": payload})

    @staticmethod
    async def _quietly(awaitable) -> None:
        # Clean-up after the socket has gone: a failure is logged, and the rest goes on.
        try:
            await awaitable
        except Exception:
            logger.exception("Websocket clean-up failed")
