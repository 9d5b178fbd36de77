"""What a push says, in the recipient's language, with the event's time in the venue's zone.

The few fixed words (each kind's label) are in the kind's entry in ``kinds``, in all four
languages; the rest (titles, names) comes from the translated columns with their English
fallback. FCM caps a message's payload at 4,096 bytes, so titles and bodies are cut well below
it (the data fields are short ids).
"""

import zoneinfo

from django.utils import timezone
from graphql_relay import to_global_id

from core.i18n import DEFAULT_LANGUAGE, LANGUAGE_CODES, translate

from . import registry
from .models import Notification

# Characters, not bytes: 150 + 400 characters of Cyrillic or Arabic script stay under
# 1,700 bytes, far below FCM's 4,096 with the data fields.
MAX_TITLE = 150
MAX_BODY = 400


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
    """The title, body and data of ``notification`` in ``language``, as its kind writes it."""
    entry = registry.spec(notification.kind)
    return entry.render(notification, language, entry.labels[language])


def _data(notification: Notification) -> dict[str, str]:
    return {"kind": notification.kind, "notificationId": str(notification.pk)}


def event_message(
    notification: Notification, language: str, label: str
) -> tuple[str, str, dict[str, str]]:
    """The title ``<label>: <event title>``, and the event's time and place as the venue's
    clocks show them."""
    event = notification.event
    city = translate(event.host_city, "name", language)
    title = f"{label}: {translate(event, 'title', language)}"
    body = f"{local_time(event)} · {event.venue_name}, {city}"
    data = {**_data(notification), "eventId": to_global_id("Event", event.pk)}
    return _cut(title, MAX_TITLE), _cut(body, MAX_BODY), data


def cancellation_message(
    notification: Notification, language: str, label: str
) -> tuple[str, str, dict[str, str]]:
    """As ``event_message``, the body led by the reason for the cancellation, if given."""
    title, body, data = event_message(notification, language, label)
    reason = notification.event.cancellation_reason
    return title, _cut(f"{reason} · {body}" if reason else body, MAX_BODY), data


def announcement_message(
    notification: Notification, language: str, label: str
) -> tuple[str, str, dict[str, str]]:
    """The title ``<label> · <city>: <announcement title>``, and the announcement's text."""
    announcement = notification.announcement
    city = translate(announcement.city, "name", language)
    title = f"{label} · {city}: {translate(announcement, 'title', language)}"
    body = translate(announcement, "body", language)
    data = {**_data(notification), "announcementId": to_global_id("Announcement", announcement.pk)}
    if announcement.event_id:
        data["eventId"] = to_global_id("Event", announcement.event_id)
    return _cut(title, MAX_TITLE), _cut(body, MAX_BODY), data
