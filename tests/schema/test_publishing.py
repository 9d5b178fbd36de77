"""Publishing through the API: validation codes, the lifecycle of an event, history, drafts
visible to their offices only, co-hosting."""

import datetime
import json

import pytest
from django.utils import timezone
from graphql_relay import to_global_id

from cities.models import OfficeMembership
from events.models import Announcement, Event, StateChange
from tests.factories import MembershipFactory

Role = OfficeMembership.Role
ERRORS = "errors { field code message }"

CREATE = f"""
mutation($input: EventCreateInput!) {{
  eventCreate(input: $input) {{ event {{ id status title localStartsAt }} {ERRORS} }}
}}
"""
UPDATE = f"""
mutation($id: ID!, $input: EventUpdateInput!) {{
  eventUpdate(id: $id, input: $input) {{ event {{ id venueName capacity }} {ERRORS} }}
}}
"""
ANNOUNCE = f"mutation($id: ID!) {{ eventAnnounce(id: $id) {{ event {{ status }} {ERRORS} }} }}"
CANCEL = f"""
mutation($id: ID!) {{
  eventCancel(id: $id, reason: "Storm") {{ event {{ status cancellationReason }} {ERRORS} }}
}}
"""
DELETE = f"mutation($id: ID!) {{ eventDelete(id: $id) {{ deletedId {ERRORS} }} }}"
POSTPONE = f"""
mutation($id: ID!, $s: DateTime!, $e: DateTime!) {{
  eventPostpone(id: $id, newStartsAt: $s, newEndsAt: $e) {{
    event {{ status startsAt }} {ERRORS}
  }}
}}
"""
EVENT = """
query($id: ID!) {
  event(id: $id) {
    status
    history { action fromStatus toStatus actorName details changes { field before after } }
  }
}
"""


def later(days=10, hours=0):
    return timezone.now() + datetime.timedelta(days=days, hours=hours)


def valid_input(office, **overrides):
    start = later()
    data = {
        "office": to_global_id("CityOffice", office.pk),
        "title": {"en": "Caspian jazz night", "kk": "Каспий джаз кеші"},
        "category": "CULTURAL",
        "startsAt": start.isoformat(),
        "endsAt": (start + datetime.timedelta(hours=3)).isoformat(),
        "timeZone": "Asia/Aqtau",
        "venueName": "Seaside stage",
        "latitude": 43.65,
        "longitude": 51.16,
    }
    data.update(overrides)
    return data


def payload(result, name):
    assert "errors" not in result, result
    return result["data"][name]


def test_an_editor_creates_a_draft_that_only_its_office_can_see(gql, office, editor, user_factory):
    created = payload(gql(CREATE, {"input": valid_input(office)}, user=editor), "eventCreate")

    assert created["errors"] == []
    assert created["event"]["status"] == "DRAFT"
    event_id = created["event"]["id"]
    assert gql(EVENT, {"id": event_id}, user=editor)["data"]["event"]["status"] == "DRAFT"
    assert gql(EVENT, {"id": event_id})["data"]["event"] is None
    assert gql(EVENT, {"id": event_id}, user=user_factory())["data"]["event"] is None
    listed = gql("query { events(filter: {includeDrafts: true}) { totalCount } }", user=editor)[
        "data"
    ]["events"]
    assert listed["totalCount"] == 1
    assert (
        gql("query { events(filter: {includeDrafts: true}) { totalCount } }")["data"]["events"][
            "totalCount"
        ]
        == 0
    )


