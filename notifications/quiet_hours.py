"""Quiet hours: when a user's own clock says so, non-urgent pushes wait until they end."""

import datetime
import zoneinfo


def quiet_until(
    now: datetime.datetime, zone: str, start: datetime.time | None, end: datetime.time | None
) -> datetime.datetime | None:
    """The end of the quiet period ``now`` falls in (an aware UTC datetime), or None when it
    is not quiet. ``start``–``end`` are wall-clock times in ``zone`` and may span midnight
    (22:00–07:00)."""
    if start is None or end is None or start == end:
        return None
    try:
        tz = zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = datetime.UTC
    local = now.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        quiet = start <= clock < end
        end_day = local.date()
    else:
        quiet = clock >= start or clock < end
        end_day = local.date() + datetime.timedelta(days=1) if clock >= start else local.date()
    if not quiet:
        return None
    # Wall-clock end in the user's zone; fold=0 picks the first of an ambiguous hour.
    return datetime.datetime.combine(end_day, end, tzinfo=tz).astimezone(datetime.UTC)
