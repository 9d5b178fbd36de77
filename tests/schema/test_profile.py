"""profileUpdate: the viewer changes their display name; refused names come back coded and
write nothing; the viewer sees their own tag."""

import pytest

from accounts.display_names import tag_of
from accounts.models import User

PROFILE_UPDATE = """
mutation($name: String) {
  profileUpdate(displayName: $name) {
    viewer { displayName nameTag }
    errors { field code message }
  }
}
"""
ME = "{ me { displayName nameTag } }"


def test_the_viewer_changes_their_name_and_sees_it_with_their_tag(gql, user_factory):
    dana = user_factory(display_name="")

    result = gql(PROFILE_UPDATE, {"name": "  Дана Әбілова "}, user=dana)

    assert result == {
        "data": {
            "profileUpdate": {
                "viewer": {"displayName": "Дана Әбілова", "nameTag": tag_of(dana.pk)},
                "errors": [],
            }
        }
    }
    assert gql(ME, user=dana)["data"]["me"]["displayName"] == "Дана Әбілова"
    dana.refresh_from_db()
    assert dana.display_name == "Дана Әбілова"


def test_two_people_may_share_a_name_and_keep_tags_of_their_own(gql, user_factory):
    first, second = user_factory(), user_factory()

    gql(PROFILE_UPDATE, {"name": "Dana"}, user=first)
    gql(PROFILE_UPDATE, {"name": "Dana"}, user=second)

    seen = [gql(ME, user=user)["data"]["me"] for user in (first, second)]
    assert [me["displayName"] for me in seen] == ["Dana", "Dana"]
    assert seen[0]["nameTag"] != seen[1]["nameTag"]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("", "REQUIRED"),
        ("\u200b\u200b", "REQUIRED"),
        (None, "REQUIRED"),
        ("x" * 51, "TOO_LONG"),
        ("Dana\nModerator", "DISPLAY_NAME_INVALID"),
        ("Dana\u202e", "DISPLAY_NAME_INVALID"),
        ("Dana #K7Q2", "DISPLAY_NAME_INVALID"),
        ("Moderator", "DISPLAY_NAME_RESERVED"),
        ("User 7", "DISPLAY_NAME_RESERVED"),
    ],
)
def test_a_refused_name_is_a_coded_error_and_changes_nothing(gql, user_factory, name, code):
    dana = user_factory(display_name="Dana")

    result = gql(PROFILE_UPDATE, {"name": name}, user=dana)

    payload = result["data"]["profileUpdate"]
    assert payload["viewer"] is None
    [error] = payload["errors"]
    assert (error["field"], error["code"]) == ("displayName", code)
    assert error["message"]
    assert User.objects.get(pk=dana.pk).display_name == "Dana"


def test_without_arguments_nothing_changes(gql, user_factory):
    dana = user_factory(display_name="Dana")

    result = gql("mutation { profileUpdate { viewer { displayName } errors { code } } }", user=dana)

    assert result == {"data": {"profileUpdate": {"viewer": {"displayName": "Dana"}, "errors": []}}}


def test_signed_out_it_is_unauthenticated(gql, db):
    result = gql(PROFILE_UPDATE, {"name": "Dana"})

    assert result["data"] == {"profileUpdate": None}
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
