"""Open sockets and the end of a session, end to end: real clients on live servers.

A token's expiry closes the socket with 4403 and the graphql-ws client reconnects with a fresh
token, as apps do, and goes on receiving; signing out over HTTP closes the sockets of that
session; and on the Redis leg, with two server processes, a sign-out on one reaches a socket on
the other within a second or two, through the channel layer.
"""

import time

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from graphql_relay import to_global_id

from accounts import tokens
from core import channel_groups
from tests.e2e.clients import post_graphql
from tests.e2e.conftest import PASSWORD, PROBE, gid
from tests.e2e.live_server import LiveServer
from tests.waiting import eventually

pytestmark = pytest.mark.django_db(transaction=True)

# How soon a sign-out on one server process must reach a socket on another.
PROPAGATION_SECONDS = 2.0

EVENT_CHANGED = """
subscription Changed($event: ID!) { eventChanged(event: $event) { id status } }
"""
EVENT_CANCEL = """
mutation Cancel($id: ID!) {
  eventCancel(id: $id, reason: "Storm") { event { status } errors { field code message } }
}
"""
TOKEN_REVOKE = """
mutation Revoke($token: String!) { tokenRevoke(refreshToken: $token) { errors { code } } }
"""


@pytest.fixture
def dana(user_factory):
    return user_factory(email="dana@example.org")


@pytest.fixture
def session(dana) -> tokens.TokenPair:
    """Dana signed in with the backend's own tokens."""
    return tokens.create_tokens(dana.email, PASSWORD)


@pytest.fixture
def short_session(dana) -> tokens.TokenPair:
    """Dana signed in with an access token that lives 3 to 4 seconds (`exp` is in whole
    seconds); the refresh token lives as long as ever."""
    with override_settings(ACCESS_TOKEN_LIFETIME_SECONDS=4):
        return tokens.create_tokens(dana.email, PASSWORD)


def changes_group(event) -> str:
    return channel_groups.group_name(channel_groups.EVENT_CHANGES, id=event.pk)


async def listening(server: LiveServer, client, group: str) -> None:
    """Wait until ``server`` listens to ``group`` for the client's subscriptions (see the
    ``listen`` fixture): a query answered after them, and on Redis the group's member."""
    assert await client.execute(PROBE) == {"data": {"__typename": "Query"}}
    if server.group_members(group) is not None:
        await eventually(lambda: server.group_members(group))


# ---------------------------------------------------------------------------------------------
# Expiry, and the app's reconnection
# ---------------------------------------------------------------------------------------------
async def test_the_graphql_ws_client_reconnects_with_a_fresh_token_and_keeps_receiving(
    clients, websocket_server, short_session, publisher_token, public_event
):
    # Given a sign-in whose access token lives a few seconds,
    pair = short_session
    client = await clients.connect(
        "node",
        pair.access_token,
        refresh_token=pair.refresh_token,
        http_url=f"{websocket_server.url}/graphql/",
    )
    changes = await client.subscribe(EVENT_CHANGED, {"event": gid(public_event)})
    await listening(websocket_server, client, changes_group(public_event))

    # when the token expires, the server closes the socket with 4403; the client refreshes
    # its token, connects again and subscribes again,
    closed = await client.event(lambda event: event["event"] == "closed")
    assert client.events[closed]["code"] == 4403
    assert time.time() >= pair.access_expires_at.timestamp()
    refreshed = await client.event(lambda event: event["event"] == "refreshed", after=closed)
    await client.event(lambda event: event["event"] == "connected", after=refreshed)
    await listening(websocket_server, client, changes_group(public_event))

    # and the subscription hears what happens from then on.
    answer = await post_graphql(
        f"{websocket_server.url}/graphql/", EVENT_CANCEL, {"id": gid(public_event)}, publisher_token
    )
    assert answer["data"]["eventCancel"]["errors"] == []
    assert await changes.next() == {
        "data": {"eventChanged": {"id": gid(public_event), "status": "CANCELLED"}}
    }
    assert [event["code"] for event in client.events if event["event"] == "closed"] == [4403]


# ---------------------------------------------------------------------------------------------
# Signing out
# ---------------------------------------------------------------------------------------------
async def test_signing_out_over_http_closes_the_sessions_socket_4403(
    connect, websocket_server, session, public_event
):
    pair = session
    client = await connect(token=pair.access_token)
    await client.subscribe(EVENT_CHANGED, {"event": gid(public_event)})
    await listening(websocket_server, client, changes_group(public_event))

    answer = await post_graphql(
        f"{websocket_server.url}/graphql/", TOKEN_REVOKE, {"token": pair.refresh_token}
    )

    assert answer == {"data": {"tokenRevoke": {"errors": []}}}
    assert await client.closed() == 4403


@pytest.fixture
def second_server(live_database, tmp_path):
    """Another server process on the same database and, on the Redis leg, the same channel
    layer: two processes behind a load balancer."""
    if not django_settings.REDIS_URL:
        pytest.skip("Two server processes share a channel layer only through Redis (REDIS_URL).")
    server = LiveServer(tmp_path / "second-websocket.log", live_database)
    server.start()
    yield server
    assert server.stop() == 0, server.log()[-8000:]


async def test_a_sign_out_on_one_process_closes_the_socket_on_another_within_seconds(
    clients, websocket_server, second_server, session, public_event
):
    # Given a socket on one server process, listening,
    pair = session
    client = await clients.connect("node", pair.access_token)
    await client.subscribe(EVENT_CHANGED, {"event": to_global_id("Event", public_event.pk)})
    await listening(websocket_server, client, changes_group(public_event))

    # when the user signs out through the other,
    answer = await post_graphql(
        f"{second_server.url}/graphql/", TOKEN_REVOKE, {"token": pair.refresh_token}
    )
    signed_out = time.monotonic()
    assert answer == {"data": {"tokenRevoke": {"errors": []}}}

    # the socket is closed 4403 within seconds.
    assert await client.closed(timeout=PROPAGATION_SECONDS) == 4403
    assert time.monotonic() - signed_out < PROPAGATION_SECONDS
