"""The calendar files: one event's .ics and a user's private feed, read back with icalendar."""

import datetime
import zoneinfo

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from icalendar import Calendar

from accounts.services import rotate_calendar_token
from events.calendar import event_calendar
from events.models import Event, Rsvp

UTC = datetime.UTC
ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")
LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture
def user_factory(db):
    """Users as the app creates them; tests/factories.py has no user factory."""
    counter = iter(range(1, 1_000))

    def create(**fields):
        return get_user_model().objects.create_user(
            email=f"user{next(counter)}@example.com", password="a-long-password", **fields
        )

    return create


def parse(response) -> Calendar:
    assert response.status_code == 200, response.content
    return Calendar.from_ical(response.content)


def only_event(calendar: Calendar):
    (vevent,) = calendar.events
    return vevent


def fetch_event(client, event, language=None):
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    return client.get(reverse("event-ics", kwargs={"pk": event.pk}), **headers)


def feed_url(user) -> str:
    return reverse("user-calendar", kwargs={"token": user.calendar_token})


def offsets_to(timezone_component) -> set[datetime.timedelta]:
    return {
        observance.TZOFFSETTO
        for observance in [*timezone_component.standard, *timezone_component.daylight]
    }


# One event's file


def test_event_file_is_a_published_calendar_attachment(client, event_factory):
    # given
    event = event_factory(title_en="Nauryz concert")

    # when
    response = fetch_event(client, event)

    # then
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="event-{event.pk}.ics"'
    calendar = parse(response)
    assert calendar["PRODID"] == "-//Twinning//Events//EN"
    assert calendar["VERSION"] == "2.0"
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["X-WR-CALNAME"] == "Nauryz concert"
    vevent = only_event(calendar)
    assert vevent["UID"] == f"event-{event.pk}@twinning"
    assert vevent.stamp.tzinfo is not None
    assert vevent.last_modified == event.updated_at.replace(microsecond=0)


def test_event_times_are_the_venues_wall_clock_with_its_zone(client, event_factory):
    # given: 14:00 UTC is 19:00 in Almaty, on UTC+5 since March 2024
    event = event_factory(
        timezone="Asia/Almaty",
        starts_at=datetime.datetime(2026, 6, 1, 14, 0, tzinfo=UTC),
        ends_at=datetime.datetime(2026, 6, 1, 16, 30, tzinfo=UTC),
    )

    # when
    response = fetch_event(client, event)

    # then
    assert b"DTSTART;TZID=Asia/Almaty:20260601T190000" in response.content
    assert b"DTEND;TZID=Asia/Almaty:20260601T213000" in response.content
    calendar = parse(response)
    vevent = only_event(calendar)
    assert vevent["DTSTART"].params["TZID"] == "Asia/Almaty"
    assert vevent.start == datetime.datetime(2026, 6, 1, 19, 0, tzinfo=ALMATY)
    assert vevent.start == event.starts_at
    assert vevent.end == event.ends_at
    (vtimezone,) = calendar.timezones
    assert vtimezone.tz_name == "Asia/Almaty"
    assert offsets_to(vtimezone) == {datetime.timedelta(hours=5)}
    assert b"TZOFFSETTO:+0500" in response.content
    assert vtimezone.daylight == []


def test_summary_is_in_the_requested_language(client, event_factory):
    # given
    event = event_factory(
        title_en="Nauryz concert",
        title_ru="Концерт на Наурыз",
        description_en="Folk music in the park.",
    )

    # when
    vevent = only_event(parse(fetch_event(client, event, language="ru")))

    # then: the description has no Russian text, so it is in English
    assert vevent["SUMMARY"] == "Концерт на Наурыз"
    assert vevent["DESCRIPTION"] == "Folk music in the park."


def test_summary_falls_back_to_english(client, event_factory):
    # given
    event = event_factory(title_en="Nauryz concert", title_ru="")

    # when
    vevent = only_event(parse(fetch_event(client, event, language="ru")))

    # then
    assert vevent["SUMMARY"] == "Nauryz concert"


