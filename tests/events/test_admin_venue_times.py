"""The admin types and shows an event's times as its venue's clocks show them, labelled with
the venue's zone, whatever the office's own zone: an office in Aktau (UTC+05:00) plans an
evening at a venue in Moscow (UTC+03:00)."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model

from cities.models import OfficeMembership
from cities.staff import office_staff_group
from core.i18n import LANGUAGE_CODES
from events import services
from events.models import Announcement, Event, StateChange
from tests.events.test_admin import event_form, text, url

Role = OfficeMembership.Role
Status = Event.Status
UTC = datetime.UTC

# 19:00 in Moscow on 4 May 2031 is 16:00 UTC (and 21:00 in Aktau).
MOSCOW_19H = datetime.datetime(2031, 5, 4, 16, 0, tzinfo=UTC)
MOSCOW_LABEL = "(Europe/Moscow, UTC+03:00)"


@pytest.fixture
def aktau(office_factory, city_factory):
    city = city_factory(name_en="Aktau", timezone="Asia/Aqtau", latitude=43.65, longitude=51.2)
    return office_factory(city=city, name_en="Aktau office")


@pytest.fixture
def staff(db, client):
    """Sign in a new staff user holding ``role`` in ``office``."""

    def sign_in(office, role=Role.EDITOR):
        user = get_user_model().objects.create_user(
            f"{role.lower()}@{office.pk}.example.org", "unused", is_staff=True
        )
        OfficeMembership.objects.create(user=user, office=office, role=role)
        user.groups.add(office_staff_group())
        client.force_login(user)
        return user

    return sign_in


@pytest.fixture
def moscow_evening(aktau, event_factory):
    """A draft of the Aktau office at a venue in Moscow, 19:00 to 21:00 Moscow time."""
    return event_factory(
        office=aktau,
        host_city=aktau.city,
        status=Status.DRAFT,
        announced_at=None,
        title_en="Caspian evening",
        timezone="Europe/Moscow",
        venue_name="Zaryadye Hall",
        starts_at=MOSCOW_19H,
        ends_at=MOSCOW_19H + datetime.timedelta(hours=2),
    )


def new_event_form(office, **fields) -> dict:
    """The add form's POST data for a new event of ``office``."""
    data = {
        f"{field}_{code}": ""
        for field in ("title", "summary", "description")
        for code in LANGUAGE_CODES
    }
    data.update(
        title_en="Caspian evening",
        category=Event.Category.CULTURAL,
        venue_name="Zaryadye Hall",
        office=office.pk,
    )
    data.update(fields)
    return data


def box(page: str, name: str) -> str:
    """The value an input of the page holds."""
    found = re.search(rf'<input type="\w+" name="{name}" value="([^"]*)"', page)
    assert found, f"no {name} box on the page"
    return found.group(1)


def zones_named_beside_the_times(page: str) -> list[str]:
    return re.findall(r"<strong data-venue-zone>([^<]*)</strong>", page)


def form_errors(response) -> dict:
    return response.context["adminform"].form.errors


# --- Adding ---------------------------------------------------------------------------------


def test_the_add_form_offers_the_offices_zone_and_names_it_beside_the_times(client, staff, aktau):
    staff(aktau)

    page = text(client.get(url("events_event_add")))

    assert box(page, "timezone") == "Asia/Aqtau"
    assert zones_named_beside_the_times(page) == ["Asia/Aqtau", "Asia/Aqtau"]


def test_times_typed_on_add_are_read_in_the_venues_zone_not_the_offices(client, staff, aktau):
    staff(aktau)
    data = new_event_form(
        aktau,
        timezone="Europe/Moscow",
        starts_at_0="2031-05-04",
        starts_at_1="19:00",
        ends_at_0="2031-05-04",
        ends_at_1="21:00",
    )

    response = client.post(url("events_event_add"), data)

    assert response.status_code == 302, text(response)
    event = Event.objects.get()
    assert event.starts_at == MOSCOW_19H
    assert event.ends_at == MOSCOW_19H + datetime.timedelta(hours=2)
    assert event.timezone == "Europe/Moscow"


# --- Showing --------------------------------------------------------------------------------


