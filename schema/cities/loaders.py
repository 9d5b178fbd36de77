"""What the fields of cities and twinnings load: for the one object they are asked of, or, filled
in by the list that fetched them, for a whole page at once (graphene's DataLoaders would need
the async execution that graphene-django's HTTP view does not do).

The types call these; nothing here knows the types, so that the queries behind the lists may
read the types' declarations (``schema.cities.types``) without a cycle.
"""

from collections import defaultdict

from django.db.models import F, Q

from cities.models import City, Twinning

from ..core.ids import decode_id
from ..core.selection import below, is_selected

# The attribute a list resolver fills so that nested twinnings cost no query per city.
TWINNINGS_CACHE = "_prefetched_twinnings"

TWINNING_ORDER = (F("established_on").asc(nulls_last=True), "id")

# A twinning's fields that show one or both of its cities.
TWINNING_CITY_FIELDS = ("cityA", "cityB", "cities", "partner")


def attach_twinnings(city_rows) -> None:
    """Load the twinnings (with both cities) of a page of cities in one query."""
    by_city = defaultdict(list)
    ids = [city.pk for city in city_rows]
    twinnings = (
        Twinning.objects.filter(Q(city_a__in=ids) | Q(city_b__in=ids))
        .select_related("city_a", "city_b")
        .order_by(*TWINNING_ORDER)
    )
    for twinning in twinnings:
        by_city[twinning.city_a_id].append(twinning)
        by_city[twinning.city_b_id].append(twinning)
    for city in city_rows:
        setattr(city, TWINNINGS_CACHE, by_city[city.pk])


def attach_city_lists(city_rows, paths: frozenset[str]) -> None:
    """Load the twinnings and partners of ``city_rows`` that ``paths`` (selected below each
    city) read, and level by level those of the cities they lead to (``partners { partners
    { … } }``, ``twinnings { cityA { partners } }``): one query per level, whatever the
    number of cities."""
    while city_rows and (is_selected(paths, "twinnings") or is_selected(paths, "partners")):
        attach_twinnings(city_rows)
        below_partners = below(paths, "partners")
        below_twinnings = below(paths, "twinnings")
        # Cities reached from here, and what is selected below each (one set for all).
        sides = [below(below_twinnings, side) for side in TWINNING_CITY_FIELDS]
        paths = frozenset().union(below_partners, *sides)
        reached = []
        for city in city_rows:
            for twinning in getattr(city, TWINNINGS_CACHE):
                if below_partners:
                    reached.append(twinning.partner_of(city))
                if any(sides):
                    reached += [twinning.city_a, twinning.city_b]
        city_rows = reached


def city_twinnings(city: City, paths: frozenset[str] = frozenset()) -> list[Twinning]:
    """A city's twinnings, and below them what ``paths`` select of their cities' lists."""
    if not hasattr(city, TWINNINGS_CACHE):
        attach_city_lists([city], frozenset({"twinnings", *(f"twinnings.{p}" for p in paths)}))
    return getattr(city, TWINNINGS_CACHE)


def city_partners(city: City, paths: frozenset[str] = frozenset()) -> list[City]:
    """A city's partners, and what ``paths`` select of their own lists."""
    if not hasattr(city, TWINNINGS_CACHE):
        attach_city_lists([city], frozenset({"partners", *(f"partners.{p}" for p in paths)}))
    return [twinning.partner_of(city) for twinning in getattr(city, TWINNINGS_CACHE)]


def twinning_partner(twinning: Twinning, of: str) -> City | None:
    pk = decode_id(of, "City", "of")
    if pk not in (twinning.city_a_id, twinning.city_b_id):
        return None
    return twinning.partner_of(pk)
