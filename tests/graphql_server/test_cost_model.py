"""The cost model: a schema's lists must each have a size, costs name fields that exist, and the
cost of a document is worked out once, or once for each value of the variables it reads."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from graphql import build_schema, parse

from graphql_server import documents
from graphql_server.cost_model import FieldCost, declare_costs
from schema.costs import QUERY
from schema.schema import schema


@pytest.fixture(autouse=True)
def empty_document_caches():
    documents.document_cache.clear()
    documents.refused_documents.clear()
    documents.operation_costs.clear()


def test_a_list_without_a_size_stops_the_start_up():
    sdl = "type Query { a: [Int!]! b(first: Int): [Int!]! c: [Int] }"

    with pytest.raises(ImproperlyConfigured, match=r"Query\.a.*Query\.c"):
        declare_costs(build_schema(sdl), {})
    declare_costs(build_schema(sdl), {"Query.a": FieldCost(size=3), "Query.c": FieldCost(size=1)})


def test_a_cost_declared_for_no_field_stops_the_start_up():
    with pytest.raises(ImproperlyConfigured, match=r"Query\.nope"):
        declare_costs(build_schema("type Query { a: Int }"), {"Query.nope": FieldCost(QUERY)})


@pytest.fixture
def costings(monkeypatch):
    """The costings worked out (not found kept), each as the variables it was given."""
    costed = []
    real = documents._Cost.of

    def of(cls, schema, document, operation, variables):
        costed.append(variables)
        return real(schema, document, operation, variables)

    monkeypatch.setattr(documents._Cost, "of", classmethod(of))
    return costed


def prepare(query, variables=None):
    limits = documents.DocumentLimits.from_settings()
    return documents.prepare_operation(schema.graphql_schema, query, None, variables, limits=limits)


def kept_cost(query, variables=None) -> int:
    document = documents.load_document(
        schema.graphql_schema,
        query,
        documents.document_hash(query),
        documents.DocumentLimits.from_settings(),
    )
    operation = documents.select_operation(document, None)
    return documents.check_cost(
        schema.graphql_schema,
        document,
        operation,
        variables,
        documents.DocumentLimits.from_settings(),
        documents.document_hash(query),
    )


def test_the_cost_of_a_document_no_variable_changes_is_worked_out_once(costings):
    fixed = "query ($slug: String!) { city(slug: $slug) { name } cities(first: 5) { totalCount } }"

    for slug in ("aktau", "karachi", "gwadar"):
        prepare(fixed, {"slug": slug})

    assert costings == [{"slug": "aktau"}]


def test_the_cost_of_a_document_whose_variables_change_it_is_kept_for_each_of_their_values(
    costings,
):
    paged = (
        "query ($n: Int, $other: String!) { city(slug: $other) { name } "
        "cities(first: $n) { edges { node { name } } } }"
    )

    costs = [kept_cost(paged, {"n": n, "other": other}) for n, other in [(1, "a"), (3, "b")]]
    costs += [kept_cost(paged, {"n": n, "other": "c"}) for n in (1, 3)]

    # The variable the cost does not read changes nothing; the page size does.
    assert costings == [{"n": 1, "other": "a"}, {"n": 3, "other": "b"}]
    assert costs[0] < costs[1]
    assert costs[2:] == costs[:2]
    assert costs == [
        documents.operation_cost(*parsed(paged, {"n": n, "other": "d"})) for n in (1, 3, 1, 3)
    ]


def test_a_kept_cost_tells_a_variable_not_sent_from_one_sent_as_null_or_another_value(costings):
    search = (
        "query ($f: EventFilterInput) { events(first: 5, filter: $f) { totalCount "
        "edges { node { title } } } }"
    )
    values = [None, {"f": None}, {"f": {"search": "Aktau"}}, {"f": {"search": "Karachi"}}]

    first = [kept_cost(search, v) for v in values]
    again = [kept_cost(search, v) for v in values]

    assert costings == values
    assert again == first
    # A search weighs on each query of the list; no filter and a null one cost the same.
    assert first[0] == first[1] < first[2] == first[3]


def test_a_kept_cost_still_refuses_an_operation_over_the_limit(settings, costings):
    paged = "query ($n: Int) { cities(first: $n) { edges { node { name partners { name } } } } }"
    settings.GRAPHQL_MAX_COST = kept_cost(paged, {"n": 2})

    for _ in range(2):
        prepare(paged, {"n": 2})
        with pytest.raises(documents.DocumentError) as refused:
            prepare(paged, {"n": 100})
        assert refused.value.errors[0].extensions["code"] == "QUERY_TOO_COMPLEX"
    # Costed once under the limits of the start, then once for each size under the new.
    assert costings == [{"n": 2}, {"n": 2}, {"n": 100}]


def parsed(query, variables):
    document = parse(query)
    return schema.graphql_schema, document, documents.select_operation(document, None), variables
