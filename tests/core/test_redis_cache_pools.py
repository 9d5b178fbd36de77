"""The Redis cache's connections are the process's, not each cache object's: Django makes a
cache object per thread and per asyncio context, and each would otherwise hold connections of
its own (no Redis server is needed: a pool connects when first used)."""

import asyncio
import threading

from core.redis_cache import SharedRedisCache

URL = "redis://127.0.0.1:6379/15"


def a_cache(**options) -> SharedRedisCache:
    return SharedRedisCache(URL, {"KEY_PREFIX": "pools", "OPTIONS": options})


def pool_and_client(cache: SharedRedisCache) -> tuple:
    client = cache._cache.get_client(write=True)
    return client.connection_pool, client


def test_cache_objects_of_other_threads_and_contexts_share_one_pool_and_client():
    here = pool_and_client(a_cache())
    elsewhere = []
    thread = threading.Thread(target=lambda: elsewhere.append(pool_and_client(a_cache())))
    thread.start()
    thread.join()

    async def in_a_task():
        return pool_and_client(a_cache())

    in_a_context = asyncio.run(in_a_task())

    assert elsewhere == [here]
    assert in_a_context == here
    # Reading and writing name the same server here: one pool for both.
    assert a_cache()._cache._get_connection_pool(False) is here[0]


def test_other_pool_options_get_a_pool_of_their_own():
    plain = pool_and_client(a_cache())
    bounded = pool_and_client(a_cache(max_connections=3))

    assert bounded[0] is not plain[0]
    assert bounded[0].max_connections == 3
    assert pool_and_client(a_cache(max_connections=3)) == bounded
