"""Dates and times through the API: every one a client gives is checked against the window the
system holds (a payload error in mutations, a coded error in queries, never a 500, nothing
written), and every instant comes back in one form, UTC, whether from a mutation's payload or
a read."""

import datetime
import json

import pytest
from django.utils import timezone
from graphql import GraphQLInputObjectType, GraphQLList, GraphQLNonNull
from graphql_relay import to_global_id

from cities.models import OfficeMembership
from core.validators import INSTANTS
from events.models import Announcement, Event, StateChange
from notifications.models import Notification
from schema.schema import schema
from tests.conftest import bearer_for
from tests.factories import AnnouncementFactory, EventFactory, MembershipFactory
from tests.schema.test_publishing import valid_input

ERRORS = "errors { field code message }"
CREATE = f"""
mutation($input: EventCreateInput!) {{
  eventCreate(input: $input) {{ event {{ id startsAt endsAt localStartsAt localEndsAt }} {ERRORS} }}
}}
"""
UPDATE = f"""
mutation($id: ID!, $input: EventUpdateInput!) {{
  eventUpdate(id: $id, input: $input) {{
    event {{ id startsAt endsAt localStartsAt localEndsAt }} {ERRORS}
  }}
}}
"""
POSTPONE = f"""
mutation($id: ID!, $s: DateTime!, $e: DateTime!) {{
  eventPostpone(id: $id, newStartsAt: $s, newEndsAt: $e) {{
    event {{ id startsAt endsAt localStartsAt localEndsAt }} {ERRORS}
  }}
}}
"""
ANNOUNCE = f"mutation($id: ID!) {{ eventAnnounce(id: $id) {{ event {{ status }} {ERRORS} }} }}"
READ = """
query($id: ID!) {
  event(id: $id) {
    startsAt endsAt localStartsAt localEndsAt
    history { details changes { field before after } }
  }
}
"""
EVENTS = "query($filter: EventFilterInput) { events(filter: $filter) { totalCount } }"
PREFERENCES = f"""
mutation($quiet: QuietHoursInput) {{
  preferencesUpdate(quietHours: $quiet) {{ viewer {{ id }} {ERRORS} }}
}}
"""

# Python's extremes at the widest offsets, whose UTC lies in year 10000 and in year 0; then
# years Python holds but the window does not.
OUT_OF_WINDOW = [
    "9999-12-31T23:59:00-14:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59.999999+00:00",
    "0001-01-01T00:00:00+00:00",
    "1999-12-31T23:59:59+00:00",
    "2000-01-01T04:59:00+05:00",
    "2100-01-01T00:00:00+00:00",
    "2099-12-31T15:00:00-10:00",
]
# Strings a DateTime argument may be sent that no date parser should answer with a 500.
ODD = [
    *OUT_OF_WINDOW,
    "9999-12-31T24:00:00Z",
    "9999-12-31T23:59:59.999999-23:59",
    "0001-01-01T00:00:00+23:59",
    "0000-01-01T00:00:00Z",
    "+10000-01-01T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "99999999999999999999-01-01",
    "2026-02-30T10:00:00Z",
    "2026-01-01T00:00:00+24:00",
    "2026-01-01T00:00:00Z[Asia/Almaty]",
    "2026-W53-7T24:00Z",
    "2026-05-04",
    "2026-05-04T19:00:00",
    "",
    "now",
]


@pytest.fixture
def publisher(office):
    return MembershipFactory(office=office, role=OfficeMembership.Role.PUBLISHER).user


@pytest.fixture
def event(event_factory, office):
    return event_factory(office=office, host_city=office.city, timezone="Asia/Aqtau")


def gid(event) -> str:
    return to_global_id("Event", event.pk)


def later(days: int, hours: int = 0, zone: datetime.tzinfo = datetime.UTC) -> str:
    moment = timezone.now().replace(microsecond=0) + datetime.timedelta(days=days, hours=hours)
    return moment.astimezone(zone).isoformat()


def payload_errors(result, name):
    assert "errors" not in result, result
    return result["data"][name]["errors"]


# --- Mutations: a payload error on the field, and nothing written --------------------------


@pytest.mark.parametrize("moment", OUT_OF_WINDOW)
@pytest.mark.parametrize("field", ["startsAt", "endsAt"])
def test_create_refuses_a_time_outside_the_window(gql, office, publisher, moment, field):
    data = valid_input(office, **{field: moment})

    errors = payload_errors(gql(CREATE, {"input": data}, user=publisher), "eventCreate")

    assert [(e["field"], e["code"]) for e in errors] == [(field, "DATE_OUT_OF_RANGE")]
    assert "2000-01-01T00:00:00Z" in errors[0]["message"]
    assert not Event.objects.exists()
    assert not StateChange.objects.exists()


