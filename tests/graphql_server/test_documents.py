"""Documents: the standard validation rules kept, the limits added, the document cache."""

import json
import threading

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from graphql import GraphQLError, parse

from backend.asgi import application
from graphql_server import documents
from graphql_server.cost_model import ITEM_WEIGHT
from graphql_server.documents import (
    document_cache,
    operation_cost,
    refused_documents,
    select_operation,
)
from schema.schema import schema

URL = "/graphql/"
CITY_NAMES = "{ cities { edges { node { name } } } }"


@pytest.fixture(autouse=True)
def empty_document_caches():
    document_cache.clear()
    refused_documents.clear()
    yield
    document_cache.clear()
    refused_documents.clear()


@pytest.fixture
async def websocket():
    """Open a websocket through connection_init → connection_ack; closed after the test."""
    sockets = []

    async def connect():
        socket = WebsocketCommunicator(
            application,
            "/graphql/",
            headers=[(b"host", b"localhost:8000")],
            subprotocols=["graphql-transport-ws"],
        )
        socket.scope["client"] = ("203.0.113.9", 50000)
        sockets.append(socket)
        connected, _ = await socket.connect()
        assert connected
        await socket.send_json_to({"type": "connection_init"})
        assert await socket.receive_json_from(timeout=2) == {"type": "connection_ack"}
        return socket

    yield connect
    for socket in sockets:
        await socket.disconnect(timeout=0.2)


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
    # cities 100 (its query) + edges 1 + 10 × (an edge's row 4 + node 1 + name 1)
    assert cost("{ cities(first: 10) { edges { node { name } } } }") == 161
    assert cost("{ cities(first: 100) { edges { node { name } } } }") == 701


def test_the_cost_takes_the_page_size_from_variables_or_their_default():
    query = "query ($n: Int = 5) { cities(first: $n) { edges { node { name } } } }"

    assert cost(query, {"n": 50}) == 401
    assert cost(query) == 131


def test_a_list_without_first_counts_the_default_page_size(settings):
    query = "{ cities { edges { cursor } } }"

    assert cost(query) == 100 + 1 + settings.GRAPHQL_DEFAULT_PAGE_SIZE * (ITEM_WEIGHT + 1)


def test_nested_lists_multiply_with_the_schemas_own_default():
    # twinnings 100 + edges 1 + 20 × (row 4 + node 1 + events 100 (a query) + 10 (its
    # default) × (row 4 + title 1))
    assert cost("{ twinnings(first: 20) { edges { node { events { title } } } } }") == 3201


def test_the_page_size_in_the_cost_is_capped_at_the_maximum(settings):
    # Beyond the maximum the list refuses the page itself, with INVALID_PAGE_SIZE.
    query = "{ cities(first: 100000) { edges { cursor } } }"

    assert cost(query) == 100 + 1 + settings.GRAPHQL_MAX_PAGE_SIZE * (ITEM_WEIGHT + 1)


def test_fragments_and_typename_in_the_cost():
    query = (
        "{ __typename cities(first: 2) { ...Names } } "
        "fragment Names on CityConnection { edges { node { name slug } } }"
    )

    assert cost(query) == 100 + 1 + 2 * (ITEM_WEIGHT + 1 + 2)


@pytest.mark.django_db
def test_an_operation_over_the_cost_limit_is_refused_before_it_runs(client, settings):
    settings.GRAPHQL_MAX_COST = 170
    query = "query ($n: Int) { cities(first: $n) { edges { node { name } } } }"

    cheap = run(client, query, {"n": 10})
    dear = run(client, query, {"n": 20})
    default = run(client, "{ cities { edges { node { name } } } }")

    assert cheap.status_code == 200
    assert dear.status_code == default.status_code == 400
    assert codes(dear) == codes(default) == ["QUERY_TOO_COMPLEX"]
    assert "about 221" in dear.json()["errors"][0]["message"]


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
def test_a_refused_document_is_answered_again_without_parsing_or_validating(client, counted):
    first = run(client, "{ nope }")
    second = run(client, "{ nope }")

    assert first.status_code == second.status_code == 400
    assert first.json() == second.json()
    assert codes(second) == ["GRAPHQL_VALIDATION_FAILED"]
    assert counted == {"parse": 1, "validate": 1}


