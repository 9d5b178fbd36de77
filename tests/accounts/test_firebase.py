"""Signing in with Firebase ID tokens, verified by the real firebase-admin against certificates
served from 127.0.0.1 (see firebase_keys.py)."""

import time

import pytest

from accounts import firebase
from accounts.firebase import FirebaseAuthError
from accounts.models import User
from tests.accounts.firebase_keys import closed_port_url

pytestmark = pytest.mark.django_db


def _hours_ago(hours: int) -> int:
    return int(time.time()) - hours * 3600


def _error_code(token: str) -> str:
    with pytest.raises(FirebaseAuthError) as caught:
        firebase.authenticate(token)
    return caught.value.code


# Verification


def test_valid_token_gives_its_claims(firebase_tokens):
    token = firebase_tokens.sign(uid="alice-uid", name="Alice")

    claims = firebase.verify_id_token(token)

    assert claims["uid"] == "alice-uid"
    assert claims["aud"] == "twinning-test"
    assert claims["iss"] == "https://securetoken.google.com/twinning-test"
    assert claims["name"] == "Alice"
    assert claims["firebase"]["sign_in_provider"] == "password"


def test_keys_are_fetched_from_the_key_server(firebase_tokens):
    token = firebase_tokens.sign()

    firebase.verify_id_token(token)

    assert firebase_tokens.key_server.request_count >= 1


def test_expired_token_is_rejected_as_expired(firebase_tokens):
    token = firebase_tokens.sign(iat=_hours_ago(2), auth_time=_hours_ago(2), exp=_hours_ago(1))

    assert _error_code(token) == "TOKEN_EXPIRED"


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"aud": "another-project"}, id="wrong audience"),
        pytest.param({"iss": "https://securetoken.google.com/another-project"}, id="wrong issuer"),
        pytest.param({"iss": "https://accounts.google.com"}, id="issuer of Google sign-in"),
        pytest.param({"sub": None}, id="no subject"),
    ],
)
def test_token_for_someone_else_is_invalid(firebase_tokens, overrides):
    token = firebase_tokens.sign(**overrides)

    assert _error_code(token) == "INVALID_TOKEN"


def test_token_signed_by_an_unpublished_key_is_invalid(firebase_tokens):
    # The published key's id, but the signature of another key.
    token = firebase_tokens.sign(key=firebase_tokens.other_key)

    assert _error_code(token) == "INVALID_TOKEN"
    assert firebase_tokens.key_server.request_count >= 1


def test_token_with_an_unknown_key_id_is_invalid(firebase_tokens):
    token = firebase_tokens.sign(kid="no-such-key")

    assert _error_code(token) == "INVALID_TOKEN"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("not-a-token", id="garbage"),
        pytest.param("a.b.c", id="three garbage parts"),
        pytest.param("", id="empty"),
    ],
)
def test_garbage_is_invalid(firebase_tokens, token):
    assert _error_code(token) == "INVALID_TOKEN"


def test_tampered_token_is_invalid(firebase_tokens):
    header, _, signature = firebase_tokens.sign(uid="alice-uid").split(".")
    _, forged_payload, _ = firebase_tokens.sign(uid="mallory-uid").split(".")

    assert _error_code(f"{header}.{forged_payload}.{signature}") == "INVALID_TOKEN"


def test_without_a_project_firebase_is_not_configured(settings):
    settings.FIREBASE_PROJECT_ID = ""
    firebase.reset_app()

    assert _error_code("any-token") == "FIREBASE_NOT_CONFIGURED"


def test_key_server_down_is_unavailable(firebase_tokens, settings):
    settings.FIREBASE_AUTH_CERT_URL = closed_port_url()
    firebase.reset_app()
    token = firebase_tokens.sign()

    assert _error_code(token) == "FIREBASE_UNAVAILABLE"


# Users


def test_first_sign_in_creates_the_user(firebase_tokens):
    token = firebase_tokens.sign(uid="alice-uid", name="Alice")

    user = firebase.authenticate(token)

    assert user.firebase_uid == "alice-uid"
    assert user.display_name == "Alice"
    assert user.is_active
    assert not user.has_usable_password()


def test_next_sign_in_finds_the_same_user(firebase_tokens):
    first = firebase.authenticate(firebase_tokens.sign(uid="alice-uid"))

    again = firebase.authenticate(firebase_tokens.sign(uid="alice-uid"))

    assert again == first
    assert User.objects.filter(firebase_uid="alice-uid").count() == 1


def test_verified_unused_email_is_stored(firebase_tokens):
    token = firebase_tokens.sign(email="alice@example.com", email_verified=True)

    user = firebase.authenticate(token)

    assert user.email == "alice@example.com"


def test_unverified_email_is_not_stored(firebase_tokens):
    token = firebase_tokens.sign(email="alice@example.com", email_verified=False)

    user = firebase.authenticate(token)

    assert user.email is None


def test_email_of_another_account_is_neither_linked_nor_stored(firebase_tokens):
    staff = User.objects.create_user("Alice@Example.com", "a-long-password", is_staff=True)
    token = firebase_tokens.sign(uid="alice-uid", email="alice@example.com", email_verified=True)

    user = firebase.authenticate(token)

    assert user != staff
    assert user.email is None
    staff.refresh_from_db()
    assert staff.firebase_uid is None


def test_disabled_user_cannot_sign_in(firebase_tokens):
    User.objects.create_user(firebase_uid="alice-uid", is_active=False)
    token = firebase_tokens.sign(uid="alice-uid")

    assert _error_code(token) == "USER_DISABLED"


def test_concurrent_first_sign_in_returns_the_row_that_won(firebase_tokens):
    # Given another request created the user between our lookup and our insert
    claims = firebase.verify_id_token(firebase_tokens.sign(uid="alice-uid"))
    winner = User.objects.create_user(firebase_uid="alice-uid")

    # When this request inserts too
    user = firebase._create_user(claims)

    # Then it gets the winner's row rather than an error or a duplicate
    assert user == winner
    assert User.objects.filter(firebase_uid="alice-uid").count() == 1