def test_create_refuses_a_time_without_its_offset(gql, office, publisher):
    data = valid_input(office, startsAt="2031-05-04T19:00:00")

    errors = payload_errors(gql(CREATE, {"input": data}, user=publisher), "eventCreate")

    assert [(e["field"], e["code"]) for e in errors] == [("startsAt", "NAIVE_DATETIME")]
    assert not Event.objects.exists()


def test_the_edges_of_the_window_are_inside_it(gql, office, publisher):
    data = valid_input(
        office, startsAt="2000-01-01T05:00:00+05:00", endsAt="2099-12-31T23:59:59.999999Z"
    )

    created = gql(CREATE, {"input": data}, user=publisher)["data"]["eventCreate"]

    assert created["errors"] == []
    assert created["event"]["startsAt"] == "2000-01-01T00:00:00+00:00"


@pytest.mark.parametrize("moment", OUT_OF_WINDOW[:4])
def test_update_refuses_a_time_outside_the_window(gql, event, publisher, moment):
    before = (event.starts_at, event.ends_at)

    result = gql(UPDATE, {"id": gid(event), "input": {"endsAt": moment}}, user=publisher)

    errors = payload_errors(result, "eventUpdate")
    assert [(e["field"], e["code"]) for e in errors] == [("endsAt", "DATE_OUT_OF_RANGE")]
    event.refresh_from_db()
    assert (event.starts_at, event.ends_at) == before
    assert not StateChange.objects.exists()


@pytest.mark.parametrize(
    ("starts", "ends", "fields"),
    [
        ("9999-12-31T23:59:00-14:00", "9999-12-31T23:59:00-14:00", ["newStartsAt", "newEndsAt"]),
        ("2099-12-31T00:00:00Z", "2100-01-01T14:00:00+14:00", ["newEndsAt"]),
        ("0001-01-01T00:00:00+14:00", None, ["newStartsAt"]),
    ],
)
def test_postpone_refuses_a_time_outside_the_window(gql, event, publisher, starts, ends, fields):
    before = (event.starts_at, event.ends_at, event.status)

    variables = {"id": gid(event), "s": starts, "e": ends or later(30)}
    errors = payload_errors(gql(POSTPONE, variables, user=publisher), "eventPostpone")

    assert [(e["field"], e["code"]) for e in errors] == [
        (field, "DATE_OUT_OF_RANGE") for field in fields
    ]
    event.refresh_from_db()
    assert (event.starts_at, event.ends_at, event.status) == before
    assert not Notification.objects.exists()
    assert not StateChange.objects.exists()


# --- Queries: a coded error naming the argument ----------------------------------------------


@pytest.mark.parametrize("moment", OUT_OF_WINDOW)
@pytest.mark.parametrize("name", ["startsAfter", "startsBefore"])
def test_a_filter_time_outside_the_window_is_a_coded_error(gql, db, moment, name):
    result = gql(EVENTS, {"filter": {name: moment}})

    (error,) = result["errors"]
    assert error["extensions"] == {"code": "DATE_OUT_OF_RANGE", "field": f"filter.{name}"}
    assert "2000-01-01T00:00:00Z" in error["message"]


def test_a_filter_time_without_its_offset_is_a_coded_error(gql, db):
    result = gql(EVENTS, {"filter": {"startsAfter": "2031-05-04T19:00:00"}})

    (error,) = result["errors"]
    assert error["extensions"] == {"code": "NAIVE_DATETIME", "field": "filter.startsAfter"}


def test_filter_times_in_any_offset_select_the_same_events(gql, event_factory):
    event_factory(starts_at=datetime.datetime(2031, 5, 4, 14, tzinfo=datetime.UTC))

    def count(after: str) -> int:
        return gql(EVENTS, {"filter": {"startsAfter": after}})["data"]["events"]["totalCount"]

    assert count("2031-05-04T19:00:00+05:00") == count("2031-05-04T14:00:00Z") == 1
    assert count("2031-05-04T19:00:01+05:00") == 0


# --- Every date and time argument of the schema, with odd strings ----------------------------


def _named(type_):
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def _inputs(type_, path: str, seen: frozenset = frozenset()):
    named = _named(type_)
    if isinstance(named, GraphQLInputObjectType) and named.name not in seen:
        for name, field in named.fields.items():
            yield from _inputs(field.type, f"{path}.{name}", seen | {named.name})
    else:
        yield path, named.name


