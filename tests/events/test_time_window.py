"""The window of times the system holds, in the models: their validators (which the admin's
forms run), the database's constraints (which nothing passes), and the migration that brings
rows already outside it back in without losing them."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from chat.models import ChatMute
from cities.models import OfficeMembership
from cities.staff import office_staff_group
from core.i18n import LANGUAGE_CODES
from events.models import Announcement, Event, StateChange
from tests.factories import AnnouncementFactory, EventFactory, MembershipFactory, UserFactory
from tests.migrating import (
    BEFORE_THE_WINDOW,
    EARLY,
    ENDLESS,
    FAR_FUTURE,
    FAR_PAST,
    LATE,
    factories_at,
    migrate,
    set_columns,
)

UTC = datetime.UTC


def at(*parts) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=UTC)


# --- The database refuses what the validators would ---------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"starts_at": at(2100, 1, 1), "ends_at": at(2100, 1, 1, 2)},
        {"ends_at": at(2100, 1, 1)},
        {"starts_at": at(1999, 12, 31, 23, 59)},
    ],
)
def test_an_event_outside_the_window_cannot_be_stored_even_bypassing_validation(
    event_factory, changes
):
    event = event_factory(starts_at=at(2030, 1, 1), ends_at=at(2030, 1, 1, 2))

    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(**changes)

    event.refresh_from_db()
    assert (event.starts_at, event.ends_at) == (at(2030, 1, 1), at(2030, 1, 1, 2))


def test_an_announcement_or_a_mute_outside_the_window_cannot_be_stored(
    announcement_factory, event_factory
):
    announcement = announcement_factory()
    mute = ChatMute.objects.create(event=event_factory(), user=UserFactory(), until=at(2030, 1, 1))

    with pytest.raises(IntegrityError), transaction.atomic():
        Announcement.objects.filter(pk=announcement.pk).update(published_at=at(2100, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        ChatMute.objects.filter(pk=mute.pk).update(until=at(2200, 1, 1))


@pytest.mark.postgresql
@pytest.mark.parametrize(
    "moment", ["10000-01-01 13:59:00+00", "0001-12-31 10:00:00+00 BC", "-infinity"]
)
def test_postgresql_refuses_what_python_could_not_read_back(event_factory, moment):
    event = event_factory()

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE events_event SET starts_at = %s WHERE id = %s", [moment, event.pk])

    event.refresh_from_db()
    assert event.starts_at.year > 2000


# --- The admin's forms ---------------------------------------------------------------------


def add_event_form(office, starts: tuple[str, str], ends: tuple[str, str]) -> dict:
    data = {
        f"{field}_{code}": ""
        for field in ("title", "summary", "description")
        for code in LANGUAGE_CODES
    }
    data.update(
        title_en="Far fair",
        category=Event.Category.COMMUNITY,
        starts_at_0=starts[0],
        starts_at_1=starts[1],
        ends_at_0=ends[0],
        ends_at_1=ends[1],
        timezone=office.city.timezone,
        venue_name="Hall",
        office=office.pk,
    )
    return data


@pytest.mark.parametrize(
    ("zone", "starts", "ends", "field"),
    [
        # Python's extremes typed where the clocks are 14 hours ahead of UTC (year 1 there is
        # year 0 in UTC) and 11 hours behind it (year 9999 there is year 10000 in UTC), and
        # times just outside the window.
        ("Pacific/Kiritimati", ("0001-01-01", "00:00:00"), ("2031-01-01", "10:00:00"), "starts_at"),
        ("Pacific/Pago_Pago", ("2031-01-01", "10:00:00"), ("9999-12-31", "23:59:00"), "ends_at"),
        ("Asia/Almaty", ("1999-12-31", "23:00:00"), ("2031-01-01", "10:00:00"), "starts_at"),
        ("Asia/Almaty", ("2031-01-01", "10:00:00"), ("2100-01-01", "10:00:00"), "ends_at"),
    ],
)
def test_the_event_form_refuses_times_outside_the_window_on_their_field(
    client, office_factory, zone, starts, ends, field
):
    office = office_factory(city__timezone=zone)
    editor = MembershipFactory(
        office=office, role=OfficeMembership.Role.EDITOR, user__is_staff=True
    ).user
    editor.groups.add(office_staff_group())
    client.force_login(editor)

    response = client.post(reverse("admin:events_event_add"), add_event_form(office, starts, ends))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "2000-01-01T00:00:00Z" in errors[field][0]
    assert not Event.objects.exists()


def test_the_twinning_form_refuses_a_date_outside_the_window(client, twinning_factory):
    twinning = twinning_factory()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    data = {
        "city_a": twinning.city_a_id,
        "city_b": twinning.city_b_id,
        "kind": twinning.kind,
        "status": twinning.status,
        "established_on": "1850-05-04",
        "ended_on": "",
        **{
            f"agreement_{part}_{code}": ""
            for part in ("title", "summary")
            for code in LANGUAGE_CODES
        },
        "source_url": "",
    }

    response = client.post(reverse("admin:cities_twinning_change", args=[twinning.pk]), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "1900-01-01" in errors["established_on"][0]
    twinning.refresh_from_db()
    assert twinning.established_on is None


# --- Rows stored before the window was enforced ---------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_stored_times_into_the_window_and_records_why(
    event_factory, announcement_factory
):
    migrate(BEFORE_THE_WINDOW)
    try:
        with factories_at(BEFORE_THE_WINDOW, EventFactory, AnnouncementFactory):
            far = event_factory(title_en="Far", starts_at=at(2030, 1, 1), ends_at=at(2030, 1, 2))
            past = event_factory(
                title_en="Past",
                starts_at=at(2030, 1, 1),
                ends_at=at(2030, 1, 2),
                status=Event.Status.POSTPONED,
            )
            late_end = event_factory(
                title_en="Long", starts_at=at(2031, 5, 4, 19), ends_at=at(2031, 5, 4, 22)
            )
            early = event_factory(
                title_en="Early",
                starts_at=at(2030, 1, 1),
                ends_at=at(2030, 1, 1, 3),
                status=Event.Status.DRAFT,
                announced_at=None,
            )
            fine = event_factory(title_en="Fine", starts_at=at(2031, 1, 1), ends_at=at(2031, 1, 2))
            endless = event_factory(title_en="Endless", status=Event.Status.CANCELLED)
            scheduled = announcement_factory(title_en="Someday")
            mute = ChatMute.objects.create(event=fine, user=UserFactory(), until=at(2030, 1, 1))
            set_columns("events_event", far.pk, ends_at=FAR_FUTURE[1])
            set_columns("events_event", far.pk, starts_at=FAR_FUTURE[0])
            set_columns("events_event", past.pk, starts_at=FAR_PAST[0], ends_at=FAR_PAST[1])
            set_columns("events_event", late_end.pk, ends_at=LATE)
            set_columns("events_event", early.pk, starts_at=EARLY[0], ends_at=EARLY[1])
            set_columns("events_announcement", scheduled.pk, published_at=FAR_FUTURE[0])
            set_columns("events_chatmute", mute.pk, until=LATE)
            if ENDLESS:
                set_columns("events_event", endless.pk, starts_at=ENDLESS[0], ends_at=ENDLESS[1])
    finally:
        migrate()

    times = {
        title: (start, end)
        for title, start, end in Event.objects.values_list("title_en", "starts_at", "ends_at")
    }
    # A start after the window goes to the last start it keeps, a start before it to its first
    # instant; the end follows, keeping the event's length.
    assert times["Far"] == (at(2099, 12, 31), at(2099, 12, 31, 2))
    assert times["Past"] == (at(2000, 1, 1), at(2000, 1, 1, 2))
    assert times["Early"] == (at(2000, 1, 1), at(2000, 1, 1, 3))
    # An end past the window is cut to its last minute; the start was fine and stays.
    assert times["Long"] == (at(2031, 5, 4, 19), at(2099, 12, 31, 23, 59))
    assert times["Fine"] == (at(2031, 1, 1), at(2031, 1, 2))
    if ENDLESS:
        assert times["Endless"] == (at(2000, 1, 1), at(2000, 1, 1, 1))
    # Those times are made up: every repaired event is a draft again, whatever it was, and
    # the rest are as they were.
    repaired_titles = ["Early", "Far", "Long", "Past", *(["Endless"] if ENDLESS else [])]
    statuses = dict(Event.objects.values_list("title_en", "status"))
    assert {title: statuses[title] for title in repaired_titles} == dict.fromkeys(
        repaired_titles, Event.Status.DRAFT
    )
    assert statuses["Fine"] == Event.Status.ANNOUNCED
    assert not Event.objects.filter(title_en__in=repaired_titles, announced_at__isnull=False)
    # A repaired announcement is a draft: it has no publication time.
    assert Announcement.objects.get(pk=scheduled.pk).published_at is None
    assert ChatMute.objects.get(pk=mute.pk).until == at(2099, 12, 31, 23, 59)
    # Each has a line in its history: what was there, why it moved, what to do.
    repaired = StateChange.objects.filter(details__code="DATE_OUT_OF_RANGE")
    assert sorted(repaired.values_list("subject_title", flat=True)) == sorted(
        [*repaired_titles, "Someday"]
    )
    record = repaired.get(event=far)
    assert (record.action, record.actor, record.from_status, record.to_status) == (
        "UPDATED",
        None,
        Event.Status.ANNOUNCED,
        Event.Status.DRAFT,
    )
    assert record.details["fields"] == ["ends_at", "starts_at", "status"]
    assert record.details["starts_at"][0].startswith(FAR_FUTURE[0][:10])
    assert "2000-01-01T00:00:00Z" in record.details["reason"]
    assert "made a draft" in record.details["reason"]
    assert "announce it again" in record.details["reason"]
    assert repaired.get(event=early).details["fields"] == ["ends_at", "starts_at"]
    news = repaired.get(announcement=scheduled)
    assert (news.from_status, news.to_status) == ("PUBLISHED", "DRAFT")
    assert news.details["published_at"][1] is None
    assert "post it again" in news.details["reason"]
