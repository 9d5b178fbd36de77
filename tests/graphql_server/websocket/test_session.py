"""A socket is not a licence: an open websocket stops at its token's expiry, at a revoked session
and at a deactivated account (closed 4403 with the reason), and goes on with fresh rights when a
role is taken away, through the channel layer of the run (in memory, or Redis on the second leg).

Changes are made through the services, the ORM or the HTTP endpoint in a worker thread
(``in_db``), so that what they tell the user's sockets leaves on commit as in production.
"""

import asyncio
import json
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone
from graphql_relay import to_global_id

from accounts import tokens
from accounts.authentication import token_expires_at
from accounts.models import RefreshToken, User
from backend.asgi import application
from chat import services as chat_services
from cities import team
from cities.models import OfficeMembership
from core.channel_groups import EVENT_CHANGES, USER_ACCOUNT, group_name
from events.models import Event
from graphql_server.websocket import group_hub
from graphql_server.websocket.consumer import GraphQLWebsocketConsumer
from graphql_server.websocket.group_hub import GroupHub
from graphql_server.websocket.protocol import TOKEN_EXPIRED
from schema.chat import subscriptions as chat_subscriptions
from tests.conftest import bearer_for
from tests.factories import ChatMessageFactory, MembershipFactory
from tests.graphql_server.websocket.layer_outage import LayerOutage
from tests.outages import database_unreachable
from tests.sockets import (
    HOST,
    PROTOCOL,
    assert_closed,
    close_all,
    complete_frame,
    in_db,
    init,
    next_frame,
    receive,
    subscribe,
)
from tests.waiting import eventually

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
SESSION_ENDED = "The session has ended."

ME = "{ me { email } }"
EVENT_CHANGED = "subscription Changed($event: ID!) { eventChanged(event: $event) { title } }"
EVENT = "query Event($id: ID!) { event(id: $id) { title } }"
MODERATED_CHAT = """
subscription Chat($event: ID!) {
  chatMessages(event: $event) { kind message { body event { chatReports { totalCount } } } }
}
"""
REPORTS = "query Reports($event: ID!) { event(id: $event) { chatReports { totalCount } } }"
DELETE = """
mutation Delete($message: ID!) {
  chatMessageDelete(message: $message) { message { isDeleted } errors { field code message } }
}
"""
MUTE = """
mutation Mute($event: ID!, $user: ID!) {
  chatUserMute(event: $event, user: $user, minutes: 10) {
    mute { until } errors { field code message }
  }
}
"""
TOKEN_REVOKE = """
mutation Revoke($token: String!) { tokenRevoke(refreshToken: $token) { errors { code } } }
"""
TOKEN_REFRESH = """
mutation Refresh($token: String!) {
  tokenRefresh(refreshToken: $token) { accessToken errors { field code message } }
}
"""


# ---------------------------------------------------------------------------------------------
# Sockets, sessions, people
# ---------------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
async def database_thread():
    """The consumer's database work and ``in_db`` in one known thread, whose connections are
    closed when the test ends (as in test_protocol.py)."""
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=1))
    yield
    await loop.run_in_executor(None, connections.close_all)


@pytest.fixture
async def connected():
    """Open a websocket through connection_init → connection_ack with ``token``; every socket
    is closed after the test."""
    sockets = []

    async def connect(token=None):
        socket = WebsocketCommunicator(
            application, "/graphql/", headers=[(b"host", HOST.encode())], subprotocols=[PROTOCOL]
        )
        socket.scope["client"] = ("203.0.113.7", 50000)
        sockets.append(socket)
        assert (await socket.connect())[0]
        await init(socket, {"token": token} if token is not None else None)
        assert await receive(socket) == {"type": "connection_ack"}
        return socket

    yield connect
    await close_all(sockets)


@pytest.fixture
def watching(monkeypatch):
    """The account groups sockets listen to, once each listens."""
    groups = []
    original = GroupHub.join

    async def join(hub, group, listener):
        await original(hub, group, listener)
        if group.startswith("user."):
            groups.append(group)

    monkeypatch.setattr(GroupHub, "join", join)
    return groups


