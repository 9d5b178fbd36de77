"""Celery tasks of push: thin wrappers around ``dispatch`` and ``topics``.

Tasks acknowledge late, so a worker that dies mid-task leaves it to another; everything they
call is idempotent, and the periodic sweep catches whatever is still left. The code below hands
work to these tasks through ``broker`` by the job each does, never by importing them.
"""

from celery import shared_task

from . import dispatch, topics
from .broker import Job, does


@does(Job.FAN_OUT)
@shared_task(acks_late=True, ignore_result=True)
def fan_out_notification(notification_id: int) -> None:
    dispatch.fan_out(notification_id)


@does(Job.SEND_DUE)
@shared_task(acks_late=True, ignore_result=True)
def send_due_deliveries(notification_id: int) -> None:
    dispatch.send_due(notification_id)


@shared_task(ignore_result=True)
def sweep_notifications() -> dict:
    return dict(dispatch.sweep())


@shared_task(ignore_result=True)
def send_reminders() -> int:
    return dispatch.create_reminders()


@does(Job.SYNC_TOPICS)
@shared_task(acks_late=True, ignore_result=True)
def sync_topics(user_id: int) -> dict:
    return topics.sync_user_topics(user_id)
