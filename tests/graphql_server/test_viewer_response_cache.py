"""A signed-in viewer's answers kept by the response cache: for that viewer alone, never for
another or for anyone signed out, and ended by every change to what they follow and answered,
to their offices' roles and to their rights, as by a change to the data shown.

A kept answer is recognised by a row changed with ``QuerySet.update``, which sends no signal
and so bumps no version: a kept answer still shows the old title."""

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from graphql import parse
from graphql_relay import to_global_id

from accounts.deletion import delete_account
from cities import services as cities
from cities.models import OfficeMembership
from core import data_versions
from core.shared_cache import shared_cache
from events import services
from events.models import Event
from graphql_server import response_cache
from schema.schema import schema
from tests.conftest import bearer_for
from tests.factories import MembershipFactory

FOR_YOU = """
query ForYou($drafts: Boolean) {
  events(filter: {following: true, includeDrafts: $drafts}) {
    edges { node { title viewerRsvp } }
  }
}
"""
FEED = """
query Feed($drafts: Boolean) {
  events(filter: {includeDrafts: $drafts}) { edges { node { title viewerRsvp } } }
}
"""
PLACE = """
query Place($id: ID!) { event(id: $id) { title viewerRsvp viewerWaitlistPosition } }
"""
QUIET = "Changed quietly"


@pytest.fixture
def post(client):
    """POST an operation as ``user`` (None: signed out); the decoded body and the response."""

    def send(query, variables=None, user=None):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {bearer_for(user)}"} if user else {}
        response = client.post(
            "/graphql/",
            json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
            **headers,
        )
        return response.json(), response

    return send


@pytest.fixture
def world(city_factory, office_factory, event_factory, user_factory):
    aktau, bursa = city_factory(name_en="Aktau"), city_factory(name_en="Bursa")
    office = office_factory(city=aktau)
    ada, bob = user_factory(), user_factory()
    found = {
        "aktau": aktau,
        "bursa": bursa,
        "office": office,
        "ada": ada,
        "bob": bob,
        "regatta": event_factory(title_en="Regatta", host_city=aktau, office=office),
        "bazaar": event_factory(title_en="Bazaar", host_city=bursa),
        "draft": event_factory(
            title_en="Draft",
            host_city=aktau,
            office=office,
            status=Event.Status.DRAFT,
            announced_at=None,
        ),
    }
    cities.follow_city(ada, aktau)
    return found


def titles(body):
    assert "errors" not in body, body
    return [edge["node"]["title"] for edge in body["data"]["events"]["edges"]]


def quietly_rename(event, title=QUIET):
    Event.objects.filter(pk=event.pk).update(title_en=title)


def test_a_viewers_answer_is_kept_for_them_alone(post, world):
    ada, bob = world["ada"], world["bob"]
    cities.follow_city(bob, world["aktau"])
    first, response = post(FOR_YOU, user=ada)
    quietly_rename(world["regatta"])

    again, again_response = post(FOR_YOU, user=ada)
    bobs, _ = post(FOR_YOU, user=bob)
    anonymous, _ = post(FEED)

    assert titles(first) == titles(again) == ["Regatta"]
    assert titles(bobs) == [QUIET]
    assert titles(anonymous) == [QUIET, "Bazaar"]
    # Kept or not, a signed-in answer is for no other cache.
    for answer in (response, again_response):
        assert answer["Cache-Control"] == "private, no-store"
        assert "ETag" not in answer


def test_a_signed_in_answer_is_never_served_signed_out_nor_the_other_way(post, world):
    ada = world["ada"]
    signed_out, _ = post(FEED)
    quietly_rename(world["regatta"])
    signed_in, _ = post(FEED, user=ada)
    quietly_rename(world["regatta"], "Changed again")
    signed_out_again, _ = post(FEED)
    signed_in_again, _ = post(FEED, user=ada)

    assert titles(signed_out) == titles(signed_out_again) == ["Regatta", "Bazaar"]
    assert titles(signed_in) == titles(signed_in_again) == [QUIET, "Bazaar"]


def follow_bursa(world):
    cities.follow_city(world["ada"], world["bursa"])


def unfollow_aktau(world):
    cities.unfollow_city(world["ada"], world["aktau"])


def follow_a_pair(world, twinning_factory):
    pair = twinning_factory(city_a=world["bursa"])
    cities.follow_twinning(world["ada"], pair)


def answer_the_bazaar(world):
    services.set_rsvp(world["ada"], world["bazaar"], "INTERESTED")


def join_the_office(world):
    MembershipFactory(user=world["ada"], office=world["office"])


def leave_the_office(world):
    OfficeMembership.objects.filter(user=world["ada"]).delete()


def become_superuser(world):
    ada = world["ada"]
    ada.is_superuser = True
    ada.save(update_fields=["is_superuser"])


