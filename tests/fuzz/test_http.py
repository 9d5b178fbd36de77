"""Generated operations of every root field over HTTP: no 5xx, only coded errors, none of them
a masked server error, and nothing written by a refused request."""

import pytest

from .conftest import TARGETED_EXAMPLES, every_case
from .over_http import HttpFuzzer

# On PostgreSQL the server uses the test database, so the test's writes must commit.
pytestmark = pytest.mark.django_db(transaction=True)

# HTTP transports: JSON all ASCII (surrogates as \ud800 escapes) or UTF-8, GET (queries), and
# the bare document as application/graphql.
TRANSPORTS = ("json", "utf8", "json", "utf8", "get", "graphql")


def test_generated_operations_over_http(api, fuzzed_server, findings):
    # Given every root field, its leaves each made hostile in turn, then free cases
    fuzzer = HttpFuzzer(fuzzed_server, findings)
    # (Subscriptions are refused over HTTP whatever their arguments: free cases only.)
    every_case(api, fuzzed_server.pools, TRANSPORTS, fuzzer.send, "http", ("Query", "Mutation"))
    print(fuzzer.reach.table())

    # Then no answer was wrong and nothing refused wrote anything; and every root field was
    # sent, and the cases got past the first checks (queries answered, mutations done)
    shortfalls = fuzzer.reach.shortfalls(api, False, TARGETED_EXAMPLES > 0)
    assert not findings and not shortfalls, "\n".join(
        [*shortfalls, findings.report(fuzzed_server.log()[-4000:]) if findings else ""]
    )