@pytest.mark.django_db
def test_a_document_refused_by_a_limit_is_neither_parsed_nor_validated_again(
    client, counted, settings
):
    settings.GRAPHQL_MAX_ALIASES = 1
    query = "{ a: __typename b: __typename }"

    responses = [run(client, query) for _ in range(3)]

    assert [codes(response) for response in responses] == [["TOO_MANY_ALIASES"]] * 3
    assert counted == {"parse": 1, "validate": 0}


@pytest.mark.django_db
def test_a_syntax_error_is_parsed_once(client, counted):
    first = run(client, "{ languages { code }")
    second = run(client, "{ languages { code }")

    assert first.json() == second.json()
    assert codes(second) == ["GRAPHQL_PARSE_FAILED"]
    assert second.json()["errors"][0]["locations"] == [{"line": 1, "column": 21}]
    assert counted == {"parse": 1, "validate": 0}


@pytest.mark.django_db
def test_a_refusal_is_checked_again_under_other_limits(client, counted, settings):
    settings.GRAPHQL_MAX_DEPTH = 2
    assert codes(run(client, CITY_NAMES)) == ["QUERY_TOO_DEEP"]
    settings.GRAPHQL_MAX_DEPTH = 12

    response = run(client, CITY_NAMES)

    assert response.status_code == 200
    assert counted == {"parse": 2, "validate": 1}


@pytest.mark.django_db
def test_a_cached_document_is_checked_again_under_other_limits(client, counted, settings):
    assert run(client, CITY_NAMES).status_code == 200
    settings.GRAPHQL_MAX_DEPTH = 2

    response = run(client, CITY_NAMES)

    assert codes(response) == ["QUERY_TOO_DEEP"]
    assert counted == {"parse": 2, "validate": 1}


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
async def anonymous_socket() -> WebsocketCommunicator:
    """A websocket of the app, connected and acknowledged without a token."""
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
    return socket


