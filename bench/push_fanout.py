"""Push fan-out benchmark: one announcement to a large audience, against the fake FCM server.

What it measures, on PostgreSQL, with the real firebase-admin sending over real HTTP:

1. The fake FCM's own ceiling: a plain load client (threads of keep-alive ``http.client``
   POSTs of an FCM HTTP v1 message with a bearer token) for a few seconds, in one process and
   in two, requests/s. The fan-out's rate is only meaningful if it stays well below this.
2. The token path: ``events.services.announce_event`` on a draft whose host city has N
   followers with one active device each, then ``notifications.dispatch.fan_out`` called
   directly, in-process, the way a worker runs it (``--senders N``: N-1 more processes run
   ``dispatch.send_due`` on the same notification once its deliveries are written, as extra
   Celery workers do). Messages/s (deliveries sent / seconds), the time split into "audience
   + delivery rows" and "sending" (claim, the backend's send, recording the outcomes), the
   PostgreSQL plan of the first claim, the CPU each process used, and a check that every device
   got exactly one message (the fake's messages against the devices' tokens). Before it, an
   earlier notification to every device is written and the delivery table analysed, as in
   production (``--no-history``: a table never analysed).
3. Memory against the audience size: the same fan-out at two sizes, with the growth of the
   process's peak RSS (``ru_maxrss``) and RSS sampled through the fan-out, and at two smaller
   sizes the peak of Python allocations (tracemalloc, which slows the fan-out about three
   times, so those runs are separate from the timed ones).
4. The topic path: with ``PUSH_TOPIC_THRESHOLD`` low, an audience of 10,000, 100,000 and
   1,000,000 followers (each with a device, since ``fan_out`` counts active devices to pick
   the path) and the number of requests the fake received for each. Each statement of that
   fan-out may take ``--audience-timeout`` seconds; one that does not answer in time is
   reported, and the notification is then fanned out again with the audience written as one
   ``IN`` over a ``UNION`` (marked as not the app's query).

Every measurement runs in a fresh process (so peak RSS is its own), the fake FCM in another
process of its own (so its CPU and the messages it stores do not count against the app;
``--fake-in-process`` runs it inside the app's process instead, for comparison). Audiences
are inserted with ``INSERT … SELECT generate_series`` (a million followers in about half a
minute) and analysed before use. Traffic goes only to 127.0.0.1, every loop is bounded, and
the dedicated database is created at the start and dropped at the end. Results are in
docs/benchmarks.md.

Run from the project root (4 to 8 minutes)::

    .venv/bin/python bench/push_fanout.py
    .venv/bin/python bench/push_fanout.py --skip-memory --skip-topics --senders 2
    .venv/bin/python bench/push_fanout.py --devices 100000 --memory-devices 10000 \\
        --topic-sizes 10000,100000,1000000 \\
        --database postgres://root@127.0.0.1:5432/twinning_bench
"""

import argparse
import datetime
import gc
import hashlib
import http.client
import importlib
import itertools
import json
import logging
import multiprocessing
import os
import re
import resource
import sys
import threading
import time
import traceback
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import support  # noqa: E402
from bench.support import CpuMeter, bench_database, expect, in_child  # noqa: E402

DEFAULT_DATABASE = "postgres://root@127.0.0.1:5432/twinning_bench"
PROJECT_ID = "twinning-bench"
ACCESS_TOKEN = "bench-access-token"  # noqa: S105 (what the fake FCM is sent, no secret)
TOPIC_THRESHOLD = 1000
# Seconds any one measurement may take before it is stopped.
CHILD_TIMEOUT = 600
# Languages as core.i18n has them; the audience is spread evenly over them.
LANGUAGES = ("en", "ru", "kk", "ur")


# --- CPU and memory ---------------------------------------------------------------------------


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- The fake FCM, in a process of its own ------------------------------------------------------


def _control_response(body: dict) -> bytes:
    payload = json.dumps(body).encode()
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode("latin-1") + payload


def bench_fake_class():
    """FakeFcm with two control endpoints, so any process can read or reset what it got:
    ``GET /bench/stats`` and ``POST /bench/reset``."""
    from tests.notifications.fake_fcm import FakeFcm

    class BenchFake(FakeFcm):
        def answer(self, method, target, headers, body):
            if target == "/bench/reset":
                self.reset()
                return _control_response({"reset": True})
            if target == "/bench/stats":
                return _control_response(self.stats())
            return super().answer(method, target, headers, body)

        def stats(self) -> dict:
            with self._lock:
                messages = list(self.messages)
                requests = self.request_count
            tokens = sorted(message["token"] for message in messages if "token" in message)
            conditions = [message["condition"] for message in messages if "condition" in message]
            return {
                "requests": requests,
                "messages": len(messages),
                "token_messages": len(tokens),
                "distinct_tokens": len(set(tokens)),
                "tokens_sha256": hashlib.sha256("\n".join(tokens).encode()).hexdigest(),
                "conditions": conditions[:20],
                "titles": sorted(
                    {message["notification"]["title"].split(":")[0] for message in messages}
                )[:20],
            }

    return BenchFake


def serve_fake(url_queue, stop_event) -> None:
    """The fake FCM's process: serve until told to stop."""
    fake = bench_fake_class()().start()
    url_queue.put(fake.url)
    stop_event.wait(3600)
    fake.stop()


