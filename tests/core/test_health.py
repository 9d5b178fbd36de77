"""Liveness and readiness probes."""

import asyncio

import pytest
from channels.layers import channel_layers, get_channel_layer

from core import channel_groups, health, outages
from graphql_server.websocket.group_hub import GroupHub


def test_healthz_answers_without_touching_dependencies(client):
    # No django_db mark: any database access here would raise.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
def test_readyz_reports_database_and_channel_layer(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "channel_layer": "ok"},
    }


@pytest.fixture
def unreachable_channel_layer(settings):
    """A Redis channel layer pointed at a port where nothing listens."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:9/0"]},
        }
    }
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.mark.django_db
def test_readyz_is_503_when_the_channel_layer_is_down(client, unreachable_channel_layer):
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "channel_layer": "unavailable"},
    }


class Hub:
    """Something of the process that reports it cannot deliver (the websocket groups' hub)."""


@pytest.mark.django_db
def test_readyz_is_503_while_the_process_cannot_hear_its_groups_and_200_once_healed(client):
    # The channel layer itself answers: this process's hub has not joined its groups again.
    hub = Hub()
    outages.report(hub, "websocket groups: reading its channel failed")
    try:
        unready = client.get("/readyz")
    finally:
        outages.resolve(hub)

    ready = client.get("/readyz")

    assert unready.status_code == 503
    assert unready.json()["checks"] == {"database": "ok", "channel_layer": "unavailable"}
    assert ready.status_code == 200


class Listener:
    def deliver(self, payload):
        pass

    def lost(self):
        pass


async def test_the_channel_layer_answers_while_the_process_listens_to_its_groups():
    # channels-redis reads the process's "!" channels one at a time: a round trip on one of
    # them waited behind the groups' channel, which is read without end, and /readyz said 503.
    hub = GroupHub.of(get_channel_layer())
    listener = Listener()
    await hub.join(channel_groups.group_name(channel_groups.EVENTS_ANNOUNCED), listener)
    try:
        await asyncio.wait_for(health._check_channel_layer(), health.CHECK_TIMEOUT_SECONDS)
    finally:
        await hub.leave(channel_groups.group_name(channel_groups.EVENTS_ANNOUNCED), listener)
        await hub.close()


def test_graphql_refuses_form_posts_that_a_cross_site_page_could_send(client):
    # A urlencoded form is no media type the API takes
    urlencoded = client.post(
        "/graphql/",
        "query=%7B+languages+%7B+code+%7D+%7D",
        content_type="application/x-www-form-urlencoded",
    )
    # A multipart form is an upload (the GraphQL multipart request spec), which must carry the
    # Authorization header that no cross-site form can send: refused before its body is read
    multipart = client.post("/graphql/", {"query": "{ languages { code } }"})

    assert urlencoded.status_code == 415
    assert urlencoded.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert multipart.status_code == 401
    assert multipart.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "data" not in multipart.json()
