"""Outages of the database and the cache inside the test process, for tests of what the API
answers while a service is down. tests/e2e/test_outages.py does the same to a live server with
a real PostgreSQL and Redis; tests/graphql_server/websocket/layer_outage.py takes the channel
layer away.
"""

import contextlib

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

from core.shared_cache import shared_cache

# What psycopg says when PostgreSQL does not take connections.
REFUSED = 'connection to server at "127.0.0.1", port 5432 failed: Connection refused'


@contextlib.contextmanager
def database_unreachable():
    """While it lasts, every query of the process, in any thread, fails where Django makes sure
    it is connected, with the OperationalError Django raises for a database that refuses
    connections or dropped them (PostgreSQL stopped, or ``pg_terminate_backend``)."""
    original = BaseDatabaseWrapper.ensure_connection

    def refused(wrapper):
        raise OperationalError(REFUSED)

    BaseDatabaseWrapper.ensure_connection = refused
    try:
        yield
    finally:
        BaseDatabaseWrapper.ensure_connection = original


@pytest.fixture
def cache_down(settings):
    """The cache (Redis) at a port where nothing listens: every use of it fails, as while
    Redis is down."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    shared_cache.cache_clear()
    yield
    shared_cache.cache_clear()