def sign_in(user) -> tokens.TokenPair:
    """A session of the backend's own sign-in for ``user``: an access and a refresh token."""
    return tokens.create_tokens(user.email, PASSWORD)


@pytest.fixture
def ada(user_factory):
    return user_factory(email="ada@example.org", display_name="Ada")


@pytest.fixture
def public_event(event_factory):
    return event_factory(title_en="Caspian jazz")


async def answers_me(socket, email):
    """The socket is open and signed in as ``email``: it answers a query."""
    await subscribe(socket, "me", ME)
    assert await receive(socket) == next_frame("me", {"me": {"email": email}})
    assert await receive(socket) == complete_frame("me")


async def watch_event(socket, event, operation_id="watch"):
    """Subscribe to the event's changes (what an event's page holds), and wait until the
    subscription listens: it has been authorized, and runs."""
    hub = GroupHub.of(get_channel_layer())
    group = group_name(EVENT_CHANGES, id=event.pk)
    listening = hub.listeners(group)
    await subscribe(socket, operation_id, EVENT_CHANGED, {"event": gid(event)})
    await eventually(lambda: hub.listeners(group) > listening)


def gid(instance) -> str:
    return to_global_id(type(instance).__name__, instance.pk)


def post_graphql(client, query, variables, token=None) -> dict:
    """An operation over HTTP (the Django test client, in the database thread)."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    body = json.dumps({"query": query, "variables": variables})
    response = client.post("/graphql/", body, content_type="application/json", **headers)
    assert response.status_code == 200, response.content
    return response.json()


# ---------------------------------------------------------------------------------------------
# Expiry
# ---------------------------------------------------------------------------------------------
def clock_ahead(monkeypatch, token: str, seconds_left: float) -> None:
    """Run the consumers' clock ahead, so that ``token`` has ``seconds_left`` to live."""
    ahead = token_expires_at(token) - time.time() - seconds_left
    monkeypatch.setattr(
        GraphQLWebsocketConsumer, "clock", staticmethod(lambda: time.time() + ahead)
    )


async def test_the_socket_closes_4403_when_its_token_expires(
    connected, monkeypatch, ada, public_event
):
    token = await in_db(bearer_for, ada)
    # The token's 15 minutes are over in a second, by the consumer's clock.
    clock_ahead(monkeypatch, token, 1.0)
    socket = await connected(token)
    await answers_me(socket, "ada@example.org")
    await watch_event(socket, public_event)

    await assert_closed(socket, 4403, TOKEN_EXPIRED)


async def test_a_short_lived_token_closes_the_socket_at_its_exp(
    connected, settings, ada, public_event
):
    # Good for 2 to 3 s: `exp` is in whole seconds.
    settings.ACCESS_TOKEN_LIFETIME_SECONDS = 3
    token, expires_at = await in_db(tokens.issue_access_token, ada, uuid.uuid4())
    socket = await connected(token)
    await watch_event(socket, public_event)

    assert await socket.receive_output(timeout=5) == {
        "type": "websocket.close",
        "code": 4403,
        "reason": TOKEN_EXPIRED,
    }
    # Not before its time: the token was good until then.
    assert time.time() >= expires_at.timestamp()


async def test_a_firebase_token_closes_the_socket_at_its_exp(
    connected, monkeypatch, firebase_tokens
):
    token = firebase_tokens.sign(uid="app-user-1", email_verified=True)
    clock_ahead(monkeypatch, token, 1.0)
    socket = await connected(token)
    await answers_me(socket, "app-user-1@example.com")

    await assert_closed(socket, 4403, TOKEN_EXPIRED)


async def test_an_anonymous_socket_neither_expires_nor_watches_an_account(
    connected, monkeypatch, watching
):
    monkeypatch.setattr(GraphQLWebsocketConsumer, "clock", staticmethod(lambda: time.time() + 1e9))
    socket = await connected()

    await subscribe(socket, "me", ME)

    assert await receive(socket) == next_frame("me", {"me": None})
    assert watching == []


