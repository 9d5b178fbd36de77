"""The API of an event's registration link, price, accessibility notes and tags, and of the
waitlist: set through eventCreate / eventUpdate with coded errors, read in the request's
language, the vocabulary of tags, the events filtered by tags (any or all) page by page, and
rsvpSet joining and leaving the waitlist with the viewer's place in it."""

import datetime

import pytest
from django.utils import timezone
from graphql_relay import to_global_id

from events import services
from events.models import Event, Rsvp, Tag

ERRORS = "errors { field code message }"
DETAILS = """
  registrationUrl isFree accessibility price { amount currency }
  tags { id slug name }
"""
CREATE = f"""
mutation($input: EventCreateInput!) {{
  eventCreate(input: $input) {{ event {{ {DETAILS} }} {ERRORS} }}
}}
"""
UPDATE = f"""
mutation($id: ID!, $input: EventUpdateInput!) {{
  eventUpdate(id: $id, input: $input) {{ event {{ {DETAILS} }} {ERRORS} }}
}}
"""
EVENT = f"query($id: ID!) {{ event(id: $id) {{ {DETAILS} }} }}"
TAGS = "{ tags { slug name } }"
EVENTS = """
query($tags: [String!], $match: TagsMatch, $first: Int, $after: String) {
  events(filter: {tags: $tags, tagsMatch: $match}, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { title tags { slug } } }
  }
}
"""
RSVP = """
mutation($event: ID!, $status: RsvpStatus!) {
  rsvpSet(event: $event, status: $status) {
    event { attendeeCount waitlistCount viewerRsvp viewerWaitlistPosition }
    errors { field code message }
  }
}
"""
HISTORY = """
query($id: ID!) { event(id: $id) { history { action changes { field before after } } } }
"""


@pytest.fixture
def tags(db):
    return {
        slug: Tag.objects.create(slug=slug, name_en=en, name_ru=ru, name_kk=kk)
        for slug, en, ru, kk in (
            ("music", "Music", "Музыка", "Музыка"),
            ("outdoors", "Outdoors", "На открытом воздухе", "Ашық аспан астында"),
            ("for-children", "For children", "Для детей", ""),
        )
    }


@pytest.fixture
def draft(event_factory, office):
    return event_factory(office=office, host_city=office.city, status=Event.Status.DRAFT)


def gid(obj) -> str:
    return to_global_id(type(obj).__name__, obj.pk)


def soon(days=20, hours=0) -> str:
    return (timezone.now() + datetime.timedelta(days=days, hours=hours)).isoformat()


# --- Setting and reading -------------------------------------------------------------------


def test_an_office_creates_an_event_with_its_details_read_in_the_readers_language(
    gql, editor, office, tags
):
    result = gql(
        CREATE,
        {
            "input": {
                "office": gid(office),
                "title": {"en": "Nauryz in the park"},
                "category": "CULTURAL",
                "startsAt": soon(),
                "endsAt": soon(hours=3),
                "timeZone": "Asia/Aqtau",
                "venueName": "Seaside park",
                "registrationUrl": " https://tickets.example.org/nauryz ",
                "price": {"amount": "2500", "currency": "kzt"},
                "accessibility": {"en": "Step-free paths.", "ru": "Дорожки без ступенек."},
                "tags": ["outdoors", "music"],
            }
        },
        user=editor,
        language="ru",
    )["data"]["eventCreate"]

    assert result["errors"] == []
    assert result["event"] == {
        "registrationUrl": "https://tickets.example.org/nauryz",
        "isFree": False,
        "accessibility": "Дорожки без ступенек.",
        "price": {"amount": "2500.00", "currency": "KZT"},
        "tags": [
            {"id": gid(tags["music"]), "slug": "music", "name": "Музыка"},
            {"id": gid(tags["outdoors"]), "slug": "outdoors", "name": "На открытом воздухе"},
        ],
    }


def test_an_event_without_details_reads_as_not_stated(gql, event_factory):
    event = event_factory()

    assert gql(EVENT, {"id": gid(event)})["data"]["event"] == {
        "registrationUrl": None,
        "isFree": False,
        "accessibility": "",
        "price": None,
        "tags": [],
    }


def test_untranslated_notes_and_names_fall_back_to_english(gql, event_factory, tags):
    event = event_factory(accessibility_en="Lift to every floor.")
    event.tags.set([tags["for-children"]])

    read = gql(EVENT, {"id": gid(event)}, language="kk")["data"]["event"]

    assert read["accessibility"] == "Lift to every floor."
    assert read["tags"][0]["name"] == "For children"


