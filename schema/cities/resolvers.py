"""The queries behind the cities part of the API; resolvers call these and nothing else."""

from collections import defaultdict

from django.db.models import F, Q

from cities.models import City, Twinning
from graphql_server.errors import ApiErrorCode, UserInputError

from ..core.ids import decode_id
from ..core.selection import RowColumns, below, is_selected, only_columns
from ..core.validation import validate_country

# The attribute a list resolver fills so that nested twinnings cost no query per city.
TWINNINGS_CACHE = "_prefetched_twinnings"

TWINNING_ORDER = (F("established_on").asc(nulls_last=True), "id")

# The columns each field of City, Twinning and CityOffice reads (see RowColumns).
CITY_COLUMNS = RowColumns(
    always=("id",),
    fields={
        "id": (),
        "country": ("country",),
        "timeZone": ("timezone",),
        "twinnings": (),
        "partners": (),
        "offices": (),
        "slug": ("slug",),
        "region": ("region",),
        "latitude": ("latitude",),
        "longitude": ("longitude",),
        "population": ("population",),
        "geonamesId": ("geonames_id",),
    },
    translated={"name": "name"},
)
TWINNING_COLUMNS = RowColumns(
    always=("id", "city_a", "city_b"),
    fields={
        "id": (),
        "kind": ("kind",),
        "status": ("status",),
        "cityA": (),
        "cityB": (),
        "cities": (),
        "partner": (),
        "events": (),
        "establishedOn": ("established_on",),
        "endedOn": ("ended_on",),
        "sourceUrl": ("source_url",),
    },
    translated={"agreementTitle": "agreement_title", "agreementSummary": "agreement_summary"},
)
OFFICE_COLUMNS = RowColumns(
    always=("id", "city"),
    fields={
        "id": (),
        "city": (),
        "email": ("email",),
        "phone": ("phone",),
        "website": ("website",),
    },
    translated={"name": "name"},
)
# A twinning's fields that show one or both of its cities.
TWINNING_CITY_FIELDS = ("cityA", "cityB", "cities", "partner")


def twinning_columns(paths: frozenset[str], prefix: str) -> list[str] | None:
    """The columns a selected twinning reads, with its cities' when those are selected (one
    set for both, as ``cities`` and ``partner`` may show either)."""
    own = TWINNING_COLUMNS.columns(paths, prefix)
    city_paths = frozenset().union(*(below(paths, field) for field in TWINNING_CITY_FIELDS))
    if not any(is_selected(paths, field) for field in TWINNING_CITY_FIELDS):
        return own
    return only_columns(
        own,
        CITY_COLUMNS.columns(city_paths, f"{prefix}city_a__"),
        CITY_COLUMNS.columns(city_paths, f"{prefix}city_b__"),
    )


def cities(search: str | None, country: str | None, paths: frozenset[str]):
    """Cities matching the filters, alphabetically, prepared for the selected fields."""
    queryset = City.objects.all()
    # Given at all, a country must be one: "" is as INVALID_COUNTRY as " ", not no filter.
    if country is not None:
        queryset = queryset.filter(country=validate_country(country, "country"))
    if search:
        queryset = queryset.search(search)
    if "offices" in paths:
        queryset = queryset.prefetch_related("offices")
    return queryset.order_by("name_en", "id")


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


def city(id: str | None, slug: str | None) -> City | None:
    """One city by global ID or by slug; exactly one of them must be given."""
    if (id is None) == (slug is None):
        raise UserInputError("Give either id or slug.", ApiErrorCode.INVALID, "id")
    if id is not None:
        return City.objects.filter(pk=decode_id(id, "City", "id")).first()
    return City.objects.filter(slug=slug).first()


def twinnings(city_id, country, kind, status, paths: frozenset[str]):
    """Twinnings matching the filters, with both cities joined."""
    queryset = Twinning.objects.select_related("city_a", "city_b")
    if city_id is not None:
        queryset = queryset.involving(decode_id(city_id, "City", "city"))
    if country is not None:
        code = validate_country(country, "country")
        queryset = queryset.filter(Q(city_a__country=code) | Q(city_b__country=code))
    if kind:
        queryset = queryset.filter(kind=kind)
    if status:
        queryset = queryset.filter(status=status)
    from ..events.resolvers import prefetch_twinning_events

    return prefetch_twinning_events(queryset.order_by("id"), paths)


def twinning(id: str) -> Twinning | None:
    pk = decode_id(id, "Twinning", "id")
    return Twinning.objects.select_related("city_a", "city_b").filter(pk=pk).first()


def twinning_partner(twinning: Twinning, of: str) -> City | None:
    pk = decode_id(of, "City", "of")
    if pk not in (twinning.city_a_id, twinning.city_b_id):
        return None
    return twinning.partner_of(pk)
