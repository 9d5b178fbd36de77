"""Automatic persisted queries (Apollo's APQ) and the HTTP caching of GET responses."""

import hashlib
import json
from urllib.parse import urlencode

import pytest
from django.core.cache import cache

from accounts.models import Device
from tests.conftest import bearer_for
from tests.outages import cache_down  # noqa: F401 (a fixture, found by pytest by name)

URL = "/graphql/"
QUERY = "{ languages { code } }"
HASH = hashlib.sha256(QUERY.encode()).hexdigest()
MUTATION = """
mutation { deviceRegister(token: "fcm-1", platform: ANDROID) { errors { field code message } } }
"""

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def persisted(query_hash=HASH, version=1):
    return {"persistedQuery": {"version": version, "sha256Hash": query_hash}}


def post(client, body, accept="application/json", **headers):
    return client.post(
        URL,
        json.dumps(body),
        content_type="application/json",
        headers={"Accept": accept, **headers},
    )


def get(client, accept="application/json", headers=None, **params):
    params = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
    return client.get(f"{URL}?{urlencode(params)}", headers={"Accept": accept, **(headers or {})})


def codes(response):
    return [error["extensions"]["code"] for error in response.json()["errors"]]


# -- APQ --------------------------------------------------------------------------------------
def test_an_unknown_hash_alone_is_persisted_query_not_found(client):
    response = post(client, {"extensions": persisted()})

    assert response.status_code == 200
    assert response.json() == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }


def test_not_found_is_a_404_under_graphql_response_json(client):
    # No data, so a 4xx is required; 404 rather than 400, which Apollo's link would take for a
    # server without APQ and stop using it.
    response = post(client, {"extensions": persisted()}, accept="application/graphql-response+json")

    assert response.status_code == 404
    assert codes(response) == ["PERSISTED_QUERY_NOT_FOUND"]


def test_hash_and_query_register_the_document_and_run_it(client):
    registered = post(client, {"query": QUERY, "extensions": persisted()})
    by_hash = post(client, {"extensions": persisted()})

    assert registered.status_code == by_hash.status_code == 200
    assert registered.json() == by_hash.json()
    assert {"code": "kk"} in by_hash.json()["data"]["languages"]


def test_a_hash_that_does_not_match_the_query_is_a_400(client):
    wrong = hashlib.sha256(b"{ other }").hexdigest()

    response = post(client, {"query": QUERY, "extensions": persisted(wrong)})
    afterwards = post(client, {"extensions": persisted(wrong)})

    assert response.status_code == 400
    assert codes(response) == ["PERSISTED_QUERY_HASH_MISMATCH"]
    assert codes(afterwards) == ["PERSISTED_QUERY_NOT_FOUND"]


def test_an_invalid_document_is_not_persisted(client):
    query = "{ nope }"
    query_hash = hashlib.sha256(query.encode()).hexdigest()

    response = post(client, {"query": query, "extensions": persisted(query_hash)})
    afterwards = post(client, {"extensions": persisted(query_hash)})

    assert codes(response) == ["GRAPHQL_VALIDATION_FAILED"]
    assert codes(afterwards) == ["PERSISTED_QUERY_NOT_FOUND"]


def test_a_document_over_the_cost_limit_is_not_persisted(client, settings):
    settings.GRAPHQL_MAX_COST = 1

    response = post(client, {"query": QUERY, "extensions": persisted()})
    settings.GRAPHQL_MAX_COST = 1_000
    afterwards = post(client, {"extensions": persisted()})

    assert codes(response) == ["QUERY_TOO_COMPLEX"]
    assert codes(afterwards) == ["PERSISTED_QUERY_NOT_FOUND"]


@pytest.mark.usefixtures("cache_down")
def test_while_the_cache_is_down_a_client_that_sends_hashes_goes_on_with_the_text(client):
    # The server cannot find the text of a hash: the client is asked for it, as Apollo's link
    # does on its own, and the text runs without being stored.
    by_hash = post(client, {"extensions": persisted()})
    with_the_text = post(client, {"query": QUERY, "extensions": persisted()})
    by_hash_again = post(client, {"extensions": persisted()})

    assert by_hash.status_code == by_hash_again.status_code == 200
    assert codes(by_hash) == codes(by_hash_again) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert with_the_text.status_code == 200
    assert {"code": "kk"} in with_the_text.json()["data"]["languages"]


