"""The events feed benchmark: the app's ``events`` query against the cost of reading its rows.

What it measures, on PostgreSQL, with a seeded catalogue (5,000 events, a tenth of them drafts,
300 cities, 200 twinnings), in Russian:

1. In-process, for ``first: 20`` and ``first: 100``, the median of many runs (the measures
   taking turns run after run, so that the machine's changing load falls on all alike) of

   - **the floor**: the same rows read with the ORM's ``.values()`` (the same columns, joins,
     filter, order and page plus one) and encoded with ``json``; no GraphQL at all;
   - **plain graphene-django**: a reference schema of ``DjangoObjectType``s with a
     ``DjangoConnectionField`` over a ``select_related`` queryset (which also counts the rows),
     through graphene-django's ``GraphQLView.get_response`` (parse, validate, execute, encode);
   - **ours, uncached**: the app's HTTP view (``GraphQLHttpView.dispatch``, every step: media
     type, body, bearer token, parameters, the document cache, operation and cost, execution,
     encoding) with the response cache off; the request object is built untimed;
   - **ours, cache miss**: the same with the cache on but the data versions bumped before each
     run, so each run looks up, misses, executes and stores;
   - **ours, cached**: the same with the cache on and warm;
   - and uncached and cached once more through Django's test client (the whole request:
     middleware, URL resolution, the view), to show what a request adds around the view;

   the SQL statements of the uncached feed, and the ratio of each median to the floor's.
   ``--profile`` adds a cProfile of the uncached path.
2. Over HTTP (``--skip-http`` to leave it out): two daphne processes started as production
   starts them (``daphne backend.asgi:application``), each given one of two listening sockets
   bound to the same loopback port with SO_REUSEPORT (``--fd``), so the kernel spreads the
   connections over them; a load generator in a process of its own (asyncio, keep-alive
   connections, each sending its next request when the previous answer is in, as wrk does):
   requests/s and p50/p90/p99 latency for the feed (``first: 20``) and for ``event(id)`` over
   50 public events taken in turn, with the response cache off and then on; each answer is
   checked for status 200 and no ``errors``; the CPU each server process used.

The database (default ``twinning_feedbench``) is created at the start and dropped at the end.
Settings come from the environment as in production (``DEBUG=false``, a connection per request);
the cache is Redis (``--redis``, default DB 8; empty for local memory), flushed at the start.
Results are in docs/benchmarks.md, "Events feed".

Run from the project root (2 to 4 minutes)::

    .venv/bin/python bench/feed.py
    .venv/bin/python bench/feed.py --skip-http --profile
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.support import (  # noqa: E402
    DaphneServers,
    bench_database,
    in_child,
    machine,
    process_cpu,
)

DEFAULT_DATABASE = "postgres://root@127.0.0.1:5432/twinning_feedbench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/8"
LANGUAGE = "ru"

# The mobile app's feed: what a card of the list shows.
FEED = """
query Feed($first: Int, $after: String) {
  events(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id
        title
        category
        status
        localStartsAt
        localEndsAt
        timeZone
        venueName
        hostCity { name }
        twinning { kind cityA { name } cityB { name } }
      }
    }
  }
}
"""

EVENT = """
query Event($id: ID!) {
  event(id: $id) {
    id title summary description category status
    localStartsAt localEndsAt timeZone venueName venueAddress
    hostCity { name }
    twinning { kind cityA { name } cityB { name } }
  }
}
"""

# The same rows as the feed, as a plain ORM read: its columns, joins, filter and order.
FLOOR_COLUMNS = (
    "id",
    "title_ru",
    "title_en",
    "category",
    "status",
    "starts_at",
    "ends_at",
    "timezone",
    "venue_name",
    "host_city__name_ru",
    "host_city__name_en",
    "twinning_id",
    "twinning__kind",
    "twinning__city_a__name_ru",
    "twinning__city_a__name_en",
    "twinning__city_b__name_ru",
    "twinning__city_b__name_en",
)

PLAIN_FEED = """
query Feed($first: Int, $after: String) {
  events(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id
        title
        category
        status
        localStartsAt
        localEndsAt
        timeZone
        venueName
        hostCity { name }
        twinning { kind cityA { name } cityB { name } }
      }
    }
  }
}
"""


def server_environment(config: dict, cache: bool) -> dict:
    """The environment of the app as the bench runs it: production settings, the bench's
    database, Redis (or local memory) as the cache."""
    environment = {
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "SECRET_KEY": "bench-secret-key-not-for-production-use-0123456789",
        "DEBUG": "false",
        "DATABASE_URL": config["database"],
        "DATABASE_CONN_MAX_AGE": config.get("conn_max_age", "0"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "CELERY_BROKER_URL": "memory://",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "LOG_LEVEL": "WARNING",
        "RESPONSE_CACHE_SECONDS": "3600" if cache else "0",
    }
    if config.get("redis"):
        environment["REDIS_URL"] = config["redis"]
    return environment


def setup_django(config: dict, cache: bool = True) -> None:
    os.environ.update(server_environment(config, cache))
    if not config.get("redis"):
        os.environ.pop("REDIS_URL", None)
    import warnings

    import django

    # WhiteNoise warns that static files were never collected; the bench serves none.
    warnings.filterwarnings("ignore", message="No directory at", module="whitenoise")
    django.setup()


# --- The catalogue ---------------------------------------------------------------------------


def migrate_and_seed(config: dict) -> dict:
    """Migrate the bench database and write the catalogue: cities with offices, twinnings,
    and events (a tenth of them drafts) with Russian titles, spread over the coming year."""
    setup_django(config)
    import random

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from cities.models import City, CityOffice, Twinning
    from events.models import Event

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrate_seconds = time.perf_counter() - started
    rng = random.Random(7)
    zones = ("Asia/Almaty", "Asia/Aqtau", "Asia/Karachi", "Europe/Istanbul")
    cities = City.objects.bulk_create(
        City(
            name_en=f"City {n}",
            name_ru=f"Город {n}",
            name_kk=f"Қала {n}",
            country=("KZ", "PK", "TR")[n % 3],
            latitude=30 + rng.random() * 20,
            longitude=50 + rng.random() * 30,
            timezone=zones[n % len(zones)],
            slug=f"city-{n}",
            search_document=f"city {n}",
        )
        for n in range(config["cities"])
    )
    offices = CityOffice.objects.bulk_create(
        CityOffice(city=city, name_en=f"{city.name_en} office", name_ru=f"Офис {city.name_ru}")
        for city in cities
    )
    office_of = {office.city_id: office for office in offices}
    pairs = set()
    while len(pairs) < config["twinnings"]:
        a, b = sorted(rng.sample(range(len(cities)), 2))
        pairs.add((a, b))
    twinnings = Twinning.objects.bulk_create(
        Twinning(city_a=cities[a], city_b=cities[b], kind=rng.choice(Twinning.Kind.values))
        for a, b in sorted(pairs)
    )
    now = timezone.now()
    events = []
    for n in range(config["events"]):
        twinning = twinnings[n % len(twinnings)] if n % 4 else None
        host = twinning.city_a if twinning else cities[n % len(cities)]
        starts = now + datetime.timedelta(minutes=rng.randrange(60, 365 * 24 * 60))
        events.append(
            Event(
                title_en=f"Event {n}",
                title_ru=f"Событие {n}",
                summary_en="A day of the twinned cities.",
                summary_ru="День городов-побратимов.",
                description_en="Music, food and talks. " * 20,
                description_ru="Музыка, еда и беседы. " * 20,
                category=rng.choice(Event.Category.values),
                starts_at=starts,
                ends_at=starts + datetime.timedelta(hours=3),
                timezone=host.timezone,
                venue_name=f"Hall {n % 50}",
                venue_address=f"{n} Main Street",
                latitude=host.latitude,
                longitude=host.longitude,
                host_city=host,
                twinning=twinning,
                office=office_of[host.pk],
                status=Event.Status.DRAFT if n % 10 == 0 else Event.Status.ANNOUNCED,
                announced_at=None if n % 10 == 0 else now,
                search_document=f"event {n}",
            )
        )
    Event.objects.bulk_create(events, batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return {
        "migrate_seconds": migrate_seconds,
        "seed_seconds": time.perf_counter() - started - migrate_seconds,
        "postgres": version,
        "public_events": Event.objects.public().count(),
        "event_ids": list(
            Event.objects.public().order_by("starts_at", "id").values_list("pk", flat=True)[:50]
        ),
    }


# --- In-process measurements -----------------------------------------------------------------


def summary(samples: list[float]) -> dict:
    samples = sorted(samples)
    quartiles = statistics.quantiles(samples, n=4)
    return {
        "median_ms": statistics.median(samples) * 1000,
        "q1_ms": quartiles[0] * 1000,
        "q3_ms": quartiles[2] * 1000,
        "min_ms": samples[0] * 1000,
        "runs": len(samples),
    }


def interleaved(measures: dict, runs: int, warmup: int) -> dict:
    """Each measure ``(prepare, run)`` timed ``runs`` times, the measures taking turns run
    after run so that a change in the machine's load falls on all of them alike; ``prepare``
    (untimed) returns the argument of ``run``. Median, quartiles and minimum of each."""
    samples = {name: [] for name in measures}
    for index in range(warmup + runs):
        for name, (prepare, run) in measures.items():
            argument = prepare()
            started = time.perf_counter()
            run(argument)
            elapsed = time.perf_counter() - started
            if index >= warmup:
                samples[name].append(elapsed)
    return {name: summary(values) for name, values in samples.items()}


def floor_function(size: int):
    """The floor: the feed's rows with ``.values()`` and ``json``."""
    from events.models import Event

    def iso(value):
        return value.isoformat()

    def run() -> bytes:
        rows = list(
            Event.objects.public().order_by("starts_at", "id").values(*FLOOR_COLUMNS)[: size + 1]
        )
        return json.dumps({"data": rows[:size]}, default=iso, ensure_ascii=False).encode()

    return run


