"""Keyset pagination: every connection, in every order, pages by its sort key and ID, so rows
inserted and deleted between two fetches never repeat or skip another row.

Each list is walked page by page; between two pages rows are inserted on both sides of the
page's last row (on ties of the leading key where the order allows it), and the last row
itself, one already read and the next one due are deleted. Every page must then be exactly
what the order says follows the last row read: the rows of the moment that sort after it,
computed here in Python from the database's own values (a distance included).
"""

import base64
import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F
from django.utils import timezone
from graphql_relay import from_global_id, to_global_id

from chat.models import ChatReport
from cities.models import City, OfficeMembership, Twinning
from events.models import Announcement, Event
from schema.cities.loaders import TWINNING_ORDER
from schema.cities.types import TwinningType
from schema.core.pagination import InvalidCursor, Keyset, paginate
from tests.factories import ChatMessageFactory, MembershipFactory

UTC = datetime.UTC
MICROSECOND = datetime.timedelta(microseconds=1)
BASE = datetime.datetime(2031, 5, 1, 9, tzinfo=UTC)
ALMATY = (43.2389, 76.8897)
SIZE = 2

PAGE = "pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id } }"
EVENTS = f"""
query ($first: Int, $after: String, $orderBy: EventOrderBy, $filter: EventFilterInput) {{
  events(first: $first, after: $after, orderBy: $orderBy, filter: $filter) {{ {PAGE} }}
}}
"""
CITIES = f"""
query ($first: Int, $after: String) {{ cities(first: $first, after: $after) {{ {PAGE} }} }}
"""
TWINNINGS = f"""
query ($first: Int, $after: String) {{ twinnings(first: $first, after: $after) {{ {PAGE} }} }}
"""
ANNOUNCEMENTS = f"""
query ($first: Int, $after: String) {{
  announcements(first: $first, after: $after) {{ {PAGE} }}
}}
"""
CHAT_REPORTS = f"""
query ($event: ID!, $first: Int, $after: String) {{
  event(id: $event) {{ chatReports(first: $first, after: $after) {{ {PAGE} }} }}
}}
"""
CHAT_HISTORY = """
query ($event: ID!, $last: Int, $before: String) {
  event(id: $event) {
    chatMessages(last: $last, before: $before) {
      pageInfo { hasPreviousPage hasNextPage startCursor }
      edges { cursor node { seq } }
    }
  }
}
"""


def micros(moment: datetime.datetime) -> int:
    """An instant as an integer, so that a descending order is its negation, exactly."""
    return (moment - BASE) // MICROSECOND


def pk_of(global_id: str) -> int:
    return int(from_global_id(global_id)[1])


@dataclass
class ListCase:
    """A list as a walk sees it: how to fetch a page, the order of its rows at this moment,
    and how to insert a row just before or just after a row, or delete one."""

    fetch: Callable[[str | None], dict]
    order: Callable[[], dict[int, tuple]]
    insert_before: Callable[[int], int | None]
    insert_after: Callable[[int], int]
    delete: Callable[[int], None]


@dataclass
class Walk:
    pages: list[list[int]] = field(default_factory=list)
    expected: list[list[int]] = field(default_factory=list)
    deleted_read: set[int] = field(default_factory=set)
    deleted_unread: set[int] = field(default_factory=set)
    inserted_before: set[int] = field(default_factory=set)
    inserted_after: set[int] = field(default_factory=set)

    @property
    def read(self) -> list[int]:
        return [pk for page in self.pages for pk in page]


def walk(case: ListCase) -> Walk:
    """Every page of the list, changing it between pages as the module says."""
    result, after, last_key = Walk(), None, None
    while True:
        order = case.order()
        due = sorted((key, pk) for pk, key in order.items() if last_key is None or key > last_key)
        result.expected.append([pk for _, pk in due[:SIZE]])
        connection = case.fetch(after)
        page = [pk_of(edge["node"]["id"]) for edge in connection["edges"]]
        result.pages.append(page)
        assert connection["pageInfo"]["hasNextPage"] == (len(due) > SIZE)
        assert connection["pageInfo"]["hasPreviousPage"] == (after is not None)
        if not connection["pageInfo"]["hasNextPage"]:
            return result
        assert len(result.pages) < 50, "the walk does not end"
        after = connection["pageInfo"]["endCursor"]
        assert connection["edges"][-1]["cursor"] == after
        boundary = page[-1]
        last_key = order[boundary]
        # Between the pages: a row on each side of the boundary, then three deletions.
        upcoming = min((key, pk) for pk, key in order.items() if key > last_key)[1]
        before, behind = case.insert_before(boundary), case.insert_after(boundary)
        now = case.order()
        assert now[behind] > last_key
        result.inserted_after.add(behind)
        if before is not None:
            assert now[before] < last_key
            result.inserted_before.add(before)
        for pk in {boundary, page[0]}:
            case.delete(pk)
            result.deleted_read.add(pk)
        case.delete(upcoming)
        result.deleted_unread.add(upcoming)


