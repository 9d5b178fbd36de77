"""Who is in a room now: how many connections follow each event's chat.

A connection is *present* in a room while it has a chatMessages subscription to it; two
subscriptions on one connection count once. Each presence is a lease: the process serving the
connection renews it every third of ``CHAT_PRESENCE_LEASE_SECONDS`` (all of the process's
leases at once, a write per room) and ends it when the subscription ends, so a process that
dies without a word stops being counted when its leases run out.

With ``REDIS_URL`` the leases are members of one sorted set per room in Redis (the member is the
connection's id, unique across processes; the score is when its lease ends), so every server
process counts the same connections; without it (the embedded default, one process) they
live in this process's memory. Each change also bumps the room's *version*, so that listeners
hearing of counts from several processes can tell the newest.

Presence is a courtesy, not a duty: Redis being unreachable loses counts, never the chat.
The functions block: call them from a thread in async code.
"""

import logging
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.conf import settings

logger = logging.getLogger(__name__)

# How long a room's version outlives its last change in Redis: longer than any subscription
# waits between the sweeps that would notice it was reset.
VERSION_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A room's count of present connections, and the version it had then."""

    count: int
    version: int


def lease_seconds() -> float:
    return float(settings.CHAT_PRESENCE_LEASE_SECONDS)


class MemoryPresence:
    """Leases in this process's memory: the embedded default, where one process serves all."""

    # What ``now`` is when not given (seconds since the epoch): tests may run it ahead.
    clock = staticmethod(time.time)

    def __init__(self):
        self._lock = threading.Lock()
        self._rooms: dict[int, dict[str, float]] = defaultdict(dict)
        self._versions: Counter = Counter()

    def _expire(self, room: int, now: float) -> int:
        members = self._rooms[room]
        gone = [member for member, until in members.items() if until <= now]
        for member in gone:
            del members[member]
        return len(gone)

    def _changed(self, room: int) -> Snapshot:
        self._versions[room] += 1
        return Snapshot(len(self._rooms[room]), self._versions[room])

    def enter(self, room: int, member: str, now: float | None = None) -> Snapshot:
        now = self.clock() if now is None else now
        with self._lock:
            self._expire(room, now)
            self._rooms[room][member] = now + lease_seconds()
            return self._changed(room)

    def leave(self, room: int, member: str, now: float | None = None) -> Snapshot:
        now = self.clock() if now is None else now
        with self._lock:
            self._rooms[room].pop(member, None)
            self._expire(room, now)
            return self._changed(room)

    def renew(self, room: int, members, now: float | None = None) -> None:
        now = self.clock() if now is None else now
        with self._lock:
            for member in members:
                self._rooms[room][member] = now + lease_seconds()

    def sweep(self, room: int, now: float | None = None) -> tuple[Snapshot, bool]:
        """End the leases that ran out; the snapshot after, and whether any did."""
        now = self.clock() if now is None else now
        with self._lock:
            if self._expire(room, now):
                return self._changed(room), True
            return Snapshot(len(self._rooms[room]), self._versions[room]), False

    def snapshot(self, room: int, now: float | None = None) -> Snapshot:
        now = self.clock() if now is None else now
        with self._lock:
            count = sum(1 for until in self._rooms[room].values() if until > now)
            return Snapshot(count, self._versions[room])

    def count(self, room: int) -> int:
        return self.snapshot(room).count

    def clear(self) -> None:
        """Forget every room (between tests)."""
        with self._lock:
            self._rooms.clear()
            self._versions.clear()


