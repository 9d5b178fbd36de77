"""An office employee's day in the admin, in a real browser (``tests/e2e/browser.py``), against
a live server on the test database, every step saved as a screenshot (``office-NN-…``):
signing in, the admin in Russian and in Urdu, an event at a venue in another zone, its time in
the list, announcing, postponing and cancelling it through their confirmation pages, its
history, inviting a colleague who joins through the e-mailed link, and an announcement that
publishes itself later.

The people and places are committed before the browser starts (the server is another
process), and removed after the test; while the browser runs, the test touches no database:
Playwright's sync API keeps an event loop running in this thread, where Django refuses
database calls."""

import datetime
import re
import zoneinfo

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from playwright.sync_api import expect

from accounts.models import Device
from cities.models import CityFollow, OfficeMembership, Twinning
from cities.staff import make_office_staff
from tests.e2e.browser import launched_chromium, offline_context, screenshot
from tests.e2e.live_server import LiveServer
from tests.factories import CityFactory, CityOfficeFactory, TwinningFactory, UserFactory

EMAIL = "aigerim@aktau.example.org"
PASSWORD = "Caspian-sea-2031"
COLLEAGUE = "daniyar@aktau.example.org"
COLLEAGUE_PASSWORD = "Mangystau-steppe-77"
MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")
# The event's day: far enough ahead to announce, postpone and still be in the future.
DAY = datetime.date.today() + datetime.timedelta(days=40)
NEW_DAY = DAY + datetime.timedelta(days=7)
REASON = "The hall is closed for repairs."


@pytest.fixture
def office(transactional_db):
    """Aktau's office with its publisher and administrator, a sister port, and one follower
    of Aktau with a phone."""
    aktau = CityFactory(
        name_en="Aktau", name_ru="Актау", country="KZ", timezone="Asia/Aqtau", slug="aktau"
    )
    karachi = CityFactory(name_en="Karachi", country="PK", timezone="Asia/Karachi", slug="karachi")
    TwinningFactory(city_a=aktau, city_b=karachi, kind=Twinning.Kind.SISTER_PORT)
    office = CityOfficeFactory(city=aktau, name_en="Aktau international office")
    Role = OfficeMembership.Role
    employee = make_office_staff(EMAIL, office, [Role.ADMIN, Role.PUBLISHER])
    # Hashed as the server (production's hashers) checks it, not as the test settings would.
    employee.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    employee.save(update_fields=["password"])
    follower = UserFactory(language="ru")
    CityFollow.objects.create(user=follower, city=aktau)
    Device.objects.create(user=follower, token="walk-device", platform="android", locale="ru")
    return office