def test_the_change_form_shows_the_venues_clock_and_names_its_zone(
    client, staff, aktau, moscow_evening
):
    staff(aktau)

    page = text(client.get(url("events_event_change", moscow_evening.pk)))

    assert (box(page, "starts_at_0"), box(page, "starts_at_1")) == ("2031-05-04", "19:00")
    assert (box(page, "ends_at_0"), box(page, "ends_at_1")) == ("2031-05-04", "21:00")
    # The start, the end and (a draft's) time to announce it at.
    assert zones_named_beside_the_times(page) == ["Europe/Moscow"] * 3
    assert "Times in Asia/Aqtau" not in page
    # The browser's own date and time boxes: no calendar and clock shortcuts, whose script
    # adds the "You are N hours ahead of server time" notes.
    assert 'type="date" name="starts_at_0"' in page
    assert 'type="time" name="starts_at_1"' in page
    assert "DateTimeShortcuts.js" not in page


def test_the_event_list_shows_the_venues_clock_with_its_zone(client, staff, aktau, moscow_evening):
    staff(aktau)

    page = text(client.get(url("events_event_changelist")))

    assert f'<td class="field-starts_at_in_zone">2031-05-04 19:00 {MOSCOW_LABEL}</td>' in page
    assert "16:00" not in page


def test_a_read_only_event_page_shows_its_times_with_the_zone(client, staff, aktau, moscow_evening):
    moscow_evening.status = Status.ANNOUNCED
    moscow_evening.announced_at = datetime.datetime(2031, 4, 1, 6, 30, tzinfo=UTC)
    moscow_evening.save()
    staff(aktau, Role.EDITOR)  # editors change drafts only: this page is read-only for them

    page = text(client.get(url("events_event_change", moscow_evening.pk)))

    assert 'name="starts_at_1"' not in page
    assert f"2031-05-04 19:00 {MOSCOW_LABEL}" in page
    assert f"2031-05-04 21:00 {MOSCOW_LABEL}" in page
    assert f"2031-04-01 09:30 {MOSCOW_LABEL}" in page  # announced at


def test_the_history_shows_when_and_the_old_and_new_times_in_the_venues_zone(
    client, staff, aktau, moscow_evening
):
    editor = staff(aktau)
    StateChange.objects.create(
        event=moscow_evening,
        subject_title=moscow_evening.title_en,
        action=StateChange.Action.UPDATED,
        actor=editor,
        at=datetime.datetime(2031, 4, 2, 7, 5, tzinfo=UTC),
        details={
            "fields": ["starts_at"],
            "starts_at": ["2031-05-04T15:00:00+00:00", "2031-05-04T16:00:00+00:00"],
        },
    )

    StateChange.objects.create(
        event=moscow_evening,
        subject_title=moscow_evening.title_en,
        action=StateChange.Action.POSTPONED,
        actor=editor,
        details={
            "old": ["2031-05-04T16:00:00+00:00", "2031-05-04T18:00:00+00:00"],
            "new": ["2031-05-11T16:00:00+00:00", "2031-05-11T18:00:00+00:00"],
        },
    )

    page = text(client.get(url("events_event_change", moscow_evening.pk)))

    # Records of the shapes written before each field's values were kept still read as
    # "before → after", in the venue's zone.
    assert (
        f"<td>2031-04-02 10:05 {MOSCOW_LABEL}</td><td>{editor.email}</td><td>Changed</td>"
        f"<td><div>Start: 2031-05-04 18:00 {MOSCOW_LABEL} → 2031-05-04 19:00 {MOSCOW_LABEL}"
        "</div></td>"
    ) in page
    assert (
        f"<td>Postponed</td><td><div>Start: 2031-05-04 19:00 {MOSCOW_LABEL} → "
        f"2031-05-11 19:00 {MOSCOW_LABEL}</div><div>End: 2031-05-04 21:00 {MOSCOW_LABEL} → "
        f"2031-05-11 21:00 {MOSCOW_LABEL}</div></td>"
    ) in page


