"""Recording RSVP changes (events.0013) on a database that already holds RSVPs: each one gets
a change from nothing to its status at its creation, so the counts over time start with them."""

import datetime

import pytest
from django.db import connection

from events import attendance
from events.attendance import DayCount
from events.models import RsvpChange
from tests.migrating import migrate, models_at

BEFORE_THE_CHANGES = ("events", "0012_notifications_move_out")
UTC = datetime.UTC


@pytest.mark.django_db(transaction=True)
def test_existing_rsvps_are_recorded_at_their_creation(event_factory, user_factory):
    # Given a database from before the changes were recorded, with three RSVPs to an event in
    # Aktau (UTC+05:00) written by the models of then, and one to another event
    event, other = event_factory(timezone="Asia/Aqtau"), event_factory()
    ada, bob, cem = user_factory(), user_factory(), user_factory()
    migrate(BEFORE_THE_CHANGES)
    try:
        rsvp = models_at(BEFORE_THE_CHANGES).get_model("events", "Rsvp")
        written = [
            (ada, event, "GOING", datetime.datetime(2031, 5, 3, 10, 0, tzinfo=UTC)),
            (bob, event, "INTERESTED", datetime.datetime(2031, 5, 3, 20, 0, tzinfo=UTC)),
            (cem, event, "GOING", datetime.datetime(2031, 5, 4, 21, 0, tzinfo=UTC)),
            (ada, other, "INTERESTED", datetime.datetime(2031, 5, 1, 9, 0, tzinfo=UTC)),
        ]
        for user, on, status, created_at in written:
            row = rsvp.objects.create(user_id=user.pk, event_id=on.pk, status=status)
            # created_at is set on creation; the past is written over it.
            rsvp.objects.filter(pk=row.pk).update(created_at=created_at)
    finally:
        # When the migration that records changes is deployed
        migrate()

    # Then each RSVP has one change, from nothing to its status, at its creation
    recorded = RsvpChange.objects.order_by("at").values_list(
        "event_id", "from_status", "to_status", "at"
    )
    assert list(recorded) == [
        (other.pk, "", "INTERESTED", datetime.datetime(2031, 5, 1, 9, 0, tzinfo=UTC)),
        (event.pk, "", "GOING", datetime.datetime(2031, 5, 3, 10, 0, tzinfo=UTC)),
        (event.pk, "", "INTERESTED", datetime.datetime(2031, 5, 3, 20, 0, tzinfo=UTC)),
        (event.pk, "", "GOING", datetime.datetime(2031, 5, 4, 21, 0, tzinfo=UTC)),
    ]
    # and the counts per day start from them, in Aktau's days
    assert attendance.daily_counts(event) == [
        DayCount(day=datetime.date(2031, 5, 3), going=1, interested=0),
        DayCount(day=datetime.date(2031, 5, 4), going=1, interested=1),
        DayCount(day=datetime.date(2031, 5, 5), going=2, interested=1),
    ]


@pytest.mark.django_db(transaction=True)
def test_the_migration_goes_back_and_forth(event_factory, user_factory):
    # Given a recorded change
    RsvpChange.objects.create(event=event_factory(), to_status="GOING")

    # When the migration is undone and done again
    migrate(BEFORE_THE_CHANGES)
    try:
        tables_undone = connection.introspection.table_names()
    finally:
        migrate()

    # Then the table went with it and came back empty of what it held (no RSVPs to backfill)
    assert "events_rsvpchange" not in tables_undone
    assert "events_rsvpchange" in connection.introspection.table_names()
    assert RsvpChange.objects.count() == 0
