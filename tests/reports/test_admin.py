"""The admin's page of reported events and announcements: the moderators and publishers of an
office see the reports of what their office publishes and nothing else, settle them with the
actions through the services, and read their times in the zone of what is reported."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from cities.models import OfficeMembership
from cities.staff import office_staff_group
from events.models import EventCohost
from reports import services
from reports.models import Report

Role = OfficeMembership.Role
LIST = "admin:reports_report_changelist"


def url(name, *args):
    return reverse(name, args=args)


def change_url(report):
    return url("admin:reports_report_change", report.pk)


@pytest.fixture
def staff(db, client):
    """Sign in a new staff user holding ``role`` in ``office`` and the staff group."""

    def sign_in(office, role):
        user = get_user_model().objects.create_user(
            f"{role.lower()}@{office.pk}.example.org", "unused", is_staff=True
        )
        OfficeMembership.objects.create(user=user, office=office, role=role)
        user.groups.add(office_staff_group())
        client.force_login(user)
        return user

    return sign_in


@pytest.fixture
def offices(office_factory):
    return {"aktau": office_factory(city__name_en="Aktau"), "bursa": office_factory()}


@pytest.fixture
def reported(offices, event_factory, announcement_factory, user_factory):
    """For each office, a reported event and a reported announcement, each with its details."""
    found = {}
    for name, office in offices.items():
        event = event_factory(office=office, host_city=office.city, title_en=f"Regatta {name}")
        news = announcement_factory(office=office, title_en=f"Ferry news {name}")
        reporter = user_factory()
        found[name] = (
            services.report_event(reporter, event, "MISLEADING", f"Wrong date ({name})").report,
            services.report_announcement(reporter, news, "SPAM", f"Adverts ({name})").report,
        )
    return found


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.PUBLISHER])
def test_an_office_sees_the_reports_of_what_it_publishes_only(
    client, staff, offices, reported, role
):
    staff(offices["aktau"], role)

    page = client.get(url(LIST)).content.decode()

    assert "Wrong date (aktau)" in page
    assert "Adverts (aktau)" in page
    assert "Event: Regatta aktau" in page
    assert "Announcement: Ferry news aktau" in page
    assert "bursa" not in page
    for report in reported["aktau"]:
        assert client.get(change_url(report)).status_code == 200
    for report in reported["bursa"]:
        assert client.get(change_url(report)).status_code == 302


def test_a_co_hosting_office_does_not_see_the_organisers_reports(client, staff, offices, reported):
    event = reported["aktau"][0].event
    EventCohost.objects.create(
        event=event, office=offices["bursa"], status=EventCohost.Status.ACCEPTED
    )
    staff(offices["bursa"], Role.MODERATOR)

    page = client.get(url(LIST)).content.decode()

    assert "Wrong date (bursa)" in page
    assert "aktau" not in page


def test_editors_have_no_reports_page(client, staff, offices, reported):
    staff(offices["aktau"], Role.EDITOR)

    assert client.get(url(LIST)).status_code == 403
    assert client.get(change_url(reported["aktau"][0])).status_code == 403


def test_a_superuser_sees_every_report(client, reported):
    client.force_login(
        get_user_model().objects.create_superuser("root@example.org", "correct horse battery")
    )

    page = client.get(url(LIST)).content.decode()

    assert "Wrong date (aktau)" in page
    assert "Adverts (bursa)" in page


def test_the_actions_resolve_and_dismiss_through_the_services(client, staff, offices, reported):
    moderator = staff(offices["aktau"], Role.MODERATOR)
    event_report, news_report = reported["aktau"]
    others = reported["bursa"]

    client.post(url(LIST), {"action": "resolve_reports", "_selected_action": [event_report.pk]})
    # Another office's report slipped into the selection is not touched.
    client.post(
        url(LIST),
        {"action": "dismiss_reports", "_selected_action": [news_report.pk, others[1].pk]},
    )

    states = {
        report.pk: (report.status, report.resolved_by)
        for report in Report.objects.select_related("resolved_by")
    }
    assert states[event_report.pk] == (Report.Status.RESOLVED, moderator)
    assert states[news_report.pk] == (Report.Status.DISMISSED, moderator)
    assert states[others[0].pk] == states[others[1].pk] == (Report.Status.OPEN, None)


def test_nothing_is_added_deleted_or_edited_by_hand(client, staff, offices, reported):
    staff(offices["aktau"], Role.PUBLISHER)
    report = reported["aktau"][0]

    assert client.get(url("admin:reports_report_add")).status_code == 403
    assert client.get(url("admin:reports_report_delete", report.pk)).status_code == 403
    posted = client.post(change_url(report), {"status": "DISMISSED", "details": "Changed"})

    assert posted.status_code == 403

    report.refresh_from_db()
    assert (report.status, report.details) == (Report.Status.OPEN, "Wrong date (aktau)")


def test_times_are_shown_in_the_zone_of_what_is_reported(
    client, staff, office_factory, city_factory, event_factory, announcement_factory, user_factory
):
    # An Aktau office's event at a venue in Moscow, and its announcement (Aktau's zone).
    aktau = office_factory(city=city_factory(name_en="Aktau", timezone="Asia/Aqtau"))
    event = event_factory(office=aktau, host_city=aktau.city, timezone="Europe/Moscow")
    news = announcement_factory(office=aktau)
    reporter = user_factory()
    on_event = services.report_event(reporter, event, "SPAM").report
    on_news = services.report_announcement(reporter, news, "SPAM").report
    moment = datetime.datetime(2031, 5, 4, 16, 5, tzinfo=datetime.UTC)
    Report.objects.update(created_at=moment)
    staff(aktau, Role.MODERATOR)

    event_page = client.get(change_url(on_event)).content.decode()
    news_page = client.get(change_url(on_news)).content.decode()

    assert "2031-05-04 19:05 (Europe/Moscow, UTC+03:00)" in event_page
    assert "2031-05-04 21:05 (Asia/Aqtau, UTC+05:00)" in news_page
