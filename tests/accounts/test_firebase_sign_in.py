"""Apps sign in with Firebase ID tokens sent as bearer tokens to the GraphQL endpoint."""

import time

from graphql_relay import to_global_id

from accounts.models import User
from cities.models import CityFollow

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
    assert response.json()["errors"][0]["extensions"]["reason"] == "TOKEN_INVALID"


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
