"""The presence stores: leases that count connections per room, end when left or when they run
out, and a version that grows with every change. The memory store always; the Redis one (what
several server processes share) where REDIS_URL is set."""

import os
import uuid

import pytest

from chat.presence import MemoryPresence, RedisPresence, Snapshot

REDIS_URL = os.environ.get("REDIS_URL", "")
NOW = 1_900_000_000.0


@pytest.fixture(params=["memory", "redis"])
def store(request, settings):
    settings.CHAT_PRESENCE_LEASE_SECONDS = 60
    if request.param == "memory":
        yield MemoryPresence()
        return
    if not REDIS_URL:
        pytest.skip("The Redis store needs REDIS_URL=redis://… (CI's second leg).")
    redis_store = RedisPresence(REDIS_URL)
    # A prefix of this test's own, so that nothing else's keys are touched.
    redis_store.PREFIX = f"test:presence:{uuid.uuid4().hex}"
    yield redis_store
    for key in redis_store.client.scan_iter(f"{redis_store.PREFIX}:*"):
        redis_store.client.delete(key)
    redis_store.client.close()


def test_connections_enter_and_leave_a_room(store):
    first = store.enter(7, "a", now=NOW)
    second = store.enter(7, "b", now=NOW)
    elsewhere = store.enter(8, "a", now=NOW)
    left = store.leave(7, "a", now=NOW + 1)

    assert (first.count, second.count, elsewhere.count, left.count) == (1, 2, 1, 1)
    assert first.version < second.version < left.version
    assert store.snapshot(7, now=NOW + 2) == Snapshot(1, left.version)
    assert store.snapshot(8, now=NOW + 2).count == 1


def test_entering_twice_counts_once(store):
    store.enter(7, "a", now=NOW)

    assert store.enter(7, "a", now=NOW + 1).count == 1


def test_leaving_a_room_one_is_not_in_changes_nothing_but_the_version(store):
    entered = store.enter(7, "a", now=NOW)

    left = store.leave(7, "ghost", now=NOW)

    assert left.count == 1
    assert left.version > entered.version


def test_a_lease_that_runs_out_stops_counting_and_a_sweep_ends_it(store):
    store.enter(7, "alive", now=NOW)
    store.enter(7, "dead", now=NOW)
    store.renew(7, ["alive"], now=NOW + 50)

    assert store.snapshot(7, now=NOW + 70).count == 1
    swept, ended = store.sweep(7, now=NOW + 70)
    assert (swept.count, ended) == (1, True)
    assert store.sweep(7, now=NOW + 71)[1] is False
    # Renewal keeps the lease alive, and brings back one ended by a sweep.
    store.renew(7, ["alive"], now=NOW + 100)
    assert store.snapshot(7, now=NOW + 150).count == 1


def test_an_empty_room(store):
    assert store.snapshot(99, now=NOW) == Snapshot(0, 0)
    assert store.sweep(99, now=NOW) == (Snapshot(0, 0), False)


def test_redis_being_down_loses_counts_not_the_chat(settings, caplog):
    settings.CHAT_PRESENCE_LEASE_SECONDS = 60
    down = RedisPresence("redis://127.0.0.1:9/0")  # nothing listens there

    assert down.enter(7, "a") is None
    assert down.leave(7, "a") is None
    down.renew(7, ["a"])
    assert down.snapshot(7) == Snapshot(0, 0)
    assert down.sweep(7) == (Snapshot(0, 0), False)
    assert "Chat presence of room 7 not written." in caplog.text
    down.client.close()
