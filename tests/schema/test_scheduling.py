"""Scheduling through the API: `eventAnnounce` with `at`, `eventUnschedule`, and `publishAt`
on announcements; what is scheduled stays out of every public read (lists and nodes, answered
fresh or from the response cache) and silent until the beat publishes it."""

import datetime
import json
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from graphql_relay import to_global_id

from cities.models import OfficeMembership
from events import services
from events.models import Announcement, Event
from notifications import broker
from notifications.models import Notification
from tests.conftest import bearer_for

Role = OfficeMembership.Role
ERRORS = "errors { field code message }"

ANNOUNCE_AT = f"""
mutation($id: ID!, $at: DateTime) {{
  eventAnnounce(id: $id, at: $at) {{ event {{ status announceAt }} {ERRORS} }}
}}
"""
UNSCHEDULE = f"""
mutation($id: ID!) {{ eventUnschedule(id: $id) {{ event {{ status announceAt }} {ERRORS} }} }}
"""
EVENT = "query($id: ID!) { event(id: $id) { status announceAt } }"
CREATE_NEWS = f"""
mutation($input: AnnouncementCreateInput!) {{
  announcementCreate(input: $input) {{ announcement {{ id publishedAt publishAt }} {ERRORS} }}
}}
"""
UPDATE_NEWS = f"""
mutation($id: ID!, $at: DateTime) {{
  announcementUpdate(id: $id, input: {{publishAt: $at}}) {{
    announcement {{ publishedAt publishAt }} {ERRORS}
  }}
}}
"""
NEWS = """
query($city: ID!) { announcements(city: $city, first: 10) { edges { node { title } } } }
"""
NODE = "query($id: ID!) { node(id: $id) { ... on Announcement { title publishAt } } }"

pytestmark = pytest.mark.django_db
AKTAU = zoneinfo.ZoneInfo("Asia/Aqtau")


def soon(minutes=30) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=minutes)


@pytest.fixture(autouse=True)
def enqueued(monkeypatch):
    """Push jobs handed to the broker, kept here instead of run."""
    jobs = []
    monkeypatch.setattr(broker, "enqueue", lambda job, *args: jobs.append((job, args)) or True)
    return jobs


@pytest.fixture
def post(client):
    """POST an operation; the decoded body and the number of SQL queries it cost (none: the
    response cache answered)."""

    def send(query, variables=None, user=None):
        headers = {"HTTP_ACCEPT_LANGUAGE": "en"}
        if user is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {bearer_for(user)}"
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                "/graphql/",
                json.dumps({"query": query, "variables": variables or {}}),
                content_type="application/json",
                **headers,
            )
        return response.json(), len(queries.captured_queries)

    return send


@pytest.fixture
def draft(event_factory, office):
    return event_factory(
        office=office, host_city=office.city, status=Event.Status.DRAFT, announced_at=None
    )


def iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat()


# --- Events ----------------------------------------------------------------------------------


def test_a_publisher_schedules_a_draft_which_stays_hidden_until_announced(
    post, publisher, draft, django_capture_on_commit_callbacks
):
    event_id = to_global_id("Event", draft.pk)
    at = soon().replace(microsecond=0)

    # When a publisher asks for it to be announced later (in the venue's offset)
    body, _ = post(ANNOUNCE_AT, {"id": event_id, "at": at.astimezone(AKTAU).isoformat()}, publisher)

    # Then it is a draft with that time, which its office reads and nobody else sees
    assert body["data"]["eventAnnounce"] == {
        "event": {"status": "DRAFT", "announceAt": iso(at)},
        "errors": [],
    }
    office_view, _ = post(EVENT, {"id": event_id}, publisher)
    assert office_view["data"]["event"] == {"status": "DRAFT", "announceAt": iso(at)}
    assert post(EVENT, {"id": event_id})[0]["data"]["event"] is None
    assert not Notification.objects.exists()

    # When the beat runs at that time
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_due(now=at)

    # Then everyone sees it announced, without a time left, and its push is written
    public, _ = post(EVENT, {"id": event_id})
    assert public["data"]["event"] == {"status": "ANNOUNCED", "announceAt": None}
    assert Notification.objects.filter(event=draft).count() == 1


def test_unscheduling_keeps_the_draft_and_drops_its_time(post, publisher, draft):
    event_id = to_global_id("Event", draft.pk)
    post(ANNOUNCE_AT, {"id": event_id, "at": soon().isoformat()}, publisher)

    body, _ = post(UNSCHEDULE, {"id": event_id}, publisher)

    assert body["data"]["eventUnschedule"] == {
        "event": {"status": "DRAFT", "announceAt": None},
        "errors": [],
    }
    assert services.publish_due(now=soon(60))["announced"] == 0


