"""The fuzz covers the whole API, and its judgement is right: every root field and every
argument has cases, every argument a domain, every scalar hostile values, and the checks of
answers and of the database fail when they must."""

import sqlite3

import graphql
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from . import answers, domains, values
from .database import ALLOWED_WRITES, SQLiteContent, changes
from .documents import ROOTS, SDL, Api
from .domains import Pools
from .findings import cause_of, signature
from .over_http import Reach
from .over_websocket import close_problems, frame_problems


def _input_scalars(schema: graphql.GraphQLSchema) -> set[str]:
    """Every scalar an argument or input field of the schema can hold."""
    found = set()

    def visit(type_):
        named = graphql.get_named_type(type_)
        if isinstance(named, graphql.GraphQLScalarType):
            found.add(named.name)
        elif isinstance(named, graphql.GraphQLInputObjectType):
            for field in named.fields.values():
                visit(field.type)

    for type_ in schema.type_map.values():
        if isinstance(type_, graphql.GraphQLObjectType) and not type_.name.startswith("__"):
            for field in type_.fields.values():
                for argument in field.args.values():
                    visit(argument.type)
    return found


def test_every_root_field_and_argument_leaf_has_cases():
    # Given the committed SDL, read on its own
    api = Api()
    schema = graphql.build_schema(SDL.read_text())

    # Then the fuzz's root fields are the schema's, queries, mutations and subscriptions
    for root in ROOTS:
        assert set(api.fields(root)) == set(getattr(schema, f"{root.lower()}_type").fields)

    # And every argument leaf (input objects unfolded) is one the targeted pass makes hostile,
    # with a domain that has hostile values of at least one family
    for root in ROOTS:
        for field_name, field in api.roots[root].fields.items():
            paths = {leaf.path for leaf in api.leaves(root, field_name)}
            for argument, definition in field.args.items():
                named = graphql.get_named_type(definition.type)
                if isinstance(named, graphql.GraphQLInputObjectType):
                    assert any(path[0] == argument and len(path) > 1 for path in paths)
                else:
                    assert (argument,) in paths, f"{root}.{field_name}({argument})"
            for leaf in api.leaves(root, field_name):
                assert leaf.domain.themes, leaf


def test_every_argument_of_nested_fields_has_a_domain():
    # (The root fields' arguments are the leaves above.)
    api = Api()
    roots = set(api.roots.values())
    for type_ in api.schema.type_map.values():
        if not isinstance(type_, graphql.GraphQLObjectType) or type_.name.startswith("__"):
            continue
        if type_ in roots:
            continue
        for name, field in type_.fields.items():
            for argument, definition in field.args.items():
                domains.domain_of(name, (argument,), graphql.get_named_type(definition.type))


def test_an_argument_without_a_domain_is_refused():
    schema = graphql.build_schema("type Query { thing(owner: ID, colour: String): Int }")
    with pytest.raises(domains.UnknownArgument):
        domains.domain_of("thing", ("owner",), schema.get_type("ID"))
    with pytest.raises(domains.UnknownArgument):
        domains.domain_of("thing", ("colour",), schema.get_type("String"))


def test_every_input_scalar_has_ordinary_and_hostile_values():
    api = Api()
    scalars = values.generic_scalars()
    assert _input_scalars(api.schema) <= set(scalars)
    # And each of the families has values for text, IDs, cursors and dates
    for theme in values.THEMES:
        for strategy in (
            values.texts(theme),
            values.id_family(theme, "Event"),
            values.cursor_family(theme),
            values.datetime_family(theme),
            values.time_family(theme),
        ):
            _draws(strategy)


