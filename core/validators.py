"""Validators shared by the domain apps: text that shows something, time zones, coordinates,
country codes, and the window of dates and times the system holds."""

import datetime
import zoneinfo
from dataclasses import dataclass
from functools import lru_cache

import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .error_codes import CommonErrorCode
from .text import is_blank

# The code of text that shows nothing. Not Django's "blank": a model field puts its own message
# ("This field cannot be blank.") on an error of a code it knows, which would tell a person
# leaving an optional translation looking empty that it may not be empty.
INVISIBLE = "invisible"


def validate_visible(value: str) -> None:
    """Text that shows something. A text of only spaces and invisible characters (zero-width
    spaces, bidirectional marks, fillers: ``core.text``) counts as empty: a required one is
    missing, an optional one is to be left empty rather than stored looking empty. On the
    models' text fields, so that every way a text arrives is refused alike: the admin's forms
    (which validate their model), ``full_clean``, and the services, which make such text ""
    with ``clean_text`` before they validate (the API then says REQUIRED)."""
    if value and is_blank(value):
        raise ValidationError(
            _(
                "This shows nothing: it holds only spaces or invisible characters. Type text that "
                "shows, or leave it empty where it is optional."
            ),
            code=INVISIBLE,
        )


# Links the apps show people (an agreement's): https only, since an app on a phone opens them
# as they are and a plain http page may be changed on the way.
_https_url = URLValidator(
    schemes=["https"],
    message=_("Give a web address starting with https://."),
    code=CommonErrorCode.INVALID_URL,
)


def validate_https_url(value: str) -> None:
    """A web address starting with ``https://`` (INVALID_URL otherwise); empty is left to the
    field's ``blank``."""
    if value:
        _https_url(value)


@lru_cache(maxsize=1)
def available_time_zones() -> frozenset[str]:
    """Every IANA zone name this machine knows (system tzdata, or the tzdata package)."""
    return frozenset(zoneinfo.available_timezones())


@lru_cache(maxsize=1)
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_time_zones()}


def canonical_time_zone(value: str) -> str:
    """The IANA name ``value`` means, as people type it: any case, spaces for underscores,
    blanks around (``europe/moscow``, ``America/New York``); else ``value`` trimmed, for
    ``validate_time_zone`` to refuse."""
    typed = (value or "").strip()
    return _zones_by_folded_name().get(typed.replace(" ", "_").casefold(), typed)


def validate_time_zone(value: str) -> None:
    """Accept only IANA names such as ``Asia/Almaty``; offsets like ``+05:00`` are ambiguous
    across daylight-saving changes and are refused."""
    if value not in available_time_zones():
        raise ValidationError(
            _("%(value)s is not an IANA time zone (for example Asia/Almaty)."),
            code=CommonErrorCode.INVALID_TIME_ZONE,
            params={"value": value},
        )


def validate_country_code(value: str) -> None:
    """An ISO 3166-1 alpha-2 code in upper case (``KZ``, ``PK``; ``XK`` for Kosovo)."""
    if len(value) != 2 or not value.isascii() or not value.isalpha() or not value.isupper():
        raise ValidationError(
            _("%(value)s is not a two-letter ISO 3166 country code."),
            code=CommonErrorCode.INVALID_COUNTRY,
            params={"value": value},
        )


@lru_cache(maxsize=1)
def currency_codes() -> frozenset[str]:
    """The ISO 4217 alphabetic codes of currencies (pycountry's list, kept with the standard):
    ``KZT``, ``RUB``, ``PKR``, ``USD`` …; not XXX ("no currency") nor XTS (kept for tests)."""
    return frozenset(currency.alpha_3 for currency in pycountry.currencies) - {"XXX", "XTS"}


def validate_currency_code(value: str) -> None:
    """An ISO 4217 currency code in upper case (``KZT``); empty is left to the field's
    ``blank``."""
    if value and value not in currency_codes():
        raise ValidationError(
            _("%(value)s is not an ISO 4217 currency code (for example KZT, RUB, PKR)."),
            code=CommonErrorCode.INVALID_CURRENCY,
            params={"value": value},
        )


