"""RSVPs (with capacity held under concurrency), follows, preferences and the viewer."""

import datetime
import json
import threading
import urllib.request

import pytest
from django.db import connection
from django.utils import timezone
from graphql_relay import to_global_id

from cities.models import OfficeMembership
from events.models import Event, Rsvp
from tests.conftest import bearer_for
from tests.factories import MembershipFactory

RSVP = """
mutation($event: ID!, $status: RsvpStatus!) {
  rsvpSet(event: $event, status: $status) {
    event { attendeeCount viewerRsvp }
    errors { field code message }
  }
}
"""

ME = """
{
  me {
    email language timeZone calendarUrl
    preferences { mutedCategories quietHours { start end } }
    followedCities { name }
    followedTwinnings { cityA { name } cityB { name } }
    rsvps { status event { title } }
    memberships { role office { name } }
  }
}
"""

PREFERENCES = """
mutation($language: String, $timeZone: String, $muted: [EventCategory!], $quiet: QuietHoursInput) {
  preferencesUpdate(
    language: $language, timeZone: $timeZone, mutedCategories: $muted, quietHours: $quiet
  ) {
    viewer { language timeZone preferences { mutedCategories quietHours { start end } } }
    errors { field code message }
  }
}
"""


def rsvp(gql, user, event, status):
    result = gql(RSVP, {"event": to_global_id("Event", event.pk), "status": status}, user=user)
    assert "errors" not in result, result
    return result["data"]["rsvpSet"]


def test_going_counts_and_withdrawing_uncounts(gql, event_factory, user_factory):
    event = event_factory(capacity=2)
    alice, bob = user_factory(), user_factory()

    assert rsvp(gql, alice, event, "GOING")["event"] == {"attendeeCount": 1, "viewerRsvp": "GOING"}
    assert rsvp(gql, alice, event, "GOING")["event"]["attendeeCount"] == 1  # repeat: no change
    assert rsvp(gql, bob, event, "INTERESTED")["event"] == {
        "attendeeCount": 1,
        "viewerRsvp": "INTERESTED",
    }
    assert rsvp(gql, alice, event, "NONE")["event"] == {"attendeeCount": 0, "viewerRsvp": "NONE"}
    assert list(Rsvp.objects.values_list("user", "status")) == [(bob.pk, "INTERESTED")]


def test_a_full_event_refuses_one_more_but_lets_interest_through(gql, event_factory, user_factory):
    event = event_factory(capacity=1)
    rsvp(gql, user_factory(), event, "GOING")
    late = user_factory()

    refused = rsvp(gql, late, event, "GOING")

    # Refused, with the event as it stands beside the error (the viewer has not answered)
    assert refused["event"] == {"attendeeCount": 1, "viewerRsvp": "NONE"}
    assert refused["errors"] == [
        {"field": None, "code": "EVENT_FULL", "message": "The event is full."}
    ]
    assert rsvp(gql, late, event, "INTERESTED")["errors"] == []
    event.refresh_from_db()
    assert event.attendee_count == 1


FULL_EVENT = """
mutation($event: ID!) {
  rsvpSet(event: $event, status: GOING) {
    event { id capacity attendeeCount waitlistCount viewerRsvp viewerWaitlistPosition }
    errors { field code message }
  }
}
"""


def test_a_full_event_comes_with_its_refusal_so_the_app_can_offer_the_waitlist(
    gql, event_factory, user_factory
):
    # Given a full event with one person waiting, and someone interested in it
    event = event_factory(capacity=1)
    rsvp(gql, user_factory(), event, "GOING")
    rsvp(gql, user_factory(), event, "WAITLISTED")
    dana = user_factory()
    rsvp(gql, dana, event, "INTERESTED")

    # When she asks for a place
    result = gql(FULL_EVENT, {"event": to_global_id("Event", event.pk)}, user=dana)

    # Then she is refused, and the payload shows the event as it stands: what the app needs to
    # offer "Join the waitlist" without fetching it again
    payload = result["data"]["rsvpSet"]
    assert [e["code"] for e in payload["errors"]] == ["EVENT_FULL"]
    assert payload["event"] == {
        "id": to_global_id("Event", event.pk),
        "capacity": 1,
        "attendeeCount": 1,
        "waitlistCount": 1,
        "viewerRsvp": "INTERESTED",
        "viewerWaitlistPosition": None,
    }
    assert Rsvp.objects.get(user=dana).status == "INTERESTED"


