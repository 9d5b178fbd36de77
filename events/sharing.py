"""An event's share link, ``/e/<number>``, and what its page and link previews show.

The link is the event's key: short, and the same for as long as the event exists, whatever
becomes of its title or dates. It opens the app where the app is installed (App Links and
universal links, ``core.app_links``), and elsewhere a small page: the event in the viewer's
language, with the Open Graph and Twitter card tags that messengers read for their previews.
It tells a reader without the app what they need to go: when and where, the price or that it
is free, where to register, and the notes on access.
Only public events are shown (cancelled and postponed ones too, saying so); a draft's link is
not found, as a link to nothing is, until the draft is announced.
"""

import datetime
import zoneinfo
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, pgettext

from core import app_links
from core.date_words import date_in_words
from core.i18n import LANGUAGES, translate
from core.money import price_in_words
from core.validators import validate_https_url
from core.wall_clock import UTC_NAME, utc_offset, zone_or_utc
from images.services import url_of
from images.variants import Variant

from .models import Event

SHARE_ROUTE = "event-share"
# Open Graph names a locale with its territory; each language's is where most of its readers
# among the cities served are.
OPEN_GRAPH_LOCALES = {"en": "en_GB", "ru": "ru_RU", "kk": "kk_KZ", "ur": "ur_PK"}
# What previews show of the texts: messengers cut titles near 90 characters and descriptions
# near 200, and a shorter tag is a smaller page.
PREVIEW_TITLE_LENGTH = 120
PREVIEW_DESCRIPTION_LENGTH = 300


def share_path(pk: int) -> str:
    return reverse(SHARE_ROUTE, kwargs={"pk": pk})


def share_url(pk: int, base_url: str) -> str:
    """The event's share link on ``base_url`` (``core.public_url.public_base_url``)."""
    return base_url.rstrip("/") + share_path(pk)


def shared_event(pk: int) -> Event | None:
    """The event behind a share link: a public one (never a draft), else None."""
    return Event.objects.public().select_related("host_city", "image").filter(pk=pk).first()


def event_image(event: Event, base_url: str) -> str | None:
    """The address of the picture that stands for ``event`` in previews and on its page; None
    when it has none.

    The one place that knows where an event's picture comes from: the picture its office
    uploaded, in its ``SHARE`` size (a JPEG 1200 px wide at most, which every messenger
    reads; a path on the local file system put on ``base_url``), else the link an office typed
    (``image_url``). Only http(s) addresses are answered: nothing else is a picture a
    messenger fetches."""
    if event.image_id is not None:
        url = url_of(event.image.variants[Variant.SHARE]["name"])
        return url if urlsplit(url).scheme else f"{base_url.rstrip('/')}{url}"
    url = event.image_url
    if url and urlsplit(url).scheme.lower() in ("http", "https"):
        return url
    return None


def price_text(event: Event, language: str) -> str:
    """What coming costs, in ``language``: the price with its currency as the language writes
    it (``core.money``), or "Free"; "" when the office did not say."""
    if event.is_free:
        with translation.override(language):
            return gettext("Free")
    if event.price_amount is not None and event.price_currency:
        return price_in_words(event.price_amount, event.price_currency, language)
    return ""


def registration_link(event: Event) -> str:
    """Where to register or buy tickets, when it is an https address; else "".

    The link is an office's writing: it is checked again here, as ``Event.registration_url``
    is when saved, since a row may hold what no form would take now (written before the
    check, or by hand)."""
    url = event.registration_url.strip()
    try:
        validate_https_url(url)
    except ValidationError:
        return ""
    return url


@dataclass(frozen=True)
class Moment:
    """A time as the venue's clocks show it: for ``<time datetime>``, and in words."""

    iso: str
    text: str


@dataclass(frozen=True)
class AppLinks:
    """How the page opens the app, or gets it: each empty when that app is not configured."""

    open_url: str
    android_intent: str
    play_store: str
    app_store: str
    app_store_id: str


@dataclass(frozen=True)
class SharePage:
    """What the page of a shared event shows, in one language."""

    language: str
    open_graph_locale: str
    alternate_locales: tuple[str, ...]
    url: str
    # Each language's code, name in itself and page: (code, name, url).
    alternates: tuple[tuple[str, str, str], ...]
    status: str
    title: str
    summary: str
    description: str
    venue: str
    address: str
    city: str
    starts: Moment
    ends: Moment
    zone: str
    cancellation_reason: str
    # What coming costs ("" when not said), where to register (an https link, or ""), and the
    # notes on access, in the page's language.
    price: str
    registration_url: str
    accessibility: str
    image: str | None
    calendar_url: str
    preview_title: str
    preview_description: str
    app: AppLinks


