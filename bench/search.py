"""What a text search costs on PostgreSQL, for text of every kind, against its plain condition.

A search keeps the rows whose search document contains the folded text or, from three
characters, is word-similar to it (core.search). This bench builds a catalogue in a database of
its own and times, for each text of a list (a letter, words, typos, text in four scripts, text
that no row, a few or every row matches, text without a trigram, the longest allowed), the
two queries a list sends: its first page (21 rows in the list's order) and its count, for
``events(filter: {search})`` (public events, soonest first) and ``cities(search)`` (by
name):

- **condition**: ``search_document LIKE '%text%' OR search_document %> 'text'`` as Django
  writes it, which is what the search sent before it was given its plans;
- **search**: ``Event.objects.public().search(text)`` and ``City.objects.search(text)``.

Each query is timed through the ORM (planning, execution, the page's IDs fetched), the
measures taking turns run after run; the table gives the medians, and every page and count of
the search is checked against the condition's (same rows, same order).

The catalogue: the cities of the twin-cities file (``--cities-file``, by default the one in
``../shared/data`` beside the checkout; the committed Kazakhstan and Pakistan subset when it
is absent), 400 of them hosting events; events (``--events``, a tenth of them drafts) whose
titles in English, Russian, Kazakh and Urdu are made of a few hundred words, spread over a
year, their search documents written as saving an event writes them. The database (default
``twinning_searchbench``) is created at the start and dropped at the end. Results are in
docs/benchmarks.md, "Text search".

Run from the project root (about a minute)::

    .venv/bin/python bench/search.py --cities-file ../shared/data/twin_cities.csv
    .venv/bin/python bench/search.py --events 50000 --runs 3
"""

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.feed import setup_django  # noqa: E402
from bench.support import catalogue_arguments, run_on_catalogue  # noqa: E402

DEFAULT_DATABASE = "postgres://root@127.0.0.1:5432/twinning_searchbench"

KINDS = [
    ("festival", "фестиваль", "фестивалі", "میلہ"),
    ("concert", "концерт", "концерт", "کنسرٹ"),
    ("fair", "ярмарка", "жәрмеңке", "میلہ"),
    ("match", "матч", "матч", "میچ"),
    ("exhibition", "выставка", "көрме", "نمائش"),
    ("delegation visit", "визит делегации", "делегация сапары", "وفد کا دورہ"),
    ("film week", "неделя кино", "кино апталығы", "فلمی ہفتہ"),
    ("forum", "форум", "форум", "فورم"),
    ("marathon", "марафон", "марафон", "میراتھن"),
    ("book day", "день книги", "кітап күні", "کتاب کا دن"),
]
ADJECTIVES = [
    ("Spring", "Весенний", "Көктемгі", "بہار"),
    ("Autumn", "Осенний", "Күзгі", "خزاں"),
    ("International", "Международный", "Халықаралық", "بین الاقوامی"),
    ("Youth", "Молодёжный", "Жастар", "نوجوان"),
    ("Jazz", "Джазовый", "Джаз", "جاز"),
    ("Friendship", "Дружеский", "Достық", "دوستی"),
    ("Twin cities", "Побратимский", "Бауырлас", "جڑواں شہر"),
    ("Student", "Студенческий", "Студенттік", "طلبہ"),
]
VENUES = ("Palace of Culture", "Central Stadium", "City Hall", "Park", "Theatre", "Library")

# The texts searched for, each with what it is.
TEXTS = [
    ("a", "a letter"),
    ("al", "two letters"),
    ("ала", "three letters, Cyrillic"),
    ("fest", "a word's start"),
    ("almaty", "a city"),
    ("almati", "a typo"),
    ("фестиваль", "a word, Russian"),
    ("نوجوان میلہ", "two words, Urdu"),
    ("東京都", "Japanese, in no row"),
    ("zzqx", "in no row"),
    ("library", "a venue"),
    ("city hall", "two words"),
    ("international festival", "two frequent words"),
    ("twin cities festival", "three frequent words"),
    ("!!!", "no trigram"),
    ("😀😀😀", "emoji"),
    ("a!!", "no three letters in a row"),
    ("ab cd", "no three letters in a row"),
    (("festival " * 12)[:100], "a word repeated, 100 characters"),
    (("Событие " * 13)[:100], "a word in no row, repeated, 100"),
    (
        "the quick brown fox jumps over the lazy dog while the international festival of twin"
        " cities goes on and",
        "100 characters, in no row",
    ),
    (
        "Съешь же ещё этих мягких французских булок да выпей чаю; широкая электрификация южных",
        "85 characters, Russian, in no row",
    ),
    (
        "spring festival almaty - karachi palace of culture 12 весенний фестиваль көктемгі",
        "81 characters of frequent words",
    ),
]


