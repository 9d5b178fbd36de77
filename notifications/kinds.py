"""The entry of each notification kind in the registry: who hears of it, what it says, when
it breaks through quiet hours, its dedupe key, and when it is no longer true.

Imported once at start-up (``NotificationsConfig.ready``), which then verifies that every kind
of ``Notification.Kind`` has a whole entry and connects each kind to the signal that makes it
(``receivers``). To add a kind: add it to ``Notification.Kind`` and register it here with every
part; the app does not start until then.
"""

import datetime

from events import signals

from . import audience, registry, staleness, texts
from .models import Notification
from .registry import BEAT, KindSpec, Subject

Kind = Notification.Kind

# News of an event's time or place: a later one of either makes an earlier one stale (the
# later push tells the whole present: its time and its venue).
CHANGES = frozenset({Kind.EVENT_CHANGED, Kind.EVENT_POSTPONED})
# What every push about an event checks: it exists, it was not called off, it is not over.
EVENT_STILL_ON = (staleness.event_deleted, staleness.event_cancelled, staleness.event_over)


def never(subject, now: datetime.datetime) -> bool:
    return False


def always(subject, now: datetime.datetime) -> bool:
    return True


def within_a_day(event, now: datetime.datetime) -> bool:
    """A cancellation of an event starting within 24 hours breaks through quiet hours."""
    return event.starts_at - now <= datetime.timedelta(hours=24)


def _announced_key(event, change) -> str:
    return f"event:{event.pk}:announced"


def _change_key(event, change) -> str:
    return f"event:{event.pk}:change:{change.pk}"


def _cancelled_key(event, change) -> str:
    return f"event:{event.pk}:cancelled"


def _reminder_key(event, change) -> str:
    # Once per start time: a postponed event is reminded of again at its new time.
    return f"event:{event.pk}:reminder:{event.starts_at.isoformat()}"


def _place_key(event, change) -> str:
    # Once per promotion (``change`` is its RsvpChange): a person promoted, who gives the
    # place up, waits again and is promoted again hears of each place.
    return f"event:{event.pk}:place:{change.pk}"


def _posted_key(announcement, change) -> str:
    return f"announcement:{announcement.pk}:posted"


registry.register(
    Kind.EVENT_ANNOUNCED,
    KindSpec(
        subject=Subject.EVENT,
        trigger=signals.event_announced,
        labels={"en": "New event", "ru": "Новое событие", "kk": "Жаңа іс-шара", "ur": "نئی تقریب"},
        audience=audience.announced_audience,
        render=texts.event_message,
        by_topic=True,
        urgent=never,
        dedupe_key=_announced_key,
        # It tells the event's time as it is when sent, so a change does not make it untrue.
        stale=EVENT_STILL_ON,
        superseded_by=frozenset(),
    ),
)
registry.register(
    Kind.EVENT_CHANGED,
    KindSpec(
        subject=Subject.EVENT,
        trigger=signals.event_changed,
        labels={
            "en": "Event changed",
            "ru": "Событие изменено",
            "kk": "Іс-шара өзгерді",
            "ur": "تقریب میں تبدیلی",
        },
        audience=audience.change_audience,
        render=texts.event_message,
        by_topic=False,  # people with an RSVP are not in the topics
        urgent=never,
        dedupe_key=_change_key,
        stale=(*EVENT_STILL_ON, staleness.superseded),
        superseded_by=CHANGES,
    ),
)
registry.register(
    Kind.EVENT_POSTPONED,
    KindSpec(
        subject=Subject.EVENT,
        trigger=signals.event_postponed,
        labels={
            "en": "Event postponed",
            "ru": "Событие перенесено",
            "kk": "Іс-шара ауыстырылды",
            "ur": "تقریب ملتوی",
        },
        audience=audience.change_audience,
        render=texts.event_message,
        by_topic=False,
        urgent=never,
        dedupe_key=_change_key,
        stale=(*EVENT_STILL_ON, staleness.superseded),
        superseded_by=CHANGES,
    ),
)
registry.register(
    Kind.EVENT_CANCELLED,
    KindSpec(
        subject=Subject.EVENT,
        trigger=signals.event_cancelled,
        labels={
            "en": "Event cancelled",
            "ru": "Событие отменено",
            "kk": "Іс-шара тоқтатылды",
            "ur": "تقریب منسوخ",
        },
        audience=audience.change_audience,
        render=texts.cancellation_message,
        by_topic=False,
        urgent=within_a_day,
        dedupe_key=_cancelled_key,
        # A cancellation stays true (a cancelled event is final); only a vanished event,
        # which it could not describe, drops it.
        stale=(staleness.event_deleted,),
        superseded_by=frozenset(),
    ),
)
registry.register(
    Kind.EVENT_REMINDER,
    KindSpec(
        subject=Subject.EVENT,
        trigger=BEAT,
        labels={
            "en": "Starting soon",
            "ru": "Скоро начало",
            "kk": "Жақында басталады",
            "ur": "جلد شروع ہو رہی ہے",
        },
        audience=audience.reminder_audience,
        render=texts.event_message,
        by_topic=False,
        # A reminder held past quiet hours would arrive after the start.
        urgent=always,
        dedupe_key=_reminder_key,
        # Moved to another time, the event gets a reminder of its own for it; once it has
        # started, a reminder (held for a retry, say) is too late.
        stale=(*EVENT_STILL_ON, staleness.start_moved, staleness.event_started),
        superseded_by=frozenset(),
    ),
)
registry.register(
    Kind.ANNOUNCEMENT_POSTED,
    KindSpec(
        subject=Subject.ANNOUNCEMENT,
        trigger=signals.announcement_posted,
        labels={"en": "News", "ru": "Новости", "kk": "Жаңалық", "ur": "خبر"},
        audience=audience.news_audience,
        render=texts.announcement_message,
        by_topic=True,
        urgent=never,
        dedupe_key=_posted_key,
        stale=(
            staleness.announcement_deleted,
            staleness.announcement_unpublished,
            staleness.announced_event_over,
        ),
        superseded_by=frozenset(),
    ),
)
registry.register(
    Kind.WAITLIST_PLACE,
    KindSpec(
        subject=Subject.EVENT,
        trigger=signals.waitlist_place_given,
        labels={
            "en": "A place for you",
            "ru": "Для вас нашлось место",
            "kk": "Сізге орын табылды",
            "ur": "آپ کے لیے جگہ مل گئی",
        },
        audience=audience.place_audience,
        render=texts.event_message,
        by_topic=False,  # one person
        # Someone who waited for a place must learn of it in time to come: within a day of
        # the start, through quiet hours.
        urgent=within_a_day,
        dedupe_key=_place_key,
        stale=(*EVENT_STILL_ON, staleness.place_given_up),
        superseded_by=frozenset(),
    ),
)