async def test_the_websocket_applies_the_same_limits(settings):
    settings.GRAPHQL_MAX_DEPTH = 2
    socket = await anonymous_socket()

    await socket.send_json_to({"id": "1", "type": "subscribe", "payload": {"query": CITY_NAMES}})
    frame = await socket.receive_json_from(timeout=2)
    await socket.send_json_to({"id": "2", "type": "subscribe", "payload": {"query": "{ nope }"}})
    unknown = await socket.receive_json_from(timeout=2)
    await socket.disconnect(timeout=0.2)

    assert frame["type"] == "error"
    assert [error["extensions"]["code"] for error in frame["payload"]] == ["QUERY_TOO_DEEP"]
    assert unknown["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


# -- The limits that bound validation -------------------------------------------------------
# (setting, value, a document within it, one over it, the code the one over it gets)
LIMITS = [
    (
        "GRAPHQL_MAX_FRAGMENTS",
        1,
        "{ languages { ...A } } fragment A on Language { code }",
        "{ languages { ...A ...B } } fragment A on Language { code } "
        "fragment B on Language { name }",
        "TOO_MANY_FRAGMENTS",
    ),
    (
        "GRAPHQL_MAX_VARIABLES",
        1,
        "query ($a: Boolean = true) { __typename @include(if: $a) }",
        "query ($a: Boolean = true, $b: Boolean = false) "
        "{ __typename @include(if: $a) @skip(if: $b) }",
        "TOO_MANY_VARIABLES",
    ),
    (
        "GRAPHQL_MAX_SELECTIONS",
        3,
        "{ languages { code name englishName } }",
        "{ languages { code name englishName direction } }",
        "TOO_MANY_SELECTIONS",
    ),
    (
        # A fragment spread counts with its fields, in the set it is spread into.
        "GRAPHQL_MAX_SELECTIONS",
        3,
        "{ languages { code ...F } } fragment F on Language { name englishName }",
        "{ languages { code ...F } } fragment F on Language { name englishName direction }",
        "TOO_MANY_SELECTIONS",
    ),
    (
        # Inline fragments merge into the set they are in, as execution merges them.
        "GRAPHQL_MAX_SELECTIONS",
        3,
        "{ languages { code ... on Language { name englishName } } }",
        "{ languages { code ... on Language { name englishName direction } } }",
        "TOO_MANY_SELECTIONS",
    ),
    (
        "GRAPHQL_MAX_FIELDS",
        5,
        "{ languages { code name } cities { totalCount } }",
        "{ languages { code name } cities { totalCount } __typename }",
        "TOO_MANY_FIELDS",
    ),
    (
        # Fragments expanded: each spread counts the fragment's fields once more.
        "GRAPHQL_MAX_FIELDS",
        4,
        "{ languages { ...F } } fragment F on Language { code name }",
        "{ languages { ...F } other: languages { ...F } } fragment F on Language { code name }",
        "TOO_MANY_FIELDS",
    ),
    (
        "GRAPHQL_MAX_ARGUMENTS",
        1,
        '{ cities(search: "ak") { totalCount } }',
        '{ cities(search: "ak", first: 5) { totalCount } }',
        "TOO_MANY_ARGUMENTS",
    ),
    (
        "GRAPHQL_MAX_DIRECTIVES",
        1,
        "{ __typename @include(if: true) }",
        "{ __typename @include(if: true) @skip(if: false) }",
        "TOO_MANY_DIRECTIVES",
    ),
    (
        # Fields repeated at the same place are compared pairwise (and their sub-fields).
        "GRAPHQL_MAX_FIELD_COMPARISONS",
        10,
        "{ languages { code code code } }",
        "{ languages { code code code code code code code code } }",
        "TOO_MANY_FIELD_COMPARISONS",
    ),
]


@pytest.mark.parametrize(
    ("setting", "value", "within", "over", "code"),
    LIMITS,
    ids=[f"{limit[0]}-{index}" for index, limit in enumerate(LIMITS)],
)
@pytest.mark.django_db
def test_each_limit_refuses_with_its_code_over_http(
    client, settings, setting, value, within, over, code
):
    setattr(settings, setting, value)

    accepted = run(client, within)
    refused = run(client, over)

    assert accepted.status_code == 200, accepted.json()
    assert "errors" not in accepted.json()
    assert refused.status_code == 400
    assert codes(refused) == [code]


@pytest.mark.parametrize(
    ("setting", "value", "within", "over", "code"),
    LIMITS,
    ids=[f"{limit[0]}-{index}" for index, limit in enumerate(LIMITS)],
)
async def test_each_limit_refuses_with_its_code_over_the_websocket(
    settings, websocket, setting, value, within, over, code
):
    setattr(settings, setting, value)
    socket = await websocket()

    await socket.send_json_to({"id": "1", "type": "subscribe", "payload": {"query": over}})
    refused = await socket.receive_json_from(timeout=2)

    assert refused["type"] == "error"
    assert refused["id"] == "1"
    assert [error["extensions"]["code"] for error in refused["payload"]] == [code]


@pytest.mark.django_db
def test_limits_are_checked_before_validation(client, counted, settings):
    settings.GRAPHQL_MAX_SELECTIONS = 3

    response = run(client, "{ languages { code name englishName direction } }")

    assert codes(response) == ["TOO_MANY_SELECTIONS"]
    assert counted == {"parse": 1, "validate": 0}


@pytest.mark.django_db
def test_two_thousand_copies_of_a_field_are_refused_before_validation(client, counted, settings):
    settings.GRAPHQL_MAX_TOKENS = 2000
    query = "{" + " __typename" * 1990 + " }"  # under the token limit

    response = run(client, query)

    assert response.status_code == 400
    assert codes(response) == ["TOO_MANY_SELECTIONS", "TOO_MANY_FIELDS"]
    assert counted["validate"] == 0


@pytest.mark.django_db
def test_a_limit_error_points_at_the_place_over_it(client, settings):
    settings.GRAPHQL_MAX_SELECTIONS = 1

    response = run(client, "{ languages {\n  code name } }")

    error = response.json()["errors"][0]
    assert error["message"] == (
        "A selection set asks for 2 fields (fragments spread into it counted with their "
        "fields); at most 1 are allowed."
    )
    assert error["locations"] == [{"line": 1, "column": 3}]


@pytest.mark.django_db
def test_every_limit_over_is_reported_once(client, settings):
    settings.GRAPHQL_MAX_DIRECTIVES = 1
    settings.GRAPHQL_MAX_ARGUMENTS = 1
    query = (
        "{ a: __typename @include(if: true) @skip(if: false) "
        "b: __typename @include(if: true) @skip(if: false) "
        'cities(search: "a", first: 1) { totalCount } }'
    )

    response = run(client, query)

    assert sorted(codes(response)) == ["TOO_MANY_ARGUMENTS", "TOO_MANY_DIRECTIVES"]


@pytest.mark.django_db
def test_fragments_nested_deeper_than_python_recurses_are_refused_cleanly(client, settings):
    settings.GRAPHQL_MAX_TOKENS = 2000
    # Each fragment nests 14 levels below the previous: 420 levels, past Python's recursion
    # limit if the limits were measured recursively.
    nested = "cities { edges { node { twinnings { edges { node { cityA { " * 2
    closing = "} } } } } } } " * 2
    fragments = " ".join(
        f"fragment F{n} on Query {{ {nested} ...F{n + 1} {closing}}}" for n in range(30)
    )
    query = "{ ...F0 } " + fragments + " fragment F30 on Query { __typename }"

    response = run(client, query)

    assert response.status_code == 400
    assert "QUERY_TOO_DEEP" in codes(response)


@pytest.mark.django_db
def test_a_fragment_cycle_is_left_to_the_standard_rules(client):
    query = (
        "{ languages { ...A } } fragment A on Language { code ...B } "
        "fragment B on Language { name ...A }"
    )

    response = run(client, query)

    assert codes(response) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "Cannot spread fragment 'A' within itself" in response.json()["errors"][0]["message"]


# -- Real documents fit the limits ------------------------------------------------------------
FEED = """
query Feed($first: Int, $after: String) {
  events(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id title category status localStartsAt localEndsAt timeZone venueName
        hostCity { name }
        twinning { kind cityA { name } cityB { name } }
      }
    }
  }
}
"""


@pytest.mark.django_db
def test_the_apps_feed_fits_the_default_limits(client, counted):
    response = run(client, FEED, {"first": 20})

    assert response.status_code == 200
    assert response.json() == {
        "data": {"events": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "edges": []}}
    }