# ---------------------------------------------------------------------------------------------
# Every operation as HTTP would take it now
# ---------------------------------------------------------------------------------------------
def revoke_unannounced(pair: tokens.TokenPair) -> None:
    """Revoke the session behind the ORM's back (raw SQL): no signal, nothing broadcast; only
    checking the token again can notice."""
    family = RefreshToken.objects.get(token_hash=tokens._hash(pair.refresh_token)).family
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_refreshtoken SET revoked_at = %s WHERE family = %s",
            [timezone.now(), family.hex if connection.vendor == "sqlite" else family],
        )


@pytest.mark.parametrize("operation", ["query", "subscription"])
async def test_an_operation_started_after_a_revocation_closes_the_socket_4403(
    connected, ada, public_event, operation
):
    pair = await in_db(sign_in, ada)
    socket = await connected(pair.access_token)
    await answers_me(socket, "ada@example.org")

    await in_db(revoke_unannounced, pair)
    if operation == "query":
        await subscribe(socket, "me", ME)
    else:
        await subscribe(socket, "watch", EVENT_CHANGED, {"event": gid(public_event)})

    await assert_closed(socket, 4403, SESSION_ENDED)


async def test_each_operation_reads_the_viewers_roles_as_they_are_now(
    connected, user_factory, event_factory
):
    draft = await in_db(lambda: event_factory(status=Event.Status.DRAFT, announced_at=None))
    editor = await in_db(user_factory)
    await in_db(lambda: MembershipFactory(user=editor, office=draft.office))
    socket = await connected(await in_db(bearer_for, editor))
    await subscribe(socket, "1", EVENT, {"id": gid(draft)})
    assert await receive(socket) == next_frame("1", {"event": {"title": draft.title_en}})
    assert await receive(socket) == complete_frame("1")

    # The role goes without a word to the socket (raw SQL): the next query reads it anyway.
    def leave_quietly():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM cities_officemembership WHERE user_id = %s", [editor.pk])

    await in_db(leave_quietly)
    await subscribe(socket, "2", EVENT, {"id": gid(draft)})

    assert await receive(socket) == next_frame("2", {"event": None})


async def test_a_subscriptions_token_check_lets_nothing_sent_after_it_overtake_it(
    connected, ada, public_event
):
    # The process listens to the event's group already: joining it does not wait.
    await watch_event(await connected(), public_event)
    hub = GroupHub.of(get_channel_layer())
    group = group_name(EVENT_CHANGES, id=public_event.pk)
    socket = await connected(await in_db(bearer_for, ada))

    # An app subscribes, then reads the current state.
    await subscribe(socket, "watch", EVENT_CHANGED, {"event": gid(public_event)})
    await subscribe(socket, "me", ME)
    assert await receive(socket) == next_frame("me", {"me": {"email": "ada@example.org"}})

    # By the read's answer, the subscription (checked first) listens: nothing is missed.
    assert hub.listeners(group) == 2


# ---------------------------------------------------------------------------------------------
# Revocation
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["service", "tokenRevoke over HTTP"])
async def test_signing_out_closes_the_sockets_of_that_session_and_no_other(
    connected, client, ada, public_event, how
):
    signed_out, other = await in_db(sign_in, ada), await in_db(sign_in, ada)
    socket = await connected(signed_out.access_token)
    other_socket = await connected(other.access_token)
    await watch_event(socket, public_event)
    await watch_event(other_socket, public_event)

    if how == "service":
        await in_db(tokens.revoke_tokens, signed_out.refresh_token)
    else:
        answer = await in_db(
            post_graphql, client, TOKEN_REVOKE, {"token": signed_out.refresh_token}
        )
        assert answer == {"data": {"tokenRevoke": {"errors": []}}}

    await assert_closed(socket, 4403, SESSION_ENDED)
    # The same user's other session goes on.
    await answers_me(other_socket, "ada@example.org")


async def test_a_reused_refresh_token_closes_the_sockets_of_its_session(
    connected, client, ada, public_event
):
    first = await in_db(sign_in, ada)
    second = await in_db(tokens.refresh_tokens, first.refresh_token)
    socket = await connected(second.access_token)
    await watch_event(socket, public_event)

    # The used refresh token again: it leaked, and its whole session is signed out.
    answer = await in_db(post_graphql, client, TOKEN_REFRESH, {"token": first.refresh_token})
    assert answer["data"]["tokenRefresh"]["errors"][0]["code"] == "TOKEN_REUSED"

    await assert_closed(socket, 4403, SESSION_ENDED)


