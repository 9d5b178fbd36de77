"""The files that let the app open this server's links: /.well-known/assetlinks.json (Android
App Links) and /.well-known/apple-app-site-association (iOS universal links), checked against
the formats Google and Apple document, served as the phones' systems fetch them, and the
settings they are made from, refused when malformed."""

import json
import re

import jsonschema_rs
import pytest
from django.urls import reverse

from core import app_links

UPLOAD_KEY = (
    "14:6D:E9:83:C5:73:06:50:D8:EE:B9:95:2F:34:FC:64:"
    "16:A0:83:42:E6:1D:BE:A8:8A:04:96:B2:3F:CF:44:E5"
)
SIGNING_KEY = (
    "FA:C6:17:45:DC:09:03:78:6F:B9:ED:E6:2A:96:2B:39:"
    "9F:73:48:F0:BB:6F:89:9B:83:32:66:75:91:03:3B:9C"
)
SHA1 = "58:E1:C4:13:3F:74:41:EC:3D:2C:27:02:70:A1:48:02:DA:47:BA:0E"

# Google's Digital Asset Links statement list as Android App Links read it
# (developers.google.com/digital-asset-links/v1/create-statement and Android's "Verify App
# Links"): a list of statements, each a relation list and a target naming an Android app by
# package and the SHA-256 fingerprints of its signing certificates, capital hex in pairs.
ASSETLINKS_FORMAT = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["relation", "target"],
        "additionalProperties": False,
        "properties": {
            "relation": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "string", "pattern": r"^[a-z_]+/[a-z_.]+$"},
                "contains": {"const": "delegate_permission/common.handle_all_urls"},
            },
            "target": {
                "type": "object",
                "required": ["namespace", "package_name", "sha256_cert_fingerprints"],
                "additionalProperties": False,
                "properties": {
                    "namespace": {"const": "android_app"},
                    "package_name": {
                        "type": "string",
                        "pattern": r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$",
                    },
                    "sha256_cert_fingerprints": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "string", "pattern": r"^[0-9A-F]{2}(:[0-9A-F]{2}){31}$"},
                    },
                },
            },
        },
    },
}
# Apple's association file, universal links in the format of iOS 13 and later
# (developer.apple.com: applinks, applinks.Details, applinks.Details.Components): details naming
# apps as <team ID>.<bundle ID>, each with the components of the URLs they open.
COMPONENT_KEYS = {
    "/": {"type": "string"},
    "?": {"type": ["string", "object"]},
    "#": {"type": "string"},
    "exclude": {"type": "boolean"},
    "comment": {"type": "string"},
    "caseSensitive": {"type": "boolean"},
    "percentEncoded": {"type": "boolean"},
}
AASA_FORMAT = {
    "type": "object",
    "required": ["applinks"],
    "properties": {
        "applinks": {
            "type": "object",
            "required": ["details"],
            "properties": {
                "details": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["appIDs", "components"],
                        "additionalProperties": False,
                        "properties": {
                            "appIDs": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "string",
                                    "pattern": r"^[A-Z0-9]{10}\.[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$",
                                },
                            },
                            "components": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "properties": COMPONENT_KEYS,
                                },
                            },
                            "defaults": {"type": "object"},
                        },
                    },
                }
            },
        }
    },
}
# Apple's limit on the file (larger files are not read).
AASA_MAX_BYTES = 128 * 1024


def apple_pattern_matches(pattern: str, path: str) -> bool:
    """Whether a component's "/" pattern matches ``path`` as Apple documents it: ``*`` any
    run of characters (none too), ``?`` any one character, everything else itself."""
    regex = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.fullmatch(regex, path, re.DOTALL) is not None


def ios_opens(document: dict, path: str) -> bool:
    """Whether the first component matching ``path`` lets the app open it."""
    for detail in document["applinks"]["details"]:
        for component in detail["components"]:
            if apple_pattern_matches(component.get("/", "*"), path):
                return not component.get("exclude", False)
    return False


@pytest.fixture
def android(settings):
    settings.ANDROID_PACKAGE_NAME = "org.example.twinning"
    settings.ANDROID_SHA256_CERT_FINGERPRINTS = (UPLOAD_KEY, SIGNING_KEY)


