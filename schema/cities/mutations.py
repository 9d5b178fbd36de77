"""Following and unfollowing cities and twinnings (any signed-in user)."""

import graphene

from cities import services
from cities.models import City, Twinning

from ..core.mutations import BaseMutation, load
from .types import CityType, TwinningType


class FollowMutation(BaseMutation):
    """Base of the four follow mutations: load the target named by the one argument, call
    the service, return the target. Safe to repeat."""

    model = None
    service = None

    class Meta:
        abstract = True

    @classmethod
    def perform(cls, info, viewer, **arguments):
        ((argument, global_id),) = arguments.items()
        target = load(cls.model.objects.all(), global_id, cls.model.__name__, argument)
        cls.service(viewer, target)
        return {argument: target}


class CityFollow(FollowMutation):
    """Follow a city: its events and announcements reach the viewer. Safe to repeat."""

    city = graphene.Field(CityType)
    model, service = City, staticmethod(services.follow_city)

    class Arguments:
        city = graphene.ID(required=True)


class CityUnfollow(FollowMutation):
    city = graphene.Field(CityType)
    model, service = City, staticmethod(services.unfollow_city)

    class Arguments:
        city = graphene.ID(required=True)


class TwinningFollow(FollowMutation):
    """Follow a twinning: the pair's events and news reach the viewer. Safe to repeat."""

    twinning = graphene.Field(TwinningType)
    model, service = Twinning, staticmethod(services.follow_twinning)

    class Arguments:
        twinning = graphene.ID(required=True)


class TwinningUnfollow(FollowMutation):
    twinning = graphene.Field(TwinningType)
    model, service = Twinning, staticmethod(services.unfollow_twinning)

    class Arguments:
        twinning = graphene.ID(required=True)


class CityMutations(graphene.ObjectType):
    city_follow = CityFollow.Field()
    city_unfollow = CityUnfollow.Field()
    twinning_follow = TwinningFollow.Field()
    twinning_unfollow = TwinningUnfollow.Field()
