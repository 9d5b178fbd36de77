"""Events and announcements over GraphQL: filters, order, venue times, distance, drafts."""

import datetime

import pytest
from graphql_relay import to_global_id

from cities.geo import EARTH_RADIUS_KM
from cities.models import CityFollow
from cities.names import haversine_km
from events.models import Event
from notifications.audience import recipients
from notifications.models import Notification

EVENTS = """
query Events($filter: EventFilterInput, $orderBy: EventOrderBy, $first: Int, $after: String) {
  events(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    edges { node { id title distanceKm } }
  }
}
"""

EVENT = """
query Event($id: ID!) {
  event(id: $id) {
    title summary description status category
    startsAt endsAt timeZone localStartsAt localEndsAt
  }
}
"""

NODE = """
query Node($id: ID!) { node(id: $id) { id ... on Event { title } } }
"""

ANNOUNCEMENTS = """
query Announcements($city: ID, $twinning: ID) {
  announcements(city: $city, twinning: $twinning) {
    totalCount
    edges { node { title body event { title } } }
  }
}
"""

UTC = datetime.UTC


def titles(result):
    assert "errors" not in result, result["errors"]
    return [edge["node"]["title"] for edge in result["data"]["events"]["edges"]]


def gid(instance) -> str:
    return to_global_id(type(instance).__name__, instance.pk)


def at(day, hour=12):
    return datetime.datetime(2031, 5, day, hour, tzinfo=UTC)


@pytest.fixture
def almaty(city_factory):
    return city_factory(
        name_en="Almaty", country="KZ", timezone="Asia/Almaty", latitude=43.2389, longitude=76.8897
    )


@pytest.fixture
def lahore(city_factory):
    return city_factory(
        name_en="Lahore", country="PK", timezone="Asia/Karachi", latitude=31.5204, longitude=74.3587
    )


def test_drafts_are_never_listed_nor_found(gql, event_factory, almaty):
    public = event_factory(title_en="Open day", host_city=almaty)
    draft = event_factory(title_en="Secret plan", host_city=almaty, status=Event.Status.DRAFT)
    event_factory(title_en="Called off", host_city=almaty, status=Event.Status.CANCELLED)
    event_factory(title_en="Moved", host_city=almaty, status=Event.Status.POSTPONED)

    assert sorted(titles(gql(EVENTS))) == ["Called off", "Moved", "Open day"]
    assert gql(EVENTS)["data"]["events"]["totalCount"] == 3
    assert gql(EVENT, {"id": to_global_id("Event", draft.pk)})["data"]["event"] is None
    assert gql(NODE, {"id": to_global_id("Event", draft.pk)})["data"]["node"] is None
    assert gql(NODE, {"id": to_global_id("Event", public.pk)})["data"]["node"]["title"] == (
        "Open day"
    )
    assert titles(gql(EVENTS, {"filter": {"search": "secret"}})) == []


def test_filters_by_category_city_twinning_and_country(
    gql, event_factory, twinning_factory, almaty, lahore
):
    pair = twinning_factory(city_a=almaty, city_b=lahore)
    event_factory(title_en="Concert", host_city=almaty, category=Event.Category.CULTURAL)
    event_factory(title_en="Match", host_city=almaty, category=Event.Category.SPORTS, twinning=pair)
    event_factory(title_en="Fair", host_city=lahore, category=Event.Category.BUSINESS)

    def only(**filter):
        return sorted(titles(gql(EVENTS, {"filter": filter})))

    assert only(category="SPORTS") == ["Match"]
    assert only(city=to_global_id("City", almaty.pk)) == ["Concert", "Match"]
    assert only(twinning=to_global_id("Twinning", pair.pk)) == ["Match"]
    assert only(country="PK") == ["Fair"]
    assert only(country="kz", category="CULTURAL") == ["Concert"]


