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
    report = services.report_event(
        reporter, event, "MISLEADING", "  The date is wrong.\u200b "
    ).report

    assert (report.event, report.announcement, report.reporter) == (event, None, reporter)
    assert (report.reason, report.details, report.status) == (
        Report.Reason.MISLEADING,
        "The date is wrong.",
        Report.Status.OPEN,
    )
    assert report.office_id == event.office_id


def test_a_report_of_an_announcement_is_its_offices(news, reporter):
    report = services.report_announcement(reporter, news, "SPAM").report

    assert (report.announcement, report.event, report.details) == (news, None, "")
    assert report.office_id == news.office_id


def test_reporting_again_while_open_gives_the_open_report_the_new_words(event, reporter, moderator):
    # Given an open report of an event
    first = services.report_event(reporter, event, "SPAM", "Ads").report

    # When its reporter reports it again with another reason and other words
    again = services.report_event(reporter, event, "SCAM", " Different words ")

    # Then the open report says them, and says it was updated; no second report is made
    assert again.updated is True
    assert again.report.pk == first.pk
    first.refresh_from_db()
    assert (first.reason, first.details, first.status) == ("SCAM", "Different words", "OPEN")
    assert first.created_at == again.report.created_at
    assert Report.objects.count() == 1


def test_reporting_again_as_it_was_changes_nothing(event, reporter):
    # A retry of the same report, or the same words sent twice, is the same report.
    first = services.report_event(reporter, event, "SPAM", "Ads")

    again = services.report_event(reporter, event, "SPAM", "Ads ")

    assert (first.updated, again.updated) == (False, False)
    assert again.report.pk == first.report.pk
    assert Report.objects.count() == 1


def test_reporting_again_without_details_clears_them(event, reporter):
    first = services.report_event(reporter, event, "SPAM", "Ads").report

    again = services.report_event(reporter, event, "SPAM")

    assert (again.updated, again.report.pk) == (True, first.pk)
    first.refresh_from_db()
    assert first.details == ""


@pytest.mark.parametrize("action", list(SettleAction))
def test_a_settled_report_is_not_reopened_a_new_one_is_made(event, reporter, moderator, action):
    # Given a report a moderator has settled
    first = services.report_event(reporter, event, "SPAM", "Ads").report
    services.settle_report(moderator, first, action)

    # When its reporter reports the event again
    again = services.report_event(reporter, event, "SCAM", "Now they ask for money")

    # Then a new, open report is made, and the settled one stays as it was
    assert again.updated is False
    assert again.report.pk != first.pk
    assert Report.objects.filter(status=Report.Status.OPEN).get() == again.report
    first.refresh_from_db()
    assert (first.reason, first.details, first.status) == ("SPAM", "Ads", action.status)


def test_reporting_again_with_bad_input_leaves_the_open_report_as_it_was(event, reporter):
    first = services.report_event(reporter, event, "SPAM", "Ads").report

    with pytest.raises(ValidationError):
        services.report_event(reporter, event, "SCAM", "x" * (MAX_DETAILS_LENGTH + 1))

    first.refresh_from_db()
    assert (first.reason, first.details) == ("SPAM", "Ads")


def test_details_that_show_nothing_are_no_details(event, reporter):
    report = services.report_event(reporter, event, "OTHER", "\u200b\u2060 ").report

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

    assert services.report_event(reporter, event, "OTHER", details).report.details == details


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
    report = services.report_event(reporter, event, "SPAM").report

    settled = services.settle_report(moderator, report, action)

    assert settled.status == action.status
    assert (settled.resolved_by, settled.resolved_at is not None) == (moderator, True)
    report.refresh_from_db()
    assert report.status == action.status


def test_a_settled_report_stays_as_it_was(event, reporter, moderator, office):
    report = services.report_event(reporter, event, "SPAM").report
    services.settle_report(moderator, report, SettleAction.DISMISS)
    publisher = MembershipFactory(office=office, role=Role.PUBLISHER).user

    again = services.settle_report(publisher, report, SettleAction.RESOLVE)

    assert (again.status, again.resolved_by) == (Report.Status.DISMISSED, moderator)


@pytest.mark.parametrize("role", [Role.PUBLISHER, Role.MODERATOR])
def test_moderators_and_publishers_of_the_office_settle_announcement_reports(
    news, reporter, office, role
):
    report = services.report_announcement(reporter, news, "SCAM").report
    person = MembershipFactory(office=office, role=role).user

    assert services.settle_report(person, report, SettleAction.RESOLVE).status == "RESOLVED"


def test_editors_co_hosts_other_offices_and_app_users_do_not_settle(
    event, reporter, office, office_factory, user_factory
):
    report = services.report_event(reporter, event, "SPAM").report
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
