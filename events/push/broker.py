"""Handing work to Celery without letting a down broker fail the caller."""

import logging

from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# What publishing a task raises when the broker cannot be reached (kombu wraps connection
# errors in OperationalError). Errors of the task itself, when run eagerly, propagate.
BROKER_ERRORS = (OperationalError, OSError)


def enqueue(task, *args) -> bool:
    """``task.delay(*args)``; False, with a warning, when the broker is down. Callers rely on
    a durable record (the outbox, the follows) that the sweep or a later change picks up."""
    try:
        task.delay(*args)
    except BROKER_ERRORS:
        logger.warning("could not enqueue %s%r; it will be picked up later", task.name, args)
        return False
    return True
