"""gunicorn's configuration for the HTTP tier: ``gunicorn --config python:backend.gunicorn
--bind ADDRESS backend.wsgi:application`` (the Makefile's ``serve-http`` and docker-compose.yml's
``http`` service run exactly this)."""

import math
import os

from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

# Worker processes; WEB_CONCURRENCY as gunicorn and most platforms name it.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Seconds an idle connection from nginx is kept for its next request.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE_SECONDS", "75"))
# In-flight requests are given this long after SIGTERM, then the workers are killed.
graceful_timeout = math.ceil(settings.GRACEFUL_SHUTDOWN_SECONDS)
# gunicornc's control socket would go to $HOME/.gunicorn: nothing here uses it (signals do).
control_socket_disable = True


def child_exit(server, worker):
    """A worker's Prometheus files are marked dead when it exits (core/metrics.py)."""
    from core.metrics import forget_process

    forget_process(worker.pid)
