"""Every list costs the same number of SQL queries for 1, 20 and 100 items, nested fields
included: a guard against N+1 queries creeping back in.

The guard is complete: a test below walks the schema and fails when a list field (a list or a
connection) reachable from ``Query`` is selected by none of the documents guarded here, so a
new list field needs its line in one of them."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    is_abstract_type,
    parse,
    visit,
)
from graphql_relay import from_global_id, to_global_id

from accounts.models import Device, UserBlock
from chat.models import ChatReaction, ChatReport
from cities.models import CityFollow, OfficeMembership, Twinning, TwinningFollow
from events.models import Announcement, Event, EventCohost, Rsvp, StateChange, Tag
from images.variants import Purpose
from schema.schema import schema
from tests.conftest import bearer_for
from tests.factories import ChatMessageFactory, ImageFactory

EVENTS = """
query ($first: Int) {
  events(first: $first, filter: {includeDrafts: true}) {
    totalCount
    edges { node {
      id title localStartsAt attendeeCount viewerRsvp imageUrl
      image { thumbnail { url width height mimeType } share { url } }
      waitlistCount viewerWaitlistPosition registrationUrl isFree accessibility
      price { amount currency }
      tags { id slug name }
      hostCity { name country { name } timeZone partners { name } offices { name } }
      office { name city { name } }
      twinning { kind cityA { name } cityB { name } cities { slug } }
      history { action actorName changes { field before after recorded } }
      cohosts { status office { name } }
    } }
  }
}
"""

CITIES = """
query ($first: Int) {
  cities(first: $first) {
    totalCount
    edges { node {
      name aliases
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
      events(first: 3) {
        title hostCity { name } twinning { cityA { name } cityB { name } } tags { name }
      }
    } }
  }
}
"""

ANNOUNCEMENTS = """
query ($first: Int) {
  announcements(first: $first) {
    totalCount
    edges { node {
      id title
      city { name }
      office { name }
      twinning { cityA { name } cityB { name } }
      event { title hostCity { name } twinning { cityA { name } cityB { name } } tags { name } }
      history { action actorName changes { field before after } }
    } }
  }
}
"""

# The viewer's lists grow with what the viewer follows, RSVPs to, works for and uses.
VIEWER = """
query {
  me {
    avatar { thumbnail { url } }
    followedCities { name twinnings { kind } partners { name } offices { name } }
    followedTwinnings { kind cities { name } events(first: 3) { title hostCity { name } } }
    rsvps {
      status
      event {
        title viewerRsvp viewerWaitlistPosition hostCity { name } twinning { cityA { name } }
        image { card { url } }
        tags { name }
      }
    }
    memberships { role office { name city { name } } }
    devices { token platform }
    preferences { mutedCategories }
    blockedUsers(first: 100) { totalCount edges { node { id displayName blockedAt } } }
  }
}
"""

Role = OfficeMembership.Role
SIZES = (1, 20, 100)


@pytest.fixture(autouse=True)
def no_cost_limit(settings):
    """These documents select every nested list at once, at the largest page, to count the
    SQL of each; the cost limit refuses them at 100 items (tests/schema/test_cost.py)."""
    settings.GRAPHQL_MAX_COST = 0


@pytest.fixture(autouse=True)
def every_request_executed(settings):
    """The SQL counted is an execution's: no answer is kept, signed in or not (the rows added
    here with ``bulk_create`` bump no version, so a kept answer would be stale as well)."""
    settings.RESPONSE_CACHE_VIEWER_SECONDS = 0


LISTS = {"events": EVENTS, "cities": CITIES, "twinnings": TWINNINGS}
LISTS["announcements"] = ANNOUNCEMENTS

# List fields that cost no query per item, and why.
NOT_LISTS_OF_ROWS = {
    ("Query", "languages"): "the supported languages, a constant",
    ("Preferences", "mutedCategories"): "a JSON column of the viewer's own row",
}


def count_queries(client, query, token, variables=None):
    with CaptureQueriesContext(connection) as context:
        response = client.post(
            "/graphql/",
            json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="ru",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"], len(context.captured_queries)


@pytest.fixture
def catalogue(db, twinning_factory, event_factory, announcement_factory, office_factory):
    """100 twinnings, each with two events (one with a co-host and a history, both with tags,
    some priced) and an announcement, and their cities and offices."""
    vocabulary = [
        Tag.objects.create(slug=f"tag-{n}", name_en=f"Tag {n}", name_ru=f"Метка {n}")
        for n in range(5)
    ]
    for n in range(100):
        twinning = twinning_factory(kind=Twinning.Kind.SISTER_PORT)
        event = event_factory(
            host_city=twinning.city_a, twinning=twinning, title_en=f"E{n}", image=ImageFactory()
        )
        other = event_factory(
            host_city=twinning.city_b,
            twinning=twinning,
            price_amount=n + 1,
            price_currency="KZT",
        )
        event.tags.set(vocabulary[: 1 + n % 5])
        other.tags.set(vocabulary[n % 5 :])
        news = announcement_factory(office=event.office, twinning=twinning, event=event)
        EventCohost.objects.create(event=event, office=office_factory(city=twinning.city_b))
        StateChange.objects.create(
            event=event, subject_title=event.title_en, action=StateChange.Action.CREATED
        )
        StateChange.objects.create(
            announcement=news,
            subject_title=news.title_en,
            action=StateChange.Action.UPDATED,
            details={"changes": [{"field": "title_en", "before": "Old", "after": news.title_en}]},
        )


# A search's page: the best matches first, ranked in the same query.
CITY_SEARCH = """
query ($first: Int, $after: String) {
  cities(search: "City", first: $first, after: $after) {
    totalCount
    pageInfo { endCursor }
    edges { node { name aliases population partners { name } } }
  }
}
"""


def test_a_searchs_query_count_does_not_grow_with_page_size(client, catalogue, user_factory):
    token = bearer_for(user_factory())
    counts = {}
    for first in SIZES:
        data, counts[first] = count_queries(client, CITY_SEARCH, token, {"first": first})
        assert len(data["cities"]["edges"]) == first
        after = data["cities"]["pageInfo"]["endCursor"]
        data, counts[first, "after"] = count_queries(
            client, CITY_SEARCH, token, {"first": first, "after": after}
        )
        assert len(data["cities"]["edges"]) == first

    assert len(set(counts.values())) == 1, counts


@pytest.mark.parametrize("name", LISTS)
def test_query_count_does_not_grow_with_page_size(client, catalogue, user_factory, name):
    # A superuser, so that viewer-specific and office-only fields (viewerRsvp, history,
    # co-hosts) are loaded too.
    token = bearer_for(user_factory(is_superuser=True))
    counts = {}
    for first in SIZES:
        data, counts[first] = count_queries(client, LISTS[name], token, {"first": first})
        assert len(data[name]["edges"]) == first

    assert len(set(counts.values())) == 1, counts


@pytest.mark.parametrize("name", ["events", "announcements"])
def test_query_count_does_not_grow_with_the_length_of_the_histories(
    client, catalogue, user_factory, name
):
    # Given a page of 20 events or announcements, read once with their short histories
    token = bearer_for(user_factory(is_superuser=True))
    _, short = count_queries(client, LISTS[name], token, {"first": 20})
    # When each gets 30 more records, of every action, with their changes
    data, _ = count_queries(client, LISTS[name], token, {"first": 20})
    subject = "event" if name == "events" else "announcement"
    model = Event if name == "events" else Announcement
    ids = [from_global_id(edge["node"]["id"])[1] for edge in data[name]["edges"]]
    StateChange.objects.bulk_create(
        StateChange(
            **{subject: model(pk=pk)},
            subject_title="A",
            action=action,
            details={"changes": [{"field": "venue_name", "before": "A", "after": "B"}]},
        )
        for pk in ids
        for action in [*StateChange.Action.values] * 3
    )
    data, long = count_queries(client, LISTS[name], token, {"first": 20})

    # Then the page costs the same queries, with every record read
    assert all(len(edge["node"]["history"]) >= 27 for edge in data[name]["edges"])
    assert long == short


# Pages after a cursor, with the cursors selected and the sort keys not: the keys are read
# with the rows, not row by row.
PAGE = "pageInfo { endCursor } edges { cursor node { id } }"
NEAR = "{near: {latitude: 43.2, longitude: 76.9, radiusKm: 100}}"
PAGES_AFTER = {
    "events": f"query($first: Int, $after: String) {{ events(first: $first, after: $after) "
    f"{{ {PAGE} }} }}",
    "events soonest last": "query($first: Int, $after: String) { events(first: $first, "
    f"after: $after, orderBy: START_DESC) {{ {PAGE} }} }}",
    "events by distance": "query($first: Int, $after: String) { events(first: $first, "
    f"after: $after, orderBy: DISTANCE, filter: {NEAR}) {{ {PAGE} }} }}",
    "cities": f"query($first: Int, $after: String) {{ cities(first: $first, after: $after) "
    f"{{ {PAGE} }} }}",
    "twinnings": "query($first: Int, $after: String) { twinnings(first: $first, "
    f"after: $after) {{ {PAGE} }} }}",
    "announcements": "query($first: Int, $after: String) { announcements(first: $first, "
    f"after: $after) {{ {PAGE} }} }}",
}


@pytest.mark.parametrize("name", PAGES_AFTER)
def test_a_page_after_a_cursor_costs_the_same_whatever_its_size(
    client, catalogue, user_factory, name
):
    token = bearer_for(user_factory())
    document = PAGES_AFTER[name]
    data, _ = count_queries(client, document, token, {"first": 1})
    cursor = next(iter(data.values()))["pageInfo"]["endCursor"]
    counts = {}
    for first in SIZES:
        data, counts[first] = count_queries(
            client, document, token, {"first": first, "after": cursor}
        )
        edges = next(iter(data.values()))["edges"]
        assert edges and all(edge["cursor"] for edge in edges)

    assert len(set(counts.values())) == 1, counts


CITY_EVENTS = EVENTS.replace("includeDrafts: true", "city: $city").replace(
    "($first: Int)", "($first: Int, $city: ID)"
)


def test_a_citys_feed_costs_one_query_more_than_the_whole_feed_whatever_its_size(
    client, catalogue, user_factory, event_factory
):
    # given a city hosting 80 events, and 80 of its twinning in the partner city of which 40
    # are of the twinning
    token = bearer_for(user_factory(is_superuser=True))
    twinning = Twinning.objects.first()
    for n in range(160):
        host = twinning.city_a if n % 2 else twinning.city_b
        event_factory(host_city=host, twinning=twinning if n % 4 else None)
    city = to_global_id("City", twinning.city_a_id)
    counts, whole = {}, {}

    # when
    for first in SIZES:
        feed, counts[first] = count_queries(
            client, CITY_EVENTS, token, {"first": first, "city": city}
        )
        assert len(feed["events"]["edges"]) == first
        _, whole[first] = count_queries(client, EVENTS, token, {"first": first})

    # then: the city's twinnings are read once, before the page
    assert feed["events"]["totalCount"] == 2 + 80 + 40
    assert len(set(counts.values())) == 1, counts
    assert counts[1] == whole[1] + 1


FOR_YOU = EVENTS.replace("includeDrafts: true", "following: true")


def test_the_for_you_feed_costs_three_queries_more_than_the_whole_feed_whatever_its_size(
    client, catalogue, user_factory
):
    # given a viewer who follows 20 cities and 20 twinnings and answered 60 events, many of
    # them matching twice or more
    viewer = user_factory(is_superuser=True)
    twinnings = list(Twinning.objects.order_by("id"))
    for twinning in twinnings[:20]:
        CityFollow.objects.create(user=viewer, city=twinning.city_a)
    for twinning in twinnings[10:30]:
        TwinningFollow.objects.create(user=viewer, twinning=twinning)
    for event in Event.objects.filter(twinning__in=twinnings[20:80])[:60]:
        Rsvp.objects.create(user=viewer, event=event, status="GOING")
    token = bearer_for(viewer)
    counts, whole = {}, {}

    # when
    for first in SIZES:
        feed, counts[first] = count_queries(client, FOR_YOU, token, {"first": first})
        assert len(feed["events"]["edges"]) == first
        _, whole[first] = count_queries(client, EVENTS, token, {"first": first})

    # then: the two events of each of twinnings 0 to 49 (of the followed cities' twinnings
    # 0–19, the followed twinnings 10–29, the answered events' 20–49), each once; the cities,
    # the twinnings and the answered events are read once, before the page
    assert feed["events"]["totalCount"] == 2 * 50
    assert len(set(counts.values())) == 1, counts
    assert counts[1] == whole[1] + 3


def test_the_viewers_lists_cost_the_same_whatever_their_length(
    client, catalogue, user_factory, office_factory
):
    counts = {}
    twinnings = list(Twinning.objects.select_related("city_a", "city_b").order_by("id"))
    for size in SIZES:
        user = user_factory(
            muted_categories=["SPORTS"], avatar=ImageFactory(purpose=Purpose.AVATAR)
        )
        for number, twinning in enumerate(twinnings[:size]):
            CityFollow.objects.create(user=user, city=twinning.city_a)
            TwinningFollow.objects.create(user=user, twinning=twinning)
            # Every other one in a waitlist, with someone ahead of them in most
            events = list(twinning.events.order_by("pk"))
            if number % 2:
                Rsvp.objects.create(user=user, event=events[0], status="GOING")
            else:
                waited = timezone.now() - datetime.timedelta(minutes=number)
                Rsvp.objects.create(
                    user=user, event=events[1], status="WAITLISTED", waitlisted_at=waited
                )
            office = office_factory(city=twinning.city_a)
            OfficeMembership.objects.create(user=user, office=office, role=Role.EDITOR)
            token = f"token-{size}-{twinning.pk}"
            Device.objects.create(user=user, token=token, platform=Device.Platform.ANDROID)
            UserBlock.objects.create(blocker=user, blocked=user_factory())
        data, counts[size] = count_queries(client, VIEWER, bearer_for(user))
        assert len(data["me"]["rsvps"]) == size
        assert len(data["me"]["followedCities"]) == size
        assert len(data["me"]["blockedUsers"]["edges"]) == size

    assert len(set(counts.values())) == 1, counts


CHAT_HISTORY = """
query ($event: ID!, $last: Int) {
  event(id: $event) {
    chatRoom { isOpen }
    chatMessages(last: $last) {
      pageInfo { hasPreviousPage startCursor }
      edges { cursor node {
        id seq body isDeleted createdAt clientId cursor
        author { id displayName avatar { thumbnail { url width } } }
        event { title }
        reactions { emoji count reactedByMe }
        replyTo {
          body author { displayName } event { title } reactions { emoji reactedByMe }
          replyTo { body author { displayName avatar { full { url } } } }
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
    viewer = user_factory(avatar=ImageFactory(purpose=Purpose.AVATAR))
    other = user_factory()
    previous = None
    for n in range(160):
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


CHAT_REPORTS = """
query ($event: ID!, $first: Int) {
  event(id: $event) {
    chatReports(first: $first) {
      totalCount
      edges { node {
        reason status createdAt resolvedAt
        reporter { displayName avatar { thumbnail { url } } } resolvedBy { displayName }
        message {
          body author { displayName avatar { thumbnail { url } } }
          replyTo { body author { displayName } }
        }
      } }
    }
  }
}
"""


def test_chat_reports_query_count_does_not_grow_with_page_size(client, chat, user_factory):
    event, _ = chat
    for message in event.chat_messages.all():
        reporter = user_factory(avatar=ImageFactory(purpose=Purpose.AVATAR))
        ChatReport.objects.create(event=event, message=message, reporter=reporter, reason="Spam")
    token = bearer_for(user_factory(is_superuser=True))
    counts = {}
    for first in SIZES:
        variables = {"event": to_global_id("Event", event.pk), "first": first}
        data, counts[first] = count_queries(client, CHAT_REPORTS, token, variables)
        assert len(data["event"]["chatReports"]["edges"]) == first

    assert len(set(counts.values())) == 1, counts


def list_fields() -> set[tuple[str, str]]:
    """Every (type, field) reachable from Query whose value is a list or a connection."""
    found, seen, pending = set(), set(), [schema.graphql_schema.query_type]
    while pending:
        parent = pending.pop()
        if parent.name in seen or parent.name.startswith("__"):
            continue
        seen.add(parent.name)
        for name, field in parent.fields.items():
            type_ = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            named = get_named_type(type_)
            if isinstance(type_, GraphQLList) or named.name.endswith("Connection"):
                found.add((parent.name, name))
            if is_abstract_type(named):
                pending += schema.graphql_schema.get_possible_types(named)
            elif isinstance(named, GraphQLObjectType):
                pending.append(named)
    return found


class SelectedFields(Visitor):
    def __init__(self, type_info):
        super().__init__()
        self.type_info = type_info
        self.fields = set()

    def enter_field(self, node, *_):
        parent = self.type_info.get_parent_type()
        if parent is not None:
            self.fields.add((parent.name, node.name.value))


TAGS = "{ tags { id slug name } }"


def test_the_vocabulary_of_tags_costs_the_same_whatever_its_size(client, user_factory):
    token = bearer_for(user_factory())
    counts = {}
    for size in SIZES:
        Tag.objects.bulk_create(
            Tag(slug=f"size-{size}-{n}", name_en=f"Tag {n}", name_ru=f"Метка {n}")
            for n in range(size - Tag.objects.count())
        )
        data, counts[size] = count_queries(client, TAGS, token)
        assert len(data["tags"]) == size

    assert len(set(counts.values())) == 1, counts


def test_every_list_field_is_guarded():
    selected = set()
    for document in [*LISTS.values(), VIEWER, CHAT_HISTORY, CHAT_REPORTS, TAGS]:
        fields = SelectedFields(TypeInfo(schema.graphql_schema))
        visit(parse(document), TypeInfoVisitor(fields.type_info, fields))
        selected |= fields.fields

    unguarded = list_fields() - selected - set(NOT_LISTS_OF_ROWS)

    assert not unguarded, f"list fields no document here selects: {sorted(unguarded)}"
    assert ("Event", "history") in list_fields()