def seed(config: dict) -> dict:
    """Migrate, import the cities, and write the events."""
    setup_django(config, cache=False)
    import datetime
    import random

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from cities.importer import import_twinnings_file
    from cities.models import City, CityOffice, search_document
    from events.models import Event

    call_command("migrate", verbosity=0, interactive=False)
    import_twinnings_file(config["cities_file"])
    rng = random.Random(11)
    cities = list(City.objects.order_by("id"))
    hosts = rng.sample(cities, min(400, len(cities)))
    offices = {
        office.city_id: office
        for office in CityOffice.objects.bulk_create(
            CityOffice(city=city, name_en=f"{city.name_en} office") for city in hosts
        )
    }
    now = timezone.now()
    events = []
    for n in range(config["events"]):
        host, partner = rng.choice(hosts), rng.choice(cities)
        kind, adjective = rng.choice(KINDS), rng.choice(ADJECTIVES)
        titles = (
            f"{adjective[0]} {kind[0]} {host.name_en} – {partner.name_en}",
            f"{adjective[1]} {kind[1]} {host.name_en}" if n % 2 else "",
            f"{adjective[2]} {kind[2]}" if n % 3 == 0 else "",
            f"{adjective[3]} {kind[3]}" if n % 5 == 0 else "",
        )
        venue = f"{rng.choice(VENUES)} {n % 97}"
        starts = now + datetime.timedelta(minutes=rng.randrange(60, 365 * 24 * 60))
        events.append(
            Event(
                title_en=titles[0],
                title_ru=titles[1],
                title_kk=titles[2],
                title_ur=titles[3],
                description_en="Music, food and talks. " * 20,
                category=rng.choice(Event.Category.values),
                starts_at=starts,
                ends_at=starts + datetime.timedelta(hours=3),
                timezone=host.timezone,
                venue_name=venue,
                latitude=host.latitude,
                longitude=host.longitude,
                host_city=host,
                office=offices[host.pk],
                status=Event.Status.DRAFT if n % 10 == 0 else Event.Status.ANNOUNCED,
                announced_at=None if n % 10 == 0 else now,
                search_document=search_document(*titles, venue),
            )
        )
    Event.objects.bulk_create(events, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return {
        "cities": City.objects.count(),
        "events": Event.objects.count(),
        "public_events": Event.objects.public().count(),
        "postgres": version,
    }


def measure(config: dict) -> list[dict]:
    setup_django(config, cache=False)
    from django.db.models import Q

    from cities.models import City
    from core.folding import fold
    from events.models import Event

    lists = {
        "events": (lambda: Event.objects.public(), ("starts_at", "id")),
        "cities": (lambda: City.objects.all(), ("name_en", "id")),
    }

    def condition(queryset, text):
        needle = fold(text)
        matches = Q(search_document__contains=needle)
        if len(needle) >= 3:
            matches |= Q(search_document__trigram_word_similar=needle)
        return queryset.filter(matches)

    def query(queryset, kind):
        """The list's query: its page (the rows' IDs) or its count, through the ORM."""
        if kind == "page":
            return lambda: list(queryset.all()[:21].values_list("pk", flat=True))
        return lambda: queryset.all().count()

    def run(statement):
        started = time.perf_counter()
        result = statement()
        return (time.perf_counter() - started) * 1000, result

    rows = []
    for text, what in TEXTS:
        for name, (listed, order) in lists.items():
            statements = {}
            for way in ("condition", "search"):
                queryset = (
                    condition(listed(), text) if way == "condition" else listed().search(text)
                ).order_by(*order)
                for kind in ("page", "count"):
                    statements[(way, kind)] = query(queryset, kind)
            results, samples = {}, {key: [] for key in statements}
            for index in range(config["warmup"] + config["runs"]):
                for key, statement in statements.items():
                    elapsed, results[key] = run(statement)
                    if index >= config["warmup"]:
                        samples[key].append(elapsed)
            for kind in ("page", "count"):
                if results[("search", kind)] != results[("condition", kind)]:
                    raise AssertionError(f"{name} {kind} of {text!r}: the rows differ")
            row = {
                "list": name,
                "text": text,
                "what": what,
                "matches": results[("search", "count")],
            }
            row.update(
                {
                    f"{way} {kind}": statistics.median(samples[(way, kind)])
                    for way, kind in statements
                }
            )
            rows.append(row)
            print(
                f"  {name:7}{what[:34]:35}{row['matches']:>7}"
                + "".join(
                    f"{row[f'{way} {kind}']:>10.2f}"
                    for way in ("condition", "search")
                    for kind in ("page", "count")
                ),
                flush=True,
            )
    return rows


def main() -> None:
    parser = catalogue_arguments(__doc__.split("\n\n")[0], DEFAULT_DATABASE)
    parser.add_argument("--events", type=int, default=5000)
    run_on_catalogue(
        parser.parse_args(),
        seed,
        measure,
        "migrating and seeding {name} …",
        (
            f"  {'list':7}{'text':35}{'rows':>7}"
            f"{'cond page':>10}{'count':>10}{'search pg':>10}{'count':>10}   (ms, medians)"
        ),
    )


if __name__ == "__main__":
    main()
