"""The costs behind the push fan-out's figures, measured in isolation, some beside an
alternative.

``bench/push_fanout.py`` measures the fan-out as a whole; this measures the parts it points
at, so that a change to any of them can be judged on its own:

1. Claiming a batch (``notifications.dispatch._claim``) with 100,000 deliveries of a new
   notification pending while the table's statistics come from an earlier one, as in
   production; as the schema is, and with the foreign key's own index on ``notification_id``
   dropped (the composite index and the unique constraint both start with that column).
2. Recording the outcomes of a batch of 500 SENT deliveries (``dispatch._record``) as the app
   does it, and as one Django ``bulk_update`` of the fields a delivery's outcome touches
   (CASE WHEN per field and row), as it did before.
3. Sending to the fake FCM in another process: ``FcmBackend.send`` as configured, the same
   with ``trust_env`` off on firebase-admin's requests session (requests then stops reading
   proxy variables and ``.netrc`` from the environment on every request), and firebase-admin's
   own ``messaging.send_each`` (a new thread per message on every call).
4. The audience query (``notifications.audience.recipient_devices``) counted on audiences either
   side of PostgreSQL's work_mem limit for hashing its ``IN (follows)`` subquery, against the
   same audience written as one ``IN`` over a ``UNION``.

Last, a whole token-path fan-out (as in ``push_fanout.py``, optionally with several sending
processes) with ``trust_env`` off.

The alternatives are written here, in the bench, to measure them; the application is not
changed. PostgreSQL only; a dedicated database is created and dropped, traffic stays on
127.0.0.1. Run from the project root (about four minutes)::

    .venv/bin/python bench/push_parts.py [--senders 2] [--fanout-devices 100000]
"""

import argparse
import importlib.util
import multiprocessing
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import push_fanout as fanout
import support

DEFAULT_DATABASE = "postgres://root@127.0.0.1:5432/twinning_parts"
BATCH = 500


def _message_id(pk: int) -> str:
    return f"projects/{fanout.PROJECT_ID}/messages/{pk}"


def apply_alternatives() -> None:
    """For a whole fan-out (``push_fanout.token_path``'s ``prepare``): ``trust_env`` off on
    firebase-admin's requests session."""
    from firebase_admin import messaging

    from notifications import backends

    messaging._get_messaging_service(backends._get_app())._client.session.trust_env = False


def claim_costs(pending: int) -> list[tuple[str, float, str]]:
    """(label, ms a claim, plan) for the first three claims of a notification with
    ``pending`` due deliveries that the table's statistics do not know yet (an earlier
    notification's deliveries analysed, the new one's seconds old: a fan-out in production),
    as the schema is and with the foreign key's own index on notification_id dropped."""
    from django.db import connection
    from django.utils import timezone

    from notifications import dispatch
    from notifications.audience import recipient_devices
    from notifications.models import Delivery

    fanout.reset_database()
    world = fanout.World()
    world.grow_audience(pending)
    world.history()

    def claims(label: str) -> tuple[str, float, str]:
        notification = world.announce()
        now = timezone.now()
        rows = recipient_devices(notification).iterator(chunk_size=dispatch.FAN_OUT_CHUNK)
        for chunk in dispatch._chunks(rows, dispatch.FAN_OUT_CHUNK):
            Delivery.objects.bulk_create(
                [dispatch._delivery(notification, row, now) for row in chunk]
            )
        plan = fanout.ClaimPlan()
        with connection.execute_wrapper(plan):
            started = time.perf_counter()
            for _ in range(3):
                dispatch._claim(notification.pk)
            took = (time.perf_counter() - started) / 3
        return label, 1000 * took, plan.summary()

    results = [claims("_claim as is")]
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "events_delivery")
        for name, constraint in constraints.items():
            if constraint["index"] and constraint["columns"] == ["notification_id"]:
                cursor.execute(f'DROP INDEX "{name}"')
    results.append(claims("_claim, notification_id's own index dropped"))
    return results


