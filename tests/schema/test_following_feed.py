"""The for-you feed, `events(filter: {following: true})`: the events of the cities (with their
twinnings' events) and twinnings the viewer follows and of those they answered (going,
interested or on the waitlist), each once, soonest first, paged by keyset; signed in only; and
never one viewer's answer for another. And `upcoming`, what the app's feed asks for instead of
sending the present time."""

import datetime

import pytest
from django.utils import timezone

from cities.models import CityFollow, OfficeMembership, TwinningFollow
from events.models import Event, Rsvp
from events.services import set_rsvp
from tests.factories import MembershipFactory

FEED = """
query ForYou($first: Int, $after: String, $filter: EventFilterInput, $order: EventOrderBy) {
  events(filter: $filter, first: $first, after: $after, orderBy: $order) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { title } }
  }
}
"""
FOLLOWING = {"following": True}
NOW = timezone.now()


def day(n: int) -> datetime.datetime:
    return NOW + datetime.timedelta(days=n)


@pytest.fixture
def world(city_factory, twinning_factory, office_factory, event_factory, user_factory):
    """Ada follows Aktau and the Bursa–Elista pair and goes to an Almaty concert; Bob follows
    Bursa. Events named after what makes them Ada's (or not), starting a day apart."""
    aktau, karachi, bursa, elista, almaty = (
        city_factory(name_en=name) for name in ("Aktau", "Karachi", "Bursa", "Elista", "Almaty")
    )
    ports = twinning_factory(city_a=aktau, city_b=karachi)
    silk = twinning_factory(city_a=bursa, city_b=elista)
    ada, bob = user_factory(display_name="Ada"), user_factory(display_name="Bob")

    def event(title, city, starts, twinning=None, **extra):
        return event_factory(
            title_en=title,
            host_city=city,
            office=office_factory(city=city),
            twinning=twinning,
            starts_at=day(starts),
            ends_at=day(starts) + datetime.timedelta(hours=2),
            **extra,
        )

    found = {
        "hosted by Aktau": event("hosted by Aktau", aktau, 1),
        "Aktau's twinning, in Karachi": event("Aktau's twinning, in Karachi", karachi, 2, ports),
        "Karachi alone": event("Karachi alone", karachi, 3),
        "the followed pair's": event("the followed pair's", bursa, 4, silk),
        "Bursa alone": event("Bursa alone", bursa, 5),
        "answered": event("answered", almaty, 6),
        "all three": event("all three", aktau, 7, ports),
        "a draft in Aktau": event(
            "a draft in Aktau", aktau, 8, status=Event.Status.DRAFT, announced_at=None
        ),
        "Almaty, unanswered": event("Almaty, unanswered", almaty, 9),
    }
    CityFollow.objects.create(user=ada, city=aktau)
    TwinningFollow.objects.create(user=ada, twinning=silk)
    TwinningFollow.objects.create(user=ada, twinning=ports)
    for title, status in (("answered", "GOING"), ("all three", "INTERESTED")):
        Rsvp.objects.create(user=ada, event=found[title], status=status)
    CityFollow.objects.create(user=bob, city=bursa)
    # Others follow and answer the same: joined rows of theirs would repeat Ada's events.
    for other in (user_factory(), user_factory()):
        CityFollow.objects.create(user=other, city=aktau)
        TwinningFollow.objects.create(user=other, twinning=ports)
        for title in ("hosted by Aktau", "all three"):
            Rsvp.objects.create(user=other, event=found[title], status="GOING")
    found.update(ada=ada, bob=bob, aktau=aktau, ports=ports)
    return found


ADAS = ["hosted by Aktau", "Aktau's twinning, in Karachi", "the followed pair's", "answered"]
ADAS.append("all three")


def feed(gql, user=None, **variables):
    result = gql(FEED, {"filter": FOLLOWING, **variables}, user=user)
    assert "errors" not in result, result
    return result["data"]["events"]


def titles(page):
    return [edge["node"]["title"] for edge in page["edges"]]


def test_the_feed_holds_what_the_viewer_follows_and_answered_each_once_soonest_first(gql, world):
    page = feed(gql, world["ada"])

    assert titles(page) == ADAS
    assert page["totalCount"] == len(ADAS)


def test_each_viewer_gets_their_own(gql, world):
    assert titles(feed(gql, world["bob"])) == ["the followed pair's", "Bursa alone"]


def test_a_viewer_who_follows_nothing_gets_nothing(gql, world, user_factory):
    page = feed(gql, user_factory())

    assert (page["edges"], page["totalCount"]) == ([], 0)


def test_an_event_the_viewer_waits_for_a_place_at_is_in_the_feed(gql, world, user_factory):
    # Given a full event in a city Ada does not follow, whose waitlist she joins
    full = world["Almaty, unanswered"]
    full.capacity = 1
    full.save(update_fields=["capacity"])
    set_rsvp(user_factory(), full, "GOING")
    set_rsvp(world["ada"], full, "WAITLISTED")
    assert Rsvp.objects.get(user=world["ada"], event=full).status == "WAITLISTED"

    # Then her feed holds it, as it holds the events she is going to or interested in
    assert titles(feed(gql, world["ada"])) == [*ADAS, "Almaty, unanswered"]


