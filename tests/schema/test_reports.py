"""eventReport and announcementReport over HTTP: what the reporter gets back, one open report per
user and object, errors with their codes and nothing written, and who may read a report."""

import pytest
from graphql_relay import to_global_id

from cities.models import OfficeMembership
from events.models import Event
from reports.models import MAX_DETAILS_LENGTH, Report
from tests.factories import MembershipFactory

EVENT_REPORT = """
mutation Report($event: ID!, $reason: ReportReason!, $details: String) {
  eventReport(event: $event, reason: $reason, details: $details) {
    report {
      id reason details status createdAt resolvedAt
      event { title } announcement { title }
    }
    updated
    errors { field code message }
  }
}
"""
ANNOUNCEMENT_REPORT = """
mutation Report($announcement: ID!, $reason: ReportReason!, $details: String) {
  announcementReport(announcement: $announcement, reason: $reason, details: $details) {
    report { id reason details status event { title } announcement { title } }
    updated
    errors { field code message }
  }
}
"""
NODE = """
query Node($id: ID!) { node(id: $id) { ... on Report { reason status } } }
"""


@pytest.fixture
def event(event_factory, office):
    return event_factory(title_en="Caspian regatta", office=office, host_city=office.city)


@pytest.fixture
def news(announcement_factory, office):
    return announcement_factory(office=office, title_en="Ferry timetable")


@pytest.fixture
def ada(user_factory):
    return user_factory(display_name="Ada")


def gid(instance) -> str:
    return to_global_id(type(instance).__name__, instance.pk)


def answer(result, field):
    assert "errors" not in result, result
    return result["data"][field]


def test_a_reported_event_answers_with_the_open_report(gql, event, ada):
    variables = {"event": gid(event), "reason": "MISLEADING", "details": " The date is wrong. "}

    done = answer(gql(EVENT_REPORT, variables, user=ada), "eventReport")

    report = Report.objects.get()
    assert done["errors"] == []
    assert done["report"] == {
        "id": to_global_id("Report", report.pk),
        "reason": "MISLEADING",
        "details": "The date is wrong.",
        "status": "OPEN",
        "createdAt": done["report"]["createdAt"],
        "resolvedAt": None,
        "event": {"title": "Caspian regatta"},
        "announcement": None,
    }
    assert (report.event, report.reporter) == (event, ada)


def test_a_reported_announcement_answers_with_the_open_report(gql, news, ada):
    variables = {"announcement": gid(news), "reason": "SPAM"}

    done = answer(gql(ANNOUNCEMENT_REPORT, variables, user=ada), "announcementReport")

    assert done["errors"] == []
    assert done["report"]["announcement"] == {"title": "Ferry timetable"}
    assert (done["report"]["details"], done["report"]["event"]) == ("", None)


def test_reporting_again_while_open_updates_the_report_and_says_so(gql, event, ada):
    # Given Ada's open report of an event
    variables = {"event": gid(event), "reason": "SPAM", "details": "Ads"}
    first = answer(gql(EVENT_REPORT, variables, user=ada), "eventReport")

    # When she reports it again with another reason and other words
    variables.update(reason="SCAM", details="They ask for money")
    again = answer(gql(EVENT_REPORT, variables, user=ada), "eventReport")

    # Then the same report holds them, and the payload says it was updated
    assert (first["updated"], again["updated"], again["errors"]) == (False, True, [])
    assert again["report"]["id"] == first["report"]["id"]
    assert (again["report"]["reason"], again["report"]["details"]) == (
        "SCAM",
        "They ask for money",
    )
    assert Report.objects.count() == 1
    # Sent again as it was (a retry), nothing changes.
    retried = answer(gql(EVENT_REPORT, variables, user=ada), "eventReport")
    assert (retried["updated"], retried["report"]) == (False, again["report"])


def test_reporting_an_announcement_again_updates_its_open_report(gql, news, ada):
    variables = {"announcement": gid(news), "reason": "SPAM"}
    first = answer(gql(ANNOUNCEMENT_REPORT, variables, user=ada), "announcementReport")

    variables.update(reason="OFFENSIVE", details="Insults a neighbourhood")
    again = answer(gql(ANNOUNCEMENT_REPORT, variables, user=ada), "announcementReport")

    assert again["updated"] is True
    assert again["report"]["id"] == first["report"]["id"]
    assert (again["report"]["reason"], again["report"]["details"]) == (
        "OFFENSIVE",
        "Insults a neighbourhood",
    )


