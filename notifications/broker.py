"""Handing work to Celery without letting a down broker fail the caller.

The code that hands work over (the outbox, the fan-out, the sweep, topic sync) names a ``Job``
rather than importing the task that does it: the tasks call that code, so imports go one way,
from ``tasks`` down. Each task says which job it does (``@does(Job.X)``) when ``tasks`` is
imported, which the app does when it starts; ``verify`` then refuses to start with a job that
no task does.
"""

import logging
from enum import StrEnum

from celery import Task
from django.core.exceptions import ImproperlyConfigured
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# What publishing a task raises when the broker cannot be reached (kombu wraps connection
# errors in OperationalError). Errors of the task itself, when run eagerly, propagate.
BROKER_ERRORS = (OperationalError, OSError)


class Job(StrEnum):
    """Work handed to a worker, with the arguments its task takes."""

    FAN_OUT = "fan-out"  # (notification_id): resolve the audience, write deliveries, send
    SEND_DUE = "send-due"  # (notification_id): send the deliveries that are due
    SYNC_TOPICS = "sync-topics"  # (user_id): bring the user's devices' FCM topics in line
    # ({topic: [tokens]}, attempt): unsubscribe the devices of a deleted account at FCM
    UNSUBSCRIBE_TOKENS = "unsubscribe-tokens"


_TASKS: dict[Job, Task] = {}


def does(job: Job):
    """Decorate the Celery task that does ``job``; a job done by two tasks is a mistake."""

    def register(task):
        if job in _TASKS:
            raise ImproperlyConfigured(f"The job {job} has two tasks.")
        _TASKS[job] = task
        return task

    return register


def task_of(job: Job) -> Task:
    """The task that does ``job``."""
    return _TASKS[job]


def verify() -> None:
    """Refuse to start with a job that no task does."""
    missing = [job.value for job in Job if job not in _TASKS]
    if missing:
        raise ImproperlyConfigured(f"No task does the jobs {', '.join(missing)}.")


def enqueue(job: Job, *args) -> bool:
    """``task.delay(*args)`` for the task that does ``job``; False, with a warning, when the
    broker is down. Callers rely on a durable record (the outbox, the follows) that the sweep
    or a later change picks up."""
    task = task_of(job)
    try:
        task.delay(*args)
    except BROKER_ERRORS:
        logger.warning("could not enqueue %s%r; it will be picked up later", task.name, args)
        return False
    return True
