"""The admin in a real browser (``tests/e2e/browser.py``), in the languages of
its offices: the events list fits a window 1400 pixels wide, left to right and right to left."""

import datetime

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone

from cities.models import OfficeMembership
from cities.staff import office_staff_group
from events.models import Event
from tests.e2e.browser import launched_chromium, screenshot
from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

WINDOW = {"width": 1400, "height": 900}


@pytest.fixture
def publisher(user_factory, office, event_factory):
    """A publisher of ``office`` who may sign in to the admin, and a page of its events with
    long titles in a zone with a long name."""
    user = user_factory(is_staff=True)
    # The server hashes with the project's hasher, not the suite's fast one.
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "admin-browser", iterations=1000)
    user.save(update_fields=["password"])
    OfficeMembership.objects.create(user=user, office=office, role=OfficeMembership.Role.PUBLISHER)
    user.groups.add(office_staff_group())
    start = timezone.now() + datetime.timedelta(days=30)
    for number in range(12):
        event_factory(
            office=office,
            host_city=office.city,
            title_en=f"Twin cities' friendship festival of music and dance, evening {number}",
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=3),
            timezone="America/Argentina/ComodRivadavia",
            status=Event.Status.DRAFT if number % 2 else Event.Status.ANNOUNCED,
        )
    return user


@pytest.mark.parametrize(("language", "direction"), [("ru", "ltr"), ("ur", "rtl")])
def test_the_events_list_fits_a_window_1400_pixels_wide(
    debug_server,
    publisher,
    language,
    direction,
):
    # Started here, after the fixtures wrote the rows: Django refuses the database in a
    # thread where Playwright's sync API runs its event loop.
    with launched_chromium() as browser:
        page = browser.new_context(locale=language, viewport=WINDOW).new_page()
        page.goto(f"{debug_server.url}/admin/login/?next=/admin/events/event/")
        page.fill("#id_username", publisher.email)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.locator("#result_list").wait_for(timeout=30_000)
        screenshot(page, f"admin-events-{language}")

        assert page.evaluate("document.documentElement.lang") == language
        assert page.evaluate("document.documentElement.dir") == direction
        assert page.locator("#result_list tbody tr").count() == 12
        width = page.evaluate("document.documentElement.scrollWidth")

        # An event's form: each language's box written in its own direction.
        page.locator("#result_list tbody tr a").first.click()
        page.locator("#event_form").wait_for(timeout=30_000)
        screenshot(page, f"admin-event-form-{language}")
        directions = {
            code: page.evaluate(
                f"getComputedStyle(document.getElementsByName('title_{code}')[0]).direction"
            )
            for code in ("en", "ru", "kk", "ur")
        }
        form_width = page.evaluate("document.documentElement.scrollWidth")

    assert width <= WINDOW["width"]
    assert directions == {"en": "ltr", "ru": "ltr", "kk": "ltr", "ur": "rtl"}
    assert form_width <= WINDOW["width"]
