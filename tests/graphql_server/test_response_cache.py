"""The response cache of public reads: what it keeps, what it never keeps, and that a change to
the data it shows is seen at once. A signed-in viewer's answers: test_viewer_response_cache.py.

A kept response is recognised by costing no SQL at all; a stale one by a row changed with
``QuerySet.update``, which sends no signal and so bumps no version."""

import datetime
import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from graphql import parse
from graphql_relay import to_global_id

from cities.models import City, OfficeMembership
from core import data_versions
from events import services
from events.models import Event
from graphql_server import documents, response_cache, runner
from schema.events.clocks import EVENTS_NOT_OVER
from schema.schema import schema
from tests.factories import MembershipFactory

FEED = """
query Feed($first: Int) {
  events(first: $first) {
    edges { node { id title status localStartsAt hostCity { name } twinning { kind } } }
  }
}
"""
FEED_WITH_ATTENDANCE = """
query { events { edges { node { title attendeeCount } } } }
"""
EVENT = """
query Event($id: ID!) { event(id: $id) { title status hostCity { name } } }
"""
CITIES = """
query {
  cities(first: 3) { edges { node { name twinnings { kind cityA { name } cityB { name } } } } }
}
"""


@pytest.fixture
def post(client):
    """POST an operation; the decoded body and the number of SQL queries it cost."""

    def send(query, variables=None, language="en", user=None, token=None):
        headers = {"HTTP_ACCEPT_LANGUAGE": language}
        if user is not None:
            from tests.conftest import bearer_for

            token = bearer_for(user)
        if token is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                "/graphql/",
                json.dumps({"query": query, "variables": variables or {}}),
                content_type="application/json",
                **headers,
            )
        return response.json(), len(queries.captured_queries)

    return send


@pytest.fixture
def aktau(event_factory, twinning_factory):
    twinning = twinning_factory(city_a__name_en="Aktau", city_a__name_ru="Актау")
    return event_factory(
        title_en="Caspian regatta", title_ru="Каспийская регата", host_city=twinning.city_a
    )


def titles(body):
    return [edge["node"]["title"] for edge in body["data"]["events"]["edges"]]


def test_an_anonymous_read_is_answered_from_the_cache_without_sql(post, aktau):
    first, first_queries = post(FEED, {"first": 20})
    second, second_queries = post(FEED, {"first": 20})

    assert titles(first) == ["Caspian regatta"]
    assert second == first
    assert first_queries > 0
    assert second_queries == 0


def test_a_kept_response_skips_parsing_validation_and_execution(post, aktau, monkeypatch):
    post(FEED, {"first": 20})

    def refuse(*args, **kwargs):
        raise AssertionError("a kept response must not reach graphql-core")

    monkeypatch.setattr(documents, "parse_document", refuse)
    monkeypatch.setattr(documents, "validate_document", refuse)
    monkeypatch.setattr(runner, "execute", refuse)

    body, _ = post(FEED, {"first": 20})
    assert titles(body) == ["Caspian regatta"]


def test_variables_operation_and_language_make_different_responses(post, aktau, event_factory):
    event_factory(title_en="Second", starts_at=aktau.starts_at + datetime.timedelta(days=1))

    assert titles(post(FEED, {"first": 1})[0]) == ["Caspian regatta"]
    assert titles(post(FEED, {"first": 2})[0]) == ["Caspian regatta", "Second"]
    assert titles(post(FEED, {"first": 1}, language="ru")[0]) == ["Каспийская регата"]
    assert titles(post(FEED, {"first": 1}, language="en")[0]) == ["Caspian regatta"]


DRAFTS_TOO = """
query { events(filter: {includeDrafts: true}) { edges { node { title status } } } }
"""


