"""What each argument of the API means, and the values that mean something to it.

A scalar's type says little: an ``ID`` may name an Event or a ChatReport, a ``String`` may be a
time zone, a cursor or a chat message. A case reaches the services only if its other arguments
are right (an existing event the viewer may change, a real time zone), so each argument has a
domain: ordinary values that the server accepts (real IDs of the right type, cursors it gave
out, time zones it knows) and hostile ones of each family in ``values.THEMES``.

Real IDs, cursors and tokens are kept in ``Pools``, filled from the database when the server
starts and from every answer afterwards, so that objects the fuzz itself creates (a draft,
a message) are used by later cases.

Every argument and input field of the schema must have a domain (``domain_of``); the coverage
test fails on one that has none, so that a new argument is fuzzed as what it is.
"""

import base64
import binascii
import datetime
import random
import re
import uuid
from collections import deque
from dataclasses import dataclass, field

import graphql
from hypothesis import strategies as st

from . import values
from .values import EnumName

# Objects kept per type or list; the newest stay (what the fuzz created is the most interesting).
POOL_SIZE = 60


@dataclass
class Pools:
    """Real values of the running server, for ordinary arguments."""

    ids: dict[str, deque] = field(default_factory=dict)
    # IDs drawn half of the time for their type: the event whose chat is open, say.
    preferred: dict[str, list[str]] = field(default_factory=dict)
    cursors: dict[str, deque] = field(default_factory=dict)
    refresh_tokens: deque = field(default_factory=lambda: deque(maxlen=POOL_SIZE))
    device_tokens: list[str] = field(default_factory=list)

    def add_id(self, value: str) -> None:
        type_name = type_of_id(value)
        if type_name is not None:
            pool = self.ids.setdefault(type_name, deque(maxlen=POOL_SIZE))
            if value not in pool:
                pool.append(value)

    def add_cursor(self, list_name: str, value: str) -> None:
        pool = self.cursors.setdefault(list_name, deque(maxlen=POOL_SIZE))
        if value not in pool:
            pool.append(value)

    def harvest(self, data) -> None:
        """Keep the IDs, cursors and refresh tokens an answer's ``data`` holds."""
        self._walk(data, None)

    def _walk(self, value, list_name: str | None) -> None:
        if isinstance(value, list):
            for item in value:
                self._walk(item, list_name)
            return
        if not isinstance(value, dict):
            return
        for key, item in value.items():
            if isinstance(item, str):
                if key in ("id", "deletedId"):
                    self.add_id(item)
                elif key in ("cursor", "endCursor", "startCursor"):
                    # ChatMessage.cursor and ChatMessageEvent.cursor are the only cursors
                    # outside a connection.
                    self.add_cursor(list_name or "chatMessages", item)
                elif key == "refreshToken" and item not in self.refresh_tokens:
                    self.refresh_tokens.append(item)
            else:
                self._walk(item, key if key in LISTS else list_name)


# The lists with cursors, by the field that returns them.
LISTS = (
    "cities",
    "twinnings",
    "events",
    "announcements",
    "chatMessages",
    "chatReports",
    "blockedUsers",
)


def type_of_id(value: str) -> str | None:
    """The type a global ID names, None if it is not one."""
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, _, key = decoded.partition(":")
    if not type_name or not key.isdigit():
        return None
    return type_name


# Pools change during a run, but Hypothesis needs a strategy's draws to keep their shape from
# one case to the next: a value from a pool is an index in a fixed range, taken modulo the
# pool's size when the case is drawn, and a fixed fallback when the pool is empty.
INDEX = st.integers(0, 2**16 - 1)


def member_of(items, fallback) -> st.SearchStrategy:
    """One of ``items`` as they are now, or ``fallback`` if there are none."""
    snapshot = list(items)
    return INDEX.map(lambda index: snapshot[index % len(snapshot)] if snapshot else fallback)


def pick(draw, items, fallback):
    """``member_of`` drawn at once."""
    return draw(member_of(items, fallback))


