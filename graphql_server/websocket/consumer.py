"""GraphQL over websockets: the ``graphql-transport-ws`` protocol, served by Django Channels.

One endpoint, ``ws://…/graphql/``, carries queries, mutations and subscriptions as the
``graphql-ws`` project's PROTOCOL.md describes. The client opens the socket with the
``graphql-transport-ws`` subprotocol and sends ``connection_init`` (with its bearer token, if
it has one) before the init timeout; the server answers ``connection_ack``. Each operation then
starts with ``subscribe`` and an ID of the client's choosing; the server answers ``next`` for
each result and ``complete`` at the end, or a single ``error`` when the operation cannot run.
A client's ``complete`` cancels its operation. Either side may ``ping``; the other answers
``pong``. Misbehaviour closes the socket with one of the codes in ``CloseCode``.

No maintained library speaks this protocol for graphene on Channels, hence this module. It is
kept thin: it checks frames, authenticates through the accounts app, hands operations to the
runner that HTTP uses too (``graphql_server.runner``: variables, execution, masking and logging of
unexpected errors with the connection's request ID, metrics) and enforces the limits in the
"Websockets" section of the settings; what an operation does is the schema's business.

**A socket is not a licence.** The token of `connection_init` is checked again for every
operation started (a query, a mutation, a subscription), as a request over HTTP would be
checked at that moment, and the operation runs as the user it names now; a token no longer
accepted closes the socket with 4403 and the reason. The token's expiry (its ``exp``) closes
the socket with 4403 when it comes; apps reconnect with a fresh token (graphql-ws clients do so
with a ``connectionParams`` function). And a signed-in connection listens to its user's group
(``USER_ACCOUNT``, see ``accounts.realtime``): when a session is revoked, the account is
deactivated or a role changes, on whichever server process, the connection checks its token
again at once (4403 if refused) and its running subscriptions go on with the user read
afresh; what they deliver meanwhile waits for that check. News can be lost (the channel layer
failing as it is sent, or while a process has lost it), so a signed-in connection also checks
its token on its own every ``WEBSOCKET_REAUTHENTICATE_SECONDS``, and one whose watch of the
account was lost with the channel layer watches again, and checks, once the hub has healed.

Each event of a subscription is executed like a query, in a worker thread, for its subscriber.
An event that says its result is the same for every subscriber of the same operation (it has a
``shared_result_key``, unique to the broadcast, and needs no database) is executed once per
process and operation (document, variables, language) on the event loop, and its result's JSON
is sent to every such subscriber: a chat message reaching a thousand subscribers of one room
costs one execution, not a thousand.
"""

import asyncio
import functools
import hashlib
import json
import logging
import math
import random
import time
import uuid
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from types import SimpleNamespace
from urllib.parse import urljoin, urlparse

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import DisallowedHost, ImproperlyConfigured
from django.http.request import split_domain_port, validate_host
from django.utils import translation
from django.utils.encoding import iri_to_uri
from graphql import GraphQLError

from accounts.authentication import (
    AuthenticationError,
    authenticate_token,
    bearer_token,
    token_expires_at,
)
from core import metrics
from core.channel_groups import USER_ACCOUNT, group_name
from core.client_ip import client_ip
from core.logs import request_id_var
from core.middleware import request_id_from
from core.outages import OUTAGE_ERRORS, is_outage
from core.shared_cache import shared_cache
from core.text import unencodable_path

from .. import runner
from ..documents import DocumentError, DocumentLimits, is_remembered, prepare_operation
from .group_hub import ChannelLayerUnavailable, GroupHub

logger = logging.getLogger(__name__)

PROTOCOL = "graphql-transport-ws"

# Payloads a listening operation has not sent on yet; past this the client is not keeping up,
# and its subscription ends with TOO_MANY_EVENTS rather than silently losing events.
LISTEN_QUEUE_SIZE = 100
# How long a connection's place in the per-user count lasts without renewal: a process that
# dies without saying goodbye frees its users' places after this.
SLOT_LEASE_SECONDS = 120
# The WebSocket protocol's limit on a close frame's reason, in UTF-8 bytes.
MAX_REASON_BYTES = 123
# Results of shared subscription events kept for the process's other subscribers: enough for
# every operation of the broadcasts in flight.
SHARED_RESULTS = 1024
# The close reason when the connection's token expires.
TOKEN_EXPIRED = "The token expired; reconnect with a fresh one."  # noqa: S105 (not a secret)
# The reasons of a 4503 close: the channel layer lost, or another service (the database, Redis)
# unavailable to the connection or to one of its subscriptions.
LIVE_UPDATES_UNAVAILABLE = "Live updates unavailable; reconnect"
SERVICE_UNAVAILABLE = "Service unavailable"