# ---------------------------------------------------------------------------------------------
# Deactivation
# ---------------------------------------------------------------------------------------------
def deactivate_by_save(user):
    user.is_active = False
    user.save()


def deactivate_by_saving_the_field(user):
    user.is_active = False
    user.save(update_fields=["is_active"])


def deactivate_by_update(user):
    User.objects.filter(pk=user.pk).update(is_active=False)


def deactivate_by_bulk_update(user):
    user.is_active = False
    User.objects.bulk_update([user], ["is_active"])


def delete(user):
    user.delete()


def deactivate_in_the_admin(user, client=None):
    """As an office's administrator does: the user's change form, "Active" unticked."""
    root = User.objects.create_superuser("root@example.org", "a-long-admin-password")
    client.force_login(root)
    url = reverse("admin:accounts_user_change", args=[user.pk])
    form = client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        # What the browser sends back: every field as shown, but the box unticked.
        value = form[name].value()
        if field.disabled or name == "is_active" or value in (None, False):
            continue
        data[name] = "on" if value is True else value
    assert client.post(url, data).status_code == 302
    user.refresh_from_db()
    assert not user.is_active


DEACTIVATIONS = [
    deactivate_by_save,
    deactivate_by_saving_the_field,
    deactivate_by_update,
    deactivate_by_bulk_update,
    deactivate_in_the_admin,
    delete,
]


@pytest.mark.parametrize("deactivate", DEACTIVATIONS, ids=lambda f: f.__name__)
async def test_a_deactivated_account_has_its_sockets_closed_4403(
    connected, client, ada, public_event, deactivate
):
    socket = await connected(await in_db(bearer_for, ada))
    await watch_event(socket, public_event)

    if deactivate is deactivate_in_the_admin:
        await in_db(deactivate, ada, client)
    else:
        await in_db(deactivate, ada)

    await assert_closed(socket, 4403, SESSION_ENDED)


async def test_a_deactivated_firebase_account_has_its_sockets_closed_4403(
    connected, firebase_tokens, public_event
):
    socket = await connected(firebase_tokens.sign(uid="app-user-2", email_verified=True))
    await answers_me(socket, "app-user-2@example.com")
    await watch_event(socket, public_event)

    await in_db(lambda: deactivate_by_save(User.objects.get(firebase_uid="app-user-2")))

    await assert_closed(socket, 4403, "This account has been disabled.")


# ---------------------------------------------------------------------------------------------
# The account deleted by its owner
# ---------------------------------------------------------------------------------------------
ACCOUNT_DELETE = "mutation { accountDelete { errors { field code message } } }"


async def test_deleting_ones_account_closes_every_socket_of_it_4403(
    connected, client, ada, public_event
):
    # Given two sessions of Ada's, each with a socket watching an event
    deleting, other = await in_db(sign_in, ada), await in_db(sign_in, ada)
    socket = await connected(deleting.access_token)
    other_socket = await connected(other.access_token)
    await watch_event(socket, public_event)
    await watch_event(other_socket, public_event)

    # When she deletes her account over HTTP, from one of them
    answer = await in_db(post_graphql, client, ACCOUNT_DELETE, {}, deleting.access_token)
    assert answer == {"data": {"accountDelete": {"errors": []}}}

    # Then both close
    await assert_closed(socket, 4403, SESSION_ENDED)
    await assert_closed(other_socket, 4403, SESSION_ENDED)


async def test_deleting_ones_account_over_the_socket_closes_it_4403(connected, ada):
    socket = await connected(await in_db(bearer_for, ada))

    await subscribe(socket, "delete", ACCOUNT_DELETE)

    assert await receive(socket) == next_frame("delete", {"accountDelete": {"errors": []}})
    assert await receive(socket) == complete_frame("delete")
    await assert_closed(socket, 4403, SESSION_ENDED)