@pytest.fixture
def ios(settings):
    settings.IOS_TEAM_ID = "ABCDE12345"
    settings.IOS_BUNDLE_ID = "org.example.twinning"


@pytest.fixture
def no_app(settings):
    settings.ANDROID_PACKAGE_NAME = ""
    settings.ANDROID_SHA256_CERT_FINGERPRINTS = ()
    settings.IOS_TEAM_ID = settings.IOS_BUNDLE_ID = ""


# --- The documents -----------------------------------------------------------------------------
def test_the_android_statements_are_in_googles_format():
    document = app_links.android_statements("org.example.twinning", (UPLOAD_KEY, SIGNING_KEY))

    jsonschema_rs.validate(ASSETLINKS_FORMAT, document)
    assert document == [
        {
            "relation": ["delegate_permission/common.handle_all_urls"],
            "target": {
                "namespace": "android_app",
                "package_name": "org.example.twinning",
                "sha256_cert_fingerprints": [UPLOAD_KEY, SIGNING_KEY],
            },
        }
    ]


def test_the_apple_association_is_in_apples_format_and_opens_the_share_links_only():
    document = app_links.apple_association("ABCDE12345", "org.example.twinning")

    jsonschema_rs.validate(AASA_FORMAT, document)
    assert document["applinks"]["details"][0]["appIDs"] == ["ABCDE12345.org.example.twinning"]
    assert ios_opens(document, reverse("event-share", kwargs={"pk": 12}))
    assert ios_opens(document, reverse("event-share", kwargs={"pk": 9223372036854775807}))
    for elsewhere in ("/graphql/", "/admin/", "/events/12.ics", "/team/join/abc/", "/", "/e"):
        assert not ios_opens(document, elsewhere), elsewhere


@pytest.mark.parametrize(
    ("format_", "broken"),
    [
        (ASSETLINKS_FORMAT, lambda d: d[0]["target"].update(namespace="web")),
        (ASSETLINKS_FORMAT, lambda d: d[0]["target"].update(sha256_cert_fingerprints=[SHA1])),
        (ASSETLINKS_FORMAT, lambda d: d[0].update(relation=["delegate_permission/other"])),
        (AASA_FORMAT, lambda d: d["applinks"]["details"][0].update(appIDs=["org.example.app"])),
        (AASA_FORMAT, lambda d: d["applinks"]["details"][0]["components"][0].update(paths=[])),
    ],
    ids=["namespace", "sha-1", "relation", "app ID without team", "unknown key"],
)
def test_the_formats_refuse_what_the_systems_would(format_, broken):
    # The checks above would pass anything if the formats were too loose.
    document = (
        app_links.android_statements("org.example.twinning", (UPLOAD_KEY,))
        if format_ is ASSETLINKS_FORMAT
        else app_links.apple_association("ABCDE12345", "org.example.twinning")
    )
    broken(document)

    assert not jsonschema_rs.is_valid(format_, document)


def test_nothing_is_made_for_an_app_that_is_not_configured():
    assert app_links.android_statements("", ()) is None
    assert app_links.android_statements("org.example.twinning", ()) is None
    assert app_links.apple_association("ABCDE12345", "") is None


# --- Served as the systems fetch them ---------------------------------------------------------
def fetch(client, name: str, **extra):
    return client.get(f"/.well-known/{name}", **extra)


def test_assetlinks_json_is_served_as_json_at_its_exact_path(client, android, settings):
    # As production serves it: HTTPS, with every HTTP request redirected to it
    settings.SECURE_SSL_REDIRECT = True

    response = fetch(client, "assetlinks.json", secure=True)

    assert response.status_code == 200  # no redirect: Android follows none
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=3600"
    document = json.loads(response.content)
    jsonschema_rs.validate(ASSETLINKS_FORMAT, document)
    assert document[0]["target"]["package_name"] == "org.example.twinning"
    assert document[0]["target"]["sha256_cert_fingerprints"] == [UPLOAD_KEY, SIGNING_KEY]


