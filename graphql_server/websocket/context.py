"""What an operation over the socket sees and holds: its context (``info.context``), the
streams of the groups its subscription listens to, and the watch of the account's news.

Each holds the connection it belongs to (``consumer.GraphQLWebsocketConsumer``, seen here as
the :class:`Connection` it is to them) and tells it what it hears.
"""

import asyncio
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urljoin

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http.request import split_domain_port, validate_host
from django.utils.encoding import iri_to_uri
from django.utils.translation import gettext
from graphql import GraphQLError

from .protocol import LIVE_UPDATES_UNAVAILABLE, CloseCode, WebsocketErrorCode

# Payloads a listening operation has not sent on yet; past this the client is not keeping up,
# and its subscription ends with TOO_MANY_EVENTS rather than silently losing events.
LISTEN_QUEUE_SIZE = 100


class Connection(Protocol):
    """What the objects here take from the socket's consumer."""

    user: Any
    request_id: str | None
    meta: dict[str, str]
    language: str
    scope: dict
    connection_id: str
    account_check: asyncio.Task | None

    async def join_group(self, stream: "GroupStream") -> None: ...

    def close_soon(self, code: int, reason: str) -> None: ...

    def account_news(self) -> None: ...

    def account_watch_lost(self, watch: "AccountWatch") -> None: ...


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

    def __init__(self, consumer: Connection, group: str):
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
                gettext("Events arrived faster than they could be sent; subscribe again."),
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
    """Hears the news of a signed-in connection's user (the authenticator's ``account_group``),
    as a listener of the process's GroupHub, and has the connection check its token again."""

    __slots__ = ("_consumer", "group")

    def __init__(self, consumer: Connection, group: str):
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

    def __init__(self, consumer: Connection, operation: Operation):
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
