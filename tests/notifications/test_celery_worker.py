"""A push end to end through a real Celery worker: the commit publishes to Redis, a worker
process of its own (production settings, not the tests') fans the notification out and sends
it through firebase-admin, which signs in with a service-account file as in production.

Runs on CI's PostgreSQL and Redis leg only: the worker needs a broker, and a database it can
share with the test (the test's transactions commit for real, so the worker sees its rows).
Nothing here reaches Google: the service account's token endpoint is served below, and FCM is
the tests' fake.
"""

import datetime
import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from socketserver import TCPServer
from urllib.parse import parse_qs, quote, urlsplit

import psycopg
import pytest
import redis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import connection
from django.utils import timezone
from google.auth import jwt

from accounts.models import Device
from backend.celery import app as celery_app
from cities.models import CityFollow, OfficeMembership
from core.i18n import LANGUAGE_CODES
from events import services
from events.models import Event
from notifications import tasks
from notifications.models import Delivery, Notification
from tests.factories import MembershipFactory
from tests.notifications.conftest import PROJECT_ID
from tests.waiting import eventually_sync

REDIS_URL = os.environ.get("REDIS_URL", "")
WORKER_TOKEN = "worker-token"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKENS = ("phone-a", "phone-b", "phone-c")
WORKER_START_SECONDS = 20
DELIVERY_SECONDS = 30
WORKER_STOP_SECONDS = 10
# The application_name of the workers' database sessions.
WORKER_SESSIONS = "push-e2e-worker"

# The marks of every test that runs real Celery processes (test_worker_shutdown.py's too).
REAL_CELERY = [
    pytest.mark.postgresql,
    pytest.mark.skipif(
        not REDIS_URL,
        reason="A real Celery worker needs a Redis broker; runs with REDIS_URL=redis://… "
        "(CI's PostgreSQL and Redis leg).",
    ),
    pytest.mark.django_db(transaction=True),
]
pytestmark = REAL_CELERY


# --- Google's token endpoint, as a service account uses it -------------------------------------


class _TokenHandler(BaseHTTPRequestHandler):
    """Answers a JWT-bearer grant with a fixed access token; anything else with OAuth's error."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        self.server.grants.append(form)
        if form.get("grant_type") == [JWT_BEARER_GRANT] and form.get("assertion"):
            status = 200
            answer = {"access_token": WORKER_TOKEN, "expires_in": 3600, "token_type": "Bearer"}
        else:
            status, answer = 400, {"error": "unsupported_grant_type"}
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        pass  # the grants are on the server; the worker's log tells the rest


class TokenEndpoint(HTTPServer):
    """An OAuth 2.0 token endpoint on 127.0.0.1: ``url``, and ``grants``, the forms it got."""

    def __init__(self) -> None:
        self.grants: list[dict[str, list[str]]] = []
        super().__init__(("127.0.0.1", 0), _TokenHandler)
        host, port = self.server_address[:2]
        self.url = f"http://{host}:{port}/token"

    def server_bind(self) -> None:
        # HTTPServer would look up the host's FQDN, a DNS query, for a name nothing here uses.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


@pytest.fixture
def token_endpoint():
    """The running token endpoint, shut down (its thread joined) after the test."""
    server = TokenEndpoint()
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="oauth-token-endpoint",
        daemon=True,
    )
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@dataclass(frozen=True)
class ServiceAccount:
    """A service-account key file, and what the test checks the worker's grant against."""

    path: Path
    email: str
    public_key_pem: bytes