def test_announcing_a_draft_is_seen_at_once_and_the_draft_never_before(post, aktau):
    publisher = MembershipFactory(office=aktau.office, role=OfficeMembership.Role.PUBLISHER).user
    starts = aktau.starts_at + datetime.timedelta(days=1)
    draft = services.create_event(
        publisher,
        aktau.office,
        {
            "title_en": "Secret plan",
            "category": Event.Category.CULTURAL,
            "starts_at": starts,
            "ends_at": starts + datetime.timedelta(hours=2),
            "timezone": "Asia/Aqtau",
            "venue_name": "Port",
        },
    )
    draft_id = {"id": to_global_id("Event", draft.pk)}
    # The office sees its draft; that answer is not kept for anyone.
    assert titles(post(DRAFTS_TOO, user=publisher)[0]) == ["Caspian regatta", "Secret plan"]

    assert titles(post(DRAFTS_TOO)[0]) == ["Caspian regatta"]
    assert titles(post(FEED, {"first": 20})[0]) == ["Caspian regatta"]
    assert post(EVENT, draft_id)[0]["data"]["event"] is None
    assert titles(post(DRAFTS_TOO)[0]) == ["Caspian regatta"]

    services.announce_event(publisher, draft)

    assert titles(post(FEED, {"first": 20})[0]) == ["Caspian regatta", "Secret plan"]
    assert titles(post(DRAFTS_TOO)[0]) == ["Caspian regatta", "Secret plan"]
    assert post(EVENT, draft_id)[0]["data"]["event"]["title"] == "Secret plan"


def test_changing_an_event_or_renaming_its_city_is_seen_at_once(post, aktau):
    publisher = MembershipFactory(office=aktau.office, role=OfficeMembership.Role.PUBLISHER).user
    post(FEED, {"first": 20})
    post(CITIES)

    services.update_event(publisher, aktau, {"title_en": "Caspian cup"})
    feed, _ = post(FEED, {"first": 20})
    assert titles(feed) == ["Caspian cup"]

    city = City.objects.get(name_en="Aktau")
    city.name_en = "Aqtau"
    city.save()
    feed, _ = post(FEED, {"first": 20})
    assert feed["data"]["events"]["edges"][0]["node"]["hostCity"] == {"name": "Aqtau"}
    cities, _ = post(CITIES)
    names = {edge["node"]["name"] for edge in cities["data"]["cities"]["edges"]}
    assert "Aqtau" in names and "Aktau" not in names

    services.cancel_event(publisher, aktau, "Storm")
    assert post(FEED, {"first": 20})[0]["data"]["events"]["edges"][0]["node"]["status"] == (
        "CANCELLED"
    )


CITY_FEED = """
query Feed($city: ID, $first: Int = 1, $after: String) {
  events(filter: {city: $city}, first: $first, after: $after) {
    pageInfo { endCursor } edges { cursor node { title } }
  }
}
"""


def test_a_citys_feed_sees_a_change_of_its_twinnings_at_once(
    post, aktau, city_factory, twinning_factory, event_factory
):
    # given a Karachi event of a pair that Aktau is not in, and Aktau's feed kept
    karachi = city_factory(name_en="Karachi", country="PK")
    pair = twinning_factory(city_a=karachi)
    event_factory(title_en="Karachi fair", host_city=karachi, twinning=pair)
    variables = {"city": to_global_id("City", aktau.host_city_id), "first": 20}
    post(CITY_FEED, variables)
    kept, queries = post(CITY_FEED, variables)
    assert titles(kept) == ["Caspian regatta"] and queries == 0

    # when the pair is corrected to be Aktau's (as an office would in the admin)
    pair.city_a, pair.city_b = aktau.host_city, karachi
    pair.save()

    # then Aktau's feed shows the pair's event at once
    feed, _ = post(CITY_FEED, variables)
    assert titles(feed) == ["Caspian regatta", "Karachi fair"]


def test_pages_after_a_cursor_are_kept_like_the_first(post, aktau, event_factory):
    event_factory(title_en="Second", host_city=aktau.host_city)
    variables = {"city": to_global_id("City", aktau.host_city_id)}
    first, _ = post(CITY_FEED, variables)
    cursor = first["data"]["events"]["pageInfo"]["endCursor"]
    assert first["data"]["events"]["edges"][0]["cursor"] == cursor

    second, _ = post(CITY_FEED, {**variables, "after": cursor})
    again, queries = post(CITY_FEED, {**variables, "after": cursor})

    assert titles(second) == ["Second"] and again == second and queries == 0