def plain_schema():
    """The reference: graphene-django as its documentation shows it, ``select_related`` in the
    resolver, with a registry of its own so the app's types are untouched."""
    import graphene
    from django.utils import timezone
    from graphene import relay
    from graphene_django import DjangoConnectionField, DjangoObjectType
    from graphene_django.registry import Registry

    from cities.models import City, Twinning
    from events.models import Event

    plain_registry = Registry()

    class PlainCity(DjangoObjectType):
        name = graphene.String(required=True)

        class Meta:
            model = City
            fields = ("id", "name")
            interfaces = (relay.Node,)
            registry = plain_registry

    class PlainTwinning(DjangoObjectType):
        class Meta:
            model = Twinning
            fields = ("id", "kind", "city_a", "city_b")
            interfaces = (relay.Node,)
            registry = plain_registry

    class PlainEvent(DjangoObjectType):
        title = graphene.String(required=True)
        local_starts_at = graphene.DateTime(required=True)
        local_ends_at = graphene.DateTime(required=True)
        time_zone = graphene.String(required=True)

        class Meta:
            model = Event
            fields = ("id", "category", "status", "venue_name", "host_city", "twinning")
            interfaces = (relay.Node,)
            registry = plain_registry

        @staticmethod
        def resolve_time_zone(root, info):
            return root.timezone

        @staticmethod
        def resolve_local_starts_at(root, info):
            return timezone.localtime(root.starts_at, root.zone)

        @staticmethod
        def resolve_local_ends_at(root, info):
            return timezone.localtime(root.ends_at, root.zone)

    class Query(graphene.ObjectType):
        events = DjangoConnectionField(PlainEvent)

        @staticmethod
        def resolve_events(root, info, **kwargs):
            return (
                Event.objects.public()
                .select_related("host_city", "twinning__city_a", "twinning__city_b")
                .order_by("starts_at", "id")
            )

    return graphene.Schema(query=Query)