def time_arguments() -> set[str]:
    """Every place in the schema where a client gives a date or a time."""
    found = set()
    graphql_schema = schema.graphql_schema
    roots = [graphql_schema.query_type, graphql_schema.mutation_type]
    roots.append(graphql_schema.subscription_type)
    for kind in graphql_schema.type_map.values():
        for field_name, field in getattr(kind, "fields", {}).items():
            for arg_name, arg in getattr(field, "args", {}).items():
                for path, type_name in _inputs(arg.type, f"{kind.name}.{field_name}.{arg_name}"):
                    if type_name in ("DateTime", "Date", "Time"):
                        found.add(path)
    return found


def create_with(office, path, value):
    return CREATE, {"input": valid_input(office, **{path.rsplit(".", 1)[1]: value})}


def update_with(event, path, value):
    return UPDATE, {"id": gid(event), "input": {path.rsplit(".", 1)[1]: value}}


def postpone_with(event, path, value):
    variables = {"id": gid(event), "s": later(20), "e": later(20, 2)}
    variables["s" if path.endswith("newStartsAt") else "e"] = value
    return POSTPONE, variables


ANNOUNCE_AT = f"""
mutation($id: ID!, $at: DateTime) {{
  eventAnnounce(id: $id, at: $at) {{ event {{ status }} {ERRORS} }}
}}
"""
NEWS_CREATE = f"""
mutation($input: AnnouncementCreateInput!) {{
  announcementCreate(input: $input) {{ announcement {{ id }} {ERRORS} }}
}}
"""
NEWS_UPDATE = f"""
mutation($id: ID!, $at: DateTime) {{
  announcementUpdate(id: $id, input: {{publishAt: $at}}) {{ announcement {{ id }} {ERRORS} }}
}}
"""


def announce_at_with(event, path, value):
    draft = EventFactory(
        office=event.office, host_city=event.host_city, status=Event.Status.DRAFT, announced_at=None
    )
    return ANNOUNCE_AT, {"id": gid(draft), "at": value}


def news_create_with(event, path, value):
    news = {"office": to_global_id("CityOffice", event.office_id), "publishAt": value}
    news.update(title={"en": "Roads closed"}, body={"en": "For the marathon."})
    return NEWS_CREATE, {"input": news}


def news_update_with(event, path, value):
    scheduled = AnnouncementFactory(office=event.office, published_at=None, publish_at=later(1))
    return NEWS_UPDATE, {"id": to_global_id("Announcement", scheduled.pk), "at": value}


def filter_with(event, path, value):
    return EVENTS, {"filter": {path.rsplit(".", 1)[1]: value}}


def quiet_hours_with(event, path, value):
    quiet = {"start": "22:00:00", "end": "07:00:00"}
    quiet[path.rsplit(".", 1)[1]] = value
    return PREFERENCES, {"quiet": quiet}


# Each date or time argument, and how to send it a value. A new one must be added here, and so
# be checked against the window, before this module passes.
TIME_ARGUMENTS = {
    "Mutation.eventCreate.input.startsAt": lambda event, path, v: create_with(
        event.office, path, v
    ),
    "Mutation.eventCreate.input.endsAt": lambda event, path, v: create_with(event.office, path, v),
    "Mutation.eventUpdate.input.startsAt": update_with,
    "Mutation.eventUpdate.input.endsAt": update_with,
    "Mutation.eventPostpone.newStartsAt": postpone_with,
    "Mutation.eventPostpone.newEndsAt": postpone_with,
    "Mutation.eventAnnounce.at": announce_at_with,
    "Mutation.announcementCreate.input.publishAt": news_create_with,
    "Mutation.announcementUpdate.input.publishAt": news_update_with,
    "Query.events.filter.startsAfter": filter_with,
    "Query.events.filter.startsBefore": filter_with,
    "Mutation.preferencesUpdate.quietHours.start": quiet_hours_with,
    "Mutation.preferencesUpdate.quietHours.end": quiet_hours_with,
}


def test_every_date_and_time_argument_of_the_schema_is_checked_here():
    assert time_arguments() == set(TIME_ARGUMENTS)


