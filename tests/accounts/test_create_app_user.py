"""``manage.py create_app_user``: an ordinary app user, and tokens of the backend's own sign-in
that call the API as them."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from accounts.display_names import tag_of
from accounts.models import User

ME = "{ me { email displayName nameTag isSuperuser memberships { role } } }"
REFRESH = """
mutation($token: String!) {
  tokenRefresh(refreshToken: $token) { accessToken errors { code } }
}
"""


def create_app_user(*args) -> str:
    out = io.StringIO()
    call_command("create_app_user", *args, stdout=out)
    return out.getvalue()


def tokens_of(output: str) -> tuple[str, str]:
    """The access and refresh tokens, each on the line after its heading."""
    lines = output.splitlines()
    access = lines[lines.index(next(line for line in lines if line.startswith("Access"))) + 1]
    refresh = lines[lines.index(next(line for line in lines if line.startswith("Refresh"))) + 1]
    return access, refresh


def test_it_makes_an_app_user_whose_token_calls_the_api(gql, db):
    output = create_app_user("Dana@Example.kz", "--name", " Дана Әбілова ")

    user = User.objects.get()
    access, refresh = tokens_of(output)
    assert f"Created app user Dana@example.kz (id {user.pk})" in output
    assert f'"Дана Әбілова" (tag {tag_of(user.pk)})' in output
    assert (user.is_staff, user.is_superuser, user.has_usable_password()) == (False, False, False)
    assert gql(ME, token=access) == {
        "data": {
            "me": {
                "email": "Dana@example.kz",
                "displayName": "Дана Әбілова",
                "nameTag": tag_of(user.pk),
                "isSuperuser": False,
                "memberships": [],
            }
        }
    }
    renewed = gql(REFRESH, {"token": refresh})["data"]["tokenRefresh"]
    assert renewed["errors"] == []
    assert gql(ME, token=renewed["accessToken"])["data"]["me"]["email"] == "Dana@example.kz"


def test_running_it_again_finds_the_same_user_and_signs_in_anew(gql, db):
    first, _ = tokens_of(create_app_user("dana@example.kz", "--name", "Dana"))

    output = create_app_user("DANA@example.kz")
    again, _ = tokens_of(output)

    assert User.objects.count() == 1
    assert output.startswith("Found app user dana@example.kz")
    assert again != first
    for token in (first, again):
        assert gql(ME, token=token)["data"]["me"]["displayName"] == "Dana"


def test_an_existing_users_name_changes_with_the_rules_of_profile_update(db):
    create_app_user("dana@example.kz", "--name", "Dana")
    create_app_user("dana@example.kz", "--name", "Dana Abilova")

    assert User.objects.get().display_name == "Dana Abilova"
    with pytest.raises(CommandError, match="pass you off"):
        create_app_user("dana@example.kz", "--name", "Moderator")
    assert User.objects.get().display_name == "Dana Abilova"


def test_json_for_scripts(gql, db):
    printed = json.loads(create_app_user("dana@example.kz", "--json"))

    user = User.objects.get()
    assert printed.keys() == {
        "userId",
        "email",
        "displayName",
        "nameTag",
        "accessToken",
        "accessTokenExpiresAt",
        "refreshToken",
    }
    assert (printed["userId"], printed["displayName"], printed["nameTag"]) == (
        user.pk,
        "",
        tag_of(user.pk),
    )
    assert gql(ME, token=printed["accessToken"])["data"]["me"]["email"] == "dana@example.kz"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("not-an-email",), "valid email"),
        (("dana@example.kz", "--name", ""), "Type a name"),
        (("dana@example.kz", "--name", "x" * 51), "At most 50"),
    ],
)
def test_bad_input_is_refused_and_makes_no_one(db, arguments, message):
    with pytest.raises(CommandError, match=message):
        create_app_user(*arguments)

    assert not User.objects.exists()


def test_staff_and_deactivated_accounts_are_not_app_users(db, user_factory):
    user_factory(email="publisher@example.kz", is_staff=True)
    user_factory(email="gone@example.kz", is_active=False)

    with pytest.raises(CommandError, match="staff account"):
        create_app_user("publisher@example.kz")
    with pytest.raises(CommandError, match="deactivated"):
        create_app_user("gone@example.kz")
