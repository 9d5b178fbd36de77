"""Pages other than the GraphQL endpoint (calendar files, the admin) while the database is
down: 503 with Retry-After, as the API's SERVICE_UNAVAILABLE, never a 500 error page."""

import pytest
from django.urls import reverse

from core.outages import RETRY_AFTER_SECONDS
from tests.outages import database_unreachable

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(event_factory):
    return event_factory()


def assert_unavailable(response):
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Type"] == "text/plain; charset=utf-8"


def test_an_events_calendar_file_while_the_database_is_down_is_503(client, event):
    with database_unreachable():
        response = client.get(reverse("event-ics", kwargs={"pk": event.pk}))

    assert_unavailable(response)


def test_a_private_calendar_while_the_database_is_down_is_503(client):
    with database_unreachable():
        response = client.get(reverse("user-calendar", kwargs={"token": "a" * 43}))

    assert_unavailable(response)


def test_an_admin_page_while_the_database_is_down_is_503(admin_client):
    with database_unreachable():
        response = admin_client.get(reverse("admin:events_event_changelist"))

    assert_unavailable(response)


def test_an_error_that_is_no_outage_is_still_a_server_error(client, monkeypatch, event):
    # A bug stays a bug: it reaches Django's handling of errors (a 500 and its report).
    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr("events.views.event_calendar", broken)
    client.raise_request_exception = False

    response = client.get(reverse("event-ics", kwargs={"pk": event.pk}))

    assert response.status_code == 500
