"""Outages of the services a process depends on (PostgreSQL, Redis): the errors that mean one,
and what the process itself knows it cannot do until one is over.

An outage is not a bug: whoever meets one answers "try again" (the websocket closes with 4503,
which clients retry), where a bug is answered "internal error" (4500, which graphql-ws takes
as fatal). ``OUTAGE_ERRORS`` are the exceptions that say a service is unreachable or its
connection was lost.

Some losses are only seen by the part of the process that suffers them: the websocket groups'
hub (``schema.core.group_hub``) knows when it can no longer hear the channel layer, even when
Redis already answers again. It reports here while that lasts (``report``, then ``resolve``),
and ``/readyz`` (``core.health``) answers 503 meanwhile. The report lives in ``core`` so that
the probe does not import the API.
"""

import threading
import weakref

import redis
from django.db import InterfaceError, OperationalError

# Django's wrappers of the database driver's errors for a lost or refused connection (and for a
# transaction the database gave up, which is also worth trying again), redis-py's for Redis, and
# Python's own, which the channel layer may raise too.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    redis.ConnectionError,
    redis.TimeoutError,
    ConnectionError,
    TimeoutError,
)

_lock = threading.Lock()
# What each reporter cannot do now, by reporter: weakly, so that a reporter that is gone (a
# test's hub, with its event loop) cannot leave the process unready.
_problems: "weakref.WeakKeyDictionary[object, str]" = weakref.WeakKeyDictionary()


def report(reporter: object, problem: str) -> None:
    """``reporter`` cannot do its part until it calls ``resolve``; ``problem`` says what and
    why, for the readiness probe's log."""
    with _lock:
        _problems[reporter] = problem


def resolve(reporter: object) -> None:
    """``reporter`` can do its part again (nothing happens if it had reported nothing)."""
    with _lock:
        _problems.pop(reporter, None)


def current() -> list[str]:
    """What the process cannot do now, as reported; empty when nothing is."""
    with _lock:
        return list(_problems.values())
