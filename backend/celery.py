"""The Celery app. Workers run `celery -A backend worker`; settings come from CELERY_*."""

import os

from celery import Celery
from celery.signals import setup_logging

from core.logs import bind_celery_task_ids

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

app = Celery("twinning")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
bind_celery_task_ids()


@setup_logging.connect
def use_django_logging(**kwargs):
    """Workers log as the web process does (LOGGING: JSON lines or plain text, with task IDs)
    rather than in Celery's own format; connecting here stops Celery configuring its own."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