def fake_call(url: str, target: str) -> dict:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("POST" if target.endswith("reset") else "GET", target)
        response = connection.getresponse()
        return json.loads(response.read())
    finally:
        connection.close()


# --- The fake's ceiling: a plain load client ---------------------------------------------------


def _fcm_body(token: str) -> bytes:
    # What firebase-admin 7.7 sends for one of this app's messages, give or take the texts.
    message = {
        "message": {
            "token": token,
            "notification": {
                "title": "Новое событие: Каспийский джаз",
                "body": "05.12.2026 19:00 (UTC+05:00) · Central Concert Hall, Актау",
            },
            "data": {
                "kind": "EVENT_ANNOUNCED",
                "notificationId": "123456",
                "eventId": "RXZlbnQ6MTIzNDU2",
            },
            "android": {"priority": "normal"},
            "apns": {"headers": {"apns-priority": "5"}},
        }
    }
    return json.dumps(message, ensure_ascii=False).encode()


def load_client(url: str, threads: int, seconds: float) -> dict:
    """Keep-alive POSTs of FCM messages from ``threads`` threads for ``seconds``."""
    parts = urlsplit(url)
    path = f"/v1/projects/{PROJECT_ID}/messages:send"
    headers = {
        "Authorization": f"Bearer {ACCESS_TOKEN}",
        "Content-Type": "application/json; charset=UTF-8",
        "X-GOOG-API-FORMAT-VERSION": "2",
        "X-FIREBASE-CLIENT": "fire-admin-python/7.7.0",
    }
    pad = hashlib.sha256(b"pad").hexdigest() * 3
    ok = [0] * threads
    failed = [0] * threads
    stop_at = time.perf_counter() + seconds

    def run(index: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        n = 0
        try:
            while time.perf_counter() < stop_at:
                token = f"ceiling-{index}-{n}:APA91b{pad}"[:160]
                connection.request("POST", path, body=_fcm_body(token), headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    ok[index] += 1
                else:
                    failed[index] += 1
                n += 1
        finally:
            connection.close()

    cpu = time.process_time()
    started = time.perf_counter()
    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    return {
        "ok": sum(ok),
        "failed": sum(failed),
        "seconds": elapsed,
        "client_cpu": time.process_time() - cpu,
    }


def measure_ceiling(url: str, fake_pid: int | None, threads: int, seconds: float, procs: int):
    """The fake's requests/s under ``procs`` client processes of ``threads`` threads."""
    fake_call(url, "/bench/reset")
    meter = CpuMeter({"fake": fake_pid}).start()
    if procs == 1:
        results = [load_client(url, threads, seconds)]
    else:
        context = multiprocessing.get_context("spawn")
        with context.Pool(procs) as pool:
            results = pool.starmap(load_client, [(url, threads, seconds)] * procs)
    cpu = meter.stop()
    stats = fake_call(url, "/bench/reset")
    ok = sum(result["ok"] for result in results)
    seconds_run = max(result["seconds"] for result in results)
    return {
        "client_processes": procs,
        "threads": threads * procs,
        "requests": ok,
        "failed": sum(result["failed"] for result in results),
        "seconds": seconds_run,
        "per_second": ok / seconds_run,
        "client_cpu": sum(result["client_cpu"] for result in results),
        "fake_cpu": cpu.get("fake"),
        "machine_cpu": cpu["machine"],
        "reset": stats,
    }


# --- Running a measurement in a fresh process ------------------------------------------------


# --- Django in a measurement process ---------------------------------------------------------


def setup_django(config: dict) -> None:
    """Settings from the environment, as in production, then django.setup()."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "backend.settings",
            "SECRET_KEY": "bench-secret-key-not-for-production-use-0123456789",
            "DEBUG": "false",
            "DATABASE_URL": config["database"],
            "DATABASE_CONN_MAX_AGE": "0",
            "PUSH_BACKEND": "fcm",
            "FIREBASE_PROJECT_ID": PROJECT_ID,
            "FIREBASE_CREDENTIALS": "",
            "FCM_API_URL": config.get("fake_url", ""),
            "PUSH_TOPIC_THRESHOLD": str(config.get("topic_threshold", 10_000_000)),
            # The fan-out starts this many senders in all (itself and N-1 more).
            "PUSH_PARALLEL_SENDERS": str(config.get("senders", 1)),
            # Announcing enqueues the fan-out on a broker nobody reads: the bench runs it.
            "CELERY_BROKER_URL": "memory://",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("GOOGLE_APPLICATION_CREDENTIALS", None)
    import django

    django.setup()
    # Announcing publishes to the in-memory broker, which warns that it has no hostname.
    logging.getLogger("kombu").setLevel(logging.ERROR)


def use_fake_fcm() -> None:
    """The FCM backend with a credential that needs no network, as the tests wire it."""
    from notifications import backends
    from tests.notifications.fake_fcm import StaticCredential

    backends.use_credential(StaticCredential(ACCESS_TOKEN))
    backends.reset_backend()


def migrate(config: dict) -> dict:
    setup_django(config)
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return {"seconds": time.perf_counter() - started, "postgres": version}


# --- Seeding ----------------------------------------------------------------------------------

USER_COLUMNS = (
    "password",
    "last_login",
    "is_superuser",
    "email",
    "firebase_uid",
    "display_name",
    "is_staff",
    "is_active",
    "date_joined",
    "language",
    "time_zone",
    "muted_categories",
    "quiet_hours_start",
    "quiet_hours_end",
    "calendar_token",
)
DEVICE_COLUMNS = (
    "user_id",
    "token",
    "platform",
    "locale",
    "app_version",
    "active",
    "deactivated_reason",
    "created_at",
    "updated_at",
)
FOLLOW_COLUMNS = ("user_id", "city_id", "created_at")
TWINNING_FOLLOW_COLUMNS = ("user_id", "twinning_id", "created_at")

# One statement per slice of followers: users, a device each (a ~160-character token like
# FCM's, the locale in the user's language or empty), a follow of the host city each, and
# for some a follow of the twinning (10 %) or of the partner city (10 %) as well, so that the
# audience query has people to count once who qualify twice.
SEED_SQL = f"""
WITH new_users AS (
    INSERT INTO accounts_user ({", ".join(USER_COLUMNS)})
    SELECT '!', NULL, false, NULL, NULL, 'Bench follower ' || g, false, true, now(),
           (ARRAY['en', 'ru', 'kk', 'ur'])[1 + mod(g, 4)],
           (ARRAY['Asia/Almaty', 'Asia/Karachi', 'Europe/Moscow', 'UTC'])[1 + mod(g, 4)],
           '[]'::jsonb, NULL, NULL, md5('calendar' || g) || md5('token' || g)
    FROM generate_series(%(first)s, %(last)s) AS g
    RETURNING id, language
), devices AS (
    INSERT INTO accounts_device ({", ".join(DEVICE_COLUMNS)})
    SELECT id, 'bench' || id || ':APA91b' || substr(repeat(md5(id::text), 5), 1, 140),
           CASE WHEN mod(id, 3) = 0 THEN 'IOS' ELSE 'ANDROID' END,
           CASE WHEN mod(id, 5) = 0 THEN ''
                ELSE language || '-' || (ARRAY['US', 'KZ', 'KZ', 'PK'])[1 + mod(id, 4)] END,
           '2.4.1', true, '', now(), now()
    FROM new_users
    RETURNING 1
), city_follows AS (
    INSERT INTO cities_cityfollow ({", ".join(FOLLOW_COLUMNS)})
    SELECT id, %(city)s, now() FROM new_users
    UNION ALL
    SELECT id, %(partner)s, now() FROM new_users WHERE mod(id, 10) = 3
    RETURNING 1
)
INSERT INTO cities_twinningfollow ({", ".join(TWINNING_FOLLOW_COLUMNS)})
SELECT id, %(twinning)s, now() FROM new_users WHERE mod(id, 10) = 7
"""  # noqa: S608 (the column names are the constants above)
SEED_SLICE = 100_000


def _chunks(iterable, size):
    iterator = iter(iterable)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def check_seed_columns() -> None:
    """Fail loudly if a model gained a column the seeding SQL does not fill."""
    from accounts.models import Device, User
    from cities.models import CityFollow, TwinningFollow

    for model, columns in (
        (User, USER_COLUMNS),
        (Device, DEVICE_COLUMNS),
        (CityFollow, FOLLOW_COLUMNS),
        (TwinningFollow, TWINNING_FOLLOW_COLUMNS),
    ):
        actual = {field.column for field in model._meta.concrete_fields if not field.primary_key}
        if actual != set(columns):
            raise RuntimeError(
                f"{model._meta.db_table} has columns {sorted(actual)}; the seeding SQL fills "
                f"{sorted(columns)}. Update bench/push_fanout.py."
            )


def reset_database() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE accounts_user, cities_city CASCADE")


class World:
    """A city (the host), its twin, the twinning, the host's office and a publisher."""

    def __init__(self):
        from accounts.models import User
        from cities.models import City, CityOffice, OfficeMembership, Twinning

        self.city = City.objects.create(
            name_en="Aktau",
            name_ru="Актау",
            name_kk="Ақтау",
            name_ur="اکتاؤ",
            country="KZ",
            latitude=43.65,
            longitude=51.17,
            timezone="Asia/Aqtau",
        )
        self.partner = City.objects.create(
            name_en="Karachi",
            name_ru="Карачи",
            country="PK",
            latitude=24.86,
            longitude=67.01,
            timezone="Asia/Karachi",
        )
        self.twinning = Twinning.objects.create(city_a=self.city, city_b=self.partner)
        self.office = CityOffice.objects.create(
            city=self.city, name_en="Aktau international relations office"
        )
        self.publisher = User.objects.create_user(email="publisher@bench.invalid")
        OfficeMembership.objects.create(
            user=self.publisher, office=self.office, role=OfficeMembership.Role.PUBLISHER
        )
        self.followers = 0
        self.events = 0

    def grow_audience(self, size: int) -> float:
        """Add followers (each with one device) until there are ``size``; seconds taken."""
        from django.db import connection

        started = time.perf_counter()
        with connection.cursor() as cursor:
            while self.followers < size:
                last = min(size, self.followers + SEED_SLICE)
                cursor.execute(
                    SEED_SQL,
                    {
                        "first": self.followers + 1,
                        "last": last,
                        "city": self.city.pk,
                        "partner": self.partner.pk,
                        "twinning": self.twinning.pk,
                    },
                )
                self.followers = last
            # As autovacuum would have by then: the planner needs the tables' statistics.
            cursor.execute(
                "VACUUM ANALYZE accounts_user, accounts_device, cities_cityfollow, "
                "cities_twinningfollow"
            )
        return time.perf_counter() - started

    def draft(self):
        from django.utils import timezone

        from events.models import Event

        self.events += 1
        starts = timezone.now() + datetime.timedelta(days=3)
        return Event.objects.create(
            title_en=f"Caspian jazz night {self.events}",
            title_ru=f"Каспийский джаз {self.events}",
            title_kk=f"Каспий джаз кеші {self.events}",
            title_ur=f"کیسپین جاز کی شام {self.events}",
            category=Event.Category.CULTURAL,
            starts_at=starts,
            ends_at=starts + datetime.timedelta(hours=2),
            timezone="Asia/Aqtau",
            venue_name="Central Concert Hall",
            host_city=self.city,
            twinning=self.twinning,
            office=self.office,
            status=Event.Status.DRAFT,
        )

    def history(self) -> float:
        """An earlier notification to every device, sent, and the delivery table analysed, as
        in production: the planner then knows the table but not the notification about to be
        fanned out, whose deliveries are seconds old. Seconds taken."""
        from django.db import connection
        from django.utils import timezone

        from accounts.models import Device
        from notifications.models import Delivery, Notification

        started = time.perf_counter()
        earlier = self.announce()
        now = timezone.now()
        devices = Device.objects.order_by("pk").values_list("pk", flat=True).iterator()
        for chunk in _chunks(devices, 5000):
            Delivery.objects.bulk_create(
                Delivery(
                    notification=earlier,
                    device_id=device_id,
                    language="en",
                    status=Delivery.Status.SENT,
                    attempts=1,
                    next_attempt_at=now,
                    sent_at=now,
                )
                for device_id in chunk
            )
        Notification.objects.filter(pk=earlier.pk).update(
            state=Notification.State.DONE, path=Notification.Path.TOKENS, completed_at=now
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE events_delivery")
        return time.perf_counter() - started

    def announce(self):
        """Announce a new draft through the service; the notification it wrote."""
        from events import services
        from notifications.models import Notification

        event = services.announce_event(self.publisher, self.draft())
        notification = Notification.objects.get(dedupe_key=f"event:{event.pk}:announced")
        if notification.state != Notification.State.PENDING:
            raise RuntimeError("The fan-out ran on announcing; it must wait for the bench.")
        return notification


# --- The token path ---------------------------------------------------------------------------


def _timed(timings: dict, name: str, function, series: dict | None = None):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            took = time.perf_counter() - started
            timings[name] += took
            timings[f"{name}_calls"] += 1
            if series is not None:
                series.setdefault(name, []).append(took)

    return wrapper


class RssSampler(threading.Thread):
    """The process's resident memory every ``interval`` seconds, to see whether it keeps
    growing as the fan-out goes on or levels off."""

    def __init__(self, interval: float = 0.2):
        super().__init__(daemon=True)
        self.interval, self.samples, self._stop_event = interval, [], threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")

    def rss_mib(self) -> float:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * self._page / 2**20

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.samples.append(self.rss_mib())

    def stop(self) -> dict:
        self._stop_event.set()
        self.join()
        half = max(1, len(self.samples) // 2)
        first, second = self.samples[:half], self.samples[half:] or self.samples[:half]
        return {"first_half_max_mib": max(first), "second_half_max_mib": max(second)}


class ClaimPlan:
    """A Django execute wrapper that has PostgreSQL explain the first claim of a batch (the
    statement with SKIP LOCKED) as it is about to run: does it read the pending deliveries
    in index order, or sort them all?"""

    def __init__(self):
        self.plan: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        if not self.plan and "SKIP LOCKED" in sql:
            raw = context["cursor"].cursor  # the driver's cursor: no wrapper runs again
            raw.execute(f"EXPLAIN {sql}", params)
            self.plan = [row[0] for row in raw.fetchall()]
        return execute(sql, params, many, context)

    def summary(self) -> str:
        text = "\n".join(self.plan)
        indexes = re.findall(r"Index (?:Only )?Scan using (\S+) on events_delivery", text)
        if not text:
            return "not seen"
        sort = "sorts the pending deliveries" if "Sort" in text else "no sort"
        return f"{sort}; reads events_delivery by {', '.join(indexes) or 'a table scan'}"


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _warm_up(fake_url: str, reset: bool = True) -> None:
    """What a running worker already has: the firebase-admin App, its connections, imports."""
    from notifications.backends import OutgoingMessage, get_backend

    backend = get_backend()
    results = backend.send(
        [OutgoingMessage(token=f"warm-up-{i}", title="t", body="b", data={}) for i in range(50)]
    )
    if any(result.outcome != "SENT" for result in results):
        raise RuntimeError(f"Warm-up sends failed: {results[:3]}")
    if reset:
        fake_call(fake_url, "/bench/reset")


def _prepare(config: dict) -> None:
    if config.get("prepare"):
        # "module:function" run before anything else, e.g. to swap in an alternative to
        # measure (bench/push_parts.py does).
        module, _, function = config["prepare"].partition(":")
        getattr(importlib.import_module(module), function)()


def _pg_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def extra_sender(config: dict, pipe) -> None:
    """Another worker process sending the same notification: told by the fan-out when it
    starts its extra senders (after its first chunk of deliveries is committed), it runs
    ``dispatch.send_due`` beside the fan-out, as a second Celery worker given that task
    would (claims skip each other's locked rows; it waits for rows while they are written)."""
    try:
        setup_django(config)
        use_fake_fcm()
        _prepare(config)
        from notifications import dispatch

        _warm_up(config["fake_url"], reset=False)
        pipe.send(("ready", _pg_pid()))
        if not pipe.poll(CHILD_TIMEOUT):
            raise TimeoutError("the fan-out never started its extra senders")
        notification_id = pipe.recv()
        pipe.send(("done", dispatch.send_due(notification_id)))
        # Stay until the CPU of this process and of its database session has been read.
        pipe.poll(60)
    except BaseException:
        pipe.send(("error", traceback.format_exc()))
    finally:
        pipe.close()


def _expect(pipe, what: str, timeout: float = CHILD_TIMEOUT):
    return expect(pipe, what, timeout, "an extra sender")


def token_path(config: dict) -> dict:
    """Seed ``devices`` followers, announce, fan out; rate, time split, memory, checks."""
    fake = None
    if config.get("fake_in_process"):
        fake = bench_fake_class()().start()
        config = {**config, "fake_url": fake.url, "fake_pid": None}
    setup_django(config)
    use_fake_fcm()
    _prepare(config)
    from django.db import connection
    from django.db.models import Count

    from notifications import backends, dispatch
    from notifications.audience import recipient_devices
    from notifications.models import Delivery, Notification

    check_seed_columns()
    reset_database()
    world = World()
    seed_seconds = world.grow_audience(config["devices"])
    history_seconds = world.history() if config.get("history", True) else None
    context = multiprocessing.get_context("spawn")
    senders = []
    for _ in range(config.get("senders", 1) - 1):
        pipe, child_pipe = context.Pipe()
        process = context.Process(target=extra_sender, args=(config, child_pipe))
        process.start()
        child_pipe.close()
        senders.append((process, pipe))
    sender_pg = [_expect(pipe, "ready", 120) for _, pipe in senders]
    _warm_up(config["fake_url"])
    started = time.perf_counter()
    notification = world.announce()
    announce_seconds = time.perf_counter() - started

    timings = defaultdict(float)
    dispatch.send_due = _timed(timings, "sending", dispatch.send_due)
    series = {}
    dispatch._claim = _timed(timings, "claim", dispatch._claim, series)
    dispatch._record = _timed(timings, "record", dispatch._record)
    backend = backends.get_backend()
    backend.send = _timed(timings, "fcm_send", backend.send)
    manager = Delivery._default_manager
    manager.bulk_create = _timed(timings, "delivery_insert", manager.bulk_create)

    pg_pid = _pg_pid()
    claim_plans = ClaimPlan()
    gc.collect()
    rss_before = max_rss_mib()
    sampler = RssSampler()
    rss_start = sampler.rss_mib()
    if config["trace"]:
        import tracemalloc

        tracemalloc.start()
    pids = {"app": os.getpid(), "fake": config.get("fake_pid"), "postgres": pg_pid}
    for number, ((process, _), backend_pid) in enumerate(zip(senders, sender_pg, strict=True)):
        pids[f"app {number + 2}"] = process.pid
        pids[f"postgres {number + 2}"] = backend_pid
    meter = CpuMeter(pids).start()
    sampler.start()
    started = time.perf_counter()

    def start_senders(notification_id: int, count: int) -> None:
        # What the broker does with the fan-out's send_due_deliveries tasks.
        for _, pipe in senders[:count]:
            pipe.send(notification_id)

    dispatch._start_senders = start_senders
    with connection.execute_wrapper(claim_plans):
        dispatch.fan_out(notification.pk)
    sent_by_others = [_expect(pipe, "done") for _, pipe in senders]
    seconds = time.perf_counter() - started
    cpu = meter.stop()
    for process, pipe in senders:
        pipe.send("bye")
        process.join(30)
    rss_halves = sampler.stop()
    traced_peak = None
    if config["trace"]:
        traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    rss_after = max_rss_mib()

    # The audience query alone, to tell it from writing the delivery rows.
    dispatch.finish_if_complete(notification.pk)
    notification.refresh_from_db()
    started = time.perf_counter()
    audience = recipient_devices(notification).count()
    count_seconds = time.perf_counter() - started

    stats = fake_call(config["fake_url"], "/bench/stats")
    tokens = sorted(
        recipient_devices(notification).values_list("token", flat=True).order_by().iterator()
    )
    statuses = dict(
        Delivery.objects.filter(notification=notification)
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    if fake is not None:
        fake.stop()
    sent = statuses.get(Delivery.Status.SENT, 0)
    return {
        "devices": config["devices"],
        "trace": config["trace"],
        "fake_in_process": bool(config.get("fake_in_process")),
        "senders": config.get("senders", 1),
        "push_code": code_fingerprint(),
        "history": config.get("history", True),
        "history_seconds": history_seconds,
        "sent_by_others": sent_by_others,
        "seed_seconds": seed_seconds,
        "announce_seconds": announce_seconds,
        "seconds": seconds,
        "sent": sent,
        "per_second": sent / seconds,
        "timings": dict(timings),
        "count_seconds": count_seconds,
        "cpu": cpu,
        "traced_peak_mib": traced_peak,
        "rss_before_mib": rss_before,
        "rss_growth_mib": rss_after - rss_before,
        "rss_start_mib": rss_start,
        "rss_halves": rss_halves,
        "claim_plan": claim_plans.summary(),
        "claim_first_ms": 1000 * _mean(series.get("claim", [])[:10]),
        "claim_last_ms": 1000 * _mean(series.get("claim", [])[-11:-1]),
        "state": notification.state,
        "path": notification.path,
        "audience_size": notification.audience_size,
        "audience_now": audience,
        "statuses": statuses,
        "fake": {k: v for k, v in stats.items() if k != "tokens_sha256"},
        "every_device_once": (
            stats["token_messages"] == len(tokens) == stats["distinct_tokens"] == sent
            and stats["tokens_sha256"] == hashlib.sha256("\n".join(tokens).encode()).hexdigest()
            and notification.state == Notification.State.DONE
        ),
    }


# --- The topic path ---------------------------------------------------------------------------


def union_recipient_devices(notification):
    """The audience of an announced event written as one ``IN`` over a ``UNION`` of the
    follows: what ``notifications.audience`` could send instead of its ``IN … OR IN …``.

    Not the app's query: the bench uses it only to show what the topic path does once the
    audience query answers on large audiences.
    """
    from accounts.models import Device, User
    from cities.models import CityFollow, TwinningFollow
    from notifications.audience import _event_cities

    event = notification.event
    followers = CityFollow.objects.filter(city__in=_event_cities(event)).values("user")
    if event.twinning_id:
        followers = followers.union(
            TwinningFollow.objects.filter(twinning=event.twinning_id).values("user")
        )
    users = User.objects.filter(pk__in=followers, is_active=True).exclude(
        muted_categories__icontains=f'"{event.category}"'
    )
    return (
        Device.objects.filter(active=True, user__in=users)
        .order_by("pk")
        .values_list(
            "pk",
            "locale",
            "user__language",
            "user__time_zone",
            "user__quiet_hours_start",
            "user__quiet_hours_end",
        )
    )


def _audience_plan(notification) -> str:
    """How PostgreSQL plans the audience query: whether the follows subquery is hashed."""
    from notifications.audience import recipient_devices

    plan = recipient_devices(notification).explain()
    subplans = re.findall(r"(?:hashed )?SubPlan \d+(?=\))", plan)
    return ", ".join(dict.fromkeys(subplans)) or "no subplan"


def _topic_fan_out(config: dict, notification, audience_timeout: int) -> dict:
    from django.db import DatabaseError, connection

    from notifications import dispatch
    from notifications.models import Delivery

    fake_call(config["fake_url"], "/bench/reset")
    with connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = '{int(audience_timeout)}s'")
    started = time.perf_counter()
    error = None
    try:
        dispatch.fan_out(notification.pk)
    except DatabaseError as exc:
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}"
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("RESET statement_timeout")
    stats = fake_call(config["fake_url"], "/bench/stats")
    notification.refresh_from_db()
    return {
        "seconds": seconds,
        "error": error,
        "audience_size": notification.audience_size,
        "path": notification.path or "-",
        "state": notification.state,
        "requests": stats["requests"],
        "messages": stats["messages"],
        "conditions": stats["conditions"],
        "outcomes": sorted({result["outcome"] for result in notification.topic_results.values()}),
        "deliveries": Delivery.objects.filter(notification=notification).count(),
    }


def topic_path(config: dict) -> dict:
    """For each audience size: grow the audience, announce, fan out, count FCM requests.

    The fan-out's database statements get ``audience_timeout`` seconds each; when the app's
    audience query does not answer in that time, the same notification is fanned out again
    with the audience written as in ``union_recipient_devices``, marked as such.
    """
    setup_django({**config, "topic_threshold": TOPIC_THRESHOLD})
    use_fake_fcm()
    from notifications import dispatch

    check_seed_columns()
    reset_database()
    world = World()
    _warm_up(config["fake_url"])
    rows = []
    for size in config["sizes"]:
        seed_seconds = world.grow_audience(size)
        notification = world.announce()
        plan = _audience_plan(notification)
        row = _topic_fan_out(config, notification, config["audience_timeout"])
        rows.append({"followers": size, "seed_seconds": seed_seconds, "plan": plan, **row})
        if row["error"]:
            app_query = dispatch.recipient_devices
            dispatch.recipient_devices = union_recipient_devices
            try:
                row = _topic_fan_out(config, notification, config["audience_timeout"])
            finally:
                dispatch.recipient_devices = app_query
            rows.append(
                {"followers": size, "seed_seconds": 0.0, "plan": "UNION", "what_if": True, **row}
            )
    return {
        "threshold": TOPIC_THRESHOLD,
        "rows": rows,
        "timeout": config["audience_timeout"],
        "push_code": code_fingerprint(),
    }


# --- The run ----------------------------------------------------------------------------------


def code_fingerprint() -> str:
    """A short hash of the push code measured, to tell runs of different code apart."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "notifications").glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def machine() -> dict:
    return {**support.machine(), "push_code": code_fingerprint()}


def fmt_split(run: dict) -> list[str]:
    t = run["timings"]
    sending = t.get("sending", 0.0)
    before = run["seconds"] - sending
    other = sending - t.get("claim", 0) - t.get("fcm_send", 0) - t.get("record", 0)
    own = run["sent"] - sum(run.get("sent_by_others", []))
    per = 1000 / own if own else 0.0
    return [
        f"  audience + delivery rows  {before:7.2f} s  "
        f"(INSERT {t.get('delivery_insert', 0):.2f} s in {int(t.get('delivery_insert_calls', 0))}"
        f" calls; the audience COUNT alone {run['count_seconds']:.2f} s)",
        f"  sending                   {sending:7.2f} s  in {int(t.get('claim_calls', 0))} claims"
        f" of up to 500; per message:",
        f"    claim (lock, lease)     {t.get('claim', 0):7.2f} s  {t.get('claim', 0) * per:.3f} ms"
        f"  (a claim: {run['claim_first_ms']:.0f} ms in the first 10, "
        f"{run['claim_last_ms']:.0f} ms in the last 10)",
        f"      the first claim's plan: {run.get('claim_plan', '-')}",
        f"    firebase-admin send     {t.get('fcm_send', 0):7.2f} s  "
        f"{t.get('fcm_send', 0) * per:.3f} ms",
        f"    record outcomes         {t.get('record', 0):7.2f} s  "
        f"{t.get('record', 0) * per:.3f} ms",
        f"    other (render, build)   {other:7.2f} s  {other * per:.3f} ms",
    ]


def fmt_cpu(cpu: dict) -> str:
    """CPU by kind of process: "app 2" and "postgres 2" (an extra sender and its backend)
    count with "app" and "postgres"."""
    wall = cpu["wall"]
    seconds, processes = defaultdict(float), defaultdict(int)
    for name, used in cpu.items():
        if name not in ("wall", "machine"):
            seconds[name.split()[0]] += used
            processes[name.split()[0]] += 1
    parts = [
        f"{group}{f' ({processes[group]} processes)' if processes[group] > 1 else ''} "
        f"{used:.1f} s ({used / wall:.0%})"
        for group, used in seconds.items()
    ]
    return f"  CPU over {wall:.1f} s (2 cores = 200 %): " + ", ".join(parts)


def fmt_mib(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} MiB"


def report(results: dict) -> str:
    m = results["machine"]
    lines = [
        "",
        "Push fan-out benchmark",
        f"machine: {m['cores']} cores, {m['cpu']}, Python {m['python']}, "
        f"PostgreSQL {results['migrate']['postgres']}; "
        f"load average before {m['load_before'][0]:.2f}",
        f"fake FCM: {results['fake_where']}",
        "('other' CPU below is everything else on the machine: PostgreSQL's background "
        "processes and any other load)",
        "",
    ]
    for ceiling in results.get("ceilings", []):
        lines.append(
            f"fake FCM ceiling ({ceiling['client_processes']} client process(es), "
            f"{ceiling['threads']} keep-alive threads, {ceiling['seconds']:.1f} s): "
            f"{ceiling['per_second']:,.0f} requests/s "
            f"(fake CPU {ceiling['fake_cpu'] / ceiling['seconds']:.0%}, "
            f"client CPU {ceiling['client_cpu'] / ceiling['seconds']:.0%}, "
            f"failed {ceiling['failed']})"
        )
    lines.append("")
    runs = results.get("token_runs", [])
    for run in runs:
        label = "tracemalloc on" if run["trace"] else "timed"
        if run["fake_in_process"]:
            label += ", fake in the app's process"
        if not run["history"]:
            label += ", no earlier notification (delivery table never analysed)"
        if run["senders"] > 1:
            label += (
                f", {run['senders']} sending processes; the split is the fan-out's own, which"
                f" sent {run['sent'] - sum(run['sent_by_others']):,}"
            )
        halves = run["rss_halves"]
        lines += [
            f"token path, {run['devices']:,} devices ({label}): {run['sent']:,} sent in "
            f"{run['seconds']:.2f} s = {run['per_second']:,.0f} msg/s; "
            f"every device exactly once: {run['every_device_once']}; "
            f"notifications code {run['push_code']}",
            *fmt_split(run),
            fmt_cpu(run["cpu"]),
            f"  memory: tracemalloc peak {fmt_mib(run['traced_peak_mib'])}, peak RSS growth "
            f"{run['rss_growth_mib']:.1f} MiB over {run['rss_before_mib']:.0f} MiB",
            f"  RSS {run['rss_start_mib']:.0f} MiB at the start, at most "
            f"{halves['first_half_max_mib']:.0f} MiB in the first half of the fan-out and "
            f"{halves['second_half_max_mib']:.0f} MiB in the second",
            f"  seeding {run['seed_seconds']:.1f} s, announcing {run['announce_seconds']:.2f} s",
            "",
        ]
    if runs:
        lines.append(
            f"{'memory':<8}{'devices':>10}{'msg/s':>8}{'tracemalloc peak':>18}"
            f"{'peak RSS growth':>17}"
        )
        for run in sorted(runs, key=lambda run: (run["trace"], run["devices"])):
            lines.append(
                f"{'traced' if run['trace'] else 'timed':<8}{run['devices']:>10,}"
                f"{run['per_second']:>8,.0f}{fmt_mib(run['traced_peak_mib']):>18}"
                f"{fmt_mib(run['rss_growth_mib']):>17}"
            )
    if results.get("topics"):
        topics = results["topics"]
        lines += [
            "",
            f"topic path (PUSH_TOPIC_THRESHOLD={topics['threshold']}; each statement of the "
            f"fan-out limited to {topics['timeout']} s; notifications code {topics['push_code']}):",
            f"{'followers':>10}{'audience':>10}{'FCM requests':>14}{'messages':>10}"
            f"{'deliveries':>12}{'fan-out s':>11}{'seed s':>8}  result",
        ]
        for row in topics["rows"]:
            result = f"{row['path']} {row['state']} {','.join(row['outcomes'])}"
            if row["error"]:
                result = f"not sent: {row['error']}"
            if row.get("what_if"):
                result += "  <- audience query rewritten as one IN over a UNION (not the app's)"
            audience = "-" if row["audience_size"] is None else f"{row['audience_size']:,}"
            lines.append(
                f"{row['followers']:>10,}{audience:>10}{row['requests']:>14}"
                f"{row['messages']:>10}{row['deliveries']:>12}{row['seconds']:>11.2f}"
                f"{row['seed_seconds']:>8.1f}  {result}"
            )
        lines.append("audience count plans (the app's query):")
        for row in topics["rows"]:
            if not row.get("what_if"):
                lines.append(f"  {row['followers']:>10,}: {row['plan']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=100_000, help="the timed audience")
    parser.add_argument(
        "--memory-devices",
        type=int,
        default=10_000,
        help="a second, smaller timed audience, to compare peak RSS with",
    )
    parser.add_argument(
        "--traced-devices",
        default="2000,20000",
        help="audiences for the tracemalloc runs (tracemalloc slows the fan-out several times)",
    )
    parser.add_argument("--topic-sizes", default="10000,100000,1000000")
    parser.add_argument(
        "--audience-timeout",
        type=int,
        default=60,
        help="seconds each statement of a topic-path fan-out may take",
    )
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--ceiling-seconds", type=float, default=5.0)
    parser.add_argument("--ceiling-threads", type=int, default=8)
    parser.add_argument(
        "--fake-in-process",
        action="store_true",
        help="run the fake FCM inside the app's process (its CPU then counts against the app)",
    )
    parser.add_argument(
        "--senders",
        type=int,
        default=1,
        help="worker processes sending the notification (the fan-out's own and N-1 more)",
    )
    parser.add_argument(
        "--no-history",
        action="store_true",
        help="skip the earlier notification whose deliveries give the table its statistics",
    )
    parser.add_argument("--skip-memory", action="store_true", help="only the timed --devices run")
    parser.add_argument("--skip-tokens", action="store_true")
    parser.add_argument("--skip-topics", action="store_true")
    parser.add_argument("--json", help="also write the raw results to this file")
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()

    results = {"machine": machine(), "args": vars(args)}
    context = multiprocessing.get_context("spawn")
    url_queue, stop = context.Queue(), context.Event()
    fake = context.Process(target=serve_fake, args=(url_queue, stop), name="fake-fcm")
    started = time.perf_counter()
    with bench_database(args.database, keep=args.keep_database) as name:
        try:
            fake.start()
            fake_url = url_queue.get(timeout=30)
            base = {"database": args.database, "fake_url": fake_url, "fake_pid": fake.pid}
            results["fake_where"] = (
                "in the app's process (--fake-in-process)"
                if args.fake_in_process
                else f"a separate process (pid {fake.pid}) at {fake_url}"
            )
            print(f"fake FCM at {fake_url}; migrating {name} …", flush=True)
            results["migrate"] = in_child(migrate, base)
            results["ceilings"] = []
            for procs in (1, 2):
                print(f"fake ceiling, {procs} client process(es) …", flush=True)
                results["ceilings"].append(
                    measure_ceiling(
                        fake_url, fake.pid, args.ceiling_threads, args.ceiling_seconds, procs
                    )
                )
            token_configs = [] if args.skip_tokens else [{"devices": args.devices, "trace": False}]
            if token_configs and not args.skip_memory:
                token_configs.append({"devices": args.memory_devices, "trace": False})
                token_configs += [
                    {"devices": int(size), "trace": True} for size in args.traced_devices.split(",")
                ]
            results["token_runs"] = []
            for token_config in token_configs:
                print(f"token path: {token_config} …", flush=True)
                run = in_child(
                    token_path,
                    {
                        **base,
                        **token_config,
                        "fake_in_process": args.fake_in_process,
                        "senders": args.senders,
                        "history": not args.no_history,
                    },
                )
                print(f"  {run['per_second']:,.0f} msg/s in {run['seconds']:.1f} s", flush=True)
                results["token_runs"].append(run)
            if not args.skip_topics:
                sizes = [int(size) for size in args.topic_sizes.split(",")]
                print(f"topic path: {sizes} …", flush=True)
                results["topics"] = in_child(
                    topic_path, {**base, "sizes": sizes, "audience_timeout": args.audience_timeout}
                )
        finally:
            stop.set()
            fake.join(30)
            if fake.is_alive():
                fake.terminate()
    results["total_seconds"] = time.perf_counter() - started
    print(report(results))
    print(f"\nwhole run: {results['total_seconds']:.0f} s")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2, default=str)


if __name__ == "__main__":
    main()