@pytest.mark.parametrize(
    ("at", "code"),
    [
        (lambda event: soon(-5), "SCHEDULE_IN_PAST"),
        (lambda event: event.ends_at + datetime.timedelta(hours=1), "SCHEDULE_AFTER_END"),
        (lambda event: datetime.datetime(2100, 6, 1, tzinfo=datetime.UTC), "DATE_OUT_OF_RANGE"),
    ],
)
def test_a_time_that_cannot_be_kept_is_an_error_on_at(post, publisher, draft, at, code):
    body, _ = post(
        ANNOUNCE_AT, {"id": to_global_id("Event", draft.pk), "at": at(draft).isoformat()}, publisher
    )

    payload = body["data"]["eventAnnounce"]
    assert payload["event"] is None
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [("at", code)]
    draft.refresh_from_db()
    assert (draft.status, draft.announce_at) == (Event.Status.DRAFT, None)


def test_an_announced_event_cannot_be_scheduled(post, publisher, event_factory, office):
    event = event_factory(office=office, host_city=office.city)

    body, _ = post(
        ANNOUNCE_AT, {"id": to_global_id("Event", event.pk), "at": soon().isoformat()}, publisher
    )

    assert [error["code"] for error in body["data"]["eventAnnounce"]["errors"]] == ["NOT_A_DRAFT"]


# --- Announcements ---------------------------------------------------------------------------


def test_a_scheduled_announcement_is_out_of_lists_and_nodes_cached_or_not_until_published(
    post, publisher, office, django_capture_on_commit_callbacks
):
    city = {"city": to_global_id("City", office.city.pk)}
    at = soon().replace(microsecond=0)
    # Given an anonymous answer kept by the response cache before anything was posted
    empty, _ = post(NEWS, city)
    assert post(NEWS, city) == (empty, 0)

    # When a publisher posts an announcement for later
    with django_capture_on_commit_callbacks(execute=True):
        created, _ = post(
            CREATE_NEWS,
            {
                "input": {
                    "office": to_global_id("CityOffice", office.pk),
                    "title": {"en": "Water off on Sunday"},
                    "body": {"en": "From 9 to 17."},
                    "publishAt": at.isoformat(),
                }
            },
            publisher,
        )

    # Then its payload says when, and nobody sees it in a list or by its ID, nor is pushed
    payload = created["data"]["announcementCreate"]
    assert payload["errors"] == []
    assert (payload["announcement"]["publishedAt"], payload["announcement"]["publishAt"]) == (
        None,
        iso(at),
    )
    node = {"id": payload["announcement"]["id"]}
    for _ in range(2):  # answered fresh, then from the cache
        assert post(NEWS, city)[0]["data"]["announcements"]["edges"] == []
        assert post(NODE, node)[0]["data"]["node"] is None
    assert post(NEWS, city)[1] == 0
    assert not Notification.objects.exists()

    # When the beat publishes it
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_due(now=at)

    # Then the kept answers are not served: the list and the node show it, without the time
    listed, _ = post(NEWS, city)
    assert listed["data"]["announcements"]["edges"] == [{"node": {"title": "Water off on Sunday"}}]
    assert post(NODE, node)[0]["data"]["node"] == {
        "title": "Water off on Sunday",
        "publishAt": None,
    }
    assert Notification.objects.filter(announcement__title_en="Water off on Sunday").count() == 1


def test_a_published_announcement_cannot_be_scheduled(
    post, publisher, announcement_factory, office
):
    published = announcement_factory(office=office)

    body, _ = post(
        UPDATE_NEWS,
        {"id": to_global_id("Announcement", published.pk), "at": soon().isoformat()},
        publisher,
    )

    payload = body["data"]["announcementUpdate"]
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [
        ("publishAt", "ALREADY_PUBLISHED")
    ]


def test_a_scheduled_announcement_is_rescheduled_or_published_now(post, publisher, office):
    scheduled = services.create_announcement(
        publisher, office, {"title_en": "Parade", "body_en": "Main street.", "publish_at": soon()}
    )
    announcement_id = to_global_id("Announcement", scheduled.pk)
    later = soon(120).replace(microsecond=0)

    moved, _ = post(UPDATE_NEWS, {"id": announcement_id, "at": later.isoformat()}, publisher)
    now, _ = post(UPDATE_NEWS, {"id": announcement_id, "at": None}, publisher)

    assert moved["data"]["announcementUpdate"]["announcement"] == {
        "publishedAt": None,
        "publishAt": iso(later),
    }
    assert now["data"]["announcementUpdate"]["errors"] == []
    assert Announcement.objects.published().filter(pk=scheduled.pk).exists()