async def test_a_deleted_firebase_accounts_sockets_close_and_its_token_makes_nobody(
    connected, client, firebase_tokens, public_event
):
    token = firebase_tokens.sign(uid="app-user-2", email_verified=True)
    socket = await connected(token)
    await answers_me(socket, "app-user-2@example.com")
    await watch_event(socket, public_event)

    answer = await in_db(post_graphql, client, ACCOUNT_DELETE, {}, token)
    assert answer == {"data": {"accountDelete": {"errors": []}}}

    # The socket's check of the same token finds the account deleted, and makes it no more.
    await assert_closed(socket, 4403, "This account was deleted; sign in again to make a new one.")
    assert not await in_db(lambda: User.objects.filter(firebase_uid="app-user-2").exists())


# ---------------------------------------------------------------------------------------------
# A role taken away
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def room(event_factory):
    """An announced event on now: its chat is open."""
    now = timezone.now()
    return event_factory(
        starts_at=now - timezone.timedelta(minutes=30), ends_at=now + timezone.timedelta(hours=1)
    )


@pytest.fixture
def moderator(user_factory, room):
    user = user_factory(email="moderator@example.org")
    MembershipFactory(user=user, office=room.office, role=OfficeMembership.Role.MODERATOR)
    return user


@pytest.fixture
def rooms_read(monkeypatch):
    """The events whose room a chatMessages subscription has read (after joining its group)."""
    opened = []
    original = chat_subscriptions.open_room

    def open_room(account, pk):
        found = original(account, pk)
        opened.append(pk)
        return found

    monkeypatch.setattr(chat_subscriptions, "open_room", open_room)
    return opened


def lose_the_role(user):
    OfficeMembership.objects.filter(user=user).delete()


def demote(user):
    membership = OfficeMembership.objects.get(user=user)
    membership.role = OfficeMembership.Role.EDITOR
    membership.save()


def demote_by_update(user):
    OfficeMembership.objects.filter(user=user).update(role=OfficeMembership.Role.EDITOR)


def _office_admin_of(user):
    """An administrator of the office where ``user`` holds their one role."""
    office = OfficeMembership.objects.get(user=user).office
    admin = MembershipFactory(office=office, role=OfficeMembership.Role.ADMIN).user
    return office, admin


def removed_from_the_team(user):
    """The office's administrator removes ``user`` from its team (the admin's Team page)."""
    office, admin = _office_admin_of(user)
    team.remove_member(user, office, by=admin)


def made_an_editor_by_the_office(user):
    """The office's administrator changes ``user``'s role to editor (the admin's Team page)."""
    _, admin = _office_admin_of(user)
    team.change_role(
        OfficeMembership.objects.get(user=user), OfficeMembership.Role.EDITOR, by=admin
    )


def permission_denied(message: str, line: int, column: int, *path: str) -> dict:
    """A GraphQL error as a former moderator's socket receives it."""
    return {
        "message": message,
        "locations": [{"line": line, "column": column}],
        "path": list(path),
        "extensions": {"code": "PERMISSION_DENIED"},
    }


NOT_A_MODERATOR = "Only the event's moderators read its chat's reports."


@pytest.mark.parametrize(
    "change",
    [lose_the_role, demote, demote_by_update, removed_from_the_team, made_an_editor_by_the_office],
    ids=lambda f: f.__name__,
)
async def test_a_running_subscription_goes_on_with_the_roles_as_they_are_now(
    connected, watching, rooms_read, ada, moderator, room, change
):
    socket = await connected(await in_db(bearer_for, moderator))
    await eventually(lambda: watching == [group_name(USER_ACCOUNT, id=moderator.pk)])
    await subscribe(socket, "chat", MODERATED_CHAT, {"event": gid(room)})
    # Once the room's state is read, every message sent from then on is delivered.
    await eventually(lambda: rooms_read == [room.pk])
    await in_db(chat_services.send_message, ada, room, "Hello", "c-1")
    assert await receive(socket) == next_frame(
        "chat",
        {
            "chatMessages": {
                "kind": "CREATED",
                "message": {"body": "Hello", "event": {"chatReports": {"totalCount": 0}}},
            }
        },
    )

    # The role goes; the next delivery is resolved for the user as they are now, and the
    # socket stays open.
    await in_db(change, moderator)
    await in_db(chat_services.send_message, ada, room, "Still here", "c-2")

    assert await receive(socket) == {
        "id": "chat",
        "type": "next",
        "payload": {
            "data": {
                "chatMessages": {
                    "kind": "CREATED",
                    "message": {"body": "Still here", "event": {"chatReports": None}},
                }
            },
            "errors": [
                permission_denied(
                    NOT_A_MODERATOR, 3, 61, "chatMessages", "message", "event", "chatReports"
                )
            ],
        },
    }


