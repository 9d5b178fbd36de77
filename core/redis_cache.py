"""Django's Redis cache, for a Redis database that the cache shares with others.

One Redis database holds the cache, the channel layer's groups (every server process's
websocket memberships), the Celery broker's queues and the chat's presence. Django's
``RedisCache.clear()`` empties the whole database (``FLUSHDB``): clearing the cache would drop
every process's groups, leaving its sockets deaf, and the tasks waiting in the broker. Here it
removes the cache's own keys only.
"""

import re

from django.core.cache.backends.redis import RedisCache

# How many keys each SCAN step asks for, and each DEL removes.
BATCH = 1000

# Characters that Redis's glob patterns give a meaning to.
_GLOB = re.compile(r"([\\*?\[\]])")


class SharedRedisCache(RedisCache):
    """The Redis cache whose ``clear()`` removes only the keys it made (see the module).

    Its keys are ``<KEY_PREFIX>:<version>:<key>``, as Django's default key function makes them;
    nothing else in the database starts with the prefix and a colon (with no prefix, a colon
    alone: the channel layer's keys start with ``asgi:``, Celery's with its queues' names).
    """

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
