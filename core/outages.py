"""Outages of the services a process depends on (PostgreSQL, Redis): the errors that mean one,
and what the process itself knows it cannot do until one is over.

An outage is not a bug: whoever meets one answers "try again" (``SERVICE_UNAVAILABLE``, HTTP's
503 with Retry-After, or the websocket's close 4503, which clients retry), where a bug is
answered "internal error" (``INTERNAL_SERVER_ERROR``, or 4500, which graphql-ws takes as
fatal). ``is_outage`` tells them apart: ``OUTAGE_ERRORS`` are the exceptions that say a service
is unreachable or its connection was lost. ``graphql_server.runner`` turns that into the API's
answer for both transports.

Some losses are only seen by the part of the process that suffers them: the websocket groups'
hub (``graphql_server.websocket.group_hub``) knows when it can no longer hear the channel layer,
even when Redis already answers again. It reports here while that lasts (``report``, then
``resolve``), and ``/readyz`` (``core.health``) answers 503 meanwhile. The report lives in
``core`` so that the probe does not import the GraphQL server.
"""

import sqlite3
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

# The database drivers' OperationalError covers more than outages. PostgreSQL's error classes
# (SQLSTATE) that are one: the connection failed (08), the transaction was given up for
# another's sake (40: a serialization failure, a deadlock; worth trying again), the server is
# out of resources (53) or shutting down (57P), a system error (58). The rest (a program limit
# exceeded, 54; a statement cancelled, 57014; a lock not available, 55) is the request's doing,
# which no retry mends. A driver's error without a SQLSTATE never reached the server: an outage.
_POSTGRESQL_OUTAGES = ("08", "40", "53", "57P", "58")
# SQLite calls nearly everything an OperationalError, a missing table and a statement with too
# many variables included; these are its outages.
_SQLITE_OUTAGES = (
    "database is locked",
    "database table is locked",
    "unable to open database file",
    "disk I/O error",
    "database or disk is full",
)
# How long a client told of an outage is asked to wait before trying again (Retry-After,
# ``extensions.retryAfter``): a restarted PostgreSQL or Redis answers again within seconds,
# and clients that come back sooner only add to the load of one that is starting.
RETRY_AFTER_SECONDS = 5


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` says that a service the process depends on is unreachable or lost its
    connection (one of ``OUTAGE_ERRORS``), rather than that the request or the code is wrong.

    Django raises its own error ``from`` the driver's, which tells which it was."""
    if not isinstance(error, OUTAGE_ERRORS):
        return False
    cause = error.__cause__
    if isinstance(cause, sqlite3.Error):
        return str(cause).startswith(_SQLITE_OUTAGES)
    sqlstate = getattr(cause, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate.startswith(_POSTGRESQL_OUTAGES)
    return True


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