@pytest.mark.parametrize("change", [lose_the_role, removed_from_the_team], ids=lambda f: f.__name__)
async def test_a_former_moderator_can_no_longer_moderate_over_the_same_socket(
    connected, ada, moderator, room, change
):
    message = await in_db(lambda: ChatMessageFactory(event=room, author=ada))
    socket = await connected(await in_db(bearer_for, moderator))
    await subscribe(socket, "reports", REPORTS, {"event": gid(room)})
    assert await receive(socket) == next_frame(
        "reports", {"event": {"chatReports": {"totalCount": 0}}}
    )
    assert await receive(socket) == complete_frame("reports")

    await in_db(change, moderator)

    for operation_id, query, variables, answer in [
        (
            "reports",
            REPORTS,
            {"event": gid(room)},
            {
                "data": {"event": {"chatReports": None}},
                "errors": [permission_denied(NOT_A_MODERATOR, 1, 50, "event", "chatReports")],
            },
        ),
        (
            "delete",
            DELETE,
            {"message": gid(message)},
            {
                "data": {"chatMessageDelete": None},
                "errors": [
                    permission_denied(
                        "Only its author and the event's moderators delete a message.",
                        3,
                        3,
                        "chatMessageDelete",
                    )
                ],
            },
        ),
        (
            "mute",
            MUTE,
            {"event": gid(room), "user": gid(ada)},
            {
                "data": {"chatUserMute": None},
                "errors": [
                    permission_denied("Only the event's moderators do this.", 3, 3, "chatUserMute")
                ],
            },
        ),
    ]:
        await subscribe(socket, operation_id, query, variables)
        assert await receive(socket) == {"id": operation_id, "type": "next", "payload": answer}
        assert await receive(socket) == complete_frame(operation_id)


# ---------------------------------------------------------------------------------------------
# The channel layer lost and healed
# ---------------------------------------------------------------------------------------------
async def test_once_the_channel_layer_heals_a_new_subscription_hears_the_accounts_news_again(
    connected, ada, public_event, monkeypatch
):
    # Given a signed-in socket whose process lost the channel layer, and with it the account's
    # news, then got it back
    monkeypatch.setattr(group_hub, "RETRY_SECONDS", 0.02)
    monkeypatch.setattr(group_hub, "PROBE_TIMEOUT_SECONDS", 1.0)
    outage = LayerOutage(monkeypatch)
    hub = GroupHub.of(outage.layer)
    try:
        session = await in_db(sign_in, ada)
        socket = await connected(session.access_token)
        await outage.begin()
        await eventually(lambda: hub.problem, timeout=5)
        await answers_me(socket, "ada@example.org")  # queries go on, checked one by one
        outage.end()
        await eventually(lambda: hub.problem is None, timeout=5)

        # When it subscribes again, and the session is then revoked
        await watch_event(socket, public_event)
        await in_db(tokens.revoke_tokens, session.refresh_token)

        # Then the news reaches the socket, as before the outage
        await assert_closed(socket, 4403, SESSION_ENDED)
    finally:
        await hub.close()
        await outage.close()


@pytest.fixture
async def healing_layer(monkeypatch):
    """The channel layer, lost (``begin``) and back (``end``) within the test; the hub heals
    quickly."""
    monkeypatch.setattr(group_hub, "RETRY_SECONDS", 0.02)
    monkeypatch.setattr(group_hub, "PROBE_TIMEOUT_SECONDS", 1.0)
    outage = LayerOutage(monkeypatch)
    hub = GroupHub.of(outage.layer)
    yield outage, hub
    await hub.close()
    await outage.close()


