"""Rate limits on mutations (per user and per client address) and on sign-in per address."""

import json

import pytest
from graphql_relay import to_global_id

from cities.models import CityFollow
from core.ratelimit import Rate
from tests.conftest import GRAPHQL_URL, bearer_for
from tests.outages import cache_down  # noqa: F401 (a fixture, found by pytest by name)

PASSWORD = "correct horse battery staple"

CITY_FOLLOW = """
mutation($city: ID!) { cityFollow(city: $city) { city { name } errors { field code message } } }
"""
TOKEN_REVOKE = """
mutation { tokenRevoke(refreshToken: "unknown") { errors { field code message } } }
"""
TOKEN_CREATE = """
mutation($email: String!, $password: String!) {
  tokenCreate(email: $email, password: $password) { accessToken errors { field code message } }
}
"""
THREE_REVOKES = """
mutation {
  a: tokenRevoke(refreshToken: "a") { errors { code } }
  b: tokenRevoke(refreshToken: "b") { errors { code } }
  c: tokenRevoke(refreshToken: "c") { errors { code } }
}
"""
LANGUAGES = "{ languages { code } }"


@pytest.fixture
def post(client, db):
    """POST an operation from ``address`` (REMOTE_ADDR), optionally forwarded and signed in."""

    def run(query, variables=None, *, address="203.0.113.7", forwarded=None, user=None):
        headers = {"REMOTE_ADDR": address}
        if forwarded is not None:
            headers["HTTP_X_FORWARDED_FOR"] = forwarded
        if user is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {bearer_for(user)}"
        response = client.post(
            GRAPHQL_URL,
            json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
            **headers,
        )
        assert response.status_code == 200, response.content
        return response.json()

    return run


def assert_rate_limited(result, field, window_seconds):
    assert result["data"] == {field: None}
    (error,) = result["errors"]
    assert error["path"] == [field]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert 1 <= error["extensions"]["retryAfter"] <= window_seconds


def follow(post, user, city, **options):
    return post(CITY_FOLLOW, {"city": to_global_id("City", city.pk)}, user=user, **options)


def test_a_user_beyond_the_limit_is_refused_and_nothing_is_written(
    post, settings, user_factory, city_factory
):
    settings.RATE_LIMIT_MUTATIONS_USER = Rate(2, 60)
    ada = user_factory()
    cities = [city_factory() for _ in range(3)]

    assert [follow(post, ada, city)["data"]["cityFollow"]["errors"] for city in cities[:2]] == [
        [],
        [],
    ]
    result = follow(post, ada, cities[2])

    assert_rate_limited(result, "cityFollow", 60)
    assert not CityFollow.objects.filter(user=ada, city=cities[2]).exists()


def test_the_user_limit_follows_the_user_across_addresses_and_spares_others(
    post, settings, user_factory, city_factory
):
    settings.RATE_LIMIT_MUTATIONS_USER = Rate(1, 60)
    ada, bob = user_factory(), user_factory()
    city = city_factory()
    follow(post, ada, city, address="203.0.113.7")

    assert_rate_limited(follow(post, ada, city, address="198.51.100.9"), "cityFollow", 60)
    assert follow(post, bob, city, address="203.0.113.7")["data"]["cityFollow"]["errors"] == []


def test_an_address_beyond_its_limit_is_refused_signed_in_or_not(
    post, settings, user_factory, city_factory
):
    settings.RATE_LIMIT_MUTATIONS_IP = Rate(2, 60)
    post(TOKEN_REVOKE, address="203.0.113.7")
    follow(post, user_factory(), city_factory(), address="203.0.113.7")

    assert_rate_limited(post(TOKEN_REVOKE, address="203.0.113.7"), "tokenRevoke", 60)
    assert_rate_limited(
        follow(post, user_factory(), city_factory(), address="203.0.113.7"), "cityFollow", 60
    )
    # Another address has its own count.
    assert post(TOKEN_REVOKE, address="203.0.113.8")["data"]["tokenRevoke"]["errors"] == []


