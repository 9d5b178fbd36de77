"""The name a Firebase sign-in brings is kept only if it is text that can be stored and that
shows something; real names in any script are kept as written."""

import pytest

from accounts.models import User

ME = "{ me { displayName } }"


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("  Дана Әбілова ", "Дана Әбілова"),
        ("\u200fعائشہ\u200f", "\u200fعائشہ\u200f"),
        ("\u200b\u200b", ""),
        ("\u2800", ""),
        ("Dana \ud800", ""),  # not valid Unicode: PostgreSQL could not store it
    ],
)
def test_a_new_users_name_is_cleaned_on_first_sign_in(gql, db, firebase_tokens, name, kept):
    token = firebase_tokens.sign(uid="app-user-9", name=name, email_verified=True)

    assert gql(ME, token=token) == {"data": {"me": {"displayName": kept}}}
    assert User.objects.get(firebase_uid="app-user-9").display_name == kept