def test_the_lifecycle_is_recorded_in_the_history(gql, office, editor, publisher):
    event_id = payload(gql(CREATE, {"input": valid_input(office)}, user=editor), "eventCreate")[
        "event"
    ]["id"]
    gql(UPDATE, {"id": event_id, "input": {"venueName": "Old port hall"}}, user=editor)
    gql(ANNOUNCE, {"id": event_id}, user=publisher)
    gql(ANNOUNCE, {"id": event_id}, user=publisher)  # again: changes nothing
    gql(
        POSTPONE,
        {"id": event_id, "s": later(20).isoformat(), "e": later(20, 2).isoformat()},
        user=publisher,
    )
    cancelled = payload(gql(CANCEL, {"id": event_id}, user=publisher), "eventCancel")

    assert cancelled["event"] == {"status": "CANCELLED", "cancellationReason": "Storm"}
    history = gql(EVENT, {"id": event_id}, user=editor)["data"]["event"]["history"]
    assert [(h["action"], h["fromStatus"], h["toStatus"]) for h in history] == [
        ("CREATED", "", "DRAFT"),
        ("UPDATED", "DRAFT", "DRAFT"),
        ("ANNOUNCED", "DRAFT", "ANNOUNCED"),
        ("POSTPONED", "ANNOUNCED", "POSTPONED"),
        ("CANCELLED", "POSTPONED", "CANCELLED"),
    ]
    assert history[0]["actorName"] == str(editor)
    assert history[2]["actorName"] == str(publisher)
    assert json.loads(history[1]["details"])["fields"] == ["venue_name"]
    assert history[1]["changes"] == [
        {"field": "venueName", "before": "Seaside stage", "after": "Old port hall"}
    ]
    assert history[4]["changes"] == [
        {"field": "status", "before": "POSTPONED", "after": "CANCELLED"},
        {"field": "cancellationReason", "before": None, "after": "Storm"},
    ]


def test_history_is_for_the_offices_only(gql, event_factory, user_factory):
    event = event_factory()

    result = gql(EVENT, {"id": to_global_id("Event", event.pk)}, user=user_factory())

    assert result["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert result["errors"][0]["path"] == ["event", "history"]


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"endsAt": later(9).isoformat()}, "endsAt", "END_BEFORE_START"),
        ({"timeZone": "Mars/Olympus"}, "timeZone", "INVALID_TIME_ZONE"),
        ({"timeZone": "+05:00"}, "timeZone", "INVALID_TIME_ZONE"),
        ({"latitude": 91.0}, "latitude", "INVALID_COORDINATES"),
        ({"longitude": -180.5}, "longitude", "INVALID_COORDINATES"),
        ({"latitude": None}, "latitude", "INVALID_COORDINATES"),
        ({"title": {"en": "x" * 201}}, "title.en", "TOO_LONG"),
        ({"title": {"ru": "Только по-русски"}}, "title.en", "REQUIRED"),
        ({"venueName": "   "}, "venueName", "REQUIRED"),
        ({"capacity": 0}, "capacity", "OUT_OF_RANGE"),
        ({"startsAt": "2031-05-04T19:00:00"}, "startsAt", "NAIVE_DATETIME"),
        ({"imageUrl": "not a url"}, "imageUrl", "INVALID"),
        ({"twinning": to_global_id("Twinning", 999999)}, "twinning", "NOT_FOUND"),
        ({"twinning": "garbage"}, "twinning", "NOT_FOUND"),
    ],
)
def test_invalid_input_is_refused_with_a_code_and_writes_nothing(
    gql, office, editor, overrides, field, code
):
    result = gql(CREATE, {"input": valid_input(office, **overrides)}, user=editor)

    body = payload(result, "eventCreate")
    assert body["event"] is None
    assert {"field": field, "code": code} in [
        {"field": e["field"], "code": e["code"]} for e in body["errors"]
    ], body["errors"]
    assert Event.objects.count() == 0
    assert StateChange.objects.count() == 0


def test_an_unknown_office_is_not_found(gql, office, editor):
    unknown = {**valid_input(office), "office": to_global_id("CityOffice", 424242)}

    result = gql(CREATE, {"input": unknown}, user=editor)

    assert payload(result, "eventCreate")["errors"] == [
        {"field": "office", "code": "NOT_FOUND", "message": "Nothing with this ID."}
    ]


def test_a_twinning_of_another_city_is_refused(gql, office, editor, twinning_factory):
    elsewhere = twinning_factory()

    result = gql(
        CREATE,
        {"input": valid_input(office, twinning=to_global_id("Twinning", elsewhere.pk))},
        user=editor,
    )

    assert payload(result, "eventCreate")["errors"][0]["code"] == "TWINNING_MISMATCH"


