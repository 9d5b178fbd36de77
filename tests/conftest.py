"""Fixtures shared by every test: a GraphQL client, the factories' rows, and the static files
collected as production collects them."""

import json
import os
import secrets
import shutil
import subprocess
import sys
import uuid

import pytest
import redis
from channels.layers import channel_layers, get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from accounts.tokens import issue_access_token
from cities.models import OfficeMembership
from tests.factories import (
    AnnouncementFactory,
    CityFactory,
    CityOfficeFactory,
    EventFactory,
    MembershipFactory,
    TwinningFactory,
    UserFactory,
)

GRAPHQL_URL = "/graphql/"
# The `bucket` fixture: moto's S3 server as the default storage.
pytest_plugins = ["tests.s3_bucket"]


def bearer_for(user) -> str:
    """An access token of the backend's own sign-in for ``user``."""
    token, _ = issue_access_token(user, uuid.uuid4())
    return token


@pytest.fixture(autouse=True)
def clear_cache():
    """Every test starts with an empty cache: rate-limit counters (the test client's address
    is the same in every test), sign-in failures, websocket places, kept responses and data
    versions do not carry over (local memory outlives a test, and so does Redis)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def channel_layer_of_its_own():
    """Every test gets a new channel layer object: channels-redis keeps per-process reading
    state (buffers, the lock of the process's channel) bound to the event loop that read last,
    and each test runs on a loop of its own. (The layer's connections close with the loop.)"""
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(scope="session", autouse=True)
def channel_layer_keys_removed():
    """At the end of the run, the run's channel-layer keys leave Redis (each run has its own
    prefix, see backend/test_settings.py): groups, channels and their messages."""
    yield
    if settings.REDIS_URL:
        with redis.Redis.from_url(settings.REDIS_URL) as client:
            for key in client.scan_iter(match=f"{settings.CHANNEL_LAYER_PREFIX}*", count=1000):
                client.delete(key)


@pytest.fixture(scope="session", autouse=True)
def media_root_removed():
    """At the end of the run, the pictures it uploaded leave the disk (backend/test_settings.py
    gives each run a directory of its own)."""
    yield
    if os.environ.get("TEST_MEDIA_ROOT") == str(settings.MEDIA_ROOT):
        shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded pictures stored on the local file system, in a directory of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def gql(client):
    """Post a GraphQL operation; returns the decoded response body.

    ``language`` is sent as Accept-Language, as the mobile app does; ``user`` signs the
    request in with an access token, ``token`` sends that bearer token as it is.
    """

    def execute(query, variables=None, language=None, user=None, token=None):
        headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
        if user is not None:
            token = bearer_for(user)
        if token is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        response = client.post(
            GRAPHQL_URL,
            json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
            **headers,
        )
        assert response.status_code in (200, 400, 401), response.content
        return response.json()

    return execute


@pytest.fixture(scope="session")
def collected_static_root(tmp_path_factory):
    """A STATIC_ROOT holding the static files as `manage.py collectstatic` collects them with
    production settings, for tests that start the server with those: without the files it
    refuses to start."""
    root = tmp_path_factory.mktemp("static")
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "STATIC_ROOT": str(root),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        check=True,
        timeout=120,
    )
    return root


@pytest.fixture
def user_factory(db):
    return UserFactory


@pytest.fixture
def city_factory(db):
    return CityFactory


@pytest.fixture
def twinning_factory(db):
    return TwinningFactory


@pytest.fixture
def office_factory(db):
    return CityOfficeFactory


@pytest.fixture
def office(office_factory):
    """Aktau's office, where most tests' events are organised (a module may define its own)."""
    return office_factory(city__name_en="Aktau", city__timezone="Asia/Aqtau")


@pytest.fixture
def publisher(office):
    """A publisher of ``office``: announces, postpones, cancels and posts for it."""
    return MembershipFactory(office=office, role=OfficeMembership.Role.PUBLISHER).user


@pytest.fixture
def editor(office):
    """An editor of ``office``: writes its drafts, publishes nothing."""
    return MembershipFactory(office=office, role=OfficeMembership.Role.EDITOR).user


@pytest.fixture
def committing(django_capture_on_commit_callbacks):
    """Runs what the services queue for after the commit, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def event_factory(db):
    return EventFactory


@pytest.fixture
def announcement_factory(db):
    return AnnouncementFactory


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgresql`` run only where the database is PostgreSQL (CI's second leg)."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="PostgreSQL-only behaviour; runs with DATABASE_URL=postgres://…")
    for item in items:
        if "postgresql" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def discarded(monkeypatch):
    """The groups the consumer's channel left, recorded on the shared channel layer."""
    layer = get_channel_layer()
    left = []
    original = layer.group_discard

    async def group_discard(group, channel):
        left.append(group)
        await original(group, channel)

    monkeypatch.setattr(layer, "group_discard", group_discard)
    return left
