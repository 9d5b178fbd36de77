"""Text search (core.search): the rows a search finds, the same on every database as the
condition says, and on PostgreSQL the plans it is found with."""

import datetime
import json
import re

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cities.models import City, search_document
from core.folding import fold
from core.search import MatchRank, names_document
from events.models import Event

# Titles of the catalogue: shared words, several scripts, a word every title has ("day").
TITLES = [
    ("Nauryz concert day", "Наурыз концерт", "Наурыз концерті", "نوروز کنسرٹ"),
    ("Jazz festival day", "Джазовый фестиваль", "Джаз фестивалі", "جاز میلہ"),
    ("International jazz festival day", "Международный джаз", "", ""),
    ("Book fair day", "Книжная ярмарка", "Кітап жәрмеңкесі", "کتاب میلہ"),
    ("Friendship marathon day", "Марафон дружбы", "Достық марафоны", ""),
    ("Chess open day", "", "", ""),
    ("Film week day 50% off", "Неделя кино", "", ""),
    ("Delegation visit_day", "Визит делегации", "Делегация сапары", "وفد کا دورہ"),
]
CITY_NAMES = [
    ("Almaty", "Алматы", "Алматы", "الماتی"),
    ("Aktau", "Актау", "Ақтау", "اکتاؤ"),
    ("Karachi", "Карачи", "Карачи", "کراچی"),
    ("Gwadar", "Гвадар", "Гвадар", "گوادر"),
    ("Bérat", "", "", ""),
    ("Łódź", "Лодзь", "", ""),
    ("Saint-Étienne", "Сент-Этьен", "", ""),
    ("Tokyo", "Токио", "Токио", "ٹوکیو"),
    ("Almaty Oblast", "", "", ""),
]
ALIASES = {"Almaty": ["Alma-Ata", "Vernyj"], "Karachi": ["Kurrachee", "کراچی"]}
# From one character to the longest search allowed: words, typos, text that no row matches,
# that a few match, that every row matches by similarity without containing it, text without
# a trigram, without three letters in a row, LIKE's wildcards and escape, every script.
NEEDLES = [
    "a",
    "ай",
    "ی",
    "day",
    "jazz",
    "festivl",
    "Almati",
    "karachy",
    "фестиваль",
    "марафн",
    "кітап",
    "نوروز",
    "میلہ",
    "zzqx",
    "東京都",
    "!!!",
    "😀😀😀",
    "-- -",
    "a!!",
    "ab cd",
    "x y",
    "%",
    "50%",
    "_",
    "t_d",
    "\\",
    "it's",
    "jazz festival",
    "festival jazz",
    "saint etienne",
    "lodz",
    ("day " * 25)[:100],
    ("Город " * 17)[:100],
    "x" * 100,
    (
        "Съешь же ещё этих мягких французских булок да выпей чаю; "
        "широкая электрификация южных губерний"
    )[:100],
    "International jazz festival day Международный джаз Nauryz concert Книжная ярмарка",
]


def reference(queryset, text):
    """The rows that the search's condition says match ``text``: the folded text contained in
    the document or, on PostgreSQL and for three characters or more, word-similar to it."""
    needle = fold(text)
    condition = Q(search_document__contains=needle)
    if connection.vendor == "postgresql" and len(needle) >= 3:
        condition |= Q(search_document__trigram_word_similar=needle)
    return queryset.filter(condition)


def ids(queryset) -> list[int]:
    return list(queryset.values_list("pk", flat=True))


@pytest.fixture
def catalogue(city_factory, event_factory):
    cities = [
        city_factory(name_en=en, name_ru=ru, name_kk=kk, name_ur=ur, aliases=ALIASES.get(en, []))
        for en, ru, kk, ur in CITY_NAMES
    ]
    start = timezone.now() + datetime.timedelta(days=3)
    for n, (en, ru, kk, ur) in enumerate(TITLES * 3):
        event_factory(
            title_en=f"{en} {n}",
            title_ru=ru,
            title_kk=kk,
            title_ur=ur,
            host_city=cities[n % len(cities)],
            starts_at=start + datetime.timedelta(hours=n * 7 % 24, days=n % 5),
            venue_name=("Palace of Culture", "Central Stadium", "City Hall")[n % 3],
        )


