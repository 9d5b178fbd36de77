"""What the worst documents cost that a client can send under the limits, against the feed.

Each attack shape is built from the limits in force (the settings), as large as they let it be
or just over one of them, and sent through the app's HTTP view (``GraphQLHttpView.dispatch``,
every step: body, parameters, the document caches, limits, validation, operation, cost,
variables, execution, encoding), in-process, on PostgreSQL with the feed bench's catalogue
(5,000 events, 300 cities, 200 twinnings; bench/feed.py seeds it, and the search documents
are then written as the app writes them), the response cache off:

- **first**: the document caches (valid and refused) emptied before each run, so each run
  parses, measures and validates the document as a new one;
- **repeat**: the same document again, as an attacker repeating it sends it.

The reference is the app's events feed (``first: 20``, docs/benchmarks.md "Events feed"),
its document cached as the app's always is, and the same as a new document. The measures
take turns run after run, so that the changing load of the shared machine falls on all alike;
the table gives each median, and the median over the feed's. Each shape's answer is checked
for the codes it is built to get.

Over HTTP (``--skip-http`` to leave it out): two daphne processes as bench/feed.py starts
them, the response cache off; a client reading the feed on 2 keep-alive connections, alone,
while 4 more connections read it too (the reference: as many ordinary clients), while 4
connections send the documents that cost most the first time, each one new (numbered by a
comment, so that neither cache knows it), and while they send the same ones again: the feed's
requests/s and latency in each case.

Most shapes ask for little (``__typename``, the languages); the others run as much as
``GRAPHQL_MAX_COST`` lets them: the searches of the longest text allowed (for cities and for
events, a word of every row repeated, which every row is word-similar to, so that its
similarity is computed for each, and text of many trigrams that no row matches), as many of
them with their counts as the cost allows, nested partners to the depth allowed, and aliased
connections at the largest page with their nested lists. For the partners the catalogue gets
the most twinned cities of the real one: the first 75 cities by name are twinned with one
another, 74 partners each, the most a city of the real catalogue has.

The database (default ``twinning_documentsbench``) is created at the start and dropped at the
end; the cache is local memory. Results are in docs/benchmarks.md, "Documents".

Run from the project root (about a minute)::

    .venv/bin/python bench/documents.py
    .venv/bin/python bench/documents.py --runs 50 --only fragments --skip-http
"""

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.feed import (  # noqa: E402
    FEED,
    load_generator,
    migrate_and_seed,
    request_bytes,
    server_environment,
    setup_django,
)
from bench.support import DaphneServers, bench_database, in_child, machine, process_cpu  # noqa: E402

DEFAULT_DATABASE = "postgres://root@127.0.0.1:5432/twinning_documentsbench"
LANGUAGE = "ru"
# Text of many trigrams that no name of the catalogue holds (a pangram, and more).
NOTHING = (
    "Съешь же ещё этих мягких французских булок да выпей чаю; "
    "широкая электрификация южных губерний даст мощный толчок подъёму сельского хозяйства"
)


@dataclass
class Shape:
    """A request to send: its JSON body, and the codes of its answer (``()`` for data)."""

    name: str
    body: dict
    expect: tuple[str, ...] = ()
    # Other acceptable outcomes (a budget the shape reaches on some machines and not others).
    also: tuple[tuple[str, ...], ...] = field(default_factory=tuple)