@pytest.mark.parametrize(
    ("setup", "change", "query", "before", "after"),
    [
        (None, follow_bursa, FOR_YOU, ["Regatta"], [QUIET, "Bazaar"]),
        (None, unfollow_aktau, FOR_YOU, ["Regatta"], []),
        (None, answer_the_bazaar, FOR_YOU, ["Regatta"], [QUIET, "Bazaar"]),
        (None, join_the_office, FEED, ["Regatta", "Bazaar"], [QUIET, "Bazaar", "Draft"]),
        (
            join_the_office,
            leave_the_office,
            FEED,
            ["Regatta", "Bazaar", "Draft"],
            [QUIET, "Bazaar"],
        ),
        (None, become_superuser, FEED, ["Regatta", "Bazaar"], [QUIET, "Bazaar", "Draft"]),
    ],
    ids=["follow", "unfollow", "rsvp", "role given", "role taken", "rights"],
)
def test_every_change_to_what_the_viewer_may_see_ends_their_answers(
    post, world, setup, change, query, before, after
):
    if setup:
        setup(world)
    answer, _ = post(query, {"drafts": True}, user=world["ada"])
    assert titles(answer) == before

    quietly_rename(world["regatta"])
    change(world)
    answer, _ = post(query, {"drafts": True}, user=world["ada"])

    assert titles(answer) == after


def test_following_a_pair_ends_the_answers_too(post, world, twinning_factory, event_factory):
    pair = twinning_factory(city_a=world["bursa"])
    event_factory(title_en="The pair's", host_city=world["bursa"], twinning=pair)
    post(FOR_YOU, user=world["ada"])

    cities.follow_twinning(world["ada"], pair)
    answer, _ = post(FOR_YOU, user=world["ada"])

    assert titles(answer) == ["Regatta", "The pair's"]


def test_the_viewers_own_answer_is_theirs_as_soon_as_they_give_it(post, world):
    ada, regatta = world["ada"], world["regatta"]
    event_id = to_global_id("Event", regatta.pk)
    before, _ = post(PLACE, {"id": event_id}, user=ada)

    services.set_rsvp(ada, regatta, "GOING")
    after, _ = post(PLACE, {"id": event_id}, user=ada)
    bobs, _ = post(PLACE, {"id": event_id}, user=world["bob"])

    assert before["data"]["event"]["viewerRsvp"] == "NONE"
    assert after["data"]["event"]["viewerRsvp"] == "GOING"
    assert bobs["data"]["event"]["viewerRsvp"] == "NONE"


def test_a_place_in_the_line_moves_when_someone_ahead_leaves(post, world, user_factory):
    ada, bob, regatta = world["ada"], world["bob"], world["regatta"]
    Event.objects.filter(pk=regatta.pk).update(capacity=1)
    regatta.refresh_from_db()
    services.set_rsvp(user_factory(), regatta, "GOING")
    services.set_rsvp(bob, regatta, "WAITLISTED")
    services.set_rsvp(ada, regatta, "WAITLISTED")
    event_id = to_global_id("Event", regatta.pk)
    before, _ = post(PLACE, {"id": event_id}, user=ada)

    services.set_rsvp(bob, regatta, None)
    after, _ = post(PLACE, {"id": event_id}, user=ada)

    assert before["data"]["event"]["viewerWaitlistPosition"] == 2
    assert after["data"]["event"]["viewerWaitlistPosition"] == 1


def test_another_persons_changes_leave_the_viewers_answers_kept(post, world):
    ada, bob = world["ada"], world["bob"]
    post(FOR_YOU, user=ada)
    quietly_rename(world["regatta"])

    cities.follow_city(bob, world["bursa"])
    services.set_rsvp(bob, world["regatta"], "GOING")
    MembershipFactory(user=bob, office=world["office"])
    answer, _ = post(FOR_YOU, user=ada)

    assert titles(answer) == ["Regatta"]


def test_a_change_to_the_data_shown_ends_a_viewers_answers_at_once(post, world):
    ada, regatta = world["ada"], world["regatta"]
    post(FOR_YOU, user=ada)

    regatta.title_en = "Regatta, renamed"
    regatta.save()
    answer, _ = post(FOR_YOU, user=ada)

    assert titles(answer) == ["Regatta, renamed"]


def test_a_deleted_account_is_answered_nothing_kept_for_it(post_token, world):
    ada = world["ada"]
    token = bearer_for(ada)
    assert titles(post_token(token)) == ["Regatta"]

    delete_account(ada, signed_in_at=timezone.now())
    body = post_token(token)

    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Regatta" not in json.dumps(body)


def test_a_deactivated_account_is_answered_nothing_kept_for_it(post_token, world):
    ada = world["ada"]
    token = bearer_for(ada)
    assert titles(post_token(token)) == ["Regatta"]

    ada.is_active = False
    ada.save(update_fields=["is_active"])
    body = post_token(token)

    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Regatta" not in json.dumps(body)