@pytest.mark.parametrize("path", sorted(TIME_ARGUMENTS))
def test_no_date_or_time_argument_answers_a_server_error(client, event, publisher, path):
    """A coded error or an answer, never INTERNAL_SERVER_ERROR, and no time outside the
    window stored."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {bearer_for(publisher)}"}
    for value in [*ODD, "22:00:00+05:00", "24:00:00", "23:59:60"]:
        document, variables = TIME_ARGUMENTS[path](event, path, value)
        response = client.post(
            "/graphql/",
            json.dumps({"query": document, "variables": variables}),
            content_type="application/json",
            **headers,
        )
        assert response.status_code in (200, 400), (value, response.content)
        assert b"INTERNAL_SERVER_ERROR" not in response.content, (value, response.content)
    for starts_at, ends_at in Event.objects.values_list("starts_at", "ends_at"):
        assert INSTANTS.holds(starts_at) and INSTANTS.holds(ends_at)
    for announce_at in Event.objects.exclude(announce_at=None).values_list(
        "announce_at", flat=True
    ):
        assert INSTANTS.holds(announce_at)
    for publish_at in Announcement.objects.exclude(publish_at=None).values_list(
        "publish_at", flat=True
    ):
        assert INSTANTS.holds(publish_at)


def test_quiet_hours_with_an_offset_are_refused_and_nothing_changes(gql, user_factory):
    ada = user_factory(time_zone="Asia/Almaty")

    result = gql(PREFERENCES, {"quiet": {"start": "22:00:00+05:00", "end": "07:00:00"}}, user=ada)

    errors = payload_errors(result, "preferencesUpdate")
    assert [(e["field"], e["code"]) for e in errors] == [("quietHours", "INVALID_QUIET_HOURS")]
    ada.refresh_from_db()
    assert (ada.quiet_hours_start, ada.quiet_hours_end) == (None, None)


# --- One form of instants: UTC in payloads and reads alike ---------------------------------

KARACHI = datetime.timezone(datetime.timedelta(hours=5))


def times(event: dict) -> tuple:
    return event["startsAt"], event["endsAt"], event["localStartsAt"], event["localEndsAt"]


def assert_utc(value: str) -> None:
    assert value.endswith("+00:00"), value


def test_create_update_and_postpone_answer_times_as_reads_do(gql, office, publisher):
    """Given in Karachi's offset (+05:00) for a venue in Aktau: the payloads give UTC, as the
    reads do, and local times in Aktau's offset (+05:00 too, but its own)."""
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=10)
    hour = datetime.timedelta(hours=1)

    def karachi(moment: datetime.datetime) -> str:
        return moment.astimezone(KARACHI).isoformat()

    def read(event_id: str) -> dict:
        return gql(READ, {"id": event_id}, user=publisher)["data"]["event"]

    data = valid_input(office, startsAt=karachi(start), endsAt=karachi(start + 3 * hour))
    created = gql(CREATE, {"input": data}, user=publisher)["data"]["eventCreate"]["event"]
    event_id = created["id"]
    assert times(created) == times(read(event_id))
    assert created["startsAt"] == start.astimezone(datetime.UTC).isoformat()

    changes = {"startsAt": karachi(start + 24 * hour), "endsAt": karachi(start + 26 * hour)}
    updated = gql(UPDATE, {"id": event_id, "input": changes}, user=publisher)["data"]
    assert times(updated["eventUpdate"]["event"]) == times(read(event_id))

    assert gql(ANNOUNCE, {"id": event_id}, user=publisher)["data"]["eventAnnounce"]["errors"] == []
    new = {"s": karachi(start + 48 * hour), "e": karachi(start + 52 * hour)}
    postponed = gql(POSTPONE, {"id": event_id, **new}, user=publisher)["data"]
    postponed = postponed["eventPostpone"]["event"]
    after = read(event_id)
    assert times(postponed) == times(after)

    assert postponed["startsAt"] == (start + 48 * hour).astimezone(datetime.UTC).isoformat()
    for value in times(postponed)[:2]:
        assert_utc(value)
    for value in times(postponed)[2:]:
        assert value.endswith("+05:00")  # Asia/Aqtau's own offset
    # The history records the old and new times in the same form, as it stores them and as
    # it answers them.
    recorded = [json.loads(change["details"]) for change in after["history"]]
    stored = [
        value
        for details in recorded
        for item in details.get("changes", [])
        if item["field"] in ("starts_at", "ends_at")
        for value in (item["before"], item["after"])
        if value is not None
    ]
    answered = [
        value
        for change in after["history"]
        for item in change["changes"]
        if item["field"] in ("startsAt", "endsAt")
        for value in (item["before"], item["after"])
        if value is not None
    ]
    # (two at creation, four for the edit, four for the postponement)
    assert len(stored) == len(answered) == 10
    for value in [*stored, *answered]:
        assert_utc(value)
