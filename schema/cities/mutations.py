"""Following and unfollowing cities and twinnings (any signed-in user)."""

import graphene

from cities import services
from cities.models import City, Twinning

from ..core.mutations import BaseMutation, load
from .types import CityType, TwinningType


class CityFollow(BaseMutation):
    """Follow a city: its events and announcements reach the viewer. Safe to repeat."""

    city = graphene.Field(CityType)

    class Arguments:
        city = graphene.ID(required=True)

    @classmethod
    def perform(cls, info, viewer, city):
        target = load(City.objects.all(), city, "City", "city")
        services.follow_city(viewer, target)
        return {"city": target}


class CityUnfollow(BaseMutation):
    city = graphene.Field(CityType)

    class Arguments:
        city = graphene.ID(required=True)

    @classmethod
    def perform(cls, info, viewer, city):
        target = load(City.objects.all(), city, "City", "city")
        services.unfollow_city(viewer, target)
        return {"city": target}


class TwinningFollow(BaseMutation):
    """Follow a twinning: the pair's events and news reach the viewer. Safe to repeat."""

    twinning = graphene.Field(TwinningType)

    class Arguments:
        twinning = graphene.ID(required=True)

    @classmethod
    def perform(cls, info, viewer, twinning):
        target = load(Twinning.objects.all(), twinning, "Twinning", "twinning")
        services.follow_twinning(viewer, target)
        return {"twinning": target}


class TwinningUnfollow(BaseMutation):
    twinning = graphene.Field(TwinningType)

    class Arguments:
        twinning = graphene.ID(required=True)

    @classmethod
    def perform(cls, info, viewer, twinning):
        target = load(Twinning.objects.all(), twinning, "Twinning", "twinning")
        services.unfollow_twinning(viewer, target)
        return {"twinning": target}


class CityMutations(graphene.ObjectType):
    city_follow = CityFollow.Field()
    city_unfollow = CityUnfollow.Field()
    twinning_follow = TwinningFollow.Field()
    twinning_unfollow = TwinningUnfollow.Field()
