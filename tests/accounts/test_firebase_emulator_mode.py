"""The Auth emulator's unsigned ID tokens are taken only with DEBUG and FIREBASE_AUTH_EMULATOR_HOST
both set, and then expire as Firebase's do. The tokens here are made as the emulator makes them
(``"alg": "none"``); tests/e2e/test_firebase_emulator.py gets them from the real emulator."""

import time

import jwt
import pytest

from accounts import firebase
from accounts.models import User

ME = "{ me { displayName } }"
PROJECT_ID = "demo-twinning"


def emulator_token(uid="emulated-1", **overrides) -> str:
    """An ID token as the Auth emulator issues one: the claims of Firebase's, unsigned."""
    now = int(time.time())
    claims = {
        "name": "Dana",
        "email": f"{uid}@example.com",
        "email_verified": False,
        "auth_time": now,
        "user_id": uid,
        "firebase": {"identities": {}, "sign_in_provider": "password"},
        "iat": now,
        "exp": now + 3600,
        "aud": PROJECT_ID,
        "iss": f"https://securetoken.google.com/{PROJECT_ID}",
        "sub": uid,
    } | overrides
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, None, algorithm="none")


@pytest.fixture
def emulator(settings, monkeypatch):
    """Sign-in configured for the emulator's demo project, with DEBUG on. Verifying a token
    calls nothing: no emulator needs to listen at the host."""
    settings.DEBUG = True
    settings.FIREBASE_PROJECT_ID = PROJECT_ID
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9")
    firebase.reset_app()
    yield
    firebase.reset_app()


def reason(client, token) -> tuple[int, str]:
    response = client.post(
        "/graphql/",
        {"query": ME},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    return response.status_code, response.json()["errors"][0]["extensions"]["reason"]


def test_an_emulator_token_signs_in_with_debug_and_the_emulator_host(gql, db, emulator):
    assert gql(ME, token=emulator_token()) == {"data": {"me": {"displayName": "Dana"}}}
    assert User.objects.get(firebase_uid="emulated-1").display_name == "Dana"


def test_an_expired_emulator_token_is_refused_as_expired(client, db, emulator):
    past = int(time.time()) - 7200

    assert reason(client, emulator_token(iat=past, exp=past + 3600)) == (401, "TOKEN_EXPIRED")
    assert reason(client, emulator_token(exp=None)) == (401, "INVALID_TOKEN")
    assert not User.objects.exists()


def test_an_emulator_token_of_another_project_is_refused(client, db, emulator):
    token = emulator_token(aud="demo-other", iss="https://securetoken.google.com/demo-other")

    assert reason(client, token) == (401, "INVALID_TOKEN")


def test_unsigned_tokens_sign_in_no_one_without_the_emulator(client, db, settings, emulator):
    # Without the emulator host, as in production: an unsigned token is no token
    settings.DEBUG = True
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("FIREBASE_AUTH_EMULATOR_HOST")
        assert reason(client, emulator_token()) == (401, "INVALID_TOKEN")
    assert not User.objects.exists()


def test_without_debug_the_emulator_host_turns_firebase_sign_in_off(
    client, db, settings, monkeypatch, firebase_tokens
):
    # Given a server where the start-up check was bypassed: the host set, DEBUG off
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9")
    settings.DEBUG = False

    # Then neither an unsigned token nor a properly signed one signs anyone in: firebase-admin
    # would check no signature at all
    assert reason(client, emulator_token(aud=firebase_tokens.project_id)) == (
        401,
        "INVALID_TOKEN",
    )
    assert reason(client, firebase_tokens.sign(uid="signed-1")) == (
        401,
        "FIREBASE_NOT_CONFIGURED",
    )
    assert not User.objects.exists()