def request_for(body: dict):
    """A POST of ``body`` as the view receives it: anonymous, in Russian (LocaleMiddleware's
    work done), its body not read yet."""
    from django.test import RequestFactory

    request = RequestFactory().post(
        "/graphql/",
        json.dumps(body),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=LANGUAGE,
        HTTP_ACCEPT="application/json",
    )
    request.LANGUAGE_CODE = LANGUAGE
    return request


def ours(body: dict, cache_seconds: int, before=None):
    """The app's HTTP view on a request (every step of it, without Django's middleware):
    the request is built untimed, the view's dispatch timed."""
    from django.conf import settings

    from graphql_server.http.view import GraphQLHttpView
    from schema.schema import schema

    view = GraphQLHttpView(schema=schema)

    def prepare():
        settings.RESPONSE_CACHE_SECONDS = cache_seconds
        if before:
            before()
        return request_for(body)

    def run(request):
        response = view.dispatch(request)
        assert response.status_code == 200, response.content
        return response.content

    return prepare, run


def plain(view, body: dict):
    """graphene-django's view on a parsed body (``get_response``: parse, validate, execute,
    encode)."""
    from django.contrib.auth.models import AnonymousUser

    def prepare():
        request = request_for(body)
        request.user = AnonymousUser()
        return request

    def run(request):
        result, status = view.get_response(request, body)
        assert status == 200, result
        return result

    return prepare, run


