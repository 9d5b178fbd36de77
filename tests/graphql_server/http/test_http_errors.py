"""What the endpoint answers when something is wrong: unexpected errors masked and logged
with the request's ID, known errors kept, size limits, GraphiQL only in DEBUG."""

import json
import logging
import uuid

import graphene
import pytest
from django.db import OperationalError
from django.test import RequestFactory

from graphql_server.errors import UserInputError
from graphql_server.http.view import GraphQLHttpView
from tests.conftest import bearer_for
from tests.outages import database_unreachable

URL = "/graphql/"


class Unencodable(graphene.Scalar):
    """A scalar with a bug: what it serializes to is not JSON."""

    @staticmethod
    def serialize(value):
        return {value}


class SampleQuery(graphene.ObjectType):
    fine = graphene.String()
    boom = graphene.String()
    lost = graphene.String()
    known = graphene.String()
    unencodable = graphene.Field(Unencodable)

    @staticmethod
    def resolve_fine(root, info):
        return "fine"

    @staticmethod
    def resolve_boom(root, info):
        raise RuntimeError('relation "accounts_user" does not exist: SELECT password FROM …')

    @staticmethod
    def resolve_lost(root, info):
        raise OperationalError("terminating connection due to administrator command")

    @staticmethod
    def resolve_known(root, info):
        raise UserInputError("Not like that.", "INVALID_THING", "known")

    @staticmethod
    def resolve_unencodable(root, info):
        return "x"


sample_view = GraphQLHttpView.as_view(schema=graphene.Schema(query=SampleQuery))


def run(query, **headers):
    request = RequestFactory().post(
        URL, json.dumps({"query": query}), content_type="application/json", headers=headers
    )
    return sample_view(request)


def decoded(response):
    return json.loads(response.content)


def test_an_unexpected_error_is_masked_and_logged_with_the_request_id(caplog):
    with caplog.at_level(logging.ERROR, logger="graphql_server.runner"):
        response = run("{ fine boom }", **{"X-Request-ID": "req-42"})

    body = decoded(response)
    assert response.status_code == 200
    assert body["data"] == {"fine": "fine", "boom": None}
    assert body["errors"] == [
        {
            "message": "Internal server error.",
            "locations": [{"line": 1, "column": 8}],
            "path": ["boom"],
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-42"},
        }
    ]
    assert b"SELECT" not in response.content
    [record] = [record for record in caplog.records if record.name == "graphql_server.runner"]
    assert "req-42" in record.getMessage()
    assert record.exc_info[0] is RuntimeError


def test_the_request_id_of_a_middleware_comes_first():
    request = RequestFactory().post(
        URL,
        json.dumps({"query": "{ boom }"}),
        content_type="application/json",
        headers={"X-Request-ID": "from-the-header"},
    )
    request.request_id = "from-the-middleware"

    response = sample_view(request)

    assert decoded(response)["errors"][0]["extensions"]["requestId"] == "from-the-middleware"


@pytest.mark.parametrize("header", [None, "bad id\nwith a forged log line"])
def test_without_a_usable_request_id_a_new_one_is_made(header, caplog):
    headers = {"X-Request-ID": header} if header else {}

    with caplog.at_level(logging.ERROR, logger="graphql_server.runner"):
        response = run("{ boom }", **headers)

    request_id = decoded(response)["errors"][0]["extensions"]["requestId"]
    assert uuid.UUID(request_id).version == 4
    assert request_id in caplog.records[0].getMessage()


def test_in_debug_the_unexpected_message_is_shown(settings, caplog):
    settings.DEBUG = True

    with caplog.at_level(logging.ERROR, logger="graphql_server.runner"):
        response = run("{ boom }")

    error = decoded(response)["errors"][0]
    assert error["message"].startswith('relation "accounts_user" does not exist')
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"


def test_a_known_error_keeps_its_message_and_code(caplog):
    with caplog.at_level(logging.ERROR, logger="graphql_server.runner"):
        response = run("{ known }")

    assert decoded(response)["errors"][0]["message"] == "Not like that."
    assert decoded(response)["errors"][0]["extensions"] == {
        "code": "INVALID_THING",
        "field": "known",
    }
    assert caplog.records == []


def test_a_failure_of_the_view_itself_is_a_500_in_json(caplog):
    with caplog.at_level(logging.ERROR, logger="graphql_server.http.view"):
        response = run("{ unencodable }", Accept="application/graphql-response+json")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/graphql-response+json; charset=utf-8"
    [error] = decoded(response)["errors"]
    assert error["message"] == "Internal server error."
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] in caplog.records[0].getMessage()


# -- Outages ---------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
def test_an_outage_at_the_token_check_is_a_503_to_retry_after_a_while(
    client, user_factory, caplog, accept
):
    token = bearer_for(user_factory())

    with caplog.at_level(logging.INFO), database_unreachable():
        response = client.post(
            URL,
            json.dumps({"query": "{ me { email } }"}),
            content_type="application/json",
            headers={
                "Accept": accept,
                "Authorization": f"Bearer {token}",
                "X-Request-ID": "req-4242",
            },
        )

    # Not a bug: 503 in either media type, with when to try again, and no data.
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == f"{accept}; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    assert decoded(response) == {
        "errors": [
            {
                "message": "Service unavailable; try again.",
                "extensions": {
                    "code": "SERVICE_UNAVAILABLE",
                    "retryAfter": 5,
                    "requestId": "req-4242",
                },
            }
        ]
    }
    # Logged once, as a warning with the request's ID: nothing for an error tracker.
    assert [(r.levelname, r.name) for r in caplog.records if r.levelno >= logging.WARNING] == [
        ("WARNING", "graphql_server.runner")
    ]
    assert "req-4242" in caplog.records[0].getMessage()


