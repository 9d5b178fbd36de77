"""Text arguments, on every field, before any resolver: a NUL character (which PostgreSQL
cannot hold or compare) is INVALID, text over its maximum length TOO_LONG, each naming the
argument's path as the client wrote it."""

import json

import pytest
from graphql_relay import to_global_id

from cities.models import OfficeMembership
from events.models import Event
from tests.conftest import bearer_for
from tests.factories import MembershipFactory

CITIES = "query($search: String) { cities(search: $search) { totalCount } }"
EVENTS = "query($filter: EventFilterInput) { events(filter: $filter) { totalCount } }"
CITY_TWINNINGS = """
query($slug: String) { city(slug: $slug) { name } }
"""
TOKEN_CREATE = """
mutation($email: String!) {
  tokenCreate(email: $email, password: "x") { accessToken errors { field code message } }
}
"""
PREFERENCES = """
mutation($zone: String) {
  preferencesUpdate(timeZone: $zone) { viewer { timeZone } errors { field code message } }
}
"""


@pytest.mark.parametrize(
    ("query", "variables", "field", "path"),
    [
        (CITIES, {"search": "Ak\x00tau"}, "search", "cities"),
        (EVENTS, {"filter": {"search": "\x00"}}, "filter.search", "events"),
        (EVENTS, {"filter": {"country": "K\x00"}}, "filter.country", "events"),
        (CITY_TWINNINGS, {"slug": "aktau-kz\x00"}, "slug", "city"),
        (TOKEN_CREATE, {"email": "office\x00@example.org"}, "email", "tokenCreate"),
    ],
)
def test_a_nul_in_any_text_argument_is_a_coded_error(gql, db, query, variables, field, path):
    result = gql(query, variables)

    (error,) = result["errors"]
    assert error["path"] == [path]
    assert error["extensions"] == {"code": "INVALID", "field": field}
    assert error["message"] == f"{field} must not contain the NUL character."


def test_a_mutation_with_a_nul_writes_nothing(gql, user_factory):
    ada = user_factory(time_zone="Asia/Almaty")

    result = gql(PREFERENCES, {"zone": "Asia/Karachi\x00"}, user=ada)

    assert result["data"] == {"preferencesUpdate": None}
    assert result["errors"][0]["extensions"] == {"code": "INVALID", "field": "timeZone"}
    ada.refresh_from_db()
    assert ada.time_zone == "Asia/Almaty"


def test_text_without_a_nul_is_untouched(gql, city_factory):
    city_factory(name_en="Aktau")

    assert gql(CITIES, {"search": "aktau"})["data"]["cities"]["totalCount"] == 1


# -- Length ---------------------------------------------------------------------------------
EVENT = "query($id: ID!) { event(id: $id) { title } }"
HISTORY = """
query($id: ID!, $before: String) {
  event(id: $id) { chatMessages(before: $before) { edges { cursor } } }
}
"""
CREATE = """
mutation($input: EventCreateInput!) {
  eventCreate(input: $input) { event { id } errors { field code message } }
}
"""
SEND = """
mutation($event: ID!, $body: String!) {
  chatMessageSend(event: $event, body: $body, clientId: "c-1") {
    message { id } errors { field code message }
  }
}
"""


@pytest.fixture
def no_sql(django_assert_num_queries):
    """Asserts that what runs inside sends no SQL at all: refused before any resolver."""
    return lambda: django_assert_num_queries(0)


