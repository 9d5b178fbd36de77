"""A request for a host the server does not serve (not in ALLOWED_HOSTS): the API answers it
with a coded GraphQL error an app can read, not Django's HTML page, saying with DEBUG which
host to add; every other page keeps Django's answer."""

import logging

import pytest

URL = "/graphql/"
QUERY = {"query": "{ __typename }"}
# A phone on the developer's network, whose address ALLOWED_HOSTS does not name.
STRANGER = "192.168.1.20:8000"


def ask(client, host, accept="application/json", method="post"):
    if method == "get":
        return client.get(URL, QUERY, HTTP_HOST=host, HTTP_ACCEPT=accept)
    return client.post(
        URL, QUERY, content_type="application/json", HTTP_HOST=host, HTTP_ACCEPT=accept
    )


@pytest.mark.parametrize(
    "accept", ["application/json", "application/graphql-response+json", "*/*", "image/png"]
)
def test_the_api_answers_a_host_it_does_not_serve_with_a_coded_error(client, accept):
    response = ask(client, STRANGER, accept)

    assert response.status_code == 400
    media_type = "application/graphql-response+json" if "graphql" in accept else "application/json"
    assert response["Content-Type"] == f"{media_type}; charset=utf-8"
    body = response.json()
    assert list(body) == ["errors"]
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "DISALLOWED_HOST"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Request-ID"]


def test_with_debug_the_error_names_the_host_to_add(client, settings):
    settings.DEBUG = True

    # By GET as a browser asks, which would get GraphiQL's page on a host that is served
    answers = [
        ask(client, "10.0.2.2:8000"),
        ask(client, "10.0.2.2:8000", "text/html,*/*;q=0.8", method="get"),
    ]

    for answer in answers:
        assert answer.status_code == 400
        (error,) = answer.json()["errors"]
        assert error["extensions"]["code"] == "DISALLOWED_HOST"
        assert "'10.0.2.2:8000'" in error["message"]
        assert "You may need to add '10.0.2.2' to ALLOWED_HOSTS." in error["message"]


def test_without_debug_the_error_tells_nothing_of_the_configuration(client):
    (error,) = ask(client, STRANGER).json()["errors"]

    assert "ALLOWED_HOSTS" not in error["message"] and "192.168" not in error["message"]


def test_it_is_logged_as_django_logs_it(client, caplog):
    with caplog.at_level(logging.ERROR, logger="django.security.DisallowedHost"):
        ask(client, STRANGER)

    (record,) = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert "192.168.1.20:8000" in record.getMessage()
    assert record.status_code == 400


@pytest.mark.parametrize("path", ["/admin/", "/e/1", "/healthz", "/nowhere"])
def test_other_pages_keep_djangos_own_answer(client, path):
    response = client.get(path, HTTP_HOST=STRANGER)

    assert response.status_code == 400
    assert not response["Content-Type"].startswith("application/json")


def test_a_served_host_is_answered_as_ever(client, settings):
    settings.ALLOWED_HOSTS = ["192.168.1.20"]

    response = ask(client, STRANGER)

    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}
