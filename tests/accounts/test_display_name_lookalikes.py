"""Display names that show exactly as a reserved word, or as the chat's name for someone
nameless, must be refused as the word itself is (README, "Display names")."""

import pytest
from django.core.exceptions import ValidationError

from accounts.display_names import clean_display_name

PROFILE_UPDATE = """
mutation ($name: String!) { profileUpdate(displayName: $name) {
  viewer { displayName } errors { field code } } }
"""


def _code(name: str) -> str | None:
    try:
        clean_display_name(name)
    except ValidationError as error:
        return error.error_dict["display_name"][0].code
    return None


@pytest.mark.parametrize(
    "name",
    [
        "Ad\u200bmin",  # zero-width space inside the word: shows "Admin"
        "Ad\u200dmin",  # zero-width joiner
        "Ad\u2060min",  # word joiner
        "Ad\u00admin",  # soft hyphen: not drawn mid-line
        "Mod\u034ferator",  # combining grapheme joiner
    ],
)
def test_invisible_characters_inside_a_reserved_word_do_not_pass_it(name):
    assert _code(name) == "DISPLAY_NAME_RESERVED"


@pytest.mark.parametrize(
    "name",
    [
        "\U0001d400dmin",  # MATHEMATICAL BOLD CAPITAL A: NFKD gives "A", after casefold
        "\U0001d400\U0001d41d\U0001d426\U0001d422\U0001d427",  # 𝐀𝐝𝐦𝐢𝐧
        "\u1d2c\u1d48\u1d50\u2071\u207f",  # ᴬᵈᵐⁱⁿ
    ],
)
def test_compatibility_capitals_of_a_reserved_word_do_not_pass_it(name):
    # "Ａｄｍｉｎ" (full width) is refused; a capital that decomposes only after casefold is not.
    assert _code(name) == "DISPLAY_NAME_RESERVED"


@pytest.mark.parametrize("name", ["Twinning_Support", "Official_Twinning"])
def test_an_underscore_does_not_glue_reserved_words_into_one(name):
    # "Twinning.Support" and "Twinning-Support" are refused: "_" reads as the same separator.
    assert _code(name) == "DISPLAY_NAME_RESERVED"


@pytest.mark.parametrize("name", ["User\u200b 12", "User \u200b12", "User\u2060 12"])
def test_the_chats_name_for_someone_nameless_cannot_be_taken_with_an_invisible_character(name):
    # Shown exactly as "User 12", the chat's name for user 12 who has none.
    assert _code(name) == "DISPLAY_NAME_RESERVED"


def test_profile_update_takes_a_name_that_shows_as_admin(gql, user_factory):
    user = user_factory()

    answer = gql(PROFILE_UPDATE, {"name": "Ad\u200bmin"}, user=user)

    assert answer["data"]["profileUpdate"]["errors"] == [
        {"field": "displayName", "code": "DISPLAY_NAME_RESERVED"}
    ]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("\ufdfa" * 3, "TOO_LONG"),  # three characters that spell out as 54
        ("\ufdfd", "DISPLAY_NAME_INVALID"),  # the bismillah: one character, a sentence wide
        ("Dana " + "\ufdfb" * 2, "DISPLAY_NAME_INVALID"),
    ],
)
def test_a_name_is_as_long_as_it_is_drawn_and_written_in_letters(name, code):
    assert _code(name) == code


@pytest.mark.parametrize(
    "name",
    [
        "Ali_Khan",
        "Nargis\u200cKhan",  # a zero-width non-joiner, as Urdu and Persian write it
        "\u0646\u0631\u06af\u0633 \u062e\u0627\u0646",  # نرگس خان
        "Dana \U0001f469\u200d\U0001f4bb",  # an emoji sequence with its joiner
        "Supporter",  # holds a reserved word, but is another word
        "User",
        "\U0001d400igerim",  # 𝐀igerim: an odd letter, but no reserved word
    ],
)
def test_names_that_only_look_unusual_are_kept(name):
    assert _code(name) is None