def share_page(event: Event, language: str, base_url: str) -> SharePage:
    """What the page of ``event`` shows in ``language``, which must be active (the date's
    words and the fixed texts are the active language's)."""
    url = share_url(event.pk, base_url)
    zone_name = zone_or_utc(event.timezone)
    zone = zoneinfo.ZoneInfo(zone_name)
    starts_at, ends_at = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)
    starts, ends = _moment(starts_at), _moment(ends_at, same_day=starts_at.date())
    # As every time the project shows is labelled (core.wall_clock): "Asia/Aqtau, UTC+05:00".
    zone_text = UTC_NAME if zone_name == UTC_NAME else f"{zone_name}, {utc_offset(starts_at)}"
    title = translate(event, "title", language)
    summary = translate(event, "summary", language)
    city = translate(event.host_city, "name", language)
    price = price_text(event, language)
    return SharePage(
        language=language,
        open_graph_locale=OPEN_GRAPH_LOCALES[language],
        alternate_locales=tuple(
            locale for code, locale in OPEN_GRAPH_LOCALES.items() if code != language
        ),
        url=url,
        alternates=tuple((lang.code, lang.name, f"{url}?lang={lang.code}") for lang in LANGUAGES),
        status=event.status,
        title=title,
        summary=summary,
        description=translate(event, "description", language),
        venue=event.venue_name,
        address=event.venue_address,
        city=city,
        starts=starts,
        ends=ends,
        zone=zone_text,
        cancellation_reason=event.cancellation_reason,
        price=price,
        registration_url=registration_link(event),
        accessibility=translate(event, "accessibility", language),
        image=event_image(event, base_url),
        calendar_url=base_url.rstrip("/") + reverse("event-ics", kwargs={"pk": event.pk}),
        preview_title=_cut(_status_title(event.status, title), PREVIEW_TITLE_LENGTH),
        preview_description=_cut(
            " · ".join(
                part
                for part in (
                    event.cancellation_reason if event.status == Event.Status.CANCELLED else "",
                    f"{starts.text} ({zone_text})",
                    f"{event.venue_name}, {city}",
                    price,
                    summary,
                )
                if part
            ),
            PREVIEW_DESCRIPTION_LENGTH,
        ),
        app=app_links_of(url),
    )


def app_links_of(url: str) -> AppLinks:
    """The page's ways to the app, from the settings: the share link itself (a universal link
    or App Link, which the system opens in the app when it is installed), on Android an
    intent that opens the app or else its Play Store page, and the stores' pages."""
    package, store_id = settings.ANDROID_PACKAGE_NAME, settings.IOS_APP_STORE_ID
    play_store = app_links.play_store_url(package) if package else ""
    android_intent = ""
    if package:
        parts = urlsplit(url)
        android_intent = (
            f"intent://{parts.netloc}{parts.path}#Intent;scheme={parts.scheme};"
            f"package={package};S.browser_fallback_url={quote(play_store, safe='')};end"
        )
    opens_app = bool(package or (settings.IOS_TEAM_ID and settings.IOS_BUNDLE_ID))
    return AppLinks(
        open_url=url if opens_app else "",
        android_intent=android_intent,
        play_store=play_store,
        app_store=app_links.app_store_url(store_id) if store_id else "",
        app_store_id=store_id,
    )


def _moment(local: datetime.datetime, same_day: datetime.date | None = None) -> Moment:
    """``local`` in the active language's words: the date and time, or only the time when it
    falls on ``same_day``."""
    if same_day is not None and local.date() == same_day:
        # Translators: the format of a time of day, in Django's date format syntax
        # (https://docs.djangoproject.com/en/stable/ref/templates/builtins/#date): H:i is 19:00.
        pattern = pgettext("share page", "H:i")
    else:
        # Translators: the format of a date and time, in Django's date format syntax
        # (https://docs.djangoproject.com/en/stable/ref/templates/builtins/#date): l is the
        # weekday's name, j the day, E the month's name as it goes with a day (in Russian: мая),
        # Y the year, H:i the time. English: "Sunday, 4 May 2031, 19:00".
        pattern = pgettext("share page", "l, j E Y, H:i")
    return Moment(iso=local.isoformat(timespec="minutes"), text=date_in_words(local, pattern))


def _status_title(status: str, title: str) -> str:
    if status == Event.Status.CANCELLED:
        return pgettext("share page", "Cancelled: %(title)s") % {"title": title}
    if status == Event.Status.POSTPONED:
        return pgettext("share page", "Postponed: %(title)s") % {"title": title}
    return title


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