async def test_once_healed_a_socket_without_subscriptions_watches_its_account_again(
    connected, ada, settings, healing_layer
):
    # Given a signed-in socket with no subscription, whose process lost the channel layer and
    # got it back (and no check of its own to fall back on)
    settings.WEBSOCKET_REAUTHENTICATE_SECONDS = 0
    outage, hub = healing_layer
    account = group_name(USER_ACCOUNT, id=ada.pk)
    session = await in_db(sign_in, ada)
    socket = await connected(session.access_token)
    await outage.begin()
    await eventually(lambda: hub.problem and hub.listeners(account) == 0, timeout=5)
    outage.end()

    # When the session is revoked once it watches again
    await eventually(lambda: hub.listeners(account) == 1, timeout=5)
    await in_db(tokens.revoke_tokens, session.refresh_token)

    # Then the news closes it, as before the outage
    await assert_closed(socket, 4403, SESSION_ENDED)


async def test_news_told_while_the_layer_was_lost_is_acted_on_once_it_is_back(
    connected, ada, settings, healing_layer
):
    # Given a signed-in socket whose process lost the channel layer
    settings.WEBSOCKET_REAUTHENTICATE_SECONDS = 0
    outage, hub = healing_layer
    session = await in_db(sign_in, ada)
    socket = await connected(session.access_token)
    await outage.begin()
    await eventually(lambda: hub.problem, timeout=5)

    # When the session is revoked meanwhile (its news is lost), and the layer comes back
    await in_db(tokens.revoke_tokens, session.refresh_token)
    outage.end()

    # Then the socket checks its token as it watches again, and closes
    await assert_closed(socket, 4403, SESSION_ENDED)


# ---------------------------------------------------------------------------------------------
# News that never came: the token checked again on a timer
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def checks(monkeypatch):
    """The connections' checks of their token, each recorded as it starts."""
    started = []
    authenticate = GraphQLWebsocketConsumer._authenticate

    def recorded(consumer):
        started.append(consumer.connection_id)
        return authenticate(consumer)

    monkeypatch.setattr(GraphQLWebsocketConsumer, "_authenticate", recorded)
    return started


async def test_a_revocation_whose_news_was_lost_closes_the_socket_at_its_next_check(
    connected, ada, settings
):
    settings.WEBSOCKET_REAUTHENTICATE_SECONDS = 0.1
    pair = await in_db(sign_in, ada)
    socket = await connected(pair.access_token)

    # Revoked behind the ORM's back: nothing is told, no operation is started.
    await in_db(revoke_unannounced, pair)

    await assert_closed(socket, 4403, SESSION_ENDED)


async def test_a_role_taken_away_unannounced_reaches_a_running_subscription_at_the_next_check(
    connected, rooms_read, ada, moderator, room, settings, checks
):
    settings.WEBSOCKET_REAUTHENTICATE_SECONDS = 0.1
    socket = await connected(await in_db(bearer_for, moderator))
    await subscribe(socket, "chat", MODERATED_CHAT, {"event": gid(room)})
    await eventually(lambda: rooms_read == [room.pk])

    # The role goes without a word to the socket (raw SQL); checks of the token follow.
    def leave_quietly():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM cities_officemembership WHERE user_id = %s", [moderator.pk])

    await in_db(leave_quietly)
    since = len(checks)
    # Two checks begun: the first one begun after the change has read it.
    await eventually(lambda: len(checks) >= since + 2)
    await in_db(chat_services.send_message, ada, room, "Hello", "c-1")

    frame = await receive(socket)
    assert frame["payload"]["data"] == {
        "chatMessages": {
            "kind": "CREATED",
            "message": {"body": "Hello", "event": {"chatReports": None}},
        }
    }
    assert [error["extensions"]["code"] for error in frame["payload"]["errors"]] == [
        "PERMISSION_DENIED"
    ]


async def test_a_check_that_meets_an_outage_leaves_the_socket_open(
    connected, ada, settings, caplog
):
    settings.WEBSOCKET_REAUTHENTICATE_SECONDS = 0.05
    socket = await connected(await in_db(bearer_for, ada))

    def failed_checks():
        return [r for r in caplog.records if "could not be checked again" in r.getMessage()]

    with (
        caplog.at_level(logging.WARNING, logger="graphql_server.websocket.session"),
        database_unreachable(),
    ):
        await eventually(lambda: len(failed_checks()) >= 2)

    # No news of the account: the socket goes on, and answers as before.
    await answers_me(socket, "ada@example.org")
