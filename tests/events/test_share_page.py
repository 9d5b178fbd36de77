"""An event's share link, /e/<number>: its page in the reader's language (dates, prices, the
registration link and the notes on access too), the tags messengers preview it by, parsed back
as they parse them, user-written texts that try to break out of them, what may keep the page,
the link with a slash after it, and that no draft is ever shown.

(The same page in a real browser: tests/e2e/test_share_browser.py.)"""

import datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from events import sharing
from events.models import Event

pytestmark = pytest.mark.django_db

# 14:00 UTC: 19:00 on the clocks of Aktau (UTC+05:00, no daylight saving time).
STARTS = datetime.datetime(2031, 5, 4, 14, 0, tzinfo=datetime.UTC)
TITLES = {
    "title_en": "Caspian jazz night",
    "title_ru": "Каспийский джазовый вечер",
    "title_kk": "Каспий джаз кеші",
    "title_ur": "کیسپین جاز کی شام",
}
ANDROID_INTENT = (
    "intent://twinning.example.org/e/{pk}#Intent;scheme=https;package=org.example.twinning;"
    "S.browser_fallback_url=https%3A%2F%2Fplay.google.com%2Fstore%2Fapps%2Fdetails%3Fid%3D"
    "org.example.twinning;end"
)
HOSTILE = [
    '"><script>alert(1)</script>',
    "</title><script>alert(document.cookie)</script>",
    "' onmouseover='alert(1)' x='",
    '<img src=x onerror="alert(1)">',
    "{{ page.url }} {% debug %}",
    "<!-- -->]]><![CDATA[",
    "\u202eevil\u202c & <b>bold</b>",
]


