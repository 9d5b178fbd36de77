"""Fixtures for the push tests: a fake FCM server and the FCM backend pointed at it, the
world of cities and people pushes go to, and the guard that FCM is never called while the
sending code holds a transaction open."""

import datetime

import pytest
from django.db import connections
from django.utils import timezone
from kombu import pools

from accounts.models import Device
from backend.celery import app as celery_app
from cities.models import CityFollow, OfficeMembership, TwinningFollow
from events.models import Event
from notifications import backends, broker
from tests.factories import MembershipFactory
from tests.notifications.fake_fcm import FakeFcm, StaticCredential

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


def in_transaction(connection) -> bool:
    """Whether ``connection`` is inside a transaction the code under test opened: an atomic
    block other than those a test case wraps each test in."""
    return any(not block._from_testcase for block in list(connection.atomic_blocks))


@pytest.fixture
def requests_in_transaction(fake_fcm):
    """The FCM requests (request, target) that arrived while the test's thread, the sending
    worker here, had a transaction open; checked by the fake FCM as each arrives."""
    # The connection of this thread, read from the fake's thread as each request comes in.
    connection = connections["default"]
    found = []

    def check(request, target):
        if in_transaction(connection):
            found.append((request, target))

    fake_fcm.watch(check)
    return found


@pytest.fixture
def fcm_backend(settings, fake_fcm, requests_in_transaction):
    """The FCM backend, as ``get_backend()`` builds it, sending to the fake FCM with a
    credential that needs no network. Every test using it also asserts that no FCM request
    was made while a transaction was open: a lock must never be held across a network call."""
    settings.PUSH_BACKEND = "fcm"
    settings.FIREBASE_PROJECT_ID = PROJECT_ID
    settings.FIREBASE_CREDENTIALS = ""
    settings.FCM_API_URL = fake_fcm.url
    backends.use_credential(StaticCredential())
    backends.reset_backend()
    yield backends.get_backend()
    backends.reset_backend()
    backends.use_credential(None)
    assert requests_in_transaction == [], "FCM was called inside a transaction"


@pytest.fixture
def push(fcm_backend, fake_fcm, django_capture_on_commit_callbacks):
    """Run a service call the way a request does: commit, then the in-process worker."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


@pytest.fixture
def enqueued(monkeypatch):
    """The jobs handed to the broker, as (job, args), kept here instead of run."""
    jobs = []

    def enqueue(job, *args):
        jobs.append((job, args))
        return True

    monkeypatch.setattr(broker, "enqueue", enqueue)
    return jobs


@pytest.fixture
def world(db, city_factory, twinning_factory, office_factory, user_factory, event_factory):
    """Aktau, twinned with Karachi, its office and a publisher there, and Elista; ``draft()``
    makes an event of Aktau's (in three days unless told), ``person(token, follows=…)`` a
    user with a phone following cities or the twinning."""

    class World:
        aktau = city_factory(name_en="Aktau", name_ru="Актау", name_kk="Ақтау", name_ur="اکتاؤ")
        karachi = city_factory(name_en="Karachi", country="PK", timezone="Asia/Karachi")
        elista = city_factory(name_en="Elista", country="RU", timezone="Europe/Moscow")
        pair = twinning_factory(city_a=aktau, city_b=karachi)
        office = office_factory(city=aktau)
        publisher = MembershipFactory(office=office, role=OfficeMembership.Role.PUBLISHER).user

        def draft(self, **fields):
            starts = timezone.now() + datetime.timedelta(days=3)
            defaults = {
                "title_en": "Caspian jazz night",
                "title_ru": "Каспийский джаз",
                "title_kk": "Каспий джаз кеші",
                "title_ur": "کیسپین جاز کی شام",
                "office": self.office,
                "host_city": self.aktau,
                "twinning": self.pair,
                "status": Event.Status.DRAFT,
                "timezone": "Asia/Aqtau",
                "starts_at": starts,
                "ends_at": starts + datetime.timedelta(hours=2),
            }
            return event_factory(**{**defaults, **fields})

        def person(self, token, *, locale="", language="en", follows=(), **fields):
            user = user_factory(language=language, **fields)
            Device.objects.create(user=user, token=token, platform="ANDROID", locale=locale)
            for target in follows:
                if hasattr(target, "city_a"):
                    TwinningFollow.objects.create(user=user, twinning=target)
                else:
                    CityFollow.objects.create(user=user, city=target)
            return user

    return World()


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