@pytest.fixture
def post_token(client):
    """POST the for-you feed with a bearer token as it is; the decoded body."""

    def send(token):
        response = client.post(
            "/graphql/",
            json.dumps({"query": FOR_YOU}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        return response.json()

    return send


def test_signed_in_answers_can_be_turned_off_alone(post, world, settings):
    settings.RESPONSE_CACHE_VIEWER_SECONDS = 0
    ada = world["ada"]
    post(FOR_YOU, user=ada)
    post(FEED)
    quietly_rename(world["regatta"])

    signed_in, _ = post(FOR_YOU, user=ada)
    signed_out, _ = post(FEED)

    assert titles(signed_in) == [QUIET]
    assert titles(signed_out) == ["Regatta", "Bazaar"]


def test_a_viewers_answer_is_kept_no_longer_than_its_setting(world, settings, monkeypatch):
    settings.RESPONSE_CACHE_SECONDS = 600
    settings.RESPONSE_CACHE_VIEWER_SECONDS = 42
    kept = {}
    monkeypatch.setattr(
        response_cache,
        "shared_cache",
        lambda: type(
            "Spy", (), {"set": lambda self, key, value, timeout: kept.update(t=timeout)}
        )(),
    )
    document = parse(FEED)
    digest = response_cache.document_hash(FEED)
    for viewer, expected in ((world["ada"], 42), (AnonymousUser(), 600)):
        read = response_cache.lookup(
            schema.graphql_schema, document, digest, {}, None, "en", viewer
        )
        assert response_cache.store(read, b"{}")
        assert kept["t"] == expected


def test_a_viewers_answers_are_filed_under_their_own_version(world):
    ada, bob = world["ada"], world["bob"]
    document = parse(FOR_YOU)
    digest = response_cache.document_hash(FOR_YOU)

    adas = response_cache.lookup(schema.graphql_schema, document, digest, {}, None, "en", ada)
    bobs = response_cache.lookup(schema.graphql_schema, document, digest, {}, None, "en", bob)

    assert data_versions.viewer_area(ada.pk) in adas.versions
    assert data_versions.viewer_area(bob.pk) not in adas.versions
    assert response_cache._key(adas) != response_cache._key(bobs)


def test_a_viewers_version_is_forgotten_in_time_and_starts_above_what_it_was(db, settings):
    area = data_versions.viewer_area(7)
    before = data_versions.current([area])[area]
    data_versions.bump_viewers(7)
    bumped = data_versions.current([area])[area]

    shared_cache().delete(f"dataversion:{area}")  # as when it expires
    again = data_versions.current([area])[area]

    assert bumped > before
    assert again > bumped
    assert data_versions.VIEWER_VERSION_SECONDS >= 10 * settings.RESPONSE_CACHE_SECONDS


@pytest.mark.parametrize("area", ["viewer:", "viewer:x", "viewers:1", "nothing"])
def test_only_known_areas_and_viewers_are_bumped(db, area):
    with pytest.raises(ValueError):
        data_versions.bump(area)


def test_rows_deleted_with_their_event_or_twinning_bump_no_viewer(
    world, monkeypatch, user_factory, twinning_factory
):
    # Deleting an event deletes its RSVPs, a twinning its follows: the event's or twinning's
    # own version ends every answer that showed them, and a bump per person would cost a round
    # trip to the cache for each of thousands of rows.
    ada, regatta = world["ada"], world["regatta"]
    pair = twinning_factory()
    for person in (ada, user_factory(), user_factory()):
        services.set_rsvp(person, regatta, "GOING")
        cities.follow_twinning(person, pair)
    bumped = []
    monkeypatch.setattr(data_versions, "bump_viewers", lambda *ids: bumped.extend(ids))

    Event.objects.filter(pk=regatta.pk).delete()
    pair.delete()
    cities.unfollow_city(world["bob"], world["bursa"])
    cities.follow_city(world["bob"], world["bursa"])
    cities.unfollow_city(world["bob"], world["bursa"])

    assert bumped == [world["bob"].pk, world["bob"].pk]


def test_an_answer_of_a_deleted_event_is_ended_for_its_viewers(post, world):
    ada = world["ada"]
    services.set_rsvp(ada, world["bazaar"], "GOING")
    assert titles(post(FOR_YOU, user=ada)[0]) == ["Regatta", "Bazaar"]

    Event.objects.filter(pk=world["bazaar"].pk).delete()

    assert titles(post(FOR_YOU, user=ada)[0]) == ["Regatta"]


def test_an_object_by_its_id_is_kept_for_anonymous_viewers_alone(world):
    # Whether a signed-in viewer may read a report or a chat message by its ID reads rows no
    # version covers.
    document = '{ node(id: "RXZlbnQ6MQ==") { id } }'
    digest = response_cache.document_hash(document)

    signed_in = response_cache.lookup(
        schema.graphql_schema, parse(document), digest, {}, None, "en", world["ada"]
    )
    anonymous = response_cache.lookup(
        schema.graphql_schema, parse(document), digest, {}, None, "en", AnonymousUser()
    )

    assert not signed_in.storable
    assert anonymous.storable
