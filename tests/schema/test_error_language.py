"""The API's messages for people come in the request's language (Accept-Language over HTTP,
the connection's over the websocket): a service's reason in a payload, a top-level error of a
resolver, a refused request, a refused document. Codes stay the same in every language; each
message is the catalogue's translation of its English msgid, with its params put in."""

import datetime
import json

import pytest
from channels.testing import WebsocketCommunicator
from django.utils import timezone, translation
from django.utils.translation import gettext
from graphql_relay import to_global_id

from backend.asgi import application
from cities.models import OfficeMembership
from events.models import Event
from tests.conftest import GRAPHQL_URL
from tests.factories import MembershipFactory

LANGUAGES = ["ru", "kk", "ur"]
ERRORS = "errors { field code message }"
ANNOUNCE = f"mutation($id: ID!) {{ eventAnnounce(id: $id) {{ event {{ status }} {ERRORS} }} }}"
POSTPONE = f"""
mutation($id: ID!, $s: DateTime!, $e: DateTime!) {{
  eventPostpone(id: $id, newStartsAt: $s, newEndsAt: $e) {{ event {{ status }} {ERRORS} }}
}}
"""
PROFILE_UPDATE = f"""
mutation($name: String) {{
  profileUpdate(displayName: $name) {{ viewer {{ displayName }} {ERRORS} }}
}}
"""
RSVP = f"""
mutation($event: ID!, $status: RsvpStatus!) {{
  rsvpSet(event: $event, status: $status) {{ event {{ attendeeCount }} {ERRORS} }}
}}
"""
LANGUAGES_QUERY = "{ languages { code name englishName direction } }"
NESTED_PARTNERS = "{ cities(first: 100) { edges { node { partners { partners { name } } } } } }"


@pytest.fixture(autouse=True)
def language_left_as_found():
    """The requests here activate other languages in this thread; later tests start in the
    language this one started in."""
    with translation.override(translation.get_language()):
        yield


def in_language(language: str, msgid: str, params: dict | None = None) -> str:
    """The catalogue's translation of ``msgid`` into ``language``, its params put in; never
    the English (a message left untranslated fails here, not in an app)."""
    with translation.override(language):
        text = gettext(msgid)
    assert text != msgid, f"{msgid!r} has no {language} translation"
    return text % params if params else text


@pytest.fixture
def office(office_factory):
    return office_factory(city__timezone="Asia/Aqtau")