def test_an_ended_event_cannot_be_announced(gql, office, publisher, event_factory):
    past = timezone.now() - datetime.timedelta(days=2)
    event = event_factory(
        office=office,
        host_city=office.city,
        status=Event.Status.DRAFT,
        starts_at=past,
        ends_at=past + datetime.timedelta(hours=2),
    )

    body = payload(
        gql(ANNOUNCE, {"id": to_global_id("Event", event.pk)}, user=publisher), "eventAnnounce"
    )

    assert body["errors"][0]["code"] == "EVENT_ENDED"
    event.refresh_from_db()
    assert event.status == Event.Status.DRAFT


def test_a_cancelled_event_cannot_be_edited_or_announced(gql, office, publisher, event_factory):
    event = event_factory(office=office, host_city=office.city, status=Event.Status.CANCELLED)
    event_id = to_global_id("Event", event.pk)

    update = payload(
        gql(UPDATE, {"id": event_id, "input": {"venueName": "X"}}, user=publisher), "eventUpdate"
    )
    announce = payload(gql(ANNOUNCE, {"id": event_id}, user=publisher), "eventAnnounce")

    assert update["errors"][0]["code"] == "EVENT_CANCELLED"
    assert announce["errors"][0]["code"] == "EVENT_CANCELLED"
    event.refresh_from_db()
    assert event.venue_name == "Central Concert Hall"


@pytest.mark.parametrize(
    ("starts", "ends", "field", "code"),
    [
        (-1, 1, "newStartsAt", "POSTPONE_TO_PAST"),
        (5, 4, "newEndsAt", "END_BEFORE_START"),
    ],
)
def test_postponing_needs_future_ordered_dates(
    gql, office, publisher, event_factory, starts, ends, field, code
):
    event = event_factory(office=office, host_city=office.city)
    before = (event.starts_at, event.ends_at)

    body = payload(
        gql(
            POSTPONE,
            {
                "id": to_global_id("Event", event.pk),
                "s": later(starts).isoformat(),
                "e": later(ends).isoformat(),
            },
            user=publisher,
        ),
        "eventPostpone",
    )

    assert [(e["field"], e["code"]) for e in body["errors"]] == [(field, code)]
    event.refresh_from_db()
    assert (event.starts_at, event.ends_at, event.status) == (*before, Event.Status.ANNOUNCED)


def test_only_drafts_are_deleted(gql, office, publisher, event_factory):
    live = event_factory(office=office, host_city=office.city)
    draft = event_factory(office=office, host_city=office.city, status=Event.Status.DRAFT)

    refused = payload(
        gql(DELETE, {"id": to_global_id("Event", live.pk)}, user=publisher), "eventDelete"
    )
    deleted = payload(
        gql(DELETE, {"id": to_global_id("Event", draft.pk)}, user=publisher), "eventDelete"
    )

    assert refused["errors"][0]["code"] == "NOT_A_DRAFT"
    assert deleted == {"deletedId": to_global_id("Event", draft.pk), "errors": []}
    assert list(Event.objects.all()) == [live]
    # The deleted draft's record outlives it.
    record = StateChange.objects.get(action=StateChange.Action.DELETED)
    assert (record.event, record.subject_title) == (None, draft.title_en)


def test_update_clears_optional_fields_with_null_and_leaves_the_rest(
    gql, office, publisher, event_factory
):
    event = event_factory(
        office=office, host_city=office.city, capacity=50, status=Event.Status.DRAFT
    )

    body = payload(
        gql(
            UPDATE,
            {"id": to_global_id("Event", event.pk), "input": {"capacity": None}},
            user=publisher,
        ),
        "eventUpdate",
    )

    assert body == {
        "event": {
            "id": to_global_id("Event", event.pk),
            "venueName": "Central Concert Hall",
            "capacity": None,
        },
        "errors": [],
    }


COHOST_INVITE = f"""
mutation($id: ID!, $office: ID!) {{
  eventCohostInvite(id: $id, office: $office) {{ cohost {{ status }} {ERRORS} }}
}}
"""
COHOST_ACCEPT = f"""
mutation($id: ID!) {{
  eventCohostAccept(id: $id) {{ cohost {{ status office {{ name }} }} {ERRORS} }}
}}
"""


