"""What the browser tests share: Debian's Chromium driven by Playwright (never a browser
Playwright downloads), pages that may reach the live server only, as on a machine without
internet access, and screenshots of each step.

Screenshots go under BROWSER_SCREENSHOTS_DIR (``artifacts/browser`` by default; README,
"Tests"), to be looked at."""

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@contextmanager
def launched_chromium():
    """Debian's Chromium, driven by Playwright's sync API, which runs an event loop in this
    thread until the block ends: no database access here meanwhile (Django refuses it)."""
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
        try:
            yield browser
        finally:
            browser.close()


def offline_context(browser, server_url: str, **options):
    """A browser context whose pages may reach ``server_url``'s host only; each page's
    ``refused`` lists what else it tried."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, **options)
    server = urlsplit(server_url).netloc

    def only_the_server(route):
        if urlsplit(route.request.url).netloc == server:
            route.continue_()
        else:
            route.request.frame.page.refused.append(route.request.url)
            route.abort()

    context.on("page", lambda page: setattr(page, "refused", []))
    context.route("**/*", only_the_server)
    return context


def screenshot(page, name: str) -> Path:
    """Save the whole page as ``<name>.png`` in the screenshots' folder."""
    folder = Path(
        os.environ.get("BROWSER_SCREENSHOTS_DIR") or Path(settings.BASE_DIR) / "artifacts/browser"
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path