def test_a_settled_report_is_not_reopened_reporting_again_makes_a_new_one(gql, event, ada):
    first = answer(
        gql(EVENT_REPORT, {"event": gid(event), "reason": "SPAM"}, user=ada), "eventReport"
    )
    Report.objects.update(status=Report.Status.DISMISSED)

    again = answer(
        gql(EVENT_REPORT, {"event": gid(event), "reason": "SCAM"}, user=ada), "eventReport"
    )

    assert again["updated"] is False
    assert again["report"]["id"] != first["report"]["id"]
    assert (again["report"]["reason"], again["report"]["status"]) == ("SCAM", "OPEN")
    assert Report.objects.filter(status=Report.Status.DISMISSED).get().reason == "SPAM"


def test_details_over_the_limit_are_too_long_and_nothing_is_written(gql, event, ada):
    variables = {"event": gid(event), "reason": "OTHER", "details": "x" * (MAX_DETAILS_LENGTH + 1)}

    done = answer(gql(EVENT_REPORT, variables, user=ada), "eventReport")

    assert done["report"] is None
    assert [(e["field"], e["code"]) for e in done["errors"]] == [("details", "TOO_LONG")]
    assert not Report.objects.exists()


@pytest.mark.parametrize("target", ["draft", "unknown", "announcement", "garbage"])
def test_what_cannot_be_reported_is_not_found_on_its_argument(
    gql, event_factory, office, news, ada, target
):
    draft = event_factory(office=office, host_city=office.city, status=Event.Status.DRAFT)
    event_id = {
        "draft": gid(draft),
        "unknown": to_global_id("Event", 10**9),
        "announcement": gid(news),
        "garbage": "not an id",
    }[target]

    done = answer(gql(EVENT_REPORT, {"event": event_id, "reason": "SPAM"}, user=ada), "eventReport")

    assert [(e["field"], e["code"]) for e in done["errors"]] == [("event", "NOT_FOUND")]
    assert not Report.objects.exists()


def test_an_announcement_not_yet_published_is_not_found(gql, announcement_factory, office, ada):
    later = announcement_factory(office=office, published_at=None)

    done = answer(
        gql(ANNOUNCEMENT_REPORT, {"announcement": gid(later), "reason": "SPAM"}, user=ada),
        "announcementReport",
    )

    assert [(e["field"], e["code"]) for e in done["errors"]] == [("announcement", "NOT_FOUND")]


def test_a_reason_not_in_the_list_is_refused_before_anything_runs(gql, event, ada):
    result = gql(EVENT_REPORT, {"event": gid(event), "reason": "RUDE"}, user=ada)

    assert result["errors"][0]["extensions"]["code"] == "INVALID_VARIABLES"
    assert not Report.objects.exists()


@pytest.mark.parametrize("mutation", ["event", "announcement"])
def test_signed_out_is_unauthenticated(gql, event, news, mutation):
    if mutation == "event":
        result = gql(EVENT_REPORT, {"event": gid(event), "reason": "SPAM"})
    else:
        result = gql(ANNOUNCEMENT_REPORT, {"announcement": gid(news), "reason": "SPAM"})

    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not Report.objects.exists()


def test_a_report_is_read_by_its_reporter_and_its_offices_moderators_only(
    gql, event, office, ada, user_factory, office_factory
):
    report_id = answer(
        gql(EVENT_REPORT, {"event": gid(event), "reason": "SPAM"}, user=ada), "eventReport"
    )["report"]["id"]
    Role = OfficeMembership.Role
    readers = [ada, MembershipFactory(office=office, role=Role.MODERATOR).user]
    others = [
        None,
        user_factory(),
        MembershipFactory(office=office, role=Role.EDITOR).user,
        MembershipFactory(office=office_factory(), role=Role.MODERATOR).user,
    ]

    for reader in readers:
        assert answer(gql(NODE, {"id": report_id}, user=reader), "node") == {
            "reason": "SPAM",
            "status": "OPEN",
        }
    for other in others:
        assert answer(gql(NODE, {"id": report_id}, user=other), "node") is None
