"""Liveness and readiness probes."""

import pytest
from channels.layers import channel_layers


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


def test_graphql_refuses_form_posts_that_a_cross_site_page_could_send(client):
    response = client.post("/graphql/", {"query": "{ languages { code } }"})

    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
