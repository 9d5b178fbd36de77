"""Instants shown as a zone's clocks show them, and wall-clock times read back in a zone."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from core.wall_clock import instant_of, wall_clock

UTC = datetime.UTC


def utc(*parts) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "zone", "shown"),
    [
        (utc(2031, 5, 4, 16), "Europe/Moscow", "2031-05-04 19:00 (Europe/Moscow, UTC+03:00)"),
        (utc(2031, 5, 4, 16), "Asia/Kolkata", "2031-05-04 21:30 (Asia/Kolkata, UTC+05:30)"),
        (utc(2031, 5, 4, 16), "America/St_Johns", "2031-05-04 13:30 (America/St_Johns, UTC-02:30)"),
        (utc(2031, 5, 4, 16), "UTC", "2031-05-04 16:00 (UTC)"),
        # The two 02:30s of the night the clocks go back, told apart by their offsets.
        (utc(2031, 10, 26, 0, 30), "Europe/Berlin", "2031-10-26 02:30 (Europe/Berlin, UTC+02:00)"),
        (utc(2031, 10, 26, 1, 30), "Europe/Berlin", "2031-10-26 02:30 (Europe/Berlin, UTC+01:00)"),
        # A zone this machine does not know, and an instant the zone cannot express: in UTC.
        (utc(2031, 5, 4, 16), "Mars/Olympus", "2031-05-04 16:00 (UTC)"),
        (utc(9999, 12, 31, 23), "Asia/Aqtau", "9999-12-31 23:00 (UTC)"),
    ],
)
def test_an_instant_is_shown_with_its_zone_and_offset(value, zone, shown):
    assert wall_clock(value, zone) == shown


def test_nothing_is_shown_as_nothing():
    assert wall_clock(None, "Europe/Moscow") is None


def test_a_wall_clock_time_is_read_in_its_zone():
    assert instant_of(datetime.datetime(2031, 5, 4, 19, 0), "Europe/Moscow") == utc(2031, 5, 4, 16)


@pytest.mark.parametrize(
    ("wall", "zone", "code"),
    [
        (datetime.datetime(2031, 3, 30, 2, 30), "Europe/Berlin", "nonexistent_time"),
        (datetime.datetime(2031, 10, 26, 2, 30), "Europe/Berlin", "ambiguous_time"),
        # Half an hour skipped and repeated (Lord Howe Island).
        (datetime.datetime(2031, 10, 5, 2, 15), "Australia/Lord_Howe", "nonexistent_time"),
        (datetime.datetime(2031, 4, 6, 1, 45), "Australia/Lord_Howe", "ambiguous_time"),
        (datetime.datetime(9999, 12, 31, 23, 30), "America/New_York", "DATE_OUT_OF_RANGE"),
        (datetime.datetime(1, 1, 1, 0, 30), "Asia/Aqtau", "DATE_OUT_OF_RANGE"),
    ],
)
def test_a_time_the_clocks_skip_repeat_or_cannot_hold_is_refused(wall, zone, code):
    with pytest.raises(ValidationError) as refused:
        instant_of(wall, zone)

    assert refused.value.code == code


@pytest.mark.parametrize(
    "wall",
    [datetime.datetime(2031, 3, 30, 1, 59), datetime.datetime(2031, 3, 30, 3, 0)],
)
def test_the_times_either_side_of_a_skipped_hour_are_read(wall):
    zone = "Europe/Berlin"

    assert wall_clock(instant_of(wall, zone), zone).startswith(f"{wall:%Y-%m-%d %H:%M}")
