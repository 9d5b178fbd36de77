"""The root schema, composed from each domain's queries, mutations and subscriptions."""

import graphene
from graphene import relay

from graphql_server.cache_policy import declare_cache_policies
from graphql_server.cost_model import declare_costs
from graphql_server.mutation_limits import declare_sign_in, declare_uploads

from .accounts.mutations import SIGN_IN_MUTATIONS, UPLOAD_MUTATIONS, AccountMutations
from .accounts.queries import AccountQueries
from .caching import CACHE_POLICIES
from .chat.mutations import ChatMutations
from .chat.subscriptions import ChatSubscriptions
from .cities.mutations import CityMutations
from .cities.queries import CityQueries
from .core.arguments import check_subscription_arguments
from .core.ids import NodeField
from .core.languages import LanguageQueries
from .core.mutations import payload_cache_policies
from .costs import FIELD_COSTS
from .events.mutations import EventMutations
from .events.queries import EventQueries
from .events.subscriptions import EventSubscriptions
from .reports.mutations import ReportMutations


class Query(AccountQueries, LanguageQueries, EventQueries, CityQueries, graphene.ObjectType):
    node = NodeField(relay.Node, description="Any object by its global ID.")


class Mutation(
    AccountMutations,
    CityMutations,
    EventMutations,
    ChatMutations,
    ReportMutations,
    graphene.ObjectType,
):
    pass


class Subscription(EventSubscriptions, ChatSubscriptions, graphene.ObjectType):
    """Live updates, served over the websocket (graphql-transport-ws) only."""


schema = graphene.Schema(query=Query, mutation=Mutation, subscription=Subscription)
# graphql-core starts a subscription without the middleware: its arguments are checked there.
check_subscription_arguments(schema.graphql_schema)
# What each field costs, for the cost limit; a list without a size stops the start-up.
declare_costs(schema.graphql_schema, FIELD_COSTS)
# What the response cache may keep of each field (none of a mutation's payload).
declare_cache_policies(schema.graphql_schema, (*CACHE_POLICIES, *payload_cache_policies(Mutation)))
# Mutations that sign in, which count on a rate limit of their own too.
declare_sign_in(schema.graphql_schema, *SIGN_IN_MUTATIONS)
declare_uploads(schema.graphql_schema, *UPLOAD_MUTATIONS)
