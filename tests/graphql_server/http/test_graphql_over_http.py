"""The endpoint against the GraphQL-over-HTTP specification, requirement by requirement.

Sections are those of the draft at https://graphql.github.io/graphql-over-http/draft/
(§3 Serialization Format, §4 Request, §5 Response). Each test names the section it checks.
"""

import json
from urllib.parse import urlencode

import pytest

from accounts.models import Device
from tests.conftest import bearer_for

URL = "/graphql/"
GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
QUERY = "{ languages { code } }"
NAMED = "query Codes { languages { code } } query Names { languages { name } }"
MUTATION = """
mutation { deviceRegister(token: "fcm-1", platform: ANDROID) { errors { field code message } } }
"""

pytestmark = pytest.mark.django_db


def post(client, body, content_type=JSON, accept=None, **headers):
    """POST ``body`` (a dict is sent as JSON, bytes or str as they are)."""
    if isinstance(body, dict):
        body = json.dumps(body)
    if accept is not None:
        headers["Accept"] = accept
    return client.post(URL, body, content_type=content_type, headers=headers)


def get(client, accept=None, **params):
    headers = {"Accept": accept} if accept is not None else {}
    return client.get(f"{URL}?{urlencode(params)}", headers=headers)


def media_type(response) -> str:
    return response["Content-Type"].split(";")[0].strip()


def codes(response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json()["errors"]]


# -- §3 Serialization Format ------------------------------------------------------------------
def test_s3_1_utf8_is_assumed_when_the_content_type_names_no_charset(client):
    """§3.1 Media Types: without encoding information, utf-8 MUST be assumed."""
    body = json.dumps({"query": '{ cities(search: "Актау") { totalCount } }'}, ensure_ascii=False)

    response = post(client, body.encode())

    assert response.status_code == 200
    assert response.json() == {"data": {"cities": {"totalCount": 0}}}


def test_s3_1_an_explicit_utf8_charset_is_accepted_and_any_other_refused(client):
    """§3.1 / §4.4: utf-8 bodies MUST be supported; other encodings are not served (415)."""
    ok = post(client, {"query": QUERY}, content_type="application/json; charset=UTF-8")
    latin = post(client, {"query": QUERY}, content_type="application/json; charset=iso-8859-1")

    assert ok.status_code == 200
    assert latin.status_code == 415
    assert codes(latin) == ["UNSUPPORTED_MEDIA_TYPE"]


def test_s3_1_a_body_that_is_not_utf8_is_a_bad_request(client):
    """§3.1: the body is read as UTF-8; bytes that are not are a request the server cannot
    interpret (400)."""
    response = post(client, b'{"query": "{ languages { code } }\xff"}')

    assert response.status_code == 400
    assert codes(response) == ["BAD_REQUEST"]


def test_s3_responses_are_utf8_json(client):
    """§3 / §5.1: responses are JSON in UTF-8, non-ASCII text included as is."""
    response = post(client, {"query": "{ languages { code name } }"})

    languages = json.loads(response.content.decode("utf-8"))["data"]["languages"]
    assert {"code": "ru", "name": "Русский"} in languages
    assert "Русский".encode() in response.content


# -- §4 Request -------------------------------------------------------------------------------
def test_s4_post_is_accepted(client):
    """§4: a server MUST accept POST requests."""
    response = post(client, {"query": QUERY})

    assert response.status_code == 200
    assert "errors" not in response.json()


def test_s4_get_is_accepted_for_queries(client):
    """§4: a server MAY accept other methods, such as GET (this one does, for queries)."""
    response = get(client, query=QUERY)

    assert response.status_code == 200
    assert {"code": "en"} in response.json()["data"]["languages"]


def test_s4_other_methods_get_405_with_the_allowed_ones(client):
    """§4 with RFC 9110: PUT is not served; Allow says what is."""
    response = client.put(URL, json.dumps({"query": QUERY}), content_type=JSON)

    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"
    assert media_type(response) == JSON
    assert codes(response) == ["METHOD_NOT_ALLOWED"]


