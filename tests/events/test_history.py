"""What each service records of a change (every field's value before and after, JSON that
reads back the same), and how a record reads in words, records of the older shapes included."""

import datetime

import pytest
from django.utils import timezone, translation

from cities.models import OfficeMembership
from events import history, services
from events.models import Announcement, Event, EventCohost, StateChange
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

Role = OfficeMembership.Role
Action = StateChange.Action
Status = Event.Status
UTC = datetime.UTC
MOSCOW = "(Europe/Moscow, UTC+03:00)"
MOSCOW_OFFSET = datetime.timezone(datetime.timedelta(hours=3))


@pytest.fixture
def office(office_factory, city_factory):
    return office_factory(city=city_factory(name_en="Aktau", timezone="Asia/Aqtau"))


@pytest.fixture
def publisher(office):
    return MembershipFactory(office=office, role=Role.PUBLISHER).user


@pytest.fixture
def twinning(twinning_factory, office):
    return twinning_factory(city_a=office.city)


@pytest.fixture
def event(event_factory, office):
    return event_factory(
        office=office,
        host_city=office.city,
        title_en="Caspian night",
        starts_at=datetime.datetime(2031, 5, 4, 16, 0, tzinfo=UTC),
        ends_at=datetime.datetime(2031, 5, 4, 18, 0, tzinfo=UTC),
        timezone="Europe/Moscow",
    )


def changes(record) -> dict:
    return {item["field"]: (item["before"], item["after"]) for item in record.details["changes"]}


def record(subject, action=Action.UPDATED, **details) -> StateChange:
    """A record written as the services of an earlier version did."""
    return StateChange.objects.create(
        event=subject, subject_title=subject.title_en, action=action, details=details
    )


def lines(record, zone="Europe/Moscow") -> list[str]:
    with translation.override("en"):
        return [str(line) for line in history.display_lines(record, Event, zone)]


# --- What the services record --------------------------------------------------------------


def test_a_new_event_records_what_it_starts_with(publisher, office, twinning):
    start = datetime.datetime(2031, 6, 1, 9, 0, tzinfo=UTC)
    event = services.create_event(
        publisher,
        office,
        {
            "title_en": "Port fair",
            "category": Event.Category.BUSINESS,
            "starts_at": start,
            "ends_at": start + datetime.timedelta(hours=5),
            "timezone": "Asia/Aqtau",
            "venue_name": "Harbour",
            "twinning": twinning,
        },
    )

    created = event.history.get()
    assert created.action == Action.CREATED
    assert changes(created) == {
        "title_en": (None, "Port fair"),
        "category": (None, "BUSINESS"),
        "starts_at": (None, "2031-06-01T09:00:00+00:00"),
        "ends_at": (None, "2031-06-01T14:00:00+00:00"),
        "timezone": (None, "Asia/Aqtau"),
        "venue_name": (None, "Harbour"),
        "twinning": (None, {"id": twinning.pk, "label": str(twinning)}),
    }


def test_an_edit_records_each_field_before_and_after(publisher, event, twinning):
    services.update_event(
        publisher,
        event,
        {
            "title_en": "Caspian jazz night",
            "category": Event.Category.SPORTS,
            # typed at the venue's offset: 20:00 in Moscow
            "starts_at": datetime.datetime(2031, 5, 4, 20, 0, tzinfo=MOSCOW_OFFSET),
            "capacity": 300,
            "twinning": twinning,
        },
    )

    edit = event.history.get(action=Action.UPDATED)
    assert edit.details["fields"] == ["capacity", "category", "starts_at", "title_en", "twinning"]
    assert changes(edit) == {
        "title_en": ("Caspian night", "Caspian jazz night"),
        "category": ("CULTURAL", "SPORTS"),
        # kept in UTC
        "starts_at": ("2031-05-04T16:00:00+00:00", "2031-05-04T17:00:00+00:00"),
        "capacity": (None, 300),
        "twinning": (None, {"id": twinning.pk, "label": str(twinning)}),
    }


def test_a_linked_row_keeps_the_label_it_had_at_the_time(publisher, event, twinning):
    services.update_event(publisher, event, {"twinning": twinning})
    label = str(twinning)
    twinning.city_b.name_en = "Renamed"
    twinning.city_b.save()

    linked = event.history.get()
    assert "Renamed" not in label
    assert changes(linked) == {"twinning": (None, {"id": twinning.pk, "label": label})}
    assert lines(linked) == [f"Twinning: (empty) → {label}"]


def test_announcing_records_the_status_and_the_time_announced(publisher, event_factory, office):
    draft = event_factory(office=office, host_city=office.city, status=Status.DRAFT)
    draft.announced_at = None
    draft.save()

    services.announce_event(publisher, draft)

    draft.refresh_from_db()
    announced = draft.history.get()
    assert changes(announced) == {
        "status": ("DRAFT", "ANNOUNCED"),
        "announced_at": (None, draft.announced_at.astimezone(UTC).isoformat()),
    }


