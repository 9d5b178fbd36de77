"""The queries behind the cities part of the API's lists and root fields; resolvers call these
and nothing else."""

from django.db.models import Q
from django.utils.translation import gettext_noop

from cities.models import City, Twinning
from graphql_server.errors import ApiErrorCode, UserInputError

from ..core.arguments import validate_country
from ..core.deferred import deferred_function
from ..core.ids import decode_id
from .types import CITY_COLUMNS

# A twinning's events are the events part's to load (see schema.core.deferred).
prefetch_twinning_events = deferred_function("schema.events.resolvers.prefetch_twinning_events")


def cities(search: str | None, country: str | None, paths: frozenset[str]):
    """Cities matching the filters, prepared for the selected fields, reading only the
    columns those show: alphabetically, or with ``search`` the best matches first
    (``City.best_matches``: the whole name, then its start, then the rest; the most populous
    first among equals)."""
    queryset = City.objects.order_by("name_en", "id")
    # Given at all, a country must be one: "" is as INVALID_COUNTRY as " ", not no filter.
    if country is not None:
        queryset = queryset.filter(country=validate_country(country, "country"))
    if "offices" in paths:
        queryset = queryset.prefetch_related("offices")
    columns = CITY_COLUMNS.columns(paths)
    if columns is not None:
        queryset = queryset.only(*columns)
    return queryset.best_matches(search) if search else queryset


def city(id: str | None, slug: str | None) -> City | None:
    """One city by global ID or by slug; exactly one of them must be given."""
    if (id is None) == (slug is None):
        raise UserInputError(gettext_noop("Give either id or slug."), ApiErrorCode.INVALID, "id")
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
    return prefetch_twinning_events(queryset.order_by("id"), paths)


def twinning(id: str) -> Twinning | None:
    pk = decode_id(id, "Twinning", "id")
    return Twinning.objects.select_related("city_a", "city_b").filter(pk=pk).first()
