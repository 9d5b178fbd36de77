"""Prices in the words of a language: the amount as the language writes numbers (Django's
number formats of the language, ``backend/formats`` for those Django has none for), and the
currency as its readers know it, on the side of the amount where the language puts it.

No catalogue of every currency's sign in every language (CLDR's, which Babel carries) is
needed for the few currencies of the cities served: their signs are below, and any other
currency is written by its ISO 4217 code, which no reader takes for another.
"""

from decimal import Decimal

from django.utils import formats, translation

from .i18n import current_language

# The signs readers of each language know for the currencies of the cities served and the
# usual foreign ones. A currency not listed is written by its code ("KZT" in English, where
# "₸" is not widely known; "PKR" in Russian).
CURRENCY_SIGNS = {
    "en": {"USD": "$", "EUR": "€", "GBP": "£"},
    "ru": {"RUB": "₽", "KZT": "₸", "USD": "$", "EUR": "€", "GBP": "£"},
    "kk": {"KZT": "₸", "RUB": "₽", "USD": "$", "EUR": "€", "GBP": "£"},
    "ur": {"PKR": "Rs", "USD": "$", "EUR": "€", "GBP": "£"},
}
# The languages that write the currency after the amount (2 500 ₸); the others before it
# ($25, Rs 2,500, KZT 2,500).
CURRENCY_AFTER = frozenset({"ru", "kk"})
NO_BREAK_SPACE = "\xa0"


def price_in_words(amount: Decimal, currency: str, language: str | None = None) -> str:
    """``amount`` of ``currency`` (an ISO 4217 code) as ``language`` (the active one by
    default) writes a price: "$2,500", "KZT 2,500.50", "2 500 ₸", "Rs 2,500". Whole amounts
    without decimals, others with two. The currency is held to its amount by a no-break space
    where one is written between them."""
    code = language or current_language()
    places = 0 if amount == amount.to_integral_value() else 2
    with translation.override(code):
        number = formats.number_format(amount, places, use_l10n=True, force_grouping=True)
    sign = CURRENCY_SIGNS.get(code, {}).get(currency, currency)
    if code in CURRENCY_AFTER:
        return f"{number}{NO_BREAK_SPACE}{sign}"
    # A sign of letters is spaced from the digits (Rs 2,500, KZT 2,500); a symbol is not ($25).
    space = NO_BREAK_SPACE if sign[-1:].isalpha() else ""
    return f"{sign}{space}{number}"