class CloseCode(IntEnum):
    """Why the server closed the socket.

    The 44xx codes and 4500 are the protocol's own (each is 4000 plus the HTTP status of the
    same meaning). The two limits the protocol does not cover follow the same pattern or RFC
    6455's: daphne (autobahn underneath) only sends 1000 and 3000–4999, so RFC 6455's own 1008
    and 1009 cannot be used.
    """

    BAD_REQUEST = 4400  # an invalid message; the reason says what was wrong
    UNAUTHORIZED = 4401  # `subscribe` before `connection_ack`
    # The token of `connection_init` was refused, then or later (expired, its session revoked,
    # the account deactivated): the reason says which. Apps reconnect with a fresh token.
    FORBIDDEN = 4403
    SUBPROTOCOL_NOT_ACCEPTABLE = 4406  # the client did not offer graphql-transport-ws
    INIT_TIMEOUT = 4408  # no `connection_init` in time
    SUBSCRIBER_ALREADY_EXISTS = 4409  # `subscribe` with the ID of a running operation
    TOO_MANY_INIT_REQUESTS = 4429  # a second `connection_init`
    INTERNAL_SERVER_ERROR = 4500  # a bug; logged, the reason is generic
    # A message over WEBSOCKET_MAX_MESSAGE_BYTES: HTTP's 413 Content Too Large, as 4000 + 413.
    MESSAGE_TOO_BIG = 4413
    # Too many connections for one user or address, or a client that keeps starting operations
    # after being told it is rate limited: RFC 6455's 1008 Policy Violation, in the private
    # range. Distinct from 4403 so that an app does not take it for a refused token (daphne
    # drops close reasons, so the code is all a client may see), and unlike 4429 graphql-ws
    # clients retry it with backoff, by when another connection may have closed.
    POLICY_VIOLATION = 4008
    # The server cannot serve the connection now (it lost Redis or the database), and what its
    # subscriptions were to hear meanwhile may be lost: HTTP's 503, as 4000 + 503. graphql-ws
    # reconnects and subscribes again on its own; apps resume the chat with `after`
    # (graphql_server.websocket.group_hub says why the socket is closed rather than left deaf).
    SERVICE_UNAVAILABLE = 4503


class WebsocketErrorCode(StrEnum):
    """``extensions.code`` of the `error` messages this server sends for its own limits."""

    RATE_LIMITED = "RATE_LIMITED"
    TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"
    TOO_MANY_EVENTS = "TOO_MANY_EVENTS"


class CloseConnection(Exception):
    """Raised by a handler to close the socket for an expected cause."""

    def __init__(self, code: CloseCode, reason: str):
        super().__init__(f"{int(code)}: {reason}")
        self.code = code
        self.reason = reason


def invalid(reason: str) -> CloseConnection:
    return CloseConnection(CloseCode.BAD_REQUEST, reason)


@dataclass(frozen=True)
class Limits:
    """The limits of one connection, read from the settings when it opens. 0 disables any."""

    init_timeout: float
    keepalive: float
    max_message_bytes: int
    max_subscriptions: int
    max_connections_per_user: int
    max_anonymous_connections_per_ip: int
    operations_per_second: float
    operations_burst: int
    reauthenticate: float

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(
            init_timeout=settings.WEBSOCKET_INIT_TIMEOUT_SECONDS,
            keepalive=settings.WEBSOCKET_KEEPALIVE_SECONDS,
            max_message_bytes=settings.WEBSOCKET_MAX_MESSAGE_BYTES,
            max_subscriptions=settings.WEBSOCKET_MAX_SUBSCRIPTIONS,
            max_connections_per_user=settings.WEBSOCKET_MAX_CONNECTIONS_PER_USER,
            max_anonymous_connections_per_ip=settings.WEBSOCKET_MAX_ANONYMOUS_CONNECTIONS_PER_IP,
            operations_per_second=settings.WEBSOCKET_OPERATIONS_PER_SECOND,
            operations_burst=settings.WEBSOCKET_OPERATIONS_BURST,
            reauthenticate=settings.WEBSOCKET_REAUTHENTICATE_SECONDS,
        )


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------
def parse_message(text: str) -> dict:
    """A client's message, checked against PROTOCOL.md; CloseConnection(4400) when it is not one.

    Server-to-client types (`connection_ack`, `next`, `error`) are invalid from a client.
    Text that is not valid Unicode anywhere in a message (a lone surrogate escaped in JSON, in
    the document, a variable, the operation's name, the extensions or the `connection_init`
    payload) is refused as the HTTP endpoint refuses it, before anything reads the message.
    """
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        raise invalid("Message is not valid JSON") from None
    if not isinstance(message, dict):
        raise invalid("Message must be a JSON object")
    if (path := unencodable_path(message)) is not None:
        raise invalid(f"Message is not valid Unicode: a lone surrogate at {path}")
    kind = message.get("type")
    if not isinstance(kind, str) or not kind:
        raise invalid("Message is missing the 'type' property")
    if kind in ("connection_init", "ping", "pong"):
        payload = message.get("payload")
        if payload is not None and not isinstance(payload, dict):
            raise invalid(f"'{kind}' payload must be an object or null")
    elif kind in ("subscribe", "complete"):
        operation_id = message.get("id")
        if not isinstance(operation_id, str) or not operation_id:
            raise invalid(f"'{kind}' message needs a non-empty string 'id'")
        if kind == "subscribe":
            _check_subscribe_payload(message.get("payload"))
    else:
        raise invalid(f"Unexpected message type {kind[:40]!r}")
    return message


def _check_subscribe_payload(payload) -> None:
    if not isinstance(payload, dict):
        raise invalid("'subscribe' payload must be an object")
    if not isinstance(payload.get("query"), str):
        raise invalid("'subscribe' payload needs a string 'query'")
    if not isinstance(payload.get("operationName"), str | None):
        raise invalid("'subscribe' payload 'operationName' must be a string or null")
    for key in ("variables", "extensions"):
        if not isinstance(payload.get(key), dict | None):
            raise invalid(f"'subscribe' payload '{key}' must be an object or null")


