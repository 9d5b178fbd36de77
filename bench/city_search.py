"""What a city search costs on PostgreSQL over the whole imported catalogue, by any name and
best match first.

``cities(search:)`` finds a city by its names in four languages and by its GeoNames aliases
(cities.geonames), and lists the best matches first: a name that is the text, then one that
starts with it, then the rest by word similarity, then the most populous (core.search.ranked,
``City.objects.best_matches``). This bench builds the catalogue in a database of its own, as
production would: ``import_twinnings`` over the twin-cities file (``--cities-file``, by default
the one in ``../shared/data`` beside the checkout), which matches every new city to GeoNames;
then, for each text of a list (a letter, the start of a name, names in four scripts, old names,
a typo, text that no row, a few or most rows match, text without a trigram, the longest
allowed), it times:

- **alphabetical**: the same rows in the order the list had before (``search(text)`` by English
  name), its first page (21 rows);
- **ranked**: the list as the API builds it now (``schema.cities.resolvers.cities``): its first
  page, the page after it (keyset, from the first page's last cursor), and its count;
- **request**: the whole GraphQL request of a search's first page with ``totalCount``, through
  the HTTP view (parsing, cost, execution, JSON; the response cache off).

Each query is timed through the ORM (planning, execution, rows read), the measures taking turns
run after run; the table gives the medians in ms, with the first three cities each text lists
(``--json`` also keeps each measure's minimum).
The ranked and the alphabetical lists are checked to hold the same rows. It also times the
import itself (reading GeoNames and matching included) and ``match_geonames`` run again over the
whole catalogue, and gives the sizes of the cities' table and of its trigram index. The
database (default ``twinning_citysearchbench``) is created at the start and dropped at the end.
Results are in docs/benchmarks.md, "City search by any name".

Run from the project root (about three minutes)::

    .venv/bin/python bench/city_search.py --cities-file ../shared/data/twin_cities.csv
"""

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.feed import setup_django  # noqa: E402
from bench.support import catalogue_arguments, run_on_catalogue  # noqa: E402

DEFAULT_DATABASE = "postgres://root@127.0.0.1:5432/twinning_citysearchbench"

# The texts searched for, each with what it is.
TEXTS = [
    ("a", "a letter"),
    ("ka", "two letters"),
    ("kar", "a name's start"),
    ("Karachi", "a city"),
    ("karachy", "a typo"),
    ("Almaty", "a city"),
    ("Алматы", "its name in Russian"),
    ("Alma-Ata", "its old name"),
    ("Nur-Sultan", "Astana's old name"),
    ("Astana", "a city"),
    ("کراچی", "a city in Urdu"),
    ("北京", "a city in Chinese"),
    ("port", "a word of many names"),
    ("san", "a frequent start"),
    ("sankt", "a German start"),
    ("frankfurt am main", "three words"),
    ("zzqx", "in no row"),
    ("!!!", "no trigram"),
    ("a!!", "no three letters in a row"),
    (
        (
            "the quick brown fox jumps over the lazy dog while the international festival of "
            "twin cities goes on and on"
        )[:100],
        "100 characters, in no row",
    ),
]

REQUEST = """
query Search($search: String) {
  cities(search: $search, first: 20) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id name population country { code } } }
  }
}
"""
# What the page's nodes select: the columns the list reads.
PATHS = frozenset({"id", "name", "population", "country"})


def seed(config: dict) -> dict:
    """Migrate and import the cities as production does, and say what that took."""
    setup_django(config, cache=False)
    from django.core.management import call_command
    from django.db import connection

    from cities.importer import import_twinnings_file
    from cities.models import City
    from cities.services import match_cities_to_geonames

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    report = import_twinnings_file(config["cities_file"])
    imported = time.perf_counter() - started
    started = time.perf_counter()
    again = match_cities_to_geonames()
    matched_again = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cities_city")
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute(
            "SELECT pg_total_relation_size('cities_city'), "
            "pg_relation_size('cities_city_search_trgm'), "
            "avg(length(search_document)), max(length(search_document)), "
            "sum(jsonb_array_length(aliases)) FROM cities_city"
        )
        table, index, average, longest, aliases = cursor.fetchone()
    return {
        "postgres": version,
        "cities": report.cities_created,
        "matched": report.cities_matched,
        "twinnings": report.twinnings_created,
        "import_s": round(imported, 1),
        "match_geonames_again_s": round(matched_again, 1),
        "match_geonames_again_changed": again.changed,
        "aliases": aliases,
        "with_aliases": City.objects.exclude(aliases=[]).count(),
        "document_chars_avg": round(float(average)),
        "document_chars_max": longest,
        "table_mb": round(table / 2**20, 1),
        "trigram_index_mb": round(index / 2**20, 1),
    }


