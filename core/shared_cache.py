"""The default cache as one client per process.

``django.core.cache.cache`` is one client per thread and async context, and under daphne every
request runs in a thread of its own and every websocket in a context of its own: each would
open its own connection to Redis (with its handshake), and a websocket would hold it for as
long as it lives. A client shared by the threads keeps one connection pool; redis-py's pool is
thread-safe, and local memory shares its store by name anyway.
"""

import functools

from django.core.cache import DEFAULT_CACHE_ALIAS, caches


@functools.cache
def shared_cache():
    """The default cache, one client per process."""
    return caches.create_connection(DEFAULT_CACHE_ALIAS)
