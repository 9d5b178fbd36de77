"""Fixtures of the chat's API tests: rooms open now or not, the people in them, and helpers
that send through the API."""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone
from graphql_relay import to_global_id

from cities.models import OfficeMembership
from tests.factories import ChatMessageFactory, MembershipFactory

Role = OfficeMembership.Role

SEND = """
mutation Send($event: ID!, $body: String!, $clientId: String!, $replyTo: ID) {
  chatMessageSend(event: $event, body: $body, clientId: $clientId, replyTo: $replyTo) {
    message {
      id seq body author { id displayName } replyTo { seq body } isDeleted clientId cursor
    }
    errors { field code message }
  }
}
"""


@pytest.fixture(autouse=True)
def clear_cache():
    """Rate-limit counters and presence live in the cache (Redis on the second leg): each test
    starts without any."""
    cache.clear()
    yield
    cache.clear()


def gid(instance) -> str:
    return to_global_id(type(instance).__name__, instance.pk)


def minutes(n: float) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


@pytest.fixture
def room(event_factory):
    """An announced event that started half an hour ago and ends in an hour: its room is open."""
    now = timezone.now()
    return event_factory(
        title_en="Caspian jazz", starts_at=now - minutes(30), ends_at=now + minutes(60)
    )


@pytest.fixture
def other_room(event_factory):
    """Another event on now, of another office."""
    now = timezone.now()
    return event_factory(
        title_en="Silk days", starts_at=now - minutes(10), ends_at=now + minutes(120)
    )


@pytest.fixture
def ada(user_factory):
    return user_factory(email="ada@example.org", display_name="Ada")


@pytest.fixture
def bob(user_factory):
    return user_factory(email="bob@example.org", display_name="Bob")


@pytest.fixture
def moderator(user_factory, room):
    """A MODERATOR of the office that organises ``room``."""
    user = user_factory(email="moderator@example.org", display_name="Mod")
    MembershipFactory(user=user, office=room.office, role=Role.MODERATOR)
    return user


@pytest.fixture
def message_factory(db):
    return ChatMessageFactory


def send_as(gql, user, event, body, client_id="c-1", reply_to=None, query=SEND):
    """chatMessageSend over HTTP; the payload (message and errors)."""
    variables = {"event": gid(event), "body": body, "clientId": client_id}
    if reply_to is not None:
        variables["replyTo"] = reply_to
    result = gql(query, variables, user=user)
    assert "errors" not in result, result
    return result["data"]["chatMessageSend"]
