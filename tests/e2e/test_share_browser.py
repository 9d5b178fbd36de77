"""An event's share page in a real browser (``tests/e2e/browser.py``), on a phone's screen, in
each of the four languages: what a person who follows a shared link sees (screenshots
``share-…``: the date, the price, where to register, the notes on access), the tags
messengers preview it by as the browser's document holds them, texts written to break out of
the page, the link with a slash after it, and the button that opens the app.

The rows are committed before the browser starts (the server is another process); while the
browser runs the test touches no database: Playwright's sync API keeps an event loop running in
this thread, where Django refuses database calls."""

import datetime
import re
from decimal import Decimal

import pytest

from events.models import Event
from tests.e2e.browser import launched_chromium, offline_context, screenshot
from tests.e2e.live_server import LiveServer
from tests.factories import CityFactory, CityOfficeFactory, EventFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
ANDROID_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
APP = {
    "ANDROID_PACKAGE_NAME": "org.example.twinning",
    "ANDROID_SHA256_CERT_FINGERPRINTS": ":".join(["5A"] * 32),
    "IOS_TEAM_ID": "ABCDE12345",
    "IOS_BUNDLE_ID": "org.example.twinning",
    "IOS_APP_STORE_ID": "1234567890",
}
# 14:00 UTC: 19:00 in Aktau (UTC+05:00).
STARTS = datetime.datetime(2031, 5, 4, 14, 0, tzinfo=datetime.UTC)
TITLES = {
    "en": "Caspian jazz night",
    "ru": "Каспийский джазовый вечер",
    "kk": "Каспий джаз кеші",
    "ur": "کیسپین جاز کی شام",
}
# May in each language, as the page names it beside a day: in lower case in Kazakh, as in
# Russian, where Django's catalogue capitalises it.
MAY = {"en": "May", "ru": "мая", "kk": "мамыр", "ur": "مئی"}
# 2 500 KZT as each language writes a price.
PRICE = {"en": "KZT\xa02,500", "ru": "2\xa0500\xa0₸", "kk": "2\xa0500\xa0₸", "ur": "KZT\xa02,500"}
ACCESS = {
    "en": "Step-free entrance from the promenade.",
    "ru": "Вход без ступенек с набережной.",
    "kk": "Жағалаудан баспалдақсыз кіреберіс.",
    "ur": "ساحل کی طرف سے سیڑھیوں کے بغیر داخلہ۔",
}
REGISTRATION = "https://tickets.example.kz/jazz?night=1&seats=2"
HOSTILE = "</title><script>alert(1)</script><img src=x onerror=alert(2)>\"'><b>bold</b>"

# Every tag a preview is made from, as the document holds it.
READ_TAGS = """() => Object.fromEntries(
    [...document.querySelectorAll("meta[property], meta[name]")].map((meta) => [
        meta.getAttribute("property") || meta.getAttribute("name"), meta.content,
    ])
)"""