def assert_keyset(result: Walk, original: set[int]) -> None:
    read = result.read
    assert result.pages == result.expected
    assert len(read) == len(set(read)), "a row was repeated"
    assert original - result.deleted_unread <= set(read), "a row was skipped"
    assert result.inserted_after - result.deleted_unread <= set(read)
    assert not (result.inserted_before | result.deleted_unread) & set(read)


def connection_at(result: dict, *path: str) -> dict:
    assert "errors" not in result, result["errors"]
    node = result["data"]
    for name in path:
        node = node[name]
    return node


# --- Events ----------------------------------------------------------------------------------


@pytest.fixture
def almaty(city_factory):
    return city_factory(name_en="Almaty", latitude=ALMATY[0], longitude=ALMATY[1])


def event_at(event_factory, city, starts_at, latitude=None, longitude=None):
    return event_factory(
        host_city=city,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=2),
        latitude=city.latitude if latitude is None else latitude,
        longitude=city.longitude if longitude is None else longitude,
    )


def events_case(gql, event_factory, city, order_by, variables=None) -> ListCase:
    descending = order_by == "START_DESC"
    sign = -1 if descending else 1

    def fetch(after):
        result = gql(
            EVENTS, {"first": SIZE, "after": after, "orderBy": order_by, **(variables or {})}
        )
        return connection_at(result, "events")

    def order():
        rows = Event.objects.public().values_list("pk", "starts_at")
        return {pk: (sign * micros(starts_at), sign * pk) for pk, starts_at in rows}

    def insert(pk, shift):
        starts_at = Event.objects.get(pk=pk).starts_at + shift
        return event_at(event_factory, city, starts_at).pk

    return ListCase(
        fetch=fetch,
        order=order,
        # Ascending, a tie of the start sorts after (a larger ID) and a microsecond earlier
        # before; descending, the other way round.
        insert_before=lambda pk: insert(pk, datetime.timedelta(0) if descending else -MICROSECOND),
        insert_after=lambda pk: insert(pk, -MICROSECOND if descending else datetime.timedelta(0)),
        delete=lambda pk: Event.objects.filter(pk=pk).delete(),
    )


