"""GraphiQL's page works without internet access: every script and style it loads is one of the
app's static files (graphql_server/static/graphql_server/graphiql), with its licence, none a
CDN's."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

URL = "/graphql/"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class Resources(HTMLParser):
    """The URLs a page loads: its scripts' ``src`` and its links' ``href``."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and attributes.get("src"):
            self.urls.append(attributes["src"])
        if tag == "link" and attributes.get("href"):
            self.urls.append(attributes["href"])


@pytest.fixture
def page(client, settings):
    settings.DEBUG = True
    response = client.get(URL, headers={"Accept": BROWSER})
    assert response.status_code == 200
    return response.content.decode()


def resources(page: str) -> list[str]:
    parser = Resources()
    parser.feed(page)
    return parser.urls


@pytest.mark.django_db
def test_the_page_loads_nothing_from_another_origin(page):
    urls = resources(page)

    # GraphiQL, its explorer, React, the fetch polyfill, graphql-ws and graphene's start-up.
    assert len(urls) == 9
    assert [url for url in urls if not url.startswith(settings.STATIC_URL)] == []
    assert not re.search(r"https?://|//cdn|jsdelivr|unpkg", page)


@pytest.mark.django_db
def test_every_file_the_page_loads_is_the_apps_with_its_licence(page, client):
    for url in resources(page):
        path = finders.find(url.removeprefix(settings.STATIC_URL))
        assert path, f"{url} is not among the static files"
        assert Path(path).stat().st_size > 0
        if "/graphql_server/graphiql/" in url:
            assert (Path(path).parent / "LICENSE").is_file(), f"{url} comes without its licence"
        # As a browser would fetch it from the page (WhiteNoise serves the static files).
        served = client.get(url)
        assert served.status_code == 200, url
        assert b"".join(served.streaming_content) == Path(path).read_bytes()


def test_no_vendored_file_names_a_source_map_that_is_not_shipped():
    folder = Path(finders.find("graphql_server/graphiql/README.md")).parent

    for path in folder.rglob("*"):
        if path.suffix in (".js", ".css"):
            assert b"sourceMappingURL" not in path.read_bytes(), path.name