def record_costs(rounds: int) -> list[tuple[str, float, float]]:
    """(label, wall ms, app CPU ms) per batch of 500, median over ``rounds`` batches."""
    from django.utils import timezone

    from notifications import dispatch
    from notifications.audience import recipient_devices
    from notifications.backends import Outcome, SendResult
    from notifications.models import Delivery

    fanout.reset_database()
    world = fanout.World()
    world.grow_audience(BATCH * rounds * 2)
    notification = world.announce()
    now = timezone.now()
    Delivery.objects.bulk_create(
        [dispatch._delivery(notification, row, now) for row in recipient_devices(notification)]
    )
    ids = list(
        Delivery.objects.filter(notification=notification)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    batches = iter(range(0, len(ids), BATCH))

    fields = [
        name
        for name in ("status", "sent_at", "message_id", "error_code", "error_detail")
        if name in {field.name for field in Delivery._meta.concrete_fields}
    ] + ["next_attempt_at"]

    def bulk_update(batch, results):
        now = timezone.now()
        for delivery, result in zip(batch, results, strict=True):
            delivery.status, delivery.sent_at = "SENT", now
            delivery.error_code = delivery.error_detail = ""
            if "message_id" in fields:
                delivery.message_id = result.message_id
        Delivery.objects.bulk_update(batch, fields)

    rows = []
    for label, record in (
        ("_record as is", dispatch._record),
        (f"bulk_update of {len(fields)} fields", bulk_update),
    ):
        walls, cpus = [], []
        for _ in range(rounds):
            start = next(batches)
            batch = list(Delivery.objects.filter(pk__in=ids[start : start + BATCH]))
            results = [SendResult(Outcome.SENT, message_id=_message_id(d.pk)) for d in batch]
            cpu, wall = time.process_time(), time.perf_counter()
            record(batch, results)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        sent = Delivery.objects.filter(pk__in=[d.pk for d in batch], status="SENT").count()
        if sent != len(batch):
            raise RuntimeError(f"{label} left {len(batch) - sent} deliveries unsent")
        rows.append((label, 1000 * statistics.median(walls), 1000 * statistics.median(cpus)))
    return rows


class LoopThread:
    """One asyncio event loop for the process, run by a thread of its own, so that
    firebase-admin's async client and its connections last from batch to batch (an
    ``asyncio.run`` per batch would open new connections every time)."""

    def __init__(self):
        import asyncio

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine):
        import asyncio

        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    async def profile(self, profiler, on: bool) -> None:
        # cProfile sees only its own thread: the loop's is switched on from inside it.
        profiler.enable() if on else profiler.disable()


def _async_client_without_retries(service, concurrency: int):
    """firebase-admin's async client as ``FcmBackend`` configures the sync one: no retries of
    its own (a failed connect once), and connection limits sized to the concurrency."""
    import httpx
    from firebase_admin import _http_client

    transport = httpx.AsyncHTTPTransport(
        http2=True,
        retries=1,
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
    )
    return httpx.AsyncClient(
        http2=True,
        timeout=10,
        headers=service._async_client._headers,
        auth=_http_client.GoogleAuthCredentialFlow(service._credential),
        transport=transport,
    )