# -- §4.1 Request Parameters ------------------------------------------------------------------
@pytest.mark.parametrize("parameter", ["operationName", "variables", "extensions"])
@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
def test_s4_1_null_optional_parameters_are_the_same_as_absent(client, parameter, accept):
    """§4.1: specifying null for an optional parameter is equivalent to not specifying it."""
    response = post(client, {"query": QUERY, parameter: None}, accept=accept)

    assert response.status_code == 200
    assert "errors" not in response.json()


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
@pytest.mark.parametrize(
    "body",
    [
        {"qeury": QUERY},
        {"query": {"obj": "ect"}},
        {"query": 0},
        {"query": False},
        {"query": ["array"]},
        {"query": QUERY, "operationName": 0},
        {"query": QUERY, "operationName": ["array"]},
        {"query": QUERY, "variables": "string"},
        {"query": QUERY, "variables": [7]},
        {"query": QUERY, "variables": 0},
        {"query": QUERY, "extensions": "string"},
        {"query": QUERY, "extensions": ["array"]},
    ],
    ids=[
        "missing-query",
        "object-query",
        "number-query",
        "boolean-query",
        "array-query",
        "number-operationName",
        "array-operationName",
        "string-variables",
        "array-variables",
        "number-variables",
        "string-extensions",
        "array-extensions",
    ],
)
def test_s4_1_parameters_of_the_wrong_type_are_not_a_well_formed_request(client, body, accept):
    """§4.1 note: wrong types or a missing query make a request that is not well-formed;
    §5.4.1 and §5.4.2 "Invalid parameters": 400 under either media type, and no data."""
    response = post(client, body, accept=accept)

    assert response.status_code == 400
    assert media_type(response) == accept
    assert "data" not in response.json()
    assert codes(response) == ["BAD_REQUEST"]


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
def test_s4_1_a_query_that_does_not_parse_is_still_well_formed(client, accept):
    """§4.1 note: so long as it is a string, query does not have to parse to be part of a
    well-formed request: its failure is a GraphQL error, not BAD_REQUEST."""
    response = post(client, {"query": "{"}, accept=accept)

    assert codes(response) == ["GRAPHQL_PARSE_FAILED"]


def test_s4_1_extensions_as_a_map_are_accepted(client):
    """§4.1: extensions is reserved for implementors; an unknown entry is no error."""
    response = post(client, {"query": QUERY, "extensions": {"some": "value"}})

    assert response.status_code == 200
    assert "errors" not in response.json()


# -- §4.2 Accept ------------------------------------------------------------------------------
def test_s4_2_the_recommended_accept_header_gets_graphql_response_json(client):
    """§4.2.1: clients are recommended to send both types, graphql-response+json first."""
    accept = f"{GRAPHQL_RESPONSE}; charset=utf-8, {JSON}; charset=utf-8"

    response = post(client, {"query": QUERY}, accept=accept)

    assert response.status_code == 200
    assert media_type(response) == GRAPHQL_RESPONSE


# -- §4.3 GET ---------------------------------------------------------------------------------
def test_s4_3_get_takes_variables_and_operation_name_in_the_query_string(client):
    """§4.3: parameters in the URL's query component, variables as a JSON string."""
    response = get(
        client,
        query="query One($first: Int) { cities(first: $first) { totalCount } }",
        variables=json.dumps({"first": 1}),
        operationName="One",
        extensions=json.dumps({"some": "value"}),
    )

    assert response.status_code == 200
    assert "errors" not in response.json()


def test_s4_3_an_empty_operation_name_is_the_same_as_none(client):
    """§4.3: setting operationName to the empty string is equivalent to omitting it."""
    response = get(client, query=QUERY, operationName="")

    assert response.status_code == 200
    assert "errors" not in response.json()


@pytest.mark.parametrize("parameter", ["variables", "extensions"])
@pytest.mark.parametrize("value", ["{not json", "[1, 2]", '"text"'])
def test_s4_3_variables_and_extensions_must_be_json_objects(client, parameter, value):
    """§4.3: variables and extensions MUST be encoded as JSON (of a map, §4.1)."""
    response = get(client, accept=GRAPHQL_RESPONSE, query=QUERY, **{parameter: value})

    assert response.status_code == 400
    assert codes(response) == ["BAD_REQUEST"]


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
def test_s4_3_get_never_runs_a_mutation(client, accept, user_factory):
    """§4.3: a GET whose query and operationName select a mutation MUST get 405 and halt."""
    user = user_factory()

    response = get(client, accept=accept, query=MUTATION)
    signed_in = client.get(
        f"{URL}?{urlencode({'query': MUTATION})}",
        headers={"Accept": accept, "Authorization": f"Bearer {bearer_for(user)}"},
    )

    assert response.status_code == signed_in.status_code == 405
    assert response["Allow"] == signed_in["Allow"] == "POST"
    assert codes(response) == codes(signed_in) == ["METHOD_NOT_ALLOWED"]
    assert not Device.objects.exists()