@pytest.mark.django_db
def test_graphiqls_introspection_query_fits_the_default_limits(client, settings):
    from graphql import get_introspection_query

    settings.GRAPHQL_INTROSPECTION = True
    # What GraphiQL asks for: every option of graphql-js 16's getIntrospectionQuery.
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
        input_object_one_of=True,
    )

    response = run(client, query)

    assert response.status_code == 200, response.json()
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


# -- Variables ----------------------------------------------------------------------------------
FILTERED = "query ($filter: EventFilterInput) { events(filter: $filter) { totalCount } }"


@pytest.mark.django_db
def test_variables_holding_more_values_than_the_limit_are_refused_per_request(client, settings):
    settings.GRAPHQL_MAX_VARIABLE_VALUES = 3

    within = run(client, FILTERED, {"filter": {"search": "a", "country": "KZ"}})
    over = run(client, FILTERED, {"filter": {"search": "a", "country": "KZ", "city": None}})

    assert within.status_code == 200
    assert within.json() == {"data": {"events": {"totalCount": 0}}}
    assert over.status_code == 400
    assert codes(over) == ["VARIABLES_TOO_LARGE"]


@pytest.mark.django_db
def test_an_input_object_of_thousands_of_unknown_fields_is_refused_before_coercion(client):
    # Coercion quotes the whole object in an error per unknown field: quadratic.
    unknown = {f"k{n}": 1 for n in range(8000)}

    response = run(client, FILTERED, {"filter": unknown})

    assert codes(response) == ["VARIABLES_TOO_LARGE"]
    assert len(response.content) < 500