@pytest.mark.parametrize("status", [Event.Status.CANCELLED, Event.Status.DRAFT])
def test_rsvps_are_only_for_announced_events(gql, event_factory, user_factory, status):
    event = event_factory(status=status)

    result = gql(
        RSVP, {"event": to_global_id("Event", event.pk), "status": "GOING"}, user=user_factory()
    )["data"]["rsvpSet"]

    expected = "NOT_FOUND" if status == Event.Status.DRAFT else "EVENT_NOT_OPEN"
    assert result["errors"][0]["code"] == expected
    # A cancelled event is public, and comes with the refusal; a draft is no one's to see here.
    if status == Event.Status.DRAFT:
        assert result["event"] is None
    else:
        assert result["event"] == {"attendeeCount": 0, "viewerRsvp": "NONE"}
    assert Rsvp.objects.count() == 0


def test_a_draft_is_never_shown_with_a_refusal_even_to_its_office(
    gql, event_factory, office_factory
):
    # Given an office's draft, which its editors may read elsewhere
    office = office_factory()
    draft = event_factory(office=office, host_city=office.city, status=Event.Status.DRAFT)
    editor = MembershipFactory(office=office, role=OfficeMembership.Role.EDITOR).user

    result = gql(FULL_EVENT, {"event": to_global_id("Event", draft.pk)}, user=editor)

    # Then an RSVP to it names nothing, as before, and shows nothing of it
    payload = result["data"]["rsvpSet"]
    assert ([e["code"] for e in payload["errors"]], payload["event"]) == (["NOT_FOUND"], None)


