"""Folding text for search: one key for case- and accent-insensitive matching, computed in
Python and stored, so that search behaves the same on every database. The importer, the models,
the demo data and the search share this one definition.
"""

import unicodedata
from functools import lru_cache

# Letters whose diacritic is drawn into the glyph, so Unicode has no decomposition for NFKD to
# split off; mapped as PostgreSQL's unaccent does, so "Lodz" finds Łódź and "Agri" finds Ağrı.
# Typographic dashes and apostrophes become their ASCII forms ("Smarhon’" vs "Smarhon'").
# Lower case only: the table is applied after casefold().
_FOLD_TABLE = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ħ": "h",
        "ı": "i",
        "ŧ": "t",
        "æ": "ae",
        "œ": "oe",
        "ð": "d",
        "þ": "th",
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "‘": "'",
        "’": "'",
        "ʼ": "'",
        "ʻ": "'",
    }
)

# Letters of the project's alphabets (Russian, Kazakh, Urdu) that Unicode happens to compose
# from a base letter and a mark. They are letters in their own right, not accented forms, so
# folding leaves them alone: Cyrillic й (not и), and Urdu آ أ إ ؤ ئ ۀ ۂ ۓ (not ا و ی ہ ے).
# Ё is the exception on purpose: Russian text writes it as Е interchangeably.
_KEPT_LETTERS = frozenset("йЙآأإؤئۀۂۓ")


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    """One NFC character folded: case-folded, decomposed, combining marks dropped."""
    if ch in _KEPT_LETTERS:
        return ch.casefold()
    # Decomposed first, so that a compatibility capital ("𝐀", "ᴬ") becomes a capital that
    # casefold() knows; and again after it, which can yield a decomposable sequence ("İ").
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", ch).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_FOLD_TABLE)


def fold(text: str) -> str:
    """A key for case- and accent-insensitive matching: "Bérat" → "berat", "Ё" → "е".

    Each character is case-folded and decomposed (NFKD, so ligatures and compatibility forms
    become plain letters too) and its combining marks are dropped; whitespace is collapsed. The
    key is computed in Python and stored, so search behaves the same on every database. Letters
    of the Kazakh and Urdu alphabets stay as they are: those Unicode encodes as letters of
    their own (ә ғ қ ң ө ұ ү һ і, ٹ ڈ ڑ ں ے) and those it composes from a letter and a mark
    (й, آ, ئ, ۓ …). Optional Arabic-script vowel marks (zabar, zer, pesh) are dropped.
    """
    if text.isascii():
        # The same key, ten times sooner: ASCII has nothing to compose, decompose or map (the
        # table above maps other characters only), and casefold() is lower() there. Matching
        # a catalogue against GeoNames folds a million names, three in five of them ASCII.
        return " ".join(text.lower().split())
    composed = unicodedata.normalize("NFC", text)
    return " ".join("".join(_fold_char(ch) for ch in composed).split())