@pytest.mark.parametrize("order_by", ["START", "START_DESC"])
def test_events_by_start_page_by_keyset(gql, event_factory, almaty, order_by):
    # Three events at each start: pages of two end inside a tie.
    original = {
        event_at(event_factory, almaty, BASE + datetime.timedelta(hours=n // 3)).pk
        for n in range(12)
    }

    result = walk(events_case(gql, event_factory, almaty, order_by))

    assert_keyset(result, original)


def distances(latitude, longitude, radius):
    rows = Event.objects.public().near(latitude, longitude, radius)
    return {
        pk: (distance, starts_at, pk)
        for pk, distance, starts_at in rows.values_list("pk", "distance_km", "starts_at")
    }


def test_events_by_distance_page_by_keyset_with_exact_distances(gql, event_factory, almaty):
    # Points at distances no decimal writes exactly, three at each point, two starts at each:
    # pages end inside ties of the distance, and of the distance and the start.
    points = [(43.25 + n * 0.0123457, 76.91 - n * 0.0098765) for n in range(4)]
    original = {
        event_at(event_factory, almaty, BASE + datetime.timedelta(hours=n % 2), *points[n // 3]).pk
        for n in range(12)
    }
    near = {"latitude": ALMATY[0], "longitude": ALMATY[1], "radiusKm": 50}
    case = events_case(gql, event_factory, almaty, "DISTANCE", {"filter": {"near": near}})
    case.order = lambda: distances(ALMATY[0], ALMATY[1], 50)

    def insert(pk, shift):
        event = Event.objects.get(pk=pk)
        return event_at(
            event_factory, almaty, event.starts_at + shift, event.latitude, event.longitude
        ).pk

    # At the same point: a microsecond earlier sorts before, the same start after.
    case.insert_before = lambda pk: insert(pk, -MICROSECOND)
    case.insert_after = lambda pk: insert(pk, datetime.timedelta(0))

    result = walk(case)

    assert_keyset(result, original)


def test_a_distance_cursor_holds_the_distance_bit_for_bit(gql, event_factory, almaty):
    event_at(event_factory, almaty, BASE, 43.3011, 76.9523)
    near = {"latitude": ALMATY[0], "longitude": ALMATY[1], "radiusKm": 50}

    page = connection_at(gql(EVENTS, {"orderBy": "DISTANCE", "filter": {"near": near}}), "events")

    (distance,) = [d for d, _, _ in distances(ALMATY[0], ALMATY[1], 50).values()]
    values = decode(page["pageInfo"]["endCursor"])[2]
    assert float.fromhex(values[0]) == distance
    assert values[0] == distance.hex()


def test_a_distance_cursor_belongs_to_its_point(gql, event_factory, almaty):
    event_at(event_factory, almaty, BASE)
    near = {"latitude": ALMATY[0], "longitude": ALMATY[1], "radiusKm": 50}
    variables = {"orderBy": "DISTANCE", "filter": {"near": near}}
    cursor = connection_at(gql(EVENTS, variables), "events")["pageInfo"]["endCursor"]

    elsewhere = {**variables, "filter": {"near": {**near, "latitude": ALMATY[0] + 0.1}}}
    result = gql(EVENTS, {**elsewhere, "after": cursor})

    assert result["errors"][0]["extensions"] == {"code": "INVALID_CURSOR", "field": "after"}


# --- Cities, twinnings, announcements --------------------------------------------------------


def test_cities_page_by_name_and_id(gql, city_factory):
    # Names that every collation orders alike (lower-case letters after one capital); pairs of
    # cities share a name.
    original = {city_factory(name_en=f"K{'abcdef'[n // 2]}x").pk for n in range(12)}

    def insert(pk, before):
        name = City.objects.get(pk=pk).name_en
        # A prefix sorts first; the same name sorts after (a larger ID).
        return city_factory(name_en=name[:-1] if before else name).pk

    case = ListCase(
        fetch=lambda after: connection_at(gql(CITIES, {"first": SIZE, "after": after}), "cities"),
        order=lambda: {pk: (name, pk) for pk, name in City.objects.values_list("pk", "name_en")},
        insert_before=lambda pk: insert(pk, True),
        insert_after=lambda pk: insert(pk, False),
        delete=lambda pk: City.objects.filter(pk=pk).delete(),
    )

    assert_keyset(walk(case), original)


def test_twinnings_page_by_id(gql, twinning_factory):
    # IDs ten apart, so that a twinning can be inserted before another.
    original = {twinning_factory(pk=10 * (n + 1)).pk for n in range(10)}

    def insert(pk):
        return twinning_factory(pk=pk).pk if not Twinning.objects.filter(pk=pk).exists() else None

    case = ListCase(
        fetch=lambda after: connection_at(
            gql(TWINNINGS, {"first": SIZE, "after": after}), "twinnings"
        ),
        order=lambda: {pk: (pk,) for pk in Twinning.objects.values_list("pk", flat=True)},
        insert_before=lambda pk: insert(pk - 1),
        insert_after=lambda pk: insert(pk + 1),
        delete=lambda pk: Twinning.objects.filter(pk=pk).delete(),
    )

    assert_keyset(walk(case), original)


def newest_first(rows) -> dict[int, tuple]:
    return {pk: (-micros(moment), -pk) for pk, moment in rows}


def test_announcements_page_newest_first_by_keyset(gql, announcement_factory, office_factory):
    office = office_factory()
    published = timezone.now() - datetime.timedelta(days=1)
    original = {
        announcement_factory(office=office, published_at=published - n // 3 * MICROSECOND).pk
        for n in range(12)
    }

    def insert(pk, shift):
        moment = Announcement.objects.get(pk=pk).published_at + shift
        return announcement_factory(office=office, published_at=moment).pk

    case = ListCase(
        fetch=lambda after: connection_at(
            gql(ANNOUNCEMENTS, {"first": SIZE, "after": after}), "announcements"
        ),
        order=lambda: newest_first(
            Announcement.objects.published().values_list("pk", "published_at")
        ),
        # Newest first: the same time sorts before (a larger ID), a microsecond older after.
        insert_before=lambda pk: insert(pk, datetime.timedelta(0)),
        insert_after=lambda pk: insert(pk, -MICROSECOND),
        delete=lambda pk: Announcement.objects.filter(pk=pk).delete(),
    )

    assert_keyset(walk(case), original)


# --- The chat --------------------------------------------------------------------------------


@pytest.fixture
def chat_event(event_factory):
    now = timezone.now()
    return event_factory(starts_at=now, ends_at=now + datetime.timedelta(hours=2))


def test_chat_reports_page_newest_first_by_keyset(gql, chat_event, user_factory):
    moderator = user_factory()
    MembershipFactory(
        user=moderator, office=chat_event.office, role=OfficeMembership.Role.MODERATOR
    )
    message = ChatMessageFactory(event=chat_event)

    def report(created_at) -> int:
        row = ChatReport.objects.create(
            event=chat_event, message=message, reporter=user_factory(), reason="Spam"
        )
        ChatReport.objects.filter(pk=row.pk).update(created_at=created_at)
        return row.pk

    original = {report(BASE - n // 3 * MICROSECOND) for n in range(12)}

    def insert(pk, shift):
        return report(ChatReport.objects.get(pk=pk).created_at + shift)

    case = ListCase(
        fetch=lambda after: connection_at(
            gql(
                CHAT_REPORTS,
                {"event": gid(chat_event), "first": SIZE, "after": after},
                user=moderator,
            ),
            "event",
            "chatReports",
        ),
        order=lambda: newest_first(ChatReport.objects.values_list("pk", "created_at")),
        insert_before=lambda pk: insert(pk, datetime.timedelta(0)),
        insert_after=lambda pk: insert(pk, -MICROSECOND),
        delete=lambda pk: ChatReport.objects.filter(pk=pk).delete(),
    )

    assert_keyset(walk(case), original)


def test_chat_history_pages_back_by_seq_whatever_is_sent_meanwhile(gql, chat_event, user_factory):
    viewer = user_factory()
    original = {ChatMessageFactory(event=chat_event).seq for _ in range(11)}
    pages, expected, removed, before, oldest = [], [], set(), None, None
    while True:
        seqs = sorted(chat_event.chat_messages.values_list("seq", flat=True))
        due = [seq for seq in seqs if oldest is None or seq < oldest]
        expected.append(due[-SIZE:])
        result = gql(
            CHAT_HISTORY, {"event": gid(chat_event), "last": SIZE, "before": before}, user=viewer
        )
        history = connection_at(result, "event", "chatMessages")
        pages.append([edge["node"]["seq"] for edge in history["edges"]])
        assert history["pageInfo"]["hasNextPage"] == (before is not None)
        assert history["pageInfo"]["hasPreviousPage"] == (len(due) > SIZE)
        if not history["pageInfo"]["hasPreviousPage"]:
            break
        before, oldest = history["pageInfo"]["startCursor"], pages[-1][0]
        # Between pages: a message is sent, and the page's oldest and the next one due are
        # removed (what a moderator's delete does not do, but nothing may rest on it).
        ChatMessageFactory(event=chat_event)
        newest_unread = max(seq for seq in seqs if seq < oldest)
        chat_event.chat_messages.filter(seq__in=[oldest, newest_unread]).delete()
        removed.add(newest_unread)

    read = [seq for page in reversed(pages) for seq in page]
    assert pages == expected
    assert read == sorted(set(read)), "a message was repeated or out of order"
    assert set(read) == original - removed, "a message was skipped"


# --- A nullable key --------------------------------------------------------------------------


ESTABLISHED = [None, None, datetime.date(1997, 5, 1), datetime.date(1997, 5, 1)]
ESTABLISHED += [datetime.date(2004, 9, 15), None, datetime.date(1997, 5, 1)]
ESTABLISHED += [datetime.date(2004, 9, 15), datetime.date(2012, 1, 1), None]


@pytest.mark.parametrize(
    ("ordering", "descending", "nulls_last"),
    [
        (TWINNING_ORDER, False, True),
        ((F("established_on").asc(nulls_first=True), "id"), False, False),
        ((F("established_on").desc(), "id"), True, False),
        ((F("established_on").desc(nulls_last=True), "id"), True, True),
        (("-established_on",), True, False),
    ],
    ids=["nulls last", "nulls first", "desc", "desc nulls last", "desc by name"],
)
def test_a_nullable_key_pages_by_keyset_on_every_database(
    twinning_factory, ordering, descending, nulls_last
):
    original = {twinning_factory(established_on=day).pk for day in ESTABLISHED}
    connection = TwinningType._meta.connection

    def fetch(after):
        page = paginate(Twinning.objects.order_by(*ordering), connection, SIZE, after)
        return {
            "edges": [
                {"node": {"id": gid(edge.node)}, "cursor": edge.cursor} for edge in page.edges
            ],
            "pageInfo": {
                "hasNextPage": page.page_info.has_next_page,
                "hasPreviousPage": page.page_info.has_previous_page,
                "endCursor": page.page_info.end_cursor,
            },
        }

    def order():
        keys = {}
        for pk, day in Twinning.objects.values_list("pk", "established_on"):
            if day is None:
                keys[pk] = (1 if nulls_last else -1, 0, pk)
            else:
                keys[pk] = (0, -day.toordinal() if descending else day.toordinal(), pk)
        return keys

    def insert_before(pk):
        day = Twinning.objects.get(pk=pk).established_on
        if day is None:
            return twinning_factory(established_on=BASE.date()).pk if nulls_last else None
        shifted = day + datetime.timedelta(days=1 if descending else -1)
        return twinning_factory(established_on=shifted).pk

    case = ListCase(
        fetch=fetch,
        order=order,
        insert_before=insert_before,
        # A tie, nulls included, sorts after: a larger ID.
        insert_after=lambda pk: (
            twinning_factory(established_on=Twinning.objects.get(pk=pk).established_on).pk
        ),
        delete=lambda pk: Twinning.objects.filter(pk=pk).delete(),
    )

    assert_keyset(walk(case), original)


# --- Malformed cursors -----------------------------------------------------------------------


def gid(instance) -> str:
    return to_global_id(type(instance).__name__, instance.pk)


def encode(data) -> str:
    return encode_text(json.dumps(data))


def encode_text(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(cursor: str):
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def invalid(result) -> bool:
    return result.get("errors", [{}])[0].get("extensions") == {
        "code": "INVALID_CURSOR",
        "field": "after",
    }


@pytest.fixture
def catalogue(db, twinning_factory, event_factory, announcement_factory):
    twinning = twinning_factory()
    for n in range(2):
        event_at(event_factory, twinning.city_a, BASE + datetime.timedelta(hours=n))
        announcement_factory(office__city=twinning.city_a)
    return twinning


def cursor_of(gql, document, variables, path):
    result = gql(document, {"first": 1, **variables})
    return connection_at(result, *path)["pageInfo"]["endCursor"]


def tampered(cursor: str, change) -> str:
    version, signature, values = decode(cursor)
    return encode(change(version, signature, list(values)))


# Cursors no list wrote, whatever list they are sent to.
GARBAGE = [
    "",
    "!!!!",
    "A",
    "é",
    "YXJyYXljb25uZWN0aW9uOjk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ",
    "YXJyYXljb25uZWN0aW9uOjk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ==",
    base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
    encode({"v": 1}),
    encode([]),
    encode("a string"),
    encode_text("[" * 700 + "]" * 700),
    encode_text("[1, " * 350),
    "A" * 2_048,
]
LISTS = {
    "events": (EVENTS, {}, ("events",)),
    "cities": (CITIES, {}, ("cities",)),
    "twinnings": (TWINNINGS, {}, ("twinnings",)),
    "announcements": (ANNOUNCEMENTS, {}, ("announcements",)),
}


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("after", GARBAGE)
def test_garbage_is_an_invalid_cursor_of_every_list(gql, catalogue, name, after):
    document, variables, _ = LISTS[name]

    result = gql(document, {**variables, "after": after})

    assert invalid(result), result
    assert result["errors"][0]["message"] == "after is not a cursor of this list."


@pytest.mark.parametrize("name", LISTS)
def test_a_cursor_over_the_length_limit_is_invalid_before_it_is_decoded(gql, catalogue, name):
    document, variables, _ = LISTS[name]

    result = gql(document, {**variables, "after": "A" * 2_049})

    assert result["errors"][0]["extensions"] == {"code": "INVALID_CURSOR", "field": "after"}
    assert result["data"] is None


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize(
    "change",
    [
        lambda v, s, k: [v + 1, s, k],
        lambda v, s, k: [True, s, k],
        lambda v, s, k: [v, s[::-1], k],
        lambda v, s, k: [v, s, k[:-1]],
        lambda v, s, k: [v, s, [*k, 1]],
        lambda v, s, k: [v, s, [*k[:-1], 2**63]],
        lambda v, s, k: [v, s, [*k[:-1], -(2**63) - 1]],
        lambda v, s, k: [v, s, [*k[:-1], 10**300]],
        lambda v, s, k: [v, s, [*k[:-1], str(k[-1])]],
        lambda v, s, k: [v, s, [*k[:-1], True]],
        lambda v, s, k: [v, s, [*k[:-1], 1.0]],
        lambda v, s, k: [v, s, [*k[:-1], None]],
        lambda v, s, k: [v, s, [*k[:-1], [k[-1]]]],
        lambda v, s, k: {"v": v, "s": s, "k": k},
    ],
    ids=[
        "version",
        "boolean version",
        "signature",
        "too few keys",
        "too many keys",
        "id past bigint",
        "id before bigint",
        "huge id",
        "id as text",
        "id as boolean",
        "id as float",
        "null id",
        "id in a list",
        "an object",
    ],
)
def test_a_cursor_tampered_with_is_invalid(gql, catalogue, name, change):
    document, variables, path = LISTS[name]
    cursor = cursor_of(gql, document, variables, path)

    result = gql(document, {**variables, "after": tampered(cursor, change)})

    assert invalid(result), result


@pytest.mark.parametrize(
    "value",
    [
        "10000-01-01T00:00:00+00:00",
        "0000-12-31T00:00:00+00:00",
        "2031-05-01T09:00:00+05:00",
        "0001-01-01T00:00:00-05:00",
        "2031-05-01T09:00:00",
        "2031-02-30T09:00:00+00:00",
        "2031-05-01T25:00:00+00:00",
        "",
        "9" * 41,
        1_935_651_600,
        None,
    ],
)
def test_a_start_that_cannot_be_is_an_invalid_cursor(gql, catalogue, value):
    cursor = cursor_of(gql, EVENTS, {}, ("events",))

    result = gql(EVENTS, {"after": tampered(cursor, lambda v, s, k: [v, s, [value, k[1]]])})

    assert invalid(result), result


@pytest.mark.parametrize(
    "value",
    ["nan", "inf", "-inf", "0x1p99999", "", "0x" + "1" * 40, 1.5, 3, None],
)
def test_a_distance_that_cannot_be_is_an_invalid_cursor(gql, catalogue, value):
    near = {"latitude": ALMATY[0], "longitude": ALMATY[1], "radiusKm": 20_000}
    variables = {"orderBy": "DISTANCE", "filter": {"near": near}}
    cursor = cursor_of(gql, EVENTS, variables, ("events",))

    after = tampered(cursor, lambda v, s, k: [v, s, [value, *k[1:]]])
    result = gql(EVENTS, {**variables, "after": after})

    assert invalid(result), result


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_json_constants_are_an_invalid_cursor(gql, catalogue, constant):
    near = {"latitude": ALMATY[0], "longitude": ALMATY[1], "radiusKm": 20_000}
    variables = {"orderBy": "DISTANCE", "filter": {"near": near}}
    version, signature, values = decode(cursor_of(gql, EVENTS, variables, ("events",)))
    text = json.dumps([version, signature, ["@", *values[1:]]]).replace('"@"', constant)

    result = gql(EVENTS, {**variables, "after": encode_text(text)})

    assert invalid(result), result


@pytest.mark.parametrize(
    "value",
    ["K" * 201, "Ka\x00", "Ka\ud800", 12, None, ["Ka"]],
    ids=["too long", "NUL", "lone surrogate", "number", "null", "list"],
)
def test_a_name_that_cannot_be_is_an_invalid_cursor(gql, catalogue, value):
    cursor = cursor_of(gql, CITIES, {}, ("cities",))

    result = gql(CITIES, {"after": tampered(cursor, lambda v, s, k: [v, s, [value, k[1]]])})

    assert invalid(result), result


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ((EVENTS, {}, ("events",)), (EVENTS, {"orderBy": "START_DESC"})),
        ((EVENTS, {"orderBy": "START_DESC"}, ("events",)), (EVENTS, {})),
        ((CITIES, {}, ("cities",)), (EVENTS, {})),
        ((TWINNINGS, {}, ("twinnings",)), (ANNOUNCEMENTS, {})),
        ((ANNOUNCEMENTS, {}, ("announcements",)), (TWINNINGS, {})),
        ((EVENTS, {}, ("events",)), (CITIES, {})),
    ],
    ids=[
        *("start to start desc", "start desc to start", "cities to events"),
        *("twinnings to announcements", "announcements to twinnings", "events to cities"),
    ],
)
def test_a_cursor_of_another_list_or_order_is_invalid(gql, catalogue, source, target):
    cursor = cursor_of(gql, *source)

    result = gql(target[0], {**target[1], "after": cursor})

    assert invalid(result), result


def test_a_cursor_of_another_list_is_invalid_for_chat_reports(gql, catalogue, user_factory):
    event = Event.objects.first()
    ChatReport.objects.create(
        event=event, message=ChatMessageFactory(event=event), reporter=user_factory(), reason="x"
    )
    admin = user_factory(is_superuser=True)
    variables = {"event": gid(event)}

    for after in [cursor_of(gql, EVENTS, {}, ("events",)), "A" * 2048, *GARBAGE[:4]]:
        result = gql(CHAT_REPORTS, {**variables, "after": after}, user=admin)
        assert result["errors"][0]["extensions"] == {"code": "INVALID_CURSOR", "field": "after"}

    reports = connection_at(
        gql(CHAT_REPORTS, {**variables, "first": 1}, user=admin), "event", "chatReports"
    )
    after = tampered(reports["pageInfo"]["endCursor"], lambda v, s, k: [v, s, [k[0], 2**64]])
    result = gql(CHAT_REPORTS, {**variables, "after": after}, user=admin)
    assert result["errors"][0]["extensions"] == {"code": "INVALID_CURSOR", "field": "after"}


def test_a_cursor_is_read_whatever_the_page_size(gql, catalogue):
    cursor = cursor_of(gql, EVENTS, {}, ("events",))

    empty = connection_at(gql(EVENTS, {"first": 0, "after": cursor}), "events")
    refused = gql(EVENTS, {"first": 0, "after": "nonsense"})

    assert empty["edges"] == [] and empty["pageInfo"]["hasPreviousPage"]
    assert invalid(refused)


@pytest.mark.parametrize(
    "after", ["\ud800", "A\x00", "é" * 10, "A" * 100_000, "A=", "A" * 7 + "=", None, 12, b"QQ"]
)
def test_the_keyset_refuses_a_cursor_that_is_no_text_of_its_alphabet(db, after):
    keyset = Keyset(Event.objects.order_by("starts_at", "id"), "EventConnection")

    with pytest.raises(InvalidCursor):
        keyset.values(after)


def test_the_keyset_reads_cursors_up_to_the_cursor_length_setting(event_factory, almaty, settings):
    event = event_at(event_factory, almaty, BASE)
    keyset = Keyset(Event.objects.order_by("starts_at", "id"), "EventConnection")
    cursor = keyset.cursor(event)
    settings.GRAPHQL_MAX_CURSOR_LENGTH = len(cursor)
    read = keyset.values(cursor)

    settings.GRAPHQL_MAX_CURSOR_LENGTH = len(cursor) - 1

    assert read == [event.starts_at, event.pk]
    with pytest.raises(InvalidCursor):
        keyset.values(cursor)


def test_the_keyset_reads_back_what_it_writes(event_factory, almaty):
    event = event_at(event_factory, almaty, BASE + 123_456 * MICROSECOND)
    keyset = Keyset(Event.objects.order_by("-starts_at", "-id"), "EventConnection")

    assert keyset.values(keyset.cursor(event)) == [event.starts_at, event.pk]


@pytest.mark.parametrize(
    "ordering",
    [("?",), ("host_city__name_en",), ("host_city",), ("-host_city_id", "twinning")],
)
def test_an_order_the_keyset_cannot_page_by_is_a_programming_error(db, ordering):
    with pytest.raises(ImproperlyConfigured):
        Keyset(Event.objects.order_by(*ordering), "EventConnection")


def test_an_order_without_the_primary_key_gets_it_and_ends_there(db):
    keyset = Keyset(City.objects.order_by("name_en", "pk", "country"), "CityConnection")

    assert [key.name for key in keyset.keys] == ["name_en", "id"]
    assert [key.name for key in Keyset(City.objects.all(), "CityConnection").keys] == [
        "name_en",
        "id",
    ]