def test_free_and_a_price_replace_each_other_and_null_clears(gql, editor, draft, tags):
    def update(values):
        return gql(UPDATE, {"id": gid(draft), "input": values}, user=editor)["data"]["eventUpdate"]

    priced = update({"price": {"amount": "12.5", "currency": "USD"}, "tags": ["music"]})
    assert priced["event"]["price"] == {"amount": "12.50", "currency": "USD"}

    free = update({"isFree": True})
    assert (free["event"]["isFree"], free["event"]["price"]) == (True, None)

    cleared = update({"isFree": False, "registrationUrl": None, "tags": []})
    assert cleared["errors"] == []
    assert cleared["event"] == {
        "registrationUrl": None,
        "isFree": False,
        "accessibility": "",
        "price": None,
        "tags": [],
    }


def test_the_vocabulary_is_listed_by_slug_in_the_readers_language(gql, tags):
    assert gql(TAGS, language="kk")["data"]["tags"] == [
        {"slug": "for-children", "name": "For children"},
        {"slug": "music", "name": "Музыка"},
        {"slug": "outdoors", "name": "Ашық аспан астында"},
    ]


def test_the_history_gives_the_tags_as_their_ids(gql, editor, draft, tags):
    services.update_event(editor, draft, {"tags": [tags["music"], tags["outdoors"]]})

    history = gql(HISTORY, {"id": gid(draft)}, user=editor)["data"]["event"]["history"]

    assert history[-1]["changes"] == [
        {
            "field": "tags",
            "before": None,
            "after": f"{gid(tags['music'])}, {gid(tags['outdoors'])}",
        }
    ]


# --- Errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field", "code"),
    [
        ({"registrationUrl": "http://tickets.example.org"}, "registrationUrl", "INVALID_URL"),
        ({"registrationUrl": "tickets.example.org"}, "registrationUrl", "INVALID_URL"),
        ({"registrationUrl": "https://example.org/" + "a" * 490}, "registrationUrl", "TOO_LONG"),
        ({"price": {"amount": "0", "currency": "KZT"}}, "price.amount", "INVALID_PRICE"),
        ({"price": {"amount": "-1", "currency": "KZT"}}, "price.amount", "INVALID_PRICE"),
        ({"price": {"amount": "0.001", "currency": "KZT"}}, "price.amount", "INVALID_PRICE"),
        ({"price": {"amount": "1e400", "currency": "KZT"}}, "price.amount", "INVALID_PRICE"),
        ({"price": {"amount": "NaN", "currency": "KZT"}}, "price.amount", "INVALID_PRICE"),
        ({"price": {"amount": "-Infinity", "currency": "KZT"}}, "price.amount", "INVALID_PRICE"),
        ({"price": {"amount": "10", "currency": "ABC"}}, "price.currency", "INVALID_CURRENCY"),
        ({"price": {"amount": "10", "currency": ""}}, "price.currency", "PRICE_INCOMPLETE"),
        (
            {"price": {"amount": "10", "currency": "KZT"}, "isFree": True},
            "isFree",
            "FREE_WITH_PRICE",
        ),
        ({"tags": ["music", "opera"]}, "tags", "UNKNOWN_TAG"),
        ({"tags": [f"tag-{n}" for n in range(11)]}, "tags", "TOO_MANY_TAGS"),
        ({"accessibility": {"en": "x" * 100_001}}, "accessibility.en", "TOO_LONG"),
    ],
)
def test_wrong_details_are_refused_with_a_code_and_write_nothing(
    gql, editor, draft, tags, values, field, code
):
    before = Event.objects.filter(pk=draft.pk).values().get()

    result = gql(UPDATE, {"id": gid(draft), "input": values}, user=editor)

    if "errors" in result:  # refused before the mutation ran: the API's own limits
        assert result["errors"][0]["extensions"]["code"] == code
        assert result["errors"][0]["extensions"]["field"].endswith(field)
    else:
        payload = result["data"]["eventUpdate"]
        assert payload["event"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]
    assert Event.objects.filter(pk=draft.pk).values().get() == before
    assert draft.tags.count() == 0


@pytest.mark.parametrize("amount", ["twelve", True, False, [12], {"amount": 12}])
def test_an_amount_that_is_no_number_is_refused_before_anything_runs(gql, editor, draft, amount):
    # true is no price of 1.
    result = gql(
        UPDATE,
        {"id": gid(draft), "input": {"price": {"amount": amount, "currency": "KZT"}}},
        user=editor,
    )

    assert result.get("data") is None
    assert "Decimal" in result["errors"][0]["message"]
    assert result["errors"][0]["extensions"]["code"]