def test_accepting_an_invitation_records_the_office_and_its_answer(
    publisher, event_factory, office, twinning, office_factory
):
    event = event_factory(office=office, host_city=office.city, twinning=twinning)
    partner = office_factory(city=twinning.city_b)
    partner_publisher = MembershipFactory(office=partner, role=Role.PUBLISHER).user
    services.invite_cohost(publisher, event, partner)

    services.accept_cohost(partner_publisher, event)

    accepted = event.history.get(action=Action.COHOST_ACCEPTED)
    office_value = {"id": partner.pk, "label": str(partner)}
    assert changes(accepted) == {
        history.COHOST: (office_value, office_value),
        history.COHOST_STATUS: (EventCohost.Status.INVITED, EventCohost.Status.ACCEPTED),
    }


def test_an_announcement_records_what_it_is_posted_with_and_each_edit(publisher, office):
    news = services.create_announcement(
        publisher, office, {"title_en": "Ferry to Baku", "body_en": "Sails on Friday."}
    )
    services.update_announcement(publisher, news, {"title_en": "Ferry to Baku, on time"})

    posted, edited = Announcement.objects.get(pk=news.pk).history.order_by("id")
    assert changes(posted) == {
        "title_en": (None, "Ferry to Baku"),
        "body_en": (None, "Sails on Friday."),
        "published_at": (None, news.published_at.astimezone(UTC).isoformat()),
    }
    assert changes(edited) == {"title_en": ("Ferry to Baku", "Ferry to Baku, on time")}


# --- How a record reads --------------------------------------------------------------------


def test_a_record_reads_as_each_field_before_and_after_in_plain_words(publisher, event):
    services.update_event(
        publisher,
        event,
        {
            "title_en": "Caspian jazz night",
            "category": Event.Category.SPORTS,
            "starts_at": datetime.datetime(2031, 5, 4, 17, 0, tzinfo=UTC),
            "description_kk": "Ұзақ " * 40,
        },
    )

    shown = lines(event.history.get())

    assert shown[0] == "Title (English): Caspian night → Caspian jazz night"
    assert shown[1].startswith("Description (Kazakh): (empty) → Ұзақ Ұзақ")
    assert shown[1].endswith("…") and len(shown[1]) < 140
    assert "Category: Cultural → Sports" in shown
    assert f"Start: 2031-05-04 19:00 {MOSCOW} → 2031-05-04 20:00 {MOSCOW}" in shown


def test_a_record_of_fields_without_values_says_so(event):
    old = record(event, fields=["timezone", "venue_name"])

    assert lines(old) == [
        "Time zone changed (values not recorded)",
        "Venue changed (values not recorded)",
    ]


def test_old_postponements_cancellations_and_repairs_still_read(event):
    postponed = record(
        event,
        Action.POSTPONED,
        old=["2031-05-04T16:00:00+00:00", "2031-05-04T18:00:00+00:00"],
        new=["2031-05-11T16:00:00+00:00", "2031-05-11T18:00:00+00:00"],
    )
    cancelled = record(event, Action.CANCELLED, reason="Storm")
    cancelled.from_status, cancelled.to_status = Status.ANNOUNCED, Status.CANCELLED
    # (the repair of 2026 wrote the database's own text for times: no offset, in UTC)
    repaired = record(
        event,
        fields=["starts_at"],
        code="DATE_OUT_OF_RANGE",
        reason="Its start was outside the dates the system holds.",
        starts_at=["9999-12-31 20:00:00", "2000-01-01 00:00:00"],
    )
    invited = record(event, Action.COHOST_INVITED, office=41)

    assert lines(postponed) == [
        f"Start: 2031-05-04 19:00 {MOSCOW} → 2031-05-11 19:00 {MOSCOW}",
        f"End: 2031-05-04 21:00 {MOSCOW} → 2031-05-11 21:00 {MOSCOW}",
    ]
    assert lines(cancelled) == ["Status: Announced → Cancelled", "Reason: Storm"]
    assert lines(repaired)[0] == f"Start: 9999-12-31 23:00 {MOSCOW} → 2000-01-01 03:00 {MOSCOW}"
    assert lines(repaired)[1] == "Reason: Its start was outside the dates the system holds."
    assert lines(invited) == ["Co-host office: no. 41"]


def test_the_time_of_a_change_is_kept_for_any_reader(publisher, event):
    """What is stored reads back the same instant, whatever zone the server is in."""
    new_start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=40)

    with timezone.override("Asia/Karachi"):
        services.update_event(
            publisher,
            event,
            {"starts_at": new_start, "ends_at": new_start + datetime.timedelta(hours=1)},
        )

    before, after = changes(event.history.get())["starts_at"]
    assert history.parse_time(after) == new_start
    assert history.parse_time(before) == datetime.datetime(2031, 5, 4, 16, 0, tzinfo=UTC)