def test_an_outage_inside_execution_keeps_the_data_with_a_coded_error(caplog):
    with caplog.at_level(logging.WARNING, logger="graphql_server.runner"):
        response = run("{ fine lost }", **{"X-Request-ID": "req-43"})

    assert response.status_code == 200
    assert decoded(response) == {
        "errors": [
            {
                "message": "Service unavailable; try again.",
                "locations": [{"line": 1, "column": 8}],
                "path": ["lost"],
                "extensions": {
                    "code": "SERVICE_UNAVAILABLE",
                    "retryAfter": 5,
                    "requestId": "req-43",
                },
            }
        ],
        "data": {"fine": "fine", "lost": None},
    }
    [record] = [record for record in caplog.records if record.name == "graphql_server.runner"]
    assert (record.levelname, record.exc_info) == ("WARNING", None)
    assert record.getMessage() == (
        "Service unavailable in GraphQL request req-43 at lost: "
        "OperationalError: terminating connection due to administrator command"
    )


# -- Size limits ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_body_over_the_limit_is_a_413_before_it_is_parsed(client, settings):
    settings.GRAPHQL_MAX_BODY_BYTES = 100
    padding = " " * 100

    response = client.post(URL, "{ not json" + padding, content_type="application/json")
    fits = client.post(
        URL, json.dumps({"query": "{ languages { code } }"}), content_type="application/json"
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert decoded(response)["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert fits.status_code == 200


@pytest.mark.django_db
def test_a_declared_length_over_the_limit_is_refused_without_reading(client, settings):
    settings.GRAPHQL_MAX_BODY_BYTES = 100

    response = client.generic(
        "POST", URL, b"{}", CONTENT_TYPE="application/json", CONTENT_LENGTH="1000000"
    )

    assert response.status_code == 413


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "content_type", "headers", "status"),
    [
        (b"{" + b" " * 150, "application/json", {}, 413),
        (b"query=x" + b"&" * 150, "application/x-www-form-urlencoded", {}, 415),
        (b"{}" + b" " * 150, "text/plain", {}, 415),
        (b"--x\r\n" + b" " * 300, "multipart/form-data; boundary=x", {}, 401),
    ],
    ids=["too large", "a form", "another media type", "an upload signed out"],
)
def test_a_refused_body_is_read_before_the_answer(settings, body, content_type, headers, status):
    # Answering before reading what is still being sent closes the connection under it: the
    # proxy in front, still sending, would answer 502 instead of the refusal.
    settings.GRAPHQL_MAX_BODY_BYTES = 100
    request = RequestFactory().generic("POST", URL, body, content_type=content_type, **headers)

    response = GraphQLHttpView.as_view(schema=graphene.Schema(query=SampleQuery))(request)

    assert response.status_code == status
    assert request.read() == b""


@pytest.mark.django_db
def test_a_body_far_over_its_limit_is_not_read(settings):
    # Twice what a JSON request may send: the parameters' limit, not an upload's.
    settings.GRAPHQL_MAX_BODY_BYTES, settings.GRAPHQL_MAX_UPLOAD_BYTES = 100, 10_000
    body = b"{" + b" " * 300
    request = RequestFactory().generic("POST", URL, body, content_type="application/json")

    response = sample_view(request)

    assert response.status_code == 413
    assert len(request.read()) == len(body)


@pytest.mark.django_db
def test_a_chunked_body_without_its_length_is_a_411(settings):
    request = RequestFactory().generic(
        "POST",
        URL,
        b'{"query": "{ known }"}',
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    request.META.pop("CONTENT_LENGTH", None)

    response = sample_view(request)

    assert response.status_code == 411
    assert decoded(response)["errors"][0]["extensions"]["code"] == "LENGTH_REQUIRED"


@pytest.mark.django_db
def test_a_query_string_over_the_limit_is_a_414(client, settings):
    settings.GRAPHQL_MAX_BODY_BYTES = 100

    response = client.get(URL, {"query": "{ languages { code } }" + " " * 100})

    assert response.status_code == 414
    assert decoded(response)["errors"][0]["extensions"]["code"] == "URI_TOO_LONG"


# -- GraphiQL ---------------------------------------------------------------------------------
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.django_db
def test_graphiql_is_served_to_browsers_in_debug(client, settings):
    settings.DEBUG = True

    response = client.get(URL, headers={"Accept": BROWSER})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"graphiql" in response.content.lower()


@pytest.mark.django_db
def test_graphiql_is_off_in_production(client):
    page = client.get(URL, headers={"Accept": "text/html"})
    browser = client.get(URL, headers={"Accept": BROWSER})

    assert page.status_code == 406
    assert browser["Content-Type"] == "application/json; charset=utf-8"
    assert b"graphiql" not in browser.content.lower()
