"""Documents: the standard validation rules kept, the limits added, the document cache."""

import json

import pytest
from channels.testing import WebsocketCommunicator
from graphql import parse

from backend.asgi import application
from schema.core import documents
from schema.core.documents import document_cache, operation_cost, select_operation
from schema.schema import schema

URL = "/graphql/"
CITY_NAMES = "{ cities { edges { node { name } } } }"


@pytest.fixture(autouse=True)
def empty_document_cache():
    document_cache.clear()
    yield
    document_cache.clear()


def run(client, query, variables=None, accept="application/graphql-response+json"):
    body = {"query": query}
    if variables is not None:
        body["variables"] = variables
    return client.post(URL, json.dumps(body), content_type="application/json", HTTP_ACCEPT=accept)


def codes(response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json()["errors"]]


# -- The standard rules -----------------------------------------------------------------------
@pytest.mark.django_db
def test_an_unknown_field_is_still_rejected_with_the_limits_in_place(client):
    response = run(client, "{ cities { totalCount } nope }")

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["message"] == "Cannot query field 'nope' on type 'Query'."
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


@pytest.mark.django_db
def test_wrong_argument_types_are_still_rejected(client):
    response = run(client, '{ cities(first: "ten") { totalCount } }')

    assert codes(response) == ["GRAPHQL_VALIDATION_FAILED"]


# -- Depth ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_query_deeper_than_the_limit_is_refused(client, settings):
    settings.GRAPHQL_MAX_DEPTH = 3

    response = run(client, CITY_NAMES)  # cities → edges → node → name: 4 levels

    assert response.status_code == 400
    assert codes(response) == ["QUERY_TOO_DEEP"]
    assert "4 levels deep; at most 3" in response.json()["errors"][0]["message"]


@pytest.mark.django_db
def test_a_query_as_deep_as_the_limit_runs(client, settings):
    settings.GRAPHQL_MAX_DEPTH = 4

    response = run(client, CITY_NAMES)

    assert response.status_code == 200
    assert response.json()["data"] == {"cities": {"edges": []}}


@pytest.mark.django_db
def test_depth_counts_through_fragments(client, settings):
    settings.GRAPHQL_MAX_DEPTH = 3
    query = "{ cities { ...Page } } fragment Page on CityConnection { edges { ...Node } } " + (
        "fragment Node on CityEdge { node { name } }"
    )

    response = run(client, query)

    assert codes(response) == ["QUERY_TOO_DEEP"]


# -- Aliases ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_more_aliases_than_the_limit_are_refused(client, settings):
    settings.GRAPHQL_MAX_ALIASES = 2

    two = run(client, "{ a: languages { code } b: languages { code } }")
    three = run(client, "{ a: languages { code } b: languages { code } c: languages { code } }")

    assert two.status_code == 200
    assert three.status_code == 400
    assert codes(three) == ["TOO_MANY_ALIASES"]


@pytest.mark.django_db
def test_aliases_in_a_fragment_count_once_per_spread(client, settings):
    settings.GRAPHQL_MAX_ALIASES = 3
    query = (
        "{ languages { ...Codes } l2: languages { ...Codes } } "
        "fragment Codes on Language { c1: code c2: code }"
    )  # 1 alias outside + 2 per spread × 2 spreads = 5

    response = run(client, query)

    assert codes(response) == ["TOO_MANY_ALIASES"]
    assert "5 aliases" in response.json()["errors"][0]["message"]


# -- Tokens -----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_document_with_more_tokens_than_the_limit_is_not_even_parsed(client, settings):
    settings.GRAPHQL_MAX_TOKENS = 10
    long = "{ languages { code name englishName direction } cities { totalCount } }"

    response = run(client, long)
    short = run(client, "{ languages { code } }")  # 6 tokens

    assert response.status_code == 400
    assert codes(response) == ["TOO_MANY_TOKENS"]
    assert short.status_code == 200


@pytest.mark.django_db
def test_a_syntax_error_is_a_parse_failure(client):
    response = run(client, "{ languages { code }")

    assert codes(response) == ["GRAPHQL_PARSE_FAILED"]