def test_location_and_geo(client, event_factory):
    # given
    event = event_factory(
        venue_name="Central Concert Hall",
        venue_address="Abai Ave 1, Almaty",
        latitude=43.2389,
        longitude=76.8897,
    )

    # when
    vevent = only_event(parse(fetch_event(client, event)))

    # then
    assert vevent["LOCATION"] == "Central Concert Hall, Abai Ave 1, Almaty"
    assert (vevent["GEO"].latitude, vevent["GEO"].longitude) == (43.2389, 76.8897)


def test_no_geo_without_coordinates(client, event_factory):
    # given
    event = event_factory(latitude=None, longitude=None)

    # when
    vevent = only_event(parse(fetch_event(client, event)))

    # then
    assert "GEO" not in vevent


def test_cancelled_event_stays_with_status_cancelled(client, event_factory):
    # given
    event = event_factory(
        status=Event.Status.CANCELLED,
        cancellation_reason="The hall is flooded.",
        description_en="Folk music.",
    )

    # when
    vevent = only_event(parse(fetch_event(client, event)))

    # then
    assert vevent["STATUS"] == "CANCELLED"
    assert vevent["DESCRIPTION"] == "The hall is flooded.\n\nFolk music."


def test_postponed_event_is_confirmed_at_its_new_time(client, event_factory):
    # given
    event = event_factory(
        status=Event.Status.POSTPONED,
        starts_at=datetime.datetime(2026, 9, 1, 10, 0, tzinfo=UTC),
        ends_at=datetime.datetime(2026, 9, 1, 12, 0, tzinfo=UTC),
    )

    # when
    vevent = only_event(parse(fetch_event(client, event)))

    # then
    assert vevent["STATUS"] == "CONFIRMED"
    assert vevent.start == event.starts_at


def test_sequence_grows_when_the_event_changes(client, event_factory):
    # given
    event = event_factory()
    before = only_event(parse(fetch_event(client, event))).sequence

    # when: an edit an hour later
    Event.objects.filter(pk=event.pk).update(
        updated_at=event.updated_at + datetime.timedelta(hours=1)
    )

    # then
    assert only_event(parse(fetch_event(client, event))).sequence > before


def test_draft_is_not_found(client, event_factory):
    # given
    event = event_factory(status=Event.Status.DRAFT, announced_at=None)

    # when
    response = fetch_event(client, event)

    # then
    assert response.status_code == 404


def test_unknown_event_is_not_found(client, db):
    # when
    response = client.get(reverse("event-ics", kwargs={"pk": 999_999}))

    # then
    assert response.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/events/9223372036854775807.ics",  # the largest key: no such event
        "/events/9223372036854775808.ics",  # past the bigint range
        "/events/99999999999999999999999999999.ics",
        "/events/" + "9" * 5_000 + ".ics",
        "/events/-1.ics",
        "/events/%00.ics",
        "/events/1%00.ics",
        "/events/%D9%A1.ics",  # an Arabic-Indic digit one
        "/events/%ED%A0%80.ics",  # a lone surrogate, as UTF-8 cannot hold it
    ],
)
def test_a_key_no_event_can_have_is_not_found(client, event_factory, path):
    # given
    event_factory()

    # when
    response = client.get(path)

    # then
    assert response.status_code == 404


def test_event_file_answers_head_but_not_post(client, event_factory):
    # given
    event = event_factory()
    url = reverse("event-ics", kwargs={"pk": event.pk})

    # when / then
    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405


# The private feed


def test_feed_lists_exactly_the_users_public_rsvps(client, event_factory, user_factory):
    # given
    user = user_factory()
    other = user_factory()
    going = event_factory()
    interested = event_factory()
    cancelled = event_factory(status=Event.Status.CANCELLED)
    draft = event_factory(status=Event.Status.DRAFT, announced_at=None)
    others_event = event_factory()
    event_factory()  # nobody's
    Rsvp.objects.create(user=user, event=going, status=Rsvp.Status.GOING)
    Rsvp.objects.create(user=user, event=interested, status=Rsvp.Status.INTERESTED)
    Rsvp.objects.create(user=user, event=cancelled, status=Rsvp.Status.GOING)
    Rsvp.objects.create(user=user, event=draft, status=Rsvp.Status.GOING)
    Rsvp.objects.create(user=other, event=others_event, status=Rsvp.Status.GOING)

    # when
    response = client.get(feed_url(user))

    # then
    calendar = parse(response)
    assert {str(vevent["UID"]) for vevent in calendar.events} == {
        f"event-{event.pk}@twinning" for event in (going, interested, cancelled)
    }
    statuses = {str(vevent["UID"]): vevent["STATUS"] for vevent in calendar.events}
    assert statuses[f"event-{cancelled.pk}@twinning"] == "CANCELLED"
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert set(response["Cache-Control"].split(", ")) == {"private", "max-age=300"}


