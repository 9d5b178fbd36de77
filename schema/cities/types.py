"""GraphQL types of cities, twinnings and city offices."""

import graphene
from graphene import relay
from graphene_django import DjangoObjectType

from cities.countries import localized_country_name
from cities.models import City, CityOffice, Twinning
from core.data_versions import CITIES, OFFICES, TWINNINGS
from core.i18n import current_language
from graphql_server.cache_policy import cache_policy

from ..core.deferred import deferred_function
from ..core.pagination import CountableConnection, connection_cache_policies
from ..core.selection import RowColumns, selected_paths
from .enums import TwinningKind, TwinningStatus
from .loaders import (
    TWINNING_CITY_FIELDS,
    TWINNINGS_CACHE,
    city_partners,
    city_twinnings,
    twinning_partner,
)

# A twinning's events are the events part's to load (see schema.core.deferred).
twinning_upcoming_events = deferred_function("schema.events.loaders.twinning_upcoming_events")


class Country(graphene.ObjectType):
    """A country, by its ISO 3166-1 alpha-2 code."""

    code = graphene.String(required=True, description="ISO 3166-1 alpha-2, e.g. KZ.")
    name = graphene.String(required=True, description="In the request's language.")

    @staticmethod
    def resolve_code(root, info):
        return root

    @staticmethod
    def resolve_name(root, info):
        return localized_country_name(root, current_language())


class CityType(DjangoObjectType):
    """A city that twins, or may twin, with cities abroad."""

    name = graphene.String(required=True, description="In the request's language, else English.")
    country = graphene.Field(Country, required=True)
    time_zone = graphene.String(required=True, description="IANA time zone, e.g. Asia/Almaty.")
    twinnings = graphene.List(
        graphene.NonNull(lambda: TwinningType),
        required=True,
        description="This city's twinnings, oldest link first.",
    )
    partners = graphene.List(
        graphene.NonNull(lambda: CityType),
        required=True,
        description="The cities twinned with this one.",
    )
    offices = graphene.List(graphene.NonNull(lambda: CityOfficeType), required=True)
    aliases = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description=(
            "Its other names, in any language or script, as GeoNames spells them (old names, "
            "transliterations: Almaty's are Alma-Ata, Алма-Ата, ألماتي …); `cities(search)` "
            "finds a city by these too. Empty for a city not found in GeoNames."
        ),
    )

    class Meta:
        model = City
        name = "City"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        fields = ("id", "slug", "region", "latitude", "longitude", "population", "geonames_id")

    @staticmethod
    def resolve_time_zone(root, info):
        return root.timezone

    @staticmethod
    def resolve_twinnings(root, info):
        # What is selected below is read only for a city whose lists are not loaded yet.
        loaded = hasattr(root, TWINNINGS_CACHE)
        return city_twinnings(root, frozenset() if loaded else selected_paths(info))

    @staticmethod
    def resolve_partners(root, info):
        # What is selected below is read only for a city whose lists are not loaded yet.
        loaded = hasattr(root, TWINNINGS_CACHE)
        return city_partners(root, frozenset() if loaded else selected_paths(info))

    @staticmethod
    def resolve_offices(root, info):
        return root.offices.all()

    @staticmethod
    def resolve_aliases(root, info):
        return root.aliases


# The columns each field of City reads (see RowColumns).
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
        "aliases": ("aliases",),
    },
    translated={"name": "name"},
)


