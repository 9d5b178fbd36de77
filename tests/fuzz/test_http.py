"""Generated operations of every root field over HTTP: no 5xx, only coded errors, none of them
a masked server error, and nothing written by a refused request."""

import pytest

from .conftest import every_case
from .documents import ROOTS
from .over_http import HttpFuzzer

# On PostgreSQL the server uses the test database, so the test's writes must commit.
pytestmark = pytest.mark.django_db(transaction=True)

# HTTP transports: JSON all ASCII (surrogates as \ud800 escapes) or UTF-8, GET (queries), and
# the bare document as application/graphql.
TRANSPORTS = ("json", "utf8", "json", "utf8", "get", "graphql")


def test_generated_operations_over_http(api, fuzzed_server, findings):
    # Given every root field, its leaves each made hostile in turn, then free cases
    fuzzer = HttpFuzzer(fuzzed_server, findings)
    every_case(api, fuzzed_server.pools, TRANSPORTS, fuzzer.send, "http")
    print(fuzzer.reach.table())
    # Then no answer was wrong, and nothing refused wrote anything
    assert not findings, findings.report(fuzzed_server.log()[-4000:])
    # And every root field was sent, and the cases got past the first checks: every query
    # field answered with data, and mutations were done.
    reach = fuzzer.reach
    every = {f"{root}.{field}" for root in ROOTS for field in api.fields(root)}
    assert reach.fields("cases") == every
    queries = {label for label in every if label.startswith("Query.")}
    assert reach.fields("answered", "Query.") == queries
    assert len(reach.fields("accepted", "Mutation.")) >= len(api.fields("Mutation")) // 2
