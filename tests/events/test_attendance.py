"""Who is coming: every RSVP change is recorded with the RSVP, and the counts per day are
replayed from those records in the venue's days."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from events import attendance, services
from events.attendance import DayCount
from events.models import Rsvp, RsvpChange
from tests.factories import RsvpChangeFactory, RsvpFactory

pytestmark = pytest.mark.django_db

GOING, INTERESTED = Rsvp.Status.GOING, Rsvp.Status.INTERESTED
UTC = datetime.UTC


def changes(event) -> list[tuple[str, str]]:
    return list(
        RsvpChange.objects.filter(event=event)
        .order_by("at", "pk")
        .values_list("from_status", "to_status")
    )


def test_each_change_of_an_rsvp_is_recorded_and_a_repeat_is_not(event_factory, user_factory):
    # Given an announced event and a user
    event = event_factory()
    user = user_factory()

    # When they say they are interested, say it again, then going, then withdraw
    services.set_rsvp(user, event, INTERESTED)
    services.set_rsvp(user, event, INTERESTED)
    services.set_rsvp(user, event, GOING)
    services.set_rsvp(user, event, None)

    # Then three changes are recorded, each from what it was to what it became
    assert changes(event) == [("", INTERESTED), (INTERESTED, GOING), (GOING, "")]


def test_a_refused_rsvp_records_no_change(event_factory, user_factory):
    # Given a full event
    event = event_factory(capacity=1)
    services.set_rsvp(user_factory(), event, GOING)

    # When one more tries to go
    with pytest.raises(ValidationError):
        services.set_rsvp(user_factory(), event, GOING)

    # Then only the first is recorded
    assert changes(event) == [("", GOING)]


def test_withdrawing_what_was_never_said_records_nothing(event_factory, user_factory):
    event = event_factory()

    services.set_rsvp(user_factory(), event, None)

    assert changes(event) == []


def test_counts_per_day_follow_the_venues_midnight(event_factory):
    # Given an event in Aktau (UTC+05:00) and changes on either side of its midnight, which
    # fall on the same UTC day, then a day without changes, then one more
    event = event_factory(timezone="Asia/Aqtau")

    def change(at, before, after):
        RsvpChangeFactory(event=event, at=at, from_status=before, to_status=after)

    change(datetime.datetime(2031, 5, 3, 10, 0, tzinfo=UTC), "", GOING)  # 15:00 on the 3rd
    change(datetime.datetime(2031, 5, 3, 18, 30, tzinfo=UTC), "", INTERESTED)  # 23:30, the 3rd
    change(datetime.datetime(2031, 5, 3, 19, 30, tzinfo=UTC), INTERESTED, GOING)  # 00:30, 4th
    change(datetime.datetime(2031, 5, 3, 19, 45, tzinfo=UTC), "", INTERESTED)  # 00:45, 4th
    change(datetime.datetime(2031, 5, 5, 20, 0, tzinfo=UTC), GOING, "")  # 01:00 on the 6th

    # When the counts per day are computed
    days = attendance.daily_counts(event)

    # Then each day of Aktau's calendar holds the counts at its end, the quiet day included
    assert days == [
        DayCount(day=datetime.date(2031, 5, 3), going=1, interested=1),
        DayCount(day=datetime.date(2031, 5, 4), going=2, interested=1),
        DayCount(day=datetime.date(2031, 5, 5), going=2, interested=1),
        DayCount(day=datetime.date(2031, 5, 6), going=1, interested=1),
    ]


def test_an_event_nobody_answered_has_no_days(event_factory):
    assert attendance.daily_counts(event_factory()) == []


def test_totals_and_the_listed_and_unlisted(event_factory, user_factory):
    # Given two listed people (one going, one interested) and two who did not agree
    event = event_factory()
    listed_going = RsvpFactory(event=event, user=user_factory(listed_as_attendee=True))
    listed_interested = RsvpFactory(
        event=event, user=user_factory(listed_as_attendee=True), status=INTERESTED
    )
    RsvpFactory(event=event)
    RsvpFactory(event=event, status=INTERESTED)
    RsvpFactory(user=user_factory(listed_as_attendee=True))  # another event's

    # Then all four are counted, only the two are named, going first
    assert attendance.totals(event) == attendance.Totals(going=2, interested=2)
    assert list(attendance.listed_attendees(event)) == [listed_going, listed_interested]
    assert attendance.unlisted_count(event) == 2
