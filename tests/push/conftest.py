"""Fixtures for the push backends: a fake FCM server and the FCM backend pointed at it."""

import pytest
from kombu import pools

from backend.celery import app as celery_app
from events.push import backends
from tests.push.fake_fcm import FakeFcm, StaticCredential

PROJECT_ID = "twinning-test"


@pytest.fixture(scope="session")
def _fake_fcm_server():
    # One server for the session: starting one per test would cost a thread and a port each.
    server = FakeFcm().start()
    yield server
    server.stop()


@pytest.fixture
def fake_fcm(_fake_fcm_server):
    """The running fake FCM, emptied before each test: ``.url``, ``.messages``, ``.topics``,
    ``.authorizations``, ``.attempts``, ``.fail(token, outcome, times=None,
    retry_after=None)``, ``.reset()``."""
    _fake_fcm_server.reset()
    yield _fake_fcm_server
    _fake_fcm_server.reset()


@pytest.fixture
def fcm_backend(settings, fake_fcm):
    """The FCM backend, as ``get_backend()`` builds it, sending to the fake FCM with a
    credential that needs no network."""
    settings.PUSH_BACKEND = "fcm"
    settings.FIREBASE_PROJECT_ID = PROJECT_ID
    settings.FIREBASE_CREDENTIALS = ""
    settings.FCM_API_URL = fake_fcm.url
    backends.use_credential(StaticCredential())
    backends.reset_backend()
    yield backends.get_backend()
    backends.reset_backend()
    backends.use_credential(None)


def _drop_broker_connections() -> None:
    """Close the app's broker connections, so that its next publish connects to the broker
    URL of that moment. Celery keeps the connection and producer pools of a process's first
    publish for the life of the process (it drops them only after a fork), whatever URL the
    configuration names later."""
    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def publish_tasks_to():
    """``publish_tasks_to(url)``: the test process publishes tasks to the broker at ``url``
    instead of running them in-process (the test settings make tasks eager). Restored, with
    the connections to that broker dropped, when the test ends."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.broker_url

    def publish_to(url: str) -> None:
        _drop_broker_connections()
        conf.task_always_eager, conf.broker_url = False, url
        assert conf.broker_url == url, "CELERY_BROKER_URL in the environment wins"

    yield publish_to
    conf.task_always_eager, conf.broker_url = saved
    _drop_broker_connections()