@pytest.mark.parametrize("amount", [19.99, 0.1, 2500.75])
def test_an_amount_sent_as_a_json_number_with_two_decimals_is_taken_as_written(
    gql, editor, draft, amount
):
    # A client whose Decimal scalar is mapped to a floating-point type sends 19.99 as a
    # JSON number: it has two decimals, as the rule asks, and is the price meant.
    payload = gql(
        UPDATE,
        {"id": gid(draft), "input": {"price": {"amount": amount, "currency": "USD"}}},
        user=editor,
    )["data"]["eventUpdate"]

    assert payload["errors"] == []
    assert payload["event"]["price"] == {"amount": f"{amount:.2f}", "currency": "USD"}


def test_an_amount_written_in_the_document_as_a_number_with_decimals_is_taken(gql, editor, draft):
    # 100 is taken written in the document; 19.99 is as much a number.
    document = (
        "mutation($id: ID!) { eventUpdate(id: $id, input: {price: "
        '{amount: 19.99, currency: "USD"}}) { event { price { amount } } errors { code } } }'
    )

    result = gql(document, {"id": gid(draft)}, user=editor)

    assert "errors" not in result, result["errors"]
    assert result["data"]["eventUpdate"]["event"]["price"] == {"amount": "19.99"}


@pytest.mark.parametrize("amount", [float("nan"), float("inf"), float("-inf"), 1e300])
def test_a_json_number_that_is_no_price_is_refused_as_the_same_string_is(
    gql, editor, draft, amount
):
    # NaN and Infinity are JSON numbers to Python's reader; each is refused with the code a
    # string "NaN" or "Infinity" gets.
    payload = gql(
        UPDATE,
        {"id": gid(draft), "input": {"price": {"amount": amount, "currency": "USD"}}},
        user=editor,
    )["data"]["eventUpdate"]

    assert payload["event"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("price.amount", "INVALID_PRICE")
    ]


@pytest.mark.parametrize(
    ("literal", "code"),
    [("12.505", "INVALID_PRICE"), ("1e400", "INVALID_PRICE"), ("true", None)],
)
def test_a_number_in_the_document_is_read_from_its_text(gql, editor, draft, literal, code):
    # 12.505 as a double is 12.50499…; as written it has three decimals, which is refused.
    document = (
        "mutation($id: ID!) { eventUpdate(id: $id, input: {price: "
        f'{{amount: {literal}, currency: "USD"}}}}) {{ event {{ id }} errors {{ field code }} }} }}'
    )

    result = gql(document, {"id": gid(draft)}, user=editor)

    if code is None:
        assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "Decimal" in result["errors"][0]["message"]
    else:
        assert result["data"]["eventUpdate"]["errors"] == [{"field": "price.amount", "code": code}]


# --- The filter ----------------------------------------------------------------------------


@pytest.fixture
def tagged(event_factory, tags):
    """Twelve events a day apart: music on the even days, outdoors on every third."""
    start = timezone.now() + datetime.timedelta(days=1)
    events = []
    for day in range(12):
        event = event_factory(
            title_en=f"Day {day}",
            starts_at=start + datetime.timedelta(days=day),
            ends_at=start + datetime.timedelta(days=day, hours=2),
        )
        event.tags.set(
            [tags[slug] for slug, every in (("music", 2), ("outdoors", 3)) if day % every == 0]
        )
        events.append(event)
    return events