def test_s4_3_a_get_naming_the_query_of_a_document_with_a_mutation_runs(client):
    """§4.3: it is the operation selected by operationName that must not be a mutation."""
    document = f"query Q {{ languages {{ code }} }} {MUTATION.replace('mutation', 'mutation M')}"

    response = get(client, query=document, operationName="Q")

    assert response.status_code == 200
    assert "errors" not in response.json()


# -- §4.4 POST --------------------------------------------------------------------------------
def test_s4_4_a_post_without_content_type_gets_a_4xx(client):
    """§4.4: without a Content-Type the server SHOULD reject the request with a 4xx."""
    response = client.generic("POST", URL, json.dumps({"query": QUERY}), content_type="")

    assert response.status_code == 415
    assert codes(response) == ["UNSUPPORTED_MEDIA_TYPE"]


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain"])
def test_s4_4_bodies_a_cross_site_form_could_send_are_refused(client, content_type):
    """§4.4 and §6.1 Security: media types that skip the CORS preflight are not accepted."""
    response = client.generic(
        "POST", URL, f"query={QUERY}", content_type=content_type, headers={"Accept": JSON}
    )

    assert response.status_code == 415
    assert codes(response) == ["UNSUPPORTED_MEDIA_TYPE"]


def test_s6_1_a_multipart_body_runs_only_with_a_bearer_token(client, admin_user):
    """§6.1 Security: the one form body taken, an upload (the GraphQL multipart request spec),
    needs an Authorization header, which no cross-site form can send; the admin's session
    cookie, which a browser would send along, is not enough."""
    client.force_login(admin_user)
    body = {
        "operations": json.dumps({"query": "mutation { avatarRemove { errors { code } } }"}),
        "map": "{}",
    }

    response = client.post(URL, body, headers={"Accept": JSON})

    assert response.status_code == 401
    assert codes(response) == ["UNAUTHENTICATED"]


def test_s4_4_a_post_without_a_body_is_a_bad_request(client):
    """§4.4: a GraphQL POST request MUST have a body."""
    response = client.generic("POST", URL, b"", CONTENT_TYPE=JSON)

    assert response.status_code == 400
    assert codes(response) == ["BAD_REQUEST"]


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
@pytest.mark.parametrize("body", ["NONSENSE", '{"query":', '{ "not a JSON'])
def test_s4_4_1_json_that_does_not_parse_is_a_bad_request(client, body, accept):
    """§4.4.1, and "JSON parsing failure" in §5.4.1 and §5.4.2: 400."""
    response = post(client, body, accept=accept)

    assert response.status_code == 400
    assert media_type(response) == accept
    assert codes(response) == ["BAD_REQUEST"]


@pytest.mark.parametrize("body", ["[]", '[{"query": "{ languages { code } }"}]', '"{}"', "42"])
def test_s4_4_1_the_body_must_be_one_json_object(client, body):
    """§4.4.1: a request is encoded as a JSON object; batches and scalars are not one."""
    response = post(client, body, accept=GRAPHQL_RESPONSE)

    assert response.status_code == 400
    assert codes(response) == ["BAD_REQUEST"]


def test_s4_4_an_application_graphql_body_is_the_document(client):
    """§4.4: a server MAY support other media types; application/graphql carries the document,
    with any other parameter in the URL."""
    response = client.post(f"{URL}?operationName=Names", NAMED, content_type="application/graphql")

    assert response.status_code == 200
    assert "name" in response.json()["data"]["languages"][0]