class RedisPresence:
    """Leases in Redis, shared by every server process (see the module's docstring)."""

    PREFIX = "twinning:chat:presence"
    # What ``now`` is when not given (seconds since the epoch): tests may run it ahead.
    clock = staticmethod(time.time)

    def __init__(self, url: str):
        import redis

        self._errors = (redis.RedisError,)
        self.client = redis.Redis.from_url(url)

    def _keys(self, room: int) -> tuple[str, str]:
        key = f"{self.PREFIX}:{room}"
        return key, f"{key}:version"

    def _write(self, room: int, change, now: float | None) -> Snapshot | None:
        """Apply ``change(pipeline, key, now)``, drop ended leases, bump the version; all in one
        MULTI, so the count and version returned belong together."""
        now = self.clock() if now is None else now
        key, version = self._keys(room)
        try:
            pipe = self.client.pipeline(transaction=True)
            change(pipe, key, now)
            pipe.zremrangebyscore(key, "-inf", now)
            pipe.zcard(key)
            pipe.incr(version)
            pipe.expire(key, int(lease_seconds() * 2) + 1)
            pipe.expire(version, VERSION_SECONDS)
            *_, count, number, _, _ = pipe.execute()
        except self._errors:
            logger.warning("Chat presence of room %s not written.", room, exc_info=True)
            return None
        return Snapshot(int(count), int(number))

    def enter(self, room: int, member: str, now: float | None = None) -> Snapshot | None:
        def add(pipe, key, now):
            pipe.zadd(key, {member: now + lease_seconds()})

        return self._write(room, add, now)

    def leave(self, room: int, member: str, now: float | None = None) -> Snapshot | None:
        return self._write(room, lambda pipe, key, now: pipe.zrem(key, member), now)

    def renew(self, room: int, members, now: float | None = None) -> None:
        now = self.clock() if now is None else now
        key, _ = self._keys(room)
        until = now + lease_seconds()
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.zadd(key, dict.fromkeys(members, until))
            pipe.expire(key, int(lease_seconds() * 2) + 1)
            pipe.execute()
        except self._errors:
            logger.warning("Chat presence of room %s not renewed.", room, exc_info=True)

    def sweep(self, room: int, now: float | None = None) -> tuple[Snapshot, bool]:
        now = self.clock() if now is None else now
        key, _ = self._keys(room)
        try:
            ended = self.client.zremrangebyscore(key, "-inf", now)
        except self._errors:
            logger.warning("Chat presence of room %s not swept.", room, exc_info=True)
            ended = 0
        if ended:
            snapshot = self._write(room, lambda pipe, key, now: None, now)
            if snapshot is not None:
                return snapshot, True
        return self.snapshot(room, now), False

    def snapshot(self, room: int, now: float | None = None) -> Snapshot:
        now = self.clock() if now is None else now
        key, version = self._keys(room)
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.zcount(key, f"({now}", "+inf")
            pipe.get(version)
            count, number = pipe.execute()
        except self._errors:
            logger.warning("Chat presence of room %s not read.", room, exc_info=True)
            return Snapshot(0, 0)
        return Snapshot(int(count), int(number or 0))

    def count(self, room: int) -> int:
        return self.snapshot(room).count


_stores: dict[str, MemoryPresence | RedisPresence] = {}
_stores_lock = threading.Lock()


def store() -> MemoryPresence | RedisPresence:
    """The presence store of this configuration: Redis with ``REDIS_URL``, else memory."""
    url = settings.REDIS_URL
    with _stores_lock:
        if url not in _stores:
            _stores[url] = RedisPresence(url) if url else MemoryPresence()
        return _stores[url]


class Holds:
    """This process's connections in rooms: a connection enters a room with its first
    subscription there and leaves it with its last."""

    def __init__(self):
        self._lock = threading.Lock()
        self._holds: Counter = Counter()

    def enter(self, room: int, member: str) -> Snapshot | None:
        """Count one more subscription; the room's snapshot when the connection came in."""
        with self._lock:
            self._holds[room, member] += 1
            first = self._holds[room, member] == 1
        return store().enter(room, member) if first else None

    def leave(self, room: int, member: str) -> Snapshot | None:
        """Count one subscription less; the room's snapshot when the connection went out."""
        with self._lock:
            self._holds[room, member] -= 1
            last = self._holds[room, member] <= 0
            if last:
                del self._holds[room, member]
        return store().leave(room, member) if last else None

    def renew_all(self) -> int:
        """Renew the lease of every connection held in a room, one write per room; how many
        leases that was."""
        with self._lock:
            rooms = defaultdict(list)
            for room, member in self._holds:
                rooms[room].append(member)
        for room, members in rooms.items():
            store().renew(room, members)
        return sum(len(members) for members in rooms.values())


holds = Holds()


def present_count(room: int) -> int:
    """How many connections follow the room's messages now."""
    return store().count(room)
