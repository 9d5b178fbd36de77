"""The operations settings as the environment gives them: defaults per DEBUG, and values that
stop the start when malformed."""

import re
import runpy

import environ
import pytest
from django.conf import settings as django_settings

from core.ratelimit import Rate

SETTINGS_FILE = django_settings.BASE_DIR / "backend" / "settings.py"
NAMES = (
    "DEBUG",
    "SECRET_KEY",
    "LOG_FORMAT",
    "CORS_ALLOWED_ORIGINS",
    "RATE_LIMIT_MUTATIONS_USER",
    "RATE_LIMIT_MUTATIONS_IP",
    "RATE_LIMIT_SIGN_IN_IP",
    "METRICS_TOKEN",
    "METRICS_ALLOWED_IPS",
    "TRUSTED_PROXY_COUNT",
    "SENTRY_DSN",
    "ASGI_GC_THRESHOLDS",
    "STATIC_ROOT",
)


@pytest.fixture
def load(monkeypatch):
    """The settings module as it comes out of ``environment`` (nothing else of ours set)."""

    def run(**environment):
        for name in NAMES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("SECRET_KEY", "a-secret-key-for-reading-the-settings-only-0123456789")
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS_FILE))

    return run


def test_production_defaults(load):
    loaded = load(DEBUG="false")

    assert loaded["LOG_FORMAT"] == "json"
    assert loaded["CORS_ALLOWED_ORIGINS"] == []
    assert loaded["CORS_ALLOWED_ORIGIN_REGEXES"] == []
    assert loaded["TRUSTED_PROXY_COUNT"] == 0
    assert loaded["RATE_LIMIT_MUTATIONS_USER"] == Rate(60, 60)
    assert loaded["RATE_LIMIT_MUTATIONS_IP"] == Rate(120, 60)
    assert loaded["RATE_LIMIT_SIGN_IN_IP"] == Rate(20, 60)
    assert (loaded["METRICS_TOKEN"], loaded["METRICS_ALLOWED_IPS"]) == ("", [])
    assert loaded["SENTRY_DSN"] == ""
    assert loaded["ASGI_GC_THRESHOLDS"] == (50000, 20, 10)
    assert loaded["LOGGING"]["handlers"]["console"]["formatter"] == "json"
    assert loaded["STATIC_ROOT"] == loaded["BASE_DIR"] / "staticfiles"
    assert loaded["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


def test_development_logs_plain_text_and_lets_local_pages_use_the_api(load):
    loaded = load(DEBUG="true")

    assert loaded["LOG_FORMAT"] == "plain"
    patterns = loaded["CORS_ALLOWED_ORIGIN_REGEXES"]
    allowed = [
        origin
        for origin in (
            "http://localhost:5173",
            "http://127.0.0.1:8080",
            "http://[::1]:3000",
            "https://localhost",
            "http://localhost.evil.test",
            "https://evil.test",
        )
        if any(re.match(pattern, origin) for pattern in patterns)
    ]
    assert allowed == [
        "http://localhost:5173",
        "http://127.0.0.1:8080",
        "http://[::1]:3000",
        "https://localhost",
    ]


def test_values_from_the_environment(load):
    loaded = load(
        LOG_FORMAT="plain",
        CORS_ALLOWED_ORIGINS="https://app.example.org,https://admin.example.org",
        RATE_LIMIT_MUTATIONS_USER="10/30s",
        RATE_LIMIT_SIGN_IN_IP="0/m",
        METRICS_ALLOWED_IPS="10.0.0.0/8,192.0.2.7",
        TRUSTED_PROXY_COUNT="1",
        ASGI_GC_THRESHOLDS="20000,10",
        STATIC_ROOT="/var/lib/twinning/static",
    )

    assert loaded["LOG_FORMAT"] == "plain"
    assert loaded["CORS_ALLOWED_ORIGINS"] == [
        "https://app.example.org",
        "https://admin.example.org",
    ]
    assert loaded["RATE_LIMIT_MUTATIONS_USER"] == Rate(10, 30)
    assert loaded["RATE_LIMIT_SIGN_IN_IP"].unlimited
    assert loaded["METRICS_ALLOWED_IPS"] == ["10.0.0.0/8", "192.0.2.7"]
    assert loaded["TRUSTED_PROXY_COUNT"] == 1
    assert loaded["ASGI_GC_THRESHOLDS"] == (20000, 10)
    assert str(loaded["STATIC_ROOT"]) == "/var/lib/twinning/static"


def test_empty_gc_thresholds_keep_pythons_own(load):
    assert load(ASGI_GC_THRESHOLDS="")["ASGI_GC_THRESHOLDS"] == ()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LOG_FORMAT", "xml"),
        ("RATE_LIMIT_MUTATIONS_USER", "lots"),
        ("RATE_LIMIT_SIGN_IN_IP", "5/d"),
        ("METRICS_ALLOWED_IPS", "10.0.0.0/8,the-office"),
        ("ASGI_GC_THRESHOLDS", "lots"),
        ("ASGI_GC_THRESHOLDS", "1,2,3,4"),
        ("ASGI_GC_THRESHOLDS", "700,-1"),
    ],
)
def test_a_malformed_value_stops_the_start_and_names_the_setting(load, name, value):
    with pytest.raises(environ.ImproperlyConfigured, match=name):
        load(**{name: value})
