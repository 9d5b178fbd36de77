"""Requests written byte by byte, where a generator would not go: JSON with ``\\ud800`` escapes
in every parameter, numbers JSON allows and Python reads oddly, invalid UTF-8, bodies at the
size limit, and IDs and tokens in URLs. No answer may be a 5xx or a masked server error, and
none may write."""

import pytest
import requests

from . import answers
from .database import changes
from .documents import Case
from .over_http import refused_writes
from .server import REQUEST_SECONDS

pytestmark = pytest.mark.django_db(transaction=True)

ME = "{ me { email } }"
SEARCH = "query($s: String) { cities(search: $s) { totalCount } }"
FIRST = "query($n: Int) { cities(first: $n) { totalCount } }"
NEAR = (
    "query($n: Float) { events(filter: {near: {latitude: $n, longitude: 0, radiusKm: 10}}) "
    "{ totalCount } }"
)
SEND = (
    "mutation($b: String!, $e: ID!) { chatMessageSend(body: $b, clientId: $b, event: $e) "
    "{ errors { field code message } } }"
)


def _json(query: str) -> str:
    return query.replace('"', '\\"')


# JSON bodies, as text: every \\u escape is JSON's, read by the server's JSON parser.
JSON_BODIES = (
    '{"query":"{ cities(search: \\"\\ud800\\") { totalCount } }"}',
    '{"query":"{ cities(search: \\"a\\udfffb\\") { totalCount } }"}',
    '{"query":"{ cities(search: \\"\\\\ud800\\") { totalCount } }"}',
    '{"query":"{ cities(search: \\"\\ud83d\\ude00\\") { totalCount } }"}',
    '{"query":"{ cities(search: \\"\\ude00\\ud83d\\") { totalCount } }"}',
    '{"query":"query \\ud800 { me { email } }"}',
    '{"query":"# \\ud800\\n{ me { email } }"}',
    '{"query":"{ me { email } }\\u0000"}',
    '{"query":"\\ufeff{ me { email } }"}',
    f'{{"query":"{ME}","operationName":"\\ud800"}}',
    f'{{"query":"{ME}","operationName":"\\u0000"}}',
    f'{{"query":"{SEARCH}","variables":{{"s":"\\ud800"}}}}',
    f'{{"query":"{SEARCH}","variables":{{"s":"\\u200b\\u2060\\ufeff"}}}}',
    f'{{"query":"{SEARCH}","variables":{{"\\ud800":"\\udfff"}}}}',
    f'{{"query":"{SEARCH}","variables":{{"s":{"[" * 5000}{"]" * 5000}}}}}',
    f'{{"query":"{ME}","extensions":{{"persistedQuery":{{"version":1,"sha256Hash":"\\ud800"}}}}}}',
    '{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"\\ud800"}}}',
    '{"extensions":{"persistedQuery":{"version":1e400,"sha256Hash":"00"}}}',
    f'{{"query":"{ME}","extensions":{{"\\ud800":1}}}}',
    '{"\\u0000query":"{ me { email } }"}',
    '{"query":"{ me { email } }","query":"{ languages { code } }"}',
    f'{{"query":"{FIRST}","variables":{{"n":{"9" * 5000}}}}}',
    f'{{"query":"{FIRST}","variables":{{"n":1e400}}}}',
    f'{{"query":"{FIRST}","variables":{{"n":-0}}}}',
    f'{{"query":"{FIRST}","variables":{{"n":1.0}}}}',
    f'{{"query":"{NEAR}","variables":{{"n":NaN}}}}',
    f'{{"query":"{NEAR}","variables":{{"n":Infinity}}}}',
    f'{{"query":"{NEAR}","variables":{{"n":-1e400}}}}',
    f'{{"query":"{NEAR}","variables":{{"n":1e-400}}}}',
    f'{{"query":"{_json(SEND)}","variables":{{"b":"\\ud800","e":"RXZlbnQ6MQ=="}}}}',
    f'{{"query":"{_json(SEND)}","variables":{{"b":"\\u200b","e":"RXZlbnQ6MQ\\u0000=="}}}}',
    f'[{{"query":"{ME}"}}]',
    '"\\ud800"',
    "null",
    "{}",
    "",
    '{"query":"#' + "x" * 110_000 + '\\n{ me { email } }"}',
    '{"query":"#' + "x" * 101_000 + '\\n{ me { email } }"}',
    '{"query":"' + "{ languages { code } } " * 3000 + '"}',
)
# Bodies that are not valid UTF-8 (a surrogate encoded as UTF-8, a stray byte) or carry a BOM.
BYTE_BODIES = (
    b'{"query":"{ cities(search: \\"\xed\xa0\x80\\") { totalCount } }"}',
    b'{"query":"{ me { email } }"}\xff',
    b'\xef\xbb\xbf{"query":"{ me { email } }"}',
    b'{"query":"{ cities(search: \\"\xc0\x80\\") { totalCount } }"}',
)
GRAPHQL_BODY = b'{ cities(search: "\xed\xa0\x80") { totalCount } }'
# GET requests and other URLs: lone surrogates as their UTF-8 bytes, NUL, long values.
URLS = (
    "/graphql/?query=%7B%20cities(search%3A%20%22%ED%A0%80%22)%20%7B%20totalCount%20%7D%20%7D",
    "/graphql/?query=%7B%20me%20%7B%20email%20%7D%20%7D%00",
    "/graphql/?query=%7B%20me%20%7B%20email%20%7D%20%7D&operationName=%ED%A0%80",
    "/graphql/?query=%7B%20me%20%7B%20email%20%7D%20%7D&variables=%7B%22%5Cud800%22%3A1%7D",
    "/graphql/?query=%7B%20me%20%7B%20email%20%7D%20%7D&extensions=%ED%A0%80",
    # daphne refuses a request line over 16 KB before the application sees it.
    "/graphql/?query=" + "%23" * 5000,
    "/calendar/%00.ics",
    "/calendar/%ED%A0%80.ics",
    "/calendar/%E2%80%8B.ics",
    "/calendar/" + "a" * 5000 + ".ics",
    "/calendar/..%2F..%2Fetc%2Fpasswd.ics",
    "/events/99999999999999999999999.ics",
    "/events/9223372036854775808.ics",
    "/events/0.ics",
    "/e/99999999999999999999999",
    "/e/9223372036854775808",
    "/e/0",
    "/e/1?lang=%ED%A0%80",
    "/e/1?lang=" + "ur" * 3000,
    "/.well-known/assetlinks.json?%ED%A0%80",
    "/.well-known/apple-app-site-association/..%2Fassetlinks.json",
)


