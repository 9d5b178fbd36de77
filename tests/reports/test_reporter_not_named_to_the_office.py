"""A report of an event goes to the moderators of the office that publishes it, the very office
whose event is reported: they learn what is wrong, not who said so. The chat shows people by
their name and tag, "never their e-mail" (README); the reported office must not be handed the
reporter's address to answer the report with."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.display_names import name_with_tag
from cities.models import OfficeMembership
from cities.staff import office_staff_group
from reports import services


@pytest.fixture
def moderator_of(db, client):
    def sign_in(office):
        user = get_user_model().objects.create_user(
            f"moderator@{office.pk}.example.org", "unused", is_staff=True
        )
        OfficeMembership.objects.create(
            user=user, office=office, role=OfficeMembership.Role.MODERATOR
        )
        user.groups.add(office_staff_group())
        client.force_login(user)
        return user

    return sign_in


def test_the_reported_office_does_not_read_the_reporters_email(
    client, moderator_of, office, event_factory, user_factory
):
    # Given a user who reports the office's event as a scam
    reporter = user_factory(email="whistleblower@example.kz", display_name="Dana")
    event = event_factory(office=office, host_city=office.city, title_en="Cheap tickets")
    report = services.report_event(
        reporter, event, "SCAM", "They take money and never answer"
    ).report
    moderator_of(office)

    # When the office's moderator reads the reports, and the report
    listing = client.get(reverse("admin:reports_report_changelist"))
    page = client.get(reverse("admin:reports_report_change", args=[report.pk]))

    # Then the report is there, and the reporter's address is not
    assert listing.status_code == page.status_code == 200
    assert "They take money" in page.content.decode()
    for text in (listing.content.decode(), page.content.decode()):
        assert "whistleblower@example.kz" not in text
        assert name_with_tag(reporter) not in text
    # Nor by filtering the list by the person, whose ID the app shows.
    by_reporter = client.get(reverse("admin:reports_report_changelist"), {"reporter": reporter.pk})
    by_reporter_id = client.get(
        reverse("admin:reports_report_changelist"), {"reporter__id__exact": reporter.pk}
    )
    assert by_reporter.status_code == by_reporter_id.status_code == 400


def test_the_operators_read_the_reporter_by_name_and_tag(
    client, office, event_factory, user_factory
):
    reporter = user_factory(email="whistleblower@example.kz", display_name="Dana")
    event = event_factory(office=office, host_city=office.city, title_en="Cheap tickets")
    report = services.report_event(reporter, event, "SCAM", "").report
    client.force_login(user_factory(is_staff=True, is_superuser=True))

    listing = client.get(reverse("admin:reports_report_changelist")).content.decode()
    page = client.get(reverse("admin:reports_report_change", args=[report.pk])).content.decode()

    for text in (listing, page):
        assert name_with_tag(reporter) in text
        assert "whistleblower@example.kz" not in text