def test_rsvps_close_when_the_event_has_ended(gql, event_factory, user_factory):
    past = timezone.now() - datetime.timedelta(days=1)
    event = event_factory(starts_at=past, ends_at=past + datetime.timedelta(hours=1))

    assert rsvp(gql, user_factory(), event, "GOING")["errors"][0]["code"] == "EVENT_NOT_OPEN"


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_never_overbook(live_server, event_factory, user_factory):
    capacity, people = 5, 24
    event = event_factory(capacity=capacity)
    tokens = [bearer_for(user_factory()) for _ in range(people)]
    start = threading.Barrier(people)
    outcomes = []

    def go(token):
        body = json.dumps(
            {
                "query": RSVP,
                "variables": {"event": to_global_id("Event", event.pk), "status": "GOING"},
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 (the live server on loopback)
            f"{live_server.url}/graphql/",
            data=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        start.wait()
        # The live server's listen queue is short: a connection it reset under the burst is
        # sent again, as an app would (setting the same RSVP twice is the same RSVP).
        for attempt in range(5):
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                    outcomes.append(json.load(response)["data"]["rsvpSet"]["errors"])
                    return
            except urllib.error.HTTPError:
                raise  # an answer, not a reset: the test reads it as it is
            except (ConnectionResetError, urllib.error.URLError):
                if attempt == 4:
                    raise

    threads = [threading.Thread(target=go, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert connection.vendor == "postgresql"
    assert len(outcomes) == people
    assert sum(1 for errors in outcomes if errors == []) == capacity
    assert all(errors[0]["code"] == "EVENT_FULL" for errors in outcomes if errors)
    event.refresh_from_db()
    assert event.attendee_count == capacity
    assert Rsvp.objects.filter(event=event, status=Rsvp.Status.GOING).count() == capacity


def test_follows_and_unfollows_show_in_me_and_are_safe_to_repeat(
    gql, user_factory, twinning_factory
):
    user = user_factory()
    pair = twinning_factory(city_a__name_en="Aktau", city_b__name_en="Karachi")
    city_id = to_global_id("City", pair.city_a.pk)
    pair_id = to_global_id("Twinning", pair.pk)
    follow_city = "mutation($id: ID!) { cityFollow(city: $id) { errors { code } } }"
    follow_pair = "mutation($id: ID!) { twinningFollow(twinning: $id) { errors { code } } }"

    for _ in range(2):
        gql(follow_city, {"id": city_id}, user=user)
        gql(follow_pair, {"id": pair_id}, user=user)
    me = gql(ME, user=user)["data"]["me"]
    gql(
        "mutation($id: ID!) { cityUnfollow(city: $id) { errors { code } } }",
        {"id": city_id},
        user=user,
    )
    after = gql(ME, user=user)["data"]["me"]

    assert me["followedCities"] == [{"name": "Aktau"}]
    assert me["followedTwinnings"] == [{"cityA": {"name": "Aktau"}, "cityB": {"name": "Karachi"}}]
    assert after["followedCities"] == []
    assert after["followedTwinnings"] == me["followedTwinnings"]


def test_me_shows_profile_rsvps_roles_and_a_private_calendar_url(
    gql, user_factory, event_factory, office_factory
):
    from tests.factories import MembershipFactory

    user = user_factory(email="amina@example.org")
    office = office_factory(name_en="Aktau akimat")
    MembershipFactory(user=user, office=office, role="PUBLISHER")
    event = event_factory(title_en="Port days")
    rsvp(gql, user, event, "GOING")

    me = gql(ME, user=user)["data"]["me"]

    assert me["email"] == "amina@example.org"
    assert (me["language"], me["timeZone"]) == ("en", "UTC")
    assert me["rsvps"] == [{"status": "GOING", "event": {"title": "Port days"}}]
    assert me["memberships"] == [{"role": "PUBLISHER", "office": {"name": "Aktau akimat"}}]
    assert me["calendarUrl"] == f"http://testserver/calendar/{user.calendar_token}.ics"


def test_preferences_change_only_what_is_given(gql, user_factory):
    user = user_factory()

    first = gql(
        PREFERENCES,
        {
            "language": "ur",
            "muted": ["SPORTS", "BUSINESS"],
            "quiet": {"start": "22:00:00", "end": "07:00:00"},
        },
        user=user,
    )["data"]["preferencesUpdate"]
    second = gql(PREFERENCES, {"timeZone": "Asia/Karachi"}, user=user)["data"]["preferencesUpdate"]
    cleared = gql(PREFERENCES, {"quiet": None}, user=user)["data"]["preferencesUpdate"]

    assert first["errors"] == []
    assert second["viewer"] == {
        "language": "ur",
        "timeZone": "Asia/Karachi",
        "preferences": {
            "mutedCategories": ["BUSINESS", "SPORTS"],
            "quietHours": {"start": "22:00:00", "end": "07:00:00"},
        },
    }
    assert cleared["viewer"]["preferences"]["quietHours"] is None


@pytest.mark.parametrize(
    ("variables", "field", "code"),
    [
        ({"language": "fr"}, "language", "UNSUPPORTED_LANGUAGE"),
        ({"timeZone": "Asia/Atlantis"}, "timeZone", "INVALID_TIME_ZONE"),
        ({"quiet": {"start": "22:00:00", "end": "22:00:00"}}, "quietHours", "INVALID_QUIET_HOURS"),
        ({"language": "ur", "timeZone": "nowhere"}, "timeZone", "INVALID_TIME_ZONE"),
    ],
)
def test_bad_preferences_are_refused_and_change_nothing(gql, user_factory, variables, field, code):
    user = user_factory()

    result = gql(PREFERENCES, variables, user=user)["data"]["preferencesUpdate"]

    assert (field, code) in [(e["field"], e["code"]) for e in result["errors"]]
    user.refresh_from_db()
    assert (user.language, user.time_zone, user.quiet_hours_start) == ("en", "UTC", None)


def test_rotating_the_calendar_token_changes_the_url(gql, user_factory):
    user = user_factory()
    before = gql(ME, user=user)["data"]["me"]["calendarUrl"]

    rotated = gql(
        "mutation { calendarTokenRotate { viewer { calendarUrl } errors { code } } }", user=user
    )["data"]["calendarTokenRotate"]

    assert rotated["errors"] == []
    assert rotated["viewer"]["calendarUrl"] != before