def test_raw_requests_get_no_server_error_and_write_nothing(fuzzed_server):
    server = fuzzed_server
    found = []

    def check(what, method, target, body=None, content_type="application/json"):
        before = server.content.fingerprint()
        mark = server.log_mark()
        try:
            response = server.session.request(
                method,
                server.url + target,
                data=body,
                headers={"Content-Type": content_type, **server.headers},
                timeout=REQUEST_SECONDS,
            )
        except requests.RequestException as error:
            found.append(f"{what}: no answer ({type(error).__name__})")
            return
        problems = []
        if response.status_code >= 500:
            problems.append(f"HTTP {response.status_code}")
        elif target.startswith("/graphql/"):
            problems, _ = answers.http_problems(response.status_code, response.content)
        written = changes(before, server.content.fingerprint())
        if written:
            problems.append(f"wrote: {written}")
        if problems:
            logged = "".join(f"\n  server: {error}" for error in server.errors_since(mark))
            found.append(f"{what}: {problems}\n  answer: {response.content[:300]!r}{logged}")

    # When each body is posted, and each URL fetched
    for body in JSON_BODIES:
        check(f"POST {body[:150]!r}", "POST", "/graphql/", body.encode())
    for body in BYTE_BODIES:
        check(f"POST {body[:150]!r}", "POST", "/graphql/", body)
    check(
        "application/graphql with a surrogate",
        "POST",
        "/graphql/",
        b'{ cities(search: "\xed\xa0\x80") { totalCount } }',
        "application/graphql",
    )
    for url in URLS:
        check(f"GET {url[:150]}", "GET", url)

    # Then none was a server error, and none wrote anything
    assert not found, "\n".join(found)


REFRESH = (
    "mutation($t: String!) { tokenRefresh(refreshToken: $t) { errors { field code message } } }"
)
FOLLOW = "mutation($c: ID!) { cityFollow(city: $c) { errors { field code message } } }"


def _case(field: str) -> Case:
    return Case("Mutation", field, None, None, "", None, None, None)


def test_the_database_check_sees_what_requests_write(fuzzed_server):
    server = fuzzed_server
    # Given a refresh token already used, presented again: refused, and the whole sign-in is
    # revoked on purpose
    used = server.pools.refresh_tokens[1]
    before = server.content.fingerprint()
    reused = server.post(REFRESH, {"t": used}, headers={})
    after = server.content.fingerprint()

    # Then the fingerprint saw the write, which is allowed for that refusal only
    assert reused["data"]["tokenRefresh"]["errors"][0]["code"] == "TOKEN_REUSED"
    assert list(changes(before, after)) == ["accounts_refreshtoken"]
    assert refused_writes(_case("tokenRefresh"), reused, before, after) == []
    [problem] = refused_writes(_case("tokenRevoke"), reused, before, after)
    assert problem.startswith("refused, yet wrote: accounts_refreshtoken (")

    # And an accepted mutation may write, a refused one may not
    city = next(iter(server.pools.ids["City"]))
    before = server.content.fingerprint()
    followed = server.post(FOLLOW, {"c": city})
    after = server.content.fingerprint()
    assert followed == {"data": {"cityFollow": {"errors": []}}}
    assert "cities_cityfollow" in changes(before, after)
    assert refused_writes(_case("cityFollow"), followed, before, after) == []
    assert refused_writes(_case("cityFollow"), {"data": None}, before, after)
