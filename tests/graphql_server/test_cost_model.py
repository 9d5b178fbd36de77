"""The cost model: a schema's lists must each have a size, costs name fields that exist, and the
cost of a document that no variable changes is worked out once."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from graphql import build_schema

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


def test_the_cost_of_a_document_no_variable_changes_is_kept(monkeypatch, settings):
    limits = documents.DocumentLimits.from_settings()
    costed = []
    real = documents._Cost.of
    monkeypatch.setattr(
        documents._Cost, "of", classmethod(lambda cls, *args: costed.append(1) or real(*args))
    )
    fixed = "{ cities(first: 5) { edges { node { name } } } }"
    paged = "query ($n: Int) { cities(first: $n) { edges { node { name } } } }"

    for _ in range(3):
        documents.prepare_operation(schema.graphql_schema, fixed, None, None, limits=limits)
    assert len(costed) == 1
    for n in (1, 2, 3):
        documents.prepare_operation(schema.graphql_schema, paged, None, {"n": n}, limits=limits)
    assert len(costed) == 4