# --- Domains -------------------------------------------------------------------------------


class Domain:
    """The values an argument takes. ``ordinary`` draws what the server should accept;
    ``hostile(theme)`` what it must refuse or cope with, None when ``theme`` does not apply."""

    themes: tuple[str, ...] = ()

    def ordinary(self, draw, pools: Pools, state: dict):
        raise NotImplementedError

    def hostile(self, theme: str, pools: Pools) -> st.SearchStrategy | None:
        return None

    def __repr__(self) -> str:
        return type(self).__name__


class Text(Domain):
    """Free text: titles, bodies, reasons, names, searches; ``themes``: the families a targeted
    case tries on it."""

    def __init__(self, themes: tuple[str, ...] = values.THEMES):
        self.themes = themes

    def ordinary(self, draw, pools, state):
        return draw(values.ordinary_texts())

    def hostile(self, theme, pools):
        return values.texts(theme)


class Choice(Text):
    """Text with a set of meaningful values (time zones, languages, e-mails…): ordinary is one
    of ``good``, hostile is one of ``bad`` (``odd`` family) or text of any family, alone or
    around a good value."""

    def __init__(self, good, bad=()):
        super().__init__()
        self.good = tuple(good)
        self.bad = tuple(bad)

    def ordinary(self, draw, pools, state):
        return draw(st.sampled_from(self.good))

    def hostile(self, theme, pools):
        if theme == "odd" and self.bad:
            return st.sampled_from(self.bad)
        if theme in values.TEXT_THEMES:
            return values.text_family(theme, st.sampled_from(self.good))
        return values.texts(theme)


class FromPool(Choice):
    """A secret the server handed out (a refresh token, a device token), or garbage."""

    def __init__(self, attribute: str, bad=()):
        super().__init__((), bad)
        self.attribute = attribute

    def ordinary(self, draw, pools, state):
        return pick(draw, getattr(pools, self.attribute), "token")

    def hostile(self, theme, pools):
        if theme in values.TEXT_THEMES:
            return values.text_family(theme, member_of(getattr(pools, self.attribute), "token"))
        return super().hostile(theme, pools)


class IdOf(Domain):
    """A global ID of ``type_name`` (any Node type when None); ``optional``: an ordinary value
    is often null (a twinning an event may or may not belong to)."""

    themes = values.THEMES

    def __init__(self, type_name: str | None, optional: bool = False):
        self.type_name = type_name
        self.optional = optional

    def __repr__(self) -> str:
        return f"IdOf({self.type_name or 'any'})"

    def _pool(self, pools):
        if self.type_name is None:
            return [value for pool in pools.ids.values() for value in pool]
        return pools.ids.get(self.type_name, ())

    def ordinary(self, draw, pools, state):
        if self.optional and draw(st.integers(0, 2)) < 2:
            return values.NULL
        fallback = values.global_id(self.type_name or "Event", 1)
        preferred = pools.preferred.get(self.type_name, ())
        if draw(st.booleans()) and preferred:
            return pick(draw, preferred, fallback)
        return pick(draw, self._pool(pools), fallback)

    def hostile(self, theme, pools):
        type_name = self.type_name or "Event"
        family = values.id_family(theme, type_name)
        if theme == "odd":
            # A real ID of another type.
            others = [v for name, pool in pools.ids.items() if name != type_name for v in pool]
            return st.one_of(family, member_of(others, values.global_id("City", 1)))
        if theme == "extreme":
            # A real ID with its key pushed out of range.
            real = member_of(self._pool(pools), values.global_id(type_name, 1))
            return st.one_of(family, real.map(_far_key))
        return family


def _far_key(real_id: str) -> str:
    type_name = type_of_id(real_id) or "Event"
    key = int(base64.b64decode(real_id).decode().partition(":")[2])
    return values.global_id(type_name, key + 10**12)


