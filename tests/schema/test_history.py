"""The history of events and announcements in the API: each record's changes, field by field
with the values before and after as the API shows them, for the offices only."""

import datetime

import pytest
from graphql_relay import to_global_id

from cities.models import OfficeMembership
from events import services
from events.models import Event, StateChange
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

Role = OfficeMembership.Role
UTC = datetime.UTC
CHANGES = "changes { field before after recorded }"
EVENT = f"""
query($id: ID!) {{ event(id: $id) {{ history {{ action actorName {CHANGES} }} }} }}
"""
ANNOUNCEMENT = f"""
query($id: ID!) {{
  node(id: $id) {{ ... on Announcement {{ title history {{ action actorName {CHANGES} }} }} }}
}}
"""
ANNOUNCEMENTS = f"""
query {{
  announcements(first: 3) {{ edges {{ node {{ title history {{ action {CHANGES} }} }} }} }}
}}
"""


@pytest.fixture
def event(event_factory, office):
    return event_factory(
        office=office,
        host_city=office.city,
        title_en="Caspian night",
        timezone="Asia/Aqtau",
        starts_at=datetime.datetime(2031, 5, 4, 14, 0, tzinfo=UTC),
        ends_at=datetime.datetime(2031, 5, 4, 16, 0, tzinfo=UTC),
    )


@pytest.fixture
def news(publisher, office):
    news = services.create_announcement(
        publisher, office, {"title_en": "Ferry to Baku", "body_en": "Sails on Friday."}
    )
    services.update_announcement(publisher, news, {"body_en": "Sails on Saturday."})
    return news


def change(field, before, after, recorded=True) -> dict:
    return {"field": field, "before": before, "after": after, "recorded": recorded}


def test_an_events_history_gives_each_field_before_and_after(
    gql, publisher, event, twinning_factory
):
    # Given an edit of the title in Kazakh, the category, the start, the zone and the twinning
    twinning = twinning_factory(city_a=event.host_city)
    services.update_event(
        publisher,
        event,
        {
            "title_kk": "Каспий кеші",
            "category": Event.Category.SPORTS,
            "starts_at": datetime.datetime(
                2031, 5, 4, 20, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=5))
            ),
            "timezone": "Asia/Almaty",
            "twinning": twinning,
        },
    )

    # When its office reads the history
    result = gql(EVENT, {"id": to_global_id("Event", event.pk)}, user=publisher)

    # Then each field is named as the API names it, its values as the API shows them
    (edit,) = result["data"]["event"]["history"]
    assert edit["action"] == "UPDATED"
    assert edit["actorName"] == str(publisher)
    assert edit["changes"] == [
        change("title.kk", None, "Каспий кеші"),
        change("category", "CULTURAL", "SPORTS"),
        change("startsAt", "2031-05-04T14:00:00+00:00", "2031-05-04T15:00:00+00:00"),
        change("timeZone", "Asia/Aqtau", "Asia/Almaty"),
        change("twinning", None, to_global_id("Twinning", twinning.pk)),
    ]


def test_a_record_written_before_values_were_kept_says_so(gql, publisher, event):
    StateChange.objects.create(
        event=event,
        subject_title=event.title_en,
        action=StateChange.Action.UPDATED,
        details={"fields": ["timezone"]},
    )

    result = gql(EVENT, {"id": to_global_id("Event", event.pk)}, user=publisher)

    (old,) = result["data"]["event"]["history"]
    assert old["changes"] == [change("timeZone", None, None, recorded=False)]


def test_an_announcements_history_is_read_by_its_offices_publishers(gql, publisher, news):
    result = gql(ANNOUNCEMENT, {"id": to_global_id("Announcement", news.pk)}, user=publisher)

    assert "errors" not in result, result
    posted, edited = result["data"]["node"]["history"]
    assert posted["action"] == "PUBLISHED"
    assert posted["actorName"] == str(publisher)
    assert posted["changes"][:2] == [
        change("title.en", None, "Ferry to Baku"),
        change("body.en", None, "Sails on Friday."),
    ]
    assert posted["changes"][2]["field"] == "publishedAt"
    assert posted["changes"][2]["after"].endswith("+00:00")
    assert edited["action"] == "UPDATED"
    assert edited["changes"] == [change("body.en", "Sails on Friday.", "Sails on Saturday.")]


@pytest.mark.parametrize("who", ["anonymous", "app user", "editor", "other office's publisher"])
def test_an_announcements_history_is_denied_to_everyone_else(
    gql, news, editor, user_factory, office_factory, who
):
    other = MembershipFactory(office=office_factory(), role=Role.PUBLISHER).user
    user = {
        "anonymous": None,
        "app user": user_factory(),
        "editor": editor,
        "other office's publisher": other,
    }[who]

    result = gql(ANNOUNCEMENT, {"id": to_global_id("Announcement", news.pk)}, user=user)

    # the announcement itself is public, its history is not
    assert result["data"] is None or result["data"]["node"] is None
    assert result["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert result["errors"][0]["path"] == ["node", "history"]


@pytest.mark.parametrize("who", ["anonymous", "other office's publisher"])
def test_an_events_history_is_denied_to_everyone_else(gql, event, office_factory, who):
    user = None
    if who != "anonymous":
        user = MembershipFactory(office=office_factory(), role=Role.PUBLISHER).user

    result = gql(EVENT, {"id": to_global_id("Event", event.pk)}, user=user)

    assert result["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert result["errors"][0]["path"] == ["event", "history"]


def test_the_announcements_list_gives_their_history_to_their_publishers_only(
    gql, publisher, news, announcement_factory
):
    announcement_factory(title_en="Someone else's news")

    mine = gql(ANNOUNCEMENTS, user=publisher)
    anonymous = gql(ANNOUNCEMENTS)

    # The list's own office's row has its history; the other's is refused, as is every row
    # for a reader who signed in to no office.
    assert [error["extensions"]["code"] for error in mine["errors"]] == ["PERMISSION_DENIED"]
    assert {error["extensions"]["code"] for error in anonymous["errors"]} == {"PERMISSION_DENIED"}
    assert len(anonymous["errors"]) == 2


def test_a_cohost_invitation_names_the_office_by_its_id(
    gql, publisher, event_factory, office, twinning_factory, office_factory
):
    twinning = twinning_factory(city_a=office.city)
    event = event_factory(office=office, host_city=office.city, twinning=twinning)
    partner = office_factory(city=twinning.city_b)
    services.invite_cohost(publisher, event, partner)

    result = gql(EVENT, {"id": to_global_id("Event", event.pk)}, user=publisher)

    (invited,) = result["data"]["event"]["history"]
    assert invited["action"] == "COHOST_INVITED"
    assert invited["changes"] == [
        change("cohost", None, to_global_id("CityOffice", partner.pk)),
        change("cohostStatus", None, "INVITED"),
    ]