@pytest.mark.parametrize(
    ("query", "variables", "field", "path", "limit", "code"),
    [
        # Searches: the text drives PostgreSQL's trigram match.
        (CITIES, {"search": "a" * 101}, "search", "cities", 100, "TOO_LONG"),
        (EVENTS, {"filter": {"search": "ж" * 101}}, "filter.search", "events", 100, "TOO_LONG"),
        # IDs (an ID that long is not one: INVALID_ID, as any malformed ID) and slugs.
        (EVENT, {"id": "A" * 257}, "id", "event", 256, "INVALID_ID"),
        (CITY_TWINNINGS, {"slug": "aktau-" * 50}, "slug", "city", 256, "TOO_LONG"),
        (EVENTS, {"filter": {"city": "Q" * 257}}, "filter.city", "events", 256, "INVALID_ID"),
        # Any other text.
        (
            EVENTS,
            {"filter": {"country": "K" * 10_001}},
            "filter.country",
            "events",
            10_000,
            "TOO_LONG",
        ),
        (TOKEN_CREATE, {"email": "a" * 10_001}, "email", "tokenCreate", 10_000, "TOO_LONG"),
    ],
)
def test_text_over_its_limit_is_refused_before_the_resolver(
    gql, db, no_sql, query, variables, field, path, limit, code
):
    with no_sql():
        result = gql(query, variables)

    (error,) = result["errors"]
    assert error["path"] == [path]
    assert error["extensions"] == {"code": code, "field": field}
    given = len(next(iter(_texts(variables))))
    assert error["message"] == f"{field} must be at most {limit:,} characters ({given:,} given)."
    assert result["data"] in (None, {path: None})


def _texts(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)


def test_text_at_its_limit_is_accepted(gql, city_factory):
    city_factory(name_en="Aktau")

    result = gql(CITIES, {"search": "a" * 100})

    assert result == {"data": {"cities": {"totalCount": 0}}}


def test_a_cursor_has_its_own_limit(gql, event_factory, settings):
    settings.GRAPHQL_MAX_CURSOR_LENGTH = 10
    event = event_factory()
    result = gql(HISTORY, {"id": to_global_id("Event", event.pk), "before": "c" * 11})

    (error,) = result["errors"]
    assert error["path"] == ["event", "chatMessages"]
    assert error["extensions"] == {"code": "INVALID_CURSOR", "field": "before"}


def test_each_limit_is_a_setting_read_when_the_request_runs(gql, db, settings):
    settings.GRAPHQL_MAX_SEARCH_LENGTH = 5

    within = gql(CITIES, {"search": "aktau"})
    over = gql(CITIES, {"search": "aktau!"})

    assert within == {"data": {"cities": {"totalCount": 0}}}
    assert over["errors"][0]["extensions"] == {"code": "TOO_LONG", "field": "search"}


def test_text_deep_in_an_input_object_is_named_by_its_path(gql, user_factory, office_factory):

    office = office_factory()
    editor = MembershipFactory(office=office, role=OfficeMembership.Role.EDITOR).user
    event_input = {
        "office": to_global_id("CityOffice", office.pk),
        "title": {"en": "Jazz"},
        "description": {"en": "Music. ", "ru": "М" * 10_001},
        "category": "CULTURAL",
        "startsAt": "2031-05-01T19:00:00+05:00",
        "endsAt": "2031-05-01T22:00:00+05:00",
        "timeZone": "Asia/Aqtau",
        "venueName": "Seaside stage",
    }

    result = gql(CREATE, {"input": event_input}, user=editor)

    (error,) = result["errors"]
    assert error["extensions"] == {"code": "TOO_LONG", "field": "input.description.ru"}
    assert result["data"] == {"eventCreate": None}
    assert not Event.objects.exists()


def test_a_description_of_ten_thousand_characters_in_each_language_is_taken(client, office_factory):
    office = office_factory()
    editor = MembershipFactory(office=office, role=OfficeMembership.Role.EDITOR).user
    event_input = {
        "office": to_global_id("CityOffice", office.pk),
        "title": {"en": "Jazz"},
        "description": dict.fromkeys(("en", "ru", "kk", "ur"), "Ж" * 10_000),
        "category": "CULTURAL",
        "startsAt": "2031-05-01T19:00:00+05:00",
        "endsAt": "2031-05-01T22:00:00+05:00",
        "timeZone": "Asia/Aqtau",
        "venueName": "Seaside stage",
    }

    # In UTF-8, as apps send it (JSON's \\u escapes would take three times the bytes).
    body = json.dumps({"query": CREATE, "variables": {"input": event_input}}, ensure_ascii=False)

    response = client.post(
        "/graphql/",
        body.encode(),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {bearer_for(editor)}",
    )

    assert len(body.encode()) < 100 * 1024
    assert response.json()["data"]["eventCreate"]["errors"] == []


