"""Generated operations of every root field over the websocket, queries, mutations and every
subscription, and hostile beginnings of a connection: every answer coded, none a masked
server error, every close a documented code, nothing written by a refused operation, and no
socket left hanging."""

import pytest

from .conftest import MAX_EXAMPLES, TARGETED_EXAMPLES, every_case, run_examples
from .over_websocket import WebsocketFuzzer, fixed_beginnings, hostile_init, init_payloads

# On PostgreSQL the server uses the test database, so the test's writes must commit.
pytestmark = pytest.mark.django_db(transaction=True)

# Text frames with non-ASCII characters escaped, or as UTF-8 (lone surrogates escaped).
TRANSPORTS = ("json", "utf8")


def test_generated_operations_over_websocket(api, fuzzed_server, findings):
    # Given every root field, its leaves each made hostile in turn, then free cases
    fuzzer = WebsocketFuzzer(fuzzed_server, findings)
    subscriptions = []

    def each(case):
        # Queries and mutations one at a time; subscriptions gathered, then sent in batches.
        (subscriptions.append if case.root == "Subscription" else fuzzer.send)(case)

    try:
        every_case(api, fuzzed_server.pools, TRANSPORTS, each, "websocket")
        fuzzer.subscribe_all(subscriptions)
    finally:
        fuzzer.close()
    print(fuzzer.reach.table())

    # Then no answer was wrong, no close undocumented, nothing refused wrote anything; and
    # every root field was sent: queries answered, mutations done, subscriptions listening
    shortfalls = fuzzer.reach.shortfalls(api, True, TARGETED_EXAMPLES > 0)
    assert not findings and not shortfalls, "\n".join(
        [*shortfalls, findings.report(fuzzed_server.log()[-4000:]) if findings else ""]
    )


def test_hostile_connection_beginnings(fuzzed_server):
    # Given connection_init payloads and first frames of every hostile kind
    server = fuzzed_server
    found = []

    def each(frames):
        mark = server.log_mark()
        problems, socket = hostile_init(server.websocket_url, server.token, frames)
        if problems:
            logged = server.errors_since(mark)
            found.append((problems, socket.sent, socket.received[-3:], logged))

    # When each begins a connection: every fixed one, then generated payloads
    for frames in fixed_beginnings(server.token):
        each(frames)
    run_examples(init_payloads(server.token), max(20, MAX_EXAMPLES * 4), each, "ws/init")

    # Then each was acknowledged and served, or closed with a documented code, in time
    assert not found, "\n\n".join(
        f"{problems}\n  sent: {[frame[:300] for frame in sent]}\n  received: {received}"
        + "".join(f"\n  server: {error}" for error in logged)
        for problems, sent, received, logged in found[:30]
    )
