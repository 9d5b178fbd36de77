"""The API's reasons stay in English whatever Accept-Language says: the services mark them for
the admin's translations (gettext_noop), which the API does not use."""

import datetime

import pytest
from django.utils import timezone, translation
from graphql_relay import to_global_id

from cities.models import OfficeMembership
from events.models import Event
from tests.factories import MembershipFactory

ERRORS = "errors { field code message }"
ANNOUNCE = f"mutation($id: ID!) {{ eventAnnounce(id: $id) {{ event {{ status }} {ERRORS} }} }}"
POSTPONE = f"""
mutation($id: ID!, $s: DateTime!, $e: DateTime!) {{
  eventPostpone(id: $id, newStartsAt: $s, newEndsAt: $e) {{ event {{ status }} {ERRORS} }}
}}
"""
LANGUAGES = "{ languages { code name englishName direction } }"


@pytest.fixture(autouse=True)
def language_left_as_found():
    """The requests here activate other languages in this thread; later tests start in the
    language this one started in."""
    with translation.override(translation.get_language()):
        yield


@pytest.fixture
def office(office_factory):
    return office_factory(city__timezone="Asia/Aqtau")


@pytest.fixture
def publisher(office):
    return MembershipFactory(office=office, role=OfficeMembership.Role.PUBLISHER).user


@pytest.mark.parametrize("language", ["ru", "kk", "ur"])
def test_a_service_refusal_is_english_in_every_language(
    gql, event_factory, office, publisher, language
):
    event = event_factory(office=office, host_city=office.city, status=Event.Status.CANCELLED)

    result = gql(ANNOUNCE, {"id": to_global_id("Event", event.pk)}, language, user=publisher)

    assert result["data"]["eventAnnounce"]["errors"] == [
        {
            "field": None,
            "code": "EVENT_CANCELLED",
            "message": "A cancelled event cannot be announced.",
        }
    ]


@pytest.mark.parametrize("language", ["ru", "ur"])
def test_a_field_reason_is_english_in_every_language(
    gql, event_factory, office, publisher, language
):
    event = event_factory(office=office, host_city=office.city, status=Event.Status.ANNOUNCED)
    start = timezone.now() + datetime.timedelta(days=5)
    variables = {
        "id": to_global_id("Event", event.pk),
        "s": start.isoformat(),
        "e": (start - datetime.timedelta(hours=1)).isoformat(),
    }

    result = gql(POSTPONE, variables, language, user=publisher)

    assert result["data"]["eventPostpone"]["errors"] == [
        {
            "field": "newEndsAt",
            "code": "END_BEFORE_START",
            "message": "The new end must come after the new start.",
        }
    ]


def test_the_languages_keep_their_english_names_in_urdu(gql):
    result = gql(LANGUAGES, language="ur")

    assert result["data"]["languages"][3] == {
        "code": "ur",
        "name": "اردو",
        "englishName": "Urdu",
        "direction": "RTL",
    }