@pytest.mark.parametrize(
    ("extensions", "code"),
    [
        (persisted(version=2), "PERSISTED_QUERY_NOT_SUPPORTED"),
        (persisted(query_hash="abc"), "BAD_REQUEST"),
        ({"persistedQuery": "yes"}, "BAD_REQUEST"),
    ],
    ids=["version-2", "short-hash", "not-an-object"],
)
def test_a_malformed_persisted_query_is_a_400(client, extensions, code):
    response = post(client, {"extensions": extensions})

    assert response.status_code == 400
    assert codes(response) == [code]


def test_apq_over_get(client):
    missing = get(client, extensions=persisted())
    registered = get(client, query=QUERY, extensions=persisted())
    by_hash = get(client, extensions=persisted())

    assert codes(missing) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert registered.status_code == by_hash.status_code == 200
    assert by_hash.json() == registered.json()


def test_a_persisted_mutation_is_refused_over_get(client, user_factory):
    mutation_hash = hashlib.sha256(MUTATION.encode()).hexdigest()
    token = bearer_for(user_factory())
    post(
        client,
        {"query": MUTATION, "extensions": persisted(mutation_hash)},
        Authorization=f"Bearer {token}",
    )
    assert Device.objects.count() == 1
    Device.objects.all().delete()

    response = get(
        client, headers={"Authorization": f"Bearer {token}"}, extensions=persisted(mutation_hash)
    )

    assert response.status_code == 405
    assert not Device.objects.exists()


# -- Caching of GET responses -----------------------------------------------------------------
def test_an_anonymous_get_query_is_public_with_an_etag(client, settings):
    settings.GRAPHQL_GET_MAX_AGE_SECONDS = 120

    response = get(client, query=QUERY)

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=120"
    assert response["ETag"].startswith('"') and len(response["ETag"]) > 10
    assert {"Accept", "Accept-Language", "Authorization"} <= {
        value.strip() for value in response["Vary"].split(",")
    }


def test_if_none_match_with_the_etag_is_a_304(client):
    etag = get(client, query=QUERY)["ETag"]

    response = get(client, headers={"If-None-Match": etag}, query=QUERY)
    weak = get(client, headers={"If-None-Match": f'"other", W/{etag}'}, query=QUERY)
    other = get(client, headers={"If-None-Match": '"other"'}, query=QUERY)

    assert response.status_code == weak.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert other.status_code == 200


def test_the_etag_changes_with_the_answer(client, city_factory):
    city_factory(name_en="Aktau", name_ru="Актау", country="KZ", timezone="Asia/Aqtau")
    names = "{ cities { edges { node { name } } } }"

    english = get(client, query=names, headers={"Accept-Language": "en"})
    again = get(client, query=names, headers={"Accept-Language": "en"})
    russian = get(client, query=names, headers={"Accept-Language": "ru"})
    other_type = get(client, accept="application/graphql-response+json", query=names)

    assert russian.json()["data"]["cities"]["edges"] == [{"node": {"name": "Актау"}}]
    assert english["ETag"] == again["ETag"]
    assert len({english["ETag"], russian["ETag"], other_type["ETag"]}) == 3


def test_a_signed_in_get_is_private(client, user_factory):
    token = bearer_for(user_factory())

    response = get(client, headers={"Authorization": f"Bearer {token}"}, query=QUERY)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert not response.has_header("ETag")


def test_an_anonymous_post_query_is_public_without_an_etag(client, settings):
    # As a GET's: a proxy that keys POSTs by their body may keep it (no HTTP cache reuses a
    # POST's answer for another POST on its own)
    settings.GRAPHQL_GET_MAX_AGE_SECONDS = 120

    posted = post(client, {"query": QUERY})

    assert posted.status_code == 200
    assert posted["Cache-Control"] == "public, max-age=120"
    assert {"Accept", "Accept-Language", "Authorization"} <= {
        value.strip() for value in posted["Vary"].split(",")
    }
    # No revalidation of a POST: an If-None-Match is no 304
    assert not posted.has_header("ETag")
    assert post(client, {"query": QUERY}, **{"If-None-Match": "*"}).status_code == 200


def test_signed_in_posts_mutations_and_failures_are_private(client, user_factory):
    token = bearer_for(user_factory())

    signed_in = post(client, {"query": QUERY}, Authorization=f"Bearer {token}")
    mutation = post(client, {"query": MUTATION}, Authorization=f"Bearer {token}")
    anonymous_mutation = post(client, {"query": MUTATION})
    failed = get(client, query="{ nope }")
    failed_post = post(client, {"query": "{ nope }"})
    partial = get(client, query='{ city(id: "x") { name } }')

    for response in (signed_in, mutation, anonymous_mutation, failed, failed_post, partial):
        assert response["Cache-Control"] == "private, no-store"
        assert not response.has_header("ETag")
    assert Device.objects.count() == 1