@pytest.fixture
def aktau_pairs(city_factory, twinning_factory, event_factory):
    """Aktau's sister ports Karachi and Gwadar, and events in all three: of each pair, hosted
    on either side, and of none."""
    aktau = city_factory(name_en="Aktau", timezone="Asia/Aqtau")
    karachi = city_factory(name_en="Karachi", country="PK", timezone="Asia/Karachi")
    gwadar = city_factory(name_en="Gwadar", country="PK", timezone="Asia/Karachi")
    bursa = city_factory(name_en="Bursa", country="TR", timezone="Europe/Istanbul")
    karachi_pair = twinning_factory(city_a=aktau, city_b=karachi)
    gwadar_pair = twinning_factory(city_a=aktau, city_b=gwadar)
    karachi_bursa = twinning_factory(city_a=karachi, city_b=bursa)
    for title, host, pair in [
        ("Regatta in Aktau", aktau, None),
        ("Port days in Aktau", aktau, karachi_pair),
        ("Port days in Karachi", karachi, karachi_pair),
        ("Fishing fair in Gwadar", gwadar, gwadar_pair),
        ("Karachi food festival", karachi, None),
        ("Silk road in Bursa", bursa, karachi_bursa),
        ("Silk road in Karachi", karachi, karachi_bursa),
    ]:
        event_factory(title_en=title, host_city=host, twinning=pair)
    return aktau, karachi


def test_a_citys_feed_has_its_events_and_its_twinnings_wherever_they_are_held(gql, aktau_pairs):
    aktau, karachi = aktau_pairs

    def feed(city, **filter):
        return sorted(titles(gql(EVENTS, {"filter": {"city": gid(city), **filter}})))

    assert feed(aktau) == [
        "Fishing fair in Gwadar",
        "Port days in Aktau",
        "Port days in Karachi",
        "Regatta in Aktau",
    ]
    assert feed(karachi) == [
        "Karachi food festival",
        "Port days in Aktau",
        "Port days in Karachi",
        "Silk road in Bursa",
        "Silk road in Karachi",
    ]
    assert feed(aktau, country="PK") == ["Fishing fair in Gwadar", "Port days in Karachi"]


def test_the_feed_of_a_city_without_twinnings_is_what_it_hosts(
    gql, aktau_pairs, city_factory, event_factory
):
    turkistan = city_factory(name_en="Turkistan")
    event_factory(title_en="Kazakh khanate days", host_city=turkistan)

    result = gql(EVENTS, {"filter": {"city": gid(turkistan)}})

    assert titles(result) == ["Kazakh khanate days"]


def test_a_citys_feed_shows_what_its_followers_are_pushed(gql, aktau_pairs, user_factory):
    aktau, _ = aktau_pairs
    follower = user_factory()
    CityFollow.objects.create(user=follower, city=aktau)

    pushed = set()
    for event in Event.objects.public():
        notification = Notification.objects.create(
            kind=Notification.Kind.EVENT_ANNOUNCED, dedupe_key=f"announced:{event.pk}", event=event
        )
        if recipients(notification).filter(pk=follower.pk).exists():
            pushed.add(event.title_en)

    assert set(titles(gql(EVENTS, {"filter": {"city": gid(aktau)}}))) == pushed


def test_date_window_includes_the_start_and_excludes_the_end(gql, event_factory, almaty):
    for day in (1, 2, 3):
        event_factory(
            title_en=f"Day {day}", host_city=almaty, starts_at=at(day), ends_at=at(day, 14)
        )

    result = gql(
        EVENTS,
        {"filter": {"startsAfter": at(2).isoformat(), "startsBefore": at(3).isoformat()}},
    )

    assert titles(result) == ["Day 2"]


def test_default_order_is_soonest_first_and_can_be_reversed(gql, event_factory, almaty):
    for day in (3, 1, 2):
        event_factory(
            title_en=f"Day {day}", host_city=almaty, starts_at=at(day), ends_at=at(day, 14)
        )

    assert titles(gql(EVENTS)) == ["Day 1", "Day 2", "Day 3"]
    assert titles(gql(EVENTS, {"orderBy": "START_DESC"})) == ["Day 3", "Day 2", "Day 1"]


def test_search_matches_titles_in_every_language(gql, event_factory, almaty):
    event_factory(
        title_en="Nauryz concert",
        title_ru="Наурыз-концерт",
        title_kk="Наурыз концерті",
        title_ur="نوروز کنسرٹ",
        host_city=almaty,
    )
    event_factory(title_en="Chess open", host_city=almaty)

    for text in ("nauryz", "НАУРЫЗ", "концерті", "نوروز"):
        assert titles(gql(EVENTS, {"filter": {"search": text}})) == ["Nauryz concert"], text