def test_a_change_is_seen_after_it_commits_by_other_processes(
    post, aktau, django_capture_on_commit_callbacks
):
    versions = data_versions.current([data_versions.EVENTS])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        aktau.title_en = "Caspian cup"
        aktau.save()
        in_transaction = data_versions.current([data_versions.EVENTS])

    after_commit = data_versions.current([data_versions.EVENTS])
    assert in_transaction[data_versions.EVENTS] == versions[data_versions.EVENTS] + 1
    assert after_commit[data_versions.EVENTS] == versions[data_versions.EVENTS] + 2
    assert len(callbacks) == 1


def test_an_rsvp_ends_only_the_responses_that_show_attendance(post, aktau, user_factory):
    post(FEED, {"first": 20})
    post(FEED_WITH_ATTENDANCE)

    services.set_rsvp(user_factory(), aktau, "GOING")

    _, feed_queries = post(FEED, {"first": 20})
    attendance, attendance_queries = post(FEED_WITH_ATTENDANCE)
    assert feed_queries == 0
    assert attendance_queries > 0
    assert attendance["data"]["events"]["edges"][0]["node"]["attendeeCount"] == 1


@pytest.mark.parametrize(
    "query",
    [
        "query { events { edges { node { title history { action } } } } }",
        "query { events { edges { node { title cohosts { status } } } } }",
        "query { me { displayName } events { edges { node { title } } } }",
    ],
    ids=["history", "cohosts", "me"],
)
def test_viewer_specific_fields_are_never_kept(post, aktau, query):
    post(query)
    Event.objects.filter(pk=aktau.pk).update(title_en="Changed quietly")

    body, queries = post(query)

    assert queries > 0
    assert "depends on the viewer" in response_cache.analyse(schema.graphql_schema, query).reason
    if "errors" not in body:  # history and co-hosts are refused to anonymous viewers
        assert body["data"]["events"]["edges"][0]["node"]["title"] == "Changed quietly"


def test_mutations_and_answers_with_errors_are_never_kept(post, aktau):
    bad = 'query { event(id: "not an id") { title } events { edges { node { title } } } }'
    post(bad)
    Event.objects.filter(pk=aktau.pk).update(title_en="Changed quietly")

    body, queries = post(bad)

    assert body["errors"][0]["extensions"]["code"] == "INVALID_ID"
    assert queries > 0
    policy = response_cache.analyse(
        schema.graphql_schema, 'mutation { tokenRevoke(refreshToken: "x") { errors { code } } }'
    )
    assert not policy.cacheable


def test_the_cache_can_be_turned_off(post, aktau, settings):
    settings.RESPONSE_CACHE_SECONDS = 0
    post(FEED, {"first": 20})

    _, queries = post(FEED, {"first": 20})

    assert queries > 0


def test_the_module_interface_keeps_and_returns_the_bytes(aktau):
    anonymous = AnonymousUser()
    digest = response_cache.document_hash(FEED)
    miss = response_cache.lookup(
        schema.graphql_schema, parse(FEED), digest, {"first": 20}, "Feed", "ru", anonymous
    )
    assert miss.response is None and miss.storable

    assert response_cache.store(miss, b'{"data":{}}')

    hit = response_cache.lookup(
        schema.graphql_schema, parse(FEED), digest, {"first": 20}, "Feed", "ru", anonymous
    )
    assert hit.response == b'{"data":{}}'
    assert (
        response_cache.lookup(
            schema.graphql_schema, parse(FEED), digest, {"first": 20}, "Feed", "en", anonymous
        ).response
        is None
    )
    assert (
        response_cache.lookup(
            schema.graphql_schema, parse(FEED), digest, {"first": 2}, "Feed", "ru", anonymous
        ).response
        is None
    )


class CountingCache:
    """The shared cache client, counting the calls made to it (each one round trip)."""

    def __init__(self, real):
        self.real = real
        self.calls: list[str] = []

    def __getattr__(self, name):
        method = getattr(self.real, name)

        def counted(*args, **kwargs):
            self.calls.append(name)
            return method(*args, **kwargs)

        return counted


