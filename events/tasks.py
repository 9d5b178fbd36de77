"""Celery tasks of events: what the beat runs."""

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def publish_scheduled() -> dict:
    """Announce the drafts and publish the announcements whose chosen time has come. Run by
    the beat every minute; safe to run twice at once (see ``services.publish_due``)."""
    return services.publish_due()
