"""gunicorn's configuration for the HTTP tier: ``gunicorn --config python:backend.gunicorn
--bind ADDRESS backend.wsgi:application`` (the Makefile's ``serve-http`` and docker-compose.yml's
``http`` service run exactly this).

Two worker processes per core, each serving one request at a time (``GUNICORN_THREADS`` raises
that), each keeping its database connections in a pool of as many as its threads
(DATABASE_POOL_MAX_SIZE, unless set): a request borrows one and gives it back, so none is
opened per request and a thread never waits for one.
README, "The HTTP tier", has the figures behind these defaults and the connection arithmetic.
"""

import errno
import math
import os
import signal

from gunicorn import util
from gunicorn.workers.sync import StopWaiting, SyncWorker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

# Worker processes; WEB_CONCURRENCY as gunicorn and most platforms name it. Two for each core
# this process may run on, each serving one request at a time: while one waits for PostgreSQL
# or Redis, the other has the core. A container given a CPU quota below its host's cores sets
# it to twice the quota.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * len(os.sched_getaffinity(0))))
# Threads per worker. One (the default): a worker serving one request at a time spends the
# least CPU per request (no contention for the interpreter lock: a cached feed answer cost
# 1.0 ms of CPU with one thread, 1.3 with four; docs/benchmarks.md), and gunicorn's sync worker,
# as fast behind nginx as a single-threaded gthread worker, accepts a connection only when it
# is free, so that a request never waits behind a slow one in a busy worker while another
# idles. nginx buffers requests and answers, so a slow client holds nginx, not a worker.
# More than one: threaded workers (gthread), which also keep nginx's connections open between
# requests.
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "sync" if threads == 1 else "gthread"
os.environ.setdefault("DATABASE_POOL_MAX_SIZE", str(threads))

from django.conf import settings  # noqa: E402 (after the pool's default, which it reads)

# Threaded workers only (sync workers close each connection after its answer): seconds an idle
# keep-alive connection is kept for its next request, longer than nginx keeps an idle upstream
# connection (keepalive_timeout, 60 s), so that nginx always closes first and never sends a
# request on a connection gunicorn is closing.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE_SECONDS", "75"))
# The longest request line gunicorn reads (its own limit is 4,094 bytes, the most it allows
# 8,190): a GET query string holding a whole document, as Apollo's GET queries send it, passes
# up to what nginx in front lets through (8 KB, answered 414 beyond it); longer documents go
# by POST or as persisted queries.
limit_request_line = 8190
# A worker busy with one request for this long is killed and replaced (a sync worker tells
# the master it is alive only between requests): nginx has answered 504 by then (its
# proxy_read_timeout, 60 s).
timeout = 60
# In-flight requests are given this long after SIGTERM, then the workers are killed.
graceful_timeout = math.ceil(settings.GRACEFUL_SHUTDOWN_SECONDS)
# gunicornc's control socket would be made in $HOME/.gunicorn; nothing uses it (signals do the
# same: TERM, HUP, TTIN/TTOU), and the image's home need not be writable.
control_socket_disable = True
# X-Forwarded-Proto is Django's to read (SECURE_PROXY_SSL_HEADER), and the client's address is
# core/client_ip.py's (TRUSTED_PROXY_COUNT): gunicorn rewrites neither, whoever sends them.
secure_scheme_headers = {}
forwarded_allow_ips = ""
# No access log: nginx writes one line per request; the app logs what it does with the request's
# ID. gunicorn's own lines (workers starting, timing out, exiting) in the app's format, JSON in
# production (LOG_FORMAT).
accesslog = None
logconfig_dict = {
    **settings.LOGGING,
    "loggers": {
        **settings.LOGGING.get("loggers", {}),
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
        "gunicorn.access": {"level": "WARNING", "handlers": ["console"], "propagate": False},
    },
}


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
        worker.alive = False
        for listener in worker.sockets:
            listener.close()
        worker.handle_exit(sig, frame)

    signal.signal(signal.SIGTERM, stop)
    # As gunicorn sets it: the signal does not interrupt the request's system calls.
    signal.siginterrupt(signal.SIGTERM, False)
    if isinstance(worker, SyncWorker):
        _stop_quietly(worker)


def _stop_quietly(worker) -> None:
    """A sync worker's loop, told to stop between checking that it is alive and accepting or
    waiting for a connection, meets the listeners closed under it: gunicorn wraps a closed
    socket as None, and the worker would die with an AttributeError (or a TypeError from
    select) instead of exiting. Once it is stopping, that is taken as "no connection": it
    finishes and exits 0. (A worker waiting in select when its listeners close gets EBADF,
    which gunicorn already takes so.)"""
    wait = worker.wait

    def accept_unless_stopping(listener):
        # SyncWorker.accept, but for the listener closed under it.
        try:
            client, address = listener.accept()
        except AttributeError:
            if worker.alive:
                raise
            raise OSError(errno.EAGAIN, "The worker is stopping") from None
        client.setblocking(1)
        util.close_on_exec(client)
        worker.handle(listener, client, address)

    def wait_unless_stopping(timeout):
        try:
            return wait(timeout)
        except (AttributeError, TypeError, ValueError):
            if worker.alive:
                raise
            raise StopWaiting from None

    worker.accept = accept_unless_stopping
    worker.wait = wait_unless_stopping
