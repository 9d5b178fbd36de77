"""An event's registration link, price, accessibility notes and tags, as the services keep
them: what is refused with which code (writing nothing), how a price and "free" replace each
other, and what the history records of each."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from events import history, services
from events.error_codes import EventErrorCode
from events.models import Event, StateChange, Tag

pytestmark = pytest.mark.django_db


def codes(error: ValidationError) -> dict:
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


@pytest.fixture
def tags(db):
    return {
        slug: Tag.objects.create(slug=slug, name_en=name_en, name_ru=name_ru)
        for slug, name_en, name_ru in (
            ("music", "Music", "Музыка"),
            ("outdoors", "Outdoors", "На открытом воздухе"),
            ("for-children", "For children", "Для детей"),
        )
    }


@pytest.fixture
def draft(event_factory, office):
    return event_factory(office=office, host_city=office.city, status=Event.Status.DRAFT)


def changes_of_last(event) -> dict:
    record = StateChange.objects.filter(event=event).order_by("pk").last()
    return {
        change["field"]: (change["before"], change["after"]) for change in record.details["changes"]
    }


def test_an_event_is_created_with_its_details_and_they_are_recorded(office, editor, tags):
    event = services.create_event(
        editor,
        office,
        {
            "title_en": "Nauryz in the park",
            "category": Event.Category.CULTURAL,
            "starts_at": _soon(),
            "ends_at": _soon(hours=3),
            "timezone": "Asia/Aqtau",
            "venue_name": "Seaside park",
            "registration_url": "https://tickets.example.org/nauryz",
            "price_amount": Decimal("2500"),
            "price_currency": "kzt",
            "accessibility_en": "Step-free paths to every stage.",
            "accessibility_ru": "Ко всем сценам ведут дорожки без ступенек.",
            "tags": services.event_tags(["outdoors", "music"]),
        },
    )

    event.refresh_from_db()
    assert (event.price_amount, event.price_currency, event.is_free) == (
        Decimal("2500.00"),
        "KZT",
        False,
    )
    assert sorted(event.tags.values_list("slug", flat=True)) == ["music", "outdoors"]
    created = changes_of_last(event)
    assert created["registration_url"] == (None, "https://tickets.example.org/nauryz")
    assert created["price_amount"] == (None, "2500.00")
    assert created["price_currency"] == (None, "KZT")
    assert created["accessibility_ru"] == (None, "Ко всем сценам ведут дорожки без ступенек.")
    assert created["tags"] == (
        None,
        [
            {"id": tags["music"].pk, "label": "Music"},
            {"id": tags["outdoors"].pk, "label": "Outdoors"},
        ],
    )
    # A new event is not free unless it says so: nothing recorded of "free" then
    assert "is_free" not in created


def _soon(hours=0):
    return timezone.now() + datetime.timedelta(days=20, hours=hours)


def test_a_price_and_free_replace_each_other(draft, editor):
    services.update_event(editor, draft, {"price_amount": Decimal("12.5"), "price_currency": "USD"})
    draft.refresh_from_db()
    assert (draft.price_amount, draft.price_currency, draft.is_free) == (
        Decimal("12.50"),
        "USD",
        False,
    )

    # When the event is made free, its price goes
    services.update_event(editor, draft, {"is_free": True})
    draft.refresh_from_db()
    assert (draft.price_amount, draft.price_currency, draft.is_free) == (None, "", True)
    assert changes_of_last(draft) == {
        "price_amount": ("12.50", None),
        "price_currency": ("USD", ""),
        "is_free": (False, True),
    }

    # and when it is given a price again, it is no longer free
    services.update_event(editor, draft, {"price_amount": Decimal("3000"), "price_currency": "KZT"})
    draft.refresh_from_db()
    assert (draft.price_amount, draft.is_free) == (Decimal("3000.00"), False)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"price_amount": Decimal("0"), "price_currency": "KZT"},
            {"price_amount": ["INVALID_PRICE"]},
        ),
        (
            {"price_amount": Decimal("-5"), "price_currency": "KZT"},
            {"price_amount": ["INVALID_PRICE"]},
        ),
        (
            {"price_amount": Decimal("12.505"), "price_currency": "KZT"},
            {"price_amount": ["INVALID_PRICE"]},
        ),
        (
            {"price_amount": Decimal("1E+10"), "price_currency": "KZT"},
            {"price_amount": ["INVALID_PRICE"]},
        ),
        (
            {"price_amount": Decimal("NaN"), "price_currency": "KZT"},
            {"price_amount": ["INVALID_PRICE"]},
        ),
        (
            {"price_amount": Decimal("sNaN"), "price_currency": "KZT"},
            {"price_amount": ["INVALID_PRICE"]},
        ),
        (
            {"price_amount": Decimal("Infinity"), "price_currency": "KZT"},
            {"price_amount": ["INVALID_PRICE"]},
        ),
        (
            {"price_amount": Decimal("10"), "price_currency": "XYZ"},
            {"price_currency": ["INVALID_CURRENCY"]},
        ),
        (
            {"price_amount": Decimal("10"), "price_currency": "KZ"},
            {"price_currency": ["INVALID_CURRENCY"]},
        ),
        (
            {"price_amount": Decimal("10"), "price_currency": ""},
            {"price_currency": ["PRICE_INCOMPLETE"]},
        ),
        ({"price_currency": "KZT"}, {"price_amount": ["PRICE_INCOMPLETE"]}),
        (
            {"price_amount": Decimal("10"), "price_currency": "KZT", "is_free": True},
            {"is_free": ["FREE_WITH_PRICE"]},
        ),
        ({"registration_url": "http://tickets.example.org"}, {"registration_url": ["INVALID_URL"]}),
        ({"registration_url": "javascript:alert(1)"}, {"registration_url": ["INVALID_URL"]}),
    ],
)
def test_a_wrong_detail_is_refused_with_its_code_and_nothing_changes(draft, editor, data, expected):
    before = Event.objects.filter(pk=draft.pk).values().get()
    records = StateChange.objects.count()

    with pytest.raises(ValidationError) as refused:
        services.update_event(editor, draft, data)

    assert codes(refused.value) == expected
    assert Event.objects.filter(pk=draft.pk).values().get() == before
    assert StateChange.objects.count() == records


def test_tags_are_named_by_slug_and_unknown_or_too_many_are_refused(draft, editor, tags):
    with pytest.raises(ValidationError) as unknown:
        services.event_tags(["music", "jazz", "opera"])
    assert codes(unknown.value) == {"tags": [EventErrorCode.UNKNOWN_TAG]}
    assert unknown.value.messages == ["No tag is named jazz, opera."]

    many = [Tag.objects.create(slug=f"tag-{n}", name_en=f"Tag {n}") for n in range(11)]
    with pytest.raises(ValidationError) as too_many:
        services.update_event(editor, draft, {"tags": many})
    assert codes(too_many.value) == {"tags": [EventErrorCode.TOO_MANY_TAGS]}
    assert draft.tags.count() == 0

    # A slug given twice is one tag
    assert services.event_tags(["music", " music"]) == [tags["music"]]


def test_changing_the_tags_is_recorded_with_what_they_were(draft, editor, tags):
    services.update_event(editor, draft, {"tags": [tags["music"]]})
    records = StateChange.objects.count()

    # When the same tags are given again, nothing is recorded
    services.update_event(editor, draft, {"tags": [tags["music"]]})
    assert StateChange.objects.count() == records

    # When they change, the record holds them before and after
    services.update_event(editor, draft, {"tags": [tags["outdoors"], tags["for-children"]]})
    record = StateChange.objects.filter(event=draft).order_by("pk").last()
    assert record.details["fields"] == ["tags"]
    before, after = changes_of_last(draft)["tags"]
    assert before == [{"id": tags["music"].pk, "label": "Music"}]
    assert [item["label"] for item in after] == ["Outdoors", "For children"]
    # and reads in the admin in words
    assert history.display_lines(record, Event, "Asia/Aqtau") == [
        "Tags: Music → Outdoors, For children"
    ]

    # When they are all taken off
    services.update_event(editor, draft, {"tags": []})
    record = StateChange.objects.filter(event=draft).order_by("pk").last()
    assert history.display_lines(record, Event, "Asia/Aqtau") == [
        "Tags: Outdoors, For children → (empty)"
    ]


def test_the_price_and_link_read_in_words_in_the_history(draft, editor):
    services.update_event(
        editor,
        draft,
        {
            "price_amount": Decimal("2500"),
            "price_currency": "KZT",
            "registration_url": "https://tickets.example.org/a",
        },
    )
    record = StateChange.objects.filter(event=draft).order_by("pk").last()

    assert history.display_lines(record, Event, "Asia/Aqtau") == [
        "Registration link: (empty) → https://tickets.example.org/a",
        "Price: (empty) → 2500.00",
        "Currency: (empty) → KZT",
    ]


def test_a_translation_that_shows_nothing_is_kept_empty_for_english_to_show(draft, editor):
    services.update_event(
        editor, draft, {"accessibility_en": "Lift to every floor.", "accessibility_kk": "\u200b "}
    )

    draft.refresh_from_db()
    assert (draft.accessibility_en, draft.accessibility_kk) == ("Lift to every floor.", "")
