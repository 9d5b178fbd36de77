"""Declaring what the response cache may keep: a schema's declarations attach to its fields, and
one that names what is not there, or says a thing twice, stops the start-up."""

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from graphql import build_schema

from graphql_server import response_cache
from graphql_server.cache_policy import (
    ALL_FIELDS,
    Caching,
    Clock,
    cache_policy,
    declare_cache_policies,
    field_policy,
    unclassified,
)

SDL = """
type Query { shop(id: ID!): Shop  me: Me  cart: [Int!]! }
type Shop { name: String!  stock: Int!  openNow: Boolean! }
type Me { email: String!  basket: [Int!]! }
"""
OPENING = Clock("opening hours", lambda since: since + datetime.timedelta(hours=1))


def declared(*policies):
    schema = build_schema(SDL)
    declare_cache_policies(schema, policies)
    return schema


SHOP = cache_policy(
    "Shop",
    areas={"shops"},
    public=("name", "stock", "openNow"),
    also_reads={"stock": {"stock"}},
    clocks={"openNow": OPENING},
)
QUERY = cache_policy("Query", public=("shop",), viewer=("me",), not_cached=("cart",))
ME = cache_policy("Me", viewer=ALL_FIELDS)


def test_what_a_query_reads_follows_the_declarations():
    schema = declared(SHOP, QUERY, ME)

    policy = response_cache.analyse(schema, '{ shop(id: "1") { name stock openNow } }')

    assert unclassified(schema) == []
    assert policy.cacheable
    assert policy.areas == {"shops", "stock"}
    assert policy.clocks == {OPENING}


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("{ me { email } }", "Query.me depends on the viewer"),
        ("{ cart }", "Query.cart is not a public read"),
    ],
)
def test_the_viewers_and_uncached_fields_are_never_kept(query, reason):
    policy = response_cache.analyse(declared(SHOP, QUERY, ME), query)

    assert not policy.cacheable
    assert policy.reason == reason


def test_an_undeclared_field_is_unclassified_and_never_kept():
    schema = declared(QUERY, ME, cache_policy("Shop", areas={"shops"}, public=("name",)))

    assert unclassified(schema) == ["Shop.openNow", "Shop.stock"]
    assert field_policy(schema.type_map["Shop"].fields["stock"]) is None
    assert not response_cache.analyse(schema, '{ shop(id: "1") { stock } }').cacheable


def test_every_field_of_a_type_may_be_the_viewers_at_once():
    schema = declared(SHOP, QUERY, ME)

    assert {field_policy(field).caching for field in schema.type_map["Me"].fields.values()} == {
        Caching.VIEWER
    }


def test_one_type_may_be_declared_in_parts_never_one_field_twice():
    declared(
        SHOP,
        ME,
        cache_policy("Query", public=("shop",)),
        cache_policy("Query", viewer=("me",), not_cached=("cart",)),
    )

    with pytest.raises(ImproperlyConfigured, match=r"twice for Query: \['shop'\]"):
        declared(SHOP, ME, QUERY, cache_policy("Query", public=("shop",)))


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        (lambda: cache_policy("Shop", public=ALL_FIELDS), "one by one"),
        (lambda: cache_policy("Shop", public=("name",), viewer=("name",)), "twice"),
        (lambda: cache_policy("Shop", also_reads={"stock": {"stock"}}), "not public"),
    ],
)
def test_a_declaration_that_contradicts_itself_is_refused(declaration, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        declaration()


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (cache_policy("Basket", public=("items",)), "Basket, which is no object type"),
        (cache_policy("Shop", public=("price",)), r"do not exist: \['price'\]"),
    ],
)
def test_a_declaration_of_nothing_in_the_schema_stops_the_start_up(policy, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        declared(policy)