class Page(HTMLParser):
    """An HTML page as a preview service reads it: its <html> attributes, meta tags (by
    property or name, each with all its contents), links, the text of each element with an id
    and of the <title>, and the elements a script could hide in."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.html = html
        self.html_attributes: dict[str, str] = {}
        self.meta: dict[str, list[str]] = {}
        self.links: list[dict[str, str]] = []
        self.anchors: dict[str, dict[str, str]] = {}
        self.texts: dict[str, str] = {}
        self.title = ""
        self.scripts: list[str] = []
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self._open: list[tuple[str, str | None]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append(tag)
        self.handlers += [name for name in attributes if name.startswith("on")]
        if tag == "html":
            self.html_attributes = attributes
        elif tag == "meta" and ("property" in attributes or "name" in attributes):
            key = attributes.get("property") or attributes["name"]
            self.meta.setdefault(key, []).append(attributes.get("content", ""))
        elif tag == "link":
            self.links.append(attributes)
        if tag == "a" and "id" in attributes:
            self.anchors[attributes["id"]] = attributes
        if tag == "script":
            self.scripts.append("")
        if tag not in ("meta", "link", "img", "br"):
            self._open.append((tag, attributes.get("id")))

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data):
        for _tag, id_ in self._open:
            if id_:
                self.texts[id_] = self.texts.get(id_, "") + data
        if self._open and self._open[-1][0] == "title":
            self.title += data
        if self._open and self._open[-1][0] == "script":
            self.scripts[-1] += data
        if self._open and self._open[-1][0] == "h1":
            self.texts["h1"] = self.texts.get("h1", "") + data

    def one(self, key: str) -> str:
        (content,) = self.meta[key]
        return content


@pytest.fixture
def aktau_event(event_factory, office):
    return event_factory(
        office=office,
        host_city=office.city,
        **TITLES,
        summary_en="Jazz by the sea",
        summary_ru="Джаз у моря",
        starts_at=STARTS,
        ends_at=STARTS + datetime.timedelta(hours=3),
        timezone="Asia/Aqtau",
        venue_name="Seaside stage",
        venue_address="14th microdistrict",
        image_url="https://images.example.org/jazz.jpg",
    )


@pytest.fixture
def app(settings):
    """Both apps configured, and the public address."""
    settings.PUBLIC_BASE_URL = "https://twinning.example.org"
    settings.ANDROID_PACKAGE_NAME = "org.example.twinning"
    settings.ANDROID_SHA256_CERT_FINGERPRINTS = ("AB:" * 31 + "CD",)
    settings.IOS_TEAM_ID, settings.IOS_BUNDLE_ID = "ABCDE12345", "org.example.twinning"
    settings.IOS_APP_STORE_ID = "1234567890"


@pytest.fixture
def no_app(settings):
    settings.ANDROID_PACKAGE_NAME = ""
    settings.ANDROID_SHA256_CERT_FINGERPRINTS = ()
    settings.IOS_TEAM_ID = settings.IOS_BUNDLE_ID = settings.IOS_APP_STORE_ID = ""


def share(client, event_or_pk, language=None, query="", **headers):
    pk = getattr(event_or_pk, "pk", event_or_pk)
    if language:
        headers["HTTP_ACCEPT_LANGUAGE"] = language
    return client.get(f"/e/{pk}{query}", **headers)


def page_of(response) -> Page:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/html; charset=utf-8"
    return Page(response.content.decode())


# May as each language names it beside a day: in lower case in Russian and Kazakh.
MAY = {"en": "May", "ru": "мая", "kk": "мамыр", "ur": "مئی"}


def month(language: str) -> str:
    return MAY[language]


# --- What it shows, in each language ------------------------------------------------------------
@pytest.mark.parametrize(
    ("language", "direction", "locale"),
    [
        ("en", "ltr", "en_GB"),
        ("ru", "ltr", "ru_RU"),
        ("kk", "ltr", "kk_KZ"),
        ("ur", "rtl", "ur_PK"),
    ],
)
def test_the_page_speaks_the_readers_language(client, aktau_event, language, direction, locale):
    response = share(client, aktau_event, f"{language}-XX,{language};q=0.9,en;q=0.5")
    page = page_of(response)

    title = TITLES[f"title_{language}"]
    assert response["Content-Language"] == language
    assert page.html_attributes == {"lang": language, "dir": direction}
    assert page.texts["h1"] == title
    assert page.title == f"{title} · Twinning"
    assert page.one("og:title") == page.one("twitter:title") == title
    assert page.one("og:locale") == locale
    assert sorted(page.meta["og:locale:alternate"]) == sorted(
        {"en_GB", "ru_RU", "kk_KZ", "ur_PK"} - {locale}
    )
    # The time as Aktau's clocks show it, the zone named, the month in the reader's language
    when = page.texts["when"]
    assert month(language) in when
    assert "19:00" in when and "22:00" in when
    assert "Asia/Aqtau, UTC+05:00" in page.texts["zone"]
    description = page.one("og:description")
    assert description == page.one("twitter:description") == page.one("description")
    assert month(language) in description and "(Asia/Aqtau, UTC+05:00)" in description
    assert "Seaside stage" in description
    # A language without its own summary falls back to English's
    summary = {"ru": "Джаз у моря"}.get(language, "Jazz by the sea")
    assert description.endswith(summary)


def test_the_time_carries_its_offset_for_machines_and_the_zones_own_offset_in_summer(
    client, event_factory
):
    # Berlin keeps summer time in July: 17:00 UTC is 19:00 there, UTC+02:00
    summer = datetime.datetime(2031, 7, 10, 17, 0, tzinfo=datetime.UTC)
    event = event_factory(
        starts_at=summer, ends_at=summer + datetime.timedelta(hours=6), timezone="Europe/Berlin"
    )

    response = share(client, event, "en")

    html = response.content.decode()
    assert '<time datetime="2031-07-10T19:00+02:00">Thursday, 10 July 2031, 19:00</time>' in html
    # Past midnight: the end's date is given too
    assert '<time datetime="2031-07-11T01:00+02:00">Friday, 11 July 2031, 01:00</time>' in html
    assert "Europe/Berlin, UTC+02:00" in page_of(response).texts["zone"]


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("en", "Monday, 7 December 2026, 19:00 – 22:00"),
        ("ru", "Понедельник, 7 декабря 2026 г., 19:00 – 22:00"),
        # Kazakh writes the month in lower case inside a date; Django's catalogue capitalises it
        ("kk", "Дүйсенбі, 7 желтоқсан 2026 ж., 19:00 – 22:00"),
        ("ur", "سوموار، 7 دسمبر 2026، 19:00 – 22:00"),
    ],
)
def test_the_date_is_written_as_each_language_writes_it(client, event_factory, language, shown):
    # 14:00 UTC: 19:00 in Aktau
    starts = datetime.datetime(2026, 12, 7, 14, 0, tzinfo=datetime.UTC)
    event = event_factory(
        starts_at=starts, ends_at=starts + datetime.timedelta(hours=3), timezone="Asia/Aqtau"
    )

    page = page_of(share(client, event, language))

    assert page.texts["when"].startswith(f"{shown}\n")
    assert page.one("og:description").startswith(shown.split(" – ")[0] + " (Asia/Aqtau")


def test_lang_in_the_address_wins_over_the_browsers_language(client, aktau_event):
    chosen = page_of(share(client, aktau_event, "ru", query="?lang=kk"))
    unknown = page_of(share(client, aktau_event, "ru", query="?lang=de"))
    none = page_of(share(client, aktau_event, "de, fr;q=0.8"))

    assert chosen.html_attributes["lang"] == "kk"
    assert unknown.html_attributes["lang"] == "ru"
    assert none.html_attributes["lang"] == "en"
    # Each language's page is linked, the reader's included
    assert [(link["hreflang"], link["href"]) for link in chosen.links if "hreflang" in link] == [
        (code, f"http://testserver/e/{aktau_event.pk}?lang={code}")
        for code in ("en", "ru", "kk", "ur")
    ]


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("ur;q=abc, ru;q=0.5", "en"),  # malformed as a whole (Django reads none of it)
        ("*", "en"),
        (";;,,q=1", "en"),
        ("kk-Cyrl-KZ", "kk"),
        ("x" * 5000, "en"),
        ("ru-" + "x" * 5000, "en"),
    ],
)
def test_any_accept_language_gets_a_page(client, aktau_event, header, language):
    assert page_of(share(client, aktau_event, header)).html_attributes["lang"] == language


def test_the_admins_language_cookie_does_not_choose_the_pages_language(client, aktau_event):
    # The admin's language cookie, sent along: shared caches keep the page by URL and
    # Accept-Language only, so it must not change the page
    client.cookies["django_language"] = "ur"

    response = share(client, aktau_event, "ru")

    assert page_of(response).html_attributes["lang"] == "ru"
    assert "Cookie" not in response.get("Vary", "")
    assert not response.cookies


def test_the_address_is_the_public_one(client, aktau_event, settings):
    settings.PUBLIC_BASE_URL = "https://twinning.example.org"

    page = page_of(share(client, aktau_event))

    url = f"https://twinning.example.org/e/{aktau_event.pk}"
    assert page.one("og:url") == url
    assert [link["href"] for link in page.links if link.get("rel") == "canonical"] == [url]
    assert page.one("og:type") == "website"


# --- What it costs, where to register, access -----------------------------------------------
@pytest.mark.parametrize(
    ("language", "amount", "currency", "shown"),
    [
        ("en", "2500.00", "KZT", "KZT\xa02,500"),
        ("en", "12.50", "USD", "$12.50"),
        ("ru", "2500.00", "KZT", "2\xa0500\xa0₸"),
        ("ru", "1234567.05", "RUB", "1\xa0234\xa0567,05\xa0₽"),
        ("kk", "2500.00", "KZT", "2\xa0500\xa0₸"),
        ("kk", "12.50", "EUR", "12,50\xa0€"),
        ("ur", "2500.00", "PKR", "Rs\xa02,500"),
        ("ur", "2500.00", "KZT", "KZT\xa02,500"),
    ],
)
def test_the_price_is_written_with_its_currency_as_the_readers_language_writes_it(
    client, event_factory, language, amount, currency, shown
):
    event = event_factory(price_amount=Decimal(amount), price_currency=currency)

    page = page_of(share(client, event, language))

    assert page.texts["price"] == shown
    # Previews have their spaces made plain, as every text of theirs
    assert f" · {shown.replace(chr(0xA0), ' ')}" in page.one("og:description")


@pytest.mark.parametrize(
    ("language", "free"), [("en", "Free"), ("ru", "Бесплатно"), ("kk", "Тегін"), ("ur", "مفت")]
)
def test_a_free_event_says_it_is_free(client, event_factory, language, free):
    page = page_of(share(client, event_factory(is_free=True), language))

    assert page.texts["price"] == free


def test_an_event_whose_price_was_not_said_shows_none(client, event_factory):
    page = page_of(share(client, event_factory(is_free=False, price_amount=None)))

    assert "price" not in page.texts


def test_the_registration_link_is_offered_without_the_pages_address_or_a_say_on_ranking(
    client, event_factory
):
    url = "https://tickets.example.kz/jazz?seat=a&row=2"
    event = event_factory(registration_url=url)

    page = page_of(share(client, event, "ur"))

    link = page.anchors["registration"]
    assert link["href"] == url
    assert link["rel"] == "noopener noreferrer nofollow"
    assert page.texts["registration"] == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)//https://",
        "http://tickets.example.kz/jazz",
        "data:text/html,<script>alert(1)</script>",
        "//tickets.example.kz/jazz",
        "https://",
        "https://tickets example.kz",
    ],
)
def test_a_registration_link_that_is_no_https_address_is_not_offered(client, event_factory, url):
    # Stored as it is, past the column's validator: a row written before it, or by hand
    page = page_of(share(client, event_factory(registration_url=url)))

    assert "registration" not in page.anchors
    assert "javascript" not in page.html.lower() and "data:text" not in page.html


def test_a_cancelled_event_offers_no_registration(client, event_factory):
    event = event_factory(
        status=Event.Status.CANCELLED, registration_url="https://tickets.example.kz/jazz"
    )

    page = page_of(share(client, event))

    assert "registration" not in page.anchors


def test_the_notes_on_access_are_in_the_readers_language_else_english(client, event_factory):
    event = event_factory(
        accessibility_en="Step-free entrance.\nHearing loop at the bar.",
        accessibility_ru="Вход без ступенек.",
    )

    russian = page_of(share(client, event, "ru"))
    kazakh = page_of(share(client, event, "kk"))
    none = page_of(share(client, event_factory(accessibility_en="")))

    assert russian.texts["accessibility"] == "Вход без ступенек."
    # Each line of the office's text on a line of its own
    assert kazakh.texts["accessibility"] == "Step-free entrance.Hearing loop at the bar."
    assert "<br>Hearing loop" in kazakh.html
    assert "accessibility" not in none.texts


# --- The picture ---------------------------------------------------------------------------
def test_the_picture_is_previewed_large(client, aktau_event):
    page = page_of(share(client, aktau_event))

    assert page.one("og:image") == "https://images.example.org/jazz.jpg"
    assert page.one("twitter:image") == "https://images.example.org/jazz.jpg"
    assert page.one("twitter:card") == "summary_large_image"
    assert page.one("og:image:alt") == TITLES["title_en"]


def test_without_a_picture_the_card_is_a_summary(client, event_factory):
    page = page_of(share(client, event_factory(image_url="")))

    assert "og:image" not in page.meta and "twitter:image" not in page.meta
    assert page.one("twitter:card") == "summary"
    assert "img" not in page.tags


def test_the_picture_comes_from_the_one_function_that_knows_where_pictures_are(
    client, aktau_event, monkeypatch
):
    # Pictures stored otherwise (today an upload's share size, else imageUrl) change
    # events.sharing.event_image only: the page shows whatever it answers
    monkeypatch.setattr(
        sharing,
        "event_image",
        lambda event, base_url: f"https://cdn.example.org/{event.pk}/1200.jpg",
    )

    page = page_of(share(client, aktau_event))

    assert page.one("og:image") == f"https://cdn.example.org/{aktau_event.pk}/1200.jpg"


def test_a_link_that_is_no_picture_is_not_previewed(client, event_factory):
    page = page_of(share(client, event_factory(image_url="javascript:alert(1)")))

    assert "og:image" not in page.meta
    assert "img" not in page.tags


# --- What became of the event ----------------------------------------------------------------
def test_a_cancelled_event_says_so(client, event_factory):
    event = event_factory(
        title_en="Regatta", status=Event.Status.CANCELLED, cancellation_reason="Storm warning"
    )

    page = page_of(share(client, event))

    assert page.one("og:title") == "Cancelled: Regatta"
    assert page.title == "Cancelled: Regatta · Twinning"
    assert page.texts["status"] == "This event has been cancelled. Storm warning"
    assert page.one("og:description").startswith("Storm warning · ")
    # Nothing of it is offered to save
    assert "calendar" not in page.anchors


def test_a_postponed_event_says_so(client, event_factory):
    event = event_factory(title_en="Regatta", status=Event.Status.POSTPONED)

    page = page_of(share(client, event))

    assert page.one("og:title") == "Postponed: Regatta"
    assert "postponed" in page.texts["status"]
    assert page.anchors["calendar"]["href"] == f"http://testserver/events/{event.pk}.ics"


# --- Hostile texts -----------------------------------------------------------------------------
@pytest.mark.parametrize("text", HOSTILE)
def test_texts_written_by_offices_stay_text(client, event_factory, text):
    event = event_factory(
        title_en=text,
        summary_en=text,
        description_en=f"{text}\n\n{text}",
        venue_name=text,
        venue_address=text,
        status=Event.Status.CANCELLED,
        cancellation_reason=text,
        accessibility_en=text,
        image_url=f"https://images.example.org/a.jpg?{text[:20]}",
    )
    announced = event_factory(
        title_en="Regatta",
        accessibility_en=text,
        registration_url=f"https://tickets.example.kz/?q={text}",
    )

    response = share(client, event)
    page = page_of(response)

    # Read back exactly as written, wherever they are shown
    assert page.texts["h1"] == text
    assert page.title == f"Cancelled: {' '.join(text.split())} · Twinning"
    assert page.one("og:image:alt") == text
    assert f"{text}, {text}" in page.texts["where"]
    assert page.one("og:description").startswith(" ".join(text.split()))
    assert page.texts["accessibility"] == text
    # and nothing of them became markup: no script, no handler, no tag of their own
    assert page.scripts == []
    assert page.handlers == []
    assert "b" not in page.tags and page.tags.count("img") == 1
    assert set(page.meta) >= {"og:title", "og:description", "og:url", "og:image"}
    # A link holding them is the link as written (when it is an https address at all), or none
    other = page_of(share(client, announced))
    assert other.texts["accessibility"] == text
    assert other.anchors.get("registration", {}).get("href") in (None, announced.registration_url)
    assert other.scripts == [] and other.handlers == [] and "b" not in other.tags


def test_long_texts_are_cut_for_previews_only(client, event_factory):
    # As long as the columns take (title 200, summary 500 characters)
    title = ("Jazz " * 40).strip()
    event = event_factory(title_en=title, summary_en="Sea " * 120)

    page = page_of(share(client, event))

    assert len(page.one("og:title")) == 120 and page.one("og:title").endswith("…")
    assert len(page.one("og:description")) <= 300
    assert page.texts["h1"] == title


# --- Ways to the app ------------------------------------------------------------------------
def test_the_page_opens_the_app_or_gets_it(client, aktau_event, app):
    page = page_of(share(client, aktau_event))

    url = f"https://twinning.example.org/e/{aktau_event.pk}"
    # The universal link / App Link itself, and on Android an intent falling back to the store
    assert page.anchors["open-app"]["href"] == url
    assert page.anchors["open-app"]["data-android-intent"] == ANDROID_INTENT.format(
        pk=aktau_event.pk
    )
    assert page.anchors["play-store"]["href"] == (
        "https://play.google.com/store/apps/details?id=org.example.twinning"
    )
    assert page.anchors["app-store"]["href"] == "https://apps.apple.com/app/id1234567890"
    # Safari's banner: "Open" when the app is installed, else the App Store
    assert page.one("apple-itunes-app") == f"app-id=1234567890, app-argument={url}"
    assert len(page.scripts) == 1 and "androidIntent" in page.scripts[0]


def test_without_an_app_nothing_offers_one(client, aktau_event, no_app):
    page = page_of(share(client, aktau_event))

    assert {"open-app", "play-store", "app-store"}.isdisjoint(page.anchors)
    assert "apple-itunes-app" not in page.meta
    assert page.scripts == []


def test_an_ios_app_alone_opens_by_the_universal_link(client, aktau_event, no_app, settings):
    settings.IOS_TEAM_ID, settings.IOS_BUNDLE_ID = "ABCDE12345", "org.example.twinning"

    page = page_of(share(client, aktau_event))

    assert page.anchors["open-app"]["href"] == f"http://testserver/e/{aktau_event.pk}"
    assert "data-android-intent" not in page.anchors["open-app"]
    assert page.scripts == []


# --- Caches, drafts and what is not found ---------------------------------------------------
def test_the_page_may_be_kept_by_shared_caches_per_language(client, aktau_event):
    response = share(client, aktau_event, "ru")

    assert response["Cache-Control"] == "public, max-age=300"
    assert [part.strip() for part in response["Vary"].split(",")] == ["Accept-Language"]


def test_one_query_reads_the_page(client, aktau_event, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert share(client, aktau_event).status_code == 200


def test_a_drafts_link_is_not_found_like_a_link_to_nothing(client, event_factory, app):
    draft = event_factory(title_en="Secret summit", status=Event.Status.DRAFT)
    deleted = event_factory()
    deleted_pk = deleted.pk
    deleted.delete()

    answers = [share(client, pk, "ru") for pk in (draft.pk, deleted_pk, 999_999)]

    assert [answer.status_code for answer in answers] == [404, 404, 404]
    # The same page whatever the reason: nothing tells a draft from nothing
    assert answers[0].content == answers[1].content == answers[2].content
    assert b"Secret summit" not in answers[0].content
    page = Page(answers[0].content.decode())
    assert page.html_attributes == {"lang": "ru", "dir": "ltr"}
    assert "og:title" not in page.meta
    assert page.one("robots") == "noindex"
    # Not kept: the draft may be announced a minute later
    assert "no-store" in answers[0]["Cache-Control"]
    assert "public" not in answers[0]["Cache-Control"]


def test_once_announced_the_drafts_link_shows_it(client, event_factory):
    draft = event_factory(title_en="Secret summit", status=Event.Status.DRAFT)
    assert share(client, draft).status_code == 404

    draft.status = Event.Status.ANNOUNCED
    draft.save()

    assert page_of(share(client, draft)).texts["h1"] == "Secret summit"


@pytest.mark.parametrize(
    "path",
    [
        "/e/9223372036854775808",
        "/e/-1",
        "/e/1.0",
        "/e/%D9%A1",
        "/e/",
        "/e/-1/",
        "/e/9223372036854775808/",
        "/e/1/2",
        "/e/1//",
    ],
)
def test_what_no_event_can_have_is_not_found(client, path):
    assert client.get(path).status_code == 404


def test_the_link_with_a_slash_after_it_moves_for_good_to_the_link(client, aktau_event):
    # As the apps' patterns (/e/*) open it too; the language asked for goes along
    pk = aktau_event.pk

    plain = client.get(f"/e/{pk}/")
    asking = client.get(f"/e/{pk}/?lang=kk")
    head = client.head(f"/e/{pk}/")

    assert (plain.status_code, plain["Location"]) == (301, f"/e/{pk}")
    assert (asking.status_code, asking["Location"]) == (301, f"/e/{pk}?lang=kk")
    assert head.status_code == 301
    assert client.post(f"/e/{pk}/").status_code == 405
    followed = client.get(f"/e/{pk}/?lang=kk", follow=True)
    assert page_of(followed).html_attributes["lang"] == "kk"


def test_the_slash_tells_a_draft_from_nothing_no_more_than_the_link(client, event_factory):
    draft = event_factory(status=Event.Status.DRAFT)

    answers = [client.get(f"/e/{pk}/") for pk in (draft.pk, 999_999)]

    assert [(answer.status_code, answer["Location"]) for answer in answers] == [
        (301, f"/e/{draft.pk}"),
        (301, "/e/999999"),
    ]


def test_the_page_is_read_only(client, aktau_event):
    assert client.head(f"/e/{aktau_event.pk}").status_code == 200
    assert client.post(f"/e/{aktau_event.pk}").status_code == 405
