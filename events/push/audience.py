"""Who a notification is for, as querysets the database streams (never lists in memory).

- An event announced: followers of its host city, of the twinning's two cities and of the
  twinning, less those who muted its category.
- An event changed, postponed or cancelled: everyone with an RSVP (muting does not silence
  news of an event one plans to attend), and those followers.
- An announcement: followers of its city or of its twinning (less those who muted the
  category of the event it is about, if any).
- A reminder: those GOING.
"""

from django.db.models import Q

from accounts.models import Device, User
from cities.models import CityFollow, TwinningFollow

from ..models import Rsvp
from .models import Notification

Kind = Notification.Kind


def _followers(city_ids, twinning_id=None):
    condition = Q(pk__in=CityFollow.objects.filter(city__in=city_ids).values("user"))
    if twinning_id:
        condition |= Q(pk__in=TwinningFollow.objects.filter(twinning=twinning_id).values("user"))
    return condition


def _not_muted(category: str | None):
    # muted_categories is a JSON list of category names; matching the quoted name in its text
    # works the same on PostgreSQL and SQLite (whose JSON fields have no containment lookup),
    # and is exact because names are upper-case words that never contain each other quoted.
    return ~Q(muted_categories__icontains=f'"{category}"') if category else Q()


def _event_cities(event) -> list[int]:
    cities = [event.host_city_id]
    if event.twinning_id:
        cities += [event.twinning.city_a_id, event.twinning.city_b_id]
    return cities


def recipients(notification: Notification):
    """The users ``notification`` is for."""
    kind, event = notification.kind, notification.event
    if kind == Kind.ANNOUNCEMENT_POSTED:
        announcement = notification.announcement
        cities = [announcement.city_id]
        condition = _followers(cities, announcement.twinning_id)
        if announcement.event_id:
            condition &= _not_muted(announcement.event.category)
    elif kind == Kind.EVENT_REMINDER:
        condition = Q(
            pk__in=Rsvp.objects.filter(event=event, status=Rsvp.Status.GOING).values("user")
        )
    else:
        followers = _followers(_event_cities(event), event.twinning_id) & _not_muted(event.category)
        if kind == Kind.EVENT_ANNOUNCED:
            condition = followers
        else:
            condition = followers | Q(pk__in=Rsvp.objects.filter(event=event).values("user"))
    return User.objects.filter(condition, is_active=True)


def recipient_devices(notification: Notification):
    """The active devices of the recipients, with what a push to each needs, streamed."""
    return (
        Device.objects.filter(active=True, user__in=recipients(notification))
        .order_by("pk")
        .values_list(
            "pk",
            "locale",
            "user__language",
            "user__time_zone",
            "user__quiet_hours_start",
            "user__quiet_hours_end",
        )
    )
