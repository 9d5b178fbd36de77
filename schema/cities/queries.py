"""Queries of cities and twinnings."""

import graphene

from core.data_versions import CITIES
from graphql_server.cache_policy import cache_policy

from ..core.arguments import TextArgument, TextLimit
from ..core.pagination import connection_args, paginate
from ..core.selection import is_selected, selected_paths
from . import resolvers
from .enums import TwinningKind, TwinningStatus
from .loaders import attach_city_lists
from .types import CityType, TwinningType


class CityQueries(graphene.ObjectType):
    cities = graphene.Field(
        CityType._meta.connection,
        required=True,
        search=TextArgument(
            max_length=TextLimit.SEARCH,
            description=(
                "Part of a name or alias in any language or script, any case or accent "
                "(Алматы, Alma-Ata, کراچی); on PostgreSQL a near miss too (Almati)."
            ),
        ),
        country=graphene.String(description="ISO 3166 code, e.g. KZ."),
        **connection_args(),
        description=(
            "Cities, alphabetically by English name; with `search`, best match first: a name "
            "that is the text, then an alias that is, then a name that starts with it, then "
            "an alias that does, then the rest (on PostgreSQL the most similar first); the "
            "most populous first among equals."
        ),
    )
    city = graphene.Field(
        CityType,
        id=graphene.ID(),
        slug=TextArgument(max_length=TextLimit.IDENTIFIER),
        description="One city, by ID or by slug (e.g. aktau-kz).",
    )
    twinnings = graphene.Field(
        TwinningType._meta.connection,
        required=True,
        city=graphene.ID(description="A City ID: its twinnings."),
        country=graphene.String(description="ISO 3166 code: twinnings with a city there."),
        kind=TwinningKind(),
        status=TwinningStatus(),
        **connection_args(),
        description="Twinnings, in the order they were recorded.",
    )
    twinning = graphene.Field(TwinningType, id=graphene.ID(required=True))

    @staticmethod
    def resolve_cities(root, info, search=None, country=None, first=None, after=None):
        paths = selected_paths(info, "edges.node")
        queryset = resolvers.cities(search, country, paths)
        nested = is_selected(paths, "twinnings") or is_selected(paths, "partners")
        after_fetch = (lambda rows: attach_city_lists(rows, paths)) if nested else None
        return paginate(queryset, CityType._meta.connection, first, after, after_fetch)

    @staticmethod
    def resolve_city(root, info, id=None, slug=None):
        return resolvers.city(id, slug)

    @staticmethod
    def resolve_twinnings(
        root, info, city=None, country=None, kind=None, status=None, first=None, after=None
    ):
        paths = selected_paths(info, "edges.node")
        queryset = resolvers.twinnings(city, country, kind, status, paths)
        return paginate(queryset, TwinningType._meta.connection, first, after)

    @staticmethod
    def resolve_twinning(root, info, id):
        return resolvers.twinning(id)


# What the response cache may keep of these queries (graphql_server.cache_policy).
CACHE_POLICIES = (
    cache_policy(
        "Query",
        public=("cities", "city", "twinnings", "twinning"),
        # The country of a twinning is either city's.
        also_reads={"twinnings": {CITIES}},
    ),
)
