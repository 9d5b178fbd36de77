"""Malformed IDs in every argument that takes one: ``INVALID_ID`` naming the argument, never a
500, on SQLite and on PostgreSQL alike (a NUL byte or a number past the bigint range fails
differently on each, and must reach neither)."""

import base64

import pytest
from graphql_relay import to_global_id

from core.integers import MAX_BIGINT
from schema.core.ids import parse_id, primary_key, with_article

# IDs of the expected type spelling keys no row can have, and IDs that name no type at all.
MALFORMED = {
    "5,000 digits": lambda kind: to_global_id(kind, "9" * 5_000),
    "past bigint": lambda kind: to_global_id(kind, str(MAX_BIGINT + 1)),
    "20 digits": lambda kind: to_global_id(kind, "1" * 20),
    "negative": lambda kind: to_global_id(kind, "-1"),
    "NUL": lambda kind: to_global_id(kind, "\x00"),
    "NUL after a digit": lambda kind: to_global_id(kind, "1\x00"),
    "superscript two": lambda kind: to_global_id(kind, "²"),
    "Arabic-Indic one": lambda kind: to_global_id(kind, "١"),
    "space": lambda kind: to_global_id(kind, " 1"),
    "empty key": lambda kind: to_global_id(kind, ""),
    "another type": lambda kind: to_global_id("Language", "1"),
    "no type": lambda kind: to_global_id("", "1"),
    "not base64": lambda kind: "!!!",
    "empty": lambda kind: "",
    "not UTF-8": lambda kind: base64.b64encode(b"\xff\xfe:1").decode(),
    "long": lambda kind: "A" * 3_000,
    # Other spellings of a key that exists: an object has one ID.
    "a leading zero": lambda kind: to_global_id(kind, "01"),
    "a line break inside": lambda kind: (
        to_global_id(kind, "1")[:4] + "\n" + to_global_id(kind, "1")[4:]
    ),
    "a plus sign": lambda kind: to_global_id(kind, "+1"),
}

# Every query argument that takes an ID: the document, the type it names, the field reported.
ARGUMENTS = {
    "event(id)": ("query($id: ID!) { event(id: $id) { id } }", "Event", "id"),
    "node(id)": ("query($id: ID!) { node(id: $id) { id } }", "Event", "id"),
    "city(id)": ("query($id: ID) { city(id: $id) { id } }", "City", "id"),
    "twinning(id)": ("query($id: ID!) { twinning(id: $id) { id } }", "Twinning", "id"),
    "events(filter.city)": (
        "query($id: ID) { events(filter: {city: $id}) { totalCount } }",
        "City",
        "filter.city",
    ),
    "events(filter.twinning)": (
        "query($id: ID) { events(filter: {twinning: $id}) { totalCount } }",
        "Twinning",
        "filter.twinning",
    ),
    "events(filter.office)": (
        "query($id: ID) { events(filter: {office: $id}) { totalCount } }",
        "CityOffice",
        "filter.office",
    ),
    "twinnings(city)": ("query($id: ID) { twinnings(city: $id) { totalCount } }", "City", "city"),
    "announcements(city)": (
        "query($id: ID) { announcements(city: $id) { totalCount } }",
        "City",
        "city",
    ),
    "announcements(twinning)": (
        "query($id: ID) { announcements(twinning: $id) { totalCount } }",
        "Twinning",
        "twinning",
    ),
}


@pytest.mark.parametrize("spelling", MALFORMED)
@pytest.mark.parametrize("argument", ARGUMENTS)
def test_a_malformed_id_is_invalid_id_naming_the_argument(gql, db, argument, spelling):
    document, kind, field = ARGUMENTS[argument]
    result = gql(document, {"id": MALFORMED[spelling](kind)})

    assert result["errors"][0]["extensions"] == {"code": "INVALID_ID", "field": field}, result


@pytest.mark.parametrize("spelling", MALFORMED)
def test_a_malformed_partner_id_is_invalid_id(gql, twinning_factory, spelling):
    twinning = twinning_factory()
    document = "query($id: ID!, $of: ID!) { twinning(id: $id) { partner(of: $of) { id } } }"

    result = gql(
        document, {"id": to_global_id("Twinning", twinning.pk), "of": MALFORMED[spelling]("City")}
    )

    assert result["errors"][0]["extensions"] == {"code": "INVALID_ID", "field": "of"}


RSVP = """
mutation($event: ID!) { rsvpSet(event: $event, status: GOING) { errors { field code message } } }
"""


@pytest.mark.parametrize("spelling", MALFORMED)
def test_a_malformed_id_in_a_mutation_is_a_field_error(gql, user_factory, spelling):
    global_id = MALFORMED[spelling]("Event")

    result = gql(RSVP, {"event": global_id}, user=user_factory())

    if len(global_id) > 256:
        # Too long to be anyone's ID: refused with every other over-long argument, before the
        # mutation runs, with the same code and field.
        assert result["data"] == {"rsvpSet": None}
        assert result["errors"][0]["extensions"] == {"code": "INVALID_ID", "field": "event"}
        return
    assert "errors" not in result, result
    (error,) = result["data"]["rsvpSet"]["errors"]
    assert error["field"] == "event"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("42", 42),
        (str(MAX_BIGINT), MAX_BIGINT),
        (str(MAX_BIGINT + 1), None),
        ("0" * 20, None),
        ("9" * 5_000, None),
        ("-1", None),
        ("²", None),
        ("", None),
        ("1\x00", None),
        (None, None),
        (17, None),
    ],
)
def test_a_primary_key_is_ascii_digits_within_bigint(text, expected):
    assert primary_key(text) == expected


@pytest.mark.parametrize("global_id", [None, 17, ["RXZlbnQ6MQ=="]])
def test_an_id_that_is_not_text_names_nothing(global_id):
    assert parse_id(global_id, "Event") is None


@pytest.mark.parametrize(
    ("type_name", "words"),
    [
        ("Event", "an Event"),
        ("Announcement", "an Announcement"),
        ("Office", "an Office"),
        ("Image", "an Image"),
        ("Update", "an Update"),
        ("Unanswered", "an Unanswered"),
        ("City", "a City"),
        ("CityOffice", "a CityOffice"),
        ("ChatMessage", "a ChatMessage"),
        ("Twinning", "a Twinning"),
        ("User", "a User"),
        ("Unit", "a Unit"),
        ("European", "a European"),
        ("OneTimeCode", "a OneTimeCode"),
        ("Hour", "an Hour"),
        ("FCMToken", "an FCMToken"),
        ("URL", "a URL"),
    ],
)
def test_a_type_is_named_with_the_article_its_sound_takes(type_name, words):
    assert with_article(type_name) == words


@pytest.mark.parametrize(
    ("document", "words"),
    [
        (RSVP, "an Event"),
        (
            "mutation($event: ID!) { announcementReport(announcement: $event, reason: SPAM) { "
            "errors { field code message } } }",
            "an Announcement",
        ),
    ],
)
def test_an_id_of_another_type_is_refused_naming_the_type_with_its_article(
    gql, user_factory, document, words
):
    # Given the ID of a city where another type's is expected
    wrong = to_global_id("City", "1")

    result = gql(document, {"event": wrong}, user=user_factory())

    (payload,) = result["data"].values()
    assert payload["errors"][0]["message"] == f"{wrong!r} is not the ID of {words}."