@pytest.fixture
def service_account(tmp_path, token_endpoint) -> ServiceAccount:
    """A service-account JSON, as the Firebase console issues it, with a key made for this
    test and the token endpoint above as its ``token_uri``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    email = f"push-worker@{PROJECT_ID}.iam.gserviceaccount.com"
    info = {
        "type": "service_account",
        "project_id": PROJECT_ID,
        "private_key_id": "worker-test-key",
        "private_key": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        "client_email": email,
        "client_id": "100000000000000000001",
        "token_uri": token_endpoint.url,
    }
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps(info))
    public_key_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return ServiceAccount(path=path, email=email, public_key_pem=public_key_pem)


# --- The broker --------------------------------------------------------------------------------


def _empty_broker(url: str) -> None:
    """Remove the broker's keys, as kombu's Redis transport names them: the default queue and
    its priority lists, the exchanges' bindings, the unacknowledged messages and the replies
    of remote control. No other key: the database is shared by every process of the run (its
    websocket groups, the cache)."""
    queue = celery_app.conf.task_default_queue
    with redis.Redis.from_url(url) as client:
        client.delete(queue, "unacked", "unacked_index", "unacked_mutex")
        for pattern in (f"{queue}\x06\x16*", "_kombu.*", f"*.reply.{queue}.pidbox"):
            for key in client.scan_iter(match=pattern):
                client.delete(key)


@pytest.fixture
def broker_url() -> str:
    """The URL of the run's Redis database, the broker in it empty before and after the
    test."""
    _empty_broker(REDIS_URL)
    yield REDIS_URL
    _empty_broker(REDIS_URL)


@pytest.fixture
def publishing_to_broker(broker_url, publish_tasks_to):
    """The test process publishes tasks to the test's broker instead of running them in-process
    (the test settings make tasks eager); restored afterwards."""
    publish_tasks_to(broker_url)


# --- The worker --------------------------------------------------------------------------------


class Worker:
    """A ``celery worker`` process; its output goes to a file, read back for diagnosis."""

    def __init__(self, process: subprocess.Popen, log_path: Path):
        self.process = process
        self.log_path = log_path

    def output(self) -> str:
        """Everything the worker has written so far."""
        return self.log_path.read_text(errors="replace")

    def wait_for(self, condition, what: str, timeout: float) -> None:
        """Wait until ``condition`` holds (``eventually_sync``); fail with the worker's output
        and the deliveries' state if it does not within ``timeout`` seconds, or as soon as the
        worker exits."""

        def met_while_the_worker_runs() -> bool:
            if condition():
                return True
            if self.process.poll() is not None:
                self._fail(f"The worker exited ({self.process.returncode}) waiting for {what}.")
            return False

        try:
            eventually_sync(met_while_the_worker_runs, timeout=timeout)
            return
        except TimeoutError:
            pass
        self._fail(f"Waited {timeout} s for {what}.")

    def _fail(self, message: str) -> None:
        # A send that failed is retried later, not logged by the worker: its reason is here.
        deliveries = "\n".join(
            f"{row['notification_id']} → {row['device__token']}: {row['status']} "
            f"{row['error_code']} {row['error_detail']}"
            for row in Delivery.objects.values(
                "notification_id", "device__token", "status", "error_code", "error_detail"
            )
        )
        pytest.fail(
            f"{message}\n--- deliveries ---\n{deliveries or '(none)'}"
            f"\n--- worker output ---\n{self.output()}"
        )

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL if the worker does not exit in time."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=WORKER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=WORKER_STOP_SECONDS)


def _test_database_url(application_name: str = "") -> str:
    """DATABASE_URL naming the test database pytest-django created, which the worker shares;
    its sessions named ``application_name`` if given, so the test can find them."""
    name = connection.settings_dict["NAME"]
    query = f"application_name={application_name}" if application_name else ""
    url = urlsplit(os.environ["DATABASE_URL"])
    return url._replace(path=f"/{quote(name)}", query=query).geturl()


def _worker_environment(broker_url: str, service_account: ServiceAccount, fcm_url: str) -> dict:
    """The environment of a deployed worker, pointed at the test's database, broker, fake FCM
    and service account."""
    environment = {
        **os.environ,
        # Production settings, not the tests': the worker is configured as it is deployed.
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "DATABASE_URL": _test_database_url(WORKER_SESSIONS),
        "REDIS_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DEBUG": "false",
        "SECRET_KEY": "worker-test-secret-key-not-for-production-0123456789",
        "SECURE_SSL_REDIRECT": "false",
        "PUSH_BACKEND": "fcm",
        "FIREBASE_PROJECT_ID": PROJECT_ID,
        "FIREBASE_CREDENTIALS": str(service_account.path),
        "FCM_API_URL": fcm_url,
        # The default, pinned: the notification the sweep must pick up is ten minutes old.
        "PUSH_SWEEP_AFTER_SECONDS": "60",
        # Both servers are local; a proxy configured for the CI host must not stand between.
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    for name in ("CELERY_BROKER_URL", "GOOGLE_APPLICATION_CREDENTIALS"):
        environment.pop(name, None)
    return environment


@pytest.fixture
def start_celery(tmp_path, broker_url, service_account, fake_fcm):
    """``start_celery(arguments, ready, **overrides)``: a Celery process, ``python -m celery``
    with ``arguments``, on the test's broker and database, with FCM at the fake and the given
    variables in its environment (settings, say), once its output holds ``ready``; each is
    stopped after the test, pass or fail, and its output printed (pytest shows it for failed
    tests)."""
    started = []

    def start(arguments: list[str], ready: str, **overrides) -> Worker:
        log_path = tmp_path / f"celery-{len(started) + 1}.log"
        environment = {
            **_worker_environment(broker_url, service_account, fake_fcm.url),
            **overrides,
        }
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 (a fixed command line)
                [sys.executable, "-m", "celery", *arguments],
                cwd=settings.BASE_DIR,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        running = Worker(process, log_path)
        started.append(running)
        running.wait_for(lambda: ready in running.output(), ready, WORKER_START_SECONDS)
        return running

    yield start
    for number, running in enumerate(started, start=1):
        running.stop()
        print(f"--- celery process {number} output ---\n{running.output()}")


@pytest.fixture
def start_worker(start_celery):
    """``start_worker(**overrides)``: a running worker (see ``start_celery``)."""
    workers = 0

    def start(**overrides) -> Worker:
        nonlocal workers
        workers += 1
        arguments = [
            *("--app", "backend", "worker", "--loglevel", "INFO"),
            *("--pool", "solo", "--concurrency", "1", "--hostname", f"push-e2e-{workers}@%h"),
            # One worker at a time: nothing to synchronise with, which saves seconds.
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ]
        return start_celery(arguments, " ready.", **overrides)

    return start


@pytest.fixture
def worker(start_worker):
    """A running worker, as deployed."""
    return start_worker()


@pytest.fixture
def worker_transactions(fake_fcm):
    """The FCM requests (request, target) that arrived while a worker's database session was
    in a transaction: each request is checked, as it arrives, against PostgreSQL's view of
    the workers' sessions (named ``WORKER_SESSIONS``)."""
    found = []
    url = _test_database_url("push-e2e-check")

    def check(request, target):
        with psycopg.connect(url, autocommit=True) as checking:
            (in_transaction,) = checking.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
                "AND state LIKE 'idle in transaction%%'",
                [WORKER_SESSIONS],
            ).fetchone()
        if in_transaction:
            found.append((request, target))

    fake_fcm.watch(check)
    return found


