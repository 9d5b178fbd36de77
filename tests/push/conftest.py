"""Fixtures for the push backends: a fake FCM server and the FCM backend pointed at it."""

import pytest

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
