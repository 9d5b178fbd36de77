"""Dates in words, as each language writes them inside a date: month and weekday names in lower
case in Russian and Kazakh (which Django's catalogues give capitalised), the first letter of
the text a capital."""

import datetime

import pytest
from django.utils import translation

from core.date_words import date_in_words

MONDAY = datetime.datetime(2026, 12, 7, 19, 0)


@pytest.mark.parametrize(
    ("language", "pattern", "shown"),
    [
        ("en", "l, j E Y, H:i", "Monday, 7 December 2026, 19:00"),
        ("en", "j F (D, M, N, b)", "7 December (Mon, Dec, Dec., dec)"),
        ("ru", "l, j E Y, H:i", "Понедельник, 7 декабря 2026, 19:00"),
        # The nominative month and the weekday, capitalised in Django's catalogue
        ("ru", "j F, l", "7 декабрь, понедельник"),
        ("kk", "l, j E Y, H:i", "Дүйсенбі, 7 желтоқсан 2026, 19:00"),
        ("kk", "j E Y", "7 желтоқсан 2026"),
        ("kk", "j F (D, M, N, b)", "7 желтоқсан (дб, жел, жел., жел)"),
        ("kk", "F", "Желтоқсан"),
        ("ur", "l، j E Y", "سوموار، 7 دسمبر 2026"),
    ],
)
def test_names_are_written_as_the_language_writes_them_inside_a_date(language, pattern, shown):
    assert date_in_words(MONDAY, pattern, language) == shown


def test_the_active_language_is_the_default_and_stays_active():
    with translation.override("kk"):
        assert date_in_words(MONDAY, "j E") == "7 желтоқсан"
        assert translation.get_language() == "kk"


def test_a_date_without_a_time_is_written_too():
    assert date_in_words(MONDAY.date(), "j E Y", "ru") == "7 декабря 2026"
