"""The cost limit: every list sized, queries and searches weighed, the worst documents refused
before they run and the app's own documents let through."""

import itertools
import json

import pytest
from graphql import parse

from bench.feed import EVENT, FEED
from graphql_server import documents
from graphql_server.cost_model import ITEM_WEIGHT, unsized_lists
from schema.costs import COUNT, MOST_PARTNERS, PAIR, QUERY, SEARCH
from schema.schema import schema
from tests.graphql_server.test_documents import anonymous_socket

URL = "/graphql/"
SEARCH_TEXT = ("Событие " * 13)[:100]

NESTED_PARTNERS = "{ cities(first: 100) { edges { node { partners { partners { name } } } } } }"
ALIASED_SEARCHES = (
    "{"
    + " ".join(
        f'a{n}: events(filter: {{search: "{SEARCH_TEXT}"}}) {{ totalCount }}' for n in range(30)
    )
    + " }"
)
# The app's own reads, at their largest pages (a list of cities with their partners' names, a
# page of 5: each city may have 74).
APP_DOCUMENTS = {
    "the feed of 100": (FEED, {"first": 100}),
    "an event": (EVENT, {"id": "RXZlbnQ6MQ=="}),
    "5 cities with their partners": (
        "{ cities(first: 5) { edges { node { name slug partners { name } } } } }",
        None,
    ),
    "twinnings with their events": (
        "{ twinnings { edges { node { kind cityA { name } cityB { name } "
        "events { title localStartsAt hostCity { name } } } } } }",
        None,
    ),
    "a search with its count": (
        "query ($f: EventFilterInput) { events(filter: $f) { totalCount "
        "edges { node { title } } } }",
        {"f": {"search": SEARCH_TEXT}},
    ),
}


@pytest.fixture(autouse=True)
def empty_document_caches():
    documents.document_cache.clear()
    documents.refused_documents.clear()
    documents.operation_costs.clear()


def cost(query, variables=None):
    document = parse(query)
    return documents.operation_cost(
        schema.graphql_schema, document, documents.select_operation(document, None), variables
    )


def run(client, query, variables=None):
    body = {"query": query} if variables is None else {"query": query, "variables": variables}
    return client.post(
        URL,
        json.dumps(body),
        content_type="application/json",
        HTTP_ACCEPT="application/graphql-response+json",
    )


def codes(response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json().get("errors", ())]


# -- Every list has a size ----------------------------------------------------------------------
def test_every_list_of_the_schema_has_a_size():
    assert unsized_lists(schema.graphql_schema) == []


# -- What the model counts ----------------------------------------------------------------------
def test_an_unpaged_list_counts_its_declared_size():
    # cities 100 + edges (1 + 1 × (a row 4 + node 1 + partners (1 + 74 × (two rows 9 +
    # name 1))))
    one = cost("{ cities(first: 1) { edges { node { partners { name } } } } }")

    assert one == QUERY + 1 + (ITEM_WEIGHT + 1 + 1 + MOST_PARTNERS * (PAIR + 1))
    assert cost("{ twinning(id: 1) { cities { name slug } } }") == QUERY + 1 + 2 * (ITEM_WEIGHT + 2)


def test_nested_lists_multiply():
    partners = MOST_PARTNERS * (PAIR + 1 + MOST_PARTNERS * (PAIR + 1))
    assert cost(NESTED_PARTNERS) == QUERY + 1 + 100 * (ITEM_WEIGHT + 2 + partners)


def test_a_twinnings_events_reached_through_a_city_are_a_query_for_each_alias():
    aliases = " ".join(f"e{n}: events(first: 1) {{ id }}" for n in range(8))
    query = f'{{ city(slug: "aktau") {{ twinnings {{ {aliases} }} }} }}'

    # Each of the 74 twinnings reads its events, once per alias.
    assert cost(query) >= MOST_PARTNERS * 8 * QUERY


def test_a_count_is_one_query_not_one_per_item():
    # The count runs once, whatever the page size.
    assert cost("{ cities(first: 100) { totalCount } }") == QUERY + COUNT


def test_a_search_weighs_on_each_query_of_its_list():
    search = f'{{ events(filter: {{search: "{SEARCH_TEXT}"}}) {{ totalCount }} }}'
    variable = "query ($f: EventFilterInput) { events(filter: $f) { totalCount } }"

    assert cost(search) == 2 * (QUERY + SEARCH)
    assert cost(variable, {"f": {"search": SEARCH_TEXT}}) == 2 * (QUERY + SEARCH)
    assert cost(variable, {"f": {"search": ""}}) == cost(variable, {"f": None}) == QUERY + COUNT
    assert cost('{ cities(search: "aktau") { totalCount } }') == 2 * (QUERY + SEARCH)


def test_the_for_you_feed_weighs_its_reads_of_the_viewers_follows_and_fits_the_limit(settings):
    feed = (
        "query ($f: EventFilterInput) { events(filter: $f, first: 100) { totalCount "
        "edges { node { title localStartsAt hostCity { name } } } } }"
    )

    plain, following = cost(feed, {"f": None}), cost(feed, {"f": {"following": True}})

    # Three small queries before the page; the count runs the page's filter again.
    assert following == plain + 3 * QUERY + (QUERY + 3 * QUERY - COUNT)
    assert following < settings.GRAPHQL_MAX_COST


# -- The worst documents are refused, the app's own are not ----------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("query", [NESTED_PARTNERS, ALIASED_SEARCHES], ids=["partners", "search"])
def test_the_worst_documents_are_refused_before_they_run(client, query, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = run(client, query)

    assert response.status_code == 400
    assert codes(response) == ["QUERY_TOO_COMPLEX"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", APP_DOCUMENTS)
def test_the_apps_own_documents_are_within_the_limit(client, name):
    query, variables = APP_DOCUMENTS[name]

    response = run(client, query, variables)

    assert "QUERY_TOO_COMPLEX" not in codes(response)
    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
async def test_the_websocket_refuses_the_worst_documents_as_well():
    socket = await anonymous_socket()

    await socket.send_json_to(
        {"id": "1", "type": "subscribe", "payload": {"query": NESTED_PARTNERS}}
    )
    frame = await socket.receive_json_from(timeout=2)
    await socket.disconnect(timeout=0.2)

    assert frame["type"] == "error"
    assert [error["extensions"]["code"] for error in frame["payload"]] == ["QUERY_TOO_COMPLEX"]


# -- Nested partners read level by level -------------------------------------------------------
@pytest.mark.django_db
def test_nested_partners_cost_one_query_per_level(
    client, settings, city_factory, twinning_factory, django_assert_max_num_queries
):
    # Two levels of partners are over the limit (74 × 74 of them could come back); the loading
    # is what is tested here.
    settings.GRAPHQL_MAX_COST = 0
    hub, *others = [city_factory() for _ in range(6)]
    for other in others:
        twinning_factory(city_a=hub, city_b=other)
    for left, right in itertools.pairwise(others):
        twinning_factory(city_a=left, city_b=right)
    query = f'{{ city(slug: "{hub.slug}") {{ partners {{ partners {{ name }} }} }} }}'

    # The city, then its twinnings, and its partners': one query each.
    with django_assert_max_num_queries(3):
        response = run(client, query)

    assert codes(response) == []
    partners = response.json()["data"]["city"]["partners"]
    assert len(partners) == 5
    assert sorted(len(partner["partners"]) for partner in partners) == [2, 2, 3, 3, 3]
