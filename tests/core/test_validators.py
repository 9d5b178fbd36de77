"""The window of dates and times the system holds, checked without ever converting a value."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from core.validators import DATES, INSTANTS, instant, validate_date, validate_instant

UTC = datetime.UTC


def offset(hours: int, minutes: int = 0) -> datetime.timezone:
    return datetime.timezone(datetime.timedelta(hours=hours, minutes=minutes))


def code_of(check, value) -> str:
    with pytest.raises(ValidationError) as caught:
        check(value)
    return caught.value.code


@pytest.mark.parametrize(
    "value",
    [
        # Python's own extremes at the widest offsets: their UTC is year 10000 and year 0,
        # which converting would overflow.
        datetime.datetime(9999, 12, 31, 23, 59, tzinfo=offset(-14)),
        datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=offset(-23, -59)),
        datetime.datetime(1, 1, 1, tzinfo=offset(14)),
        datetime.datetime(1, 1, 1, tzinfo=offset(23, 59)),
        datetime.datetime.max.replace(tzinfo=UTC),
        datetime.datetime.min.replace(tzinfo=UTC),
        # Just outside either end.
        datetime.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime.datetime(2100, 1, 1, tzinfo=UTC),
        # The start of 2000 in Almaty is still 1999 in UTC; the start of 2100 in Honolulu is
        # already past the end.
        datetime.datetime(2000, 1, 1, 4, 59, tzinfo=offset(5)),
        datetime.datetime(2099, 12, 31, 14, tzinfo=offset(-10)),
    ],
)
def test_instants_outside_the_window_are_refused(value):
    assert code_of(validate_instant, value) == "DATE_OUT_OF_RANGE"


@pytest.mark.parametrize(
    "value",
    [
        datetime.datetime(2000, 1, 1, tzinfo=UTC),
        datetime.datetime(2000, 1, 1, 5, tzinfo=offset(5)),
        datetime.datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime.datetime(2100, 1, 1, 13, 59, tzinfo=offset(14)),
        datetime.datetime(2026, 5, 4, 19, tzinfo=offset(5)),
    ],
)
def test_instants_inside_the_window_pass(value):
    validate_instant(value)


def test_an_instant_without_its_offset_is_refused_as_naive():
    assert code_of(validate_instant, datetime.datetime(2026, 5, 4, 19)) == "NAIVE_DATETIME"


def test_an_instant_is_given_back_in_utc():
    given = datetime.datetime(2026, 5, 4, 19, tzinfo=offset(5))

    kept = instant(given)

    assert kept == given
    assert kept.utcoffset() == datetime.timedelta(0)
    assert kept.isoformat() == "2026-05-04T14:00:00+00:00"


@pytest.mark.parametrize(
    ("value", "inside"),
    [
        (datetime.date(1899, 12, 31), False),
        (datetime.date(1900, 1, 1), True),
        (datetime.date(1992, 6, 18), True),
        (datetime.date(2099, 12, 31), True),
        (datetime.date(2100, 1, 1), False),
        (datetime.date(9999, 12, 31), False),
        (datetime.date(1, 1, 1), False),
    ],
)
def test_plain_dates_have_a_window_of_their_own(value, inside):
    if inside:
        validate_date(value)
    else:
        assert code_of(validate_date, value) == "DATE_OUT_OF_RANGE"


def test_the_windows_say_themselves_in_words():
    assert INSTANTS.in_words() == (
        "from 2000-01-01T00:00:00Z up to, but not including, 2100-01-01T00:00:00Z"
    )
    assert DATES.in_words() == "from 1900-01-01 up to, but not including, 2100-01-01"
