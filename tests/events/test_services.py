"""The events' services, called directly as the API and the admin call them: who may act, what
is refused with which code, the rows written, the history recorded, and what live subscribers
are sent once the transaction commits (and never before, nor for a refused change)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cities.models import OfficeMembership
from core import channel_groups
from core.error_codes import CommonErrorCode
from events import services
from events.error_codes import EventErrorCode
from events.models import Announcement, Event, EventCohost, Rsvp, StateChange
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

Role = OfficeMembership.Role
Action = StateChange.Action
Status = Event.Status


def later(days=10, hours=0) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days, hours=hours)


def codes(error: ValidationError) -> dict:
    """The codes of a ValidationError, by field (None for an error of the whole object)."""
    if hasattr(error, "error_dict"):
        return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}
    return {None: [e.code for e in error.error_list]}


def history(event) -> list[tuple]:
    return list(
        StateChange.objects.filter(event=event)
        .order_by("id")
        .values_list("action", "from_status", "to_status")
    )


@pytest.fixture
def broadcasts(monkeypatch):
    """What reaches the channel layer, as (group, payload): filled only when a transaction
    that queued a broadcast commits."""
    sent = []

    async def record(group, payload):
        sent.append((group, payload))

    monkeypatch.setattr(channel_groups, "broadcast", record)
    return sent


@pytest.fixture
def stranger(user_factory):
    return user_factory()


@pytest.fixture
def draft(event_factory, office):
    return event_factory(
        office=office, host_city=office.city, status=Status.DRAFT, announced_at=None
    )


@pytest.fixture
def event(event_factory, office):
    return event_factory(office=office, host_city=office.city)


def event_data(**changes) -> dict:
    return {
        "title_en": "Navruz concert",
        "category": Event.Category.CULTURAL,
        "starts_at": later(),
        "ends_at": later(hours=2),
        "timezone": "Asia/Aqtau",
        "venue_name": "Seaside Hall",
        **changes,
    }


# --- Creating, editing and deleting drafts ------------------------------------------------------


def test_an_editor_creates_a_draft_of_the_office_city(editor, office, broadcasts, committing):
    # When an editor of the office creates an event
    with committing():
        event = services.create_event(editor, office, event_data(title_en="  Navruz concert \n"))

    # Then it is a draft of the office's city, its texts trimmed, its creation recorded
    event = Event.objects.get(pk=event.pk)
    assert (event.status, event.host_city, event.office) == (Status.DRAFT, office.city, office)
    assert event.title_en == "Navruz concert"
    assert history(event) == [(Action.CREATED, "", Status.DRAFT)]
    assert StateChange.objects.get(event=event).actor == editor
    # and nobody hears of a draft
    assert broadcasts == []


def test_someone_of_no_office_creates_nothing(stranger, office):
    with pytest.raises(PermissionDenied):
        services.create_event(stranger, office, event_data())

    assert not Event.objects.exists()


def test_an_event_that_ends_before_it_starts_is_refused_and_not_written(editor, office):
    with pytest.raises(ValidationError) as refused:
        services.create_event(editor, office, event_data(ends_at=later(hours=-1)))

    assert codes(refused.value) == {"ends_at": [EventErrorCode.END_BEFORE_START]}
    assert not Event.objects.exists()
    assert not StateChange.objects.exists()


def test_a_time_without_its_offset_is_refused(editor, office):
    naive = later().replace(tzinfo=None)

    with pytest.raises(ValidationError) as refused:
        services.create_event(editor, office, event_data(starts_at=naive))

    assert codes(refused.value) == {"starts_at": [CommonErrorCode.NAIVE_DATETIME]}


def test_an_edit_is_saved_recorded_and_told_to_live_subscribers(
    editor, draft, broadcasts, committing
):
    # When an editor renames the draft and changes its capacity
    with committing():
        services.update_event(editor, draft, {"venue_name": "Old Port", "capacity": 40})

    # Then the fields change, the edit is recorded with the fields it touched
    draft.refresh_from_db()
    assert (draft.venue_name, draft.capacity) == ("Old Port", 40)
    change = StateChange.objects.get(event=draft, action=Action.UPDATED)
    assert change.details == {
        "fields": ["capacity", "venue_name"],
        "changes": [
            {"field": "venue_name", "before": "Central Concert Hall", "after": "Old Port"},
            {"field": "capacity", "before": None, "after": 40},
        ],
    }
    # and the event's subscribers hear of it (each re-reads it with its own rights)
    assert broadcasts == [
        (f"event.{draft.pk}.changes", {"kind": "updated", "event": draft.pk}),
    ]


def test_a_new_time_is_recorded_as_before_and_after(publisher, event):
    old_start, new_start = event.starts_at, event.starts_at + datetime.timedelta(hours=1)

    services.update_event(publisher, event, {"starts_at": new_start})

    change = StateChange.objects.get(event=event, action=Action.UPDATED)
    assert change.details == {
        "fields": ["starts_at"],
        "changes": [
            {"field": "starts_at", "before": old_start.isoformat(), "after": new_start.isoformat()}
        ],
    }


def test_an_edit_that_changes_nothing_records_and_sends_nothing(
    editor, draft, broadcasts, committing
):
    with committing():
        services.update_event(editor, draft, {"venue_name": draft.venue_name})

    assert history(draft) == []
    assert broadcasts == []


def test_an_editor_does_not_change_a_public_event(editor, event):
    with pytest.raises(PermissionDenied):
        services.update_event(editor, event, {"venue_name": "Elsewhere"})

    assert Event.objects.get(pk=event.pk).venue_name == event.venue_name


def test_a_cancelled_event_is_final(publisher, event_factory, office):
    cancelled = event_factory(office=office, host_city=office.city, status=Status.CANCELLED)

    with pytest.raises(ValidationError) as refused:
        services.update_event(publisher, cancelled, {"venue_name": "Elsewhere"})

    assert codes(refused.value) == {None: [EventErrorCode.EVENT_CANCELLED]}


def test_a_deleted_draft_leaves_its_record(editor, draft):
    title = draft.title_en

    services.delete_event(editor, draft)

    assert not Event.objects.filter(pk=draft.pk).exists()
    record = StateChange.objects.get(action=Action.DELETED)
    assert (record.event, record.subject_title, record.from_status) == (None, title, Status.DRAFT)


def test_a_public_event_is_cancelled_not_deleted(publisher, event):
    with pytest.raises(ValidationError) as refused:
        services.delete_event(publisher, event)

    assert codes(refused.value) == {None: [EventErrorCode.NOT_A_DRAFT]}
    assert Event.objects.filter(pk=event.pk).exists()


# --- Announcing, postponing, cancelling ---------------------------------------------------------


def test_an_announced_draft_goes_public_once_committed(publisher, draft, broadcasts, committing):
    # When a publisher announces the draft
    with committing():
        services.announce_event(publisher, draft)

    # Then it is public from now, and the change is recorded
    draft.refresh_from_db()
    assert draft.status == Status.ANNOUNCED
    assert draft.announced_at is not None
    assert history(draft) == [(Action.ANNOUNCED, Status.DRAFT, Status.ANNOUNCED)]
    # and lists of upcoming events hear of it with what their filters match, as does its page
    assert broadcasts == [
        (
            "events.announced",
            {
                "kind": "announced",
                "event": draft.pk,
                "category": draft.category,
                "twinning": None,
                "cities": [draft.host_city_id],
            },
        ),
        (f"event.{draft.pk}.changes", {"kind": "announced", "event": draft.pk}),
    ]


def test_nothing_is_sent_before_the_transaction_commits(
    publisher, draft, broadcasts, django_capture_on_commit_callbacks
):
    # Given an announcement whose transaction has not committed yet
    with django_capture_on_commit_callbacks() as on_commit:
        services.announce_event(publisher, draft)

    # Then nobody has heard of it
    assert broadcasts == []

    # When it commits, they do
    for callback in on_commit:
        callback()
    assert [group for group, _ in broadcasts] == ["events.announced", f"event.{draft.pk}.changes"]


def test_an_editor_does_not_announce(editor, draft, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as on_commit, pytest.raises(PermissionDenied):
        services.announce_event(editor, draft)

    assert Event.objects.get(pk=draft.pk).status == Status.DRAFT
    assert on_commit == []


def test_announcing_twice_changes_nothing(publisher, event):
    services.announce_event(publisher, event)

    assert history(event) == []


def test_an_event_that_has_ended_is_not_announced(publisher, event_factory, office):
    ended = event_factory(
        office=office,
        host_city=office.city,
        status=Status.DRAFT,
        starts_at=later(days=-2),
        ends_at=later(days=-1),
    )

    with pytest.raises(ValidationError) as refused:
        services.announce_event(publisher, ended)

    assert codes(refused.value) == {None: [EventErrorCode.EVENT_ENDED]}


def test_a_postponed_event_has_its_new_times_and_its_old_ones_on_record(
    publisher, event, broadcasts, committing
):
    old_start, old_end = event.starts_at.isoformat(), event.ends_at.isoformat()
    new_start, new_end = later(days=20), later(days=20, hours=3)

    with committing():
        services.postpone_event(publisher, event, new_start, new_end)

    event.refresh_from_db()
    assert (event.status, event.starts_at, event.ends_at) == (Status.POSTPONED, new_start, new_end)
    change = StateChange.objects.get(event=event)
    assert (change.action, change.from_status, change.to_status) == (
        Action.POSTPONED,
        Status.ANNOUNCED,
        Status.POSTPONED,
    )
    assert change.details == {
        "changes": [
            {"field": "starts_at", "before": old_start, "after": new_start.isoformat()},
            {"field": "ends_at", "before": old_end, "after": new_end.isoformat()},
            {"field": "status", "before": "ANNOUNCED", "after": "POSTPONED"},
        ]
    }
    assert broadcasts == [(f"event.{event.pk}.changes", {"kind": "postponed", "event": event.pk})]


@pytest.mark.parametrize(
    ("starts", "ends", "expected"),
    [
        (-1, 1, {"new_starts_at": [EventErrorCode.POSTPONE_TO_PAST]}),
        (20, 19, {"new_ends_at": [EventErrorCode.END_BEFORE_START]}),
    ],
    ids=["to the past", "ending before it starts"],
)
def test_a_postponement_to_impossible_times_is_refused(publisher, event, starts, ends, expected):
    with pytest.raises(ValidationError) as refused:
        services.postpone_event(publisher, event, later(days=starts), later(days=ends))

    assert codes(refused.value) == expected
    assert Event.objects.get(pk=event.pk).status == Status.ANNOUNCED


def test_a_draft_is_edited_not_postponed(publisher, draft):
    with pytest.raises(ValidationError) as refused:
        services.postpone_event(publisher, draft, later(days=20), later(days=21))

    assert codes(refused.value) == {None: [EventErrorCode.INVALID_TRANSITION]}


def test_a_cancelled_event_keeps_its_reason_and_is_told(publisher, event, broadcasts, committing):
    with committing():
        services.cancel_event(publisher, event, "  Storm warning ")

    event.refresh_from_db()
    assert (event.status, event.cancellation_reason) == (Status.CANCELLED, "Storm warning")
    change = StateChange.objects.get(event=event)
    assert change.action == Action.CANCELLED
    assert change.details == {
        "changes": [
            {"field": "status", "before": "ANNOUNCED", "after": "CANCELLED"},
            {"field": "cancellation_reason", "before": "", "after": "Storm warning"},
        ]
    }
    assert broadcasts == [(f"event.{event.pk}.changes", {"kind": "cancelled", "event": event.pk})]


def test_cancelling_twice_is_harmless(publisher, event):
    services.cancel_event(publisher, event, "Storm")

    services.cancel_event(publisher, event, "Storm again")

    assert history(event) == [(Action.CANCELLED, Status.ANNOUNCED, Status.CANCELLED)]
    assert Event.objects.get(pk=event.pk).cancellation_reason == "Storm"


def test_a_reason_too_long_is_refused(publisher, event):
    with pytest.raises(ValidationError) as refused:
        services.cancel_event(publisher, event, "x" * 10_000)

    assert codes(refused.value) == {"reason": ["max_length"]}


def test_a_draft_is_deleted_not_cancelled(publisher, draft):
    with pytest.raises(ValidationError) as refused:
        services.cancel_event(publisher, draft)

    assert codes(refused.value) == {None: [EventErrorCode.INVALID_TRANSITION]}


# --- Co-hosting ---------------------------------------------------------------------------------


@pytest.fixture
def twinning(twinning_factory, office):
    return twinning_factory(city_a=office.city)


@pytest.fixture
def partner_office(office_factory, twinning):
    return office_factory(city=twinning.city_b)


@pytest.fixture
def partner_publisher(partner_office):
    return MembershipFactory(office=partner_office, role=Role.PUBLISHER).user


@pytest.fixture
def pair_event(event_factory, office, twinning):
    return event_factory(office=office, host_city=office.city, twinning=twinning)


def test_the_partner_office_is_invited_once(publisher, pair_event, partner_office):
    cohost = services.invite_cohost(publisher, pair_event, partner_office)
    again = services.invite_cohost(publisher, pair_event, partner_office)

    assert again == cohost
    assert (cohost.status, cohost.invited_by) == (EventCohost.Status.INVITED, publisher)
    change = StateChange.objects.get(event=pair_event)
    assert change.action == Action.COHOST_INVITED
    assert change.details == {
        "office": partner_office.pk,
        "changes": [
            {
                "field": "cohost",
                "before": None,
                "after": {"id": partner_office.pk, "label": str(partner_office)},
            },
            {"field": "cohost_status", "before": None, "after": "INVITED"},
        ],
    }


def test_an_office_of_neither_city_is_not_invited(publisher, pair_event, office_factory):
    with pytest.raises(ValidationError) as refused:
        services.invite_cohost(publisher, pair_event, office_factory())

    assert codes(refused.value) == {"office": [EventErrorCode.NOT_PARTNER_OFFICE]}
    assert not EventCohost.objects.exists()


def test_an_event_of_no_twinning_has_no_cohost(publisher, event, partner_office):
    with pytest.raises(ValidationError) as refused:
        services.invite_cohost(publisher, event, partner_office)

    assert codes(refused.value) == {None: [EventErrorCode.NO_TWINNING]}


def test_a_cohost_does_not_invite(pair_event, partner_office, partner_publisher):
    with pytest.raises(PermissionDenied):
        services.invite_cohost(partner_publisher, pair_event, partner_office)


def test_an_accepted_invitation_lets_the_partner_publish(
    publisher, pair_event, partner_office, partner_publisher
):
    # Given the partner office invited
    services.invite_cohost(publisher, pair_event, partner_office)

    # When its publisher accepts
    cohost = services.accept_cohost(partner_publisher, pair_event)

    # Then the invitation is accepted, on record, and the partner acts for the event
    cohost.refresh_from_db()
    assert (cohost.status, cohost.accepted_by) == (EventCohost.Status.ACCEPTED, partner_publisher)
    assert history(pair_event)[-1] == (Action.COHOST_ACCEPTED, "", "")
    services.cancel_event(partner_publisher, pair_event, "Flooded")
    assert Event.objects.get(pk=pair_event.pk).status == Status.CANCELLED


def test_only_an_invited_office_accepts(pair_event, partner_publisher):
    with pytest.raises(PermissionDenied):
        services.accept_cohost(partner_publisher, pair_event)


# --- Announcements ------------------------------------------------------------------------------


def test_an_announcement_is_published_recorded_and_told_to_its_city(
    publisher, office, broadcasts, committing
):
    with committing():
        announcement = services.create_announcement(
            publisher, office, {"title_en": " Ferry timetable ", "body_en": "From May."}
        )

    announcement.refresh_from_db()
    assert (announcement.city, announcement.title_en) == (office.city, "Ferry timetable")
    assert announcement.published_at <= timezone.now()
    record = StateChange.objects.get(announcement=announcement)
    assert (record.action, record.to_status) == (Action.PUBLISHED, "PUBLISHED")
    payload = {
        "kind": "posted",
        "announcement": announcement.pk,
        "city": office.city_id,
        "twinning": None,
    }
    assert broadcasts == [
        (f"city.{office.city_id}.announcements", payload),
        ("announcements.posted", payload),
    ]


def test_an_editor_does_not_post(editor, office):
    with pytest.raises(PermissionDenied):
        services.create_announcement(editor, office, {"title_en": "News", "body_en": "…"})

    assert not Announcement.objects.exists()


def test_an_announcement_is_about_its_own_city_and_events(
    publisher, office, twinning_factory, event_factory
):
    elsewhere = twinning_factory()
    others_event = event_factory()

    with pytest.raises(ValidationError) as refused:
        services.create_announcement(
            publisher,
            office,
            {"title_en": "News", "body_en": "…", "twinning": elsewhere, "event": others_event},
        )

    assert codes(refused.value) == {
        "twinning": [EventErrorCode.TWINNING_MISMATCH],
        "event": [EventErrorCode.EVENT_MISMATCH],
    }
    assert not Announcement.objects.exists()


def test_an_edited_announcement_records_the_fields_changed(publisher, office, announcement_factory):
    announcement = announcement_factory(office=office)

    services.update_announcement(publisher, announcement, {"body_en": "Moved to June."})
    services.update_announcement(publisher, announcement, {"body_en": "Moved to June."})

    assert Announcement.objects.get(pk=announcement.pk).body_en == "Moved to June."
    record = StateChange.objects.get(announcement=announcement)
    assert (record.action, record.details) == (
        Action.UPDATED,
        {
            "fields": ["body_en"],
            "changes": [
                {
                    "field": "body_en",
                    "before": "News from the city office.",
                    "after": "Moved to June.",
                }
            ],
        },
    )


def test_a_deleted_announcement_leaves_its_record(publisher, office, announcement_factory):
    announcement = announcement_factory(office=office, title_en="Ferry timetable")

    services.delete_announcement(publisher, announcement)

    assert not Announcement.objects.exists()
    record = StateChange.objects.get()
    assert (record.action, record.subject_title, record.announcement) == (
        Action.DELETED,
        "Ferry timetable",
        None,
    )


# --- RSVPs --------------------------------------------------------------------------------------


def test_going_and_withdrawing(event, user_factory):
    person = user_factory()

    services.set_rsvp(person, event, Rsvp.Status.GOING)
    assert Rsvp.objects.get(user=person, event=event).status == Rsvp.Status.GOING
    assert Event.objects.get(pk=event.pk).attendee_count == 1

    services.set_rsvp(person, event, None)
    assert not Rsvp.objects.exists()
    assert Event.objects.get(pk=event.pk).attendee_count == 0


def test_a_full_event_takes_no_one_more(event_factory, user_factory):
    event = event_factory(capacity=1)
    services.set_rsvp(user_factory(), event, Rsvp.Status.GOING)

    with pytest.raises(ValidationError) as refused:
        services.set_rsvp(user_factory(), event, Rsvp.Status.GOING)

    assert codes(refused.value) == {None: [EventErrorCode.EVENT_FULL]}
    assert Event.objects.get(pk=event.pk).attendee_count == 1


def test_rsvps_open_only_for_public_upcoming_events_but_withdrawing_always_works(
    draft, user_factory
):
    person = user_factory()
    Rsvp.objects.create(user=person, event=draft, status=Rsvp.Status.INTERESTED)

    with pytest.raises(ValidationError) as refused:
        services.set_rsvp(person, draft, Rsvp.Status.GOING)
    services.set_rsvp(person, draft, None)

    assert codes(refused.value) == {None: [EventErrorCode.EVENT_NOT_OPEN]}
    assert not Rsvp.objects.exists()
