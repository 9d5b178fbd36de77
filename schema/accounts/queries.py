"""The viewer's own record."""

import graphene

from .types import Viewer


class AccountQueries(graphene.ObjectType):
    me = graphene.Field(Viewer, description="The signed-in user; null when signed out.")

    @staticmethod
    def resolve_me(root, info):
        user = info.context.user
        return user if user.is_authenticated else None