def send_costs(
    fake_url: str, fake_pid: int, rounds: int, concurrency: int, profile: str = ""
) -> dict:
    """Sending batches of 500 to the fake FCM in another process, by firebase-admin's
    synchronous path (requests) and its asynchronous one (httpx): rows of (label, messages/s,
    app CPU µs per message, the fake's CPU µs per message), and a cProfile of the variant
    named by ``profile`` (its top functions by own time)."""
    import cProfile
    import io
    import pstats

    from firebase_admin import messaging

    from notifications.backends import OutgoingMessage, _fcm_message, _get_app, get_backend

    backend = get_backend()
    title, body = "Новое событие: Каспийский джаз", "05.12.2026 19:00 (UTC+05:00) · Актау"
    data = {"kind": "EVENT_ANNOUNCED", "notificationId": "1", "eventId": "RXZlbnQ6MQ=="}
    pad = "x" * 140

    def batch(k: int) -> list[OutgoingMessage]:
        return [
            OutgoingMessage(token=f"parts{k}-{i}:APA91b{pad}", title=title, body=body, data=data)
            for i in range(BATCH)
        ]

    app = _get_app()
    service = messaging._get_messaging_service(app)
    loop = LoopThread()

    def send_each(messages):
        # firebase-admin's own batch call: a new pool of one thread per message, every call.
        response = messaging.send_each([_fcm_message(m) for m in messages], app=app)
        return ["SENT" if one.success else "FAILED" for one in response.responses]

    def app_send(messages):
        return [result.outcome for result in backend.send(messages)]

    session = service._client.session
    light = (session.params, session.proxies)

    def each_async(messages):
        # firebase-admin's async batch call: the 500 requests gathered at once.
        fcm = [_fcm_message(m) for m in messages]
        response = loop.run(messaging.send_each_async(fcm, dry_run=False, app=app))
        return ["SENT" if one.success else "FAILED" for one in response.responses]

    async def bounded(fcm):
        # At most ``concurrency`` requests in flight, each taking the next message, as the
        # sending threads do.
        import asyncio

        pending, outcomes = iter(enumerate(fcm)), [None] * len(fcm)

        async def worker():
            for index, message in pending:
                response = await messaging.send_each_async([message], dry_run=False, app=app)
                outcomes[index] = "SENT" if response.responses[0].success else "FAILED"

        await asyncio.gather(*[worker() for _ in range(concurrency)])
        return outcomes

    def bounded_async(messages):
        return loop.run(bounded([_fcm_message(m) for m in messages]))

    async def own_client():
        return _async_client_without_retries(service, concurrency)

    clients = {"": service._async_client._async_client, "tuned": loop.run(own_client())}
    clients["merged"] = clients[""]

    def configure(variant: str) -> None:
        service._async_client._async_client = clients[variant]
        # "merged": the session's empty params and proxies as requests makes them, merged
        # into every request (before FcmBackend unset them).
        session.params, session.proxies = ({}, {}) if variant == "merged" else light
        # httpcore asks whether it runs under trio by importing sniffio, which httpx 0.28 no
        # longer installs: without it every lock and event it sets up searches sys.path for
        # the module again. A None in sys.modules makes that a dictionary look-up.
        if variant == "tuned" and importlib.util.find_spec("sniffio") is None:
            sys.modules["sniffio"] = None
        elif sys.modules.get("sniffio", 0) is None:
            del sys.modules["sniffio"]

    app_send(batch(0)[:50])
    each_async(batch(0)[50:100])
    profiles = {}
    rows = []
    k = 1
    threads = f"{settings_threads()} sending threads"
    for label, send, variant in [
        (f"FcmBackend.send ({threads}, requests)", app_send, ""),
        (f"FcmBackend.send ({threads}), empty params/proxies merged", app_send, "merged"),
        ("messaging.send_each (a thread per message)", send_each, ""),
        ("messaging.send_each_async, 500 at once (httpx)", each_async, ""),
        (f"send_each_async, {concurrency} at a time", bounded_async, ""),
        (
            f"send_each_async, {concurrency} at a time, own limits, no sniffio search",
            bounded_async,
            "tuned",
        ),
    ] * 2:
        configure(variant)
        profiler = cProfile.Profile() if label == profile and label not in profiles else None
        if profiler:
            if "async" in label:
                loop.run(loop.profile(profiler, True))
            else:
                profiler.enable()
        fake_cpu = support.process_cpu(fake_pid)
        cpu, wall = time.process_time(), time.perf_counter()
        failed = 0
        for _ in range(rounds):
            outcomes = send(batch(k))
            k += 1
            # Counted, not raised: firebase-admin's 500-at-once async call can time out
            # waiting for one of httpx's 100 pooled connections on a loaded machine.
            failed += sum(1 for outcome in outcomes if outcome != "SENT")
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu
        fake_cpu = support.process_cpu(fake_pid) - fake_cpu
        if profiler:
            if "async" in label:
                loop.run(loop.profile(profiler, False))
            else:
                profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
            profiles[label] = out.getvalue()
        count = rounds * BATCH
        rows.append(
            (label, (count - failed) / wall, 1e6 * cpu / count, 1e6 * fake_cpu / count, failed)
        )
    configure("")
    loop.run(clients["tuned"].aclose())
    return {"rows": rows, "profiles": profiles}