def _draws(strategy) -> None:
    @hypothesis_settings(max_examples=3, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(value):
        assert isinstance(values.literal(value), graphql.ValueNode)

    draw()


def test_the_families_hold_what_they_promise():
    texts = set()

    @hypothesis_settings(max_examples=60, database=None, suppress_health_check=list(HealthCheck))
    @given(values.texts("surrogate"), values.texts("invisible"), values.datetime_family("extreme"))
    def draw(surrogate, invisible, extreme):
        texts.add(extreme)
        assert any(0xD800 <= ord(character) <= 0xDFFF for character in surrogate)
        assert any(character in values.INVISIBLES for character in invisible)

    draw()
    assert "9999-12-31T23:59:00-14:00" in texts


def test_cases_target_the_leaf_they_say():
    # Given an API and empty pools
    api = Api()
    pools = Pools()
    leaves = api.leaves("Mutation", "eventPostpone")
    leaf = next(leaf for leaf in leaves if leaf.name == "newStartsAt")
    seen = []

    @hypothesis_settings(max_examples=5, database=None, suppress_health_check=list(HealthCheck))
    @given(api.cases("Mutation", "eventPostpone", leaf, pools))
    def draw(case):
        seen.append(case)

    draw()
    # Then each case names the leaf, says how it is hostile, and selects the payload's errors
    for case in seen:
        assert case.target == "newStartsAt"
        assert any(note.startswith("newStartsAt [") for note in case.hostile), case.hostile
        assert "errors {" in case.document


def test_answers_with_server_errors_are_problems():
    masked = {
        "errors": [
            {"message": "Internal server error.", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
        ]
    }
    assert answers.http_problems(500, b"{}")[0] == ["HTTP 500"]
    assert answers.http_problems(200, b"<html>")[0]
    assert answers.result_problems(masked) == ["INTERNAL_SERVER_ERROR: 'Internal server error.'"]
    assert answers.result_problems({"errors": [{"message": "boom"}]}) == [
        "an error without extensions.code: 'boom'"
    ]
    assert answers.result_problems({"data": {"me": None}}) == []
    assert frame_problems({"type": "error", "payload": [{"message": "boom"}]})
    assert frame_problems({"type": "error", "payload": []})
    assert frame_problems({"type": "complete", "id": "1"}) == []
    assert close_problems(4500) and close_problems(1011) and close_problems(1006)
    assert close_problems(4400) == [] and close_problems(4413) == []


def test_a_mutation_is_accepted_only_with_empty_errors_and_no_error_of_its_own():
    done = {"data": {"rsvpSet": {"errors": []}}}
    refused = {"data": {"rsvpSet": {"errors": [{"code": "EVENT_FULL"}]}}}
    raised = {"data": {"rsvpSet": None}, "errors": [{"path": ["rsvpSet"], "message": "x"}]}
    nested = {
        "data": {"rsvpSet": {"errors": [], "event": None}},
        "errors": [{"path": ["rsvpSet", "event"], "message": "x"}],
    }
    assert answers.accepted(done, "rsvpSet")
    assert not answers.accepted(refused, "rsvpSet")
    assert not answers.accepted(raised, "rsvpSet")
    assert answers.accepted(nested, "rsvpSet")
    assert not answers.accepted(None, "rsvpSet")


def test_a_change_of_any_row_changes_the_fingerprint(tmp_path):
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        connection.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')")
    content = SQLiteContent(path)
    before = content.fingerprint()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE t SET v = 'c' WHERE id = 2")
    after = content.fingerprint()
    content.close()
    assert changes(before, after) == {"t": "2 → 2 rows"}
    assert changes(after, after) == {}
    assert ("tokenRefresh", "TOKEN_REUSED") in ALLOWED_WRITES


def test_failures_group_by_cause_not_by_value():
    first = "an error without extensions.code: 'Variable \\'$v2\\' got invalid value 12'"
    second = "an error without extensions.code: 'Variable \\'$v7\\' got invalid value 99'"
    assert signature(first) == signature(second)
    assert signature("HTTP 500") != signature("closed with 4500, not a documented code")


def test_a_run_that_reaches_too_little_falls_short():
    api = Api()
    reach = Reach()
    reach["Query.me", "cases"] = 3
    reach["Query.me", "answered"] = 1
    shortfalls = reach.shortfalls(api, subscriptions_listen=True, reach_checked=True)
    assert "never sent: Mutation.rsvpSet" in shortfalls
    assert "never answered with data: Query.events" in shortfalls
    assert "never listening: Subscription.chatMessages" in shortfalls
    assert any(problem.startswith("only 0 mutations ever done") for problem in shortfalls)
    assert not [p for p in reach.shortfalls(api, True, False) if not p.startswith("never sent")]


def test_causes_are_the_exception_and_where_it_was_raised():
    where = " (at graphql_server/documents.py:100 document_hash)"
    first = "UnicodeEncodeError: can't encode character '\\ud800' in position 4" + where
    second = "UnicodeEncodeError: can't encode characters in position 5-6" + where
    assert cause_of(first) == cause_of(second)
    assert cause_of(first) != cause_of(
        "UnicodeEncodeError: x (at graphql_server/http/view.py:399 encode_json)"
    )
