"""Display names: the name a Firebase sign-in brings is kept only if it passes the rules of a
name chosen here; the rules themselves; the tags that tell people of one name apart; the
service that changes a name."""

import itertools

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.display_names import MAX_LENGTH, TAG_ALPHABET, clean_display_name, tag_of
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


def test_a_name_breaking_the_rules_is_not_taken_at_first_sign_in(gql, db, firebase_tokens):
    # Given Firebase profiles with a name passing as staff, and a name too long to show
    staff = firebase_tokens.sign(uid="app-user-10", name="Support Team")
    long_name = "Muhammad " + "Abdul Rahman " * 5 + "Khan"
    long = firebase_tokens.sign(uid="app-user-11", name=long_name)

    # When they sign in for the first time
    gql(ME, token=staff)
    gql(ME, token=long)

    # Then the first goes without a name until they choose one, the second's is cut to fit
    assert User.objects.get(firebase_uid="app-user-10").display_name == ""
    kept = User.objects.get(firebase_uid="app-user-11").display_name
    assert kept == long_name[:MAX_LENGTH].strip()
    assert len(kept) <= MAX_LENGTH


def test_the_name_is_taken_from_firebase_only_at_first_sign_in(gql, db, firebase_tokens):
    gql(ME, token=firebase_tokens.sign(uid="app-user-12", name="Dana"))
    User.objects.filter(firebase_uid="app-user-12").update(display_name="Dana A.")

    renamed = firebase_tokens.sign(uid="app-user-12", name="Dana Abilova")

    assert gql(ME, token=renamed) == {"data": {"me": {"displayName": "Dana A."}}}


# --- The rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("  Дана Әбілова ", "Дана Әбілова"),
        ("\u200fعائشہ خان\u200f", "\u200fعائشہ خان\u200f"),
        ("Nguyễn Thị Minh Khai", "Nguyễn Thị Minh Khai"),
        ("Ali 🇵🇰", "Ali 🇵🇰"),
        ("Mod", "Mod"),  # a nickname, not the word
        ("Bob 2", "Bob 2"),
        ("x" * MAX_LENGTH, "x" * MAX_LENGTH),
    ],
)
def test_names_in_any_script_are_kept_trimmed(name, kept):
    assert clean_display_name(name) == kept


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("", "REQUIRED"),
        ("   ", "REQUIRED"),
        ("\u200b\u2800\u3164", "REQUIRED"),
        (None, "REQUIRED"),
        ("x" * (MAX_LENGTH + 1), "TOO_LONG"),
        ("Dana\nAbilova", "DISPLAY_NAME_INVALID"),
        ("Dana\tA", "DISPLAY_NAME_INVALID"),
        ("Dana\x07", "DISPLAY_NAME_INVALID"),
        ("Dana\u202eavoliba", "DISPLAY_NAME_INVALID"),
        ("\u2066Dana\u2069", "DISPLAY_NAME_INVALID"),
        ("Dana\ue000", "DISPLAY_NAME_INVALID"),
        ("Dana #K7Q2", "DISPLAY_NAME_INVALID"),
        ("Z" + "\u0301" * 5 + "algo", "DISPLAY_NAME_INVALID"),
        ("Moderator", "DISPLAY_NAME_RESERVED"),
        ("dana (admin)", "DISPLAY_NAME_RESERVED"),
        ("ADMINISTRATOR", "DISPLAY_NAME_RESERVED"),
        ("Аdmin", "DISPLAY_NAME_RESERVED"),  # a Cyrillic А
        ("m0derat0r", "DISPLAY_NAME_RESERVED"),
        ("Twinning support", "DISPLAY_NAME_RESERVED"),
        ("Модератор", "DISPLAY_NAME_RESERVED"),
        ("Әкімші", "DISPLAY_NAME_RESERVED"),
        ("منتظم", "DISPLAY_NAME_RESERVED"),
        ("User 12", "DISPLAY_NAME_RESERVED"),  # the chat's name for someone nameless
        ("user12", "DISPLAY_NAME_RESERVED"),
    ],
)
def test_a_name_that_breaks_a_rule_is_refused_with_its_code(name, code):
    with pytest.raises(ValidationError) as refused:
        clean_display_name(name)

    [error] = refused.value.error_dict["display_name"]
    assert error.code == code


# --- Tags ------------------------------------------------------------------------------------


def test_every_account_below_a_million_has_a_tag_of_four_characters_of_its_own():
    tags = [tag_of(user_id) for user_id in range(32**4)]

    assert len(set(tags)) == 32**4
    assert {len(tag) for tag in tags} == {4}
    assert set("".join(tags)) == set(TAG_ALPHABET)


def test_past_a_million_accounts_tags_grow_a_character_and_stay_unique():
    tags = [tag_of(user_id) for user_id in range(32**4, 32**4 + 50_000)]

    assert {len(tag) for tag in tags} == {5}
    assert len(set(tags)) == len(tags)


def test_tags_never_change():
    # The tags people have been seen with: a change of the scrambling would change them all.
    assert [tag_of(user_id) for user_id in (1, 2, 3, 1000, 32**4 - 1, 32**4)] == [
        "MDGX",
        "T0YY",
        "8K4T",
        "XHJY",
        "Y9TC",
        "SAT28",
    ]


def test_consecutive_accounts_have_unrelated_tags():
    tags = [tag_of(user_id) for user_id in range(1, 101)]

    # No two neighbours share a character in the same place more than by chance
    shared = sum(
        a == b for one, two in itertools.pairwise(tags) for a, b in zip(one, two, strict=True)
    )
    assert shared < 30


# --- The service -----------------------------------------------------------------------------


def test_update_profile_keeps_the_name_trimmed(user_factory):
    user = user_factory(display_name="Dana")

    services.update_profile(user, display_name="  Dana Abilova ")

    user.refresh_from_db()
    assert user.display_name == "Dana Abilova"


def test_update_profile_writes_nothing_when_the_name_is_refused(user_factory):
    user = user_factory(display_name="Dana")

    with pytest.raises(ValidationError):
        services.update_profile(user, display_name="Moderator")

    assert user.display_name == "Dana"
    user.refresh_from_db()
    assert user.display_name == "Dana"