def walk(gql, variables, first=2) -> list[str]:
    """Every title of the list, page after page (from ``variables["after"]`` if given)."""
    variables = dict(variables)
    titles, after = [], variables.pop("after", None)
    while True:
        page = gql(EVENTS, {**variables, "first": first, "after": after})["data"]["events"]
        titles += [edge["node"]["title"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return titles
        after = page["pageInfo"]["endCursor"]


def test_tags_filter_any_of_them_by_default_page_by_page(gql, tagged):
    titles = walk(gql, {"tags": ["music", "outdoors"]})

    # Each event once (day 0 and 6 carry both), in start order
    assert titles == [f"Day {day}" for day in (0, 2, 3, 4, 6, 8, 9, 10)]
    assert gql(EVENTS, {"tags": ["music", "outdoors"]})["data"]["events"]["totalCount"] == 8


def test_tags_filter_all_of_them_page_by_page(gql, tagged):
    assert walk(gql, {"tags": ["music", "outdoors"], "match": "ALL"}, first=1) == [
        "Day 0",
        "Day 6",
    ]
    assert walk(gql, {"tags": ["outdoors"], "match": "ALL"}) == [
        f"Day {day}" for day in (0, 3, 6, 9)
    ]


def test_an_event_added_between_pages_is_neither_repeated_nor_skipped(
    gql, tagged, tags, event_factory
):
    first = gql(EVENTS, {"tags": ["music"], "first": 3})["data"]["events"]
    # An event starting before the first page's end, and one after it
    early = event_factory(title_en="Early", starts_at=tagged[1].starts_at)
    late = event_factory(title_en="Late", starts_at=tagged[11].starts_at)
    early.tags.set([tags["music"]])
    late.tags.set([tags["music"]])

    rest = walk(gql, {"tags": ["music"], "after": first["pageInfo"]["endCursor"]})

    assert [edge["node"]["title"] for edge in first["edges"]] == ["Day 0", "Day 2", "Day 4"]
    assert rest == ["Day 6", "Day 8", "Day 10", "Late"]


def test_an_empty_list_of_tags_filters_nothing(gql, tagged):
    assert gql(EVENTS, {"tags": []})["data"]["events"]["totalCount"] == 12


@pytest.mark.parametrize(
    ("slugs", "code"),
    [(["music", "jazz"], "UNKNOWN_TAG"), ([f"tag-{n}" for n in range(11)], "TOO_MANY_TAGS")],
)
def test_a_wrong_tag_filter_is_a_coded_error(gql, tagged, slugs, code):
    result = gql(EVENTS, {"tags": slugs})

    assert result["data"] is None
    assert result["errors"][0]["extensions"] == {"code": code, "field": "filter.tags"}


# --- The waitlist --------------------------------------------------------------------------


def rsvp(gql, user, event, status) -> dict:
    result = gql(RSVP, {"event": gid(event), "status": status}, user=user)
    assert "errors" not in result, result
    return result["data"]["rsvpSet"]


def test_the_waitlist_through_the_api(gql, event_factory, user_factory):
    event = event_factory(capacity=1)
    holder, first, second = user_factory(), user_factory(), user_factory()
    assert rsvp(gql, holder, event, "WAITLISTED")["event"] == {
        "attendeeCount": 1,
        "waitlistCount": 0,
        "viewerRsvp": "GOING",
        "viewerWaitlistPosition": None,
    }

    # When two more ask to wait for a place, they are in line, in order
    rsvp(gql, first, event, "WAITLISTED")
    assert rsvp(gql, second, event, "WAITLISTED")["event"] == {
        "attendeeCount": 1,
        "waitlistCount": 2,
        "viewerRsvp": "WAITLISTED",
        "viewerWaitlistPosition": 2,
    }
    # and going instead is refused
    assert rsvp(gql, second, event, "GOING")["errors"][0]["code"] == "EVENT_FULL"

    # When the holder withdraws, the first in line has the place; the second moves up
    rsvp(gql, holder, event, "NONE")
    me = "query($id: ID!) { event(id: $id) { viewerRsvp viewerWaitlistPosition } }"
    assert gql(me, {"id": gid(event)}, user=first)["data"]["event"] == {
        "viewerRsvp": "GOING",
        "viewerWaitlistPosition": None,
    }
    assert gql(me, {"id": gid(event)}, user=second)["data"]["event"] == {
        "viewerRsvp": "WAITLISTED",
        "viewerWaitlistPosition": 1,
    }

    # When the second leaves the line, nobody waits
    assert rsvp(gql, second, event, "NONE")["event"]["waitlistCount"] == 0
    assert Rsvp.objects.filter(event=event, status=Rsvp.Status.WAITLISTED).count() == 0


def test_the_viewer_sees_where_they_wait_in_their_own_list(gql, event_factory, user_factory):
    event = event_factory(capacity=1)
    services.set_rsvp(user_factory(), event, Rsvp.Status.GOING)
    waiting = user_factory()
    services.set_rsvp(waiting, event, Rsvp.Status.WAITLISTED)

    mine = gql(
        "{ me { rsvps { status event { viewerWaitlistPosition waitlistCount } } } }", user=waiting
    )["data"]["me"]["rsvps"]

    assert mine == [
        {"status": "WAITLISTED", "event": {"viewerWaitlistPosition": 1, "waitlistCount": 1}}
    ]


def test_signed_out_nobody_waits(gql, event_factory):
    event = event_factory(capacity=1)

    read = gql(
        "query($id: ID!) { event(id: $id) { viewerRsvp viewerWaitlistPosition } }",
        {"id": gid(event)},
    )["data"]["event"]

    assert read == {"viewerRsvp": "NONE", "viewerWaitlistPosition": None}
