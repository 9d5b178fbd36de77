"""The viewer's own record."""

import graphene

from graphql_server.cache_policy import cache_policy

from .types import Viewer


class AccountQueries(graphene.ObjectType):
    me = graphene.Field(Viewer, description="The signed-in user; null when signed out.")

    @staticmethod
    def resolve_me(root, info):
        user = info.context.user
        return user if user.is_authenticated else None


# What the response cache may keep of these queries (graphql_server.cache_policy).
CACHE_POLICIES = (cache_policy("Query", viewer=("me",)),)