def test_events_found_are_those_the_condition_matches_in_the_lists_order(catalogue):
    public = Event.objects.public().order_by("starts_at", "id")
    counts = []

    for needle in NEEDLES:
        found = ids(public.search(needle))

        assert found == ids(reference(public, needle)), needle
        counts.append(len(found))

    # The needles span no match, a few, and every event.
    assert 0 in counts and any(0 < count < 5 for count in counts)
    assert public.count() in counts


def test_cities_found_are_those_the_condition_matches_in_the_lists_order(catalogue):
    cities = City.objects.order_by("name_en", "id")

    for needle in NEEDLES:
        assert ids(cities.search(needle)) == ids(reference(cities, needle)), needle


def test_a_names_document_holds_each_name_folded_once_one_a_line_its_own_marked():
    document = names_document(
        ["Almaty", "", "Алматы", "ALMATY"], aliases=["Alma-Ata", "  Almaty  ", "Vernyj"]
    )

    assert document == "\n\x1falmaty\n\x1fалматы\nalma-ata\nvernyj\n"
    assert names_document(["", ""]) == ""


def test_the_best_matches_are_the_rows_the_search_finds(catalogue):
    cities = City.objects.order_by("name_en", "id")

    for needle in NEEDLES:
        best = cities.best_matches(needle)

        assert sorted(ids(best)) == sorted(ids(cities.search(needle))), needle
        assert best.count() == len(ids(best)), needle


@pytest.mark.parametrize(
    ("text", "ranks"),
    [
        ("almaty", {"Almaty": MatchRank.NAME, "Almaty Oblast": MatchRank.NAME_START}),
        ("ALMATY OBLAST", {"Almaty Oblast": MatchRank.NAME}),
        ("oblast", {"Almaty Oblast": MatchRank.OTHER}),
        ("alma-ata", {"Almaty": MatchRank.ALIAS}),
        ("alma", {"Almaty": MatchRank.NAME_START, "Almaty Oblast": MatchRank.NAME_START}),
        ("verny", {"Almaty": MatchRank.ALIAS_START}),
        ("сент-этьен", {"Saint-Étienne": MatchRank.NAME}),
        ("ЛОД", {"Łódź": MatchRank.NAME_START}),
        ("%", {}),
    ],
)
def test_a_whole_name_ranks_before_its_start_before_the_rest(catalogue, text, ranks):
    found = City.objects.order_by("name_en", "id").best_matches(text)

    ranked = {city.name_en: city.search_rank for city in found}
    # Every whole name and start of one, and the rest expected (PostgreSQL may find more of
    # those, word-similar).
    assert {
        name: rank for name, rank in ranked.items() if name in ranks or rank < MatchRank.OTHER
    } == ranks


def test_a_search_counts_what_it_lists(catalogue):
    for needle in NEEDLES:
        found = Event.objects.public().search(needle)

        assert found.count() == len(ids(found)), needle


@pytest.mark.postgresql
def test_on_postgresql_every_event_is_similar_to_a_word_it_holds_said_again_and_again(
    catalogue,
):
    # "day day day …" is contained in no title, and every title holds "day".
    repeated = ("day " * 25)[:100]

    assert ids(Event.objects.public().search(repeated)) == ids(Event.objects.public())


# --- Plans (PostgreSQL) ----------------------------------------------------------------------

ROWS = 1_000
# Letters any database locale reads as such (ASCII), in no row.
LONG = (
    "the quick brown fox jumps over the lazy dog while the international festival of twin "
    "cities goes on and on"
)[:100]


