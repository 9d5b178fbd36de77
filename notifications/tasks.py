"""Celery tasks of push: thin wrappers around ``dispatch`` and ``topics``.

Tasks acknowledge late, so a worker that dies mid-task leaves it to another; everything they
call is idempotent, and the periodic sweep catches whatever is still left. The code below hands
work to these tasks through ``broker`` by the job each does, never by importing them.
"""

from celery import shared_task
from django.conf import settings

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


@does(Job.UNSUBSCRIBE_TOKENS)
@shared_task(acks_late=True, ignore_result=True)
def unsubscribe_tokens(by_topic: dict[str, list[str]], attempt: int = 1) -> None:
    """Unsubscribe a deleted account's devices from their topics; what FCM could not do now is
    tried again with backoff, up to ``PUSH_MAX_ATTEMPTS`` attempts in all."""
    left = topics.unsubscribe_tokens(by_topic)
    if not left:
        return
    if attempt >= settings.PUSH_MAX_ATTEMPTS:
        topics.gave_up_unsubscribing(left)
        return
    delay = dispatch.backoff(attempt).total_seconds()
    unsubscribe_tokens.apply_async((left, attempt + 1), countdown=delay)