@pytest.mark.django_db
def test_variables_the_operation_does_not_define_do_not_count(client, settings):
    settings.GRAPHQL_MAX_VARIABLE_VALUES = 3

    response = run(client, FILTERED, {"filter": {"search": "a"}, "other": list(range(100))})

    assert response.status_code == 200


# -- The cache of refusals ----------------------------------------------------------------------
@pytest.mark.django_db
def test_refusals_are_shared_by_http_and_the_websocket(client, counted):
    assert codes(run(client, "{ nope }")) == ["GRAPHQL_VALIDATION_FAILED"]

    limits = documents.DocumentLimits.from_settings()
    with pytest.raises(documents.DocumentError) as refused:
        documents.prepare_operation(schema.graphql_schema, "{ nope }", None, None)

    assert [error.formatted for error in refused.value.errors] == run(client, "{ nope }").json()[
        "errors"
    ]
    assert counted == {"parse": 1, "validate": 1}
    assert refused_documents.get(schema.graphql_schema, documents.document_hash("{ nope }"), limits)


def test_refusals_are_kept_apart_from_valid_documents_and_bounded(settings):
    settings.GRAPHQL_REFUSED_DOCUMENT_CACHE_SIZE = 2
    limits = documents.DocumentLimits.from_settings()
    graphql_schema = schema.graphql_schema
    documents.load_document(graphql_schema, CITY_NAMES, documents.document_hash(CITY_NAMES), limits)

    for n in range(5):
        garbage = f"{{ nope{n} }}"
        with pytest.raises(documents.DocumentError):
            documents.load_document(
                graphql_schema, garbage, documents.document_hash(garbage), limits
            )

    assert len(refused_documents) == 2
    assert document_cache.get(graphql_schema, documents.document_hash(CITY_NAMES), limits)
    kept = [f"{{ nope{n} }}" for n in range(5)]
    assert [
        refused_documents.get(graphql_schema, documents.document_hash(text), limits) is not None
        for text in kept
    ] == [False, False, False, True, True]


@pytest.mark.django_db
def test_a_refusal_keeps_a_bounded_answer(client):
    # A field named with 20,000 letters, then 60 more unknown fields.
    query = "{ " + "x" * 20_000 + " " + " ".join(f"nope{n}" for n in range(60)) + " }"

    first = run(client, query)
    second = run(client, query)

    errors = first.json()["errors"]
    assert first.json() == second.json()
    assert len(errors) == documents.Refusal.MAX_ERRORS
    assert len(errors[0]["message"]) == documents.Refusal.MAX_MESSAGE
    assert errors[0]["message"].startswith("Cannot query field 'xxx")
    assert errors[0]["message"].endswith("x…")
    assert errors[1] == {
        "message": "Cannot query field 'nope0' on type 'Query'.",
        "locations": [{"line": 1, "column": 20_004}],
        "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
    }