@pytest.fixture
def server(office, live_database, tmp_path):
    """A server of the walk's own, as `make run` serves it (DEBUG on, e-mail printed to its
    log), started once the rows are written: a server that outlived other tests' emptied
    database would hold the content types of before (Django keeps them per process), and the
    admin's log entries would name rows that are gone."""
    server = LiveServer(
        tmp_path / "server.log",
        live_database,
        {"DJANGO_SETTINGS_MODULE": "backend.settings", "DEBUG": "true"},
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def browser(office):
    """Chromium for this test only, started once the rows are written and stopped before the
    database is emptied."""
    with launched_chromium() as browser:
        yield browser


@pytest.fixture
def page(browser, server):
    context = offline_context(browser, server.url, locale="en-GB")
    page = context.new_page()
    # Generous: CI runs both legs of the suite side by side on two cores.
    page.set_default_timeout(60_000)
    page.base = server.url
    yield page
    # Where the walk ended, passed or not: the page a failure left is the first thing to see.
    screenshot(page, "office-99-last-page")
    context.close()


def open_(page, path: str) -> None:
    page.goto(page.base + path)


def sign_in(page, email: str, password: str) -> None:
    open_(page, "/admin/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("#login-form [type=submit]")


def fill_time(page, name: str, moment: datetime.datetime) -> None:
    page.fill(f"#id_{name}_0", f"{moment:%Y-%m-%d}")
    page.fill(f"#id_{name}_1", f"{moment:%H:%M}")


def messages(page) -> str:
    """The messages the admin shows after a step (it waits for them)."""
    expect(page.locator("ul.messagelist")).to_be_visible(timeout=60_000)
    return page.locator("ul.messagelist").inner_text()


# The steps, in order, each from where the last one left the page.


def step_01_an_employee_signs_in(page):
    sign_in(page, EMAIL, PASSWORD)

    expect(page.locator("#user-tools")).to_contain_text(EMAIL)
    expect(page.get_by_role("link", name="Events", exact=True).first).to_be_visible()
    screenshot(page, "office-01-signed-in")


def step_02_the_admin_in_russian_then_in_urdu(page):
    # The header's language box; the choice is kept on the employee's profile.
    page.select_option("#language-choice", "ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("link", name="Мероприятия", exact=True).first).to_be_visible()
    screenshot(page, "office-02-russian")

    page.select_option("#language-choice", "ur")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("link", name="تقریبات", exact=True).first).to_be_visible()
    screenshot(page, "office-02-urdu")

    page.select_option("#language-choice", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def step_03_an_event_at_a_venue_in_another_zone(page):
    open_(page, "/admin/events/event/add/")
    # A new event's zone is offered from the office's city.
    assert page.input_value("#id_timezone") == "Asia/Aqtau"

    page.fill("#id_title_en", "Caspian evening in Moscow")
    page.fill("#id_title_ru", "Каспийский вечер в Москве")
    page.select_option("#id_category", "CULTURAL")
    page.fill("#id_timezone", "Europe/Moscow")
    fill_time(page, "starts_at", datetime.datetime.combine(DAY, datetime.time(19, 0)))
    fill_time(page, "ends_at", datetime.datetime.combine(DAY, datetime.time(21, 30)))
    page.fill("#id_venue_name", "Embassy hall")
    screenshot(page, "office-03-new-event")
    page.click("input[name=_continue]")

    assert "was added successfully" in messages(page)
    assert re.search(r"/admin/events/event/\d+/change/$", page.url)
    screenshot(page, "office-03-event-saved")


def step_04_the_list_shows_the_time_the_venue_keeps(page):
    open_(page, "/admin/events/event/")
    row = page.locator("#result_list tbody tr", has_text="Caspian evening in Moscow")

    # 19:00 in Moscow, named, not the server's UTC hour (16:00) nor Aktau's (21:00).
    assert f"{DAY:%Y-%m-%d} 19:00 (Europe/Moscow" in row.inner_text()
    screenshot(page, "office-04-event-list")
    row.locator("th a, td a").first.click()


def step_05_announcing_shows_the_push_before_it_goes(page):
    page.click("a.event-action-announce")

    # The push in every language, and the one phone that follows Aktau.
    texts = page.locator(".event-push-preview").first.inner_text()
    assert "Caspian evening in Moscow" in texts
    assert "Каспийский вечер в Москве" in texts
    assert page.locator(".event-push-ur [dir=rtl]").count() == 3
    assert page.locator(".event-push-reach").first.get_attribute("data-devices") == "1"
    screenshot(page, "office-05-announce-confirmation")
    page.click("input[name=confirm]")

    assert "announced" in messages(page).lower()
    screenshot(page, "office-05-announced")


def step_06_postponing_to_new_times(page):
    page.click("a.event-action-postpone")
    fill_time(page, "new_starts_at", datetime.datetime.combine(NEW_DAY, datetime.time(18, 0)))
    fill_time(page, "new_ends_at", datetime.datetime.combine(NEW_DAY, datetime.time(20, 0)))
    page.click("input[name=preview]")

    assert f"{NEW_DAY:%d.%m.%Y} 18:00" in page.locator("#content").inner_text()
    screenshot(page, "office-06-postpone-confirmation")
    page.click("input[name=confirm]")

    assert "postponed" in messages(page).lower()


def step_07_cancelling_with_a_reason_that_the_push_carries(page):
    page.click("a.event-action-cancel")
    page.fill("#id_reason", REASON)
    page.click("input[name=preview]")

    assert REASON in page.locator(".event-push-preview").first.inner_text()
    screenshot(page, "office-07-cancel-confirmation")
    page.click("input[name=confirm]")

    assert "cancelled" in messages(page).lower()
    # A cancelled event is kept, not deleted, and offers nothing more to do.
    assert page.locator("a.deletelink").count() == 0
    assert page.locator("a.event-action-announce, a.event-action-postpone").count() == 0


def step_08_the_history_tells_who_changed_what_from_what_to_what(page):
    history = page.locator("fieldset", has_text="History").last.inner_text()

    assert EMAIL in history
    moved = (
        f"{DAY:%Y-%m-%d} 19:00 (Europe/Moscow, UTC+03:00) → "
        f"{NEW_DAY:%Y-%m-%d} 18:00 (Europe/Moscow, UTC+03:00)"
    )
    assert moved in history
    assert REASON in history
    page.locator("fieldset", has_text="History").last.scroll_into_view_if_needed()
    screenshot(page, "office-08-history")


def step_09_a_colleague_is_invited_and_joins_through_the_link(page, browser, server):
    open_(page, "/admin/cities/officeinvitation/add/")
    page.fill("#id_email", COLLEAGUE)
    page.select_option("#id_role", "EDITOR")
    screenshot(page, "office-09-invitation")
    page.click("input[name=_save]")
    assert COLLEAGUE in page.locator("#content").inner_text()

    # The e-mail is printed to the server's log on the embedded default.
    links = re.findall(r"https?://\S+/team/join/[^/\s]+/", server.log())
    assert links, "no invitation link in the server's log"
    colleague = offline_context(browser, server.url, locale="en-GB")
    try:
        joining = colleague.new_page()
        joining.goto(links[-1])
        screenshot(joining, "office-09-joining")
        joining.fill("input[name=password1]", COLLEAGUE_PASSWORD)
        joining.fill("input[name=password2]", COLLEAGUE_PASSWORD)
        joining.locator("#content form [type=submit]").first.click()

        # Signed in, in the admin, able to work on the office's events.
        expect(joining.locator("#user-tools")).to_contain_text(COLLEAGUE)
        expect(joining.get_by_role("link", name="Events", exact=True).first).to_be_visible()
        screenshot(joining, "office-09-colleague-in-the-admin")
    finally:
        colleague.close()


def step_10_an_announcement_that_publishes_itself_later(page):
    open_(page, "/admin/events/announcement/add/")
    page.fill("#id_title_en", "Sister ports week")
    page.fill("#id_body_en", "Aktau and Karachi celebrate their harbours.")
    later = datetime.datetime.combine(DAY, datetime.time(9, 30))
    fill_time(page, "publish_at", later)
    page.click("input[name=_save]")

    row = page.locator("#result_list tbody tr", has_text="Sister ports week")
    assert f"Scheduled for {DAY:%Y-%m-%d} 09:30 (Asia/Aqtau" in row.inner_text()
    screenshot(page, "office-10-scheduled-announcement")
    assert page.refused == []


def test_an_office_employee_s_day_in_the_admin(page, browser, server):
    step_01_an_employee_signs_in(page)
    step_02_the_admin_in_russian_then_in_urdu(page)
    step_03_an_event_at_a_venue_in_another_zone(page)
    step_04_the_list_shows_the_time_the_venue_keeps(page)
    step_05_announcing_shows_the_push_before_it_goes(page)
    step_06_postponing_to_new_times(page)
    step_07_cancelling_with_a_reason_that_the_push_carries(page)
    step_08_the_history_tells_who_changed_what_from_what_to_what(page)
    step_09_a_colleague_is_invited_and_joins_through_the_link(page, browser, server)
    step_10_an_announcement_that_publishes_itself_later(page)