def test_a_partner_office_co_hosts_after_accepting(
    gql, office, publisher, twinning_factory, office_factory, event_factory
):
    pair = twinning_factory(city_a=office.city)
    partner_office = office_factory(city=pair.city_b, name_en="Karachi office")
    partner = MembershipFactory(office=partner_office, role=Role.PUBLISHER).user
    event = event_factory(
        office=office, host_city=office.city, twinning=pair, status=Event.Status.DRAFT
    )
    event_id = to_global_id("Event", event.pk)
    partner_office_id = to_global_id("CityOffice", partner_office.pk)

    # Before accepting, the partner may not edit.
    assert (
        gql(UPDATE, {"id": event_id, "input": {"venueName": "Pier"}}, user=partner)["errors"][0][
            "extensions"
        ]["code"]
        == "PERMISSION_DENIED"
    )
    invited = payload(
        gql(COHOST_INVITE, {"id": event_id, "office": partner_office_id}, user=publisher),
        "eventCohostInvite",
    )
    accepted = payload(gql(COHOST_ACCEPT, {"id": event_id}, user=partner), "eventCohostAccept")
    edited = payload(
        gql(UPDATE, {"id": event_id, "input": {"venueName": "Pier"}}, user=partner), "eventUpdate"
    )
    announced = payload(gql(ANNOUNCE, {"id": event_id}, user=partner), "eventAnnounce")

    assert invited["cohost"] == {"status": "INVITED"}
    assert accepted["cohost"] == {"status": "ACCEPTED", "office": {"name": "Karachi office"}}
    assert edited["event"]["venueName"] == "Pier"
    assert announced["event"]["status"] == "ANNOUNCED"


def test_only_the_partner_citys_office_can_be_invited(
    gql, office, publisher, twinning_factory, office_factory, event_factory
):
    pair = twinning_factory(city_a=office.city)
    stranger = office_factory()
    event = event_factory(office=office, host_city=office.city, twinning=pair)
    solo = event_factory(office=office, host_city=office.city)

    wrong_city = payload(
        gql(
            COHOST_INVITE,
            {
                "id": to_global_id("Event", event.pk),
                "office": to_global_id("CityOffice", stranger.pk),
            },
            user=publisher,
        ),
        "eventCohostInvite",
    )
    no_pair = payload(
        gql(
            COHOST_INVITE,
            {
                "id": to_global_id("Event", solo.pk),
                "office": to_global_id("CityOffice", stranger.pk),
            },
            user=publisher,
        ),
        "eventCohostInvite",
    )

    assert [(e["field"], e["code"]) for e in wrong_city["errors"]] == [
        ("office", "NOT_PARTNER_OFFICE")
    ]
    assert no_pair["errors"][0]["code"] == "NO_TWINNING"


ANNOUNCEMENT_CREATE = f"""
mutation($input: AnnouncementCreateInput!) {{
  announcementCreate(input: $input) {{
    announcement {{ title publishedAt event {{ id }} }} {ERRORS}
  }}
}}
"""


def test_an_announcement_is_published_at_once_and_can_mention_an_own_event(
    gql, office, publisher, event_factory
):
    event = event_factory(office=office, host_city=office.city)
    other = event_factory()

    ok = payload(
        gql(
            ANNOUNCEMENT_CREATE,
            {
                "input": {
                    "office": to_global_id("CityOffice", office.pk),
                    "title": {"en": "Ferry news"},
                    "body": {"en": "More crossings."},
                    "event": to_global_id("Event", event.pk),
                }
            },
            user=publisher,
        ),
        "announcementCreate",
    )
    refused = payload(
        gql(
            ANNOUNCEMENT_CREATE,
            {
                "input": {
                    "office": to_global_id("CityOffice", office.pk),
                    "title": {"en": "X"},
                    "body": {"en": "Y"},
                    "event": to_global_id("Event", other.pk),
                }
            },
            user=publisher,
        ),
        "announcementCreate",
    )

    assert ok["errors"] == []
    assert ok["announcement"]["event"] == {"id": to_global_id("Event", event.pk)}
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("event", "EVENT_MISMATCH")]
    assert Announcement.objects.count() == 1
