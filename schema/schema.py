"""The root schema, composed from each domain's queries, mutations and subscriptions."""

import graphene
from graphene import relay

from graphql_server.cost_model import declare_costs

from .accounts.mutations import AccountMutations, AccountQueries
from .cities.mutations import CityMutations
from .cities.queries import CityQueries
from .core.i18n import LanguageQueries
from .core.ids import NodeField
from .core.validation import check_subscription_arguments
from .costs import FIELD_COSTS
from .events.chat.mutations import ChatMutations
from .events.chat.subscriptions import ChatSubscriptions
from .events.mutations import EventMutations
from .events.queries import EventQueries
from .events.subscriptions import EventSubscriptions


class Query(AccountQueries, LanguageQueries, EventQueries, CityQueries, graphene.ObjectType):
    node = NodeField(relay.Node, description="Any object by its global ID.")


class Mutation(AccountMutations, CityMutations, EventMutations, ChatMutations, graphene.ObjectType):
    pass


class Subscription(EventSubscriptions, ChatSubscriptions, graphene.ObjectType):
    """Live updates, served over the websocket (graphql-transport-ws) only."""


schema = graphene.Schema(query=Query, mutation=Mutation, subscription=Subscription)
# graphql-core starts a subscription without the middleware: its arguments are checked there.
check_subscription_arguments(schema.graphql_schema)
# What each field costs, for the cost limit; a list without a size stops the start-up.
declare_costs(schema.graphql_schema, FIELD_COSTS)