def test_feed_is_in_the_users_language_whatever_the_request_says(
    client, event_factory, user_factory
):
    # given
    user = user_factory(language="ru")
    translated = event_factory(title_en="Nauryz concert", title_ru="Концерт на Наурыз")
    untranslated = event_factory(title_en="Football match")
    for event in (translated, untranslated):
        Rsvp.objects.create(user=user, event=event, status=Rsvp.Status.GOING)

    # when
    calendar = parse(client.get(feed_url(user), HTTP_ACCEPT_LANGUAGE="en"))

    # then
    assert {str(vevent["SUMMARY"]) for vevent in calendar.events} == {
        "Концерт на Наурыз",
        "Football match",
    }


def test_feed_carries_the_zone_of_every_event(client, event_factory, user_factory):
    # given
    user = user_factory()
    almaty = event_factory(timezone="Asia/Almaty")
    london = event_factory(timezone="Europe/London")
    for event in (almaty, london):
        Rsvp.objects.create(user=user, event=event, status=Rsvp.Status.GOING)

    # when
    calendar = parse(client.get(feed_url(user)))

    # then
    assert {vtimezone.tz_name for vtimezone in calendar.timezones} == {
        "Asia/Almaty",
        "Europe/London",
    }
    assert calendar.get_missing_tzids() == set()


def test_empty_feed_is_still_a_calendar(client, user_factory):
    # given
    user = user_factory()

    # when
    calendar = parse(client.get(feed_url(user)))

    # then
    assert calendar.events == []
    assert calendar["X-WR-CALNAME"] == "Twinning"


def test_unknown_token_is_not_found(client, user_factory):
    # given
    user_factory()

    # when
    response = client.get(reverse("user-calendar", kwargs={"token": "not-a-token"}))

    # then
    assert response.status_code == 404


@pytest.mark.parametrize(
    "token",
    ["%00", "a%00b", "%ED%A0%80", "%C3%A9", "a%20b", "a.b", "a" * 65, "a" * 5_000, "%25"],
)
def test_a_token_no_user_can_have_is_not_found(client, user_factory, token):
    # given
    user_factory()

    # when
    response = client.get(f"/calendar/{token}.ics")

    # then
    assert response.status_code == 404


def test_every_key_and_token_in_a_url_is_bounded_by_its_converter():
    """A path parameter reaches a view only through a converter that bounds it: a route added
    with ``<int:…>`` or ``<str:…>`` would let a key past the bigint range or a NUL byte reach
    the database (a 500)."""
    from django.urls import URLPattern, get_resolver

    from core.url_converters import PrimaryKeyConverter, UrlTokenConverter

    patterns = [p for p in get_resolver().url_patterns if isinstance(p, URLPattern)]
    converters = {
        name: type(converter)
        for pattern in patterns
        for name, converter in pattern.pattern.converters.items()
    }

    assert converters == {"pk": PrimaryKeyConverter, "token": UrlTokenConverter}


def test_inactive_users_feed_is_not_found(client, user_factory):
    # given
    user = user_factory(is_active=False)

    # when
    response = client.get(feed_url(user))

    # then
    assert response.status_code == 404


def test_rotating_the_token_revokes_the_old_url(client, user_factory):
    # given
    user = user_factory()
    old_url = feed_url(user)

    # when
    rotate_calendar_token(user)

    # then
    assert client.get(old_url).status_code == 404
    assert client.get(feed_url(user)).status_code == 200