# -- Operations -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_more_operations_in_one_document_than_the_limit_are_refused(client, settings):
    settings.GRAPHQL_MAX_OPERATIONS = 2
    query = " ".join(f"query Q{n} {{ languages {{ code }} }}" for n in range(3))

    response = client.post(
        URL,
        json.dumps({"query": query, "operationName": "Q1"}),
        content_type="application/json",
        HTTP_ACCEPT="application/graphql-response+json",
    )

    assert codes(response) == ["TOO_MANY_OPERATIONS"]


# -- Cost -------------------------------------------------------------------------------------
def cost(query, variables=None):
    document = parse(query)
    return operation_cost(
        schema.graphql_schema, document, select_operation(document, None), variables
    )


def test_the_cost_multiplies_by_the_page_size_given():
    # cities 1 + 10 × (edges 1 + node 1 + name 1)
    assert cost("{ cities(first: 10) { edges { node { name } } } }") == 31
    assert cost("{ cities(first: 100) { edges { node { name } } } }") == 301


def test_the_cost_takes_the_page_size_from_variables_or_their_default():
    query = "query ($n: Int = 5) { cities(first: $n) { edges { node { name } } } }"

    assert cost(query, {"n": 50}) == 151
    assert cost(query) == 16


def test_a_list_without_first_counts_the_default_page_size(settings):
    assert cost("{ cities { totalCount } }") == 1 + settings.GRAPHQL_DEFAULT_PAGE_SIZE


def test_nested_lists_multiply_with_the_schemas_own_default():
    # twinnings 1 + 20 × (edges 1 + node 1 + events 1 + 10 (its default) × title 1)
    assert cost("{ twinnings(first: 20) { edges { node { events { title } } } } }") == 261


def test_the_page_size_in_the_cost_is_capped_at_the_maximum(settings):
    # Beyond the maximum the list refuses the page itself, with INVALID_PAGE_SIZE.
    assert cost("{ cities(first: 100000) { totalCount } }") == 1 + settings.GRAPHQL_MAX_PAGE_SIZE


def test_fragments_and_typename_in_the_cost():
    query = (
        "{ __typename cities(first: 2) { ...Names } } "
        "fragment Names on CityConnection { edges { node { name slug } } }"
    )

    assert cost(query) == 1 + 2 * (1 + 1 + 2)


@pytest.mark.django_db
def test_an_operation_over_the_cost_limit_is_refused_before_it_runs(client, settings):
    settings.GRAPHQL_MAX_COST = 50
    query = "query ($n: Int) { cities(first: $n) { edges { node { name } } } }"

    cheap = run(client, query, {"n": 10})
    dear = run(client, query, {"n": 20})
    default = run(client, "{ cities { edges { node { name } } } }")

    assert cheap.status_code == 200
    assert dear.status_code == default.status_code == 400
    assert codes(dear) == codes(default) == ["QUERY_TOO_COMPLEX"]
    assert "about 61" in dear.json()["errors"][0]["message"]


@pytest.mark.django_db
def test_limit_errors_are_200_for_legacy_clients(client, settings):
    settings.GRAPHQL_MAX_DEPTH = 1

    response = run(client, CITY_NAMES, accept="application/json")

    assert response.status_code == 200
    assert codes(response) == ["QUERY_TOO_DEEP"]


# -- Introspection and suggestions ------------------------------------------------------------
INTROSPECTION = "{ __schema { queryType { name } } }"


@pytest.mark.django_db
def test_introspection_is_off_without_the_setting(client, settings):
    assert settings.GRAPHQL_INTROSPECTION is False  # tests run as production: DEBUG off

    response = run(client, INTROSPECTION)
    typename = run(client, "{ __typename }")

    assert response.status_code == 400
    assert "INTROSPECTION_DISABLED" in codes(response)
    assert typename.json() == {"data": {"__typename": "Query"}}


@pytest.mark.django_db
def test_introspection_is_on_with_the_setting(client, settings):
    settings.GRAPHQL_INTROSPECTION = True

    response = run(client, INTROSPECTION)

    assert response.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


@pytest.mark.django_db
def test_the_standard_introspection_query_fits_the_limits_when_introspection_is_on(
    client, settings
):
    from graphql import get_introspection_query

    settings.GRAPHQL_INTROSPECTION = True

    response = run(client, get_introspection_query(descriptions=True))

    assert response.status_code == 200
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


@pytest.mark.django_db
def test_field_suggestions_are_off_without_the_setting(client, settings):
    assert settings.GRAPHQL_FIELD_SUGGESTIONS is False

    response = run(client, "{ citys { totalCount } }")

    assert response.json()["errors"][0]["message"] == "Cannot query field 'citys' on type 'Query'."


