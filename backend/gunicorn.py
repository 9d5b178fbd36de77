"""gunicorn's configuration for the HTTP tier: ``gunicorn --config python:backend.gunicorn
--bind ADDRESS backend.wsgi:application`` (the Makefile's ``serve-http`` and docker-compose.yml's
``http`` service run exactly this)."""

import math
import os
import signal

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


def post_worker_init(worker):
    """On SIGTERM a worker stops listening at once, then finishes its request and exits.

    The listening socket is shared by the master and every worker: the master closes its copy
    on SIGTERM, but the socket listens on while a worker busy with a request holds its own, and
    a connection made meanwhile waits in the backlog, to be reset once the last worker exits.
    Closed in every worker too, new connections are refused at once, which the proxy and
    clients retry elsewhere.
    """

    def stop(sig, frame):
        for listener in worker.sockets:
            listener.close()
        worker.handle_exit(sig, frame)

    signal.signal(signal.SIGTERM, stop)
    # As gunicorn sets it: the signal does not interrupt the request's system calls.
    signal.siginterrupt(signal.SIGTERM, False)
