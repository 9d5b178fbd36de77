"""The backend's own sign-in: tokenCreate, tokenRefresh (rotation, reuse), tokenRevoke,
throttling, and bearer tokens on requests."""

import datetime
import uuid

import jwt
import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.models import RefreshToken
from accounts.tokens import issue_access_token

PASSWORD = "correct horse battery staple"

TOKEN_CREATE = """
mutation($email: String!, $password: String!) {
  tokenCreate(email: $email, password: $password) {
    accessToken refreshToken accessTokenExpiresAt
    viewer { email }
    errors { field code message }
  }
}
"""

TOKEN_REFRESH = """
mutation($token: String!) {
  tokenRefresh(refreshToken: $token) {
    accessToken refreshToken
    errors { field code message }
  }
}
"""

TOKEN_REVOKE = """
mutation($token: String!) { tokenRevoke(refreshToken: $token) { errors { field code message } } }
"""

ME = "{ me { email } }"


@pytest.fixture(autouse=True)
def clear_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def staff(user_factory):
    return user_factory(email="office@example.org")


def sign_in(gql, email="office@example.org", password=PASSWORD):
    return gql(TOKEN_CREATE, {"email": email, "password": password})["data"]["tokenCreate"]


def test_sign_in_returns_tokens_that_identify_the_user(gql, staff):
    payload = sign_in(gql)

    assert payload["errors"] == []
    assert payload["viewer"] == {"email": "office@example.org"}
    assert gql(ME, token=payload["accessToken"])["data"]["me"] == {"email": "office@example.org"}
    expires = datetime.datetime.fromisoformat(payload["accessTokenExpiresAt"])
    assert timezone.now() < expires <= timezone.now() + datetime.timedelta(minutes=15)


def test_a_wrong_password_is_refused_without_saying_which_part_is_wrong(gql, staff):
    payload = sign_in(gql, password="wrong")

    assert payload["accessToken"] is None
    assert payload["errors"] == [
        {
            "field": None,
            "code": "INVALID_CREDENTIALS",
            "message": "The e-mail or password is wrong.",
        }
    ]
    assert sign_in(gql, email="nobody@example.org")["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert RefreshToken.objects.count() == 0


def test_repeated_failures_make_sign_in_wait_even_with_the_right_password(gql, staff, settings):
    settings.SIGNIN_MAX_FAILURES = 3
    for _ in range(3):
        assert sign_in(gql, password="guess")["errors"][0]["code"] == "INVALID_CREDENTIALS"

    payload = sign_in(gql)

    assert payload["accessToken"] is None
    error = payload["errors"][0]
    assert error["code"] == "RATE_LIMITED"
    assert f"{settings.SIGNIN_FAILURE_WINDOW_SECONDS} seconds" in error["message"]


def test_refresh_rotates_and_the_old_refresh_token_stops_working(gql, staff):
    first = sign_in(gql)

    second = gql(TOKEN_REFRESH, {"token": first["refreshToken"]})["data"]["tokenRefresh"]

    assert second["errors"] == []
    assert second["refreshToken"] != first["refreshToken"]
    assert gql(ME, token=second["accessToken"])["data"]["me"]["email"] == "office@example.org"


def test_a_reused_refresh_token_is_refused_and_revokes_its_family(gql, staff):
    first = sign_in(gql)
    second = gql(TOKEN_REFRESH, {"token": first["refreshToken"]})["data"]["tokenRefresh"]
    other_session = sign_in(gql)

    reuse = gql(TOKEN_REFRESH, {"token": first["refreshToken"]})["data"]["tokenRefresh"]

    assert reuse["accessToken"] is None
    assert reuse["errors"][0]["code"] == "TOKEN_REUSED"
    # The whole family is signed out: its newest refresh token and its access tokens too.
    after = gql(TOKEN_REFRESH, {"token": second["refreshToken"]})["data"]["tokenRefresh"]
    assert after["errors"][0]["code"] == "INVALID_TOKEN"
    response = gql(ME, token=second["accessToken"])
    assert response["errors"][0]["extensions"] == {
        "code": "UNAUTHENTICATED",
        "reason": "INVALID_TOKEN",
    }
    # Another sign-in of the same user is a family of its own and goes on working.
    assert gql(ME, token=other_session["accessToken"])["data"]["me"] is not None


def test_revoke_signs_out_and_is_safe_to_repeat(gql, staff):
    session = sign_in(gql)

    assert gql(TOKEN_REVOKE, {"token": session["refreshToken"]})["data"]["tokenRevoke"] == {
        "errors": []
    }
    assert gql(TOKEN_REVOKE, {"token": session["refreshToken"]})["data"]["tokenRevoke"] == {
        "errors": []
    }
    refreshed = gql(TOKEN_REFRESH, {"token": session["refreshToken"]})["data"]["tokenRefresh"]
    assert refreshed["errors"][0]["code"] == "INVALID_TOKEN"
    assert gql(ME, token=session["accessToken"])["errors"][0]["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )


def test_an_expired_refresh_token_is_refused(gql, staff):
    session = sign_in(gql)
    RefreshToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    refreshed = gql(TOKEN_REFRESH, {"token": session["refreshToken"]})["data"]["tokenRefresh"]

    assert refreshed["errors"][0]["code"] == "TOKEN_EXPIRED"


def test_an_expired_access_token_is_answered_401(client, staff, settings):
    settings.ACCESS_TOKEN_LIFETIME_SECONDS = -1
    token, _ = issue_access_token(staff, uuid.uuid4())

    response = client.post(
        "/graphql/",
        {"query": ME},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert response.json()["errors"][0]["extensions"] == {
        "code": "UNAUTHENTICATED",
        "reason": "TOKEN_EXPIRED",
    }


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-jwt",
        # Signed with another key: forged.
        "Bearer " + jwt.encode({"sub": "1", "typ": "access", "iss": "twinning"}, "x" * 32),
    ],
)
def test_a_bad_authorization_header_is_refused(client, db, header):
    response = client.post(
        "/graphql/", {"query": ME}, content_type="application/json", HTTP_AUTHORIZATION=header
    )

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_deactivated_user_cannot_use_their_token(gql, staff):
    session = sign_in(gql)
    staff.is_active = False
    staff.save()

    assert gql(ME, token=session["accessToken"])["errors"][0]["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )


def test_without_a_token_me_is_null(gql, db):
    assert gql(ME) == {"data": {"me": None}}
