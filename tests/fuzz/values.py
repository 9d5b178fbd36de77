"""Hostile and ordinary values for every scalar the API takes, grouped in families.

A value here is what a client puts on the wire, before it is written either as a GraphQL
literal or as JSON in ``variables``: ``str``, ``int``, ``float``, ``bool``, ``None``, ``Raw``
(a number written exactly as given: ``1e400``, 5,000 digits), ``EnumName``, lists and dicts.
One draw can then be sent both ways.

The families (``THEMES``) say what is hostile about a value, so that a case can be hostile in one
way across all its arguments (every text a lone surrogate, both dates past year 9999):

- ``surrogate``: lone UTF-16 surrogates, alone or inside ordinary text;
- ``invisible``: text made only of zero-width, format and bidi characters;
- ``control``: NUL and other control characters, line separators;
- ``long``: strings just under and over plausible limits, up to ~100 KB;
- ``unicode``: valid but awkward text (noncharacters, combining marks, astral, lookalikes);
- ``extreme``: limits (year 1 and 9999, Int's 32 bits, 1e308, the largest primary keys);
- ``odd``: accepted-looking oddities (naive or leap-second times, odd offsets, -0.0, IDs of
  another type, SQL and template metacharacters);
- ``malformed``: what cannot be parsed (bad base64, impossible dates, out-of-range Ints).

``scalar_literals`` gives hypothesis-graphql (the generator under schemathesis) a mix of
ordinary and hostile values for each scalar, built-in ones included, for the arguments of the
selection sets it generates.
"""

import base64
import datetime
from dataclasses import dataclass

import graphql
from hypothesis import strategies as st

THEMES = ("surrogate", "invisible", "control", "long", "unicode", "extreme", "odd", "malformed")
# The families that are about text: they apply to every string-typed argument.
TEXT_THEMES = ("surrogate", "invisible", "control", "long", "unicode")


@dataclass(frozen=True)
class Raw:
    """A number as written on the wire, for what Python's int and float would change."""

    text: str


class Null:
    """An explicit null, where an ordinary value may be one (``None`` means "none drawn")."""

    def __repr__(self) -> str:
        return "null"


NULL = Null()


@dataclass(frozen=True)
class EnumName:
    """An enum value (valid or not), written bare in a literal and as a string in JSON."""

    name: str


# --- Text ----------------------------------------------------------------------------------

LONE_SURROGATES = ("\ud800", "\udfff", "\udbff", "\udc00", "\ud83d")
INVISIBLES = (
    "\u200b",  # zero width space
    "\ufeff",  # zero width no-break space (BOM)
    "\u2060",  # word joiner
    "\u200c",  # zero width non-joiner
    "\u200d",  # zero width joiner
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u202a",  # bidi embeddings and overrides
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",  # bidi isolates
    "\u2067",
    "\u2068",
    "\u2069",
    "\u061c",  # Arabic letter mark
    "\u00ad",  # soft hyphen
    "\u034f",  # combining grapheme joiner
    "\u180e",  # Mongolian vowel separator
    "\u3164",  # Hangul filler
    "\u2800",  # Braille blank
    "\ufe0f",  # variation selector
    "\U000e0020",  # tag space
)
BLANKS = (" ", "\t", "\u00a0", "\u2003", "\u3000")
CONTROL_TEXTS = (
    "\x00",
    "\x00\x00\x00",
    "a\x00b",
    "Aktau\x00",
    "\x00Aktau",
    "\x01\x02\x03",
    "\x1b[31mred",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "line\nbreak",
    "\r\n",
    "\x0b\x0c",
)
UNICODE_TEXTS = (
    "\ufffe",
    "\uffff",
    "\U0010ffff",
    "\U0001f600",
    "e\u0301",
    "a" + "\u0301" * 60,
    "\u202eevil.exe",
    "\ufb01",  # ﬁ ligature
    "\u216b",  # roman numeral twelve
    "\u0661\u0662\u0663",  # Arabic-Indic digits
    "\uff21\uff22\uff23",  # fullwidth ABC
    "\u0130stanbul",  # İ: lower-casing changes the length
    "Stra\u00dfe",
    "\u01c5",
    "\u03c2",
    "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",
    "\U0001f1f0\U0001f1ff",
    "\U0001f44d\U0001f3fd",
    "\U0001d518\U0001d52b\U0001d526",
    "\u2126\u212a",  # ohm and kelvin signs
    "\u0345",
    "\U000e0041",
)
ODD_TEXTS = (
    "%",
    "_",
    "\\",
    "'",
    '"',
    "%%_\\",
    "' OR 1=1 --",
    "'); DROP TABLE events_event; --",
    "{{7*7}}",
    "<script>alert(1)</script>",
    "${jndi:ldap://x}",
    "../../../etc/passwd",
    "\\u0000",
    "null",
    "NULL",
    "None",
    "undefined",
    "NaN",
    "0",
    "-1",
    "true",
    "",
    " ",
)
ORDINARY_WORDS = (
    "Nauryz",
    "Наурыз мейрамы",
    "Алматы",
    "Aktau",
    "Ақтау",
    "کراچی",
    "گوادر",
    "Karachi",
    "Gwadar port day",
    "concert",
    "Қазақстан",
    "friendship",
    "🎉",
    "Almaty–Karachi",
    "Dostyk",
    "jazz night",
)
# Lengths around the API's own limits (100, 255, 300, 500, 1,000 characters and so on) and up
# to what fits in a request body of 100 KB.
LENGTHS = (1001, 101, 255, 256, 257, 300, 301, 500, 501, 1000, 2048, 4097, 10_000, 65_536, 97_000)
LONG_CHARACTERS = ("a", "Ж", "😀", "\u200b", " ", "%", "e\u0301")
BODY_BUDGET = 97_000  # UTF-8 bytes of one long string, so that most fit the body limit