@pytest.fixture(scope="module")
def server(live_database, tmp_path_factory):
    """A server as `make run` serves it (DEBUG on), with both apps configured."""
    server = LiveServer(
        tmp_path_factory.mktemp("share") / "server.log",
        live_database,
        {"DJANGO_SETTINGS_MODULE": "backend.settings", "DEBUG": "true", **APP},
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def aktau():
    city = CityFactory(
        name_en="Aktau", name_ru="Актау", name_kk="Ақтау", name_ur="اکتاؤ", timezone="Asia/Aqtau"
    )
    return CityOfficeFactory(city=city)


@pytest.fixture
def jazz(aktau):
    return EventFactory(
        office=aktau,
        host_city=aktau.city,
        **{f"title_{code}": title for code, title in TITLES.items()},
        summary_en="Jazz by the sea, with musicians from Aktau's sister ports.",
        summary_ru="Джаз у моря с музыкантами из городов-побратимов Актау.",
        description_en="Doors open at 18:30.\n\nFree entry.",
        starts_at=STARTS,
        ends_at=STARTS + datetime.timedelta(hours=3),
        timezone="Asia/Aqtau",
        venue_name="Seaside stage",
        venue_address="14th microdistrict",
        price_amount=Decimal("2500.00"),
        price_currency="KZT",
        registration_url=REGISTRATION,
        **{f"accessibility_{code}": text for code, text in ACCESS.items()},
    )


@pytest.fixture
def hostile(aktau):
    return EventFactory(
        office=aktau,
        host_city=aktau.city,
        title_en=HOSTILE,
        summary_en=HOSTILE,
        description_en=HOSTILE,
        venue_name=HOSTILE,
        accessibility_en=HOSTILE,
        status=Event.Status.CANCELLED,
        cancellation_reason=HOSTILE,
    )


@pytest.fixture
def hostile_links(aktau):
    """Registration links no form takes now, stored as if written before the check."""
    return [
        EventFactory(office=aktau, host_city=aktau.city, registration_url=url)
        for url in ("javascript:alert(3)", "http://tickets.example.kz/", f"https://x.kz/{HOSTILE}")
    ]


@pytest.fixture
def draft(aktau):
    return EventFactory(office=aktau, host_city=aktau.city, status=Event.Status.DRAFT)


def open_page(browser, server, path: str, **options):
    """A phone's page that may reach the server only, opened at ``path``; what it refused,
    its dialogs and console errors are kept on it."""
    context = offline_context(browser, server.url, **options)
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.set_viewport_size(PHONE)
    page.dialogs, page.errors = [], []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda message: message.type == "error" and page.errors.append(message))
    page.on("pageerror", lambda error: page.errors.append(error))
    page.response = page.goto(server.url + path)
    page.locator("h1").wait_for()
    return page


def test_the_page_in_each_language_with_its_preview_tags(server, jazz):
    seen = {}
    with launched_chromium() as browser:
        for language in TITLES:
            # The browser's own language, sent as Accept-Language
            page = open_page(browser, server, f"/e/{jazz.pk}", locale=language)
            screenshot(page, f"share-{language}")
            seen[language] = {
                "status": page.response.status,
                "lang": page.evaluate("document.documentElement.lang"),
                "dir": page.evaluate("getComputedStyle(document.body).direction"),
                "h1": page.locator("h1").inner_text(),
                "when": page.locator("#when").inner_text(),
                "zone": page.locator("#zone").inner_text(),
                "price": page.locator("#price").inner_text(),
                "access": page.locator("#accessibility").inner_text(),
                "registration": {
                    name: page.locator("#registration").get_attribute(name)
                    for name in ("href", "rel")
                },
                "tags": page.evaluate(READ_TAGS),
                "datetime": page.locator("#when time").first.get_attribute("datetime"),
                "width": page.evaluate("document.documentElement.scrollWidth"),
                "refused": page.refused,
                "errors": page.errors,
            }
            page.context.close()

    url = f"{server.url}/e/{jazz.pk}"
    for language, shown in seen.items():
        assert shown["status"] == 200
        assert shown["lang"] == language
        assert shown["dir"] == ("rtl" if language == "ur" else "ltr")
        assert shown["h1"] == TITLES[language]
        assert MAY[language] in shown["when"] and "19:00" in shown["when"]
        assert "Asia/Aqtau, UTC+05:00" in shown["zone"]
        assert shown["price"] == PRICE[language]
        assert shown["access"] == ACCESS[language]
        assert shown["registration"] == {
            "href": REGISTRATION,
            "rel": "noopener noreferrer nofollow",
        }
        assert shown["datetime"] == "2031-05-04T19:00+05:00"
        tags = shown["tags"]
        assert tags["og:title"] == tags["twitter:title"] == TITLES[language]
        assert tags["og:url"] == url
        assert tags["og:type"] == "website"
        assert tags["og:locale"] == {"en": "en_GB", "ru": "ru_RU", "kk": "kk_KZ"}.get(
            language, "ur_PK"
        )
        assert MAY[language] in tags["og:description"]
        assert "Seaside stage" in tags["og:description"]
        assert tags["twitter:card"] == "summary"  # no picture
        assert "og:image" not in tags
        assert tags["apple-itunes-app"] == f"app-id=1234567890, app-argument={url}"
        # On a phone's screen, nothing wider than it; nothing fetched from elsewhere
        assert shown["width"] <= PHONE["width"]
        assert shown["refused"] == []
        assert shown["errors"] == []