def _coordinate_validators(limit: int, name: str):
    message = f"{name} must be between -{limit} and {limit}."
    validators = [
        MinValueValidator(-limit, message=message),
        MaxValueValidator(limit, message=message),
    ]
    for validator in validators:
        validator.code = CommonErrorCode.INVALID_COORDINATES
    return validators


latitude_validators = _coordinate_validators(90, "Latitude")
longitude_validators = _coordinate_validators(180, "Longitude")


# --- Dates and times -----------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A half-open range of dates or instants, ``start <= value < end``: what the system takes
    and stores. Said once here for the API's checks, the models' validators, the database's
    constraints and the README."""

    start: datetime.date
    end: datetime.date

    def holds(self, value) -> bool:
        """Whether ``value`` lies in the window. Comparing never converts ``value`` to another
        offset, so a value at the edge of what Python can hold (year 9999 at -14:00, whose UTC
        is in year 10000) is refused instead of overflowing."""
        try:
            return self.start <= value < self.end
        except (OverflowError, TypeError, ValueError):
            return False

    def in_words(self) -> str:
        return f"from {_words(self.start)} up to, but not including, {_words(self.end)}"

    def bounds(self) -> dict[str, str]:
        """The window's ends as ``in_words`` writes them, as a message's params."""
        return {"start": _words(self.start), "end": _words(self.end)}


def _words(value) -> str:
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


# Instants: when events start and end, announcements are published, mutes run out.
# From 2000: nothing the service holds is older (it began long after), so an earlier time is a
# slip of the keyboard ("0226" for "2026") or a probe; up to 2100: events are planned months or a
# few years ahead, not a century. Within it, any instant shown at any UTC offset (at most ±24
# hours) stays inside years 1 to 9999, which Python's datetime, PostgreSQL's timestamptz and
# psycopg all hold, so no conversion can overflow and nothing stored fails to be read back
# (a start in "year 10000" did: PostgreSQL keeps it, psycopg cannot read it).
INSTANTS = Window(
    datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC),
    datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC),
)
# Plain dates: the day a twinning was signed or ended. The movement is a 20th-century one (the
# first twinnings date from 1920), so earlier dates are typos; the end is that of instants.
DATES = Window(datetime.date(1900, 1, 1), datetime.date(2100, 1, 1))


def validate_instant(value: datetime.datetime) -> None:
    """An aware date and time inside ``INSTANTS``: NAIVE_DATETIME without a UTC offset (the
    instant it names depends on a zone nobody gave), DATE_OUT_OF_RANGE outside the window."""
    if value is None:
        return
    if not isinstance(value, datetime.datetime):
        raise ValidationError(_("Give a date and time."), code="invalid")
    if value.utcoffset() is None:
        raise ValidationError(
            _("Give the time with its UTC offset, e.g. 2026-05-04T19:00:00+05:00."),
            code=CommonErrorCode.NAIVE_DATETIME,
        )
    if not INSTANTS.holds(value):
        raise ValidationError(
            _("Give a time from %(start)s up to, but not including, %(end)s."),
            code=CommonErrorCode.DATE_OUT_OF_RANGE,
            params=INSTANTS.bounds(),
        )


def instant(value: datetime.datetime) -> datetime.datetime:
    """``value`` checked by ``validate_instant`` and given in UTC: the one form instants are
    stored, compared, recorded and answered in, whatever offset the caller wrote."""
    validate_instant(value)
    return value.astimezone(datetime.UTC)


def validate_date(value: datetime.date) -> None:
    """A plain date inside ``DATES`` (DATE_OUT_OF_RANGE otherwise)."""
    if value is not None and not DATES.holds(value):
        raise ValidationError(
            _("Give a date from %(start)s up to, but not including, %(end)s."),
            code=CommonErrorCode.DATE_OUT_OF_RANGE,
            params=DATES.bounds(),
        )


def in_window(field: str, window: Window = INSTANTS) -> Q:
    """The condition of a database constraint keeping ``field`` inside ``window``."""
    return Q(**{f"{field}__gte": window.start, f"{field}__lt": window.end})