def settings_threads() -> int:
    from django.conf import settings

    return settings.PUSH_SEND_THREADS


def audience_costs(sizes: list[int], timeout: int) -> list[tuple[int, str, str, str]]:
    """(followers, the app's plan, the app's count time, the UNION form's count time)."""
    from django.db import DatabaseError, connection

    from notifications.audience import recipient_devices

    fanout.reset_database()
    world = fanout.World()
    notification = world.announce()
    rows = []
    for size in sizes:
        world.grow_audience(size)
        plan = fanout._audience_plan(notification)
        timings = []
        for query in (recipient_devices, fanout.union_recipient_devices):
            with connection.cursor() as cursor:
                cursor.execute(f"SET statement_timeout = '{int(timeout)}s'")
            started = time.perf_counter()
            try:
                count = query(notification).count()
                timings.append(f"{time.perf_counter() - started:.2f} s ({count:,})")
            except DatabaseError:
                timings.append(f"> {timeout} s (cancelled)")
            with connection.cursor() as cursor:
                cursor.execute("RESET statement_timeout")
        rows.append((size, plan, *timings))
    return rows


def parts(config: dict) -> dict:
    fanout.setup_django(config)
    fanout.use_fake_fcm()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        work_mem = cursor.fetchone()[0]
    fanout.check_seed_columns()
    fanout.reset_database()
    send = send_costs(
        config["fake_url"],
        config["fake_pid"],
        config["rounds"],
        config["concurrency"],
        config["profile"],
    )
    if config["send_only"]:
        return {"send": send}
    return {
        "claim": claim_costs(config["pending"]),
        "record": record_costs(config["rounds"]),
        "send": send,
        "audience": audience_costs(config["sizes"], config["timeout"]),
        "work_mem": work_mem,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--rounds", type=int, default=10, help="batches of 500 per variant")
    parser.add_argument("--pending", type=int, default=100_000, help="deliveries to claim from")
    parser.add_argument("--audience-sizes", default="100000,200000,300000,1000000")
    parser.add_argument("--audience-timeout", type=int, default=30)
    parser.add_argument(
        "--fanout-devices",
        type=int,
        default=100_000,
        help="a whole token-path fan-out with trust_env off (0: skip)",
    )
    parser.add_argument(
        "--senders", type=int, default=1, help="worker processes sending that fan-out"
    )
    parser.add_argument("--skip-parts", action="store_true", help="only the whole fan-out")
    parser.add_argument(
        "--send-only",
        action="store_true",
        help="only the fake's ceiling and the sending paths side by side (no fan-out)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=32, help="requests in flight for the bounded async rows"
    )
    parser.add_argument("--ceiling-seconds", type=float, default=5.0)
    parser.add_argument(
        "--profile", default="", help="label of a sending row to profile with cProfile"
    )
    args = parser.parse_args()
    if args.send_only:
        args.fanout_devices = 0

    context = multiprocessing.get_context("spawn")
    url_queue, stop = context.Queue(), context.Event()
    fake = context.Process(target=fanout.serve_fake, args=(url_queue, stop), name="fake-fcm")
    with support.bench_database(args.database):
        try:
            fake.start()
            fake_url = url_queue.get(timeout=30)
            base = {"database": args.database, "fake_url": fake_url, "fake_pid": fake.pid}
            fanout.in_child(fanout.migrate, base)
            results = {}
            if not args.skip_parts:
                # The fake's own ceiling in the same run: a plain client hammering it, one process
                # of 8 threads and two.
                results["ceilings"] = [
                    fanout.measure_ceiling(fake_url, fake.pid, 8, args.ceiling_seconds, procs)
                    for procs in (1, 2)
                ]
                sizes = [int(size) for size in args.audience_sizes.split(",")]
                config = {
                    "rounds": args.rounds,
                    "sizes": sizes,
                    "timeout": args.audience_timeout,
                    "pending": args.pending,
                    "send_only": args.send_only,
                    "concurrency": args.concurrency,
                    "profile": args.profile,
                }
                results.update(fanout.in_child(parts, {**base, **config}))
            if args.fanout_devices:
                config = {
                    "devices": args.fanout_devices,
                    "trace": False,
                    "prepare": "push_parts:apply_alternatives",
                    "senders": args.senders,
                }
                results["fanout"] = fanout.in_child(fanout.token_path, {**base, **config})
        finally:
            stop.set()
            fake.join(30)
            if fake.is_alive():
                fake.terminate()
    if results.get("send"):
        print_parts(results)
    run = results.get("fanout")
    if run:
        print(
            f"\nA whole fan-out to {run['devices']:,} devices with trust_env off, "
            f"{run['senders']} sending process(es): "
            f"{run['sent']:,} sent in {run['seconds']:.2f} s = {run['per_second']:,.0f} msg/s; "
            f"every device exactly once: {run['every_device_once']}"
        )
        print("\n".join(fanout.fmt_split(run)))
        print(fanout.fmt_cpu(run["cpu"]))


def print_parts(results: dict) -> None:
    print("\nThe fake FCM's own ceiling (a plain keep-alive http.client load, same run):")
    for ceiling in results["ceilings"]:
        fake_cpu = ceiling["fake_cpu"] or 0
        print(
            f"  {ceiling['client_processes']} client process(es), {ceiling['threads']} threads: "
            f"{ceiling['per_second']:8,.0f} requests/s  "
            f"(fake CPU {1e6 * fake_cpu / max(ceiling['requests'], 1):.0f} µs a request)"
        )
    print(f"\nSending batches of {BATCH} to the fake FCM (another process), each row twice:")
    for label, rate, cpu, fake_cpu, failed in results["send"]["rows"]:
        print(
            f"  {label:<72}{rate:8,.0f} msg/s  (app CPU {cpu:5.0f} µs a message, "
            f"fake {fake_cpu:3.0f} µs, {failed} not sent)"
        )
    for label, text in results["send"]["profiles"].items():
        print(f"\ncProfile of {label}, by own time:\n{text}")
    if "claim" not in results:
        return
    print(f"\nA claim of {BATCH} from a new notification's pending deliveries (first three):")
    for label, took, plan in results["claim"]:
        print(f"  {label:<44}{took:8.1f} ms  ({plan})")
    print(f"\nRecording the outcomes of a batch of {BATCH} SENT deliveries (median):")
    for label, wall, cpu in results["record"]:
        print(f"  {label:<44}{wall:8.1f} ms  (app CPU {cpu:.1f} ms)")
    print(f"\nCounting the audience of an announced event (work_mem {results['work_mem']}):")
    print(f"  {'followers':>10}  {'app query':<24}{'as one IN over a UNION':<24}app plan")
    for size, plan, app, union in results["audience"]:
        print(f"  {size:>10,}  {app:<24}{union:<24}{plan}")


if __name__ == "__main__":
    main()