@pytest.mark.parametrize(
    ("language", "title", "summary"),
    [
        ("ru", "Концерт", "Summary in English"),
        ("kk", "Концерт (kk)", "Қысқаша"),
        ("ur", "Concert", "Summary in English"),
    ],
)
def test_each_field_falls_back_to_english_on_its_own(
    gql, event_factory, almaty, language, title, summary
):
    event = event_factory(
        title_en="Concert",
        title_ru="Концерт",
        title_kk="Концерт (kk)",
        summary_en="Summary in English",
        summary_kk="Қысқаша",
        host_city=almaty,
    )

    result = gql(EVENT, {"id": to_global_id("Event", event.pk)}, language=language)

    assert result["data"]["event"]["title"] == title
    assert result["data"]["event"]["summary"] == summary


def test_times_are_utc_and_in_the_venues_zone(gql, event_factory, almaty):
    # 19:00 in Almaty (UTC+5 since March 2024) is 14:00 UTC.
    event = event_factory(
        host_city=almaty,
        timezone="Asia/Almaty",
        starts_at=datetime.datetime(2031, 5, 4, 14, 0, tzinfo=UTC),
        ends_at=datetime.datetime(2031, 5, 4, 16, 30, tzinfo=UTC),
    )

    node = gql(EVENT, {"id": to_global_id("Event", event.pk)})["data"]["event"]

    assert node["startsAt"] == "2031-05-04T14:00:00+00:00"
    assert node["endsAt"] == "2031-05-04T16:30:00+00:00"
    assert node["timeZone"] == "Asia/Almaty"
    assert node["localStartsAt"] == "2031-05-04T19:00:00+05:00"
    assert node["localEndsAt"] == "2031-05-04T21:30:00+05:00"


def test_local_times_follow_daylight_saving_of_the_venue(gql, event_factory, city_factory):
    london = city_factory(name_en="London", country="GB", timezone="Europe/London")
    winter = event_factory(
        host_city=london,
        starts_at=datetime.datetime(2031, 1, 10, 19, tzinfo=UTC),
        ends_at=datetime.datetime(2031, 1, 10, 21, tzinfo=UTC),
    )
    summer = event_factory(
        host_city=london,
        starts_at=datetime.datetime(2031, 7, 10, 18, tzinfo=UTC),
        ends_at=datetime.datetime(2031, 7, 10, 20, tzinfo=UTC),
    )

    def local_start(event):
        return gql(EVENT, {"id": to_global_id("Event", event.pk)})["data"]["event"]["localStartsAt"]

    assert local_start(winter) == "2031-01-10T19:00:00+00:00"
    assert local_start(summer) == "2031-07-10T19:00:00+01:00"


def point_north(latitude, longitude, km):
    """The point ``km`` due north along a meridian: exact on the sphere."""
    return latitude + (km / EARTH_RADIUS_KM) * 180 / 3.141592653589793, longitude


def test_near_keeps_what_is_within_the_radius_by_great_circle_distance(gql, event_factory, almaty):
    lat, lng = 43.2389, 76.8897
    for km in (0.5, 9.9, 10.1, 50):
        plat, plng = point_north(lat, lng, km)
        event_factory(title_en=f"{km} km", host_city=almaty, latitude=plat, longitude=plng)

    near = {"latitude": lat, "longitude": lng, "radiusKm": 10}
    result = gql(EVENTS, {"filter": {"near": near}, "orderBy": "DISTANCE"})

    assert titles(result) == ["0.5 km", "9.9 km"]
    distances = [edge["node"]["distanceKm"] for edge in result["data"]["events"]["edges"]]
    assert distances == pytest.approx([0.5, 9.9], abs=1e-6)


def test_distance_matches_the_haversine_formula_across_continents(gql, event_factory, almaty):
    # London's event seen from Paris: 343.5 km, by the same formula on the sphere.
    event_factory(title_en="London", host_city=almaty, latitude=51.5074, longitude=-0.1278)
    paris = {"latitude": 48.8566, "longitude": 2.3522}

    inside = gql(EVENTS, {"filter": {"near": {**paris, "radiusKm": 344}}})
    outside = gql(EVENTS, {"filter": {"near": {**paris, "radiusKm": 343}}})

    assert titles(inside) == ["London"]
    assert titles(outside) == []
    distance = inside["data"]["events"]["edges"][0]["node"]["distanceKm"]
    assert distance == pytest.approx(haversine_km(48.8566, 2.3522, 51.5074, -0.1278), abs=1e-6)
    assert distance == pytest.approx(343.5, abs=0.5)


