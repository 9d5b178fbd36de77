"""The ASGI application module, as a server process loads it."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings


@pytest.fixture
def load_asgi(collected_static_root):
    """Import backend.asgi in a fresh interpreter, as a server process does (its static files
    collected); the collector's state after."""

    def load(**environment) -> dict:
        return _load_asgi(STATIC_ROOT=str(collected_static_root), **environment)

    return load


def _load_asgi(**environment) -> dict:
    script = (
        "import gc, json, backend.asgi; "
        "print(json.dumps({'thresholds': gc.get_threshold(), 'frozen': gc.get_freeze_count()}))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backend.settings", **environment}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.splitlines()[-1])


def test_the_server_process_collects_garbage_with_the_configured_thresholds(load_asgi):
    loaded = load_asgi(ASGI_GC_THRESHOLDS="12345,6,7")

    assert loaded["thresholds"] == [12345, 6, 7]
    # What the application loaded is frozen: collections no longer scan it.
    assert loaded["frozen"] > 10_000


def test_empty_thresholds_keep_pythons_own(load_asgi):
    assert load_asgi(ASGI_GC_THRESHOLDS="")["thresholds"] == [700, 10, 10]
