"""Text that shows nothing counts as empty wherever text is required or trimmed: titles,
translations, reasons, device tokens, display names; real text is kept as written."""

import pytest
from django.urls import reverse
from graphql_relay import to_global_id

from accounts.models import Device
from cities.models import OfficeMembership
from cities.staff import office_staff_group
from events.models import Announcement, Event, StateChange
from tests.events.test_time_window import add_event_form
from tests.factories import MembershipFactory
from tests.schema.test_publishing import valid_input

ERRORS = "errors { field code message }"
CREATE = f"""
mutation($input: EventCreateInput!) {{
  eventCreate(input: $input) {{ event {{ id title }} {ERRORS} }}
}}
"""
TITLE_IN = "query($id: ID!) { event(id: $id) { title } }"
CANCEL = f"""
mutation($id: ID!, $reason: String) {{
  eventCancel(id: $id, reason: $reason) {{ event {{ cancellationReason }} {ERRORS} }}
}}
"""
POST = f"""
mutation($input: AnnouncementCreateInput!) {{
  announcementCreate(input: $input) {{ announcement {{ title }} {ERRORS} }}
}}
"""
REGISTER = f"""
mutation($token: String!) {{
  deviceRegister(token: $token, platform: ANDROID) {{ device {{ platform }} {ERRORS} }}
}}
"""
ZWSP = "\u200b"
URDU = "\u200fکراچی\u200c میں جشن!\u200f"


@pytest.fixture
def publisher(office):
    return MembershipFactory(office=office, role=OfficeMembership.Role.PUBLISHER).user


def payload(result, name):
    assert "errors" not in result, result
    return result["data"][name]


def fields_and_codes(errors) -> list[tuple]:
    return [(error["field"], error["code"]) for error in errors]


@pytest.mark.parametrize("title", [ZWSP, "\u2060\ufeff \u200e", "\u3164"])
def test_an_event_title_of_invisible_characters_is_required(gql, office, publisher, title):
    data = valid_input(office, title={"en": title})

    created = payload(gql(CREATE, {"input": data}, user=publisher), "eventCreate")

    assert fields_and_codes(created["errors"]) == [("title.en", "REQUIRED")]
    assert not Event.objects.exists()
    assert not StateChange.objects.exists()


def test_an_invisible_translation_falls_back_to_english(gql, office, publisher):
    data = valid_input(office, title={"en": "Jazz night", "ur": ZWSP, "kk": "Джаз кеші"})
    created = payload(gql(CREATE, {"input": data}, user=publisher), "eventCreate")
    event_id = created["event"]["id"]

    in_urdu = gql(TITLE_IN, {"id": event_id}, language="ur", user=publisher)
    in_kazakh = gql(TITLE_IN, {"id": event_id}, language="kk", user=publisher)

    assert in_urdu["data"]["event"]["title"] == "Jazz night"
    assert in_kazakh["data"]["event"]["title"] == "Джаз кеші"
    assert Event.objects.get().title_ur == ""


def test_an_urdu_title_keeps_its_marks(gql, office, publisher):
    data = valid_input(office, title={"en": "Festival", "ur": f" {URDU}{ZWSP} "})

    created = payload(gql(CREATE, {"input": data}, user=publisher), "eventCreate")

    assert created["errors"] == []
    assert Event.objects.get().title_ur == URDU


def test_an_invisible_cancellation_reason_is_none(gql, event_factory, office, publisher):
    event = event_factory(office=office, host_city=office.city)

    result = gql(CANCEL, {"id": to_global_id("Event", event.pk), "reason": ZWSP}, user=publisher)

    assert payload(result, "eventCancel")["event"] == {"cancellationReason": ""}


def test_an_announcement_of_invisible_characters_is_required(gql, office, publisher):
    data = {
        "office": to_global_id("CityOffice", office.pk),
        "title": {"en": ZWSP},
        "body": {"en": "\u200d\u200c"},
    }

    posted = payload(gql(POST, {"input": data}, user=publisher), "announcementCreate")

    assert sorted(fields_and_codes(posted["errors"])) == [
        ("body.en", "REQUIRED"),
        ("title.en", "REQUIRED"),
    ]
    assert not Announcement.objects.exists()


def test_an_invisible_device_token_is_refused(gql, user_factory):
    ada = user_factory()

    registered = payload(gql(REGISTER, {"token": f"{ZWSP}\u2060"}, user=ada), "deviceRegister")

    assert fields_and_codes(registered["errors"]) == [("token", "INVALID_DEVICE_TOKEN")]
    assert not Device.objects.exists()


def test_the_admin_keeps_an_invisible_display_name_as_none(client, user_factory):
    client.force_login(user_factory(is_staff=True, is_superuser=True))
    ada = user_factory(display_name="Ada")
    data = {
        "email": ada.email,
        "display_name": f"{ZWSP}{ZWSP}",
        "language": "en",
        "time_zone": "UTC",
        "muted_categories": "[]",
        "is_active": "on",
    }

    response = client.post(reverse("admin:accounts_user_change", args=[ada.pk]), data)

    assert response.status_code == 302, response.content
    ada.refresh_from_db()
    assert ada.display_name == ""


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("query($s: String) { cities(search: $s) { totalCount } }", "cities"),
        (
            "query($s: String) { events(filter: {search: $s}) { totalCount } }",
            "events",
        ),
    ],
)
def test_a_search_of_invisible_characters_is_no_search(gql, event_factory, query, name):
    event_factory(title_en="Jazz night")

    def count(search):
        return gql(query, {"s": search})["data"][name]["totalCount"]

    assert count(f"{ZWSP}\u2060 ") == count("") > 0


def test_the_admin_refuses_an_event_title_of_invisible_characters(client, office):
    editor = MembershipFactory(
        office=office, role=OfficeMembership.Role.EDITOR, user__is_staff=True
    ).user
    editor.groups.add(office_staff_group())
    client.force_login(editor)
    data = add_event_form(office, ("2031-05-04", "19:00:00"), ("2031-05-04", "22:00:00"))
    data["title_en"] = f"{ZWSP}\u2060"

    response = client.post(reverse("admin:events_event_add"), data)

    assert response.status_code == 200
    assert "title_en" in response.context["adminform"].form.errors
    assert not Event.objects.exists()