@pytest.mark.django_db
def test_field_suggestions_are_on_with_the_setting(client, settings):
    settings.GRAPHQL_FIELD_SUGGESTIONS = True

    response = run(client, "{ citys { totalCount } }")

    message = response.json()["errors"][0]["message"]
    assert "Did you mean" in message
    assert "'cities'" in message


@pytest.mark.django_db
def test_enum_suggestions_in_variables_are_off_too(client):
    query = "query ($o: EventOrderBy) { events(orderBy: $o) { totalCount } }"

    response = run(client, query, {"o": "STAR"})

    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INVALID_VARIABLES"
    assert "Did you mean" not in error["message"]


# -- The document cache -----------------------------------------------------------------------
@pytest.fixture
def counted(monkeypatch):
    """Counts the calls of graphql-core's parse and validate made for documents."""
    calls = {"parse": 0, "validate": 0}
    for name in calls:
        original = getattr(documents, name)

        def counting(*args, _name=name, _original=original, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(documents, name, counting)
    return calls


@pytest.mark.django_db
def test_a_repeated_document_is_neither_parsed_nor_validated_again(client, counted):
    first = run(client, CITY_NAMES)
    second = run(client, CITY_NAMES)

    assert first.json() == second.json() == {"data": {"cities": {"edges": []}}}
    assert counted == {"parse": 1, "validate": 1}


@pytest.mark.django_db
def test_another_document_is_parsed_and_validated(client, counted):
    run(client, CITY_NAMES)
    run(client, "{ languages { code } }")

    assert counted == {"parse": 2, "validate": 2}


@pytest.mark.django_db
def test_an_invalid_document_is_not_cached(client, counted):
    run(client, "{ nope }")
    run(client, "{ nope }")

    assert counted == {"parse": 2, "validate": 2}


@pytest.mark.django_db
def test_a_cached_document_is_validated_again_under_other_limits(client, counted, settings):
    assert run(client, CITY_NAMES).status_code == 200
    settings.GRAPHQL_MAX_DEPTH = 2

    response = run(client, CITY_NAMES)

    assert codes(response) == ["QUERY_TOO_DEEP"]
    assert counted["validate"] == 2


def test_the_cache_keeps_the_most_recently_used_documents(settings):
    settings.GRAPHQL_DOCUMENT_CACHE_SIZE = 2
    limits = documents.DocumentLimits.from_settings()
    graphql_schema = schema.graphql_schema
    texts = ["{ a }", "{ b }", "{ c }"]
    for text in texts[:2]:
        document_cache.put(graphql_schema, text, limits, parse(text))

    assert document_cache.get(graphql_schema, "{ a }", limits) is not None  # a is now recent
    document_cache.put(graphql_schema, "{ c }", limits, parse("{ c }"))

    assert document_cache.get(graphql_schema, "{ b }", limits) is None
    assert document_cache.get(graphql_schema, "{ a }", limits) is not None
    assert document_cache.get(graphql_schema, "{ c }", limits) is not None


# -- The websocket applies the same rules -----------------------------------------------------
async def test_the_websocket_applies_the_same_limits(settings):
    settings.GRAPHQL_MAX_DEPTH = 2
    socket = WebsocketCommunicator(
        application,
        "/graphql/",
        headers=[(b"host", b"localhost:8000")],
        subprotocols=["graphql-transport-ws"],
    )
    socket.scope["client"] = ("203.0.113.9", 50000)
    connected, _ = await socket.connect()
    assert connected
    await socket.send_json_to({"type": "connection_init"})
    assert await socket.receive_json_from(timeout=2) == {"type": "connection_ack"}

    await socket.send_json_to({"id": "1", "type": "subscribe", "payload": {"query": CITY_NAMES}})
    frame = await socket.receive_json_from(timeout=2)
    await socket.send_json_to({"id": "2", "type": "subscribe", "payload": {"query": "{ nope }"}})
    unknown = await socket.receive_json_from(timeout=2)
    await socket.disconnect(timeout=0.2)

    assert frame["type"] == "error"
    assert [error["extensions"]["code"] for error in frame["payload"]] == ["QUERY_TOO_DEEP"]
    assert unknown["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
