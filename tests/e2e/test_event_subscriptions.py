"""The event subscriptions end to end: real clients (graphql-ws on Node, gql in Python) on a live
server, and publishers' mutations over HTTP to the same server.

Each test runs once with each client. A test that expects a change not to be heard makes one
more change that is heard: results of one subscription keep their order, so the first result
being the later change proves the earlier one was skipped, not late.
"""

import datetime
import math

import pytest
from channels_redis.core import RedisChannelLayer
from django.utils import timezone

from cities.models import OfficeMembership
from core import channel_groups
from events.models import Event
from tests.conftest import bearer_for
from tests.e2e.clients import Refused, post_graphql
from tests.e2e.conftest import gid
from tests.e2e.live_server import KEEPALIVE_SECONDS
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)

EVENT_ANNOUNCED = """
subscription Announced($filter: EventAnnouncedFilterInput) {
  eventAnnounced(filter: $filter) { id title status hostCity { name } }
}
"""
EVENT_CHANGED = """
subscription Changed($event: ID!) {
  eventChanged(event: $event) { id status startsAt endsAt cancellationReason }
}
"""
EVENT_ANNOUNCE = """
mutation Announce($id: ID!) {
  eventAnnounce(id: $id) { event { id status } errors { field code message } }
}
"""
EVENT_POSTPONE = """
mutation Postpone($id: ID!, $startsAt: DateTime!, $endsAt: DateTime!) {
  eventPostpone(id: $id, newStartsAt: $startsAt, newEndsAt: $endsAt) {
    event { status } errors { field code message }
  }
}
"""
EVENT_CANCEL = """
mutation Cancel($id: ID!, $reason: String) {
  eventCancel(id: $id, reason: $reason) { event { status } errors { field code message } }
}
"""
EVENT_CREATE = """
mutation Create($input: EventCreateInput!) {
  eventCreate(input: $input) { event { id status } errors { field code message } }
}
"""
EVENT_UPDATE = """
mutation Update($id: ID!, $input: EventUpdateInput!) {
  eventUpdate(id: $id, input: $input) { event { status } errors { field code message } }
}
"""

ANNOUNCED_GROUP = channel_groups.group_name(channel_groups.EVENTS_ANNOUNCED)
IDLE_ROUNDS = math.ceil((RedisChannelLayer.brpop_timeout + 1) / KEEPALIVE_SECONDS)
Status = Event.Status


def changes_group(event) -> str:
    return channel_groups.group_name(channel_groups.EVENT_CHANGES, id=event.pk)


def future(days: int, hours: int = 0) -> datetime.datetime:
    return timezone.now().replace(microsecond=0) + datetime.timedelta(days=days, hours=hours)


# ---------------------------------------------------------------------------------------------
# Cities, offices, people, events
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def aktau(city_factory):
    return city_factory(name_en="Aktau", timezone="Asia/Aqtau")


@pytest.fixture
def office(office_factory, aktau):
    return office_factory(city=aktau)


@pytest.fixture
def publisher(user_factory, office):
    """Announces, edits, postpones and cancels the office's events; signs in with ``token``."""
    user = user_factory(display_name="Aigerim")
    MembershipFactory(user=user, office=office, role=OfficeMembership.Role.PUBLISHER)
    user.token = bearer_for(user)
    return user


@pytest.fixture
def follower_token(user_factory) -> str:
    """The bearer token of someone who just follows the news."""
    return bearer_for(user_factory(display_name="Dana"))


@pytest.fixture
def draft(event_factory, office):
    """A draft of the office, ready to be announced. (The tests' rows are made in fixtures: the
    ORM does not run in the tests' event loop.)"""
    return event_factory(
        office=office,
        host_city=office.city,
        title_en="Caspian jazz",
        status=Status.DRAFT,
        announced_at=None,
    )


@pytest.fixture
def public_event(event_factory, office):
    """An announced event of the office, a week ahead."""
    return event_factory(office=office, host_city=office.city, starts_at=future(7))


@pytest.fixture
def graphql(websocket_server):
    """POST an operation to the live server's /graphql/; returns the response's ``data``,
    which must come without errors."""

    async def post(query: str, variables: dict, token: str) -> dict:
        body = await post_graphql(f"{websocket_server.url}/graphql/", query, variables, token)
        assert "errors" not in body, body
        (payload,) = body["data"].values()
        assert payload["errors"] == [], payload
        return payload

    return post


