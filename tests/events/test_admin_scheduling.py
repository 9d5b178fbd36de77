"""Scheduling in the admin: a draft's "Announce automatically at" typed in its venue's zone, an
announcement's "Publish at" typed in its city's zone, both saved through the scheduling
services, refused on the form (never a 500), and shown in the lists with their zone."""

import datetime

import pytest
from django.utils import timezone

from cities.models import OfficeMembership
from core.i18n import LANGUAGE_CODES
from events.models import Announcement, Event, StateChange
from notifications import broker
from notifications.models import Notification
from tests.events import test_admin_venue_times as venue_times
from tests.events.test_admin import event_form, text, url
from tests.events.test_admin_venue_times import box, form_errors

Role = OfficeMembership.Role
Action = StateChange.Action
UTC = datetime.UTC


# The office in Aktau (UTC+05:00), its staff signing in, its draft at a venue in Moscow
# (UTC+03:00) on 4 May 2031 at 19:00.
aktau = venue_times.aktau
staff = venue_times.staff
moscow_evening = venue_times.moscow_evening


@pytest.fixture(autouse=True)
def enqueued(monkeypatch):
    jobs = []
    monkeypatch.setattr(broker, "enqueue", lambda job, *args: jobs.append((job, args)) or True)
    return jobs


def announcement_form(office, **fields) -> dict:
    data = {f"{field}_{code}": "" for field in ("title", "body") for code in LANGUAGE_CODES}
    data.update(title_en="Water off on Sunday", body_en="From 9 to 17.", office=office.pk)
    data.update(fields)
    return data


# --- Events ----------------------------------------------------------------------------------


def test_a_publisher_schedules_a_draft_in_the_venues_zone(client, staff, aktau, moscow_evening):
    publisher = staff(aktau, Role.PUBLISHER)
    # 10:00 in Moscow on 1 May 2031 (an office in Aktau, UTC+05:00, types it as Moscow's)
    data = event_form(moscow_evening, announce_at_0="2031-05-01", announce_at_1="10:00")

    response = client.post(url("events_event_change", moscow_evening.pk), data)

    assert response.status_code == 302, text(response)
    moscow_evening.refresh_from_db()
    assert moscow_evening.status == Event.Status.DRAFT
    assert moscow_evening.announce_at == datetime.datetime(2031, 5, 1, 7, 0, tzinfo=UTC)
    assert moscow_evening.scheduled_by == publisher
    assert moscow_evening.history.filter(action=Action.SCHEDULED).count() == 1
    # and its page shows the time again as typed, the list as "Scheduled for" with the zone
    page = text(client.get(url("events_event_change", moscow_evening.pk)))
    assert (box(page, "announce_at_0"), box(page, "announce_at_1")) == ("2031-05-01", "10:00")
    listed = text(client.get(url("events_event_changelist")))
    assert "Scheduled for 2031-05-01 10:00 (Europe/Moscow, UTC+03:00)" in listed


def test_clearing_the_time_unschedules_the_draft(client, staff, aktau, moscow_evening):
    publisher = staff(aktau, Role.PUBLISHER)
    moscow_evening.announce_at = datetime.datetime(2031, 5, 1, 7, 0, tzinfo=UTC)
    moscow_evening.scheduled_by = publisher
    moscow_evening.save()

    response = client.post(
        url("events_event_change", moscow_evening.pk),
        event_form(moscow_evening, announce_at_0="", announce_at_1=""),
    )

    assert response.status_code == 302, text(response)
    moscow_evening.refresh_from_db()
    assert moscow_evening.announce_at is None
    assert moscow_evening.history.filter(action=Action.UNSCHEDULED).count() == 1


@pytest.mark.parametrize(
    ("day", "hour", "field_error"),
    [
        ("2020-05-01", "10:00", "This time has already passed."),
        ("2031-05-05", "10:00", "The event is over by then: choose a time before it ends."),
    ],
)
def test_a_time_that_cannot_be_kept_is_a_form_error(
    client, staff, aktau, moscow_evening, day, hour, field_error
):
    staff(aktau, Role.PUBLISHER)

    response = client.post(
        url("events_event_change", moscow_evening.pk),
        event_form(moscow_evening, announce_at_0=day, announce_at_1=hour),
    )

    assert response.status_code == 200
    assert form_errors(response)["announce_at"] == [field_error]
    moscow_evening.refresh_from_db()
    assert moscow_evening.announce_at is None


def test_an_editor_is_told_only_publishers_schedule(client, staff, aktau, moscow_evening):
    staff(aktau, Role.EDITOR)

    response = client.post(
        url("events_event_change", moscow_evening.pk),
        event_form(moscow_evening, announce_at_0="2031-05-01", announce_at_1="10:00"),
    )

    assert response.status_code == 200
    assert "publishers" in str(form_errors(response))
    moscow_evening.refresh_from_db()
    assert moscow_evening.announce_at is None


