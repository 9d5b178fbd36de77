"""Reports of events and announcements, through the services: one open report per user and
object, bounded input refused with a code and nothing written, and only the moderators of the
office that publishes what is reported settle it."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cities.models import OfficeMembership
from events.models import EventCohost
from reports import services
from reports.error_codes import ReportErrorCode
from reports.models import MAX_DETAILS_LENGTH, Report
from reports.services import SettleAction
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

Role = OfficeMembership.Role


@pytest.fixture
def event(event_factory, office):
    return event_factory(title_en="Caspian regatta", office=office, host_city=office.city)


@pytest.fixture
def news(announcement_factory, office):
    return announcement_factory(office=office, title_en="Ferry timetable")


@pytest.fixture
def reporter(user_factory):
    return user_factory(display_name="Ada")


@pytest.fixture
def moderator(office):
    return MembershipFactory(office=office, role=Role.MODERATOR).user


def codes(error: ValidationError) -> dict:
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


def test_a_report_of_an_event_is_open_with_its_reason_and_trimmed_details(event, reporter):
    report = services.report_event(reporter, event, "MISLEADING", "  The date is wrong.\u200b ")

    assert (report.event, report.announcement, report.reporter) == (event, None, reporter)
    assert (report.reason, report.details, report.status) == (
        Report.Reason.MISLEADING,
        "The date is wrong.",
        Report.Status.OPEN,
    )
    assert report.office_id == event.office_id


def test_a_report_of_an_announcement_is_its_offices(news, reporter):
    report = services.report_announcement(reporter, news, "SPAM")

    assert (report.announcement, report.event, report.details) == (news, None, "")
    assert report.office_id == news.office_id


def test_reporting_again_while_open_answers_with_the_open_report(event, reporter, moderator):
    first = services.report_event(reporter, event, "SPAM", "Ads")

    again = services.report_event(reporter, event, "SCAM", "Different words")

    assert again.pk == first.pk
    assert (again.reason, again.details) == ("SPAM", "Ads")
    assert Report.objects.count() == 1
    # Once it is settled, a new report may be made.
    services.settle_report(moderator, first, SettleAction.DISMISS)
    third = services.report_event(reporter, event, "SCAM")
    assert third.pk != first.pk
    assert Report.objects.filter(status=Report.Status.OPEN).get() == third


def test_details_that_show_nothing_are_no_details(event, reporter):
    report = services.report_event(reporter, event, "OTHER", "\u200b\u2060 ")

    assert report.details == ""


@pytest.mark.parametrize(
    ("reason", "details", "expected"),
    [
        ("RUDE", "", {"reason": [ReportErrorCode.INVALID_REASON]}),
        ("SPAM", "x" * (MAX_DETAILS_LENGTH + 1), {"details": [ReportErrorCode.TOO_LONG]}),
        (
            "",
            "x" * (MAX_DETAILS_LENGTH + 1),
            {"reason": [ReportErrorCode.INVALID_REASON], "details": [ReportErrorCode.TOO_LONG]},
        ),
    ],
)
def test_bad_input_is_refused_with_its_code_and_nothing_written(
    event, reporter, reason, details, expected
):
    with pytest.raises(ValidationError) as refused:
        services.report_event(reporter, event, reason, details)

    assert codes(refused.value) == expected
    assert not Report.objects.exists()


def test_the_longest_details_are_kept(event, reporter):
    details = "ж" * MAX_DETAILS_LENGTH

    assert services.report_event(reporter, event, "OTHER", details).details == details


def test_drafts_and_unpublished_announcements_cannot_be_reported(
    event_factory, announcement_factory, office, reporter
):
    draft = event_factory(office=office, host_city=office.city, status="DRAFT", announced_at=None)
    later = announcement_factory(
        office=office, published_at=None, publish_at=timezone.now() + datetime.timedelta(days=1)
    )

    with pytest.raises(ValidationError) as event_refused:
        services.report_event(reporter, draft, "SPAM")
    with pytest.raises(ValidationError) as announcement_refused:
        services.report_announcement(reporter, later, "SPAM")

    assert codes(event_refused.value) == {"event": [ReportErrorCode.NOT_FOUND]}
    assert codes(announcement_refused.value) == {"announcement": [ReportErrorCode.NOT_FOUND]}
    assert not Report.objects.exists()


def test_signed_out_or_deactivated_cannot_report(event, user_factory):
    with pytest.raises(PermissionDenied):
        services.report_event(AnonymousUser(), event, "SPAM")
    with pytest.raises(PermissionDenied):
        services.report_event(user_factory(is_active=False), event, "SPAM")
    assert not Report.objects.exists()


@pytest.mark.parametrize("action", list(SettleAction))
def test_a_moderator_of_the_organising_office_settles_it(event, reporter, moderator, action):
    report = services.report_event(reporter, event, "SPAM")

    settled = services.settle_report(moderator, report, action)

    assert settled.status == action.status
    assert (settled.resolved_by, settled.resolved_at is not None) == (moderator, True)
    report.refresh_from_db()
    assert report.status == action.status


def test_a_settled_report_stays_as_it_was(event, reporter, moderator, office):
    report = services.report_event(reporter, event, "SPAM")
    services.settle_report(moderator, report, SettleAction.DISMISS)
    publisher = MembershipFactory(office=office, role=Role.PUBLISHER).user

    again = services.settle_report(publisher, report, SettleAction.RESOLVE)

    assert (again.status, again.resolved_by) == (Report.Status.DISMISSED, moderator)


@pytest.mark.parametrize("role", [Role.PUBLISHER, Role.MODERATOR])
def test_moderators_and_publishers_of_the_office_settle_announcement_reports(
    news, reporter, office, role
):
    report = services.report_announcement(reporter, news, "SCAM")
    person = MembershipFactory(office=office, role=role).user

    assert services.settle_report(person, report, SettleAction.RESOLVE).status == "RESOLVED"


def test_editors_co_hosts_other_offices_and_app_users_do_not_settle(
    event, reporter, office, office_factory, user_factory
):
    report = services.report_event(reporter, event, "SPAM")
    cohost = office_factory()
    EventCohost.objects.create(event=event, office=cohost, status=EventCohost.Status.ACCEPTED)
    refused = [
        MembershipFactory(office=office, role=Role.EDITOR).user,
        MembershipFactory(office=cohost, role=Role.MODERATOR).user,
        MembershipFactory(office=office_factory(), role=Role.MODERATOR).user,
        reporter,
        user_factory(),
    ]

    for person in refused:
        with pytest.raises(PermissionDenied):
            services.settle_report(person, report, SettleAction.DISMISS)

    report.refresh_from_db()
    assert report.status == Report.Status.OPEN
    superuser = user_factory(is_superuser=True)
    assert services.settle_report(superuser, report, SettleAction.DISMISS).status == "DISMISSED"


def test_the_database_holds_one_open_report_per_user_and_object(event, news, reporter):
    Report.objects.create(event=event, reporter=reporter, reason="SPAM")
    Report.objects.create(announcement=news, reporter=reporter, reason="SPAM")
    Report.objects.create(event=event, reporter=reporter, reason="SPAM", status="DISMISSED")

    for duplicate in ({"event": event}, {"announcement": news}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Report.objects.create(reporter=reporter, reason="SCAM", **duplicate)
    # A report is of one object, never none or both.
    for objects in ({}, {"event": event, "announcement": news}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Report.objects.create(reporter=reporter, reason="SCAM", status="DISMISSED", **objects)


def test_reports_leave_with_what_they_report_and_with_their_reporter(event, news, reporter):
    services.report_event(reporter, event, "SPAM")
    services.report_announcement(reporter, news, "SPAM")
    news.delete()
    assert Report.objects.count() == 1

    reporter.delete()

    assert not Report.objects.exists()