def _fit_reason(reason: str) -> str:
    """``reason`` cut to what a close frame can carry."""
    return reason.encode()[:MAX_REASON_BYTES].decode(errors="ignore")


# ---------------------------------------------------------------------------------------------
# The request behind the socket
# ---------------------------------------------------------------------------------------------
def request_meta(scope: dict) -> dict[str, str]:
    """The handshake as Django's ``request.META`` shows an HTTP request: ``HTTP_*`` headers,
    ``REMOTE_ADDR``, ``SERVER_NAME``…, for resolvers written against HttpRequest."""
    meta = {
        "PATH_INFO": scope.get("path", ""),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
    }
    if client := scope.get("client"):
        meta["REMOTE_ADDR"], meta["REMOTE_PORT"] = str(client[0]), str(client[1])
    if server := scope.get("server"):
        meta["SERVER_NAME"], meta["SERVER_PORT"] = str(server[0]), str(server[1] or "")
    for name, value in scope.get("headers", ()):
        key = "HTTP_" + name.decode("latin-1").upper().replace("-", "_")
        value = value.decode("latin-1")
        meta[key] = f"{meta[key]},{value}" if key in meta else value
    return meta


def client_address(meta: dict[str, str]) -> str | None:
    # As over HTTP: the peer, or the hop behind TRUSTED_PROXY_COUNT proxies.
    return client_ip(meta)


def supported_language(code: str) -> str | None:
    """The supported language closest to ``code`` (``ru-RU`` → ``ru``), None if none is."""
    try:
        return translation.get_supported_language_variant(code.strip().lower())
    except LookupError:
        return None


def handshake_language(meta: dict[str, str]) -> str:
    """The language the handshake's Accept-Language asks for, as LocaleMiddleware picks it."""
    # Only META is read: cookies do not count, as nothing else about the socket uses them.
    return translation.get_language_from_request(SimpleNamespace(COOKIES={}, META=meta))


# ---------------------------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------------------------
class TokenBucket:
    """Lets ``burst`` operations start at once and ``rate`` a second after that (0: no limit)."""

    def __init__(self, rate: float, burst: int):
        self.rate = rate
        self.capacity = max(burst, 1)
        self.tokens = float(self.capacity)
        self.updated = time.monotonic()

    def take(self) -> float:
        """Take a token: 0.0 if there was one, else the seconds until there will be."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class ConnectionSlot:
    """A place among the at most ``limit`` live connections of one user (or anonymous address).

    The places are cache keys, so every process counts the same connections once the cache is
    Redis. A connection takes a free place with an atomic add, renews its lease while it lives
    and gives the place back when it closes; a process that dies without closing frees its
    places when their leases run out. The methods block on the cache: call them in a thread.

    All slots of the process use one cache client (``core.shared_cache``): Django's ``cache``
    is one per async context, which here is one per connection, and a thousand sockets then
    held a thousand connections to Redis.
    """

    def __init__(self, holder: str, limit: int, owner: str):
        self.keys = [f"websocket:connections:{holder}:{n}" for n in range(limit)]
        self.owner = owner
        self.key: str | None = None

    def claim(self) -> bool:
        cache = shared_cache()
        try:
            taken = cache.get_many(self.keys)
            for key in self.keys:
                if key not in taken and cache.add(key, self.owner, SLOT_LEASE_SECONDS):
                    self.key = key
                    return True
        except OUTAGE_ERRORS:
            # As with the rate limits, a cache outage lets the connection in, uncounted: a
            # refusal before the ack would cost a graphql-ws client one of its five retries.
            logger.warning("No connection places (cache unavailable)", exc_info=True)
            return True
        return False

    def renew(self) -> None:
        if self.key is None:
            return
        cache = shared_cache()
        try:
            holder = cache.get(self.key)
            if holder == self.owner:
                cache.touch(self.key, SLOT_LEASE_SECONDS)
            elif holder is None:
                cache.add(self.key, self.owner, SLOT_LEASE_SECONDS)
        except OUTAGE_ERRORS:
            logger.warning("Connection place not renewed (cache unavailable)", exc_info=True)

    def release(self) -> None:
        cache = shared_cache()
        try:
            if self.key is not None and cache.get(self.key) == self.owner:
                cache.delete(self.key)
        except OUTAGE_ERRORS:  # the lease runs out on its own
            logger.warning("Connection place not released (cache unavailable)", exc_info=True)
        self.key = None


# ---------------------------------------------------------------------------------------------
# Operations and their context
# ---------------------------------------------------------------------------------------------
@dataclass(eq=False)
class Operation:
    """One `subscribe` of the client, from the message until its end."""

    id: str
    streaming: bool = False
    task: asyncio.Task | None = None
    context: "WebsocketContext | None" = None
    streams: list["GroupStream"] = field(default_factory=list)


class GroupStream:
    """The payloads broadcast to one channel-layer group, for one operation.

    What ``info.context.listen(group)`` returns: an async iterator a subscription resolver
    reads with ``async for``. The connection joins the group on the first read (or on
    ``join()``) and leaves it when the operation ends, whatever the resolver does.
    """

    def __init__(self, consumer: "GraphQLWebsocketConsumer", group: str):
        self.group = group
        self._consumer = consumer
        self._queue: asyncio.Queue = asyncio.Queue(maxsize=LISTEN_QUEUE_SIZE)
        self._joined = False
        self._overflowed = False

    def __aiter__(self):
        return self

    async def join(self) -> None:
        """Start receiving now. A resolver that sends the current state first joins before
        reading it, so that no change made in between is missed."""
        if not self._joined:
            await self._consumer.join_group(self)
            self._joined = True

    async def __anext__(self):
        await self.join()
        if self._overflowed:
            raise GraphQLError(
                "Events arrived faster than they could be sent; subscribe again.",
                extensions={"code": WebsocketErrorCode.TOO_MANY_EVENTS.value},
            )
        payload = await self._queue.get()
        # News of the viewer's account heard before now is acted on first (the socket closes,
        # or the viewer is read afresh); nothing to wait for, nearly always.
        if (pending := self._consumer.account_check) is not None:
            await pending.wait()
        return payload

    def deliver(self, payload) -> None:
        try:
            self._queue.put_nowait(payload)
        except asyncio.QueueFull:
            self._overflowed = True

    def lost(self) -> None:
        """The process lost the channel layer, and what the group said meanwhile with it: the
        connection closes (4503) so that its client resumes (see ``GroupHub``)."""
        self._consumer.close_soon(CloseCode.SERVICE_UNAVAILABLE, LIVE_UPDATES_UNAVAILABLE)


class AccountWatch:
    """Hears the news of a signed-in connection's user (``USER_ACCOUNT``), as a listener of the
    process's GroupHub, and has the connection check its token again."""

    __slots__ = ("_consumer", "group")

    def __init__(self, consumer: "GraphQLWebsocketConsumer", group: str):
        self.group = group
        self._consumer = consumer

    def deliver(self, payload) -> None:
        self._consumer.account_news()

    def lost(self) -> None:
        """The process lost the channel layer, and with it this watch: the news of the
        account may go unheard until the connection watches again (``_watch_account``)."""
        self._consumer.account_watch_lost(self)


