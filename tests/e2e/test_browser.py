"""In a real browser: Debian's Chromium driven by Playwright (never a browser Playwright
downloads), against a live server, with every request to anywhere but the server refused, as
on a machine without internet access.

Each step's screenshot is saved under BROWSER_SCREENSHOTS_DIR (``artifacts/browser`` by
default; README, "Tests"), to be looked at."""

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from tests.e2e.live_server import LiveServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# What the server answers: every language the app speaks.
LANGUAGES = "{ languages { code } }"


@pytest.fixture(scope="module")
def debug_server(live_database, tmp_path_factory):
    """The websocket tier's server (which serves HTTP too) with the project's settings and
    DEBUG on, as `make run` serves it: GraphiQL's page (the test settings turn DEBUG off)."""
    server = LiveServer(
        tmp_path_factory.mktemp("browser") / "server.log",
        live_database,
        {"DJANGO_SETTINGS_MODULE": "backend.settings", "DEBUG": "true"},
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def offline_page(chromium, debug_server):
    """A page that may reach the live server only; ``page.refused`` lists what else it
    tried."""
    context = chromium.new_context(locale="en-GB", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.refused = []
    server = urlsplit(debug_server.url).netloc

    def only_the_server(route):
        if urlsplit(route.request.url).netloc == server:
            route.continue_()
        else:
            page.refused.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_server)
    yield page
    context.close()


def screenshot(page, name: str) -> None:
    folder = Path(
        os.environ.get("BROWSER_SCREENSHOTS_DIR") or Path(settings.BASE_DIR) / "artifacts/browser"
    )
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / f"{name}.png", full_page=True)


# No database access from the test itself: Playwright's sync API keeps an event loop running
# in this thread, where Django refuses database calls.
def test_graphiql_runs_a_query_without_internet_access(offline_page, debug_server):
    page = offline_page
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))

    page.goto(f"{debug_server.url}/graphql/")
    page.locator(".graphiql-container").wait_for(timeout=30_000)
    screenshot(page, "graphiql-1-opened")

    # The query editor takes the query, and the run button sends it.
    editor = page.locator(".graphiql-query-editor .CodeMirror").first
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(LANGUAGES)
    page.locator(".graphiql-execute-button").click()
    response = page.locator(".graphiql-response")
    response.get_by_text('"kk"').wait_for(timeout=15_000)
    screenshot(page, "graphiql-2-answered")

    text = response.inner_text()
    for code in ("en", "ru", "kk", "ur"):
        assert f'"{code}"' in text
    assert page.refused == []
    assert failed == []
