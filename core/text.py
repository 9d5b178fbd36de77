"""What text the system takes: text that can be encoded, and text that shows something.

Two kinds of input pass a plain "is it a string, is it empty" check and still do harm:

- **Lone surrogates.** JSON lets a client escape any UTF-16 code unit (``"\\ud800"``), and
  Python decodes an unpaired one into a ``str`` that no UTF-8 encoder accepts: the database
  driver, the cache, the logger or the response's own encoder then fails. Such text is not
  Unicode at all; the transports refuse it for the whole request (``unencodable_path``).
- **Invisible text.** A title or a chat message of zero-width spaces is not empty to ``strip()``
  but shows nothing. ``clean_text`` makes it empty, so that every "required" check refuses it.
"""

import json
import unicodedata
from functools import lru_cache

# Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt, Unicode 15.1):
# characters a renderer shows as nothing. It holds the zero-width characters (U+200B-U+200D,
# U+2060, U+FEFF), the bidirectional controls (U+061C, U+200E, U+200F, U+202A-U+202E,
# U+2066-U+2069), the soft hyphen, the Hangul fillers, the variation selectors and the tags.
_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
# Format characters (category Cf) that are drawn: the Arabic number and year signs, the end of
# ayah (U+06DD, in Urdu quotations), the Syriac abbreviation mark, the Kaithi number signs
# (Unicode's Prepended_Concatenation_Mark). Every other Cf character is invisible.
_DRAWN_FORMAT = frozenset(
    [*range(0x0600, 0x0606), 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2, 0x110BD, 0x110CD]
)
# Characters that are not ignorable to Unicode but are drawn as blank, and are used as such to
# fake a name or a message: the blank Braille pattern.
_BLANK_SYMBOLS = frozenset([0x2800])
# Categories that never show on their own: controls, format characters (but see
# _DRAWN_FORMAT), surrogates, the separators (spaces, line and paragraph separators), and the
# combining marks that draw over or around another character (nonspacing and enclosing: an
# accent, a vowel sign, the keycap's frame), which with nothing under them show nothing, or a
# renderer's dotted circle. Letters, spacing marks, numbers, punctuation and symbols show, and
# so do unassigned code points: a newer emoji than this Python's Unicode tables know is
# unassigned to them, and must not count as blank.
_INVISIBLE_CATEGORIES = frozenset(["Cc", "Cf", "Cs", "Zs", "Zl", "Zp", "Mn", "Me"])


def _ignorable(code: int) -> bool:
    return any(low <= code <= high for low, high in _DEFAULT_IGNORABLE)


# Cached: a text of thousands of one invisible character costs one lookup per character, and
# the characters that can be invisible are a few thousand.
@lru_cache(maxsize=8192)
def is_visible(character: str) -> bool:
    """Whether ``character`` shows anything on its own."""
    code = ord(character)
    if code in _DRAWN_FORMAT:
        return True
    if character.isspace() or code in _BLANK_SYMBOLS or _ignorable(code):
        return False
    return unicodedata.category(character) not in _INVISIBLE_CATEGORIES


def is_blank(text: str | None) -> bool:
    """Whether ``text`` shows nothing: empty, or only spaces and invisible characters."""
    return not text or not any(is_visible(character) for character in text)


# What is trimmed from either end of a text: white space (every character ``str.isspace``
# knows, listed so that ``str.strip`` does the work in one pass), and characters that show
# nothing and mean nothing there. Zero-width joiners and non-joiners, bidirectional marks and
# variation selectors are kept even at the ends: a right-to-left mark closing an Urdu sentence
# places its punctuation, and U+FE0F after ❤ makes it an emoji.
WHITE_SPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_TRIMMED = WHITE_SPACE + "\u00ad\u115f\u1160\u180e\u200b\u2060\u2800\u3164\ufeff\uffa0"


def clean_text(text: str | None) -> str:
    """``text`` as the system keeps it: trimmed of white space and blank characters at either
    end, and empty when nothing in it shows. Every text that is required or trimmed goes
    through this, so that "required" refuses a text of zero-width spaces as it refuses "".
    Nothing inside the text is touched: joiners, right-to-left marks and emoji sequences stay
    as they were written."""
    if is_blank(text):
        return ""
    return text.strip(_TRIMMED)


# --- Encodable text -------------------------------------------------------------------------


def is_encodable(text: str) -> bool:
    """Whether ``text`` is Unicode that UTF-8 can encode, i.e. holds no lone surrogate."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(name: str) -> str:
    # A key may itself hold the surrogate; the path names it escaped so it can be answered.
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def unencodable_path(value, path: str = "") -> str | None:
    """The path (``variables.input.title.en``, ``items[2]``) of the first text in ``value`` —
    a string, or JSON's objects and arrays of them, keys included — that cannot be encoded;
    None when all can. It walks with a stack of its own: JSON nested as deep as the parser
    allows must not exhaust Python's recursion limit here."""
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if not is_encodable(item):
                return where
        elif isinstance(item, dict):
            pending = []
            for key, child in item.items():
                name = key if isinstance(key, str) else str(key)
                child_path = f"{where}.{_shown(name)}" if where else _shown(name)
                if not is_encodable(name):
                    return child_path
                pending.append((child, child_path))
            stack.extend(reversed(pending))
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{where}[{i}]") for i, child in reversed(list(enumerate(item))))
    return None


class UnicodeJSONDecoder(json.JSONDecoder):
    """A JSON decoder that refuses text which is not valid Unicode, as malformed JSON.

    For JSON model fields that people edit in the admin: Django's forms decode what a browser
    sends as UTF-8 and cannot produce a lone surrogate, but a JSON field's form decodes JSON,
    which can (``["\\ud800"]``). Refused here, the form says "Enter a valid JSON" and shows
    the input as it was typed; otherwise PostgreSQL refuses the row and, on SQLite, the form
    shown again with its errors cannot be encoded: either way a 500."""

    def decode(self, s, *args, **kwargs):
        value = super().decode(s, *args, **kwargs)
        if (path := unencodable_path(value)) is not None:
            raise json.JSONDecodeError(f"A lone surrogate at {path or 'the top'}", s, 0)
        return value