def test_near_works_across_the_antimeridian(gql, event_factory, city_factory):
    fiji = city_factory(name_en="Suva", country="FJ", timezone="Pacific/Fiji")
    event_factory(title_en="East of 180", host_city=fiji, latitude=-17.0, longitude=179.9)
    event_factory(title_en="West of 180", host_city=fiji, latitude=-17.0, longitude=-179.9)

    near = {"latitude": -17.0, "longitude": 179.95, "radiusKm": 30}
    assert sorted(titles(gql(EVENTS, {"filter": {"near": near}}))) == [
        "East of 180",
        "West of 180",
    ]


def test_events_without_coordinates_are_left_out_of_near(gql, event_factory, almaty):
    event_factory(title_en="Online", host_city=almaty, latitude=None, longitude=None)

    near = {"latitude": 43.2389, "longitude": 76.8897, "radiusKm": 100}
    assert titles(gql(EVENTS, {"filter": {"near": near}})) == []
    assert titles(gql(EVENTS)) == ["Online"]


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        (
            {"filter": {"near": {"latitude": 91, "longitude": 0, "radiusKm": 1}}},
            "INVALID_COORDINATES",
            "filter.near.latitude",
        ),
        (
            {"filter": {"near": {"latitude": 0, "longitude": -181, "radiusKm": 1}}},
            "INVALID_COORDINATES",
            "filter.near.longitude",
        ),
        (
            {"filter": {"near": {"latitude": 0, "longitude": 0, "radiusKm": 0}}},
            "INVALID_RADIUS",
            "filter.near.radiusKm",
        ),
        ({"orderBy": "DISTANCE"}, "INVALID", "orderBy"),
        ({"filter": {"city": "bogus"}}, "INVALID_ID", "filter.city"),
        ({"filter": {"twinning": to_global_id("City", 1)}}, "INVALID_ID", "filter.twinning"),
        ({"filter": {"country": "Pakistan"}}, "INVALID_COUNTRY", "filter.country"),
    ],
)
def test_bad_filters_are_coded_errors(gql, event_factory, variables, code, field):
    event_factory()

    result = gql(EVENTS, variables)

    assert result["data"] is None
    assert result["errors"][0]["extensions"] == {"code": code, "field": field}


def test_a_malformed_date_is_rejected_before_execution(gql, event_factory):
    result = gql(EVENTS, {"filter": {"startsAfter": "next tuesday"}})

    assert result["errors"]
    assert "data" not in result or result["data"] is None


def test_announcements_are_published_ones_newest_first(
    gql, announcement_factory, event_factory, almaty
):
    draft_event = event_factory(host_city=almaty, status=Event.Status.DRAFT)
    office = draft_event.office
    now = datetime.datetime.now(UTC)
    announcement_factory(office=office, title_en="Older", published_at=now - datetime.timedelta(2))
    announcement_factory(
        office=office, title_en="Newer", published_at=now - datetime.timedelta(1), event=draft_event
    )
    announcement_factory(office=office, title_en="Unpublished", published_at=None)
    announcement_factory(
        office=office, title_en="Scheduled", published_at=now + datetime.timedelta(1)
    )
    announcement_factory(title_en="Elsewhere")

    result = gql(ANNOUNCEMENTS, {"city": to_global_id("City", almaty.pk)})

    nodes = [edge["node"] for edge in result["data"]["announcements"]["edges"]]
    assert [node["title"] for node in nodes] == ["Newer", "Older"]
    # The announcement stays, but the draft it mentions does not leak through it.
    assert nodes[0]["event"] is None


def test_announcements_filter_by_twinning(gql, announcement_factory, twinning_factory):
    pair = twinning_factory()
    office = announcement_factory(title_en="About the pair", twinning=pair).office
    announcement_factory(office=office, title_en="City news")

    result = gql(ANNOUNCEMENTS, {"twinning": to_global_id("Twinning", pair.pk)})

    assert [e["node"]["title"] for e in result["data"]["announcements"]["edges"]] == [
        "About the pair"
    ]


