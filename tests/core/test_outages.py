"""An outage versus a bug: ``core.outages.is_outage`` decides which an exception is, for the
API's answer (SERVICE_UNAVAILABLE or INTERNAL_SERVER_ERROR) and the websocket's close."""

import sqlite3

import psycopg
import pytest
import redis
from django.db import DatabaseError, InterfaceError, OperationalError, connection

from core.outages import is_outage


def raised_by_django(cause: Exception) -> OperationalError:
    """Django's OperationalError for the driver's ``cause``, as Django raises it (``from``)."""
    try:
        raise OperationalError(str(cause)) from cause
    except OperationalError as error:
        return error


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("server closed the connection unexpectedly"),
        InterfaceError("connection already closed"),
        raised_by_django(psycopg.OperationalError("connection failed: Connection refused")),
        raised_by_django(psycopg.errors.AdminShutdown("terminating connection")),
        raised_by_django(psycopg.errors.ConnectionFailure("connection failure")),
        raised_by_django(psycopg.errors.TooManyConnections("too many clients already")),
        raised_by_django(psycopg.errors.DeadlockDetected("deadlock detected")),
        raised_by_django(sqlite3.OperationalError("database is locked")),
        redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
        redis.TimeoutError("Timeout reading from socket"),
        ConnectionResetError(104, "Connection reset by peer"),
        TimeoutError(),
    ],
    ids=repr,
)
def test_a_lost_or_refused_connection_is_an_outage(error):
    assert is_outage(error)


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("a bug"),
        KeyError("missing"),
        DatabaseError("value too long"),
        redis.DataError(),
        # What the drivers call an OperationalError, but the request or the code caused.
        raised_by_django(psycopg.errors.ProgramLimitExceeded("index row size exceeds maximum")),
        raised_by_django(psycopg.errors.QueryCanceled("canceling statement due to timeout")),
        raised_by_django(sqlite3.OperationalError("too many SQL variables")),
        raised_by_django(sqlite3.OperationalError("no such table: accounts_user")),
    ],
    ids=repr,
)
def test_anything_else_is_not(error):
    assert not is_outage(error)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM no_such_table",
        "SELECT no_such_column FROM accounts_user",
        "SELEKT 1",
    ],
)
def test_sql_the_database_cannot_run_is_a_bug_on_either_database(sql):
    # SQLite raises an OperationalError for it, PostgreSQL a ProgrammingError: a bug, either way.
    with pytest.raises(DatabaseError) as raised, connection.cursor() as cursor:
        cursor.execute(sql)

    assert not is_outage(raised.value)
