"""Uploads over HTTP: the GraphQL multipart request spec's body, and every way of getting it
wrong answered 400 (or 401 unsigned, 413 too large) with a code, before anything runs."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import bearer_for
from tests.images import pictures

UPLOAD = "mutation ($file: Upload!) { avatarUpload(file: $file) { errors { code } } }"


def photo():
    return SimpleUploadedFile("me.png", pictures.png(40, 40), "image/png")


def post(client, fields, user=None, **headers):
    if user is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {bearer_for(user)}"
    return client.post("/graphql/", fields, **headers)


def operations(variables=None, query=UPLOAD):
    return json.dumps(
        {"query": query, "variables": {"file": None} if variables is None else variables}
    )


@pytest.fixture
def ada(user_factory):
    return user_factory()


def test_the_specs_request_runs_the_mutation(client, ada, media_root):
    response = post(
        client,
        {"operations": operations(), "map": json.dumps({"0": ["variables.file"]}), "0": photo()},
        ada,
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"avatarUpload": {"errors": []}}}


def test_a_file_may_go_inside_a_list_of_the_variables(client, ada, media_root):
    # The spec's paths reach into lists: variables.files.0. The API has no list of files, so
    # the file is placed and then refused by the operation's own variable types.
    response = post(
        client,
        {
            "operations": operations({"file": None, "files": [None]}),
            "map": json.dumps({"0": ["variables.files.0"], "1": ["variables.file"]}),
            "0": photo(),
            "1": photo(),
        },
        ada,
    )
    assert response.json()["data"]["avatarUpload"]["errors"] == []


def test_an_upload_without_a_token_is_refused_before_it_is_read(client, media_root):
    response = post(
        client,
        {"operations": operations(), "map": json.dumps({"0": ["variables.file"]}), "0": photo()},
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "data" not in response.json()


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"map": json.dumps({"0": ["variables.file"]})}, "'operations'"),
        ({"operations": operations()}, "'map'"),
        ({"operations": operations(), "map": "{"}, "not valid JSON"),
        ({"operations": operations(), "map": json.dumps(["variables.file"])}, "must be an object"),
        (
            {"operations": operations(), "map": json.dumps({"0": ["query"]})},
            "files go in the variables",
        ),
        ({"operations": operations(), "map": json.dumps({"0": ["variables.nothing"]})}, "lacks"),
        ({"operations": operations(), "map": json.dumps({"1": ["variables.file"]})}, "not sent"),
        (
            {"operations": operations({"file": "x"}), "map": json.dumps({"0": ["variables.file"]})},
            "must be null",
        ),
        ({"operations": "[]", "map": json.dumps({"0": ["variables.file"]})}, "Batched"),
        ({"operations": "{", "map": json.dumps({"0": ["variables.file"]})}, "not valid JSON"),
    ],
    ids=[
        "no-operations",
        "no-map",
        "map-not-json",
        "map-not-object",
        "outside-variables",
        "nowhere",
        "file-missing",
        "not-null",
        "batch",
        "operations-not-json",
    ],
)
def test_a_body_not_as_the_spec_says_is_a_bad_request(client, ada, media_root, fields, says):
    response = post(client, {**fields, "0": photo()}, ada)

    assert response.status_code == 400, response.content
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert says in error["message"]
    assert not [path for path in media_root.rglob("*") if path.is_file()]


@pytest.mark.parametrize(
    "places", [{"0": ["0.variables.file"]}, {"0": ["variables.file"]}], ids=["batch's", "one's"]
)
def test_a_batch_is_refused_as_a_batch_whatever_its_map(client, ada, media_root, places):
    # Given a batch as Apollo's upload clients send one: operations an array, the map's paths
    # starting with each operation's index
    batch = json.dumps([json.loads(operations()), json.loads(operations())])

    response = post(client, {"operations": batch, "map": json.dumps(places), "0": photo()}, ada)

    # Then it is refused as a batch, as a batch in a JSON body is, not for the map's paths
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert error["message"].startswith("Batched requests are not supported")
    assert "files go in the variables" not in error["message"]
    as_json = client.post("/graphql/", batch, content_type="application/json")
    assert as_json.status_code == 400
    assert as_json.json()["errors"][0]["extensions"]["code"] == error["extensions"]["code"]
    assert not [path for path in media_root.rglob("*") if path.is_file()]


def test_a_file_the_map_does_not_place_is_a_bad_request(client, ada, media_root):
    response = post(
        client,
        {
            "operations": operations(),
            "map": json.dumps({"0": ["variables.file"]}),
            "0": photo(),
            "extra": photo(),
        },
        ada,
    )
    assert response.status_code == 400
    assert "does not place: extra" in response.json()["errors"][0]["message"]
