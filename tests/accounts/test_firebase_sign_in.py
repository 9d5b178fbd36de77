"""Apps sign in with Firebase ID tokens sent as bearer tokens to the GraphQL endpoint."""

import json
import time

import jwt
import pytest
from graphql_relay import to_global_id

from accounts.models import User
from cities.models import CityFollow
from tests.accounts.firebase_keys import ISSUER, PROJECT_ID

ME = "{ me { displayName email } }"
FOLLOW = "mutation($id: ID!) { cityFollow(city: $id) { errors { code } } }"


def test_a_firebase_token_signs_in_and_creates_the_user_once(gql, firebase_tokens, city_factory):
    city = city_factory()
    token = firebase_tokens.sign(uid="app-user-7", name="Dana", email_verified=True)

    first = gql(ME, token=token)
    gql(FOLLOW, {"id": to_global_id("City", city.pk)}, token=token)
    again = gql(ME, token=token)

    assert first == {"data": {"me": {"displayName": "Dana", "email": "app-user-7@example.com"}}}
    assert again == first
    user = User.objects.get(firebase_uid="app-user-7")
    assert CityFollow.objects.filter(user=user, city=city).exists()
    assert firebase_tokens.key_server.request_count >= 1


def test_an_expired_firebase_token_is_401_with_the_reason(client, db, firebase_tokens):
    past = int(time.time()) - 7200
    token = firebase_tokens.sign(iat=past, auth_time=past, exp=past + 3600)

    response = client.post(
        "/graphql/",
        {"query": ME},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"] == {
        "code": "UNAUTHENTICATED",
        "reason": "TOKEN_EXPIRED",
    }
    assert not User.objects.exists()


def test_a_token_of_another_project_is_refused(client, firebase_tokens):
    token = firebase_tokens.sign(aud="someone-elses-project")

    response = client.post(
        "/graphql/",
        {"query": ME},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["reason"] == "INVALID_TOKEN"


def refusal(client, token: str) -> tuple[int, dict]:
    response = client.post(
        "/graphql/",
        {"query": ME},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    return response.status_code, response.json()["errors"][0]


def test_an_invalid_token_has_one_reason_whichever_kind_it_is(client, db, firebase_tokens):
    # Given a forged Firebase ID token, and an access token of the backend's own that is forged
    firebase_token = firebase_tokens.sign(key=firebase_tokens.other_key)
    own_token = jwt.encode(
        {"sub": "1", "type": "access"}, "not-the-secret-" + "x" * 32, algorithm="HS256"
    )

    # Then both are refused with the same reason, the one the README names
    firebase_refusal, own_refusal = refusal(client, firebase_token), refusal(client, own_token)
    assert firebase_refusal[0] == own_refusal[0] == 401
    assert (
        firebase_refusal[1]["extensions"]
        == own_refusal[1]["extensions"]
        == {
            "code": "UNAUTHENTICATED",
            "reason": "INVALID_TOKEN",
        }
    )


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        (
            {"aud": "someone-elses-project"},
            "The sign-in token is not valid. This token was issued for project "
            "someone-elses-project; FIREBASE_PROJECT_ID is twinning-test.",
        ),
        (
            {"iss": "https://securetoken.google.com/someone-elses-project"},
            "The sign-in token is not valid. This token was issued for project "
            "someone-elses-project; FIREBASE_PROJECT_ID is twinning-test.",
        ),
        (
            {"aud": "someone-elses-project", "iss": ISSUER.replace(PROJECT_ID, "someone-elses")},
            "The sign-in token is not valid. This token was issued for project "
            "someone-elses-project; FIREBASE_PROJECT_ID is twinning-test.",
        ),
        (
            {"iss": "https://accounts.google.com"},
            "The sign-in token is not valid. It was issued by https://accounts.google.com, not "
            "by Firebase Authentication; FIREBASE_PROJECT_ID is twinning-test.",
        ),
        # Of this project, refused for another reason: nothing more is said.
        ({"key": "other"}, "The sign-in token is not valid."),
    ],
)
def test_with_debug_a_token_of_another_project_says_which(
    client, db, firebase_tokens, settings, claims, message
):
    # Given a development server (DEBUG), and a token an app signed in with to another project
    settings.DEBUG = True
    if claims.get("key") == "other":
        claims = {"key": firebase_tokens.other_key}
    token = firebase_tokens.sign(**claims)

    # Then the refusal says so, with the reason as in production
    status, error = refusal(client, token)
    assert (status, error["extensions"]["reason"]) == (401, "INVALID_TOKEN")
    assert error["message"] == message


def test_without_debug_a_token_of_another_project_is_only_invalid(client, db, firebase_tokens):
    token = firebase_tokens.sign(aud="someone-elses-project")

    status, error = refusal(client, token)

    assert (status, error["extensions"]["reason"]) == (401, "INVALID_TOKEN")
    assert error["message"] == "The sign-in token is not valid."
    assert "someone-elses-project" not in json.dumps(error)


def test_a_forged_signature_is_refused(client, db, firebase_tokens):
    token = firebase_tokens.sign(key=firebase_tokens.other_key)

    response = client.post(
        "/graphql/",
        {"query": ME},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 401
    assert not User.objects.exists()