# --- The test ----------------------------------------------------------------------------------


def _delivered(notification: Notification, fake_fcm) -> bool:
    """Every phone got the notification and the notification is done."""
    return len(_tokens_pushed(notification, fake_fcm)) == len(TOKENS) and (
        Notification.objects.filter(pk=notification.pk, state=Notification.State.DONE).exists()
    )


def _tokens_pushed(notification: Notification, fake_fcm) -> list[str]:
    """The tokens of the messages the fake FCM accepted for ``notification``, once each time."""
    return sorted(
        message["token"]
        for message in list(fake_fcm.messages)
        if message.get("data", {}).get("notificationId") == str(notification.pk)
    )


@dataclass(frozen=True)
class Followed:
    """A city with a follower per phone of ``TOKENS``, its twinning, office and publisher."""

    city: object
    pair: object
    office: object
    publisher: object


@pytest.fixture
def followed(city_factory, twinning_factory, office_factory, user_factory) -> Followed:
    aktau = city_factory(name_en="Aktau", timezone="Asia/Aqtau")
    office = office_factory(city=aktau)
    publisher = MembershipFactory(office=office, role=OfficeMembership.Role.PUBLISHER).user
    for token in TOKENS:
        follower = user_factory(language="en")
        Device.objects.create(user=follower, token=token, platform=Device.Platform.ANDROID)
        CityFollow.objects.create(user=follower, city=aktau)
    return Followed(aktau, twinning_factory(city_a=aktau), office, publisher)


