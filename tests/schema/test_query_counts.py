"""Every list costs the same number of SQL queries for 1, 20 and 100 items, nested fields
included: a guard against N+1 queries creeping back in."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from graphql_relay import to_global_id

from cities.models import Twinning
from events.models import ChatReaction
from tests.conftest import bearer_for
from tests.factories import ChatMessageFactory

EVENTS = """
query ($first: Int) {
  events(first: $first) {
    totalCount
    edges { node {
      title localStartsAt attendeeCount viewerRsvp
      hostCity { name country { name } timeZone partners { name } offices { name } }
      office { name city { name } }
      twinning { kind cityA { name } cityB { name } cities { slug } }
    } }
  }
}
"""

CITIES = """
query ($first: Int) {
  cities(first: $first) {
    totalCount
    edges { node {
      name
      offices { name }
      twinnings { kind cityA { name } cityB { name } }
      partners { name }
    } }
  }
}
"""

TWINNINGS = """
query ($first: Int) {
  twinnings(first: $first) {
    totalCount
    edges { node {
      kind cityA { name } cityB { name } cities { name }
      events(first: 3) { title hostCity { name } twinning { cityA { name } cityB { name } } }
    } }
  }
}
"""

ANNOUNCEMENTS = """
query ($first: Int) {
  announcements(first: $first) {
    totalCount
    edges { node {
      title
      city { name }
      office { name }
      twinning { cityA { name } cityB { name } }
      event { title hostCity { name } twinning { cityA { name } cityB { name } } }
    } }
  }
}
"""

SIZES = (1, 20, 100)


def count_queries(client, query, first, token):
    with CaptureQueriesContext(connection) as context:
        response = client.post(
            "/graphql/",
            json.dumps({"query": query, "variables": {"first": first}}),
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="ru",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    body = response.json()
    assert "errors" not in body, body["errors"]
    key = next(iter(body["data"]))
    assert len(body["data"][key]["edges"]) == first
    return len(context.captured_queries)


@pytest.fixture
def catalogue(db, city_factory, twinning_factory, event_factory, announcement_factory):
    """100 twinnings, each with an event and an announcement, and their cities and offices."""
    for n in range(100):
        twinning = twinning_factory(kind=Twinning.Kind.SISTER_PORT)
        event = event_factory(host_city=twinning.city_a, twinning=twinning, title_en=f"E{n}")
        event_factory(host_city=twinning.city_b, twinning=twinning)
        announcement_factory(office=event.office, twinning=twinning, event=event)


@pytest.mark.parametrize(
    "query",
    [EVENTS, CITIES, TWINNINGS, ANNOUNCEMENTS],
    ids=["events", "cities", "twinnings", "announcements"],
)
def test_query_count_does_not_grow_with_page_size(client, catalogue, user_factory, query):
    # Signed in, so that viewer-specific fields (viewerRsvp) are loaded too.
    token = bearer_for(user_factory())
    counts = {first: count_queries(client, query, first, token) for first in SIZES}

    assert len(set(counts.values())) == 1, counts


CHAT_HISTORY = """
query ($event: ID!, $last: Int) {
  event(id: $event) {
    chatRoom { isOpen }
    chatMessages(last: $last) {
      pageInfo { hasPreviousPage startCursor }
      edges { cursor node {
        id seq body isDeleted createdAt clientId cursor
        author { id displayName }
        event { title }
        reactions { emoji count reactedByMe }
        replyTo {
          body author { displayName } event { title } reactions { emoji reactedByMe }
          replyTo { body author { displayName } }
        }
      } }
    }
  }
}
"""


@pytest.fixture
def chat(db, event_factory, user_factory):
    """An event whose chat has 120 messages, each answering the one before, with reactions by
    the viewer and by others."""
    now = timezone.now()
    event = event_factory(starts_at=now, ends_at=now + datetime.timedelta(hours=2))
    viewer, other = user_factory(), user_factory()
    previous = None
    for n in range(120):
        previous = ChatMessageFactory(
            event=event,
            author=viewer if n % 3 else other,
            reply_to=previous,
            reactions={"👍": 2, "🎉": 1},
        )
        ChatReaction.objects.create(message=previous, user=viewer, emoji="👍")
        ChatReaction.objects.create(message=previous, user=other, emoji="👍")
        ChatReaction.objects.create(message=previous, user=other, emoji="🎉")
    return event, viewer


def test_chat_history_query_count_does_not_grow_with_page_size(client, chat):
    event, viewer = chat
    token = bearer_for(viewer)
    counts = {}
    for last in SIZES:
        with CaptureQueriesContext(connection) as context:
            response = client.post(
                "/graphql/",
                json.dumps(
                    {
                        "query": CHAT_HISTORY,
                        "variables": {"event": to_global_id("Event", event.pk), "last": last},
                    }
                ),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
        body = response.json()
        assert "errors" not in body, body["errors"]
        edges = body["data"]["event"]["chatMessages"]["edges"]
        assert len(edges) == last
        assert edges[-1]["node"]["reactions"] == [
            {"emoji": "👍", "count": 2, "reactedByMe": True},
            {"emoji": "🎉", "count": 1, "reactedByMe": False},
        ]
        assert edges[-1]["node"]["replyTo"]["replyTo"]["author"]["displayName"]
        counts[last] = len(context.captured_queries)

    assert len(set(counts.values())) == 1, counts