def through_client(body: dict, cache_seconds: int):
    """The whole request through Django's test client: middleware, the URL, the view."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    payload = json.dumps(body)

    def prepare():
        settings.RESPONSE_CACHE_SECONDS = cache_seconds
        return None

    def run(_):
        response = client.post(
            "/graphql/",
            payload,
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=LANGUAGE,
            HTTP_ACCEPT="application/json",
            HTTP_HOST="127.0.0.1",
        )
        assert response.status_code == 200, response.content
        return response.content

    return prepare, run


def floor(size: int):
    return (lambda: None), (lambda _: floor_function(size)())


def sql_statements(prepare, run) -> list[str]:
    """The SQL that one run of a measure sends."""
    from django.db import connection

    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    argument = prepare()
    with connection.execute_wrapper(count):
        run(argument)
    return statements


def in_process(config: dict) -> dict:
    """Every in-process measurement, in one process, the response cache on the configured
    cache (Redis by default)."""
    setup_django(config, cache=True)
    from django.core.cache import cache
    from django.utils import translation
    from graphene_django.views import GraphQLView

    from core import data_versions

    translation.activate(LANGUAGE)
    cache.clear()
    reference = GraphQLView(schema=plain_schema())
    results = {"sizes": {}}
    for size in config["sizes"]:
        body = {"query": FEED, "variables": {"first": size}, "operationName": "Feed"}
        plain_body = {"query": PLAIN_FEED, "variables": {"first": size}, "operationName": "Feed"}
        measures = {
            "floor": floor(size),
            "plain graphene-django": plain(reference, plain_body),
            "ours, uncached": ours(body, 0),
            # A miss: the versions bumped before each run, so the lookup misses, the operation
            # runs and its answer is stored.
            "ours, cache miss": ours(
                body, 3600, before=lambda: data_versions.bump(data_versions.EVENTS)
            ),
            "ours, cached": ours(body, 3600),
            "ours via test client, uncached": through_client(body, 0),
            "ours via test client, cached": through_client(body, 3600),
        }
        outputs = {name: run(prepare()) for name, (prepare, run) in measures.items()}
        statements = sql_statements(*measures["ours, uncached"])
        row = interleaved(measures, config["runs"], config["warmup"])
        row["queries"] = len(statements)
        row["plain_queries"] = len(sql_statements(*measures["plain graphene-django"]))
        edges = json.loads(outputs["ours, uncached"])["data"]["events"]["edges"]
        row["check"] = {
            "edges": len(edges),
            "first_title": edges[0]["node"]["title"],
            "cached_equals_uncached": outputs["ours, cached"] == outputs["ours, uncached"],
            "plain_equals_ours": same_feed(
                outputs["plain graphene-django"], outputs["ours, uncached"]
            ),
        }
        results["sizes"][size] = row
    if config.get("profile"):
        results["profile"] = profile(config)
    return results


def same_feed(plain_body, ours_body) -> bool:
    """Whether the reference and ours answer the same feed (but for the ids' type names)."""

    def strip(body):
        data = json.loads(body)["data"]["events"]
        for edge in data["edges"]:
            edge["node"].pop("id")
        return data["edges"]

    return strip(plain_body) == strip(ours_body)


def profile(config: dict) -> str:
    """cProfile of the uncached feed of the largest size, by own time and cumulative."""
    import cProfile
    import io
    import pstats

    size = max(config["sizes"])
    prepare, run = ours({"query": FEED, "variables": {"first": size}}, 0)
    for _ in range(20):
        run(prepare())
    profiler = cProfile.Profile()
    for _ in range(50):
        request = prepare()
        profiler.enable()
        run(request)
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(40)
    return out.getvalue()


# --- Over HTTP: two daphne processes and a load generator --------------------------------------


def request_bytes(port: int, body: dict) -> bytes:
    payload = json.dumps(body).encode()
    head = (
        "POST /graphql/ HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Content-Type: application/json\r\n"
        "Accept: application/json\r\n"
        f"Accept-Language: {LANGUAGE}\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


async def _read_response(reader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"]))
    body = b""
    while True:  # chunked
        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return status, body
        body += chunk[:-2]


async def _load(port: int, requests: list[bytes], connections: int, warmup: float, seconds: float):
    import asyncio

    latencies, failures, counter, answered = [], [], [0], [0]
    started = time.perf_counter()
    measuring_from, stop_at = started + warmup, started + warmup + seconds

    async def client(index: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while True:
                sent = time.perf_counter()
                if sent >= stop_at:
                    return
                request = requests[counter[0] % len(requests)]
                counter[0] += 1
                writer.write(request)
                status, body = await _read_response(reader)
                done = time.perf_counter()
                answered[0] += 1
                if sent >= measuring_from:
                    latencies.append(done - sent)
                    if status != 200 or b'"errors"' in body:
                        failures.append((status, body[:200]))
        finally:
            writer.close()

    await asyncio.gather(*(client(index) for index in range(connections)))
    return latencies, failures, answered[0]


def load_generator(config: dict) -> dict:
    """Keep-alive connections on loopback, each sending the next request as soon as the
    previous answer is in (a closed loop, as wrk does); requests/s and latency percentiles
    over ``seconds`` after ``warmup``. Runs in a process of its own."""
    import asyncio

    cpu_before = process_cpu(os.getpid())
    latencies, failures, answered = asyncio.run(
        _load(
            config["port"],
            config["requests"],
            config["connections"],
            config["warmup"],
            config["seconds"],
        )
    )
    latencies.sort()
    count = len(latencies)

    def percentile(fraction: float) -> float:
        return latencies[min(count - 1, int(fraction * count))] * 1000 if count else 0.0

    return {
        "requests": count,
        "answered_with_warmup": answered,
        "per_second": count / config["seconds"],
        "p50_ms": percentile(0.50),
        "p90_ms": percentile(0.90),
        "p99_ms": percentile(0.99),
        "max_ms": latencies[-1] * 1000 if count else 0.0,
        "failures": len(failures),
        "first_failure": repr(failures[0]) if failures else "",
        "generator_cpu": process_cpu(os.getpid()) - cpu_before,
    }


def http_scenarios(config: dict, event_ids: list[int]) -> list[tuple[str, list[dict]]]:
    """The operations each scenario sends: the feed's first page, and event(id) over a set
    of public events taken in turn."""
    from graphql_relay import to_global_id

    feed = [{"query": FEED, "variables": {"first": 20}, "operationName": "Feed"}]
    events = [
        {"query": EVENT, "variables": {"id": to_global_id("Event", pk)}, "operationName": "Event"}
        for pk in event_ids
    ]
    return [("feed, first: 20", feed), ("event(id)", events)]


def over_http(config: dict, event_ids: list[int]) -> list[dict]:
    """Each scenario against two server processes, response cache off then on."""
    rows = []
    for cache in (False, True):
        environment = server_environment(config, cache)
        if not config.get("redis"):
            environment["REDIS_URL"] = None
        listen = "shared" if config.get("listen") == "shared" else "reuseport"
        with DaphneServers(ROOT, environment, count=2, listen=listen) as servers:
            for name, bodies in http_scenarios(config, event_ids):
                requests = [request_bytes(servers.port, body) for body in bodies]
                cpu_before = {pid: process_cpu(pid) for pid in servers.pids}
                load_before = os.getloadavg()
                result = in_child(
                    load_generator,
                    {
                        "port": servers.port,
                        "requests": requests,
                        "connections": config["connections"],
                        "warmup": config["http_warmup"],
                        "seconds": config["http_seconds"],
                    },
                )
                result["server_cpu"] = [
                    round(process_cpu(pid) - cpu_before[pid], 2) for pid in servers.pids
                ]
                result["server_cpu_ms_per_request"] = (
                    1000 * sum(result["server_cpu"]) / max(1, result["answered_with_warmup"])
                )
                result["load_before"] = load_before
                result["scenario"] = name
                result["cache"] = "cached" if cache else "uncached"
                rows.append(result)
                print(
                    f"  {name}, {result['cache']}: {result['per_second']:,.0f} requests/s, "
                    f"p99 {result['p99_ms']:.1f} ms",
                    flush=True,
                )
    return rows


# --- The run ---------------------------------------------------------------------------------


MEASURES = (
    "floor",
    "plain graphene-django",
    "ours, uncached",
    "ours, cache miss",
    "ours, cached",
    "ours via test client, uncached",
    "ours via test client, cached",
)


def report(results: dict) -> str:
    m = results["machine"]
    seed = results["seed"]
    lines = [
        "",
        "Events feed benchmark",
        f"machine: {m['cores']} cores, {m['cpu']}, Python {m['python']}, "
        f"PostgreSQL {seed['postgres']}; cache: {results['cache']}",
        f"load average (1 min) before: {m['load_before'][0]:.2f}",
        f"catalogue: {results['args']['events']:,} events ({seed['public_events']:,} public), "
        f"{results['args']['cities']} cities, {results['args']['twinnings']} twinnings; "
        f"language {LANGUAGE}",
        "",
    ]
    in_process = results.get("in_process")
    if in_process:
        lines += [
            f"in-process, median of {results['args']['runs']} runs each, the measures taking "
            f"turns; load average after: {results['load_after_in_process'][0]:.2f}",
            "",
        ]
        for size, row in in_process["sizes"].items():
            floor = row["floor"]["median_ms"]
            lines.append(
                f"first: {size}  (SQL statements: ours uncached {row['queries']}, plain "
                f"graphene-django {row['plain_queries']}; check: {row['check']})"
            )
            lines.append(f"  {'':32}{'median':>10}{'q1':>9}{'q3':>9}{'min':>9}{'× floor':>9}")
            for name in MEASURES:
                t = row[name]
                lines.append(
                    f"  {name:32}{t['median_ms']:>8.3f}ms{t['q1_ms']:>9.3f}{t['q3_ms']:>9.3f}"
                    f"{t['min_ms']:>9.3f}{t['median_ms'] / floor:>9.2f}"
                )
            lines.append("")
        if in_process.get("profile"):
            lines += ["profile of ours, uncached:", in_process["profile"]]
    if results.get("http"):
        args = results["args"]
        lines += [
            f"over HTTP: 2 daphne processes on one port ("
            f"{'one shared socket' if args['listen'] == 'shared' else 'SO_REUSEPORT'}), "
            f"{args['connections']} "
            f"keep-alive connections from one asyncio process, {args['http_seconds']:.0f} s "
            f"after {args['http_warmup']:.0f} s of warm-up",
            f"  {'':26}{'requests/s':>11}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'failed':>8}"
            f"  server CPU s (ms/request); generator CPU s; load before",
        ]
        for row in results["http"]:
            lines.append(
                f"  {row['scenario'] + ', ' + row['cache']:26}{row['per_second']:>11,.0f}"
                f"{row['p50_ms']:>9.1f}{row['p90_ms']:>9.1f}{row['p99_ms']:>9.1f}"
                f"{row['failures']:>8}  {row['server_cpu']} "
                f"({row['server_cpu_ms_per_request']:.1f}); {row['generator_cpu']:.1f}; "
                f"{row['load_before'][0]:.2f}"
            )
            if row["first_failure"]:
                lines.append(f"    first failure: {row['first_failure']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument(
        "--redis",
        default=DEFAULT_REDIS,
        help="the cache's Redis URL, as in production; empty for local memory",
    )
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--cities", type=int, default=300)
    parser.add_argument("--twinnings", type=int, default=200)
    parser.add_argument("--sizes", default="20,100")
    parser.add_argument("--runs", type=int, default=300, help="timed runs of each measurement")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-in-process", action="store_true")
    parser.add_argument(
        "--connections", type=int, default=16, help="keep-alive connections of the load"
    )
    parser.add_argument("--http-seconds", type=float, default=15.0)
    parser.add_argument("--http-warmup", type=float, default=3.0)
    parser.add_argument(
        "--listen",
        choices=("reuseport", "shared"),
        default="reuseport",
        help="a socket per server process on one port (SO_REUSEPORT), or one socket for both",
    )
    parser.add_argument("--json", help="also write the raw results to this file")
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()

    results = {"machine": machine(), "args": vars(args)}
    results["cache"] = f"Redis {args.redis}" if args.redis else "local memory"
    config = {
        "database": args.database,
        "redis": args.redis,
        "events": args.events,
        "cities": args.cities,
        "twinnings": args.twinnings,
        "sizes": [int(size) for size in args.sizes.split(",")],
        "runs": args.runs,
        "warmup": args.warmup,
        "profile": args.profile,
        "connections": args.connections,
        "http_seconds": args.http_seconds,
        "http_warmup": args.http_warmup,
        "listen": args.listen,
    }
    started = time.perf_counter()
    with bench_database(args.database, keep=args.keep_database) as name:
        print(f"migrating and seeding {name} …", flush=True)
        results["seed"] = in_child(migrate_and_seed, config)
        if not args.skip_in_process:
            print("in-process measurements …", flush=True)
            results["in_process"] = in_child(in_process, config)
            results["load_after_in_process"] = os.getloadavg()
        if not args.skip_http:
            print("over HTTP …", flush=True)
            results["http"] = over_http(config, results["seed"]["event_ids"])
    results["total_seconds"] = time.perf_counter() - started
    print(report(results))
    print(f"\nwhole run: {results['total_seconds']:.0f} s")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2, default=str)


if __name__ == "__main__":
    main()