def test_an_edit_made_in_the_admin_shows_each_field_before_and_after(
    client, staff, aktau, moscow_evening
):
    # Given an editor who renames the draft, moves it an hour later and makes it a sports event
    editor = staff(aktau)
    response = client.post(
        url("events_event_change", moscow_evening.pk),
        event_form(
            moscow_evening,
            title_en="Caspian <b>night</b>",
            starts_at_1="20:00",
            ends_at_1="22:00",
            category=Event.Category.SPORTS,
        ),
    )
    assert response.status_code == 302, text(response)

    # When the event's page is opened
    page = text(client.get(url("events_event_change", moscow_evening.pk)))

    # Then its history says who changed what, each field from what to what, in plain words:
    # the title as text (escaped), the times in the venue's zone, the category by its label
    history = page.split("<tbody>")[-1].split("</table>")[0]
    assert f"<td>{editor.email}</td><td>Changed</td>" in history
    assert "<div>Title (English): Caspian evening → Caspian &lt;b&gt;night&lt;/b&gt;</div>" in (
        history
    )
    assert "<div>Category: Cultural → Sports</div>" in history
    assert (
        f"<div>Start: 2031-05-04 19:00 {MOSCOW_LABEL} → 2031-05-04 20:00 {MOSCOW_LABEL}</div>"
    ) in history
    assert (
        f"<div>End: 2031-05-04 21:00 {MOSCOW_LABEL} → 2031-05-04 22:00 {MOSCOW_LABEL}</div>"
    ) in history
    # and nothing of Python's own notation
    assert "[" not in history and "{" not in history and "&#x27;" not in history


def test_the_change_log_page_names_the_venues_zone(client, staff, aktau, moscow_evening):
    staff(aktau)
    client.post(
        url("events_event_change", moscow_evening.pk),
        event_form(moscow_evening, title_en="Caspian night"),
    )

    page = text(client.get(url("events_event_history", moscow_evening.pk)))

    assert "Times in Europe/Moscow" in page


# --- Changing -------------------------------------------------------------------------------


def test_times_typed_on_change_are_read_in_the_venues_zone(client, staff, aktau, moscow_evening):
    staff(aktau)

    response = client.post(
        url("events_event_change", moscow_evening.pk),
        event_form(moscow_evening, starts_at_1="20:00", ends_at_1="22:30"),
    )

    assert response.status_code == 302, text(response)
    moscow_evening.refresh_from_db()
    assert moscow_evening.starts_at == datetime.datetime(2031, 5, 4, 17, 0, tzinfo=UTC)
    assert moscow_evening.ends_at == datetime.datetime(2031, 5, 4, 19, 30, tzinfo=UTC)


def test_a_new_zone_in_the_same_form_reads_the_times_typed_with_it(
    client, staff, aktau, moscow_evening
):
    staff(aktau)

    # The venue turns out to be in Aktau: same wall-clock times, in the zone now given.
    response = client.post(
        url("events_event_change", moscow_evening.pk),
        event_form(moscow_evening, timezone="Asia/Aqtau"),
    )

    assert response.status_code == 302, text(response)
    moscow_evening.refresh_from_db()
    assert moscow_evening.timezone == "Asia/Aqtau"
    assert moscow_evening.starts_at == datetime.datetime(2031, 5, 4, 14, 0, tzinfo=UTC)
    assert moscow_evening.ends_at == datetime.datetime(2031, 5, 4, 16, 0, tzinfo=UTC)
    record = moscow_evening.history.get()
    assert record.details["fields"] == ["ends_at", "starts_at", "timezone"]


@pytest.mark.parametrize("typed", ["asia/aqtau", " ASIA/AQTAU ", "Asia/Aqtau"])
def test_a_zone_is_found_however_its_name_is_typed(client, staff, aktau, moscow_evening, typed):
    staff(aktau)

    response = client.post(
        url("events_event_change", moscow_evening.pk), event_form(moscow_evening, timezone=typed)
    )

    assert response.status_code == 302, text(response)
    moscow_evening.refresh_from_db()
    assert moscow_evening.timezone == "Asia/Aqtau"
    assert moscow_evening.starts_at == datetime.datetime(2031, 5, 4, 14, 0, tzinfo=UTC)


def test_a_name_that_is_no_zone_is_refused_on_its_field(client, staff, aktau, moscow_evening):
    staff(aktau)

    response = client.post(
        url("events_event_change", moscow_evening.pk),
        event_form(moscow_evening, timezone="Asia/Atlantis"),
    )

    assert response.status_code == 200
    assert "timezone" in form_errors(response)
    moscow_evening.refresh_from_db()
    assert moscow_evening.timezone == "Europe/Moscow"