# -- §5.1 Body --------------------------------------------------------------------------------
@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
def test_s5_1_the_response_is_in_the_accepted_media_type_with_its_charset(client, accept):
    """§5.1: the server MUST indicate the media type, SHOULD the encoding, and MUST respect
    Accept."""
    response = post(client, {"query": QUERY}, accept=accept)

    assert response.status_code == 200
    assert response["Content-Type"] == f"{accept}; charset=utf-8"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (f"{JSON}, {GRAPHQL_RESPONSE}", JSON),
        (f"{GRAPHQL_RESPONSE}, {JSON}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0.5, {JSON};q=0.9", JSON),
        (f"{JSON};q=0.1, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"text/html, {GRAPHQL_RESPONSE};q=0.8", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0, */*", JSON),
        ("application/*", JSON),
    ],
)
def test_s5_1_the_highest_priority_supported_type_is_used(client, accept, expected):
    """§5.1: encode the response in the highest priority media type listed that is
    supported; q-values first, then the client's order."""
    response = post(client, {"query": QUERY}, accept=accept)

    assert response.status_code == 200
    assert media_type(response) == expected


@pytest.mark.parametrize(
    "accept", ["text/html", "application/xml", f"{JSON};q=0", f"{GRAPHQL_RESPONSE};charset=latin1"]
)
def test_s5_1_an_accept_with_no_supported_type_gets_406(client, accept):
    """§5.1: when Accept includes no supported media type, 406 (RECOMMENDED) and stop."""
    response = post(client, {"query": MUTATION}, accept=accept)

    assert response.status_code == 406
    assert media_type(response) == JSON
    assert codes(response) == ["NOT_ACCEPTABLE"]


def test_s5_1_a_406_stops_processing_before_anything_runs(client, user_factory):
    """§5.1: "respond with 406 and stop processing the request": the mutation does not run."""
    token = bearer_for(user_factory())

    refused = post(client, {"query": MUTATION}, accept="text/html", Authorization=f"Bearer {token}")
    assert refused.status_code == 406
    assert not Device.objects.exists()

    accepted = post(client, {"query": MUTATION}, accept=JSON, Authorization=f"Bearer {token}")
    assert accepted.json()["data"]["deviceRegister"]["errors"] == []
    assert Device.objects.count() == 1


@pytest.mark.parametrize("accept", [None, "*/*", ""])
def test_s5_1_1_no_accept_or_a_wildcard_gets_application_json(client, accept):
    """§5.1.1 Legacy watershed: a request without Accept is treated as accepting
    application/json for the legacy clients this API still serves (after the watershed the
    spec prefers graphql-response+json, but its §4.2 note lets a server choose); */* matches
    both, and application/json is chosen for the same clients."""
    response = post(client, {"query": QUERY}, accept=accept)

    assert response.status_code == 200
    assert media_type(response) == JSON


def test_s5_1_every_error_response_names_its_media_type(client):
    """§5.1: a Content-Type on every response, failures included."""
    responses = [
        post(client, "NONSENSE", accept=GRAPHQL_RESPONSE),
        post(client, {"query": QUERY}, content_type="text/plain"),
        client.delete(URL),
        post(client, {"query": QUERY}, accept="image/png"),
        post(client, {"query": QUERY}, Authorization="Bearer nope"),
    ]

    assert [r.status_code for r in responses] == [400, 415, 405, 406, 401]
    assert all(r["Content-Type"].endswith("; charset=utf-8") for r in responses)
    assert all(r.json()["errors"] for r in responses)


# -- §5.2 Validation --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ nonexistentField }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ languages }", "GRAPHQL_VALIDATION_FAILED"),
        ("query ($x: Int) { languages { code } }", "GRAPHQL_VALIDATION_FAILED"),
        ("fragment F on Query { ...F } { ...F }", "GRAPHQL_VALIDATION_FAILED"),
    ],
    ids=["unknown-field", "leaf-without-selection", "unused-variable", "fragment-cycle"],
)
def test_s5_2_all_the_specifications_validation_rules_apply(client, query, code):
    """§5.2: validation SHOULD apply all the GraphQL specification's rules (the extra limits
    of this server do not replace them)."""
    response = post(client, {"query": query}, accept=GRAPHQL_RESPONSE)

    assert response.status_code == 400
    assert code in codes(response)
    assert "data" not in response.json()