class Cursor(Domain):
    """A cursor of ``list_name``, as the server handed it out, or one that is not."""

    themes = values.THEMES

    def __init__(self, list_name: str):
        self.list_name = list_name

    def __repr__(self) -> str:
        return f"Cursor({self.list_name})"

    def ordinary(self, draw, pools, state):
        # No cursor handed out yet: the first page's, as the API would take it.
        return pick(draw, pools.cursors.get(self.list_name, ()), values.NULL)

    def hostile(self, theme, pools):
        family = values.cursor_family(theme)
        fallback = values.b64("arrayconnection:0")
        real = member_of(pools.cursors.get(self.list_name, ()), fallback)
        other = [c for name, pool in pools.cursors.items() if name != self.list_name for c in pool]
        if theme == "odd":
            return st.one_of(family, member_of(other, fallback))
        if theme in ("extreme", "malformed"):
            return st.one_of(family, st.builds(_altered, real, st.integers()))
        return family


def _altered(cursor: str, seed: int) -> str:
    """A real cursor altered as a client or an attacker might: its numbers pushed out of range,
    a character flipped, cut short, its padding changed."""
    rng = random.Random(seed)
    try:
        text = base64.b64decode(cursor).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = cursor
    choice = rng.randrange(5)
    if choice == 0:
        digits = "".join(ch if not ch.isdigit() else "9" for ch in text)
        return values.b64(digits + "9" * 20)
    if choice == 1:
        return values.b64(text.replace(":", ":-", 1))
    if choice == 2:
        return cursor[: max(1, len(cursor) // 2)]
    if choice == 3:
        position = rng.randrange(len(cursor))
        return (
            cursor[:position] + ("A" if cursor[position] != "A" else "B") + cursor[position + 1 :]
        )
    return cursor.rstrip("=") + "==="


class Number(Domain):
    """An Int or Float within ``low``–``high`` when ordinary, ``typical`` in the simplest case
    (a page size of 0 or a radius of 0.1 km would make a case that reads nothing)."""

    themes = ("extreme", "odd", "malformed")

    def __init__(self, kind: str, low, high, typical):
        self.kind = kind
        self.low, self.high, self.typical = low, high, typical

    def __repr__(self) -> str:
        return f"{self.kind.title()}({self.low}..{self.high})"

    def ordinary(self, draw, pools, state):
        if not draw(st.booleans()):
            return self.typical
        if self.kind == "int":
            return draw(st.integers(self.low, self.high))
        return draw(st.floats(self.low, self.high, allow_nan=False))

    def hostile(self, theme, pools):
        family = values.int_family if self.kind == "int" else values.float_family
        if theme == "extreme":
            # Just outside the ordinary range, too.
            step = 1 if self.kind == "int" else 1e-9
            return st.one_of(family(theme), st.sampled_from((self.low - step, self.high + step)))
        return family(theme)


class Moment(Domain):
    """A DateTime: ``role`` "start" or "end". An ordinary end follows the case's ordinary start,
    so that ordinary pairs are valid and a hostile one is what is refused."""

    themes = values.THEMES

    def __init__(self, role: str):
        self.role = role

    def __repr__(self) -> str:
        return f"Moment({self.role})"

    def ordinary(self, draw, pools, state):
        if self.role == "start":
            moment = draw(values.ordinary_moments((1, 300)))
            state["start"] = moment
        elif isinstance(state.get("hostile start"), str) and not draw(st.booleans()):
            # After a hostile start (year 9999, say), an end just after it: the pair is in
            # order, and what the server makes of the start is what is tried.
            return later(state["hostile start"])
        else:
            start = state.get("start") or draw(values.ordinary_moments((1, 300)))
            moment = start + datetime.timedelta(minutes=30 * draw(st.integers(1, 12)))
        return values._with_offset(moment, draw(st.sampled_from(values.ORDINARY_OFFSETS)))

    def hostile(self, theme, pools):
        return values.datetime_family(theme)


def later(text: str) -> str:
    """A time written like ``text``, a little later: its seconds set to 59 (or its minutes,
    when the seconds are 59 already)."""
    match = re.search(r"T(\d\d):(\d\d)(?::(\d\d))?", text)
    if match is None:
        return text
    hours, minutes, seconds = match.group(1), match.group(2), match.group(3)
    if seconds not in (None, "59"):
        replacement = f"T{hours}:{minutes}:59"
    elif minutes != "59":
        replacement = f"T{hours}:59" + (f":{seconds}" if seconds else "")
    else:
        return text
    return text[: match.start()] + replacement + text[match.end() :]


class TimeOfDay(Domain):
    themes = values.THEMES

    def ordinary(self, draw, pools, state):
        return draw(st.sampled_from(values.ORDINARY_TIMES))

    def hostile(self, theme, pools):
        return values.time_family(theme)


class Flag(Domain):
    themes = ("malformed",)

    def ordinary(self, draw, pools, state):
        return draw(st.booleans())

    def hostile(self, theme, pools):
        return st.sampled_from(("true", 1, 0, "\ud800")) if theme == "malformed" else None


class FileUpload(Domain):
    """A file (the ``Upload`` scalar): only a multipart request carries one, so everything
    the fuzz can write (text, numbers, objects, as a literal or a JSON variable) must be
    refused with a code, before anything runs. The uploads themselves are tested in
    tests/schema/test_avatars.py."""

    themes = ("malformed",)

    def ordinary(self, draw, pools, state):
        return draw(st.sampled_from(("photo.jpg", "")))

    def hostile(self, theme, pools):
        return values.upload_family() if theme == "malformed" else None


class OneOf(Domain):
    """An enum's values."""

    themes = ("malformed",)

    def __init__(self, names: tuple[str, ...]):
        self.names = names

    def ordinary(self, draw, pools, state):
        return EnumName(draw(st.sampled_from(self.names)))

    def hostile(self, theme, pools):
        return values.enum_family(self.names) if theme == "malformed" else None


# --- Which argument is what ----------------------------------------------------------------

VICTIM_EMAIL = "victim@example.org"
TIME_ZONES = (
    "Asia/Almaty",
    "Asia/Karachi",
    "Asia/Aqtau",
    "Europe/Moscow",
    "UTC",
    "America/New_York",
    "Asia/Kathmandu",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
)
BAD_TIME_ZONES = (
    "",
    "+05:00",
    "UTC+5",
    "Asia/Almaty ",
    "asia/almaty",
    "Asia/Nowhere",
    "../../../etc/passwd",
    "/etc/localtime",
    "localtime",
    "Factory",
    "posixrules",
    "Etc/GMT+14",
    "Etc/GMT-14",
    "EST5EDT",
    "right/UTC",
    "Asia/Almaty/../Karachi",
)
LANGUAGES = ("en", "ru", "kk", "ur")
REACTIONS = ("👍", "❤️", "😂", "😮", "😢", "👏", "🎉", "🔥")

# String arguments by name: what each is.
STRING_DOMAINS: dict[str, Domain] = {
    "search": Text(),
    "body": Text(),
    "reason": Text(),
    # What a reporter adds to the reason of a report.
    "details": Text(),
    "venueName": Text(),
    "venueAddress": Text(),
    "password": Choice(("correct horse battery staple", "wrong password"), ("", " ", "a" * 5000)),
    # Every language of a translated text takes the same path; English is tried with every
    # family, the others with the text ones.
    "en": Text(),
    "ru": Text(values.TEXT_THEMES),
    "kk": Text(values.TEXT_THEMES),
    "ur": Text(values.TEXT_THEMES),
    "country": Choice(
        ("KZ", "PK", "RU", "TR"), ("", "XX", "kz", "K", "KAZ", "Қ", "ZZ", "XK", "AA", "12")
    ),
    "slug": Choice(("aktau-kz", "almaty-kz", "karachi-pk"), ("", "AKTAU-KZ", "aktau kz", "-")),
    "timeZone": Choice(TIME_ZONES, BAD_TIME_ZONES),
    "language": Choice(LANGUAGES, ("", "EN", "xx", "ru-RU", "zh-Hans", "e", "english", "*")),
    "locale": Choice(("kk-KZ", "ru", "en-US", "ur-PK"), ("", "xx-YY", "kk_KZ", "k", "en-")),
    # A display name (accounts.display_names): names in the four languages, and those refused
    # for each rule (blank, too long, a line break, a direction override, "#", a reserved word,
    # the chat's name for someone nameless, stacked marks).
    "displayName": Choice(
        ("Dana", "Дана Әбілова", "عائشہ خان", "Ali 🇵🇰"),
        (
            "",
            "\u200b",
            "x" * 51,
            "Dana\nAbilova",
            "Dana\u202e",
            "Dana #K7Q2",
            "Moderator",
            "Аdmin",
            "User 1",
            "Z" + "\u0301" * 5,
        ),
    ),
    "appVersion": Choice(("1.0.0", "2.3.4 (567)"), ("", "-1", "1" * 300)),
    "imageUrl": Choice(
        ("https://example.org/poster.png", ""),
        (
            "javascript:alert(1)",
            "http://localhost/",
            "ftp://example.org/a",
            "https://例え.テスト/a.png",
            "http://[::1]/",
            "https://example.org/" + "a" * 3000,
            "data:image/png;base64,AAAA",
            "//example.org/a.png",
            "https://exa mple.org",
        ),
    ),
    "registrationUrl": Choice(
        ("https://tickets.example.org/caspian-jazz", ""),
        (
            "http://tickets.example.org/",
            "javascript:alert(1)",
            "tickets.example.org",
            "https://",
            "https://exa mple.org",
            "https://example.org/" + "a" * 600,
            "https://例え.テスト/a",
            "data:text/html,<b>x</b>",
        ),
    ),
    # A price's currency: ISO 4217 codes.
    "currency": Choice(
        ("KZT", "RUB", "PKR", "USD", "EUR"),
        ("", "kzt", "KZ", "KZTT", "XXX", "XTS", "ABC", "€", "K Z", "123", "Kzt", "ＫＺＴ"),
    ),
    # Tag slugs, as the demo's vocabulary has them (events/data/demo_content.json).
    "tags": Choice(
        ("music", "outdoors", "for-children", "students"),
        ("", "MUSIC", "music ", "jazz", "for children", "-", "a" * 51, "music,outdoors"),
    ),
    "clientId": Choice(
        tuple(str(uuid.UUID(int=n)) for n in range(1, 9)), ("", " ", "a" * 65, "a" * 64)
    ),
    "emoji": Choice(
        REACTIONS, ("❤", "👍🏽", "👍\u200b", "👍👍", ":+1:", "", " 👍 ", "🏳️‍🌈", "\ufe0f")
    ),
    "email": Choice(
        (VICTIM_EMAIL, "nobody@example.org"),
        (
            "",
            "a",
            "@",
            "a@b",
            "VICTIM@EXAMPLE.ORG",
            "victim@exämple.org",
            " victim@example.org",
            "a" * 300 + "@example.org",
        ),
    ),
    "refreshToken": FromPool("refresh_tokens", ("", "a" * 64, "a" * 5000)),
    "token": FromPool("device_tokens", ("", " ", "a" * 5000)),
    "after": Cursor("?"),
    "before": Cursor("?"),
}
INT_DOMAINS: dict[str, Domain] = {
    "first": Number("int", 0, 100, 20),
    "last": Number("int", 0, 100, 20),
    "minutes": Number("int", 1, 43_200, 60),
    "capacity": Number("int", 1, 1000, 100),
}
# Aktau's coordinates, and a radius that holds it.
FLOAT_DOMAINS: dict[str, Domain] = {
    "latitude": Number("float", -90.0, 90.0, 43.65),
    "longitude": Number("float", -180.0, 180.0, 51.16),
    "radiusKm": Number("float", 0.1, 20_000.0, 500.0),
}
DATETIME_DOMAINS: dict[str, Domain] = {
    "startsAt": Moment("start"),
    "newStartsAt": Moment("start"),
    "startsAfter": Moment("start"),
    "endsAt": Moment("end"),
    "newEndsAt": Moment("end"),
    "startsBefore": Moment("end"),
    # When a draft announces itself, or an announcement publishes itself.
    "at": Moment("start"),
    "publishAt": Moment("start"),
}
TIME_DOMAINS: dict[str, Domain] = {"start": TimeOfDay(), "end": TimeOfDay()}
BOOLEAN_DOMAINS: dict[str, Domain] = {
    "includeDrafts": Flag(),
    "listedAsAttendee": Flag(),
    # The for-you feed: the signed-in viewer's own follows and answers.
    "following": Flag(),
    # The events not over yet, at the time of the answer.
    "upcoming": Flag(),
    "isFree": Flag(),
}
# Decimals, sent as strings (graphene's Decimal reads a string or an integer literal).
DECIMAL_DOMAINS: dict[str, Domain] = {
    "amount": Choice(
        ("2500", "12.50", "0.01", "9999999999.99", "1000"),
        (
            "0",
            "-1",
            "-0",
            "0.001",
            "12.505",
            "1e400",
            "-1e400",
            "1E-400",
            "NaN",
            "sNaN",
            "Infinity",
            "-Infinity",
            "10000000000",
            "9" * 5000,
            "0." + "0" * 5000 + "1",
            "12,50",
            "twelve",
        ),
    ),
}
# ID arguments by name: the type they name.
ID_TYPES = {
    "event": "Event",
    "message": "ChatMessage",
    "replyTo": "ChatMessage",
    "report": "ChatReport",
    "announcement": "Announcement",
    "user": "User",
    "office": "CityOffice",
    "city": "City",
    "twinning": "Twinning",
    "of": "City",
}
# ``id`` names the type of its field: by the field's name, or the prefix of a mutation's.
ID_BY_FIELD = {"city": "City", "twinning": "Twinning", "event": "Event", "node": None}
ID_BY_PREFIX = (("event", "Event"), ("announcement", "Announcement"))


class UnknownArgument(LookupError):
    """An argument no domain is declared for: add it to the tables above."""


def domain_of(field_name: str, path: tuple[str, ...], type_: graphql.GraphQLNamedType) -> Domain:
    """The domain of the leaf at ``path`` of ``field_name``'s arguments, of scalar or enum
    ``type_``. Raises UnknownArgument for a leaf nobody has said the meaning of."""
    name = path[-1]
    if isinstance(type_, graphql.GraphQLEnumType):
        return OneOf(tuple(type_.values))
    if type_.name == "Upload":
        return FileUpload()
    tables = {
        "String": STRING_DOMAINS,
        "Int": INT_DOMAINS,
        "Float": FLOAT_DOMAINS,
        "DateTime": DATETIME_DOMAINS,
        "Time": TIME_DOMAINS,
        "Boolean": BOOLEAN_DOMAINS,
        "Decimal": DECIMAL_DOMAINS,
    }
    if type_.name == "ID":
        if name == "id":
            if field_name in ID_BY_FIELD:
                return IdOf(ID_BY_FIELD[field_name])
            for prefix, type_name in ID_BY_PREFIX:
                if field_name.startswith(prefix):
                    return IdOf(type_name)
        elif name in ID_TYPES:
            # An input object's twinning and event are optional links: often none.
            return IdOf(ID_TYPES[name], optional=len(path) > 1 and name in ("twinning", "event"))
        raise UnknownArgument(f"{field_name}({'.'.join(path)}: ID)")
    table = tables.get(type_.name)
    if table is None or name not in table:
        raise UnknownArgument(f"{field_name}({'.'.join(path)}: {type_.name})")
    domain = table[name]
    if isinstance(domain, Cursor):
        return Cursor(field_name)
    return domain
