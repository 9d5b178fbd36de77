"""Text that is not valid Unicode is refused at the edge, once for the whole request, over HTTP
(400 BAD_REQUEST) and over the websocket (close 4400), wherever it hides: the document, a
variable (its value or its name), the operation's name, the extensions, the connection_init
payload. Nothing is written. Django's own decoding paths (query strings, URLs, the admin's
forms) never let it through either.

A lone UTF-16 surrogate is what JSON's ``"\\ud800"`` escape decodes to: ``json.dumps`` of a
Python string holding one writes exactly that escape, which is how these tests send it.
"""

import asyncio
import datetime
import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.urls import reverse
from django.utils import timezone
from graphql_relay import to_global_id

from accounts.models import Device, RefreshToken
from backend.asgi import application
from chat.models import ChatMessage
from cities.models import OfficeMembership
from events.models import Event, StateChange
from tests.conftest import bearer_for
from tests.factories import CityOfficeFactory, EventFactory, MembershipFactory, UserFactory
from tests.schema.test_publishing import valid_input
from tests.sockets import HOST, PROTOCOL, close_all, in_db, receive

LONE = "\ud800"
ERRORS = "errors { field code message }"
SEARCH = "query Search($s: String) { cities(search: $s) { totalCount } }"
SEND = f"""
mutation Send($event: ID!, $body: String!) {{
  chatMessageSend(event: $event, body: $body, clientId: "c-1") {{ message {{ body }} {ERRORS} }}
}}
"""
CREATE = f"""
mutation Create($input: EventCreateInput!) {{
  eventCreate(input: $input) {{ event {{ id }} {ERRORS} }}
}}
"""
SIGN_IN = f"""
mutation SignIn($email: String!) {{
  tokenCreate(email: $email, password: "correct horse battery staple") {{ accessToken {ERRORS} }}
}}
"""
REGISTER = f"""
mutation Register($token: String!) {{
  deviceRegister(token: $token, platform: ANDROID) {{ device {{ platform }} {ERRORS} }}
}}
"""
LANGUAGES = "query Languages { languages { code } }"


def make_world() -> dict:
    """An open chat room, a publisher of its office, and an app user who may chat."""
    office = CityOfficeFactory(city__name_en="Aktau", city__timezone="Asia/Aqtau")
    now = timezone.now()
    room = EventFactory(
        office=office,
        host_city=office.city,
        starts_at=now - datetime.timedelta(minutes=30),
        ends_at=now + datetime.timedelta(minutes=60),
    )
    publisher = MembershipFactory(office=office, role=OfficeMembership.Role.PUBLISHER).user
    return {"office": office, "room": room, "publisher": publisher, "ada": UserFactory()}


@pytest.fixture
def world(db):
    return make_world()


def requests(world) -> dict:
    """Each place the text can hide: the request's parameters, the viewer, and the path of the
    refused text as the error names it."""
    office, room = world["office"], world["room"]
    title_input = valid_input(office, title={"en": f"Jazz {LONE}"})
    return {
        "search": ({"query": SEARCH, "variables": {"s": LONE}}, None, "variables.s"),
        "chat body": (
            {"query": SEND, "variables": {"event": to_global_id("Event", room.pk), "body": LONE}},
            world["ada"],
            "variables.body",
        ),
        "event title": (
            {"query": CREATE, "variables": {"input": title_input}},
            world["publisher"],
            "variables.input.title.en",
        ),
        "e-mail": (
            {"query": SIGN_IN, "variables": {"email": f"ada{LONE}@example.org"}},
            None,
            "variables.email",
        ),
        "device token": (
            {"query": REGISTER, "variables": {"token": f"fcm-{LONE}"}},
            world["ada"],
            "variables.token",
        ),
        "document": (
            {"query": f'{{ cities(search: "{LONE}") {{ totalCount }} }}'},
            None,
            "query",
        ),
        "document comment": ({"query": f"# {LONE}\n{LANGUAGES}"}, None, "query"),
        "variable name": (
            {"query": LANGUAGES, "variables": {f"x{LONE}": 1}},
            None,
            "variables.x\\ud800",
        ),
        "operation name": (
            {"query": LANGUAGES, "operationName": f"Languages{LONE}"},
            None,
            "operationName",
        ),
        "extensions": (
            {"query": LANGUAGES, "extensions": {"persistedQuery": {"sha256Hash": LONE}}},
            None,
            "extensions.persistedQuery.sha256Hash",
        ),
        "low surrogate in a list": (
            {"query": LANGUAGES, "variables": {"list": ["ok", "\udc00"]}},
            None,
            "variables.list[1]",
        ),
    }


