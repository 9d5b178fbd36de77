"""The limits of one connection: those read from the settings when it opens, the rate at which
it may start operations, and its place among the connections of its user or address."""

import logging
import time
from dataclasses import dataclass

from django.conf import settings

from core.outages import OUTAGE_ERRORS
from core.shared_cache import shared_cache

logger = logging.getLogger(__name__)

# How long a connection's place in the per-user count lasts without renewal: a process that
# dies without saying goodbye frees its users' places after this.
SLOT_LEASE_SECONDS = 120


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
        self.holder, self.limit, self.owner = holder, limit, owner
        # The place taken. Only its key is kept: a connection lives on after the claim, and
        # the list of every place's key would cost it about 1 KiB.
        self.key: str | None = None

    @property
    def keys(self) -> list[str]:
        """The cache keys of the holder's places."""
        return [f"websocket:connections:{self.holder}:{n}" for n in range(self.limit)]

    def claim(self) -> bool:
        cache = shared_cache()
        keys = self.keys
        try:
            taken = cache.get_many(keys)
            for key in keys:
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