def test_each_root_field_of_a_request_counts(post, settings):
    settings.RATE_LIMIT_MUTATIONS_IP = Rate(2, 60)

    result = post(THREE_REVOKES)

    assert result["data"]["a"] == {"errors": []}
    assert result["data"]["b"] == {"errors": []}
    assert result["data"]["c"] is None
    assert [error["path"] for error in result["errors"]] == [["c"]]
    assert result["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


def test_queries_are_not_counted(post, settings):
    settings.RATE_LIMIT_MUTATIONS_IP = Rate(1, 60)

    for _ in range(3):
        assert "errors" not in post(LANGUAGES)
    assert post(TOKEN_REVOKE)["data"]["tokenRevoke"]["errors"] == []


def test_a_limit_of_zero_is_no_limit(post, settings):
    settings.RATE_LIMIT_MUTATIONS_IP = Rate.parse("0/m")

    for _ in range(5):
        assert post(TOKEN_REVOKE)["data"]["tokenRevoke"]["errors"] == []


def test_behind_a_trusted_proxy_clients_are_counted_by_their_forwarded_address(post, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.RATE_LIMIT_MUTATIONS_IP = Rate(1, 60)
    proxy = "10.0.0.2"
    post(TOKEN_REVOKE, address=proxy, forwarded="203.0.113.7")

    # A spoofed first entry does not make a new client: the proxy's entry is the last one.
    spoofed = post(TOKEN_REVOKE, address=proxy, forwarded="192.0.2.1, 203.0.113.7")
    assert_rate_limited(spoofed, "tokenRevoke", 60)
    # Another client behind the same proxy is not held back by the first.
    other = post(TOKEN_REVOKE, address=proxy, forwarded="198.51.100.4")
    assert other["data"]["tokenRevoke"]["errors"] == []


def test_ipv6_clients_are_counted_by_their_64(post, settings):
    settings.RATE_LIMIT_MUTATIONS_IP = Rate(1, 60)
    post(TOKEN_REVOKE, address="2001:db8:1:2::10")

    assert_rate_limited(post(TOKEN_REVOKE, address="2001:db8:1:2::99"), "tokenRevoke", 60)
    assert post(TOKEN_REVOKE, address="2001:db8:1:3::10")["data"]["tokenRevoke"]["errors"] == []


def test_every_sign_in_counts_per_address_even_right_ones(post, settings, user_factory):
    settings.RATE_LIMIT_SIGN_IN_IP = Rate(2, 60)
    staff = user_factory(email="office@example.org")
    staff.set_password(PASSWORD)
    staff.save()
    credentials = {"email": "office@example.org", "password": PASSWORD}

    for _ in range(2):
        result = post(TOKEN_CREATE, credentials)
        assert result["data"]["tokenCreate"]["accessToken"]

    assert_rate_limited(post(TOKEN_CREATE, credentials), "tokenCreate", 60)
    # The sign-in limit is its own: other mutations from the address still go through.
    assert post(TOKEN_REVOKE)["data"]["tokenRevoke"]["errors"] == []


def test_failed_sign_ins_are_still_throttled_per_email(post, settings, user_factory):
    settings.SIGNIN_MAX_FAILURES = 2
    user_factory(email="office@example.org")
    wrong = {"email": "office@example.org", "password": "wrong"}

    codes = [
        post(TOKEN_CREATE, wrong, address=f"203.0.113.{n}")["data"]["tokenCreate"]["errors"][0][
            "code"
        ]
        for n in (1, 2, 3)
    ]

    assert codes == ["INVALID_CREDENTIALS", "INVALID_CREDENTIALS", "RATE_LIMITED"]


# -- While the cache is down -------------------------------------------------------------------
@pytest.mark.usefixtures("cache_down")
def test_while_the_cache_is_down_mutations_go_through_uncounted(
    post, settings, user_factory, city_factory
):
    # A limit protects the service; it is no reason to refuse it.
    settings.RATE_LIMIT_MUTATIONS_USER = Rate(1, 60)
    ada = user_factory()

    results = [follow(post, ada, city_factory()) for _ in range(3)]

    assert [result["data"]["cityFollow"]["errors"] for result in results] == [[], [], []]
    assert CityFollow.objects.filter(user=ada).count() == 3


@pytest.mark.usefixtures("cache_down")
def test_while_the_cache_is_down_sign_in_is_refused_until_failures_can_be_counted(
    post, user_factory
):
    # Past the rate limits (let through), the failed sign-ins of the e-mail cannot be counted:
    # a password could be guessed without a limit for as long as the outage lasts.
    user_factory(email="office@example.org")

    result = post(TOKEN_CREATE, {"email": "office@example.org", "password": PASSWORD})

    assert result["data"] == {"tokenCreate": None}
    (error,) = result["errors"]
    assert error["path"] == ["tokenCreate"]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert error["extensions"]["retryAfter"] == 5
