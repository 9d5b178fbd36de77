"""The names people are shown by in the chat: what a display name may be, and the short tag
that tells two people of the same name apart.

A display name is the person's own: set from their Firebase profile's name at first sign-in
(when it passes these rules) and changed with the API's ``profileUpdate``. Names are not
unique: two people may both be "Dana". What tells them apart is the **tag** (``tag_of``): four
characters derived from the account, the same for the account forever and no other account's.
The API gives it beside every name, and the app shows it after the name ("Dana #K7Q2") when
two people in view share a name.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_noop

from core.folding import fold
from core.text import clean_text, is_encodable

from .error_codes import AccountErrorCode

# Long enough for a full name in any of the four languages ("Muhammad Abdul Rahman Khan Niazi"
# is 32), short enough for a line of a chat on a phone.
MAX_LENGTH = 50

# Characters no name needs and that change how the text around the name is shown: line
# breaks and other controls, and the bidirectional embeddings, overrides and isolates, which
# reverse or move the text after them ("Dana\u202e" shows the rest of a chat line backwards).
# The right-to-left and left-to-right marks (U+200E, U+200F) stay: Urdu names use them.
_LAYOUT_CONTROLS = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A))
# Arabic word ligatures: one character drawn as a whole phrase ("\ufdfd" is the bismillah, as
# wide as twenty letters). A name is written in letters.
_WORD_LIGATURES = frozenset(range(0xFDF0, 0xFE00))
_REFUSED_CATEGORIES = frozenset(["Cc", "Zl", "Zp", "Co"])
# A letter with more marks stacked on it than any script writes draws over the lines above and
# below it ("Zalgo" text). Vietnamese stacks two, Urdu with its optional vowel signs three.
MAX_MARKS_IN_A_ROW = 4

# Words a name may not hold, as a word of its own in any case or accents: they would pass the
# person off as the service or its staff. "User" followed by a number is how the chat shows a
# person without a name ("User 12"), and "#" sets the tag apart from the name.
RESERVED_WORDS = frozenset(
    fold(word)
    for word in (
        # English
        "admin",
        "administrator",
        "moderator",
        "staff",
        "support",
        "official",
        "system",
        "twinning",
        "deleted",
        # Russian
        "админ",
        "администратор",
        "модератор",
        "поддержка",
        "официальный",
        # Kazakh
        "әкімші",
        "әкімшілік",
        "ресми",
        # Urdu
        "منتظم",
        "انتظامیہ",
    )
)
# Letters of other scripts drawn like Latin ones, and digits written for letters: "Аdmin" with
# a Cyrillic А, "m0derator". Mapped before reserved words are compared, so that a look-alike
# is refused as the word itself. (Unicode's full confusables table is not needed for a handful
# of words.)
_LOOKALIKES = str.maketrans(
    {
        "а": "a",
        "е": "e",
        "о": "o",
        "р": "p",
        "с": "c",
        "у": "y",
        "х": "x",
        "і": "i",
        "ј": "j",
        "ѕ": "s",
        "ԁ": "d",
        "м": "m",
        "т": "t",
        "н": "h",
        "к": "k",
        "в": "b",
        "ο": "o",
        "α": "a",
        "ε": "e",
        "ι": "i",
        "ν": "v",
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "@": "a",
        "$": "s",
    }
)
# A word: letters and digits (not "_", which joins words as a space does) and the look-alikes.
_WORD = re.compile(r"(?:[^\W_]|[@$])+")
_FALLBACK_NAME = re.compile(r"user[\s_.\-]*\d+")
# Characters that draw nothing, so that a word they sit in shows as the word without them:
# the format characters (zero-width space and joiners, the word joiner, the soft hyphen, the
# direction marks), the combining grapheme joiner, variation selectors, and the fillers that
# render blank. Names may hold some of them (Urdu writes the zero-width non-joiner, emoji
# sequences the joiner); they are only left out when a name is compared with reserved words.
_BLANK_CHARACTERS = frozenset(
    [
        *(0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x2800, 0x3164, 0xFFA0),
        *range(0x180B, 0x1810),
        *range(0xFE00, 0xFE10),
        *range(0xE0100, 0xE01F0),
    ]
)


def _lookalike_free(word: str) -> str:
    return word.translate(_LOOKALIKES)


_RESERVED_SKELETONS = frozenset(_lookalike_free(word) for word in RESERVED_WORDS)


def _error(message: str, code: AccountErrorCode, **params) -> ValidationError:
    return ValidationError(
        {"display_name": ValidationError(message, code=code, params=params or None)}
    )


def _has_mark_stack(name: str) -> bool:
    in_a_row = 0
    for character in name:
        if unicodedata.category(character) in ("Mn", "Me"):
            in_a_row += 1
            if in_a_row > MAX_MARKS_IN_A_ROW:
                return True
        else:
            in_a_row = 0
    return False


def shown_name(display_name: str, user_id: int) -> str:
    """The name the chat shows for a user: their display name, or "User" and their id for
    someone without one (which no one may take as a name, see ``reserved``); a name that shows
    nothing (zero-width characters) counts as none."""
    return clean_text(display_name) or f"User {user_id}"


def _without_blanks(name: str) -> str:
    return "".join(
        character
        for character in name
        if ord(character) not in _BLANK_CHARACTERS and unicodedata.category(character) != "Cf"
    )


def name_with_tag(user) -> str:
    """How a person is named to office staff (the admin's moderation pages) as to other app
    users: their shown name and tag ("Dana #K7Q2"), never their e-mail."""
    return f"{shown_name(user.display_name, user.pk)} #{tag_of(user.pk)}"


def reserved(name: str) -> bool:
    """Whether ``name`` holds a reserved word, or is the chat's name for someone nameless, as
    it shows: without the characters that draw nothing, and compatibility forms ("𝐀", "ᴬ",
    full width) read as the letters they are drawn as."""
    folded = fold(_without_blanks(name))
    if _FALLBACK_NAME.fullmatch(folded):
        return True
    return any(
        word in RESERVED_WORDS or _lookalike_free(word) in _RESERVED_SKELETONS
        for word in _WORD.findall(folded)
    )


def clean_display_name(name: str) -> str:
    """``name`` as it is kept: trimmed (``core.text.clean_text``), or a ValidationError on
    ``display_name`` with its code: REQUIRED (nothing that shows), TOO_LONG (over
    ``MAX_LENGTH`` characters, as written or as its compatibility forms spell it out),
    DISPLAY_NAME_INVALID (line breaks, controls, private-use or direction-changing characters,
    word ligatures, a "#", marks stacked past ``MAX_MARKS_IN_A_ROW``) or DISPLAY_NAME_RESERVED
    (see ``RESERVED_WORDS``)."""
    if not isinstance(name, str) or not is_encodable(name):
        raise _error(gettext_noop("Type a name."), AccountErrorCode.REQUIRED)
    name = clean_text(name)
    if not name:
        raise _error(
            gettext_noop(
                "Type a name that shows: spaces or invisible characters alone are no name."
            ),
            AccountErrorCode.REQUIRED,
        )
    # Counted as drawn too: a compatibility character may spell out as several ("\ufdfa").
    if max(len(name), len(unicodedata.normalize("NFKC", name))) > MAX_LENGTH:
        raise _error(
            gettext_noop("At most %(limit)s characters."),
            AccountErrorCode.TOO_LONG,
            limit=MAX_LENGTH,
        )
    if any(
        ord(character) in _LAYOUT_CONTROLS
        or ord(character) in _WORD_LIGATURES
        or unicodedata.category(character) in _REFUSED_CATEGORIES
        for character in name
    ):
        raise _error(
            gettext_noop(
                "A name is one line of ordinary text: no line breaks, control or "
                "direction-changing characters."
            ),
            AccountErrorCode.DISPLAY_NAME_INVALID,
        )
    if "#" in name:
        raise _error(
            gettext_noop(
                'Leave out "#": the chat shows it before the tag that tells people apart.'
            ),
            AccountErrorCode.DISPLAY_NAME_INVALID,
        )
    if _has_mark_stack(name):
        raise _error(
            gettext_noop("Too many marks stacked on one letter."),
            AccountErrorCode.DISPLAY_NAME_INVALID,
        )
    if reserved(name):
        raise _error(
            gettext_noop(
                "This name could pass you off as the service, its staff or another person; "
                "choose another."
            ),
            AccountErrorCode.DISPLAY_NAME_RESERVED,
        )
    return name


def name_from_profile(name) -> str:
    """The display name a new account takes from its Firebase profile's ``name`` claim: the
    name as ``clean_display_name`` keeps it, cut to ``MAX_LENGTH`` if longer (between whole
    characters with their marks); "" when there is none or it breaks the rules, for the person
    to choose one."""
    if not isinstance(name, str) or not is_encodable(name):
        return ""
    name = clean_text(name)
    if len(name) > MAX_LENGTH:
        name = name[:MAX_LENGTH]
        # Not a mark or joiner cut from the letter it belongs to.
        while name and (
            unicodedata.category(name[-1]) in ("Mn", "Mc", "Me") or name[-1] == "\u200d"
        ):
            name = name[:-1]
    try:
        return clean_display_name(name)
    except ValidationError:
        return ""


# --- Tags ------------------------------------------------------------------------------------

# Crockford's base 32: digits and capitals without I, L, O and U, which are read as 1, 1, 0
# and V (or make words).
TAG_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TAG_LENGTH = 4
# Fixed for good: changing any of them changes everyone's tag.
_ROUNDS = ((0x2F1B5, 0x1D2C3), (0x6A3C9, 0x0F5A7), (0x3D8E1, 0x2B4D9))


def _scramble(value: int, bits: int) -> int:
    """A permutation of the ``bits``-bit numbers: each round multiplies by an odd number,
    adds, and folds the high bits into the low ones, every step of which can be undone. The
    tags of accounts made one after another look unrelated, and never repeat."""
    mask = (1 << bits) - 1
    for multiplier, addend in _ROUNDS:
        value = (value * (multiplier | 1) + addend) & mask
        value ^= value >> (bits // 2 + 1)
    return value


def tag_of(user_id: int) -> str:
    """The account's tag: ``TAG_LENGTH`` characters of ``TAG_ALPHABET`` (one more for each
    32-fold more accounts, past 1,048,576), derived from the account's id alone, so it never
    changes and no two accounts share it: the ids below 32⁴ are permuted among the 4-character
    tags, those below 32⁵ among the 5-character ones, and so on. It hides nothing: the
    account's ID in the API is as public."""
    length = TAG_LENGTH
    while user_id >= len(TAG_ALPHABET) ** length:
        length += 1
    value = _scramble(user_id, 5 * length)
    characters = []
    for _ in range(length):
        value, digit = divmod(value, len(TAG_ALPHABET))
        characters.append(TAG_ALPHABET[digit])
    return "".join(reversed(characters))
