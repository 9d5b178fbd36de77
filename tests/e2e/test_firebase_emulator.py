"""Signing in against Firebase's real Auth emulator, as an app developer does locally: a person
signs up and signs in through the emulator's REST API, and its ID token signs them in to a
live server run with DEBUG and FIREBASE_AUTH_EMULATOR_HOST; a server without them refuses it."""

import httpx
import pytest

from accounts.display_names import tag_of
from accounts.models import User
from tests.e2e.firebase_emulator import PROJECT_ID, AuthEmulator, emulator_missing
from tests.e2e.live_server import LiveServer

pytestmark = pytest.mark.django_db(transaction=True)

ME = "{ me { displayName nameTag email } }"


@pytest.fixture(scope="module")
def auth_emulator(tmp_path_factory):
    """The Auth emulator of firebase-tools, for the module; it must stop cleanly."""
    if missing := emulator_missing():
        pytest.fail(missing, pytrace=False)
    emulator = AuthEmulator(tmp_path_factory.mktemp("auth-emulator"))
    emulator.start()
    yield emulator
    status = emulator.stop()
    assert status == 0, f"the emulator did not exit cleanly ({status}):\n{emulator.log()[-4000:]}"


@pytest.fixture(scope="module")
def emulator_server(live_database, auth_emulator, tmp_path_factory):
    """The websocket tier's server as `make run` serves it (the project's settings, DEBUG on),
    signing in against the emulator."""
    server = LiveServer(
        tmp_path_factory.mktemp("emulator-server") / "server.log",
        live_database,
        {
            "DJANGO_SETTINGS_MODULE": "backend.settings",
            "DEBUG": "true",
            "FIREBASE_AUTH_EMULATOR_HOST": auth_emulator.host,
            "FIREBASE_PROJECT_ID": PROJECT_ID,
        },
    )
    server.start()
    yield server
    server.stop()


def post(server: LiveServer, token: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/graphql/",
        json={"query": ME},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
        trust_env=False,
    )


def test_an_emulator_id_token_signs_in_and_makes_the_user_with_their_name(
    auth_emulator, emulator_server
):
    # Given someone who signed up in the app with a name, and signs in again with password
    account = auth_emulator.sign_up("dana@example.kz", "Caspian-2026", "  Дана Әбілова ")
    signed_in = auth_emulator.sign_in("dana@example.kz", "Caspian-2026")

    # When the app calls the API with the emulator's ID token, twice
    first = post(emulator_server, signed_in["idToken"])
    again = post(emulator_server, signed_in["idToken"])

    # Then they are signed in as one new user, linked to their Firebase uid, with the name of
    # their profile (trimmed) and no e-mail, which Firebase has not verified
    user = User.objects.get(firebase_uid=account["localId"])
    expected = {"displayName": "Дана Әбілова", "nameTag": tag_of(user.pk), "email": None}
    assert first.status_code == 200, emulator_server.log()[-4000:]
    assert first.json() == {"data": {"me": expected}}
    assert again.json() == first.json()
    assert user.display_name == "Дана Әбілова"
    assert User.objects.filter(firebase_uid=account["localId"]).count() == 1


def test_a_server_without_the_emulator_refuses_its_unsigned_tokens(auth_emulator, websocket_server):
    # Given an ID token of the emulator, unsigned as all of them are
    auth_emulator.sign_up("bob@example.kz", "Caspian-2026")
    token = auth_emulator.sign_in("bob@example.kz", "Caspian-2026")["idToken"]

    # When it is sent to a server that is not told of the emulator
    response = post(websocket_server, token)

    # Then it signs in no one
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"] == {
        "code": "UNAUTHENTICATED",
        "reason": "INVALID_TOKEN",
    }
    assert not User.objects.filter(email="bob@example.kz").exists()
