"""Event.shareUrl: the link an app shares an event by, absolute, on the server's public
address, and leading to the event's page (tests/events/test_share_page.py)."""

import json
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql_relay import to_global_id

from events.models import Event

pytestmark = pytest.mark.django_db

EVENT = "query($id: ID!) { event(id: $id) { shareUrl } }"
FEED = "query { events(first: 10) { edges { node { title shareUrl } } } }"


class OpenGraphUrl(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.url = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "meta" and attributes.get("property") == "og:url":
            self.url = attributes["content"]


def test_the_link_is_on_the_public_address_and_opens_the_events_page(
    gql, client, event_factory, settings
):
    settings.PUBLIC_BASE_URL = "https://twinning.example.org"
    event = event_factory(title_en="Caspian regatta")

    result = gql(EVENT, {"id": to_global_id("Event", event.pk)})

    link = result["data"]["event"]["shareUrl"]
    assert link == f"https://twinning.example.org/e/{event.pk}"
    page = client.get(link.removeprefix(settings.PUBLIC_BASE_URL))
    assert page.status_code == 200
    assert OpenGraphUrl(page.content.decode()).url == link


def test_without_a_public_address_the_link_names_the_address_asked(gql, event_factory, settings):
    settings.PUBLIC_BASE_URL = ""
    event = event_factory()

    result = gql(EVENT, {"id": to_global_id("Event", event.pk)})

    assert result["data"]["event"]["shareUrl"] == f"http://testserver/e/{event.pk}"


def test_every_event_of_a_list_has_its_link_for_no_more_queries(client, event_factory, settings):
    settings.PUBLIC_BASE_URL = "https://twinning.example.org"
    events = [event_factory() for _ in range(3)]

    def feed():
        with CaptureQueriesContext(connection) as queries:
            body = client.post(
                "/graphql/", json.dumps({"query": FEED}), content_type="application/json"
            ).json()
        return body, len(queries.captured_queries)

    first, first_queries = feed()
    kept, kept_queries = feed()

    links = [edge["node"]["shareUrl"] for edge in first["data"]["events"]["edges"]]
    assert links == [f"https://twinning.example.org/e/{event.pk}" for event in events]
    # Public like the rest of the event: the anonymous feed is kept, and answered without SQL
    assert kept == first
    assert first_queries > 0 and kept_queries == 0


def test_an_office_reads_its_drafts_link_before_the_page_shows_it(
    gql, client, event_factory, editor, office
):
    draft = event_factory(office=office, host_city=office.city, status=Event.Status.DRAFT)

    result = gql(EVENT, {"id": to_global_id("Event", draft.pk)}, user=editor)

    assert result["data"]["event"]["shareUrl"] == f"http://testserver/e/{draft.pk}"
    assert client.get(f"/e/{draft.pk}").status_code == 404