def test_a_withdrawn_answer_or_an_unfollow_leaves_the_feed(gql, world):
    Rsvp.objects.filter(user=world["ada"], event=world["answered"]).delete()
    TwinningFollow.objects.filter(user=world["ada"], twinning=world["ports"]).delete()

    assert "answered" not in titles(feed(gql, world["ada"]))
    # Still there: Aktau is followed, and its feed shows its twinnings' events.
    assert "Aktau's twinning, in Karachi" in titles(feed(gql, world["ada"]))


def test_other_filters_and_orders_apply_too(gql, world):
    world["answered"].category = Event.Category.SPORTS
    world["answered"].save()
    after_day_two = {**FOLLOWING, "startsAfter": day(2).isoformat()}

    assert titles(feed(gql, world["ada"], filter={**FOLLOWING, "category": "SPORTS"})) == [
        "answered"
    ]
    assert titles(feed(gql, world["ada"], filter=after_day_two)) == ADAS[1:]
    assert titles(feed(gql, world["ada"], order="START_DESC")) == ADAS[::-1]


def test_an_offices_drafts_join_its_feed_when_asked_for(gql, world, office_factory):
    draft = world["a draft in Aktau"]
    staff = MembershipFactory(office=draft.office, role=OfficeMembership.Role.EDITOR).user
    CityFollow.objects.create(user=staff, city=world["aktau"])

    drafts_too = feed(gql, staff, filter={**FOLLOWING, "includeDrafts": True})

    assert "a draft in Aktau" in titles(drafts_too)
    assert "a draft in Aktau" not in titles(feed(gql, staff))


def test_false_is_no_condition(gql, world):
    page = gql(FEED, {"filter": {"following": False}})["data"]["events"]

    assert page["totalCount"] == 8


def test_signed_out_is_unauthenticated(gql, world):
    result = gql(FEED, {"filter": FOLLOWING})

    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_paging_neither_repeats_nor_skips_whatever_is_added_between_pages(
    gql, world, event_factory, office_factory
):
    ada, aktau = world["ada"], world["aktau"]
    first = feed(gql, ada, first=2)
    assert titles(first) == ADAS[:2]

    # Between two pages: an event of Aktau before the cursor, one after it, and one that
    # matches twice (Aktau's, of its twinning) after it.
    def aktau_event(title, starts, twinning=None):
        event_factory(
            title_en=title,
            host_city=aktau,
            office=office_factory(city=aktau),
            twinning=twinning,
            starts_at=starts,
            ends_at=starts + datetime.timedelta(hours=1),
        )

    aktau_event("earlier", day(0))
    aktau_event("later", day(3))
    aktau_event("later, twice", day(5), world["ports"])
    seen, after = titles(first), first["pageInfo"]["endCursor"]
    while after is not None:
        page = feed(gql, ada, first=2, after=after)
        seen += titles(page)
        after = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None

    assert seen == [
        "hosted by Aktau",
        "Aktau's twinning, in Karachi",
        "later",
        "the followed pair's",
        "later, twice",
        "answered",
        "all three",
    ]


def test_one_viewers_answer_is_never_anothers_and_is_kept_for_them(gql, world):
    # The response cache is on in tests (RESPONSE_CACHE_SECONDS): the same document and
    # variables, asked by Ada, then by Bob, then by nobody.
    ada_first = feed(gql, world["ada"])
    bobs = feed(gql, world["bob"])
    anonymous = gql(FEED, {"filter": FOLLOWING})
    # A change that bumps no version: the answer kept for Ada still shows the old title, until
    # she follows something else (tests/graphql_server/test_viewer_response_cache.py).
    Event.objects.filter(pk=world["hosted by Aktau"].pk).update(title_en="Renamed quietly")
    ada_again = feed(gql, world["ada"])
    CityFollow.objects.create(user=world["ada"], city=world["ports"].city_b)
    ada_following_more = feed(gql, world["ada"])

    assert titles(ada_first) == titles(ada_again) == ADAS
    assert titles(bobs) == ["the followed pair's", "Bursa alone"]
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert titles(ada_following_more)[:3] == [
        "Renamed quietly",
        "Aktau's twinning, in Karachi",
        "Karachi alone",
    ]


def test_upcoming_holds_the_events_not_over_yet(gql, world, event_factory):
    ada, aktau = world["ada"], world["aktau"]
    now = timezone.now()
    event_factory(
        title_en="under way",
        host_city=aktau,
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(hours=1),
    )
    event_factory(
        title_en="over",
        host_city=aktau,
        starts_at=now - datetime.timedelta(hours=3),
        ends_at=now - datetime.timedelta(hours=2),
    )

    upcoming = feed(gql, ada, filter={"following": True, "upcoming": True})
    everything = feed(gql, ada)

    assert titles(upcoming) == ["under way", *ADAS]
    assert titles(everything) == ["over", "under way", *ADAS]
