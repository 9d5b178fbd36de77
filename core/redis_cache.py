"""Django's Redis cache, for a Redis database that the cache shares with others.

One Redis database holds the cache, the channel layer's groups (every server process's
websocket memberships), the Celery broker's queues and the chat's presence. Django's
``RedisCache.clear()`` empties the whole database (``FLUSHDB``): clearing the cache would drop
every process's groups, leaving its sockets deaf, and the tasks waiting in the broker. Here it
removes the cache's own keys only.
"""

import re
import threading

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

# How many keys each SCAN step asks for, and each DEL removes.
BATCH = 1000

# Characters that Redis's glob patterns give a meaning to.
_GLOB = re.compile(r"([\\*?\[\]])")


# The process's connection pools and redis-py clients, by server and pool options: shared by
# every cache object of the process (see ReusedClientCacheClient).
_process_pools: dict[tuple, tuple] = {}
_process_pools_lock = threading.Lock()


class ReusedClientCacheClient(RedisCacheClient):
    """Django's Redis cache client, but with one connection pool and one redis-py client per
    server for the whole process, where Django's makes a pool per cache object and a client per
    cache call.

    Django makes a cache object per thread and per asyncio context: with its own pools, every
    websocket connection of the ASGI tier that reads the cache would hold Redis connections of
    its own, and pools let go with their context leave their sockets for the garbage collector
    to close. redis-py's pools are safe to share between threads and start afresh in a forked
    child. A redis-py client takes about 0.15 ms of CPU to make (it sets up its response
    callbacks), and a cached GraphQL answer makes two cache calls: a fifth of what serving it
    costs. A client holds no connection of its own (its pool lends one per command)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # This object's pool and client by server index: the process's lookup (its key built
        # from the options) happens once per object, not on every cache call.
        self._mine: dict[int, tuple] = {}

    def _shared(self, write: bool) -> tuple:
        index = self._get_connection_pool_index(write)
        mine = self._mine.get(index)
        if mine is None:
            mine = self._mine[index] = self._process_wide(index)
        return mine

    def _process_wide(self, index: int) -> tuple:
        key = (self._servers[index], self._pool_class, repr(sorted(self._pool_options.items())))
        shared = _process_pools.get(key)
        if shared is None:
            with _process_pools_lock:
                shared = _process_pools.get(key)
                if shared is None:
                    pool = self._pool_class.from_url(self._servers[index], **self._pool_options)
                    shared = _process_pools[key] = (pool, self._client(connection_pool=pool))
        return shared

    def _get_connection_pool(self, write):
        return self._shared(write)[0]

    def get_client(self, key=None, *, write=False):
        return self._shared(write)[1]


class SharedRedisCache(RedisCache):
    """The Redis cache whose ``clear()`` removes only the keys it made (see the module), with
    a redis-py client kept per connection pool (``ReusedClientCacheClient``).

    Its keys are ``<KEY_PREFIX>:<version>:<key>``, as Django's default key function makes them;
    nothing else in the database starts with the prefix and a colon (with no prefix, a colon
    alone: the channel layer's keys start with ``asgi:``, Celery's with its queues' names).
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientCacheClient

    def clear(self) -> bool:
        client = self._cache.get_client(write=True)
        pattern = _GLOB.sub(r"\\\1", self.key_prefix) + ":*"
        removed = False
        batch = []
        for key in client.scan_iter(match=pattern, count=BATCH):
            batch.append(key)
            if len(batch) == BATCH:
                removed = bool(client.delete(*batch)) or removed
                batch = []
        if batch:
            removed = bool(client.delete(*batch)) or removed
        return removed
