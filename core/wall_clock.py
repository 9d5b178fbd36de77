"""Instants as the clocks of a time zone show them, and back.

Times are stored as instants (UTC). People read and type them as the clocks of a place show
them: an event's as its venue's clocks do. Going from a wall-clock time to an instant can fail:
when daylight saving time begins, the clocks skip an hour (02:30 on that night never happens in
Berlin); when it ends, they repeat one (02:30 happens twice). Such a time is refused with a
reason instead of being shifted silently to one side.
"""

import datetime
import zoneinfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from .error_codes import CommonErrorCode
from .validators import INSTANTS, available_time_zones

UTC_NAME = "UTC"


def zone_or_utc(name: str) -> str:
    """``name`` when it is a zone this machine knows, else UTC: what is shown never fails on a
    stored zone the machine does not know."""
    return name if name in available_time_zones() else UTC_NAME


def utc_offset(local: datetime.datetime) -> str:
    """The offset of an aware datetime from UTC, as ``UTC+05:00``, ``UTC-03:30``."""
    seconds = int(local.utcoffset().total_seconds())
    sign = "+" if seconds >= 0 else "-"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def wall_clock(value: datetime.datetime | None, zone: str) -> str | None:
    """``value`` as the clocks of ``zone`` show it, labelled with the zone and its offset at
    that instant: ``2031-05-04 19:00 (Europe/Moscow, UTC+03:00)``; ``… (UTC)`` in UTC.

    The offset tells apart the two readings of an hour that the clocks repeat. An instant that
    cannot be expressed in the zone (at the very ends of the calendar) is shown in UTC.
    """
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    name = zone_or_utc(zone)
    try:
        local = value.astimezone(zoneinfo.ZoneInfo(name))
    except OverflowError:
        name, local = UTC_NAME, value.astimezone(datetime.UTC)
    if name == UTC_NAME:
        return f"{local:%Y-%m-%d %H:%M} (UTC)"
    return f"{local:%Y-%m-%d %H:%M} ({name}, {utc_offset(local)})"


def instant_of(wall: datetime.datetime, zone: str) -> datetime.datetime:
    """The instant (in UTC) at which the clocks of ``zone`` show the naive time ``wall``.

    Raises ValidationError when they never show it (the hour skipped as daylight saving time
    begins), show it twice (the hour repeated as it ends), or when the instant falls outside
    the dates a datetime can hold; never picks one side of a clock change silently.
    """
    tz = zoneinfo.ZoneInfo(zone)
    params = {"time": f"{wall:%Y-%m-%d %H:%M}", "zone": zone}
    try:
        # The two readings of a repeated time (fold 0, fold 1); in a skipped time the offsets
        # from either side of the change. They agree everywhere else.
        first = wall.replace(tzinfo=tz, fold=0).astimezone(datetime.UTC)
        second = wall.replace(tzinfo=tz, fold=1).astimezone(datetime.UTC)
        shown = first.astimezone(tz).replace(tzinfo=None)
    except OverflowError:
        # Beyond what a datetime holds, so far outside the window of stored times too: said
        # in the window's words, as every other time outside it is.
        raise ValidationError(
            gettext_lazy(
                "%(time)s in %(zone)s is outside the times that can be stored. Give a time "
                "from %(start)s up to, but not including, %(end)s."
            ),
            code=CommonErrorCode.DATE_OUT_OF_RANGE,
            params={**params, **INSTANTS.bounds()},
        ) from None
    if first == second:
        return first
    if shown != wall:
        raise ValidationError(
            gettext_lazy(
                "%(time)s does not exist in %(zone)s: the clocks are put forward over it (as "
                "daylight saving time begins). Enter a time outside the skipped hour."
            ),
            code="nonexistent_time",
            params=params,
        )
    raise ValidationError(
        gettext_lazy(
            "%(time)s happens twice in %(zone)s: the clocks are put back over it (as daylight "
            "saving time ends). Enter a time outside the repeated hour."
        ),
        code="ambiguous_time",
        params=params,
    )