def test_a_worker_pushes_an_announcement_and_sweeps_up_what_was_left_behind(
    worker,
    publishing_to_broker,
    worker_transactions,
    token_endpoint,
    service_account,
    fake_fcm,
    followed,
    event_factory,
):
    # Given three followers of a city with a phone each, and a publisher of its office
    aktau, pair, office, publisher = (
        followed.city,
        followed.pair,
        followed.office,
        followed.publisher,
    )
    draft = event_factory(
        office=office, host_city=aktau, twinning=pair, status=Event.Status.DRAFT, announced_at=None
    )

    # When the draft is announced: its commit publishes the fan-out to the broker
    services.announce_event(publisher, draft)

    # Then the worker pushes each phone once, with the token its service account obtained
    announced = Notification.objects.get(event=draft)
    worker.wait_for(
        lambda: _delivered(announced, fake_fcm), "the announcement's pushes", DELIVERY_SECONDS
    )
    assert _tokens_pushed(announced, fake_fcm) == sorted(TOKENS)
    assert list(announced.deliveries.values_list("status", flat=True)) == [
        Delivery.Status.SENT
    ] * len(TOKENS)
    assert fake_fcm.authorizations == {f"Bearer {WORKER_TOKEN}"}
    grant = token_endpoint.grants[0]
    assert grant["grant_type"] == [JWT_BEARER_GRANT]
    claims = jwt.decode(grant["assertion"][0], certs=service_account.public_key_pem)
    assert claims["iss"] == service_account.email

    # Given a notification whose hand-over to a worker was lost ten minutes ago
    event = event_factory(office=office, host_city=aktau, twinning=pair)
    left_behind = Notification.objects.create(
        kind=Notification.Kind.EVENT_ANNOUNCED,
        dedupe_key=f"event:{event.pk}:announced",
        event=event,
    )
    Notification.objects.filter(pk=left_behind.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=10)
    )

    # When the sweep runs on the worker
    tasks.sweep_notifications.delay()

    # Then it is pushed to each phone once, and nothing of the first one again
    worker.wait_for(
        lambda: _delivered(left_behind, fake_fcm), "the swept notification", DELIVERY_SECONDS
    )
    assert _tokens_pushed(left_behind, fake_fcm) == sorted(TOKENS)
    assert _tokens_pushed(announced, fake_fcm) == sorted(TOKENS)
    assert len(fake_fcm.messages) == 2 * len(TOKENS)
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}
    # and no request reached FCM while the worker's session was in a transaction
    assert worker_transactions == []


def test_a_worker_killed_between_sending_a_topic_message_and_recording_it_sends_none_twice(
    start_worker, publishing_to_broker, worker_transactions, fake_fcm, followed, event_factory
):
    # Given an audience above the topic threshold, and a worker that FCM sees killed (SIGKILL)
    # as soon as the first topic message reaches it, before FCM's answer leaves
    first = start_worker(PUSH_TOPIC_THRESHOLD="2")
    killed = threading.Event()

    def kill_at_the_first_message(request, target):
        if request == "send" and not killed.is_set():
            first.process.kill()
            first.process.wait(timeout=WORKER_STOP_SECONDS)
            killed.set()

    fake_fcm.watch(kill_at_the_first_message)
    draft = event_factory(
        office=followed.office,
        host_city=followed.city,
        twinning=followed.pair,
        status=Event.Status.DRAFT,
        announced_at=None,
    )

    # When the draft is announced, and the worker dies sending its first message
    services.announce_event(followed.publisher, draft)
    eventually_sync(killed.is_set, timeout=DELIVERY_SECONDS)
    announced = Notification.objects.get(event=draft)

    # Then FCM has that one message, and the notification waits under the dead worker's lease
    assert len(fake_fcm.messages) == 1
    in_flight = fake_fcm.messages[0]["condition"]
    announced.refresh_from_db()
    assert (announced.state, announced.path) == (Notification.State.PENDING, "TOPICS")
    assert [r["outcome"] for r in announced.topic_results.values()].count("SENDING") == 1

    # When the lease has run out and the sweep runs on another worker
    lease_ago = timezone.now() - datetime.timedelta(seconds=settings.PUSH_LEASE_SECONDS + 1)
    Notification.objects.filter(pk=announced.pk).update(
        created_at=lease_ago, fanned_out_at=lease_ago
    )
    second = start_worker(PUSH_TOPIC_THRESHOLD="2")
    tasks.sweep_notifications.delay()

    # Then each language's message reached FCM exactly once: the one in flight is not resent,
    # its outcome is UNKNOWN, the others were sent
    second.wait_for(
        lambda: Notification.objects.filter(
            pk=announced.pk, state=Notification.State.DONE
        ).exists(),
        "the swept topic send",
        DELIVERY_SECONDS,
    )
    conditions = [message["condition"] for message in fake_fcm.messages]
    assert len(conditions) == len(set(conditions)) == len(LANGUAGE_CODES)
    announced.refresh_from_db()
    outcomes = {r["condition"]: r["outcome"] for r in announced.topic_results.values()}
    assert outcomes.pop(in_flight) == "UNKNOWN"
    assert set(outcomes.values()) == {"SENT"}
    assert worker_transactions == []