def test_the_cache_of_valid_documents_is_bounded_in_memory_too(settings):
    # A document of 100 fields in 108 tokens weighs about 65 KB: two fit in 0.15 MB.
    settings.GRAPHQL_DOCUMENT_CACHE_MB = 0.15
    limits = documents.DocumentLimits.from_settings()
    graphql_schema = schema.graphql_schema
    texts = [f"{{ a{n}: languages {{ {' code' * 98} }} }}" for n in range(3)]

    for text in texts:
        documents.load_document(graphql_schema, text, documents.document_hash(text), limits)

    kept = [
        document_cache.get(graphql_schema, documents.document_hash(text), limits) is not None
        for text in texts
    ]
    assert kept == [False, True, True]
    assert document_cache.weight <= 0.15 * 2**20


def test_a_document_heavier_than_the_whole_cache_is_answered_but_not_kept(settings):
    settings.GRAPHQL_DOCUMENT_CACHE_MB = 0.01
    limits = documents.DocumentLimits.from_settings()
    text = "{ languages {" + " code" * 98 + " } }"

    document = documents.load_document(
        schema.graphql_schema, text, documents.document_hash(text), limits
    )

    assert document is not None
    assert len(document_cache) == 0


def test_a_parsed_document_weighs_what_it_holds():
    small = parse("{ __typename }")
    large = parse("{" + " __typename" * 500 + " }")

    assert documents.document_tokens(small) == 5  # start, {, __typename, }, end
    assert documents.document_tokens(large) == 504
    assert document_cache.weigh(large) == 600 * 504 + len("{" + " __typename" * 500 + " }")


async def test_a_new_document_is_prepared_off_the_sockets_event_loop(websocket, monkeypatch):
    from graphql_server.websocket import operations as websocket_module

    threads = []
    prepare = websocket_module.prepare_operation

    def recorded(*args, **kwargs):
        threads.append(threading.current_thread())
        return prepare(*args, **kwargs)

    monkeypatch.setattr(websocket_module, "prepare_operation", recorded)
    socket = await websocket()
    loop_thread = threading.current_thread()
    query = "{ languages { code } }"

    for operation_id in ("1", "2"):
        await socket.send_json_to(
            {"id": operation_id, "type": "subscribe", "payload": {"query": query}}
        )
        assert (await socket.receive_json_from(timeout=2))["type"] == "next"
        assert (await socket.receive_json_from(timeout=2))["type"] == "complete"

    # Parsed and validated in a thread the first time; from memory on the loop after that.
    assert [thread is loop_thread for thread in threads] == [False, True]


# -- One preparation for both transports -------------------------------------------------------
def test_both_transports_prepare_operations_with_the_one_function():
    from graphql_server.http import view as views
    from graphql_server.websocket import operations as websocket_module

    assert views.prepare_operation is websocket_module.prepare_operation
    assert views.prepare_operation is documents.prepare_operation


async def test_a_check_of_the_preparation_holds_over_http_and_the_websocket(
    client, websocket, monkeypatch
):
    # Given a check added to the preparation of every operation
    def check_variables(operation, variables, limits):
        error = GraphQLError("No.", operation, extensions={"code": "CHECKED_ONCE"})
        raise documents.DocumentError([error])

    monkeypatch.setattr(documents, "check_variables", check_variables)
    socket = await websocket()

    # When an operation is sent over each transport
    over_http = await sync_to_async(run)(client, CITY_NAMES)
    await socket.send_json_to({"id": "1", "type": "subscribe", "payload": {"query": CITY_NAMES}})

    # Then both answer it
    assert codes(over_http) == ["CHECKED_ONCE"]
    frame = await socket.receive_json_from(timeout=2)
    assert frame == {"id": "1", "type": "error", "payload": over_http.json()["errors"]}


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
def test_a_mutation_by_get_is_refused_whatever_it_would_cost(client, settings, accept):
    settings.GRAPHQL_MAX_COST = 1
    mutation = 'mutation { deviceRegister(token: "fcm-1", platform: ANDROID) { errors { code } } }'

    response = client.get(URL, {"query": mutation}, headers={"Accept": accept})

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert codes(response) == ["METHOD_NOT_ALLOWED"]