def test_saving_other_fields_keeps_the_stored_times_to_the_microsecond(
    client, staff, aktau, moscow_evening
):
    # Set through the API, which takes seconds and their fractions; the boxes show seconds.
    precise = datetime.datetime(2031, 5, 4, 16, 0, 30, 250_000, tzinfo=UTC)
    Event.objects.filter(pk=moscow_evening.pk).update(starts_at=precise)
    moscow_evening.refresh_from_db()
    staff(aktau)

    page = text(client.get(url("events_event_change", moscow_evening.pk)))
    response = client.post(
        url("events_event_change", moscow_evening.pk),
        event_form(moscow_evening, title_en="Caspian night", starts_at_1=box(page, "starts_at_1")),
    )

    assert box(page, "starts_at_1") == "19:00:30"
    assert response.status_code == 302, text(response)
    moscow_evening.refresh_from_db()
    assert moscow_evening.starts_at == precise
    assert moscow_evening.history.get().details["fields"] == ["title_en"]


def test_a_form_shown_again_with_errors_keeps_the_times_and_zone_as_typed(
    client, staff, aktau, moscow_evening
):
    staff(aktau)
    data = event_form(moscow_evening, timezone="Asia/Aqtau", starts_at_1="19:00", ends_at_1="18:00")

    response = client.post(url("events_event_change", moscow_evening.pk), data)

    assert response.status_code == 200
    assert form_errors(response)["ends_at"] == ["An event must end after it starts."]
    page = text(response)
    assert (box(page, "starts_at_1"), box(page, "ends_at_1")) == ("19:00", "18:00")
    assert box(page, "timezone") == "Asia/Aqtau"
    # The start, the end and (a draft's) time to announce it at.
    assert zones_named_beside_the_times(page) == ["Asia/Aqtau"] * 3
    assert Event.objects.get(pk=moscow_evening.pk).starts_at == MOSCOW_19H


def test_a_save_refused_by_the_service_shows_the_page_again_without_shifting_the_times(
    client, staff, aktau, moscow_evening
):
    # Given an event called off while its page was open for editing
    moscow_evening.status = Status.CANCELLED
    moscow_evening.save()
    staff(aktau, Role.PUBLISHER)
    data = event_form(moscow_evening, timezone="Asia/Aqtau", starts_at_1="20:15")

    # When the page is saved
    response = client.post(url("events_event_change", moscow_evening.pk), data)

    # Then the service's reason is shown on the event's page, now read-only, with its times
    # as the venue's clocks show them, and nothing changed
    assert response.status_code == 200
    page = text(response)
    assert "A cancelled event cannot be edited." in page
    assert 'name="starts_at_1"' not in page
    assert "Save" not in re.findall(r'<input type="submit" value="([^"]*)"', page)
    assert "19:00 (Europe/Moscow, UTC+03:00)" in page
    moscow_evening.refresh_from_db()
    assert (moscow_evening.starts_at, moscow_evening.timezone) == (MOSCOW_19H, "Europe/Moscow")


# --- Clock changes and impossible times -----------------------------------------------------


@pytest.mark.parametrize(
    ("day", "message"),
    [
        # Clocks go forward from 02:00 to 03:00: 02:30 never happens.
        ("2031-03-30", "2031-03-30 02:30 does not exist in Europe/Berlin"),
        # Clocks go back from 03:00 to 02:00: 02:30 happens twice.
        ("2031-10-26", "2031-10-26 02:30 happens twice in Europe/Berlin"),
    ],
)
def test_a_time_the_venues_clocks_skip_or_repeat_is_a_field_error_on_add(
    client, staff, aktau, day, message
):
    staff(aktau)
    data = new_event_form(
        aktau,
        timezone="Europe/Berlin",
        starts_at_0=day,
        starts_at_1="02:30",
        ends_at_0=day,
        ends_at_1="05:00",
    )

    response = client.post(url("events_event_add"), data)

    assert response.status_code == 200
    [error] = form_errors(response)["starts_at"]
    assert error.startswith(message)
    assert not Event.objects.exists()