class WebsocketContext:
    """``info.context`` of an operation over the socket.

    Resolvers are written against the HttpRequest they get over HTTP, so this offers the same
    names: ``user``, ``META``, ``LANGUAGE_CODE``, ``request_id`` and ``build_absolute_uri``.
    Subscription resolvers also get ``listen``, and ``connection_id``, which names the
    connection uniquely across server processes.

    ``user`` is the user the connection's token names as the operation starts, a fresh object
    (what resolvers cache on it, its office roles, lives as long as that object); a running
    subscription gets a fresh one again whenever news of the account comes.
    """

    def __init__(self, consumer: "GraphQLWebsocketConsumer", operation: Operation):
        self.user = consumer.user
        self.request_id = consumer.request_id
        self.META = consumer.meta
        self.LANGUAGE_CODE = consumer.language
        self.scope = consumer.scope
        self.connection_id = consumer.connection_id
        self._consumer = consumer
        self._operation = operation

    def listen(self, group: str) -> GroupStream:
        """The payloads broadcast to ``group`` (a name from ``core.channel_groups``) from now
        until the operation ends."""
        stream = GroupStream(self._consumer, group)
        self._operation.streams.append(stream)
        return stream

    def build_absolute_uri(self, location: str | None = None) -> str:
        """``location`` as an absolute http(s) URL on the host the client connected to."""
        base = f"{self._scheme()}://{self._host()}{self.scope.get('path', '/')}"
        return iri_to_uri(urljoin(base, location or ""))

    def _scheme(self) -> str:
        secure = self.scope.get("scheme") in ("wss", "https")
        # Behind a TLS-terminating proxy, trust its header exactly as HttpRequest.scheme does.
        if settings.SECURE_PROXY_SSL_HEADER:
            header, value = settings.SECURE_PROXY_SSL_HEADER
            if (forwarded := self.META.get(header)) is not None:
                secure = forwarded.split(",")[0].strip() == value
        return "https" if secure else "http"

    def _host(self) -> str:
        host = self.META.get("HTTP_HOST") or self.META.get("SERVER_NAME", "")
        allowed = settings.ALLOWED_HOSTS
        if settings.DEBUG and not allowed:
            allowed = [".localhost", "127.0.0.1", "[::1]"]
        domain, _ = split_domain_port(host)
        # As HttpRequest.get_host: never build links on a host the site does not serve.
        if domain and validate_host(domain, allowed):
            return host
        raise DisallowedHost(f"Invalid Host header: {host!r}.")


# ---------------------------------------------------------------------------------------------
# The consumer
# ---------------------------------------------------------------------------------------------
def _guarded(handler):
    """Runs a Channels handler so that no exception escapes it (see ``_guard``)."""

    @functools.wraps(handler)
    async def run(self, *args, **kwargs):
        await self._guard(handler.__name__, handler(self, *args, **kwargs))

    return run