TWINNING = """
query Twinning($id: ID!, $of: ID!) {
  twinning(id: $id) {
    cityA { name } cityB { name }
    partner(of: $of) { name }
    events(first: 2) { title }
  }
}
"""


def test_a_twinning_shows_its_cities_partner_and_upcoming_public_events(
    gql, twinning_factory, event_factory
):
    pair = twinning_factory(city_a__name_en="Aktau", city_b__name_en="Gwadar")
    aktau = pair.city_a
    soon = datetime.datetime.now(UTC) + datetime.timedelta(days=1)
    for n, status in enumerate(
        [Event.Status.ANNOUNCED, Event.Status.DRAFT, Event.Status.CANCELLED, Event.Status.ANNOUNCED]
    ):
        starts = soon + datetime.timedelta(days=n)
        event_factory(
            title_en=f"Day {n}",
            host_city=aktau,
            twinning=pair,
            status=status,
            starts_at=starts,
            ends_at=starts + datetime.timedelta(hours=1),
        )
    past = soon - datetime.timedelta(days=10)
    event_factory(
        title_en="Past",
        host_city=aktau,
        twinning=pair,
        starts_at=past,
        ends_at=past + datetime.timedelta(hours=1),
    )

    result = gql(
        TWINNING,
        {"id": to_global_id("Twinning", pair.pk), "of": to_global_id("City", aktau.pk)},
    )["data"]["twinning"]

    assert (result["cityA"]["name"], result["cityB"]["name"]) == ("Aktau", "Gwadar")
    assert result["partner"] == {"name": "Gwadar"}
    assert [event["title"] for event in result["events"]] == ["Day 0", "Day 2"]


def test_events_page_through_with_cursors(gql, event_factory, almaty):
    for day in range(1, 6):
        event_factory(
            title_en=f"Day {day}", host_city=almaty, starts_at=at(day), ends_at=at(day, 14)
        )

    first = gql(EVENTS + "", {"first": 2})
    cursor_query = EVENTS.replace("totalCount", "totalCount pageInfo { endCursor hasNextPage }")
    page1 = gql(cursor_query, {"first": 2})["data"]["events"]
    page2 = gql(cursor_query, {"first": 2, "after": page1["pageInfo"]["endCursor"]})["data"][
        "events"
    ]
    page3 = gql(cursor_query, {"first": 2, "after": page2["pageInfo"]["endCursor"]})["data"][
        "events"
    ]

    assert titles(first) == ["Day 1", "Day 2"]
    assert [e["node"]["title"] for e in page2["edges"]] == ["Day 3", "Day 4"]
    assert [e["node"]["title"] for e in page3["edges"]] == ["Day 5"]
    assert not page3["pageInfo"]["hasNextPage"]


@pytest.mark.parametrize(
    "search",
    [
        "jazz festival",
        pytest.param("JAZZ  festivl", marks=pytest.mark.postgresql, id="similar-on-postgresql"),
    ],
)
def test_a_search_pages_through_with_cursors_as_many_as_it_counts(
    gql, event_factory, almaty, search
):
    for day in (3, 1, 7, 5, 2, 6, 4):
        event_factory(
            title_en=f"Jazz festival {day}",
            host_city=almaty,
            starts_at=at(day),
            ends_at=at(day, 14),
        )
    event_factory(title_en="Chess open", host_city=almaty, starts_at=at(4), ends_at=at(4, 14))
    paged = EVENTS.replace("totalCount", "totalCount pageInfo { endCursor hasNextPage }")

    pages, after = [], None
    while after is not None or not pages:
        page = gql(paged, {"filter": {"search": search}, "first": 3, "after": after})
        pages.append(page)
        info = page["data"]["events"]["pageInfo"]
        after = info["endCursor"] if info["hasNextPage"] else None

    assert [titles(page) for page in pages] == [
        ["Jazz festival 1", "Jazz festival 2", "Jazz festival 3"],
        ["Jazz festival 4", "Jazz festival 5", "Jazz festival 6"],
        ["Jazz festival 7"],
    ]
    assert {page["data"]["events"]["totalCount"] for page in pages} == {7}