def test_a_time_the_venues_clocks_repeat_is_a_field_error_on_change(
    client, staff, aktau, moscow_evening
):
    staff(aktau)
    data = event_form(
        moscow_evening,
        timezone="Europe/Berlin",
        starts_at_0="2031-10-26",
        starts_at_1="01:00",
        ends_at_0="2031-10-26",
        ends_at_1="02:30",
    )

    response = client.post(url("events_event_change", moscow_evening.pk), data)

    assert response.status_code == 200
    [error] = form_errors(response)["ends_at"]
    assert error.startswith("2031-10-26 02:30 happens twice in Europe/Berlin")
    moscow_evening.refresh_from_db()
    assert (moscow_evening.ends_at, moscow_evening.timezone) == (
        MOSCOW_19H + datetime.timedelta(hours=2),
        "Europe/Moscow",
    )


def test_a_time_that_cannot_be_read_is_its_only_error(client, staff, aktau, moscow_evening):
    staff(aktau)
    # A new start after the stored end, and an end that is no date: only the latter is wrong.
    data = event_form(moscow_evening, starts_at_0="2031-06-01", ends_at_0="2031-06-31")

    response = client.post(url("events_event_change", moscow_evening.pk), data)

    assert response.status_code == 200
    assert form_errors(response) == {"ends_at": ["Enter a valid date."]}
    assert Event.objects.get(pk=moscow_evening.pk).starts_at == MOSCOW_19H


@pytest.mark.parametrize(
    ("zone", "day", "hour"),
    [
        # Each is a valid date and time where it is typed, but its instant is before year 1 or
        # after year 9999 in UTC.
        ("America/New_York", "9999-12-31", "23:30"),
        ("Asia/Aqtau", "0001-01-01", "00:30"),
    ],
)
def test_a_time_whose_instant_cannot_be_held_is_a_field_error(
    client, staff, aktau, zone, day, hour
):
    staff(aktau)
    data = new_event_form(
        aktau, timezone=zone, starts_at_0=day, starts_at_1=hour, ends_at_0=day, ends_at_1=hour
    )

    response = client.post(url("events_event_add"), data)

    assert response.status_code == 200
    assert "2000-01-01T00:00:00Z" in form_errors(response)["starts_at"][0]
    assert not Event.objects.exists()


def test_an_unknown_zone_is_a_field_error_and_no_time_is_read(client, staff, aktau):
    staff(aktau)
    data = new_event_form(
        aktau,
        timezone="Asia/Aktau",  # the city's English name; the zone is Asia/Aqtau
        starts_at_0="2031-05-04",
        starts_at_1="19:00",
        ends_at_0="2031-05-04",
        ends_at_1="21:00",
    )

    response = client.post(url("events_event_add"), data)

    assert response.status_code == 200
    errors = form_errors(response)
    assert errors["timezone"] == ["Asia/Aktau is not an IANA time zone (for example Asia/Almaty)."]
    assert errors["starts_at"] == ["Give the venue's time zone: this time is read in it."]
    assert box(text(response), "starts_at_1") == "19:00"
    assert not Event.objects.exists()


# --- Announcements --------------------------------------------------------------------------


def test_announcements_show_their_times_in_their_citys_zone(client, staff, aktau):
    publisher = staff(aktau, Role.PUBLISHER)
    announcement = services.create_announcement(
        publisher, aktau, {"title_en": "Ferry to Baku", "body_en": "Sails on Friday."}
    )
    published = datetime.datetime(2031, 5, 1, 4, 0, tzinfo=UTC)
    Announcement.objects.filter(pk=announcement.pk).update(published_at=published)
    StateChange.objects.filter(announcement=announcement).update(at=published)

    listed = text(client.get(url("events_announcement_changelist")))
    page = text(client.get(url("events_announcement_change", announcement.pk)))

    label = "2031-05-01 09:00 (Asia/Aqtau, UTC+05:00)"
    assert f'<td class="field-published_at_in_zone">{label}</td>' in listed
    assert label in page.split('field-published_at_in_zone">', 1)[1]
    assert f"<td>{label}</td><td>{publisher.email}</td><td>Published</td>" in page
