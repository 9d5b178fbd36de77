"""Fixtures shared by every test: a GraphQL client and the factories' rows."""

import json

import pytest
from django.db import connection

from tests.factories import (
    AnnouncementFactory,
    CityFactory,
    CityOfficeFactory,
    EventFactory,
    TwinningFactory,
)

GRAPHQL_URL = "/graphql/"


@pytest.fixture
def gql(client):
    """Post a GraphQL operation; returns the decoded response body.

    ``language`` is sent as Accept-Language, as the mobile app does.
    """

    def execute(query, variables=None, language=None):
        headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
        response = client.post(
            GRAPHQL_URL,
            json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
            **headers,
        )
        assert response.status_code in (200, 400), response.content
        return response.json()

    return execute


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
