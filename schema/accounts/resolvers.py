"""The queries behind the viewer's fields."""

from cities.models import City, OfficeMembership, Twinning
from events.models import Rsvp


def followed_cities(user):
    return City.objects.filter(follows__user=user).order_by("name_en", "id")


def followed_twinnings(user):
    return (
        Twinning.objects.filter(follows__user=user)
        .select_related("city_a", "city_b")
        .order_by("id")
    )


def rsvps(user):
    return (
        Rsvp.objects.filter(user=user)
        .select_related("event", "event__host_city")
        .order_by("event__starts_at", "event_id")
    )


def memberships(user):
    return (
        OfficeMembership.objects.filter(user=user)
        .select_related("office", "office__city")
        .order_by("office_id", "role")
    )