PLACES = [
    "search",
    "chat body",
    "event title",
    "e-mail",
    "device token",
    "document",
    "document comment",
    "variable name",
    "operation name",
    "extensions",
    "low surrogate in a list",
]


def written() -> tuple:
    return (
        ChatMessage.objects.count(),
        Event.objects.count(),
        StateChange.objects.count(),
        Device.objects.count(),
        RefreshToken.objects.count(),
    )


# --- HTTP ----------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
@pytest.mark.parametrize("place", PLACES)
def test_http_refuses_text_that_is_not_unicode_with_400(client, world, place, accept):
    params, viewer, path = requests(world)[place]
    before = written()
    headers = {"HTTP_ACCEPT": accept}
    if viewer is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {bearer_for(viewer)}"

    response = client.post(
        "/graphql/", json.dumps(params), content_type="application/json", **headers
    )

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    assert "is not valid Unicode" in error["message"]
    name = path.split(".")[0]
    where = "it" if path == name else f"the text at {path}"
    assert error["message"] == (
        f"'{name}' is not valid Unicode: {where} holds a lone surrogate "
        "(an unpaired \\uD800-\\uDFFF escape)."
    )
    assert written() == before


def test_paired_surrogate_escapes_are_an_emoji_and_pass(client, world):
    room, ada = world["room"], world["ada"]
    body = json.dumps(
        {"query": SEND, "variables": {"event": to_global_id("Event", room.pk), "body": "Hi 😀"}}
    )
    assert "\\ud83d\\ude00" in body

    response = client.post(
        "/graphql/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {bearer_for(ada)}",
    )

    assert response.json()["data"]["chatMessageSend"]["message"] == {"body": "Hi 😀"}


@pytest.mark.parametrize(
    "encoded",
    [
        "%ED%A0%80",  # U+D800 encoded as if it were a character
        "%FF",
        "%C3",  # a sequence cut short
    ],
)
def test_a_get_whose_query_string_is_not_utf8_is_400(client, db, encoded):
    query = quote('{ cities(search: "') + encoded + quote('") { totalCount } }')

    response = client.get(f"/graphql/?query={query}", HTTP_ACCEPT="application/json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "message": "The query string is not valid UTF-8.",
            "extensions": {"code": "BAD_REQUEST"},
        }
    ]