@pytest.fixture
def publisher(office):
    return MembershipFactory(office=office, role=OfficeMembership.Role.PUBLISHER).user


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_service_refusal_comes_in_the_requests_language(
    gql, event_factory, office, publisher, language
):
    event = event_factory(office=office, host_city=office.city, status=Event.Status.CANCELLED)

    result = gql(ANNOUNCE, {"id": to_global_id("Event", event.pk)}, language, user=publisher)

    assert result["data"]["eventAnnounce"]["errors"] == [
        {
            "field": None,
            "code": "EVENT_CANCELLED",
            "message": in_language(language, "A cancelled event cannot be announced."),
        }
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_field_reason_comes_in_the_requests_language(
    gql, event_factory, office, publisher, language
):
    event = event_factory(office=office, host_city=office.city, status=Event.Status.ANNOUNCED)
    start = timezone.now() + datetime.timedelta(days=5)
    variables = {
        "id": to_global_id("Event", event.pk),
        "s": start.isoformat(),
        "e": (start - datetime.timedelta(hours=1)).isoformat(),
    }

    result = gql(POSTPONE, variables, language, user=publisher)

    assert result["data"]["eventPostpone"]["errors"] == [
        {
            "field": "newEndsAt",
            "code": "END_BEFORE_START",
            "message": in_language(language, "The new end must come after the new start."),
        }
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_reserved_display_name_is_refused_in_the_requests_language(gql, user_factory, language):
    result = gql(PROFILE_UPDATE, {"name": "Admin"}, language, user=user_factory())

    assert result["data"]["profileUpdate"]["errors"] == [
        {
            "field": "displayName",
            "code": "DISPLAY_NAME_RESERVED",
            "message": in_language(
                language,
                "This name could pass you off as the service, its staff or another person; "
                "choose another.",
            ),
        }
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unknown_id_is_refused_in_the_requests_language(gql, user_factory, language):
    variables = {"event": to_global_id("Event", 987654), "status": "GOING"}

    result = gql(RSVP, variables, language, user=user_factory())

    assert result["data"]["rsvpSet"]["errors"] == [
        {
            "field": "event",
            "code": "NOT_FOUND",
            "message": in_language(language, "Nothing with this ID."),
        }
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_full_event_is_refused_in_the_requests_language(
    gql, event_factory, user_factory, language
):
    event = event_factory(capacity=1)
    variables = {"event": to_global_id("Event", event.pk), "status": "GOING"}
    gql(RSVP, variables, user=user_factory())

    result = gql(RSVP, variables, language, user=user_factory())

    assert result["data"]["rsvpSet"]["errors"] == [
        {
            "field": None,
            "code": "EVENT_FULL",
            "message": in_language(language, "The event is full."),
        }
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unauthenticated_request_is_told_in_its_language(gql, event_factory, language):
    variables = {"event": to_global_id("Event", event_factory().pk), "status": "GOING"}

    result = gql(RSVP, variables, language)

    assert [(e["extensions"]["code"], e["message"]) for e in result["errors"]] == [
        ("UNAUTHENTICATED", in_language(language, "Sign in first."))
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_body_over_the_limit_is_refused_in_the_requests_language(client, settings, language):
    settings.GRAPHQL_MAX_BODY_BYTES = 100
    body = json.dumps({"query": "{ languages { code } }", "variables": {"pad": " " * 100}})

    response = client.post(
        GRAPHQL_URL, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
    )

    assert response.status_code == 413
    assert [(e["extensions"]["code"], e["message"]) for e in response.json()["errors"]] == [
        (
            "PAYLOAD_TOO_LARGE",
            in_language(language, "The body is over %(limit)s bytes.", {"limit": 100}),
        )
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_query_over_the_cost_limit_is_refused_in_the_requests_language(
    client, settings, language
):
    settings.GRAPHQL_MAX_COST = 10
    english = client.post(
        GRAPHQL_URL, json.dumps({"query": NESTED_PARTNERS}), content_type="application/json"
    ).json()["errors"][0]["message"]

    response = client.post(
        GRAPHQL_URL,
        json.dumps({"query": NESTED_PARTNERS}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )

    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    cost = english.split("about ", 1)[1].split(" ", 1)[0]
    assert error["message"] == in_language(language, COST_MESSAGE, {"cost": cost, "limit": "10"})
    assert error["message"] != english


COST_MESSAGE = (
    "The operation would cost about %(cost)s (each field resolved, each query and search it "
    "runs, times the sizes of the lists above it); at most %(limit)s is allowed. Ask for "
    "smaller pages, fewer nested lists, counts or searches."
)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_document_over_a_limit_is_refused_in_each_language_it_is_sent_in(
    client, settings, language
):
    """A refused document is remembered, and answered from memory in the language of each
    request, not in the first one's."""
    settings.GRAPHQL_MAX_DEPTH = 2

    def refused(accept_language=None):
        headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}
        body = json.dumps({"query": NESTED_PARTNERS})
        response = client.post(GRAPHQL_URL, body, content_type="application/json", **headers)
        return [e["message"] for e in response.json()["errors"]]

    first, english, again = refused(language), refused(), refused(language)

    with translation.override(language):
        name = gettext("The operation")
    expected = in_language(
        language,
        "%(name)s is %(count)s levels deep; at most %(limit)s are allowed.",
        {"name": name, "count": 6, "limit": 2},
    )
    assert first == again == [expected]
    assert english == ["The operation is 6 levels deep; at most 2 are allowed."]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_websocket_refuses_in_the_connections_language(settings, language):
    settings.GRAPHQL_MAX_COST = 10
    socket = WebsocketCommunicator(
        application,
        GRAPHQL_URL,
        headers=[(b"host", b"localhost:8000")],
        subprotocols=["graphql-transport-ws"],
    )
    socket.scope["client"] = ("203.0.113.9", 50000)
    assert (await socket.connect())[0]
    await socket.send_json_to({"type": "connection_init", "payload": {"language": language}})
    assert await socket.receive_json_from(timeout=2) == {"type": "connection_ack"}

    await socket.send_json_to(
        {"id": "1", "type": "subscribe", "payload": {"query": NESTED_PARTNERS}}
    )
    frame = await socket.receive_json_from(timeout=2)
    await socket.disconnect(timeout=0.2)

    [error] = frame["payload"]
    assert frame["type"] == "error"
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    with translation.override(language):
        start = gettext(COST_MESSAGE).split("%(cost)s")[0]
    assert error["message"].startswith(start) and start != COST_MESSAGE.split("%(cost)s")[0]


def test_the_languages_keep_their_english_names_in_urdu(gql):
    result = gql(LANGUAGES_QUERY, language="ur")

    assert result["data"]["languages"][3] == {
        "code": "ur",
        "name": "اردو",
        "englishName": "Urdu",
        "direction": "RTL",
    }