class TwinningType(DjangoObjectType):
    """A link between two cities: sister cities, friendship cities or sister ports."""

    kind = graphene.Field(TwinningKind, required=True)
    status = graphene.Field(TwinningStatus, required=True)
    city_a = graphene.Field(CityType, required=True, description="One city of the pair.")
    city_b = graphene.Field(CityType, required=True, description="The other city of the pair.")
    cities = graphene.List(graphene.NonNull(CityType), required=True, description="Both cities.")
    partner = graphene.Field(
        CityType,
        of=graphene.ID(required=True, description="A City ID of the pair."),
        description="The city on the other side from `of`; null if `of` is not in the pair.",
    )
    agreement_title = graphene.String(required=True)
    agreement_summary = graphene.String(required=True)
    description = graphene.String(
        required=True, description="In the request's language, else English; empty if none."
    )
    agreement_url = graphene.String(
        required=True, description="The published agreement (https); empty if none."
    )
    events = graphene.List(
        graphene.NonNull("schema.events.types.EventType"),
        required=True,
        first=graphene.Int(default_value=10, description="At most 50."),
        description=(
            "The pair's upcoming public events, soonest first. For more, or past ones, "
            "page through `events(filter: {twinning})`."
        ),
    )

    class Meta:
        model = Twinning
        name = "Twinning"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        fields = ("id", "established_on", "ended_on", "source_url")

    @staticmethod
    def resolve_cities(root, info):
        return root.cities

    @staticmethod
    def resolve_events(root, info, first):
        return twinning_upcoming_events(root, first)

    @staticmethod
    def resolve_partner(root, info, of):
        return twinning_partner(root, of)


# The columns each field of Twinning reads, and its cities' (one set for both, as `cities`
# and `partner` may show either).
TWINNING_COLUMNS = RowColumns(
    always=("id", "city_a", "city_b"),
    fields={
        "id": (),
        "kind": ("kind",),
        "status": ("status",),
        "events": (),
        "establishedOn": ("established_on",),
        "endedOn": ("ended_on",),
        "sourceUrl": ("source_url",),
        "agreementUrl": ("agreement_url",),
    },
    translated={
        "agreementTitle": "agreement_title",
        "agreementSummary": "agreement_summary",
        "description": "description",
    },
    joined={
        "city_a": (TWINNING_CITY_FIELDS, CITY_COLUMNS),
        "city_b": (TWINNING_CITY_FIELDS, CITY_COLUMNS),
    },
)


class CityOfficeType(DjangoObjectType):
    """The office of a city that organises its events and posts its announcements."""

    name = graphene.String(required=True)

    class Meta:
        model = CityOffice
        name = "CityOffice"
        interfaces = (relay.Node,)
        fields = ("id", "city", "email", "phone", "website")


# The columns each field of CityOffice reads, and its city's.
OFFICE_COLUMNS = RowColumns(
    always=("id", "city"),
    fields={
        "id": (),
        "email": ("email",),
        "phone": ("phone",),
        "website": ("website",),
    },
    translated={"name": "name"},
    joined={"city": (("city",), CITY_COLUMNS)},
)


# What the response cache may keep of these types (graphql_server.cache_policy).
CACHE_POLICIES = (
    cache_policy(
        CityType,
        areas={CITIES},
        public=(
            "id",
            "region",
            "latitude",
            "longitude",
            "population",
            "geonamesId",
            "aliases",
            "slug",
            "name",
            "country",
            "timeZone",
            "twinnings",
            "partners",
            "offices",
        ),
        also_reads={"twinnings": {TWINNINGS}, "partners": {TWINNINGS}, "offices": {OFFICES}},
    ),
    *connection_cache_policies(CityType, areas={CITIES}),
    cache_policy(Country, public=("code", "name")),
    cache_policy(
        TwinningType,
        areas={TWINNINGS},
        public=(
            "id",
            "establishedOn",
            "endedOn",
            "sourceUrl",
            "kind",
            "status",
            "cityA",
            "cityB",
            "cities",
            "partner",
            "agreementTitle",
            "agreementSummary",
            "description",
            "agreementUrl",
        ),
        # Its `events` are declared with the events' (schema.events.types).
    ),
    *connection_cache_policies(TwinningType, areas={TWINNINGS}),
    cache_policy(
        CityOfficeType,
        areas={OFFICES},
        public=("id", "city", "email", "phone", "website", "name"),
    ),
)
