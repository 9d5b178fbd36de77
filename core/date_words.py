"""Dates and times in the words of a language: Django's date format syntax, with the names of
months and weekdays written as each language writes them inside a date.

Django's catalogues give some of those names capitalised, as they stand on their own at the
head of a calendar's page: every month and weekday in Kazakh ("Желтоқсан", "Дүйсенбі"), the
nominative months ``F`` and the weekdays ``l`` in Russian ("Декабрь", "Понедельник"). Inside a
date both languages write them in lower case: "7 желтоқсан 2026 ж.", "7 декабря 2026 г.". Every
date in words goes through ``date_in_words``, so that no place writes "7 Желтоқсан" again.
"""

import datetime

from django.utils import dateformat, translation

from .i18n import current_language

# The languages that write the names of months and weekdays in lower case inside a date, as
# their grammars and dictionaries have it. English capitalises them; Urdu has no capitals.
LOWER_CASE_NAMES = frozenset({"ru", "kk"})


class _LowerCaseNames(dateformat.DateFormat):
    """Django's formatter, with every name of a month or weekday in lower case."""

    def b(self):
        return super().b().lower()

    def D(self):
        return super().D().lower()

    def E(self):
        return super().E().lower()

    def F(self):
        return super().F().lower()

    def l(self):  # noqa: E743
        return super().l().lower()

    def M(self):
        return super().M().lower()

    def N(self):
        return super().N().lower()


def date_in_words(
    value: datetime.date | datetime.datetime, pattern: str, language: str | None = None
) -> str:
    """``value`` written by ``pattern`` (Django's date format syntax) in ``language`` (the
    active one by default): the names as that language writes them inside a date, and the
    first letter a capital, as a line of its own begins ("Дүйсенбі, 7 желтоқсан 2026 ж.").

    A datetime is written as its own clocks show it: make it the venue's local time first."""
    code = language or current_language()
    with translation.override(code):
        if code not in LOWER_CASE_NAMES:
            return dateformat.format(value, pattern)
        text = _LowerCaseNames(value).format(pattern)
    return text[:1].upper() + text[1:]
