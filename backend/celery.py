"""The Celery app. Workers run `celery -A backend worker`; settings come from CELERY_*."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

app = Celery("twinning")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