def test_an_announced_event_has_no_time_to_announce_at(client, staff, aktau, moscow_evening):
    staff(aktau, Role.PUBLISHER)
    Event.objects.filter(pk=moscow_evening.pk).update(status=Event.Status.ANNOUNCED)

    page = text(client.get(url("events_event_change", moscow_evening.pk)))

    assert 'name="announce_at_0"' not in page


# --- Announcements ---------------------------------------------------------------------------


def test_an_announcement_scheduled_in_the_citys_zone_is_kept_back(client, staff, aktau):
    staff(aktau, Role.PUBLISHER)
    # 10:00 in Aktau (UTC+05:00) is 05:00 UTC.
    data = announcement_form(aktau, publish_at_0="2031-05-01", publish_at_1="10:00")

    response = client.post(url("events_announcement_add"), data)

    assert response.status_code == 302, text(response)
    announcement = Announcement.objects.get()
    assert announcement.publish_at == datetime.datetime(2031, 5, 1, 5, 0, tzinfo=UTC)
    assert announcement.published_at is None
    assert not Notification.objects.exists()
    listed = text(client.get(url("events_announcement_changelist")))
    assert "Scheduled for 2031-05-01 10:00 (Asia/Aqtau, UTC+05:00)" in listed
    page = text(client.get(url("events_announcement_change", announcement.pk)))
    assert (box(page, "publish_at_0"), box(page, "publish_at_1")) == ("2031-05-01", "10:00")


def test_an_announcement_without_a_time_is_published_at_once(client, staff, aktau):
    staff(aktau, Role.PUBLISHER)

    response = client.post(url("events_announcement_add"), announcement_form(aktau))

    assert response.status_code == 302, text(response)
    assert Announcement.objects.get().published_at is not None
    assert Notification.objects.count() == 1


def test_a_scheduled_announcement_is_rescheduled_on_its_page(client, staff, aktau):
    staff(aktau, Role.PUBLISHER)
    client.post(
        url("events_announcement_add"),
        announcement_form(aktau, publish_at_0="2031-05-01", publish_at_1="10:00"),
    )
    announcement = Announcement.objects.get()

    response = client.post(
        url("events_announcement_change", announcement.pk),
        announcement_form(aktau, publish_at_0="2031-05-02", publish_at_1="08:30"),
    )

    assert response.status_code == 302, text(response)
    announcement.refresh_from_db()
    assert announcement.publish_at == datetime.datetime(2031, 5, 2, 3, 30, tzinfo=UTC)
    assert announcement.published_at is None


def test_a_past_publication_time_is_a_form_error(client, staff, aktau):
    staff(aktau, Role.PUBLISHER)
    past = timezone.localtime(timezone.now() - datetime.timedelta(days=1))

    response = client.post(
        url("events_announcement_add"),
        announcement_form(aktau, publish_at_0=f"{past:%Y-%m-%d}", publish_at_1="10:00"),
    )

    assert response.status_code == 200
    assert form_errors(response)["publish_at"] == ["This time has already passed."]
    assert not Announcement.objects.exists()


def test_why_a_draft_was_not_announced_is_said_in_the_admins_language(
    client, staff, aktau, moscow_evening
):
    # Given a draft the beat could not announce (the reason kept as the service gave it)
    staff(aktau, Role.PUBLISHER)
    Event.objects.filter(pk=moscow_evening.pk).update(
        announce_at=datetime.datetime(2031, 5, 1, 7, 0, tzinfo=UTC),
        schedule_failure="Only the event's publishers announce, postpone or cancel it.",
    )
    StateChange.objects.create(
        event=moscow_evening,
        subject_title=moscow_evening.title_en,
        action=Action.SCHEDULE_FAILED,
        from_status=Event.Status.DRAFT,
        to_status=Event.Status.DRAFT,
        details={"reason": "Only the event's publishers announce, postpone or cancel it."},
    )
    russian = "Объявить, перенести или отменить мероприятие могут только сотрудники с правом"

    # When an employee working in Russian reads the list and the draft's history
    listed = text(client.get(url("events_event_changelist"), HTTP_ACCEPT_LANGUAGE="ru"))
    page = text(
        client.get(url("events_event_change", moscow_evening.pk), HTTP_ACCEPT_LANGUAGE="ru")
    )

    # Then the reason is in Russian in each, the draft's own field too
    assert russian in listed
    assert f"Причина: {russian}" in " ".join(page.split())
    assert " ".join(page.split()).count(russian) == 2


def test_the_list_says_why_a_draft_was_not_announced(client, staff, aktau, moscow_evening):
    staff(aktau, Role.PUBLISHER)
    Event.objects.filter(pk=moscow_evening.pk).update(
        announce_at=datetime.datetime(2031, 5, 1, 7, 0, tzinfo=UTC),
        schedule_failure="Only the event's publishers announce, postpone or cancel it.",
    )

    listed = text(client.get(url("events_event_changelist")))

    assert (
        "Not announced at 2031-05-01 10:00 (Europe/Moscow, UTC+03:00): Only the event&#x27;s "
        "publishers announce, postpone or cancel it." in listed
    )