def test_a_get_in_any_script_is_served(client, city_factory):
    city_factory(name_en="Aktau", name_kk="Ақтау")
    query = quote('{ cities(search: "Ақтау") { totalCount } }')

    response = client.get(f"/graphql/?query={query}&operationName=", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response.json() == {"data": {"cities": {"totalCount": 1}}}


def test_a_graphql_body_with_url_parameters_that_are_not_utf8_is_400(client, db):
    response = client.post(
        "/graphql/?operationName=%ED%A0%80", LANGUAGES, content_type="application/graphql"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "The query string is not valid UTF-8."


# --- Django's own decoding paths -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/calendar/%ED%A0%80.ics", "/events/%ED%A0%80.ics"])
def test_calendar_urls_that_are_not_utf8_are_not_found(client, db, path):
    assert client.get(path).status_code == 404


def test_the_admins_search_takes_any_bytes(client, user_factory):
    client.force_login(user_factory(is_staff=True, is_superuser=True))

    for name in ("events_event", "accounts_user", "cities_city"):
        response = client.get(reverse(f"admin:{name}_changelist") + "?q=%ED%A0%80%FF")
        assert response.status_code == 200


def test_the_admins_json_field_refuses_a_lone_surrogate(client, user_factory):
    client.force_login(user_factory(is_staff=True, is_superuser=True))
    ada = user_factory(display_name="Ada", muted_categories=["SPORTS"])
    data = {
        "email": ada.email,
        "display_name": "Ada",
        "language": "en",
        "time_zone": "UTC",
        "muted_categories": json.dumps([LONE]),
        "is_active": "on",
    }

    response = client.post(reverse("admin:accounts_user_change", args=[ada.pk]), data)

    assert response.status_code == 200
    assert "muted_categories" in response.context["adminform"].form.errors
    ada.refresh_from_db()
    assert ada.muted_categories == ["SPORTS"]


# --- The websocket ---------------------------------------------------------------------------


@pytest.fixture
async def database_thread():
    """The consumer's database work and ``in_db`` in one known thread, whose connections are
    closed when the test ends (as in tests/graphql_server/websocket/test_protocol.py)."""
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=1))
    yield
    await loop.run_in_executor(None, connections.close_all)


@pytest.fixture
async def socket_for():
    """Open a websocket, send ``connection_init`` with ``payload`` and, unless told not to, wait
    for the ack; every socket is closed after the test."""
    sockets = []

    async def open_(payload, acknowledged=True):
        socket = WebsocketCommunicator(
            application, "/graphql/", headers=[(b"host", HOST.encode())], subprotocols=[PROTOCOL]
        )
        socket.scope["client"] = ("203.0.113.7", 50000)
        sockets.append(socket)
        assert (await socket.connect())[0]
        await socket.send_to(text_data=json.dumps({"type": "connection_init", "payload": payload}))
        if acknowledged:
            assert await receive(socket) == {"type": "connection_ack"}
        return socket

    yield open_
    await close_all(sockets)


async def assert_closed_4400(socket, path: str) -> None:
    output = await socket.receive_output(timeout=2)
    assert (output["type"], output["code"]) == ("websocket.close", 4400)
    assert output["reason"] == f"Message is not valid Unicode: a lone surrogate at {path}"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_thread")
@pytest.mark.parametrize("place", PLACES)
async def test_the_websocket_closes_4400_on_text_that_is_not_unicode(socket_for, place):
    world = await in_db(make_world)
    params, viewer, path = requests(world)[place]
    token = await in_db(bearer_for, viewer) if viewer is not None else None
    before = await in_db(written)
    socket = await socket_for({"authorization": f"Bearer {token}"} if token else {})

    await socket.send_to(text_data=json.dumps({"id": "1", "type": "subscribe", "payload": params}))

    await assert_closed_4400(socket, f"payload.{path}")
    assert await in_db(written) == before


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_thread")
@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"authorization": f"Bearer {LONE}"}, "payload.authorization"),
        ({"language": LONE}, "payload.language"),
        ({f"x{LONE}": 1}, "payload.x\\ud800"),
    ],
)
async def test_a_connection_init_that_is_not_unicode_closes_4400(socket_for, payload, path):
    socket = await socket_for(payload, acknowledged=False)

    await assert_closed_4400(socket, path)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_thread")
async def test_the_websocket_takes_emoji_sent_as_surrogate_pairs(socket_for):
    world = await in_db(make_world)
    token = await in_db(bearer_for, world["ada"])
    socket = await socket_for({"authorization": f"Bearer {token}"})
    variables = {"event": to_global_id("Event", world["room"].pk), "body": "Hi 😀"}

    await socket.send_to(
        text_data=json.dumps(
            {"id": "1", "type": "subscribe", "payload": {"query": SEND, "variables": variables}}
        )
    )

    frame = await receive(socket)
    assert frame["payload"]["data"]["chatMessageSend"]["message"] == {"body": "Hi 😀"}
    assert await in_db(lambda: ChatMessage.objects.get().body) == "Hi 😀"
