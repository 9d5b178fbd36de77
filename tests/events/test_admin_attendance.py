"""The admin's "Who is coming" page of an event and its CSV files: totals, counts per day in
the venue's zone, the people who agreed to be listed (and only those), for the staff of the
offices acting for the event and superusers only."""

import csv
import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from cities.models import OfficeMembership
from cities.staff import office_staff_group
from events import services
from events.models import EventCohost, Rsvp
from tests.factories import RsvpChangeFactory

Role = OfficeMembership.Role
GOING, INTERESTED = Rsvp.Status.GOING, Rsvp.Status.INTERESTED
UTC = datetime.UTC
BOM = "\ufeff"


def page_url(event, suffix=""):
    return reverse(f"admin:events_event_attendance{suffix}", args=[event.pk])


def csv_rows(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith(BOM)
    return list(csv.reader(io.StringIO(body.removeprefix(BOM))))


@pytest.fixture
def office_x(office_factory, city_factory):
    return office_factory(
        city=city_factory(name_en="Aktau", timezone="Asia/Aqtau"), name_en="Aktau office"
    )


@pytest.fixture
def office_y(office_factory, city_factory):
    return office_factory(
        city=city_factory(name_en="Karachi", country="PK", timezone="Asia/Karachi"),
        name_en="Karachi office",
    )


@pytest.fixture
def staff(db, client):
    """Sign in a new staff user holding ``role`` in ``office``."""

    def sign_in(office, role):
        user = get_user_model().objects.create_user(
            f"{role.lower()}@{office.pk}.example.org", "unused", is_staff=True
        )
        OfficeMembership.objects.create(user=user, office=office, role=role)
        user.groups.add(office_staff_group())
        client.force_login(user)
        return user

    return sign_in


@pytest.fixture
def concert(event_factory, office_x, user_factory):
    """An Aktau event answered by a listed Cyrillic name, a listed name that tries a
    formula, and two people who did not agree to be listed."""
    event = event_factory(office=office_x, host_city=office_x.city, title_en="Dombra night")
    people = [
        (user_factory(display_name="Дана Әбілова", listed_as_attendee=True), GOING),
        (
            user_factory(display_name='=HYPERLINK("http://x.example")', listed_as_attendee=True),
            INTERESTED,
        ),
        (user_factory(display_name="Hidden Going"), GOING),
        (user_factory(display_name="Hidden Interested"), INTERESTED),
    ]
    for user, status in people:
        services.set_rsvp(user, event, status)
    return event


# --- Who may see it ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.EDITOR, Role.PUBLISHER, Role.MODERATOR])
def test_staff_of_the_organising_office_see_the_page(client, staff, office_x, concert, role):
    staff(office_x, role)

    response = client.get(page_url(concert))

    assert response.status_code == 200


def test_an_accepted_cohost_sees_it_an_invited_one_does_not(
    client, staff, office_x, office_y, event_factory
):
    # Given two events of Aktau's, one co-hosted by Karachi's office, one it is invited to
    accepted = event_factory(office=office_x, host_city=office_x.city)
    invited = event_factory(office=office_x, host_city=office_x.city)
    EventCohost.objects.create(event=accepted, office=office_y, status=EventCohost.Status.ACCEPTED)
    EventCohost.objects.create(event=invited, office=office_y)
    staff(office_y, Role.EDITOR)

    # Then Karachi's staff see who is coming to the first only
    assert client.get(page_url(accepted)).status_code == 200
    assert client.get(page_url(invited)).status_code == 403
    assert client.get(page_url(invited, "_attendees_csv")).status_code == 403
    assert client.get(page_url(invited, "_daily_csv")).status_code == 403


def test_another_offices_staff_are_refused_and_see_no_names(
    client, staff, office_y, concert, event_factory
):
    staff(office_y, Role.PUBLISHER)

    responses = [client.get(page_url(concert, suffix)) for suffix in ("", "_attendees_csv")]

    assert [response.status_code for response in responses] == [403, 403]
    assert all("Дана" not in response.content.decode() for response in responses)


def test_a_draft_of_another_office_is_not_found(client, staff, office_x, office_y, event_factory):
    draft = event_factory(office=office_y, host_city=office_y.city, status="DRAFT")
    staff(office_x, Role.EDITOR)

    assert client.get(page_url(draft)).status_code == 404


def test_an_app_user_is_sent_to_the_admins_sign_in(client, user_factory, concert):
    client.force_login(user_factory())

    response = client.get(page_url(concert))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize("object_id", ["0", "abc", "99999999999999999999999", "-1"])
def test_bad_or_unknown_ids_are_not_found(client, db, object_id):
    client.force_login(get_user_model().objects.create_superuser("root@example.org", "unused"))

    response = client.get(f"/admin/events/event/{object_id}/attendance/")

    assert response.status_code == 404


def test_a_superuser_sees_every_event(client, concert):
    client.force_login(get_user_model().objects.create_superuser("root@example.org", "unused"))

    assert client.get(page_url(concert)).status_code == 200


# --- What it shows -------------------------------------------------------------------------


def test_the_change_page_links_to_who_is_coming(client, staff, office_x, concert):
    staff(office_x, Role.PUBLISHER)

    response = client.get(reverse("admin:events_event_change", args=[concert.pk]))

    assert response.status_code == 200
    assert f'href="{page_url(concert)}"' in response.content.decode()


def test_the_page_shows_totals_days_and_only_the_listed(client, staff, office_x, concert):
    # Given the concert's changes moved to two Aktau days (UTC+05:00): the first two answers
    # late on the 3rd, the others after Aktau's midnight, still the 3rd in UTC
    changes = list(concert.rsvp_changes.order_by("pk"))
    for change, at in zip(
        changes,
        [(10, 0), (18, 30), (19, 30), (19, 45)],
        strict=True,
    ):
        change.at = datetime.datetime(2031, 5, 3, *at, tzinfo=UTC)
        change.save()
    staff(office_x, Role.EDITOR)

    # When the page is opened
    response = client.get(page_url(concert))
    page = response.content.decode()

    # Then it shows the totals, the days of the venue named by its zone, the listed people
    # with their answer, and only a count of the others
    assert response.context["totals"].going == 2
    assert response.context["totals"].interested == 2
    assert [(day["day"], day["going"], day["interested"]) for day in response.context["days"]] == [
        ("2031-05-03", 1, 1),
        ("2031-05-04", 2, 2),
    ]
    assert "Asia/Aqtau" in page
    assert [(row["name"], row["answer"]) for row in response.context["attendees"]] == [
        ("Дана Әбілова", "Going"),
        ('=HYPERLINK("http://x.example")', "Interested"),
    ]
    assert "Дана Әбілова" in page
    assert "(Asia/Aqtau, UTC+05:00)" in response.context["attendees"][0]["since"]
    assert "2 people chose not to be listed." in page
    assert "Hidden" not in page


def test_an_event_nobody_answered(client, staff, office_x, event_factory):
    event = event_factory(office=office_x, host_city=office_x.city)
    staff(office_x, Role.EDITOR)

    page = client.get(page_url(event)).content.decode()

    assert "Nobody has answered yet." in page
    assert "chose not to be listed" not in page


# --- The CSV files -------------------------------------------------------------------------


def test_the_attendees_csv_names_the_listed_only_and_defuses_formulas(
    client, staff, office_x, concert
):
    staff(office_x, Role.EDITOR)

    response = client.get(page_url(concert, "_attendees_csv"))
    rows = csv_rows(response)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="event-{concert.pk}-attendees.csv"'
    )
    assert rows[0] == ["Name", "Answer", "Since (time at the venue)"]
    assert [row[:2] for row in rows[1:]] == [
        ["Дана Әбілова", "Going"],
        ['\'=HYPERLINK("http://x.example")', "Interested"],
    ]
    assert all(row[2].endswith("(Asia/Aqtau, UTC+05:00)") for row in rows[1:])
    assert "Hidden" not in response.content.decode()


def test_the_daily_csv_counts_per_venue_day(client, staff, office_x, event_factory):
    # Given an Aktau event with answers on either side of Aktau's midnight
    event = event_factory(office=office_x, host_city=office_x.city)
    RsvpChangeFactory(event=event, at=datetime.datetime(2031, 5, 3, 18, 30, tzinfo=UTC))
    RsvpChangeFactory(
        event=event, at=datetime.datetime(2031, 5, 3, 19, 30, tzinfo=UTC), to_status=INTERESTED
    )
    staff(office_x, Role.MODERATOR)

    # When the counts are downloaded
    response = client.get(page_url(event, "_daily_csv"))

    # Then each Aktau day is a row under a header naming the zone
    assert response["Content-Disposition"] == (
        f'attachment; filename="event-{event.pk}-daily-counts.csv"'
    )
    assert csv_rows(response) == [
        ["Day (Asia/Aqtau)", "Going at the end of the day", "Interested at the end of the day"],
        ["2031-05-03", "1", "0"],
        ["2031-05-04", "1", "1"],
    ]
