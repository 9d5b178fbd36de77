"""gunicorn's configuration for the HTTP tier: ``gunicorn --config python:backend.gunicorn
--bind ADDRESS backend.wsgi:application`` (the Makefile's ``serve-http`` and docker-compose.yml's
``http`` service run exactly this)."""

import math
import os

from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

# Worker processes; WEB_CONCURRENCY as gunicorn and most platforms name it.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# In-flight requests are given this long after SIGTERM, then the workers are killed.
graceful_timeout = math.ceil(settings.GRACEFUL_SHUTDOWN_SECONDS)


def child_exit(server, worker):
    """A worker's Prometheus files are marked dead when it exits (core/metrics.py)."""
    from core.metrics import forget_process

    forget_process(worker.pid)
