"""Who a notification is for, as querysets the database streams (never lists in memory).

- An event announced: followers of its host city, of the twinning's two cities and of the
  twinning, less those who muted its category.
- An event changed, postponed or cancelled: everyone with an RSVP (muting does not silence
  news of an event one plans to attend), and those followers.
- An announcement: followers of its city or of its twinning (less those who muted the
  category of the event it is about, if any).
- A reminder: those GOING.
- A place from the waitlist: the one person it went to, while the place is still theirs.

The audience is one ``IN`` over a ``UNION`` of user ids, each part from the rows that make
someone a recipient (follows, RSVPs). An ``OR`` of separate ``IN`` subqueries makes PostgreSQL
probe every user row against each subquery once an audience outgrows its hash memory; a
million followers then take minutes instead of a second.
"""

from accounts.models import Device, User
from cities.models import CityFollow, TwinningFollow
from events.models import Rsvp

from . import registry
from .models import Notification


def _not_muted(category: str | None) -> dict:
    # muted_categories is a JSON list of category names; matching the quoted name in its text
    # works the same on PostgreSQL and SQLite (whose JSON fields have no containment lookup),
    # and is exact because names are upper-case words that never contain each other quoted.
    return {"user__muted_categories__icontains": f'"{category}"'} if category else {}


def _follower_ids(city_ids, twinning_id, muted_category=None):
    """The ids of users who follow one of the cities or the twinning and did not mute."""
    muted = _not_muted(muted_category)
    parts = [CityFollow.objects.filter(city__in=city_ids).exclude(**muted).values("user")]
    if twinning_id:
        follows = TwinningFollow.objects.filter(twinning=twinning_id).exclude(**muted)
        parts.append(follows.values("user"))
    return parts


def _event_cities(event) -> list[int]:
    cities = [event.host_city_id]
    if event.twinning_id:
        cities += [event.twinning.city_a_id, event.twinning.city_b_id]
    return cities


def announced_audience(notification: Notification) -> list:
    """An event announced: the followers of its cities and twinning who did not mute it."""
    event = notification.event
    return _follower_ids(_event_cities(event), event.twinning_id, event.category)


def change_audience(notification: Notification) -> list:
    """An event changed, postponed or cancelled: the followers, and everyone with an RSVP."""
    return [
        *announced_audience(notification),
        Rsvp.objects.filter(event=notification.event).values("user"),
    ]


def reminder_audience(notification: Notification) -> list:
    """A reminder: those GOING."""
    return [Rsvp.objects.filter(event=notification.event, status=Rsvp.Status.GOING).values("user")]


def place_audience(notification: Notification) -> list:
    """A place from the waitlist: its recipient, while they are still GOING (one who gave the
    place up again before the fan-out hears nothing)."""
    return [
        Rsvp.objects.filter(
            event=notification.event,
            user=notification.recipient_id,
            status=Rsvp.Status.GOING,
        ).values("user")
    ]


def news_audience(notification: Notification) -> list:
    """An announcement: the followers of its city or twinning who did not mute its event's
    category."""
    announcement = notification.announcement
    category = announcement.event.category if announcement.event_id else None
    return _follower_ids([announcement.city_id], announcement.twinning_id, category)


def recipient_ids(notification: Notification):
    """A subquery of the ids of the users ``notification`` is for (duplicates removed): the
    union of the parts its kind's entry names."""
    first, *rest = registry.spec(notification.kind).audience(notification)
    return first.union(*rest) if rest else first


def recipients(notification: Notification):
    """The active users ``notification`` is for."""
    return User.objects.filter(pk__in=recipient_ids(notification), is_active=True)


def recipient_devices(notification: Notification):
    """The active devices of the recipients, with what a push to each needs, streamed."""
    return (
        Device.objects.filter(
            active=True, user__is_active=True, user__in=recipient_ids(notification)
        )
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