def test_a_kept_response_costs_one_round_trip_to_the_cache(post, aktau, monkeypatch):
    post(FEED, {"first": 20})
    counting = CountingCache(data_versions.shared_cache())
    monkeypatch.setattr(data_versions, "shared_cache", lambda: counting)
    monkeypatch.setattr(response_cache, "shared_cache", lambda: counting)

    body, queries = post(FEED, {"first": 20})

    assert titles(body) == ["Caspian regatta"] and queries == 0
    assert counting.calls == ["get_many"]


def test_a_process_that_never_saw_the_document_is_answered_from_the_cache(post, aktau, monkeypatch):
    post(FEED, {"first": 20})
    # Another process: it has analysed no document.
    monkeypatch.setattr(response_cache, "_policies", {})

    body, queries = post(FEED, {"first": 20})

    assert titles(body) == ["Caspian regatta"]
    assert queries == 0


def test_a_response_kept_under_an_old_version_is_refused_then_replaced(aktau):
    anonymous = AnonymousUser()
    digest = response_cache.document_hash(FEED)

    def look():
        return response_cache.lookup(
            schema.graphql_schema, parse(FEED), digest, {"first": 20}, "Feed", "ru", anonymous
        )

    stale = look()
    data_versions.bump(data_versions.EVENTS)
    # Computed from what was read before the change, and kept after it: never served.
    assert response_cache.store(stale, b'{"data":"old"}')
    assert look().response is None

    fresh = look()
    assert response_cache.store(fresh, b'{"data":"new"}')
    assert look().response == b'{"data":"new"}'
    # A change to an area the feed does not read keeps it.
    data_versions.bump(data_versions.ANNOUNCEMENTS)
    assert look().response == b'{"data":"new"}'


def test_a_release_that_changes_what_an_operation_reads_refuses_what_was_kept_before(
    post, aktau, monkeypatch
):
    post(FEED, {"first": 20})
    # The next release declares that the feed also reads the announcements (as a fix would),
    # and a process of it analyses the document anew.
    analysed = response_cache.analyse

    def reads_more(schema, document):
        policy = analysed(schema, document)
        return response_cache.Policy(
            policy.cacheable, policy.areas | {data_versions.ANNOUNCEMENTS}, policy.clocks
        )

    monkeypatch.setattr(response_cache, "analyse", reads_more)
    monkeypatch.setattr(response_cache, "_policies", {})

    _, queries = post(FEED, {"first": 20})
    assert queries > 0
    # Kept again under what it reads now, and served from then on.
    _, queries = post(FEED, {"first": 20})
    assert queries == 0


def test_an_answer_that_may_no_longer_be_kept_is_never_served(post, aktau, monkeypatch):
    post(FEED, {"first": 20})
    monkeypatch.setattr(
        response_cache, "analyse", lambda schema, document: response_cache.Policy(False)
    )
    monkeypatch.setattr(response_cache, "_policies", {})

    for _ in range(2):
        _, queries = post(FEED, {"first": 20})
        assert queries > 0


@pytest.mark.parametrize(
    ("query", "areas"),
    [
        (FEED, {"events", "cities", "twinnings"}),
        (FEED_WITH_ATTENDANCE, {"events", "cities", "twinnings", "attendance"}),
        (CITIES, {"cities", "twinnings"}),
        ("{ languages { code direction } }", set()),
        ("{ __schema { types { name } } }", set()),
        ('{ node(id: "x") { id } }', set(data_versions.AREAS)),
        ("{ twinnings { edges { node { cityA { name } } } } }", {"twinnings", "cities"}),
    ],
)
def test_what_an_operation_reads(query, areas):
    policy = response_cache.analyse(schema.graphql_schema, query)

    assert policy.cacheable, policy.reason
    assert policy.areas == areas


