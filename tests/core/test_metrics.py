"""Prometheus metrics: what is counted, and who may read /metrics."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from django.conf import settings as django_settings
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

TOKEN = "scrape-token-0123456789"
LANGUAGES = json.dumps({"query": "{ languages { code } }"})
SIGNED_OUT_MUTATION = json.dumps(
    {"query": 'mutation { cityFollow(city: "Q2l0eTox") { errors { code } } }'}
)


def metric(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def requests_counted(method, route, status):
    return metric("twinning_http_requests_total", method=method, route=route, status=str(status))


def operations_counted(kind, outcome):
    return metric("twinning_graphql_operations_total", type=kind, outcome=outcome)


def scrape(client, **headers):
    return client.get("/metrics", headers=headers)


# --- Access --------------------------------------------------------------------------------------


def test_without_a_token_or_addresses_there_are_no_metrics(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", []

    assert scrape(client, Authorization="Bearer anything").status_code == 404


def test_the_token_opens_the_metrics(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = TOKEN, []

    response = scrape(client, Authorization=f"Bearer {TOKEN}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    names = {family.name for family in text_string_to_metric_families(response.content.decode())}
    assert {
        "twinning_http_requests",
        "twinning_http_request_duration_seconds",
        "twinning_graphql_operations",
        "twinning_websocket_connections_open",
        "twinning_websocket_connections_closed",
        "twinning_push_messages",
    } <= names


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN]
)
def test_anything_but_the_token_is_refused(client, settings, authorization):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = TOKEN, []
    headers = {"Authorization": authorization} if authorization else {}

    response = scrape(client, **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"twinning_" not in response.content


@pytest.mark.parametrize(
    ("address", "status"),
    [("10.1.2.3", 200), ("192.0.2.7", 200), ("192.0.2.8", 401), ("2001:db8::1", 401)],
)
def test_allowed_addresses_need_no_token(client, settings, address, status):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", ["10.0.0.0/8", "192.0.2.7"]

    assert client.get("/metrics", REMOTE_ADDR=address).status_code == status


def test_behind_a_proxy_the_allowed_address_is_the_forwarded_one(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", ["10.0.0.0/8"]
    settings.TRUSTED_PROXY_COUNT = 1

    # The proxy itself is inside 10/8, but it forwards a client from outside, who also tried
    # to pass for an inside address.
    outside = client.get(
        "/metrics", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7"
    )
    # A scraper inside the deployment calls directly.
    inside = client.get("/metrics", REMOTE_ADDR="10.0.0.50")

    assert (outside.status_code, inside.status_code) == (401, 200)


# --- HTTP ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_requests_are_counted_by_route_pattern_not_path(client):
    before = (
        requests_counted("GET", "healthz", 200),
        requests_counted("GET", "events/<pk:pk>.ics", 404),
        requests_counted("GET", "unmatched", 404),
        requests_counted("OTHER", "healthz", 200),
    )
    latency_count = metric(
        "twinning_http_request_duration_seconds_count", method="GET", route="healthz"
    )

    client.get("/healthz")
    client.get("/events/123456.ics")
    client.get("/events/654321.ics")
    client.get("/a/path/of/the/clients/choosing")
    client.generic("BREW", "/healthz")

    assert requests_counted("GET", "healthz", 200) == before[0] + 1
    assert requests_counted("GET", "events/<pk:pk>.ics", 404) == before[1] + 2
    assert requests_counted("GET", "unmatched", 404) == before[2] + 1
    assert requests_counted("OTHER", "healthz", 200) == before[3] + 1
    assert (
        metric("twinning_http_request_duration_seconds_count", method="GET", route="healthz")
        == latency_count + 1
    )


# --- GraphQL ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_graphql_operations_are_counted_by_type_and_outcome(client):
    queries, refused = (
        operations_counted("query", "success"),
        operations_counted("mutation", "error"),
    )
    invalid = sum(
        operations_counted(kind, outcome)
        for kind in ("query", "mutation")
        for outcome in ("success", "error")
    )

    client.post("/graphql/", LANGUAGES, content_type="application/json")
    client.post("/graphql/", SIGNED_OUT_MUTATION, content_type="application/json")

    assert operations_counted("query", "success") == queries + 1
    assert operations_counted("mutation", "error") == refused + 1
    # A document that cannot run is not an operation: it is refused before execution.
    response = client.post(
        "/graphql/", json.dumps({"query": "{ nope }"}), content_type="application/json"
    )
    assert "data" not in response.json()
    assert (
        sum(
            operations_counted(kind, outcome)
            for kind in ("query", "mutation")
            for outcome in ("success", "error")
        )
        == invalid + 2
    )


# --- Several processes -------------------------------------------------------------------------

# Counting needs no more of Django than the settings, which load lazily.
COUNT_IN_A_PROCESS = """
from core import metrics
metrics.count_push_outcomes(["SENT"] * {sent} + ["UNREGISTERED"])
metrics.websocket_opened()
"""

SCRAPE_FROM_A_PROCESS = """
from django.test import RequestFactory
from core import metrics
request = RequestFactory().get("/metrics", HTTP_AUTHORIZATION="Bearer {token}")
print(metrics.metrics_view(request).content.decode())
"""


def test_several_processes_are_summed_through_the_shared_directory(tmp_path):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.test_settings",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "METRICS_TOKEN": TOKEN,
    }

    def run(code):
        return subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
            [sys.executable, "-c", textwrap.dedent(code)],
            cwd=django_settings.BASE_DIR,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout

    run(COUNT_IN_A_PROCESS.format(sent=2))
    run(COUNT_IN_A_PROCESS.format(sent=3))
    families = {
        family.name: family
        for family in text_string_to_metric_families(run(SCRAPE_FROM_A_PROCESS.format(token=TOKEN)))
    }

    pushed = {
        sample.labels["outcome"]: sample.value
        for sample in families["twinning_push_messages"].samples
        if sample.name == "twinning_push_messages_total"
    }
    assert pushed == {"SENT": 5.0, "UNREGISTERED": 2.0}
    # Both processes have exited: the sockets they held open are no longer counted.
    (open_now,) = families["twinning_websocket_connections_open"].samples
    assert open_now.value == 0.0