class GraphQLWebsocketConsumer(AsyncWebsocketConsumer):
    """Serves one websocket connection: see the module's docstring.

    Route it with the schema to serve: ``GraphQLWebsocketConsumer.as_asgi(schema=schema)``
    (or set ``schema`` on a subclass). Channel-layer messages of type ``broadcast`` (see
    ``core.channel_groups``) reach the operations listening to their group through the
    process's ``GroupHub``.
    """

    schema = None
    # No channel of its own: the process's GroupHub hears the groups for every connection, so
    # a broadcast to a thousand subscribers is not a thousand channel-layer messages.
    channel_layer_alias = None
    # The wall clock the token's expiry is read against (seconds since the epoch, as ``exp``).
    clock = staticmethod(time.time)

    def __init__(self, *args, schema=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.schema = schema or self.schema
        if self.schema is None:
            raise ImproperlyConfigured("Route GraphQLWebsocketConsumer.as_asgi(schema=...).")
        self.graphql_schema = getattr(self.schema, "graphql_schema", self.schema)
        # The viewer as last checked: at `connection_init`, then whenever news of the account
        # came. Each operation checks the token again for itself.
        self.user = AnonymousUser()
        self.language = settings.LANGUAGE_CODE
        self.meta: dict[str, str] = {}
        self.limits: Limits | None = None
        # Unique across server processes: presence and connection slots are held under it.
        self.connection_id = f"websocket.{uuid.uuid4().hex}"
        # The ID of the connection's log lines and of its operations' unexpected errors.
        self.request_id = ""
        self._hub: GroupHub | None = None
        # The bearer token of `connection_init` (None: anonymous), and what watches its user.
        self._token: str | None = None
        self._account: AccountWatch | None = None
        # Waits for the hub to heal, to watch the account again (``_watch_again``).
        self._rewatch: asyncio.Task | None = None
        # How many times news of the account was heard; while a check of it is pending, an
        # event set once it is done (what the subscriptions deliver waits for it).
        self._account_news = 0
        self.account_check: asyncio.Event | None = None
        # When the token expires: a timer rather than a task, as every signed-in socket has one.
        self._expiry: asyncio.TimerHandle | None = None
        self._closed = False
        self._init_received = False
        self._acknowledged = False
        self._operations: dict[str, Operation] = {}
        # The streams listening to groups through the hub, for the last clean-up.
        self._streams: set[GroupStream] = set()
        self._tasks: set[asyncio.Task] = set()
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
        size = len(bytes_data) if text_data is None else _utf8_length(text_data)
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
        self._closed = True
        if self._expiry is not None:
            self._expiry.cancel()
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
        payload = message.get("payload") or {}
        language = payload.get("language")
        if language is not None:
            if not isinstance(language, str):
                raise invalid("'language' must be a string")
            self.language = supported_language(language) or self.language
        self._token = _init_token(payload)
        # The token's user (and whether their session was revoked) is in the database.
        self.user = await self._in_thread(self._authenticate)
        await self._claim_slot()
        if self.user.is_authenticated:
            # Before the ack: whatever happens to the account from then on is heard.
            await self._watch_account()
        self._acknowledged = True
        await self._send({"type": "connection_ack"})
        if self.limits.keepalive > 0:
            self._spawn(self._keep_alive, self.limits.keepalive)
        if self._token is not None and (expires := token_expires_at(self._token)) is not None:
            delay = max(0.0, expires - self.clock())
            self._expiry = asyncio.get_running_loop().call_later(delay, self._expired)
        if self.user.is_authenticated and self.limits.reauthenticate > 0:
            self._spawn(self._reauthenticate, self.limits.reauthenticate)

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
            error = GraphQLError(
                "Too many operations; retry later.",
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
        started = await self._start(operation, message["payload"])
        if started is None:
            await self._finish(operation)
            return
        operation.task = self._spawn(self._run, operation, *started)

    async def _on_complete(self, message):
        # An unknown ID is an operation that already ended: the protocol says to ignore it.
        operation = self._operations.pop(message["id"], None)
        if operation is not None and operation.task is not None:
            operation.task.cancel()

    # -- Operations -----------------------------------------------------------------------------
    async def _start(self, operation: Operation, payload: dict) -> tuple | None:
        """What ``_run`` needs to run the operation (its runner, and a subscription's key for
        shared results), once it may: None when it may not, its `error` sent.

        Awaited before the connection's next message is read. A subscription is authorized here
        (the token checked now), so that it listens to its groups before anything the client
        sent after it runs: an app subscribes to an event, then reads it, and misses nothing in
        between. A query or mutation checks the token in the thread that runs it.
        """
        variables = payload.get("variables")
        name = payload.get("operationName") or None  # "" names none, as over HTTP
        query = payload["query"]
        try:
            # The same standard rules, limits and document cache as over HTTP, then the
            # variables, as the runner checks them for HTTP too. A document met before (the
            # app's own operations, and any refused one) is answered from memory on the loop;
            # a new one is parsed and validated in a thread, so that a costly document holds
            # up no other socket of the process meanwhile.
            if is_remembered(self.graphql_schema, query):
                prepared = prepare_operation(self.graphql_schema, query, name, variables)
            else:
                prepared = await sync_to_async(prepare_operation, thread_sensitive=False)(
                    self.graphql_schema, query, name, variables
                )
            with translation.override(self.language):
                run = runner.prepare(
                    self.graphql_schema,
                    prepared.document,
                    prepared.operation,
                    variables,
                    operation_name=name,
                    request_id=self.request_id,
                    limits=DocumentLimits.from_settings(),
                )
        except DocumentError as error:
            await self._send_error(operation.id, error.errors)
            return None
        except runner.OperationRefused as refused:
            await self._send_error(operation.id, refused.errors)
            return None
        operation.context = WebsocketContext(self, operation)
        if not run.is_subscription:
            return run, None
        limit = self.limits.max_subscriptions
        if limit and sum(op.streaming for op in self._operations.values()) >= limit:
            error = GraphQLError(
                f"Too many subscriptions on this connection (at most {limit}).",
                extensions={"code": WebsocketErrorCode.TOO_MANY_SUBSCRIPTIONS.value},
            )
            await self._send_error(operation.id, [error])
            return None
        operation.streaming = True
        if self.user.is_authenticated and self._account is None:
            # A subscription lives on what the account may see: it runs only while the
            # account's news is heard (lost with the channel layer, and watched again here).
            await self._watch_account()
            if self._account is None:
                await self.close_with(CloseCode.SERVICE_UNAVAILABLE, LIVE_UPDATES_UNAVAILABLE)
                return None
        try:
            await self._authorize(operation.context)
        except runner.OperationRefused as refused:
            _close_for_an_outage(refused.errors)
            await self._send_error(operation.id, refused.errors)
            return None
        # The text names the operation, for results shared between subscribers of it.
        return run, (payload["query"], name, _variables_key(variables), self.language)

    async def _run(self, operation: Operation, run, operation_key) -> None:
        try:
            with translation.override(self.language):
                if run.is_subscription:
                    await self._stream(operation, run, operation_key)
                else:
                    await self._answer(operation, run)
        finally:
            await self._finish(operation)

    async def _answer(self, operation: Operation, run) -> None:
        """A query's or a mutation's result: `next`, then `complete`."""
        try:
            # The token is checked in the thread that then runs the operation: one hop.
            result = await self._in_thread(self._authorized_execution, run, operation.context)
        except runner.OperationRefused as refused:
            await self._send_error(operation.id, refused.errors)
            return
        await self._send({"id": operation.id, "type": "next", "payload": result.formatted})
        await self._send({"id": operation.id, "type": "complete"})

    async def _stream(self, operation: Operation, run, operation_key) -> None:
        """A subscription's results, one `next` per event, until its stream ends (`complete`)
        or fails (`error`)."""
        context = operation.context
        try:
            # The source stream (the resolver's async generator) lives on this event loop;
            # each of its events is then executed like a query, in a thread, as the ORM
            # requires. Refused before the first event (a permission check, an unknown ID):
            # the protocol's `error`, which ends the operation.
            source = await run.subscribe(context)
        except runner.OperationRefused as refused:
            _close_for_an_outage(refused.errors)
            await self._send_error(operation.id, refused.errors)
            return
        events = aiter(source)
        try:
            while True:
                try:
                    event = await anext(events)
                except StopAsyncIteration:
                    break
                except Exception as error:
                    if is_outage(error):
                        # The database or Redis is unreachable, not a bug: the socket closes
                        # with 4503 (``_guard``), and the client resumes where it was.
                        raise
                    # The stream failed (an error of the API's, or a bug: masked and logged).
                    raise run.stream_failed(error) from error
                if getattr(event, "shared_result_key", None) is not None:
                    text = self._shared_result(run, context, event, operation_key)
                    await self._send_next(operation.id, text)
                    continue
                result = await self._in_thread(self._execution, run, context, event)
                # An event that met an outage is not delivered as a failure: the client
                # resumes, and reads again what the event was to tell.
                _close_for_an_outage(result.errors or ())
                await self._send({"id": operation.id, "type": "next", "payload": result.formatted})
        except runner.OperationRefused as refused:
            await self._send_error(operation.id, refused.errors)
            return
        finally:
            if aclose := getattr(source, "aclose", None):
                await aclose()
        await self._send({"id": operation.id, "type": "complete"})

    def _shared_result(self, run, context, event, operation_key) -> str:
        """The JSON of the result of ``event``, which is the same for every subscriber of the
        operation: executed by the first of this process to send it, on the event loop (the
        event promises it needs no database), then taken from ``_shared_results``."""
        key = (event.shared_result_key, operation_key)
        text = _shared_results.get(key)
        if text is None:
            text = _json(self._execution(run, context, event).formatted)
            _shared_results[key] = text
            while len(_shared_results) > SHARED_RESULTS:
                del _shared_results[next(iter(_shared_results))]
        return text

    async def _in_thread(self, function, *args):
        """``function(*args)`` in a worker thread, with Django's handling of database
        connections around it."""
        # Not thread-sensitive: Channels gives a consumer no thread of its own, so
        # thread_sensitive=True would run every socket's operations, process-wide, one at a
        # time on a single shared thread. An execution is self-contained (any transaction
        # opens and closes inside it), so any thread of the pool will do.
        return await database_sync_to_async(function, thread_sensitive=False)(*args)

    def _execution(self, run, context, root=None):
        """``run``'s result for ``context`` (and a subscription's event), in the connection's
        language. Blocking: in a worker thread, but for shared results."""
        with translation.override(self.language):
            return run.execute(context, root)

    def _authorized_execution(self, run, context):
        """``_execution`` as the user the connection's token names now (blocking)."""
        context.user = self._authenticate_for_operation()
        return self._execution(run, context)

    # -- Who is asking ------------------------------------------------------------------------
    def _authenticate(self):
        """The user the connection's token names now (anonymous without one), as the same
        token would be taken over HTTP now; CloseConnection(4403) with the reason when it is
        refused. Blocking: it reads the database."""
        if self._token is None:
            return AnonymousUser()
        try:
            return authenticate_token(self._token)
        except AuthenticationError as error:
            raise CloseConnection(CloseCode.FORBIDDEN, error.message) from error

    def _authenticate_for_operation(self):
        """``_authenticate``, for an operation about to run: a failure other than a refused
        token is that operation's error, decided, masked and logged as over HTTP (the database
        unreachable: SERVICE_UNAVAILABLE), and the socket stays open."""
        try:
            return self._authenticate()
        except CloseConnection:
            raise
        except Exception as error:
            failure = runner.unexpected_error(error, self.request_id)
            raise runner.OperationRefused([failure]) from error

    async def _authorize(self, context: WebsocketContext) -> None:
        """``context.user``: the user the token names now, for an operation that starts."""
        if self._token is None:
            return
        heard = self._account_news
        user = await self._in_thread(self._authenticate_for_operation)
        # News of the account heard meanwhile has its own check, begun after this one: the
        # user that check reads (already, or once it is done) is the one to go on with.
        context.user = user if heard == self._account_news else self.user

    def account_news(self) -> None:
        """News of the account (``AccountWatch``): check the token again, and hold what the
        subscriptions deliver until that is done. Must not block."""
        self._account_news += 1
        if self.account_check is None:
            self.account_check = asyncio.Event()
            self._spawn(self._check_viewer)

    async def _check_viewer(self) -> None:
        """Check the token again until no news came during a check: refused, the socket closes
        (4403); accepted, the running subscriptions go on as the user read now."""
        while True:
            heard = self._account_news
            self._viewer_is(await self._in_thread(self._authenticate))
            if heard == self._account_news:
                break
        # Refused, the socket closes and what waits is cancelled with it.
        done, self.account_check = self.account_check, None
        done.set()

    def _viewer_is(self, user) -> None:
        """``user``, as a check of the token read it: the connection's viewer, and that of its
        running subscriptions from their next delivery on."""
        self.user = user
        for operation in self._operations.values():
            if operation.streaming and operation.context is not None:
                operation.context.user = user

    async def _reauthenticate(self, interval: float) -> None:
        """Check the token again every ``interval`` seconds (``WEBSOCKET_REAUTHENTICATE_SECONDS``)
        as news of the account would have it checked: refused, the socket closes (4403);
        accepted, the subscriptions go on as the user read now. News that never came (lost
        with the channel layer as it was sent, or while the account was not watched) is acted
        on within ``interval`` all the same.

        The first check comes at a random point of the second half of the first interval, so
        that sockets opened together (after a deploy, or an outage) are not all checked at
        once ever after. Deliveries do not wait for it: it bounds how long lost news can
        hold, where news heard is acted on first. An outage met by a check is no news of the
        account: the socket stays as it is, and the next interval checks again."""
        delay = interval * random.uniform(0.5, 1.0)  # noqa: S311 (a spread, not a secret)
        while True:
            await asyncio.sleep(delay)
            delay = interval
            heard = self._account_news
            try:
                user = await self._in_thread(self._authenticate)
            except Exception as error:
                if not is_outage(error):
                    raise
                logger.warning(
                    "Websocket %s: the token could not be checked again now: %r",
                    self.connection_id,
                    error,
                )
                continue
            # News heard meanwhile has a check of its own, begun after this one: its reading
            # is the newer one.
            if heard == self._account_news:
                self._viewer_is(user)

    async def _watch_account(self) -> None:
        """Listen to the user's news (``USER_ACCOUNT``) through the process's hub. While the
        channel layer is unavailable the connection goes on unwatched: its queries and
        mutations check the token each time, it may start no subscription until watched, and
        it watches again once the hub has healed (``_watch_once_healed``)."""
        if self._hub is None:
            self._hub = GroupHub.of(get_channel_layer())
        if not await self._join_account():
            self._watch_once_healed()

    async def _join_account(self) -> bool:
        """Join the user's group through the hub; whether the account is watched now."""
        watch = AccountWatch(self, group_name(USER_ACCOUNT, id=self.user.pk))
        try:
            await self._hub.join(watch.group, watch)
        except ChannelLayerUnavailable:
            logger.info("Websocket %s: the account's news cannot be heard now", self.connection_id)
            return False
        if self._account is not None or self._closed:
            # Another join got there first (a subscription's, and one after healing), or the
            # connection ended meanwhile: one watch of the account is enough.
            await self._hub.leave(watch.group, watch)
            return self._account is not None
        self._account = watch
        return True

    def account_watch_lost(self, watch: AccountWatch) -> None:
        """The hub dropped ``watch`` with the channel layer: watch again once it has healed."""
        if self._account is watch:
            self._account = None
            self._watch_once_healed()

    def _watch_once_healed(self) -> None:
        if not self._closed and (self._rewatch is None or self._rewatch.done()):
            self._rewatch = self._spawn(self._watch_again)

    async def _watch_again(self) -> None:
        """Wait for the hub to heal, watch the account again, and check the token at once, as
        news of the account would: what was told while nothing was listening was lost."""
        while self._account is None and not self._closed:
            await self._hub.healed()
            if await self._join_account():
                self.account_news()

    def _expired(self) -> None:
        """The token's expiry came: close the socket (4403)."""
        self._spawn(self.close_with, CloseCode.FORBIDDEN, TOKEN_EXPIRED)

    async def _finish(self, operation: Operation) -> None:
        if self._operations.get(operation.id) is operation:
            del self._operations[operation.id]
        for stream in operation.streams:
            await self.leave_group(stream)

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
        self._spawn(self._renew_slot)

    async def _renew_slot(self) -> None:
        while True:
            await asyncio.sleep(SLOT_LEASE_SECONDS / 3)
            await sync_to_async(self._slot.renew, thread_sensitive=False)()

    async def _expect_init(self, timeout: float) -> None:
        await asyncio.sleep(timeout)
        if not self._init_received:
            raise CloseConnection(CloseCode.INIT_TIMEOUT, "Connection initialisation timeout")

    async def _keep_alive(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self._send({"type": "ping"})

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
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        logger.debug("Closing websocket %s: %s %s", self.connection_id, int(code), reason)
        await self.close(int(code), reason=_fit_reason(reason))

    async def _send(self, message: dict) -> None:
        if not self._closed:
            await self.send(text_data=_json(message))

    async def _send_next(self, operation_id: str, payload_text: str) -> None:
        """A `next` message whose payload is already JSON."""
        if not self._closed:
            text = f'{{"id":{_json(operation_id)},"type":"next","payload":{payload_text}}}'
            await self.send(text_data=text)

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


# Shared results by (event's key, operation's key), oldest first; only the event loop's thread
# touches it.
_shared_results: dict[tuple, str] = {}


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _close_for_an_outage(errors) -> None:
    """CloseConnection(4503) when a subscription's ``errors`` hold an outage's
    (SERVICE_UNAVAILABLE): an `error` would end the subscription for good (graphql-ws does not
    subscribe again after one), and a `next` would tell of a failure instead of the event. The
    client reconnects and subscribes again (the chat with ``after``), once the service is back.
    """
    if any(runner.is_unavailable(error) for error in errors):
        raise CloseConnection(CloseCode.SERVICE_UNAVAILABLE, SERVICE_UNAVAILABLE)


def _variables_key(variables: dict | None) -> str:
    return json.dumps(variables or {}, sort_keys=True, separators=(",", ":"))


def _utf8_length(text: str) -> int:
    return len(text.encode())


def _init_token(payload: dict) -> str | None:
    """The bearer token of a `connection_init` payload, None for an anonymous connection.

    ``{"authorization": "Bearer <token>"}`` mirrors the HTTP header; ``{"token": "<token>"}``
    is the short form. An empty value counts as none, as an empty header does over HTTP.
    """
    authorization = payload.get("authorization", payload.get("Authorization"))
    if authorization is not None:
        if not isinstance(authorization, str):
            raise invalid("'authorization' must be a string")
        try:
            return bearer_token(authorization)
        except AuthenticationError as error:
            raise CloseConnection(CloseCode.FORBIDDEN, error.message) from error
    token = payload.get("token")
    if token is not None and not isinstance(token, str):
        raise invalid("'token' must be a string")
    return (token or "").strip() or None


# ---------------------------------------------------------------------------------------------
# Origin
# ---------------------------------------------------------------------------------------------
# Channels' pattern matching ("https://app.example.com", ".example.com", "*"), reused.
_ORIGIN_PATTERNS = OriginValidator(None, ())


class AllowedOriginMiddleware:
    """Refuses websocket handshakes from browser pages of sites not allowed to use the API.

    A browser sends an Origin header with every handshake and lets any page open a socket to
    any site, so the check is the server's. Allowed: no Origin at all (the mobile apps and
    other native clients, which have no page to protect); an Origin on the very host the
    socket was opened on (GraphiQL, the admin); and the patterns in ``allowed_origins``,
    ``settings.WEBSOCKET_ALLOWED_ORIGINS`` by default, read at each handshake. A refused
    handshake is closed before it is accepted, which the server answers with HTTP 403.

    Sockets authenticate by the token in `connection_init`, never by cookie, so a hostile page
    could not act as its visitor anyway; the check keeps others' pages off the API altogether.
    """

    def __init__(self, application, allowed_origins: list[str] | None = None):
        self.application = application
        self.allowed_origins = allowed_origins

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not self.allows(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)

    def allows(self, scope) -> bool:
        headers = dict(scope.get("headers", ()))
        if b"origin" not in headers:
            return True
        origin = urlparse(headers[b"origin"].decode("latin-1"))
        host = headers.get(b"host", b"").decode("latin-1").lower()
        if origin.hostname and host and origin.netloc.lower() == host:
            return True
        patterns = self.allowed_origins
        if patterns is None:
            patterns = settings.WEBSOCKET_ALLOWED_ORIGINS
        try:
            return any(
                pattern == "*" or _ORIGIN_PATTERNS.match_allowed_origin(origin, pattern)
                for pattern in patterns
            )
        except ValueError:  # a port that is not a number: no browser sends that
            return False