def test_a_domain_limit_below_the_apis_is_still_a_payload_error(gql, user_factory, event_factory):
    # The chat's own limit (1,000) answers in the payload; only text past the API's is refused
    # before the mutation runs.
    event = event_factory()
    ada = user_factory()

    result = gql(SEND, {"event": to_global_id("Event", event.pk), "body": "x" * 1001}, user=ada)

    assert "errors" not in result
    (error,) = result["data"]["chatMessageSend"]["errors"]
    assert (error["field"], error["code"]) == ("body", "TOO_LONG")


def test_every_text_argument_of_the_schema_has_a_limit():
    from graphql import GraphQLObjectType

    from schema.core.arguments import TextLimit, argument_texts, input_field_texts
    from schema.schema import schema

    limits = {}

    def collect(texts, path, seen):
        for text in texts.values():
            limits[f"{path}.{text.name}"] = text.max_length
            if text.fields is not None and text.fields.name not in seen:
                collect(
                    input_field_texts(text.fields), f"{path}.{text.name}", {*seen, text.fields.name}
                )

    for type_ in schema.graphql_schema.type_map.values():
        if isinstance(type_, GraphQLObjectType) and not type_.name.startswith("__"):
            for name in type_.fields:
                collect(argument_texts(type_, name), f"{type_.name}.{name}", set())

    assert limits["Query.cities.search"] == TextLimit.SEARCH
    assert limits["Query.events.filter.search"] == TextLimit.SEARCH
    assert limits["Query.city.slug"] == TextLimit.IDENTIFIER
    assert limits["Event.chatMessages.before"] == TextLimit.CURSOR
    assert limits["Subscription.chatMessages.after"] == TextLimit.CURSOR
    assert limits["Query.event.id"] == TextLimit.IDENTIFIER  # every ID
    assert limits["Mutation.chatMessageSend.body"] == TextLimit.TEXT  # every other String
    assert limits["Mutation.eventCreate.input.description.ur"] == TextLimit.TEXT
    assert set(limits.values()) <= set(TextLimit) | {None}


async def test_a_subscription_checks_its_text_before_it_starts(settings, monkeypatch):
    from channels.testing import WebsocketCommunicator

    from backend.asgi import application
    from schema.chat import subscriptions

    started = []
    monkeypatch.setattr(subscriptions, "chat_messages", lambda *args: started.append(args))
    socket = WebsocketCommunicator(
        application,
        "/graphql/",
        headers=[(b"host", b"localhost:8000")],
        subprotocols=["graphql-transport-ws"],
    )
    socket.scope["client"] = ("203.0.113.9", 50000)
    assert (await socket.connect())[0]
    await socket.send_json_to({"type": "connection_init"})
    assert await socket.receive_json_from(timeout=2) == {"type": "connection_ack"}

    query = "subscription($e: ID!) { chatMessages(event: $e) { kind } }"
    payload = {"query": query, "variables": {"e": "E" * 257}}
    await socket.send_json_to({"id": "1", "type": "subscribe", "payload": payload})
    frame = await socket.receive_json_from(timeout=2)
    await socket.disconnect(timeout=0.2)

    assert frame["type"] == "error"
    assert frame["payload"][0]["extensions"] == {"code": "INVALID_ID", "field": "event"}
    assert frame["payload"][0]["message"] == "event must be at most 256 characters (257 given)."
    assert started == []