def test_feed_answers_head_but_not_post(client, user_factory):
    # given
    url = feed_url(user_factory())

    # when / then
    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405


# The zones' rules, from tzdata


def test_almaty_moved_to_utc_plus_five_in_march_2024_without_dst(event_factory):
    # given: one event either side of the change
    events = [
        event_factory(
            timezone="Asia/Almaty",
            starts_at=datetime.datetime(2024, month, 10, 12, 0, tzinfo=UTC),
            ends_at=datetime.datetime(2024, month, 10, 14, 0, tzinfo=UTC),
        )
        for month in (2, 4)
    ]

    # when
    calendar = Calendar.from_ical(event_calendar(events, "en", name="Almaty"))

    # then: clocks went from UTC+6 back to UTC+5 at midnight on 1 March, and never forward
    (vtimezone,) = calendar.timezones
    assert vtimezone.daylight == []
    change = next(
        observance
        for observance in vtimezone.standard
        if observance.TZOFFSETFROM != observance.TZOFFSETTO
    )
    onset, offset_from, offset_to = change.DTSTART, change.TZOFFSETFROM, change.TZOFFSETTO
    assert onset == datetime.datetime(2024, 3, 1, 0, 0)
    assert (offset_from, offset_to) == (datetime.timedelta(hours=6), datetime.timedelta(hours=5))
    assert [vevent.start.hour for vevent in calendar.events] == [18, 17]


def test_london_has_summer_and_winter_time(event_factory):
    # given: 12:00 UTC in winter and in summer
    events = [
        event_factory(
            timezone="Europe/London",
            starts_at=datetime.datetime(2026, month, 10, 12, 0, tzinfo=UTC),
            ends_at=datetime.datetime(2026, month, 10, 14, 0, tzinfo=UTC),
        )
        for month in (1, 7)
    ]

    # when
    ics = event_calendar(events, "en", name="London")
    calendar = Calendar.from_ical(ics)

    # then
    (vtimezone,) = calendar.timezones
    assert {(o.TZOFFSETFROM, o.TZOFFSETTO) for o in vtimezone.daylight} == {
        (datetime.timedelta(0), datetime.timedelta(hours=1))
    }
    assert (datetime.timedelta(hours=1), datetime.timedelta(0)) in {
        (o.TZOFFSETFROM, o.TZOFFSETTO) for o in vtimezone.standard
    }
    assert b"DTSTART;TZID=Europe/London:20260110T120000" in ics
    assert b"DTSTART;TZID=Europe/London:20260710T130000" in ics
    assert [vevent.start for vevent in calendar.events] == [
        datetime.datetime(2026, 1, 10, 12, 0, tzinfo=LONDON),
        datetime.datetime(2026, 7, 10, 13, 0, tzinfo=LONDON),
    ]


@pytest.mark.parametrize("zone", ["Europe/London", "Asia/Almaty", "America/New_York"])
def test_vtimezone_alone_converts_every_wall_clock_time_back(event_factory, zone):
    """Apps that do not know the zone's name rely on the VTIMEZONE's rules alone."""
    # given: a feed whose events span the year, so its VTIMEZONE covers the year
    events = [
        event_factory(
            timezone=zone,
            starts_at=datetime.datetime(2026, month, 10, 12, 0, tzinfo=UTC),
            ends_at=datetime.datetime(2026, month, 10, 14, 0, tzinfo=UTC),
        )
        for month in (1, 12)
    ]
    (vtimezone,) = Calendar.from_ical(event_calendar(events, "en", name="Zones")).timezones

    # when: each half hour's venue wall-clock time is read with those rules, not with tzdata
    rules = vtimezone.to_tz(lookup_tzid=False)
    tzdata = zoneinfo.ZoneInfo(zone)
    wrong = []
    instant = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    while instant < datetime.datetime(2026, 12, 31, tzinfo=UTC):
        local = instant.astimezone(tzdata)
        read = local.replace(tzinfo=rules)
        if read.astimezone(UTC) != instant:
            wrong.append(instant)
        instant += datetime.timedelta(minutes=30)

    # then
    assert wrong == []