def test_texts_written_to_break_out_stay_text_in_the_browser(server, hostile, hostile_links):
    with launched_chromium() as browser:
        page = open_page(browser, server, f"/e/{hostile.pk}", locale="en-GB")
        screenshot(page, "share-hostile-texts")
        h1 = page.locator("h1").inner_text()
        title = page.title()
        status = page.locator("#status").inner_text()
        access = page.locator("#accessibility").inner_text()
        tags = page.evaluate(READ_TAGS)
        scripts = page.locator("script").count()
        injected = page.locator("main b, main img, img[src=x]").count()
        dialogs, errors = page.dialogs, page.errors
        page.context.close()
        links = []
        for event in hostile_links:
            page = open_page(browser, server, f"/e/{event.pk}", locale="en-GB")
            registration = page.locator("#registration")
            links.append(registration.get_attribute("href") if registration.count() else None)
            injected += page.locator("main b, main img, img[src=x]").count()
            dialogs, errors = dialogs + page.dialogs, errors + page.errors
            page.context.close()

    assert h1 == HOSTILE
    assert title == f"Cancelled: {HOSTILE} · Twinning"
    assert status == f"This event has been cancelled. {HOSTILE}"
    assert access == HOSTILE
    # Only an https link is offered, as it was written
    assert links[:2] == [None, None]
    assert links[2] in (None, hostile_links[2].registration_url)
    assert tags["og:title"] == f"Cancelled: {HOSTILE}"
    # Only the page's own script (the Android button's); nothing of the texts ran or rendered
    assert scripts == 1
    assert injected == 0
    assert dialogs == []
    assert errors == []


def test_the_button_opens_the_app_by_an_intent_on_android_and_by_the_link_elsewhere(server, jazz):
    with launched_chromium() as browser:
        android = open_page(browser, server, f"/e/{jazz.pk}", user_agent=ANDROID_UA)
        screenshot(android, "share-android")
        on_android = android.locator("#open-app").get_attribute("href")
        play_store = android.locator("#play-store").get_attribute("href")
        android.context.close()
        elsewhere = open_page(browser, server, f"/e/{jazz.pk}", locale="en-GB")
        on_desktop = elsewhere.locator("#open-app").get_attribute("href")
        app_store = elsewhere.locator("#app-store").get_attribute("href")
        elsewhere.context.close()

    host = re.sub("^http://", "", server.url)
    assert on_android == (
        f"intent://{host}/e/{jazz.pk}#Intent;scheme=http;package=org.example.twinning;"
        "S.browser_fallback_url=https%3A%2F%2Fplay.google.com%2Fstore%2Fapps%2Fdetails%3Fid%3D"
        "org.example.twinning;end"
    )
    assert play_store == "https://play.google.com/store/apps/details?id=org.example.twinning"
    # Elsewhere the share link itself: iOS opens it in the app (a universal link)
    assert on_desktop == f"{server.url}/e/{jazz.pk}"
    assert app_store == "https://apps.apple.com/app/id1234567890"


def test_the_link_with_a_slash_after_it_opens_the_page(server, jazz):
    with launched_chromium() as browser:
        page = open_page(browser, server, f"/e/{jazz.pk}/?lang=kk")
        url = page.url
        h1 = page.locator("h1").inner_text()
        redirects = page.response.request.redirected_from
        status = redirects.response().status if redirects else None
        page.context.close()

    assert url == f"{server.url}/e/{jazz.pk}?lang=kk"
    assert status == 301
    assert h1 == TITLES["kk"]


def test_a_drafts_link_shows_nothing_of_it_in_any_language(server, draft):
    with launched_chromium() as browser:
        page = open_page(browser, server, f"/e/{draft.pk}", locale="ur")
        screenshot(page, "share-not-found-ur")
        status = page.response.status
        direction = page.evaluate("getComputedStyle(document.body).direction")
        text = page.locator("body").inner_text()
        tags = page.evaluate(READ_TAGS)
        page.context.close()

    assert status == 404
    assert direction == "rtl"
    assert draft.title_en not in text
    assert "og:title" not in tags
    assert tags["robots"] == "noindex"