def test_reads_that_change_with_the_clock_are_kept_until_they_do(aktau, event_factory):
    now = timezone.now()
    soon = event_factory(starts_at=now + datetime.timedelta(seconds=90), twinning=None)
    upcoming = response_cache.analyse(
        schema.graphql_schema, "{ twinnings { edges { node { events { title } } } } }"
    )
    announcements = response_cache.analyse(
        schema.graphql_schema, "{ announcements { edges { node { title } } } }"
    )

    assert 0 < response_cache._timeout(upcoming, now) <= 90
    assert soon.starts_at < aktau.starts_at
    # Nothing scheduled: the setting's bound.
    assert response_cache._timeout(announcements, now) == 600


@pytest.mark.parametrize(
    ("document", "follows_ends"),
    [
        ("{ events(filter: {upcoming: true}) { edges { node { title } } } }", True),
        ("query($u: Boolean) { events(filter: {upcoming: $u}) { totalCount } }", True),
        ("query($f: EventFilterInput) { events(filter: $f) { totalCount } }", True),
        ("{ events(filter: {upcoming: false}) { totalCount } }", False),
        ("{ events(filter: {upcoming: null}) { totalCount } }", False),
        ('{ events(filter: {country: "KZ"}) { totalCount } }', False),
        ("{ events { totalCount } }", False),
    ],
)
def test_the_list_of_events_not_over_is_kept_until_the_next_one_ends(document, follows_ends):
    clocks = response_cache.analyse(schema.graphql_schema, document).clocks

    assert (EVENTS_NOT_OVER in clocks) is follows_ends


def test_a_kept_list_of_events_not_over_lasts_until_the_next_end(aktau, event_factory):
    now = timezone.now()
    event_factory(
        starts_at=now - datetime.timedelta(hours=1), ends_at=now + datetime.timedelta(seconds=90)
    )
    upcoming = response_cache.analyse(
        schema.graphql_schema, "{ events(filter: {upcoming: true}) { totalCount } }"
    )

    assert 0 < response_cache._timeout(upcoming, now) <= 90


def test_an_import_bumps_cities_and_twinnings(db, tmp_path):
    from cities.importer import import_twinnings_file

    data = tmp_path / "pairs.csv"
    data.write_text(
        "city1,country1,lat1,lng1,city2,country2,lat2,lng2\n"
        "Aktau,Kazakhstan,43.65,51.2,Karachi,Pakistan,24.86,67.0\n",
        encoding="utf-8",
    )
    before = data_versions.current([data_versions.CITIES, data_versions.TWINNINGS])

    import_twinnings_file(str(data))

    after = data_versions.current([data_versions.CITIES, data_versions.TWINNINGS])
    assert all(after[area] > before[area] for area in before)


def test_an_evicted_version_never_comes_back_to_an_old_number(db):
    first = data_versions.current([data_versions.EVENTS])[data_versions.EVENTS]
    cache.delete("dataversion:events")

    again = data_versions.current([data_versions.EVENTS])[data_versions.EVENTS]

    assert again > first


def get_feed(client, headers=None, **extensions):
    params = {"variables": json.dumps({"first": 20})}
    if extensions:
        params["extensions"] = json.dumps(extensions)
    else:
        params["query"] = FEED
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            "/graphql/", params, headers={"Accept": "application/json"} | (headers or {})
        )
    return response, len(queries.captured_queries)


def test_a_kept_answer_to_a_get_carries_the_same_http_caching(client, aktau):
    executed, executed_queries = get_feed(client)
    kept, kept_queries = get_feed(client)

    assert executed_queries > 0 and kept_queries == 0
    assert kept.content == executed.content
    for header in ("Cache-Control", "ETag", "Vary", "Content-Type"):
        assert kept[header] == executed[header]
    assert kept["Cache-Control"].startswith("public")

    not_modified, _ = get_feed(client, {"If-None-Match": kept["ETag"]})
    assert not_modified.status_code == 304


def test_a_persisted_query_by_hash_is_answered_from_the_cache(client, aktau):
    digest = response_cache.document_hash(FEED)
    register = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    response = client.post(
        "/graphql/",
        json.dumps({"query": FEED, "variables": {"first": 20}, "extensions": register}),
        content_type="application/json",
    )
    assert titles(response.json()) == ["Caspian regatta"]

    by_hash, queries = get_feed(client, **register)

    assert by_hash.json() == response.json()
    assert queries == 0
