"""Clearing the Redis cache removes the cache's keys and nothing else of the database it shares
with the channel layer (every process's websocket groups), the Celery broker and the chat's
presence. On CI's second leg (REDIS_URL)."""

import os
import uuid

import pytest
import redis
from django.core.cache import caches

from core.redis_cache import BATCH, SharedRedisCache

REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = pytest.mark.skipif(
    not REDIS_URL, reason="The Redis cache needs REDIS_URL=redis://… (CI's second leg)."
)


@pytest.fixture
def client():
    with redis.Redis.from_url(REDIS_URL) as client:
        yield client


@pytest.fixture
def others(client):
    """Keys of the others sharing the database, each the test's own; removed afterwards."""
    tag = uuid.uuid4().hex
    keys = {
        "group": f"asgi:group:event.{tag}.chat",
        "queue": f"celery-{tag}",
        "presence": f"twinning:chat:presence:{tag}",
    }
    client.zadd(keys["group"], {"websocket-groups.channel": 1.0})
    client.rpush(keys["queue"], "a task")
    client.zadd(keys["presence"], {"connection": 1.0})
    yield keys
    client.delete(*keys.values())


def a_cache(prefix: str) -> SharedRedisCache:
    return SharedRedisCache(REDIS_URL, {"KEY_PREFIX": prefix})


def test_the_configured_cache_is_the_one_that_clears_its_own_keys():
    assert isinstance(caches["default"], SharedRedisCache)


def test_clearing_the_cache_leaves_the_other_keys_of_the_database(client, others):
    # Given the cache's entries, of two versions, and others' keys in the same database
    cache = a_cache(f"test-{uuid.uuid4().hex}")
    cache.set("rate", 1)
    cache.set("persisted-query", "{ me { email } }", version=2)

    # When the cache is cleared
    assert cache.clear() is True

    # Then its entries are gone, and every other key is as it was
    assert (cache.get("rate"), cache.get("persisted-query", version=2)) == (None, None)
    assert all(client.exists(key) for key in others.values())


def test_a_prefix_is_matched_as_written(client):
    # Given caches whose prefixes a glob pattern would confuse: "*", "[1]", one the start of
    # another
    tag = uuid.uuid4().hex
    cleared = a_cache(f"{tag}*[1]")
    kept = [a_cache(f"{tag}-any1"), a_cache(f"{tag}*[1]x"), a_cache(tag[:-1])]
    cleared.set("key", "cleared")
    for cache in kept:
        cache.set("key", "kept")

    cleared.clear()

    assert cleared.get("key") is None
    assert [cache.get("key") for cache in kept] == ["kept"] * 3
    for cache in kept:
        cache.clear()


def test_every_key_goes_however_many_there_are():
    cache = a_cache(f"test-{uuid.uuid4().hex}")
    cache.set_many({f"key-{n}": n for n in range(2 * BATCH + 7)})

    cache.clear()

    assert cache.get_many([f"key-{n}" for n in range(2 * BATCH + 7)]) == {}
    assert cache.clear() is False  # nothing left to remove
