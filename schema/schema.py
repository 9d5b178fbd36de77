"""The root schema, composed from each domain's queries."""

import graphene
from graphene import relay

from .cities.queries import CityQueries
from .core.i18n import LanguageQueries
from .events.queries import EventQueries


class Query(CityQueries, EventQueries, LanguageQueries, graphene.ObjectType):
    node = relay.Node.Field(description="Any object by its global ID.")


schema = graphene.Schema(query=Query)
