"""Text the system keeps: encodable, trimmed, and empty when nothing in it shows, with real
text in every language of the app, and emoji, left exactly as written."""

import json
import unicodedata

import pytest

from core.text import (
    WHITE_SPACE,
    UnicodeJSONDecoder,
    clean_text,
    is_blank,
    is_encodable,
    is_visible,
    unencodable_path,
)

URDU = "کراچی میں خوش آمدید"
# Urdu with a right-to-left mark closing the sentence (it places the "!"), and a zero-width
# non-joiner inside a word, as Urdu and Persian keyboards type it.
URDU_MARKED = "\u200fگوادر کی بندرگاہ\u200c میں جشن!\u200f"
KAZAKH = "Ақтау қаласына қош келдіңіз"
RUSSIAN = "Добро пожаловать в Актау"
FAMILY = "👩\u200d👩\u200d👧\u200d👦"  # one emoji made of four, joined by ZWJ
RAINBOW_FLAG = "🏳\ufe0f\u200d🌈"
SCOTLAND = "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"  # tag sequence
RED_HEART = "❤\ufe0f"  # ❤ made an emoji by its variation selector


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\u200b",  # zero-width space
        "\u200c\u200d",  # zero-width non-joiner and joiner
        "\u2060\ufeff",  # word joiner, byte order mark
        "\u200e\u200f\u061c",  # left-to-right, right-to-left and Arabic letter marks
        "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",  # bidi embeddings, isolates
        "\u00ad",  # soft hyphen
        "\u3164\u115f\u1160\uffa0",  # Hangul fillers
        "\u2800",  # blank Braille pattern
        "\ufe0f\ufe0e",  # variation selectors alone
        "\U000e0067\U000e0062",  # tag characters alone
        "\u3000\u00a0\u2007\u202f",  # ideographic, no-break, figure and narrow spaces
        "\t\r\n \u200b \u200b\n",
        "\u0301\u0308",  # combining accents over nothing
        "\u0301" * 50 + "\u200b",  # marks stacked on a zero-width space
        "\u20e3",  # the keycap's frame, enclosing nothing
    ],
)
def test_text_that_shows_nothing_is_blank_and_cleans_to_empty(text):
    assert is_blank(text)
    assert clean_text(text) == ""


@pytest.mark.parametrize(
    "text",
    [
        *(RUSSIAN, KAZAKH, URDU, URDU_MARKED, FAMILY, RAINBOW_FLAG, SCOTLAND, RED_HEART),
        *("Ok", "٣", "Cafe\u0301", "1\ufe0f\u20e3", "\u0430\u0301"),  # marks on letters
    ],
)
def test_real_text_is_kept_exactly_as_written(text):
    assert not is_blank(text)
    assert clean_text(text) == text


def test_white_space_and_blank_characters_at_the_ends_are_trimmed_and_nothing_inside():
    text = f" \u200b\u00a0{URDU_MARKED} \u2800\n"

    assert clean_text(text) == URDU_MARKED
    assert clean_text(f"\ufeff{FAMILY}\u200b") == FAMILY
    assert clean_text(f"  {KAZAKH}\u3000") == KAZAKH


def test_drawn_format_characters_and_unknown_code_points_count_as_visible():
    # The end-of-ayah sign (Cf) is drawn. The shaking face (Unicode 15) is unassigned to a
    # Python whose tables are older, and an emoji newer than the tables must not be blank.
    assert is_visible("\u06dd")
    assert unicodedata.category("\U0003fffd") == "Cn"
    assert is_visible("\U0003fffd")
    assert not is_blank("\U0001fae8")


def test_the_white_space_list_is_every_character_python_counts_as_space():
    assert set(WHITE_SPACE) == {c for c in map(chr, range(0x110000)) if c.isspace()}


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ("\ud800", ""),
        ({"query": "{ a }", "variables": {"body": "hi \udc00"}}, "variables.body"),
        ({"input": {"title": {"en": "\ud83d"}}}, "input.title.en"),
        ({"list": ["ok", 1, None, {"x": ["\udfff"]}]}, "list[3].x[0]"),
        ({"a\ud800b": 1}, "a\\ud800b"),
    ],
)
def test_the_first_unencodable_text_is_found_with_its_path(value, path):
    assert unencodable_path(value) == path


def test_paired_surrogates_and_plain_values_are_encodable():
    value = json.loads('{"emoji": "\\ud83d\\ude00", "n": 1, "f": 1.5, "b": true, "z": null}')

    assert unencodable_path(value) is None
    assert is_encodable(value["emoji"])


def test_values_nested_deeper_than_the_recursion_limit_are_walked():
    value = inner = []
    for _ in range(50_000):
        inner.append([])
        inner = inner[0]
    inner.append("\ud800")

    assert unencodable_path(value).endswith("[0][0]")


def test_the_json_decoder_of_edited_fields_refuses_lone_surrogates():
    assert json.loads('["SPORTS", "\\ud83d\\ude00"]', cls=UnicodeJSONDecoder)[0] == "SPORTS"
    with pytest.raises(json.JSONDecodeError):
        json.loads('["\\ud800"]', cls=UnicodeJSONDecoder)
