"""Prices in words: the amount as the language writes numbers (its decimal mark and grouping,
Kazakh's and Urdu's from backend/formats), the currency as its readers know it, on its side of
the amount, held to it by a no-break space."""

from decimal import Decimal

import pytest
from django.utils import formats, translation

from core.money import price_in_words

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("language", "amount", "currency", "shown"),
    [
        ("en", "12.50", "USD", "$12.50"),
        ("en", "2500", "GBP", "£2,500"),
        ("en", "2500.00", "KZT", f"KZT{NBSP}2,500"),
        ("ru", "2500.00", "RUB", f"2{NBSP}500{NBSP}₽"),
        ("ru", "2500.00", "KZT", f"2{NBSP}500{NBSP}₸"),
        ("ru", "300", "PKR", f"300{NBSP}PKR"),
        ("kk", "1234567.05", "KZT", f"1{NBSP}234{NBSP}567,05{NBSP}₸"),
        ("kk", "12.50", "USD", f"12,50{NBSP}$"),
        ("ur", "2500", "PKR", f"Rs{NBSP}2,500"),
        ("ur", "9999999999.99", "EUR", "€9,999,999,999.99"),
        ("ur", "2500", "RUB", f"RUB{NBSP}2,500"),
    ],
)
def test_a_price_as_each_language_writes_it(language, amount, currency, shown):
    assert price_in_words(Decimal(amount), currency, language) == shown


def test_the_active_language_is_the_default():
    with translation.override("kk"):
        assert price_in_words(Decimal("2500"), "KZT") == f"2{NBSP}500{NBSP}₸"


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "1234.5"), ("ru", "1234,5"), ("kk", "1234,5"), ("ur", "1234.5")],
)
def test_kazakh_and_urdu_numbers_have_formats_of_their_own(language, shown):
    # Django has none for them: without backend/formats Kazakh would write 1234.5
    with translation.override(language):
        assert formats.number_format(Decimal("1234.5"), 1) == shown