def shapes(settings) -> list[Shape]:
    """The attack shapes under (or just over) the limits in force."""
    s = settings
    selections, fields = s.GRAPHQL_MAX_SELECTIONS, s.GRAPHQL_MAX_FIELDS
    fragments, tokens = s.GRAPHQL_MAX_FRAGMENTS, s.GRAPHQL_MAX_TOKENS
    body_bytes = s.GRAPHQL_MAX_BODY_BYTES
    out: list[Shape] = []

    def add(name, query, expect=(), also=(), variables=None, operation=None):
        body = {"query": query}
        if variables is not None:
            body["variables"] = variables
        if operation is not None:
            body["operationName"] = operation
        out.append(Shape(name, body, tuple(expect), tuple(also)))

    # Duplicate fields: 2,000 copies, and as many as a selection set may hold.
    add(
        "2,000 copies of a field",
        "{" + " __typename" * (tokens - 10) + " }",
        ("TOO_MANY_SELECTIONS", "TOO_MANY_FIELDS"),
    )
    add(
        f"{selections} copies of a field (the set limit)",
        "{" + " __typename" * selections + " }",
        also=(("TOO_MANY_FIELD_COMPARISONS",),),
    )
    add(
        f"{selections + 1} copies of a field",
        "{" + " __typename" * (selections + 1) + " }",
        ("TOO_MANY_SELECTIONS",),
    )
    # Repeated at two and three levels: the comparisons multiply by level.
    k = 1
    while (k + 1) * (k + 2) <= fields and k + 1 <= selections:
        k += 1
    add(
        f"{k} × cities {{ {k} × totalCount }}",
        "{" + (" cities {" + " totalCount" * k + " }") * k + " }",
        ("TOO_MANY_FIELD_COMPARISONS",),
    )
    k3 = 1  # copies of k3 + 2 fields, of k3 + 8 tokens
    while (k3 + 1) * (k3 + 3) <= fields and (k3 + 1) * (k3 + 9) + 2 <= tokens:
        k3 += 1
    add(
        f"{k3} × cities {{ edges {{ {k3} × cursor }} }}",
        "{" + (" cities { edges {" + " cursor" * k3 + " } }") * k3 + " }",
        ("TOO_MANY_FIELD_COMPARISONS",),
        also=((),),
    )
    # Fragments: all spread together (compared pairwise), the same fields in each.
    n = min(fragments, selections)
    add(
        f"{n} fragments spread together",
        "{ languages { "
        + " ".join(f"...F{i}" for i in range(n))
        + " } } "
        + " ".join(f"fragment F{i} on Language {{ code }}" for i in range(n)),
    )
    n4 = min(fragments, selections // 4)
    add(
        f"{n4} fragments of the same 4 fields spread together",
        "{ languages { "
        + " ".join(f"...F{i}" for i in range(n4))
        + " } } "
        + " ".join(
            f"fragment F{i} on Language {{ code name englishName direction }}" for i in range(n4)
        ),
        also=(("TOO_MANY_FIELD_COMPARISONS",),),
    )
    add(
        f"{fragments + 1} fragments",
        "{ languages { ...F0 } } "
        + " ".join(f"fragment F{i} on Language {{ code }}" for i in range(fragments + 1)),
        ("TOO_MANY_FRAGMENTS",),
    )
    # Operations: each follows its variables through every fragment.
    operations, per = s.GRAPHQL_MAX_OPERATIONS, 20
    add(
        f"{operations} operations × {per} fragments, with variables",
        " ".join(
            f"query Q{o}($v: Boolean = true) {{ languages {{ "
            + " ".join(f"...F{i}" for i in range(per))
            + " } }"
            for o in range(operations)
        )
        + " "
        + " ".join(f"fragment F{i} on Language {{ code @include(if: $v) }}" for i in range(per)),
        operation="Q0",
    )
    # Depth: introspection (not counted), and just over the limit.
    levels = 190
    add(
        f"introspection {levels} levels deep (introspection off)",
        "{ __schema { types { " + "ofType { " * levels + "name" + " }" * levels + " } } }",
        ("INTROSPECTION_DISABLED",),
        also=(("GRAPHQL_PARSE_FAILED",),),
    )
    depth = s.GRAPHQL_MAX_DEPTH
    nested = "cities { edges { node { twinnings { edges { node { " * (depth // 6 + 1)
    add(
        f"{depth + 1}+ levels deep",
        "{ " + nested + "id" + " }" * (nested.count("{")) + " }",
        ("QUERY_TOO_DEEP",),
    )
    # Aliases at the limit, each a list.
    aliases = s.GRAPHQL_MAX_ALIASES
    add(
        f"{aliases} aliases",
        "{"
        + "".join(f" a{i}: languages {{ code name englishName direction }}" for i in range(aliases))
        + " }",
    )
    # Arguments and directives at their limits, on as many fields as the tokens allow.
    arguments = s.GRAPHQL_MAX_ARGUMENTS
    one = "cities(" + " ".join(f"a{i}: 1" for i in range(arguments)) + ") { totalCount } "
    copies = min(selections, (tokens - 4) // (arguments * 3 + 6))
    add(
        f"{copies} fields × {arguments} arguments",
        "{ " + one * copies + "}",
        ("GRAPHQL_VALIDATION_FAILED",),
        also=(
            ("TOO_MANY_FIELD_COMPARISONS",),
            ("GRAPHQL_VALIDATION_FAILED", "TOO_MANY_FIELD_COMPARISONS"),
        ),
    )
    directives = s.GRAPHQL_MAX_DIRECTIVES
    one = "__typename" + " @skip(if: false)" * directives + " "
    copies = min(selections, (tokens - 4) // (directives * 7 + 1))
    add(
        f"{copies} fields × {directives} directives",
        "{ " + one * copies + "}",
        ("GRAPHQL_VALIDATION_FAILED",),
    )
    # Tokens: a syntax error after all of them.
    add(
        f"{tokens - 2} tokens, then a syntax error",
        "{" + " __typename" * (tokens - 3) + " {",
        ("GRAPHQL_PARSE_FAILED",),
    )
    # Long text in the document, up to the body limit.
    size = body_bytes - 200
    add(
        "a string of 100 KB (search)",
        '{ cities(search: "' + "a" * size + '") { totalCount } }',
        ("TOO_LONG",),
    )
    add("a name of 100 KB", "{ " + "a" * size + " }", ("GRAPHQL_VALIDATION_FAILED",))
    add("a comment of 100 KB", "# " + "a" * size + "\n{ __typename }")
    # Variables.
    search = "query ($s: String) { cities(search: $s) { totalCount } }"
    add("a variable of 100 KB (search)", search, ("TOO_LONG",), variables={"s": "a" * size})
    filtered = "query ($f: EventFilterInput) { events(filter: $f) { totalCount } }"
    unknown = {f"k{i}": 1 for i in range(size // 12)}
    add(
        f"an input object of {len(unknown):,} unknown fields",
        filtered,
        ("VARIABLES_TOO_LARGE",),
        variables={"f": unknown},
    )
    values = s.GRAPHQL_MAX_VARIABLE_VALUES
    unknown = {f"k{i}": 1 for i in range(values - 1)}
    add(
        f"an input object of {values - 1} unknown fields (the values limit)",
        filtered,
        ("INVALID_VARIABLES",),
        variables={"f": unknown},
    )
    # The longest searches allowed, which run their SQL (PostgreSQL's trigram match): a word
    # of every row's name repeated, which every row is word-similar to without containing it
    # (so the similarity of each row is computed), and text of many trigrams that no row
    # matches (what the planner once answered by computing the similarity of every row).
    longest = s.GRAPHQL_MAX_SEARCH_LENGTH
    for name, row, operation, wrap, word in (
        ("cities(search:)", "city", search, lambda text: {"s": text}, "Город "),
        (
            "events(filter: {search:})",
            "event",
            filtered,
            lambda text: {"f": {"search": text}},
            "Событие ",
        ),
    ):
        add(
            f"{name} of {longest} characters, similar to every {row}",
            operation,
            variables=wrap((word * longest)[:longest]),
        )
        add(
            f"{name} of {longest} characters, matching none",
            operation,
            variables=wrap(NOTHING[:longest]),
        )
    # Executing at the cost limit: nested partners, searches with their counts, aliased
    # connections at the largest page with their nested lists.
    page = s.GRAPHQL_MAX_PAGE_SIZE
    text = ("Событие " * longest)[:longest]
    # 5 cities of 74 partners each: the largest page the cost lets run.
    add(
        "cities(first: 5) { partners { name } }",
        "{ cities(first: 5) { edges { node { name partners { name } } } } }",
    )
    add(
        f"cities(first: {page}) {{ partners {{ name }} }} (over the cost)",
        f"{{ cities(first: {page}) {{ edges {{ node {{ name partners {{ name }} }} }} }} }}",
        ("QUERY_TOO_COMPLEX",),
    )
    add(
        f"cities(first: {page}) {{ partners {{ partners {{ name }} }} }} (over the cost)",
        f"{{ cities(first: {page}) {{ edges {{ node {{ partners {{ partners {{ name }} }} }} }} }}"
        " }",
        ("QUERY_TOO_COMPLEX",),
    )
    add(
        "city { partners { partners { name } } } (over the cost)",
        '{ city(slug: "city-0") { partners { partners { name } } } }',
        ("QUERY_TOO_COMPLEX",),
    )
    add(
        "city { partners³ { name } } (over the cost)",
        '{ city(slug: "city-0") { partners { partners { partners { name } } } } }',
        ("QUERY_TOO_COMPLEX",),
    )
    searched = f'events(filter: {{search: "{text}"}}) {{ totalCount edges {{ node {{ title }} }} }}'
    for copies, expect in ((1, ()), (2, ("QUERY_TOO_COMPLEX",))):
        add(
            f"{copies} × events(search: {longest} characters) {{ totalCount, page }}",
            "{" + "".join(f" a{i}: {searched}" for i in range(copies)) + " }",
            expect,
        )
    for copies, expect in ((11, ()), (aliases, ("QUERY_TOO_COMPLEX",))):
        add(
            f"{copies} × events {{ totalCount }}",
            "{" + "".join(f" a{i}: events {{ totalCount }}" for i in range(copies)) + " }",
            expect,
        )
    for size, expect in ((20, ()), (page, ("QUERY_TOO_COMPLEX",))):
        add(
            f"twinnings(first: {size}) {{ cities, events }}",
            f"{{ twinnings(first: {size}) {{ edges {{ node {{ kind cities {{ name slug region "
            "timeZone country { code name } } events { title localStartsAt hostCity { name } } "
            "} } } }",
            expect,
        )
    return out


def twin_the_first_cities(config: dict) -> dict:
    """Twin the first 75 cities by name with one another: each then has 74 partners, the
    most a city of the real catalogue has (schema/costs.py, ``MOST_PARTNERS``)."""
    setup_django(config, cache=False)
    from django.db import connection

    from cities.models import City, Twinning

    cities = list(City.objects.order_by("name_en", "id")[:75])
    existing = set(Twinning.objects.values_list("city_a_id", "city_b_id"))
    pairs = {tuple(sorted((a.pk, b.pk))) for n, a in enumerate(cities) for b in cities[n + 1 :]}
    Twinning.objects.bulk_create(
        Twinning(city_a_id=a, city_b_id=b, kind=Twinning.Kind.SISTER_CITY)
        for a, b in sorted(pairs - existing)
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cities_twinning")
    return {"twinned": len(cities), "slug": cities[0].slug}


def write_search_documents(config: dict) -> dict:
    """Give the catalogue the search documents the app keeps. The feed bench's seed writes
    placeholders ("event 12"), where saving an event stores its titles in every language and
    its venue, folded ("event 12 событие 12 hall 12"), and a city its names ("city 12 город
    12 қала 12"): what a search reads, and what its similarity is computed over."""
    setup_django(config, cache=False)
    from django.db import connection

    from cities.models import City, search_document
    from core.i18n import LANGUAGE_CODES, column
    from events.models import Event

    cities = list(City.objects.all())
    for city in cities:
        city.search_document = city.build_search_document()
    City.objects.bulk_update(cities, ["search_document"], batch_size=1000)
    events = list(Event.objects.all())
    for event in events:
        titles = (getattr(event, column("title", code)) for code in LANGUAGE_CODES)
        event.search_document = search_document(*titles, event.venue_name)
    Event.objects.bulk_update(events, ["search_document"], batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cities_city")
        cursor.execute("VACUUM ANALYZE events_event")
    return {"event": events[0].search_document, "city": cities[0].search_document}


# --- In-process measurements -----------------------------------------------------------------


def codes_of(response) -> tuple[str, ...]:
    if response.status_code == 413:
        return ("PAYLOAD_TOO_LARGE",)
    body = json.loads(response.content)
    return tuple(error.get("extensions", {}).get("code", "?") for error in body.get("errors", ()))


def measure(config: dict) -> dict:
    setup_django(config, cache=False)
    from django.conf import settings
    from django.test import RequestFactory
    from django.utils import translation

    from graphql_server import documents
    from graphql_server.http.view import GraphQLHttpView
    from schema.schema import schema

    translation.activate(LANGUAGE)
    settings.RESPONSE_CACHE_SECONDS = 0
    view = GraphQLHttpView(schema=schema)
    factory = RequestFactory()
    feed_body = {"query": FEED, "variables": {"first": 20}, "operationName": "Feed"}
    feed_limits = documents.DocumentLimits.from_settings()

    def request(payload: bytes):
        request = factory.post(
            "/graphql/",
            payload,
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=LANGUAGE,
            HTTP_ACCEPT="application/json",
        )
        request.LANGUAGE_CODE = LANGUAGE
        return request

    def forget_documents():
        documents.document_cache.clear()
        documents.refused_documents.clear()
        # The feed's document stays cached, as the app's always is.
        documents.load_document(
            schema.graphql_schema, FEED, documents.document_hash(FEED), feed_limits
        )

    def measure_of(body: dict, first: bool):
        payload = json.dumps(body, ensure_ascii=False).encode()

        def prepare():
            if first:
                forget_documents()
            return request(payload)

        return prepare, view.dispatch

    def new_feed():
        def prepare():
            forget_documents()
            documents.document_cache.clear()
            return request(json.dumps(feed_body).encode())

        return prepare, view.dispatch

    selected = [
        shape
        for shape in shapes(settings)
        if not config["only"] or config["only"].lower() in shape.name.lower()
    ]
    measures = {
        "feed (first: 20)": measure_of(feed_body, first=False),
        "feed, as a new document": new_feed(),
    }
    outcomes = {}
    for shape in selected:
        measures[f"{shape.name} | first"] = measure_of(shape.body, first=True)
        measures[f"{shape.name} | repeat"] = measure_of(shape.body, first=False)
        prepare, run = measures[f"{shape.name} | first"]
        response = run(prepare())
        got = codes_of(response)
        expected = [set(shape.expect), *(set(codes) for codes in shape.also)]
        if set(got) not in expected:
            raise AssertionError(f"{shape.name}: answered {got[:5]}, not {shape.expect[:5]}")
        outcomes[shape.name] = {
            "status": response.status_code,
            "codes": sorted(set(got)),
            "errors": len(got),
            "request_bytes": len(json.dumps(shape.body, ensure_ascii=False).encode()),
            "response_bytes": len(response.content),
        }

    samples = {name: [] for name in measures}
    for index in range(config["warmup"] + config["runs"]):
        for name, (prepare, run) in measures.items():
            argument = prepare()
            started = time.perf_counter()
            run(argument)
            elapsed = time.perf_counter() - started
            if index >= config["warmup"]:
                samples[name].append(elapsed)
    medians = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    return {
        "medians": medians,
        "minimums": {name: min(values) * 1000 for name, values in samples.items()},
        "outcomes": outcomes,
        "shapes": [shape.name for shape in selected],
        "limits": {
            name: getattr(settings, name)
            for name in dir(settings)
            if name.startswith("GRAPHQL_MAX") or name.endswith("CACHE_SIZE")
        },
    }


# --- Over HTTP: the feed's latency while others send the worst documents ----------------------

# The shapes the attackers send over HTTP: those that cost the most the first time.
ATTACKS = ("operations ×", "directives", "fragments spread together")


def attack_bodies(config: dict) -> list[dict]:
    setup_django(config, cache=False)
    from django.conf import settings

    return [
        shape.body for shape in shapes(settings) if any(attack in shape.name for attack in ATTACKS)
    ]


def over_http(config: dict) -> list[dict]:
    """Two daphne processes (as bench/feed.py starts them, the response cache off); a client
    of 2 keep-alive connections reading the feed, alone; while 4 more connections read it too
    (what as many ordinary clients cost it); while 4 connections send the worst documents,
    each one new (a comment numbers it, so that neither cache knows it); and while they send
    the same few again and again."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    bodies = in_child(attack_bodies, config)
    environment = server_environment(config, cache=False)
    environment["REDIS_URL"] = None
    feed = {"query": FEED, "variables": {"first": 20}, "operationName": "Feed"}
    rows = []
    with (
        DaphneServers(ROOT, environment, count=2) as servers,
        ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool,
    ):
        port = servers.port

        def load(requests, connections):
            return {
                "port": port,
                "requests": requests,
                "connections": connections,
                "warmup": config["http_warmup"],
                "seconds": config["http_seconds"],
            }

        # Numbered variants: more than the refusal cache holds, so none is ever known.
        count = 3 * 1000 + 1
        new = [
            request_bytes(
                port,
                {**bodies[n % len(bodies)], "query": bodies[n % len(bodies)]["query"] + f"\n# {n}"},
            )
            for n in range(count)
        ]
        same = [request_bytes(port, body) for body in bodies]
        feed_requests = [request_bytes(port, feed)]
        scenarios = (
            ("alone", None),
            # The reference: four more clients of the app, as busy as the attackers.
            ("4 more reading the feed", feed_requests),
            ("4 sending new documents", new),
            ("4 sending the same ones", same),
        )
        for name, attack in scenarios:
            cpu_before = {pid: process_cpu(pid) for pid in servers.pids}
            load_before = os.getloadavg()
            reader = pool.submit(load_generator, load(feed_requests, 2))
            attacker = pool.submit(load_generator, load(attack, 4)) if attack else None
            row = {"scenario": name, "feed": reader.result(), "load_before": load_before}
            if attacker:
                row["attack"] = attacker.result()
            row["server_cpu"] = [
                round(process_cpu(pid) - cpu_before[pid], 2) for pid in servers.pids
            ]
            rows.append(row)
            print(
                f"  feed {name}: {row['feed']['per_second']:,.0f} requests/s, p50 "
                f"{row['feed']['p50_ms']:.1f} ms, p99 {row['feed']['p99_ms']:.1f} ms",
                flush=True,
            )
    return rows


# --- The run ---------------------------------------------------------------------------------


def report(results: dict) -> str:
    m = results["machine"]
    measured = results["measured"]
    medians = measured["medians"]
    feed = medians["feed (first: 20)"]
    lines = [
        "",
        "Documents benchmark: the worst documents under the limits, against the feed",
        f"machine: {m['cores']} cores, {m['cpu']}, Python {m['python']}, "
        f"PostgreSQL {results['seed']['postgres']}",
        f"load average (1 min) before: {m['load_before'][0]:.2f}, after: "
        f"{results['load_after'][0]:.2f}",
        f"median of {results['args']['runs']} runs each, the measures taking turns",
        "",
        f"  {'':64}{'median':>9}{'min':>8}{'× feed':>8}",
    ]
    for name in ("feed (first: 20)", "feed, as a new document"):
        lines.append(
            f"  {name:64}{medians[name]:>7.2f}ms{measured['minimums'][name]:>8.2f}"
            f"{medians[name] / feed:>8.2f}"
        )
    worst = 0.0
    for shape in measured["shapes"]:
        outcome = measured["outcomes"][shape]
        codes = ", ".join(outcome["codes"]) or "data"
        lines.append(
            f"  {shape} ({outcome['request_bytes']:,} B → {codes}, "
            f"{outcome['errors']} errors, {outcome['response_bytes']:,} B)"
        )
        for kind in ("first", "repeat"):
            name = f"{shape} | {kind}"
            ratio = medians[name] / feed
            worst = max(worst, ratio)
            lines.append(
                f"  {'    ' + kind:64}{medians[name]:>7.2f}ms{measured['minimums'][name]:>8.2f}"
                f"{ratio:>8.2f}"
            )
    lines += ["", f"worst: {worst:.2f} × the feed"]
    if results.get("http"):
        args = results["args"]
        lines += [
            "",
            f"over HTTP: 2 daphne processes; the feed read on 2 keep-alive connections, alone "
            f"and while 4 more read it or send the worst documents ({', '.join(ATTACKS)}); "
            f"{args['http_seconds']:.0f} s after {args['http_warmup']:.0f} s of warm-up",
            f"  {'':24}{'feed/s':>8}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'failed':>8}"
            f"{'others/s':>11}  server CPU s; load before",
        ]
        for row in results["http"]:
            feed_row, attack = row["feed"], row.get("attack")
            lines.append(
                f"  {row['scenario']:24}{feed_row['per_second']:>8,.0f}{feed_row['p50_ms']:>9.1f}"
                f"{feed_row['p90_ms']:>9.1f}{feed_row['p99_ms']:>9.1f}{feed_row['failures']:>8}"
                f"{attack['per_second'] if attack else 0:>11,.0f}  {row['server_cpu']}; "
                f"{row['load_before'][0]:.2f}"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--cities", type=int, default=300)
    parser.add_argument("--twinnings", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each measure")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--only", default="", help="only the shapes whose name has this")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--http-seconds", type=float, default=10.0)
    parser.add_argument("--http-warmup", type=float, default=2.0)
    parser.add_argument("--json", help="also write the raw results to this file")
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()

    results = {"machine": machine(), "args": vars(args)}
    config = {
        "database": args.database,
        "redis": "",
        "events": args.events,
        "cities": args.cities,
        "twinnings": args.twinnings,
        "runs": args.runs,
        "warmup": args.warmup,
        "only": args.only,
        "http_seconds": args.http_seconds,
        "http_warmup": args.http_warmup,
    }
    started = time.perf_counter()
    with bench_database(args.database, keep=args.keep_database) as name:
        print(f"migrating and seeding {name} …", flush=True)
        results["seed"] = in_child(migrate_and_seed, config)
        results["search_documents"] = in_child(write_search_documents, config)
        results["twinned"] = in_child(twin_the_first_cities, config)
        print("measuring …", flush=True)
        results["measured"] = in_child(measure, config)
        results["load_after"] = os.getloadavg()
        if not args.skip_http:
            print("over HTTP …", flush=True)
            results["http"] = over_http(config)
    results["total_seconds"] = time.perf_counter() - started
    print(report(results))
    print(f"\nwhole run: {results['total_seconds']:.0f} s")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2, default=str)


if __name__ == "__main__":
    main()
