"""What a push says, in the recipient's language, with the event's time in the venue's zone.

The few fixed words live here in all four languages; the rest (titles, names) comes from the
translated columns with their English fallback. FCM caps a message's payload at 4,096 bytes,
so titles and bodies are cut well below it (the data fields are short ids).
"""

import zoneinfo

from django.utils import timezone
from graphql_relay import to_global_id

from core.i18n import DEFAULT_LANGUAGE, LANGUAGE_CODES, translate

from .models import Notification

Kind = Notification.Kind

# Characters, not bytes: 150 + 400 characters of Cyrillic or Arabic script stay under
# 1,700 bytes, far below FCM's 4,096 with the data fields.
MAX_TITLE = 150
MAX_BODY = 400

LABELS = {
    Kind.EVENT_ANNOUNCED: {
        "en": "New event",
        "ru": "Новое событие",
        "kk": "Жаңа іс-шара",
        "ur": "نئی تقریب",
    },
    Kind.EVENT_CHANGED: {
        "en": "Event changed",
        "ru": "Событие изменено",
        "kk": "Іс-шара өзгерді",
        "ur": "تقریب میں تبدیلی",
    },
    Kind.EVENT_POSTPONED: {
        "en": "Event postponed",
        "ru": "Событие перенесено",
        "kk": "Іс-шара ауыстырылды",
        "ur": "تقریب ملتوی",
    },
    Kind.EVENT_CANCELLED: {
        "en": "Event cancelled",
        "ru": "Событие отменено",
        "kk": "Іс-шара тоқтатылды",
        "ur": "تقریب منسوخ",
    },
    Kind.EVENT_REMINDER: {
        "en": "Starting soon",
        "ru": "Скоро начало",
        "kk": "Жақында басталады",
        "ur": "جلد شروع ہو رہی ہے",
    },
    Kind.ANNOUNCEMENT_POSTED: {
        "en": "News",
        "ru": "Новости",
        "kk": "Жаңалық",
        "ur": "خبر",
    },
}


def pick_language(device_locale: str, user_language: str) -> str:
    """The device's language if we speak it, else the user's, else English."""
    for candidate in ((device_locale or "").replace("_", "-").split("-")[0].lower(), user_language):
        if candidate in LANGUAGE_CODES:
            return candidate
    return DEFAULT_LANGUAGE


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def local_time(event) -> str:
    """``05.12.2026 19:00 (UTC+05:00)``: the venue's wall clock, and its offset so that
    travellers are not misled. Digits and dots read the same in all four languages."""
    local = timezone.localtime(event.starts_at, zoneinfo.ZoneInfo(event.timezone))
    offset = local.strftime("%z")
    return f"{local:%d.%m.%Y %H:%M} (UTC{offset[:3]}:{offset[3:]})"


def render(notification: Notification, language: str) -> tuple[str, str, dict[str, str]]:
    """The title, body and data of ``notification`` in ``language``."""
    label = LABELS[notification.kind][language]
    data = {"kind": notification.kind, "notificationId": str(notification.pk)}
    event = notification.event
    if notification.kind == Kind.ANNOUNCEMENT_POSTED:
        announcement = notification.announcement
        city = translate(announcement.city, "name", language)
        title = f"{label} · {city}: {translate(announcement, 'title', language)}"
        body = translate(announcement, "body", language)
        data["announcementId"] = to_global_id("Announcement", announcement.pk)
        if announcement.event_id:
            data["eventId"] = to_global_id("Event", announcement.event_id)
    else:
        city = translate(event.host_city, "name", language)
        title = f"{label}: {translate(event, 'title', language)}"
        body = f"{local_time(event)} · {event.venue_name}, {city}"
        if notification.kind == Kind.EVENT_CANCELLED and event.cancellation_reason:
            body = f"{event.cancellation_reason} · {body}"
        data["eventId"] = to_global_id("Event", event.pk)
    return _cut(title, MAX_TITLE), _cut(body, MAX_BODY), data
