"""CORS on /graphql/ for the browser pages in CORS_ALLOWED_ORIGINS, and nowhere else."""

import json

import pytest

APP = "https://app.twinning.test"
LANGUAGES = json.dumps({"query": "{ languages { code } }"})


@pytest.fixture(autouse=True)
def allowed_origins(settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]


def preflight(client, path, origin, method="POST", headers="authorization, content-type"):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )


def test_a_preflight_from_an_allowed_page_is_answered(client):
    response = preflight(
        client, "/graphql/", APP, headers="authorization, content-type, x-request-id"
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    assert "POST" in response["Access-Control-Allow-Methods"]
    allowed = {name.strip() for name in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "accept-language", "x-request-id"} <= allowed
    # Bearer tokens, not cookies: browsers are not told to send credentials.
    assert "Access-Control-Allow-Credentials" not in response


APOLLO_HEADERS = (
    "apollographql-client-name",
    "apollographql-client-version",
    "x-apollo-operation-name",
    "apollo-require-preflight",
)


def test_a_preflight_for_apollo_clients_headers_is_answered(client):
    # Given a page using Apollo Client, which sends its name, version and the operation's name,
    # and (with uploads) apollo-require-preflight, in any case the browser likes
    asked = ", ".join(["content-type", *(name.title() for name in APOLLO_HEADERS)])

    # When its browser asks first
    response = preflight(client, "/graphql/", APP, headers=asked)

    # Then each of them is allowed
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    allowed = {name.strip() for name in response["Access-Control-Allow-Headers"].split(",")}
    assert set(APOLLO_HEADERS) <= allowed


@pytest.mark.django_db
def test_an_allowed_page_may_read_the_answer_and_its_request_id(client):
    response = client.post(
        "/graphql/", LANGUAGES, content_type="application/json", headers={"Origin": APP}
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    assert response["Access-Control-Expose-Headers"] == "X-Request-ID"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "origin", ["https://evil.test", "http://app.twinning.test", "http://localhost:3000"]
)
def test_other_pages_get_no_cors_headers(client, origin):
    assert "Access-Control-Allow-Origin" not in preflight(client, "/graphql/", origin)
    response = client.post(
        "/graphql/", LANGUAGES, content_type="application/json", headers={"Origin": origin}
    )
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/healthz", "/events/1.ics"])
def test_only_the_api_answers_cors(client, path):
    assert "Access-Control-Allow-Origin" not in preflight(client, path, APP, method="GET")
    assert "Access-Control-Allow-Origin" not in client.get(path, headers={"Origin": APP})
