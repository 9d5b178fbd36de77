"""Sentry: off without SENTRY_DSN; with it, events reach the DSN's server tagged with the
request ID, and nothing personal goes with them.

Each case runs in a process of its own: the SDK patches Django and Celery for the life of the
process it starts in, which must not be the test runner's. Events go to a small server here
that takes what Sentry's ingestion endpoint takes.
"""

import gzip
import json
import os
import subprocess
import sys
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings as django_settings

REPORT = """
import json
import django
django.setup()
import sentry_sdk
from core.logs import request_id_var

client = sentry_sdk.get_client()
report = {"active": client.is_active()}
if client.is_active():
    report.update(
        integrations=sorted(client.integrations),
        send_default_pii=client.options["send_default_pii"],
        max_request_body_size=client.options["max_request_body_size"],
        traces_sample_rate=client.options["traces_sample_rate"],
        environment=client.options["environment"],
    )
    request_id_var.set("req-sentry-0001")
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        sentry_sdk.capture_exception()
    sentry_sdk.flush(timeout=10)
print(json.dumps(report))
"""


class _Ingest(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.envelopes.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args) -> None:
        """Quiet."""


@pytest.fixture
def ingest():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ingest)
    server.envelopes = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def report(**environment) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.test_settings",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        **environment,
    }
    for name in ("SENTRY_DSN", "SENTRY_TRACES_SAMPLE_RATE", "SENTRY_ENVIRONMENT"):
        if name not in environment:
            env.pop(name, None)
    completed = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", textwrap.dedent(REPORT)],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def events(envelopes) -> list[dict]:
    found = []
    for _, body in envelopes:
        lines = body.decode().split("\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                found.append(json.loads(payload))
    return found


def test_without_a_dsn_sentry_stays_off():
    assert report() == {"active": False}


def test_with_a_dsn_errors_are_reported_with_the_request_id_and_nothing_personal(ingest):
    port = ingest.server_address[1]

    settings = report(
        SENTRY_DSN=f"http://public-key@127.0.0.1:{port}/42",
        SENTRY_TRACES_SAMPLE_RATE="0.25",
        SENTRY_ENVIRONMENT="staging",
    )

    assert settings["active"] is True
    assert {"django", "celery"} <= set(settings["integrations"])
    assert settings["send_default_pii"] is False
    assert settings["max_request_body_size"] == "never"
    assert settings["traces_sample_rate"] == 0.25
    assert settings["environment"] == "staging"
    assert {path for path, _ in ingest.envelopes} == {"/api/42/envelope/"}
    (event,) = events(ingest.envelopes)
    assert event["exception"]["values"][-1]["value"] == "a bug"
    assert event["tags"]["request_id"] == "req-sentry-0001"
    assert event["environment"] == "staging"
    assert "user" not in event
