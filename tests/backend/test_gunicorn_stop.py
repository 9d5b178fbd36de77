"""A sync worker of the HTTP tier told to stop at any moment of its loop exits cleanly: its
listeners are closed by the SIGTERM handler (backend/gunicorn.py), and the loop, meeting them
closed between its checks, takes that as "no connection" rather than dying with an error.

The worker is gunicorn's own SyncWorker, without a master: its loop's two steps, accept and
wait, are called as its loop calls them, after the handler has run."""

import errno
import importlib
import os
import signal
import socket
from types import SimpleNamespace

import pytest
from gunicorn.sock import TCPSocket
from gunicorn.workers.sync import StopWaiting, SyncWorker


@pytest.fixture
def config(monkeypatch):
    """backend/gunicorn.py. Importing it sets DATABASE_POOL_MAX_SIZE for the server it
    configures; here that is undone after the test, so that the servers other tests start
    from this process's environment get no pool they did not ask for."""
    monkeypatch.setenv("DATABASE_POOL_MAX_SIZE", os.environ.get("DATABASE_POOL_MAX_SIZE", "0"))
    return importlib.import_module("backend.gunicorn")


@pytest.fixture
def worker(config):
    """A sync worker on a listening loopback socket, set up by post_worker_init."""
    sync = SyncWorker.__new__(SyncWorker)
    raw = socket.create_server(("127.0.0.1", 0))
    listener = TCPSocket(
        raw.getsockname(), SimpleNamespace(reuse_port=False), SimpleNamespace(), fd=raw.detach()
    )
    listener.setblocking(0)
    sync.sockets = [listener]
    sync.PIPE = os.pipe()
    sync.wait_fds = [*sync.sockets, sync.PIPE[0]]
    sync.nr = 0
    sync.alive = True
    sync.tmp = SimpleNamespace(notify=lambda: None)
    sync.handle_exit = lambda sig, frame: setattr(sync, "alive", False)
    previous = signal.getsignal(signal.SIGTERM)
    config.post_worker_init(sync)
    yield sync
    signal.signal(signal.SIGTERM, previous)
    for listener in sync.sockets:
        listener.close()
    for descriptor in sync.PIPE:
        os.close(descriptor)


def stop(worker) -> None:
    """What SIGTERM does to the worker: the handler post_worker_init installed."""
    signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)


def test_a_worker_told_to_stop_before_accepting_finds_no_connection(worker):
    listener = worker.sockets[0]
    stop(worker)

    with pytest.raises(OSError) as accepting:
        worker.accept(listener)

    assert accepting.value.errno == errno.EAGAIN
    assert not worker.alive


def test_a_worker_told_to_stop_before_waiting_stops_waiting(worker):
    stop(worker)

    with pytest.raises(StopWaiting):
        worker.wait(0.01)


def test_a_running_worker_still_accepts_and_waits_as_gunicorn_does(worker):
    listener = worker.sockets[0]

    with pytest.raises(OSError) as accepting:
        worker.accept(listener)  # nothing to accept: gunicorn's loop then waits

    assert accepting.value.errno in (errno.EAGAIN, errno.EWOULDBLOCK)
    assert worker.wait(0.01) is None
