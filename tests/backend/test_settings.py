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
    "ALLOWED_HOSTS",
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
    "PUBLIC_BASE_URL",
    "ANDROID_PACKAGE_NAME",
    "ANDROID_SHA256_CERT_FINGERPRINTS",
    "IOS_TEAM_ID",
    "IOS_BUNDLE_ID",
    "IOS_APP_STORE_ID",
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


def test_only_development_answers_the_android_emulators_name_for_the_host(load):
    local = ["127.0.0.1", "localhost", "[::1]"]

    assert load(DEBUG="false")["ALLOWED_HOSTS"] == local
    # 10.0.2.2: how an app in the Android emulator reaches `make run` on the same machine
    assert load(DEBUG="true")["ALLOWED_HOSTS"] == [*local, "10.0.2.2"]


@pytest.mark.parametrize("debug", ["true", "false"])
def test_hosts_that_are_set_are_all_that_is_served(load, debug):
    given = load(DEBUG=debug, ALLOWED_HOSTS="twinning.example.org,192.168.1.20")

    assert given["ALLOWED_HOSTS"] == ["twinning.example.org", "192.168.1.20"]


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


# The app's identities (README, "Share links"): the values of a real app's settings.
FINGERPRINT = (
    "14:6D:E9:83:C5:73:06:50:D8:EE:B9:95:2F:34:FC:64:"
    "16:A0:83:42:E6:1D:BE:A8:8A:04:96:B2:3F:CF:44:E5"
)
OTHER_FINGERPRINT = FINGERPRINT.replace("14", "AB", 1)
APP = {
    "ANDROID_PACKAGE_NAME": "org.example.twinning",
    # One in small letters, and the Play App Signing key's
    "ANDROID_SHA256_CERT_FINGERPRINTS": f"{FINGERPRINT.lower()},{OTHER_FINGERPRINT}",
    "IOS_TEAM_ID": "ABCDE12345",
    "IOS_BUNDLE_ID": "org.example.twinning",
    "IOS_APP_STORE_ID": "1234567890",
}


def test_the_apps_identities_are_read_and_none_is_set_by_default(load):
    loaded = load(**APP)
    unset = load()

    assert loaded["ANDROID_PACKAGE_NAME"] == "org.example.twinning"
    assert loaded["ANDROID_SHA256_CERT_FINGERPRINTS"] == (FINGERPRINT, OTHER_FINGERPRINT)
    assert (loaded["IOS_TEAM_ID"], loaded["IOS_BUNDLE_ID"]) == (
        "ABCDE12345",
        "org.example.twinning",
    )
    assert loaded["IOS_APP_STORE_ID"] == "1234567890"
    assert [unset[name] for name in APP] == ["", (), "", "", ""]


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("ANDROID_SHA256_CERT_FINGERPRINTS", FINGERPRINT[:59], "is a SHA-1 fingerprint"),
        ("ANDROID_SHA256_CERT_FINGERPRINTS", FINGERPRINT.replace(":", ""), "32 bytes"),
        ("ANDROID_PACKAGE_NAME", "twinning", "not an Android application ID"),
        ("IOS_TEAM_ID", "abcde12345", "not an Apple team ID"),
        ("IOS_BUNDLE_ID", "org.example.twinning app", "not a bundle ID"),
        ("IOS_APP_STORE_ID", "id1234567890", "not an App Store ID"),
        ("PUBLIC_BASE_URL", "twinning.example.org", "not a scheme and a host"),
        ("PUBLIC_BASE_URL", "https://twinning.example.org/app", "not a scheme and a host"),
    ],
)
def test_a_malformed_identity_stops_the_start_saying_what_is_expected(load, name, value, says):
    with pytest.raises(environ.ImproperlyConfigured, match=f"^{name}: .*{says}"):
        load(**{**APP, name: value})


@pytest.mark.parametrize(
    ("missing", "says"),
    [
        ("ANDROID_SHA256_CERT_FINGERPRINTS", "ANDROID_PACKAGE_NAME is set but"),
        ("ANDROID_PACKAGE_NAME", "ANDROID_SHA256_CERT_FINGERPRINTS is set but"),
        ("IOS_BUNDLE_ID", "IOS_TEAM_ID is set but IOS_BUNDLE_ID is not"),
        ("IOS_TEAM_ID", "IOS_BUNDLE_ID is set but IOS_TEAM_ID is not"),
    ],
)
def test_half_an_identity_stops_the_start(load, missing, says):
    with pytest.raises(environ.ImproperlyConfigured, match=says):
        load(**{**APP, missing: ""})


def test_the_public_address_may_end_with_a_slash_or_name_a_port(load):
    assert load(PUBLIC_BASE_URL="https://twinning.example.org/")["PUBLIC_BASE_URL"] == (
        "https://twinning.example.org"
    )
    assert load(PUBLIC_BASE_URL="http://127.0.0.1:8000")["PUBLIC_BASE_URL"] == (
        "http://127.0.0.1:8000"
    )