# -- §5.4 Status Codes ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        {"query": "{"},
        {"query": "{ nonexistentField }"},
        {"query": NAMED},
        {"query": NAMED, "operationName": "Unknown"},
        {"query": "query ($n: Int!) { cities(first: $n) { totalCount } }"},
        {"query": "query ($n: Int) { cities(first: $n) { totalCount } }", "variables": {"n": "x"}},
    ],
    ids=[
        "document-parsing",
        "document-validation",
        "operation-ambiguous",
        "operation-unknown",
        "variable-missing",
        "variable-coercion",
    ],
)
def test_s5_4_1_request_errors_of_a_well_formed_request_are_200_under_application_json(
    client, body
):
    """§5.4.1 application/json: document parsing or validation failure, an operation that
    cannot be determined and variable coercion failure SHOULD be 200, with errors, no data."""
    response = post(client, body, accept=JSON)

    assert response.status_code == 200
    assert response.json()["errors"]
    assert "data" not in response.json()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "{"}, "GRAPHQL_PARSE_FAILED"),
        ({"query": "{ nonexistentField }"}, "GRAPHQL_VALIDATION_FAILED"),
        ({"query": NAMED}, "OPERATION_RESOLUTION_FAILURE"),
        ({"query": NAMED, "operationName": "Unknown"}, "OPERATION_RESOLUTION_FAILURE"),
        (
            {"query": "query ($n: Int!) { cities(first: $n) { totalCount } }"},
            "INVALID_VARIABLES",
        ),
        (
            {
                "query": "query ($n: Int) { cities(first: $n) { totalCount } }",
                "variables": {"n": "x"},
            },
            "INVALID_VARIABLES",
        ),
    ],
    ids=[
        "document-parsing",
        "document-validation",
        "operation-ambiguous",
        "operation-unknown",
        "variable-missing",
        "variable-coercion",
    ],
)
def test_s5_4_2_request_errors_are_400_under_graphql_response_json(client, body, code):
    """§5.4.2: parsing, validation, operation and variable failures SHOULD be 400, and the
    response has no data entry (so it MUST NOT be 2xx)."""
    response = post(client, body, accept=GRAPHQL_RESPONSE)

    assert response.status_code == 400
    assert codes(response) == [code]
    assert "data" not in response.json()


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
def test_s5_4_partial_data_with_field_errors_is_200(client, accept):
    """§5.4.1 / §5.4.2: data not null → 2xx (MUST), 200 (SHOULD), even with field errors."""
    response = post(client, {"query": '{ city(id: "not-an-id") { name } }'}, accept=accept)

    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"city": None}
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ID"


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
def test_s5_4_null_data_after_execution_is_200(client, accept):
    """§5.4.2: data present but null → 2xx, 200 RECOMMENDED (no request error occurred)."""
    response = post(client, {"query": "{ cities(first: 1000) { totalCount } }"}, accept=accept)

    assert response.status_code == 200
    assert response.json()["data"] is None
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_PAGE_SIZE"


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
def test_s5_4_2_a_client_not_permitted_gets_401(client, accept):
    """§5.4.2: a client not permitted SHOULD get 401/403; and §2: a server MAY forbid a request
    with a 4xx (a token that cannot be accepted is refused whatever the document)."""
    response = post(client, {"query": QUERY}, accept=accept, Authorization="Bearer bad")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert codes(response) == ["UNAUTHENTICATED"]
    assert media_type(response) == accept


def test_s5_4_a_get_without_query_is_a_bad_request(client):
    """§4.1 / §5.4.2: query is required; a GET without one is not well-formed (400)."""
    response = client.get(URL, headers={"Accept": GRAPHQL_RESPONSE})

    assert response.status_code == 400
    assert codes(response) == ["BAD_REQUEST"]


def test_s5_4_subscriptions_are_refused_over_http(client):
    """Overview note: subscriptions are beyond the spec; this server serves them over the
    websocket only, and says so as a request error."""
    response = post(
        client,
        {"query": 'subscription { eventChanged(event: "RXZlbnQ6MQ==") { status } }'},
        accept=GRAPHQL_RESPONSE,
    )

    assert response.status_code == 400
    assert "websocket" in response.json()["errors"][0]["message"]


def test_an_empty_operation_name_runs_the_documents_only_operation(client):
    response = post(client, {"query": QUERY, "operationName": ""})

    assert response.status_code == 200
    assert response.json()["data"]["languages"][0] == {"code": "en"}
