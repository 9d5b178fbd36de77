"""Stopping Celery gracefully: a worker and beat, started with production's commands, told to
stop (SIGTERM) as a deploy or a scale-down does.

A worker takes no new task, lets the running one finish and exits 0; a task still running after
GRACEFUL_SHUTDOWN_SECONDS is cancelled and goes back to the queue (tasks are acknowledged
late), where another worker completes it, and the worker exits 0 at once: nothing was lost
(backend/celery.py). Beat exits 0.

A task is kept running for as long as the test wants by a lock: the test holds the
notification's row (``SELECT … FOR UPDATE``), which the fan-out's first query waits for, as
behind a slow transaction. Runs on CI's PostgreSQL and Redis leg only, as the other worker
tests (tests/notifications/test_celery_worker.py, whose set-up this shares).
"""

import signal
import subprocess
import time
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import sql

from notifications import tasks
from notifications.models import Notification
from tests.notifications.test_celery_worker import (  # noqa: F401 (fixtures, found by name)
    REAL_CELERY,
    REDIS_URL,
    TOKENS,
    WORKER_SESSIONS,
    WORKER_START_SECONDS,
    Worker,
    _delivered,
    _test_database_url,
    _tokens_pushed,
    _worker_environment,
    broker_url,
    followed,
    publishing_to_broker,
    service_account,
    start_celery,
    token_endpoint,
)

pytestmark = REAL_CELERY

# The processes' graceful time here, and what a stop may take beyond it: Celery's cold shutdown
# (the pool's children ending, the unacknowledged message given back to the broker) takes
# about 3 s of its own on a quiet machine, 5 s on a busy one.
GRACEFUL_SECONDS = 3
MARGIN_SECONDS = 6
WAIT_SECONDS = 30
# Production's commands (the Makefile's and docker-compose.yml's), after `python -m celery`.
WORKER = ["--app", "backend", "worker", "--loglevel", "INFO"]
BEAT = ["--app", "backend", "beat", "--loglevel", "INFO", "--schedule"]


@pytest.fixture
def start(start_celery):  # noqa: F811
    """``start(arguments, ready)``: a Celery process with ``python -m celery`` and
    ``arguments``, as deployed (production settings) with a short graceful time, once its
    output holds ``ready``."""

    def start_(arguments: list[str], ready: str) -> Worker:
        return start_celery(arguments, ready, GRACEFUL_SHUTDOWN_SECONDS=str(GRACEFUL_SECONDS))

    return start_


@pytest.fixture
def notification(followed, event_factory):  # noqa: F811
    """An announcement of an event to the followers' phones, not yet fanned out."""
    event = event_factory(office=followed.office, host_city=followed.city, twinning=followed.pair)
    return Notification.objects.create(
        kind=Notification.Kind.EVENT_ANNOUNCED,
        dedupe_key=f"event:{event.pk}:announced",
        event=event,
    )


@contextmanager
def held(notification: Notification):
    """The notification's row locked by another session while the block runs: its fan-out
    waits."""
    query = sql.SQL("SELECT 1 FROM {} WHERE id = %s FOR UPDATE").format(
        sql.Identifier(Notification._meta.db_table)
    )
    with psycopg.connect(_test_database_url("shutdown-test-lock")) as locking:
        locking.execute(query, [notification.pk])
        yield


def workers_waiting() -> int:
    """How many of the workers' database sessions wait for a lock."""
    with psycopg.connect(_test_database_url("shutdown-test-check"), autocommit=True) as checking:
        (count,) = checking.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
            "AND wait_event_type = 'Lock'",
            [WORKER_SESSIONS],
        ).fetchone()
    return count


def schedule_written(schedule) -> bool:
    """Whether beat has set up its schedule file (``shelve``, with whichever ``dbm`` is there:
    one file, or ``.dat`` and ``.dir``, the directory written last)."""
    files = [path for path in schedule.parent.glob(f"{schedule.name}*") if path.suffix != ".dat"]
    return any(path.stat().st_size > 0 for path in files)


def exit_status(process: Worker) -> int:
    try:
        return process.process.wait(timeout=GRACEFUL_SECONDS + MARGIN_SECONDS + WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"Still running after SIGTERM:\n{process.output()}")


def test_a_worker_told_to_stop_finishes_its_task_and_exits_0(
    start,
    publishing_to_broker,  # noqa: F811
    notification,
    fake_fcm,
):
    worker = start(WORKER, " ready.")
    with held(notification):
        # Given a worker running a task
        tasks.fan_out_notification.delay(notification.pk)
        worker.wait_for(lambda: workers_waiting() >= 1, "the task to start", WAIT_SECONDS)

        # When it is told to stop, and the task then goes on
        worker.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        worker.wait_for(lambda: "Warm shutdown" in worker.output(), "the shutdown", WAIT_SECONDS)

    # Then the task completes, and the worker exits 0 within its graceful time
    assert exit_status(worker) == 0, worker.output()
    assert time.monotonic() - signalled < GRACEFUL_SECONDS + MARGIN_SECONDS
    assert _delivered(notification, fake_fcm)
    assert _tokens_pushed(notification, fake_fcm) == sorted(TOKENS)


def test_a_worker_cut_short_exits_at_once_and_its_task_is_completed_by_another(
    start,
    publishing_to_broker,  # noqa: F811
    notification,
    fake_fcm,
):
    first = start(WORKER, " ready.")
    with held(notification):
        # Given a worker running a task that outlasts its graceful time
        tasks.fan_out_notification.delay(notification.pk)
        first.wait_for(lambda: workers_waiting() >= 1, "the task to start", WAIT_SECONDS)

        # When it is told to stop
        first.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()

        # Then it exits 0 once the graceful time is up
        assert exit_status(first) == 0, first.output()
        assert time.monotonic() - signalled < GRACEFUL_SECONDS + MARGIN_SECONDS

        # When another worker starts
        second = start(WORKER, " ready.")

    # Then the task went back to the queue, and the other worker completes it: every phone
    # pushed once
    second.wait_for(
        lambda: _delivered(notification, fake_fcm), "the task on the other worker", WAIT_SECONDS
    )
    assert _tokens_pushed(notification, fake_fcm) == sorted(TOKENS)


def test_beat_told_to_stop_exits_0(start, tmp_path):
    # Given beat, scheduling (once its schedule file is written: a signal that comes while it
    # sets the file up would take it for corrupted)
    schedule = tmp_path / "celerybeat-schedule"
    beat = start([*BEAT, str(schedule)], "beat: Starting...")
    beat.wait_for(lambda: schedule_written(schedule), "the schedule file", WAIT_SECONDS)

    # When it is told to stop
    beat.process.send_signal(signal.SIGTERM)
    signalled = time.monotonic()

    # Then it exits 0 at once
    assert exit_status(beat) == 0, beat.output()
    assert time.monotonic() - signalled < MARGIN_SECONDS