def test_the_apple_association_is_served_as_json_without_an_extension(client, ios, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = fetch(client, "apple-app-site-association", secure=True)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=3600"
    assert len(response.content) < AASA_MAX_BYTES
    document = json.loads(response.content)
    jsonschema_rs.validate(AASA_FORMAT, document)
    assert document["applinks"]["details"][0]["appIDs"] == ["ABCDE12345.org.example.twinning"]
    # Not at another spelling of the path
    assert fetch(client, "apple-app-site-association.json", secure=True).status_code == 404
    assert fetch(client, "apple-app-site-association/", secure=True).status_code == 404


def test_both_answer_head_and_refuse_writes(client, android, ios):
    for name in ("assetlinks.json", "apple-app-site-association"):
        assert client.head(f"/.well-known/{name}").status_code == 200
        assert client.post(f"/.well-known/{name}").status_code == 405


def test_without_an_app_configured_both_are_not_found(client, no_app):
    assert fetch(client, "assetlinks.json").status_code == 404
    assert fetch(client, "apple-app-site-association").status_code == 404


def test_each_file_needs_only_its_own_platform(client, no_app, android):
    assert fetch(client, "assetlinks.json").status_code == 200
    assert fetch(client, "apple-app-site-association").status_code == 404


# --- The settings, read and refused ------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "read"),
    [
        ("", ()),
        (UPLOAD_KEY, (UPLOAD_KEY,)),
        (UPLOAD_KEY.lower(), (UPLOAD_KEY,)),
        (f" {UPLOAD_KEY} , {SIGNING_KEY},", (UPLOAD_KEY, SIGNING_KEY)),
        (f"{UPLOAD_KEY},{UPLOAD_KEY.lower()}", (UPLOAD_KEY,)),
    ],
    ids=["none", "one", "lower case", "two with spaces", "the same twice"],
)
def test_fingerprints_are_read_as_digital_asset_links_write_them(given, read):
    assert app_links.sha256_fingerprints(given.split(",")) == read


@pytest.mark.parametrize(
    ("given", "says"),
    [
        (SHA1, "is a SHA-1 fingerprint"),
        (UPLOAD_KEY.replace(":", ""), "not a SHA-256 certificate fingerprint"),
        (UPLOAD_KEY[:-3], "not a SHA-256 certificate fingerprint"),
        (UPLOAD_KEY[:-1] + "G", "not a SHA-256 certificate fingerprint"),
        (f"SHA256: {UPLOAD_KEY}", "not a SHA-256 certificate fingerprint"),
    ],
    ids=["sha-1", "no colons", "too short", "not hexadecimal", "keytool's label"],
)
def test_a_malformed_fingerprint_is_refused_saying_what_is_expected(given, says):
    with pytest.raises(ValueError, match=says) as refused:
        app_links.sha256_fingerprints([given])

    assert "keytool" in str(refused.value)


@pytest.mark.parametrize(
    ("parse", "good", "bad"),
    [
        (app_links.android_package, "org.example.twinning_app", "twinning"),
        (app_links.android_package, "kz.aktau.app", "org.example.1app"),
        (app_links.android_package, "org.example.app", "org.example-app"),
        (app_links.ios_team_id, "ABCDE12345", "abcde12345"),
        (app_links.ios_team_id, "A1B2C3D4E5", "ABCDE1234"),
        (app_links.ios_bundle_id, "org.example.twinning-app", "twinning"),
        (app_links.ios_bundle_id, "org.example.Twinning", "org.example.twinning app"),
        (app_links.ios_app_store_id, "1234567890", "id1234567890"),
    ],
)
def test_identities_are_checked(parse, good, bad):
    assert parse(f" {good} ") == good
    assert parse("") == ""
    with pytest.raises(ValueError, match=re.escape(repr(bad))):
        parse(bad)


def test_settings_that_work_together_are_set_together():
    app_links.both_or_neither(("A", "x"), ("B", ("y",)))
    app_links.both_or_neither(("A", ""), ("B", ()))
    with pytest.raises(ValueError, match="A is set but B is not"):
        app_links.both_or_neither(("A", "x"), ("B", ()))
    with pytest.raises(ValueError, match="B is set but A is not"):
        app_links.both_or_neither(("A", ""), ("B", ("y",)))
