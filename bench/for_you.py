"""The for-you feed against the whole feed: what `events(filter: {following: true})` costs a
signed-in viewer, and the plan PostgreSQL makes of its page.

On the events feed benchmark's catalogue (``bench/feed.py``: 5,000 events, a tenth of them
drafts, 300 cities, 200 twinnings), a viewer who follows 5 cities and 3 twinnings and answered
20 events. In-process, through the app's HTTP view (``GraphQLHttpView.dispatch``, every step
of it), the median of many interleaved runs of the app's feed document (``bench/feed.py``'s
``FEED``) at ``first: 20``:

- the whole feed and the for-you feed, signed in and executed (a signed-in viewer's answers
  not kept: ``RESPONSE_CACHE_VIEWER_SECONDS=0``);
- the for-you feed, a miss: the viewer's version bumped before each run, so the answer is
  looked up, executed and stored (what a viewer pays after following or answering);
- the for-you feed, kept for the viewer (Redis);
- the whole feed, anonymous and kept;

then the SQL statements of the for-you feed and ``EXPLAIN ANALYZE`` of its page. The database
(default ``twinning_foryoubench``) is created at the start and dropped at the end. Results are
in docs/benchmarks.md, "The for-you feed".

    .venv/bin/python bench/for_you.py
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.feed import (  # noqa: E402
    FEED,
    LANGUAGE,
    interleaved,
    migrate_and_seed,
    ours,
    setup_django,
)
from bench.support import bench_database, in_child, machine  # noqa: E402

DEFAULT_DATABASE = "postgres://root@127.0.0.1:5432/twinning_foryoubench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/8"
VIEWER = "for-you@example.org"
FOR_YOU = FEED.replace(
    "events(first: $first, after: $after)",
    "events(first: $first, after: $after, filter: {following: true})",
)


def viewer_token() -> str:
    """A viewer who follows 5 cities and 3 twinnings and answered 20 events; their token."""
    import uuid

    from accounts.models import User
    from accounts.tokens import issue_access_token
    from cities.models import City, CityFollow, Twinning, TwinningFollow
    from events.models import Event, Rsvp

    viewer = User.objects.create_user(VIEWER)
    for city in City.objects.order_by("pk")[10:15]:
        CityFollow.objects.create(user=viewer, city=city)
    for twinning in Twinning.objects.order_by("pk")[50:53]:
        TwinningFollow.objects.create(user=viewer, twinning=twinning)
    for event in Event.objects.public().order_by("pk")[1000:1020]:
        Rsvp.objects.create(user=viewer, event=event, status=Rsvp.Status.GOING)
    token, _ = issue_access_token(viewer, uuid.uuid4())
    return token


def signed_in(measure, token: str, kept_seconds: int = 0, before=None):
    """``measure`` (prepare, run) with the viewer's bearer token on its request, and a signed-in
    viewer's answers kept for ``kept_seconds`` (0: never, RESPONSE_CACHE_VIEWER_SECONDS);
    ``before`` runs untimed before each run."""
    from django.conf import settings

    prepare, run = measure

    def prepare_signed_in():
        request = prepare()
        settings.RESPONSE_CACHE_VIEWER_SECONDS = kept_seconds
        if before:
            before()
        request.META["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return request

    return prepare_signed_in, run


def measure(config: dict) -> dict:
    setup_django(config, cache=True)
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    from accounts.models import User
    from core import data_versions

    translation.activate(LANGUAGE)
    cache.clear()
    token = viewer_token()
    variables = {"first": config["size"]}
    whole = {"query": FEED, "variables": variables, "operationName": "Feed"}
    for_you = {"query": FOR_YOU, "variables": variables, "operationName": "Feed"}
    viewer_id = User.objects.get(email=VIEWER).pk
    measures = {
        "the whole feed, signed in, executed": signed_in(ours(whole, 3600), token),
        "the for-you feed, signed in, executed": signed_in(ours(for_you, 3600), token),
        # Its version bumped before each run: looked up, executed and stored.
        "the for-you feed, signed in, a miss": signed_in(
            ours(for_you, 3600), token, 3600, lambda: data_versions.bump_viewers(viewer_id)
        ),
        "the for-you feed, signed in, kept": signed_in(ours(for_you, 3600), token, 3600),
        "the whole feed, anonymous, kept": ours(whole, 3600),
    }
    outputs = {name: run(prepare()) for name, (prepare, run) in measures.items()}
    result = interleaved(measures, config["runs"], config["warmup"])
    feed = json.loads(outputs["the for-you feed, signed in, executed"])
    assert (
        outputs["the for-you feed, signed in, kept"]
        == outputs["the for-you feed, signed in, executed"]
    )
    assert "errors" not in feed, feed
    result["for_you_edges"] = len(feed["data"]["events"]["edges"])
    prepare, run = measures["the for-you feed, signed in, executed"]
    request = prepare()
    with CaptureQueriesContext(connection) as captured:
        run(request)
    # As sent, the parameters in place (psycopg's own rendering of the statement).
    statements = [query["sql"] for query in captured.captured_queries]
    result["for_you_statements"] = statements
    page = next(sql for sql in statements if "ORDER BY" in sql and '"events_event"' in sql)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS OFF) {page}")
        result["plan"] = [row[0] for row in cursor.fetchall()]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    parser.add_argument("--size", type=int, default=20)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    config = {
        "database": args.database,
        "redis": args.redis,
        "events": 5000,
        "cities": 300,
        "twinnings": 200,
        "size": args.size,
        "runs": args.runs,
        "warmup": args.warmup,
    }
    with bench_database(args.database):
        in_child(migrate_and_seed, config)
        results = in_child(measure, config)
    print(json.dumps({"machine": machine()}, indent=2))
    for key, value in results.items():
        if isinstance(value, dict):
            print(
                f"{key}: median {value['median_ms']:.2f} ms, "
                f"q1–q3 {value['q1_ms']:.2f}–{value['q3_ms']:.2f}, min {value['min_ms']:.2f}"
            )
    print("for-you edges:", results["for_you_edges"])
    print("statements:")
    for sql in results["for_you_statements"]:
        print("  ", sql[:300])
    print("plan of the page:")
    for line in results["plan"]:
        print("  ", line)


if __name__ == "__main__":
    main()