def measure(config: dict) -> list[dict]:
    setup_django(config, cache=False)
    from django.conf import settings
    from django.test import RequestFactory

    from cities.models import City
    from graphql_server.http.view import GraphQLHttpView
    from schema.cities import resolvers
    from schema.core.pagination import Keyset
    from schema.schema import schema

    settings.RESPONSE_CACHE_SECONDS = 0
    view = GraphQLHttpView(schema=schema)
    factory = RequestFactory()
    list_name = "CityConnection"

    def run(statement):
        started = time.perf_counter()
        result = statement()
        return (time.perf_counter() - started) * 1000, result

    def request(text):
        body = json.dumps({"query": REQUEST, "variables": {"search": text}}).encode()

        def send():
            response = view.dispatch(
                factory.post(
                    "/graphql/",
                    body,
                    content_type="application/json",
                    HTTP_ACCEPT="application/json",
                )
            )
            answer = json.loads(response.content)
            if "errors" in answer:
                raise AssertionError(f"{text!r}: {answer['errors']}")
            return answer["data"]["cities"]["totalCount"]

        return send

    def statements_for(text):
        """The measures of ``text``, the ranked list, and its first page."""
        ranked = resolvers.cities(text, None, PATHS)
        keyset = Keyset(ranked, list_name)
        first_page = list(keyset.ordered(ranked)[:21])
        after = None
        if len(first_page) > 20:
            after = keyset.after(keyset.values(keyset.cursor(first_page[19])))
        alphabetical = City.objects.search(text).order_by("name_en", "id")
        statements = {
            "alphabetical page": lambda: list(alphabetical[:21].values_list("pk", flat=True)),
            "ranked page": lambda: [city.pk for city in keyset.ordered(ranked)[:21]],
            "next page": lambda: (
                [city.pk for city in keyset.ordered(ranked).filter(after)[:21]]
                if after is not None
                else []
            ),
            "count": lambda: ranked.count(),
            "request": request(text),
        }
        return statements, ranked, first_page

    rows = []
    for text, what in TEXTS:
        statements, ranked, first_page = statements_for(text)
        results, samples = {}, {key: [] for key in statements}
        for index in range(config["warmup"] + config["runs"]):
            for key, statement in statements.items():
                elapsed, results[key] = run(statement)
                if index >= config["warmup"]:
                    samples[key].append(elapsed)
        everything = set(City.objects.search(text).values_list("pk", flat=True))
        if set(ranked.values_list("pk", flat=True)) != everything:
            raise AssertionError(f"{text!r}: the ranked list's rows differ")
        if results["count"] != len(everything) or results["request"] != len(everything):
            raise AssertionError(f"{text!r}: the counts differ")
        top = [f"{city.name_en} ({city.country})" for city in first_page[:3]]
        row = {"text": text, "what": what, "matches": results["count"], "top": top}
        row.update({key: statistics.median(values) for key, values in samples.items()})
        # The floor too: on a shared machine a burst of someone else's work lifts a median.
        row.update({f"{key} min": min(values) for key, values in samples.items()})
        rows.append(row)
        print(
            f"  {what[:28]:29}{row['matches']:>7}"
            + "".join(f"{row[key]:>9.1f}" for key in statements)
            + f"   {', '.join(top)}",
            flush=True,
        )
    return rows


def main() -> None:
    parser = catalogue_arguments(__doc__.split("\n\n")[0], DEFAULT_DATABASE)
    run_on_catalogue(
        parser.parse_args(),
        seed,
        measure,
        "migrating {name} and importing the cities file …",
        (
            f"  {'text':29}{'rows':>7}{'alpha pg':>9}{'ranked':>9}{'next pg':>9}{'count':>9}"
            f"{'request':>9}   first three (ms, medians)"
        ),
    )


if __name__ == "__main__":
    main()