# ---------------------------------------------------------------------------------------------
# eventAnnounced
# ---------------------------------------------------------------------------------------------
async def test_an_event_announced_over_http_reaches_the_subscriber(
    connect, listen, graphql, publisher, follower_token, aktau, draft
):
    client = await connect(token=follower_token)
    announced = await listen(
        client, EVENT_ANNOUNCED, {"filter": {"city": gid(aktau)}}, ANNOUNCED_GROUP
    )

    await graphql(EVENT_ANNOUNCE, {"id": gid(draft)}, publisher.token)

    assert await announced.next() == {
        "data": {
            "eventAnnounced": {
                "id": gid(draft),
                "title": "Caspian jazz",
                "status": "ANNOUNCED",
                "hostCity": {"name": "Aktau"},
            }
        }
    }


async def test_a_draft_never_reaches_the_subscribers(
    connect, listen, graphql, publisher, office, draft
):
    # The publisher may see the office's drafts, and still hears of none as announced.
    client = await connect(token=publisher.token)
    announced = await listen(client, EVENT_ANNOUNCED, None, ANNOUNCED_GROUP)

    created = await graphql(
        EVENT_CREATE,
        {
            "input": {
                "office": gid(office),
                "title": {"en": "Still a draft"},
                "category": "CULTURAL",
                "startsAt": future(9).isoformat(),
                "endsAt": future(9, hours=2).isoformat(),
                "timeZone": "Asia/Aqtau",
                "venueName": "Town hall",
            }
        },
        publisher.token,
    )
    assert created["event"]["status"] == "DRAFT"
    await graphql(
        EVENT_UPDATE,
        {"id": created["event"]["id"], "input": {"title": {"en": "Still a draft, edited"}}},
        publisher.token,
    )
    await graphql(EVENT_ANNOUNCE, {"id": gid(draft)}, publisher.token)

    result = await announced.next()
    assert result["data"]["eventAnnounced"]["id"] == gid(draft)


# ---------------------------------------------------------------------------------------------
# eventChanged
# ---------------------------------------------------------------------------------------------
async def test_postponing_then_cancelling_reach_the_events_subscriber(
    connect, listen, graphql, publisher, follower_token, public_event
):
    event = public_event
    client = await connect(token=follower_token)
    changes = await listen(client, EVENT_CHANGED, {"event": gid(event)}, changes_group(event))
    starts_at, ends_at = future(14), future(14, hours=3)

    await graphql(
        EVENT_POSTPONE,
        {"id": gid(event), "startsAt": starts_at.isoformat(), "endsAt": ends_at.isoformat()},
        publisher.token,
    )
    await graphql(EVENT_CANCEL, {"id": gid(event), "reason": "The hall floods."}, publisher.token)

    assert await changes.results(2) == [
        {
            "data": {
                "eventChanged": {
                    "id": gid(event),
                    "status": "POSTPONED",
                    "startsAt": starts_at.isoformat(),
                    "endsAt": ends_at.isoformat(),
                    "cancellationReason": "",
                }
            }
        },
        {
            "data": {
                "eventChanged": {
                    "id": gid(event),
                    "status": "CANCELLED",
                    "startsAt": starts_at.isoformat(),
                    "endsAt": ends_at.isoformat(),
                    "cancellationReason": "The hall floods.",
                }
            }
        },
    ]


# ---------------------------------------------------------------------------------------------
# The connection
# ---------------------------------------------------------------------------------------------
@pytest.fixture(params=["garbage", "deactivated-account"])
def refused_token(request, user_factory) -> str:
    """A token the server must refuse: not a token at all, or a real one whose account was
    deactivated since (which the server learns from the database it shares with the test)."""
    if request.param == "garbage":
        return "not-a-token"
    user = user_factory()
    token = bearer_for(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    return token


async def test_a_refused_token_closes_the_socket_4403(connect, refused_token):
    with pytest.raises(Refused) as refused:
        await connect(token=refused_token)

    assert refused.value.code == 4403


async def test_pings_and_pongs_keep_an_idle_subscription_alive(
    connect, listen, graphql, publisher, follower_token, draft
):
    client = await connect(token=follower_token, keep_alive=True)
    announced = await listen(client, EVENT_ANNOUNCED, None, ANNOUNCED_GROUP)

    # Idle, pinging and answering pings, for longer than the Redis channel layer's blocking
    # read for the connection's messages (a connection that heard nothing for that long was
    # once closed 1011).
    await client.keep_alive(rounds=IDLE_ROUNDS)
    await graphql(EVENT_ANNOUNCE, {"id": gid(draft)}, publisher.token)

    result = await announced.next()
    assert result["data"]["eventAnnounced"]["id"] == gid(draft)
    assert client.closes() == []