@pytest.fixture
def large_catalogue(office_factory):
    """A thousand events and cities, analysed: enough rows for the planner to weigh its
    choices as it does in production."""
    office = office_factory()
    city = office.city
    start = timezone.now() + datetime.timedelta(days=1)
    City.objects.bulk_create(
        City(
            name_en=f"Town {n}",
            name_ru=f"Город {n}",
            country="KZ",
            latitude=43.0,
            longitude=76.0,
            timezone="Asia/Almaty",
            slug=f"town-{n}",
            search_document=search_document(f"Town {n}", f"Город {n}"),
        )
        for n in range(ROWS)
    )
    Event.objects.bulk_create(
        Event(
            title_en=f"{TITLES[n % len(TITLES)][0]} {n}",
            title_ru=f"{TITLES[n % len(TITLES)][1]} {n}",
            category=Event.Category.CULTURAL,
            starts_at=start + datetime.timedelta(minutes=37 * n),
            ends_at=start + datetime.timedelta(minutes=37 * n + 120),
            timezone="Asia/Almaty",
            venue_name="Palace of Culture",
            host_city=city,
            office=office,
            status=Event.Status.ANNOUNCED,
            announced_at=timezone.now(),
            search_document=search_document(
                f"{TITLES[n % len(TITLES)][0]} {n}",
                f"{TITLES[n % len(TITLES)][1]} {n}",
                "Palace of Culture",
            ),
        )
        for n in range(ROWS)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cities_city")
        cursor.execute("ANALYZE events_event")


def executed(run) -> str:
    """The SQL of the one query that ``run()`` sends, as sent."""
    with CaptureQueriesContext(connection) as captured:
        run()
    [query] = captured.captured_queries
    return query["sql"]


def plan(sql: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON, VERBOSE) {sql}")
        explained = cursor.fetchone()[0]
    return (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]


def page_plan(found) -> dict:
    return plan(executed(lambda: list(found[:21])))


def count_plan(found) -> dict:
    return plan(executed(found.count))


def nodes(node: dict):
    yield node
    for child in node.get("Plans", ()):
        yield from nodes(child)


def scans(node: dict) -> set[tuple[str, str | None]]:
    """(node type, index) of each scan in a plan."""
    return {
        (each["Node Type"], each.get("Index Name"))
        for each in nodes(node)
        if "Scan" in each["Node Type"]
    }


def compared_with(node: dict) -> set[str]:
    """The texts that a plan computes the word similarity with (``%> '…'``)."""
    return set(re.findall(r"%> '((?:[^']|'')*)'", json.dumps(node, ensure_ascii=False)))


LISTS = [
    pytest.param(
        lambda: Event.objects.public().order_by("starts_at", "id"),
        "events_event_search_trgm",
        id="events",
    ),
    pytest.param(
        lambda: City.objects.order_by("name_en", "id"),
        "cities_city_search_trgm",
        id="cities",
    ),
]


@pytest.mark.postgresql
@pytest.mark.parametrize(("listed", "index"), LISTS)
def test_a_long_text_is_looked_up_in_the_trigram_index(large_catalogue, listed, index):
    found = listed().search(LONG)

    page, count = scans(page_plan(found)), scans(count_plan(found))

    # Neither the page nor the count reads the table row by row, nor walks the list's order:
    # the trigram index hands over the rows.
    assert page == {("Bitmap Heap Scan", None), ("Bitmap Index Scan", index)}, page
    assert count == {("Bitmap Heap Scan", None), ("Bitmap Index Scan", index)}, count


@pytest.mark.postgresql
def test_a_word_said_again_and_again_is_compared_once(large_catalogue):
    found = Event.objects.public().search("Festival " * 11)

    assert compared_with(page_plan(found)) == {"festival"}
    assert compared_with(count_plan(found)) == {"festival"}


@pytest.mark.postgresql
@pytest.mark.parametrize("text", ["!!!", "😀😀😀", "-- -"])
def test_text_without_a_trigram_is_not_compared_for_similarity(large_catalogue, text):
    found = Event.objects.public().search(text)

    for explained in (page_plan(found), count_plan(found)):
        assert compared_with(explained) == set()
        assert "~~" in json.dumps(explained, ensure_ascii=False)
