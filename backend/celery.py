"""The Celery app. Workers run `celery -A backend worker`; settings come from CELERY_*."""

import os
import signal
import threading

from celery import Celery
from celery.signals import setup_logging, worker_shutting_down

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


@worker_shutting_down.connect
def bound_the_warm_shutdown(sig, how, exitcode, **kwargs):
    """A worker told to stop (SIGTERM: Celery's warm shutdown) takes no new task and waits for
    the running ones, without a bound of Celery's own. Past GRACEFUL_SHUTDOWN_SECONDS it turns
    to Celery's cold shutdown (as on SIGQUIT): the running tasks are cancelled and, being
    acknowledged late (CELERY_TASK_ACKS_LATE), go back to the queue, where another worker
    takes them from the start. Nothing is lost, and the worker exits 0 either way.

    Celery's own bound, ``worker_soft_shutdown_timeout``, applies to the cold shutdown only,
    which SIGTERM starts only with REMAP_SIGTERM=SIGQUIT in the environment (which Celery reads
    on import, before any setting), and which then exits 1 every time, however well it went.
    """
    if how != "Warm":
        return
    from django.conf import settings

    timer = threading.Timer(
        settings.GRACEFUL_SHUTDOWN_SECONDS, os.kill, (os.getpid(), signal.SIGQUIT)
    )
    # Never keeps the process alive on its own: a worker that stopped in time just exits.
    timer.daemon = True
    timer.start()