def ordinary_texts() -> st.SearchStrategy[str]:
    """Short text as people write it, in the app's languages."""
    return st.lists(st.sampled_from(ORDINARY_WORDS), min_size=1, max_size=4).map(" ".join)


def _long(length: int, character: str) -> str:
    size = len(character.encode("utf-8"))
    return character * max(1, min(length, BODY_BUDGET // size) // len(character))


def _inside(text: str, hostile: str, where: int) -> str:
    """``hostile`` at the start, in the middle or at the end of ``text``."""
    if where == 0:
        return hostile + text
    if where == 1:
        middle = len(text) // 2
        return text[:middle] + hostile + text[middle:]
    return text + hostile


def text_family(theme: str, around: st.SearchStrategy[str] | None = None):
    """Text of one of the TEXT_THEMES: alone, or inside a value of ``around`` (ordinary text
    by default) so that the rest of it is what the argument expects."""
    around = around if around is not None else ordinary_texts()
    if theme == "surrogate":
        alone = st.one_of(
            st.sampled_from(LONE_SURROGATES),
            # A pair in the wrong order stays two lone surrogates; so does half an emoji.
            st.sampled_from(("\ude00\ud83d", "😀\ud800", "\ud83d\ud83d", "\udfff" * 3)),
        )
        hostile = st.sampled_from(LONE_SURROGATES)
    elif theme == "invisible":
        alone = st.lists(st.sampled_from(INVISIBLES + BLANKS), min_size=1, max_size=6).map(
            lambda characters: "\u200b" + "".join(characters)
        ) | st.sampled_from(INVISIBLES)
        hostile = st.sampled_from(INVISIBLES)
    elif theme == "control":
        alone = st.sampled_from(CONTROL_TEXTS)
        hostile = st.sampled_from(("\x00", "\x1b", "\x7f", "\u2028"))
    elif theme == "long":
        alone = st.builds(_long, st.sampled_from(LENGTHS), st.sampled_from(LONG_CHARACTERS))
        hostile = st.builds(_long, st.sampled_from(LENGTHS), st.just("a"))
    elif theme == "unicode":
        alone = st.sampled_from(UNICODE_TEXTS)
        hostile = st.sampled_from(("\ufffe", "\u0301", "\u202e", "\U0010ffff"))
    else:
        raise ValueError(theme)
    embedded = st.builds(_inside, around, hostile, st.integers(0, 2))
    return st.one_of(alone, embedded)


def texts(theme: str) -> st.SearchStrategy:
    """Hostile free text of ``theme``."""
    if theme in TEXT_THEMES:
        return text_family(theme)
    if theme == "odd":
        return st.sampled_from(ODD_TEXTS)
    if theme == "extreme":
        return st.sampled_from(("", " ", "a", "a" * 100, "a" * 255, "a" * 1000))
    if theme == "malformed":
        return wrong_kinds()
    raise ValueError(theme)


def wrong_kinds() -> st.SearchStrategy:
    """Values of another JSON kind than the argument's: a validation error, inline or not."""
    return st.sampled_from((0, 1.5, True, [], {}, ["a"], {"en": "x"}))


# --- IDs and cursors -----------------------------------------------------------------------

NODE_TYPES = (
    "City",
    "CityOffice",
    "Twinning",
    "Event",
    "Announcement",
    "ChatMessage",
    "ChatReport",
)
# Type names a global ID may carry that are no Node of the schema (or no type at all).
NOT_NODE_TYPES = ("User", "Viewer", "Query", "Node", "ChatAuthor", "Error", "PageInfo", "Foo", "")


def b64(text: str) -> str:
    """Base64 of ``text``'s UTF-8 (lone surrogates encoded as such: not valid UTF-8)."""
    return base64.b64encode(text.encode("utf-8", "surrogatepass")).decode()


def global_id(type_name: str, key) -> str:
    return b64(f"{type_name}:{key}")


# The first of each list is the canonical case (the one a targeted case sends).
HUGE_KEYS = (
    str(2**63),
    "-1",
    "0",
    "1e9",
    "00000000001",
    str(2**31),
    str(2**53 + 1),
    str(2**63 - 1),
    str(2**64),
    str(10**30),
    "9" * 5000,
    " 1",
    "1 ",
    "+1",
    "1.0",
    "0x10",
    "\u0661\u0662",
    "\u00b2",
)


def id_family(theme: str, type_name: str) -> st.SearchStrategy:
    """Hostile global IDs for an argument that takes a ``type_name``."""
    if theme == "extreme":
        return st.sampled_from(HUGE_KEYS).map(lambda key: global_id(type_name, key))
    if theme == "odd":
        others = tuple(name for name in NODE_TYPES + NOT_NODE_TYPES if name != type_name)
        return st.one_of(
            st.sampled_from(others).map(lambda other: global_id(other, 1)),
            st.sampled_from((type_name.lower(), type_name.upper(), f" {type_name}")).map(
                lambda name: global_id(name, 1)
            ),
            # An Int literal: GraphQL's ID takes one, and it is no global ID.
            st.sampled_from((1, 0, -1, 2**31 - 1)),
        )
    if theme == "malformed":
        return st.sampled_from(
            (
                "",
                "!!!",
                "====",
                "RXZlbnQ6MQ",
                "RXZlbnQ6MQ===",
                "RXZl bnQ6MQ==",
                "-_-_",
                "Событие",
                "null",
                f"{type_name}:1",
                base64.b64encode(b"\xff\xfe:1").decode(),
                b64(type_name),
                b64(":1"),
                b64(f"{type_name}:"),
                b64(f"{type_name}:1:2"),
                b64(f"{type_name}::1"),
            )
        )
    if theme == "control":
        return st.sampled_from(
            (
                "\x00",
                b64(f"{type_name}:1\x00"),
                b64(f"{type_name}\x00:1"),
                global_id(type_name, 1) + "\x00",
            )
        )
    if theme == "surrogate":
        return st.sampled_from(
            (
                "\ud800",
                b64(f"{type_name}\ud800:1"),
                b64(f"{type_name}:1\udfff"),
                global_id(type_name, 1) + "\ud800",
            )
        )
    if theme == "invisible":
        return st.sampled_from(
            ("\u200b", b64(f"{type_name}:\u200b1"), "\u200b" + global_id(type_name, 1))
        )
    if theme == "long":
        return st.one_of(
            # Keys of more digits than Python's int() reads by default (4,300).
            st.sampled_from((5000, 60_000, 1000)).map(lambda n: global_id(type_name, "1" * n)),
            st.sampled_from((1000, 70_000)).map(lambda n: "A" * n),
        )
    if theme == "unicode":
        return st.sampled_from(
            (
                b64(f"{type_name}:\u0661"),
                b64("\uff25vent:1"),
                "\uff32\uff38\uff3a\uff4c\uff42\uff51\uff54\uff16\uff2d\uff31==",
            )
        )
    raise ValueError(theme)


CURSOR_KEYS = (*HUGE_KEYS, "", "-0", "1;2", "\x00", "\ud800", "a" * 100)


def cursor_family(theme: str) -> st.SearchStrategy:
    """Hostile cursors, whatever a list's cursors look like: offsets, keysets, garbage.
    (Real cursors, and real ones altered, come from ``domains``.)"""
    if theme in ("extreme", "odd"):
        return st.one_of(
            st.sampled_from(CURSOR_KEYS).map(lambda key: b64(f"arrayconnection:{key}")),
            st.sampled_from(
                (
                    b64('{"k": 1e999, "id": -1}'),
                    b64('["9999-12-31T23:59:59Z", 99999999999999999999]'),
                    b64("[null, null]"),
                    b64("keyset:"),
                    b64("City:1"),
                )
            ),
        )
    return id_family(theme, "arrayconnection")


# --- Dates and times -----------------------------------------------------------------------

EXTREME_DATETIMES = (
    "9999-12-31T23:59:00-14:00",
    "9999-12-31T23:59:59.999999+00:00",
    "9999-12-31T23:59:59Z",
    "9999-12-31T10:00:00+14:00",
    "9999-01-01T00:00:00-12:00",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00-14:00",
    "1000-01-01T00:00:00Z",
    "1582-10-10T12:00:00Z",
    "1900-01-01T00:00:00Z",
    "1901-12-13T20:45:51Z",
    "1969-12-31T23:59:59Z",
    "1970-01-01T00:00:00Z",
    "2038-01-19T03:14:08Z",
    "2106-02-07T06:28:16Z",
    "2262-04-11T23:47:17Z",
    "3000-01-01T00:00:00Z",
)
MALFORMED_DATETIMES = (
    "0000-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z",
    "+10000-01-01T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "2026-02-29T10:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-00-10T00:00:00Z",
    "2026-06-31T00:00:00Z",
    "2026-07-01T24:00:00Z",
    "2026-07-01T25:00:00Z",
    "2026-07-01T10:60:00Z",
    "2026-07-01T10:00:00+24:00",
    "2026-07-01T10:00:00+99:99",
    "2026-07-01T10:00:00.1234567891Z",
    "2026-07-01T10:00:00 +05:00",
    "2026-07-01T10:00:00+05:00Z",
    "2026-07-01T10:00:00+05:00[Asia/Almaty]",
    "2026-7-1T10:00:00Z",
    "٢٠٢٦-٠٧-٠١T١٠:٠٠:٠٠Z",
    "２０２６-０７-０１T１０:００:００Z",
    "now",
    "tomorrow",
    "",
    " ",
    "NaN",
    "1783000000",
)
ODD_OFFSETS = (
    "+14:00",
    "-12:00",
    "+14:01",
    "-14:01",
    "+23:59",
    "-23:59",
    "+05:45",
    "+0530",
    "+05",
    "+00:00:01",
    "-00:00",
    "+12:34:56.789",
    "z",
)
ORDINARY_OFFSETS = ("Z", "+00:00", "+05:00", "+06:00", "+05:45", "+03:00", "-03:00")
# Local times that do not exist or happen twice somewhere (daylight saving time).
DST_LOCAL_TIMES = (
    "2026-03-29T02:30:00",
    "2026-03-08T02:30:00",
    "2026-10-25T01:30:00",
    "2026-11-01T01:30:00",
    "2026-04-05T02:30:00",
)
# Now, fixed for the run so that ordinary dates are consistent within it.
NOW = datetime.datetime.now(datetime.UTC).replace(second=0, microsecond=0)


def iso(moment: datetime.datetime, offset: str) -> str:
    """``moment`` (UTC) written as a local time with ``offset`` (only its text)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + ("" if offset is None else offset)


def ordinary_moments(
    days: tuple[int, int] = (-30, 400),
) -> st.SearchStrategy[datetime.datetime]:
    return st.builds(
        lambda day, minutes: NOW + datetime.timedelta(days=day, minutes=minutes * 15),
        st.integers(*days),
        st.integers(0, 95),
    )


def ordinary_datetimes(moments=None) -> st.SearchStrategy[str]:
    """A time with an offset, as apps send them: a valid instant near now."""
    moments = moments if moments is not None else ordinary_moments()
    return st.builds(_with_offset, moments, st.sampled_from(ORDINARY_OFFSETS))


def _with_offset(moment: datetime.datetime, offset: str) -> str:
    if offset in ("Z", "+00:00"):
        return iso(moment, offset)
    sign = 1 if offset[0] == "+" else -1
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    local = moment + sign * datetime.timedelta(hours=hours, minutes=minutes)
    return iso(local, offset)


def datetime_family(theme: str) -> st.SearchStrategy:
    if theme == "extreme":
        return st.sampled_from(EXTREME_DATETIMES)
    if theme == "malformed":
        return st.one_of(st.sampled_from(MALFORMED_DATETIMES), wrong_kinds())
    if theme == "odd":
        moments = ordinary_moments((1, 60))
        return st.one_of(
            moments.map(lambda moment: iso(moment, "")),  # naive
            st.sampled_from(DST_LOCAL_TIMES),
            st.builds(iso, moments, st.sampled_from(ODD_OFFSETS)),
            moments.map(lambda moment: moment.strftime("%Y-%m-%dT23:59:60Z")),
            st.sampled_from(
                (
                    "2016-12-31T23:59:60Z",
                    "2026-07-01",
                    "2026-W27-3T10:00:00Z",
                    "2026-182T10:00:00Z",
                    "20260701T100000Z",
                    "2026-07-01 10:00:00+05:00",
                    "2026-07-01t10:00:00z",
                    "2026-07-01T10:00:00,5Z",
                    "2026-07-01T10Z",
                )
            ),
        )
    return text_family(theme, ordinary_datetimes())


ORDINARY_TIMES = ("22:00", "07:30", "00:00", "23:59:59", "06:00:00", "12:15")


def time_family(theme: str) -> st.SearchStrategy:
    if theme == "extreme":
        return st.sampled_from(("00:00:00", "23:59:59.999999", "00:00:00.000001", "24:00"))
    if theme == "odd":
        return st.sampled_from(
            ("23:59:60", "10:00+05:00", "10:00:00Z", "T10:00", "1000", "10:00:00,5", "10:00.5")
        )
    if theme == "malformed":
        return st.one_of(
            st.sampled_from(
                ("25:00", "12:60", "-01:00", "noon", "", "10", "10:", ":00", "1:2:3:4")
            ),
            wrong_kinds(),
        )
    return text_family(theme, st.sampled_from(ORDINARY_TIMES))


# --- Numbers -------------------------------------------------------------------------------

INT_LIMITS = (0, -1, 1, -(2**31), 2**31 - 1, 2**31 - 2, 1_000_000)
# Outside GraphQL's 32-bit Int: a validation error, in a literal or in variables.
OUT_OF_RANGE_INTS = (2**31, -(2**31) - 1, 2**53 + 1, 10**20, -(10**20), Raw("9" * 5000))


def int_family(theme: str) -> st.SearchStrategy:
    if theme == "extreme":
        return st.sampled_from(INT_LIMITS)
    if theme == "malformed":
        return st.sampled_from(OUT_OF_RANGE_INTS)
    if theme == "odd":
        return st.sampled_from((1.5, 1.0, Raw("1e3"), "1", True, -0.0))
    raise ValueError(theme)


FLOAT_EXTREMES = (
    1e308,
    -1e308,
    1.7976931348623157e308,
    5e-324,
    -5e-324,
    1e-300,
    float(2**53),
    Raw("1e400"),
    Raw("-1e400"),
)


def float_family(theme: str) -> st.SearchStrategy:
    if theme == "extreme":
        return st.sampled_from(FLOAT_EXTREMES)
    if theme == "odd":
        return st.sampled_from((-0.0, 0.0, Raw("1E2"), Raw("0.1e-400"), 90, -180, Raw("-0")))
    if theme == "malformed":
        return st.sampled_from((Raw("NaN"), Raw("Infinity"), Raw("-Infinity"), "1.5", True))
    raise ValueError(theme)


def enum_family(values: tuple[str, ...]) -> st.SearchStrategy:
    """Invalid values of an enum: unknown names, another case, strings, numbers."""
    return st.one_of(
        st.sampled_from(("NOPE", "null", "_", "A" * 300)).map(EnumName),
        st.sampled_from(values).map(lambda value: EnumName(value.lower())),
        st.sampled_from(values),  # the right name as a string
        st.sampled_from(("\ud800", "", 1)),
    )


# --- GraphQL literals ----------------------------------------------------------------------


def literal(value) -> graphql.ValueNode:
    """``value`` as a GraphQL literal."""
    if value is None or value is NULL:
        return graphql.NullValueNode()
    if isinstance(value, bool):
        return graphql.BooleanValueNode(value=value)
    if isinstance(value, EnumName):
        return graphql.EnumValueNode(value=value.name)
    if isinstance(value, Raw):
        text = value.text
        if text.lstrip("-").isdigit():
            return graphql.IntValueNode(value=text)
        if text in ("NaN", "Infinity", "-Infinity"):
            return graphql.EnumValueNode(value=text.lstrip("-"))
        return graphql.FloatValueNode(value=text)
    if isinstance(value, int):
        return graphql.IntValueNode(value=str(value))
    if isinstance(value, float):
        return graphql.FloatValueNode(value=repr(value))
    if isinstance(value, str):
        return graphql.StringValueNode(value=value)
    if isinstance(value, list):
        return graphql.ListValueNode(values=tuple(literal(item) for item in value))
    if isinstance(value, dict):
        return graphql.ObjectValueNode(
            fields=tuple(
                graphql.ObjectFieldNode(name=graphql.NameNode(value=name), value=literal(item))
                for name, item in value.items()
            )
        )
    raise TypeError(f"No literal for {value!r}")


def _mixed(ordinary, hostile) -> st.SearchStrategy:
    return st.one_of(ordinary, ordinary, hostile)


def upload_family() -> st.SearchStrategy:
    """What is not a file where a file is expected: names, a data URL, numbers, an object
    shaped like a file, a list."""
    return st.sampled_from(
        (
            "",
            "\ud800",
            "0",
            "data:image/png;base64,iVBORw0KGgo=",
            "../../etc/passwd",
            0,
            -1,
            {"name": "photo.jpg", "type": "image/jpeg", "size": 1},
            ["0"],
        )
    )


def generic_scalars() -> dict[str, st.SearchStrategy]:
    """For each scalar of the schema, ordinary and hostile values of every family, knowing
    nothing of the argument they are for."""
    return {
        "String": _mixed(ordinary_texts(), st.sampled_from(THEMES).flatmap(texts)),
        "ID": _mixed(
            st.sampled_from(NODE_TYPES).map(lambda name: global_id(name, 1)),
            st.tuples(st.sampled_from(THEMES), st.sampled_from(NODE_TYPES)).flatmap(
                lambda pair: id_family(*pair)
            ),
        ),
        "Int": _mixed(st.integers(0, 100), st.sampled_from(INT_LIMITS + OUT_OF_RANGE_INTS)),
        "Float": _mixed(st.floats(-90, 90), st.sampled_from((*FLOAT_EXTREMES, -0.0))),
        "Boolean": st.booleans(),
        "DateTime": _mixed(ordinary_datetimes(), st.sampled_from(THEMES).flatmap(datetime_family)),
        "Date": _mixed(
            ordinary_moments().map(lambda moment: moment.date().isoformat()),
            st.sampled_from(("0001-01-01", "9999-12-31", "2026-02-29", "10000-01-01", "\ud800")),
        ),
        "Time": _mixed(
            st.sampled_from(ORDINARY_TIMES), st.sampled_from(THEMES).flatmap(time_family)
        ),
        "JSONString": _mixed(
            st.just('{"en": "x"}'), st.sampled_from(('{"a": "\\ud800"}', "[", "\ud800", "1e400"))
        ),
        "BigInt": st.sampled_from((0, -1, 2**63, -(2**63) - 1, 10**30)),
        "Upload": _mixed(st.just("photo.jpg"), upload_family()),
        "Decimal": _mixed(
            st.sampled_from(("2500", "12.50", "0.01")),
            st.sampled_from(("0", "-1", "NaN", "sNaN", "Infinity", "1e400", "0.001", "\ud800")),
        ),
    }


def scalar_literals() -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """Every scalar's generic strategy as literals: hypothesis-graphql's ``custom_scalars``,
    which it consults before its own strategies, the built-in scalars' included."""
    return {name: strategy.map(literal) for name, strategy in generic_scalars().items()}
