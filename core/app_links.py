"""What tells phones that this server's links belong to the mobile app: the app's identities as
the settings give them, checked when the settings are read, and the two association files the
phones' systems fetch from ``/.well-known/``.

- Android (App Links): ``assetlinks.json``, a list of Digital Asset Links statements granting
  ``delegate_permission/common.handle_all_urls`` to the app's package, signed with one of the
  certificates whose SHA-256 fingerprints it lists. Which paths the app opens is said in the
  app's own manifest (its intent filter), not here.
- iOS (universal links): ``apple-app-site-association``, ``applinks.details`` naming the app
  (``<team ID>.<bundle ID>``) and the ``components`` of the URLs it opens: the share links.

A value that is malformed stops the start with a message saying what was expected
(``backend/settings.py`` turns the ``ValueError`` raised here into ImproperlyConfigured): a
wrong fingerprint would otherwise be served, and links would silently open the browser.
"""

import re

# The relation that lets an Android app open a site's URLs itself (Google's Digital Asset
# Links: "delegate_permission/common.handle_all_urls").
HANDLE_ALL_URLS = "delegate_permission/common.handle_all_urls"
# The paths of the links the iOS app opens, in Apple's pattern syntax (``*``: any characters):
# an event's share link, /e/<number>.
IOS_LINK_PATHS = ("/e/*",)

# An Android application ID: two segments or more, each a letter then letters, digits or "_".
ANDROID_PACKAGE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+")
# A certificate's SHA-256 fingerprint as keytool and Play Console print it: 32 bytes in hex,
# separated by colons.
SHA256_FINGERPRINT = re.compile(r"[0-9A-F]{2}(:[0-9A-F]{2}){31}")
SHA1_FINGERPRINT = re.compile(r"[0-9A-F]{2}(:[0-9A-F]{2}){19}")
# An Apple team ID (the application identifier prefix): ten capital letters and digits.
IOS_TEAM_ID = re.compile(r"[A-Z0-9]{10}")
# A bundle ID: letters, digits, "-" and ".", in reverse-DNS form.
IOS_BUNDLE_ID = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
# An App Store app's number (apps.apple.com/app/id<number>).
IOS_APP_STORE_ID = re.compile(r"[0-9]{1,20}")


def _matching(text: str, pattern: re.Pattern, what: str) -> str:
    """``text`` stripped, "" for none; ValueError naming it and saying ``what`` it must be
    when it does not match ``pattern``."""
    text = text.strip()
    if text and not pattern.fullmatch(text):
        raise ValueError(f"{text!r} is not {what}")
    return text


def android_package(text: str) -> str:
    """The Android application ID ``text`` names, or "" for none; ValueError when it cannot
    be one."""
    return _matching(
        text,
        ANDROID_PACKAGE,
        "an Android application ID: two names or more separated by dots, each a letter then "
        "letters, digits or underscores (org.example.twinning).",
    )


def sha256_fingerprints(values: list[str]) -> tuple[str, ...]:
    """The certificates' fingerprints, each as Digital Asset Links wants it (capital hex
    digits in colon-separated pairs); ValueError, naming the value, for one that is not a
    SHA-256 fingerprint."""
    fingerprints = []
    for value in values:
        text = value.strip().upper()
        if not text:
            continue
        if SHA256_FINGERPRINT.fullmatch(text):
            fingerprints.append(text)
        elif SHA1_FINGERPRINT.fullmatch(text):
            raise ValueError(
                f"{value.strip()!r} is a SHA-1 fingerprint (20 bytes); App Links need the "
                "certificate's SHA-256 fingerprint (32 bytes): `keytool -list -v` prints both, "
                "and Play Console's app signing page shows it."
            )
        else:
            raise ValueError(
                f"{value.strip()!r} is not a SHA-256 certificate fingerprint: 32 bytes as "
                "hexadecimal pairs separated by colons (14:6D:E9:…:44:E5), as `keytool -list "
                "-v` prints it; several are separated by commas."
            )
    return tuple(dict.fromkeys(fingerprints))


def ios_team_id(text: str) -> str:
    return _matching(
        text,
        IOS_TEAM_ID,
        "an Apple team ID: ten capital letters and digits (ABCDE12345), as the Apple Developer "
        "account's membership page shows it.",
    )


def ios_bundle_id(text: str) -> str:
    return _matching(
        text,
        IOS_BUNDLE_ID,
        "a bundle ID: letters, digits and hyphens in names separated by dots "
        "(org.example.twinning).",
    )


def ios_app_store_id(text: str) -> str:
    return _matching(
        text,
        IOS_APP_STORE_ID,
        "an App Store ID: the digits of the app's page, apps.apple.com/app/id<digits>.",
    )


def both_or_neither(first: tuple[str, object], second: tuple[str, object]) -> None:
    """ValueError when one of two settings that only work together is set without the other."""
    (first_name, first_value), (second_name, second_value) = first, second
    if bool(first_value) != bool(second_value):
        given, missing = (first_name, second_name) if first_value else (second_name, first_name)
        raise ValueError(
            f"{given} is set but {missing} is not: set both for links to open the app, or neither."
        )


def android_statements(package: str, fingerprints: tuple[str, ...]) -> list[dict] | None:
    """The statement list of ``/.well-known/assetlinks.json``; None when no Android app is
    configured."""
    if not (package and fingerprints):
        return None
    return [
        {
            "relation": [HANDLE_ALL_URLS],
            "target": {
                "namespace": "android_app",
                "package_name": package,
                "sha256_cert_fingerprints": list(fingerprints),
            },
        }
    ]


def apple_association(team_id: str, bundle_id: str) -> dict | None:
    """The contents of ``/.well-known/apple-app-site-association`` (Apple's current format,
    iOS 13 and later: ``appIDs`` and ``components``); None when no iOS app is configured."""
    if not (team_id and bundle_id):
        return None
    return {
        "applinks": {
            "details": [
                {
                    "appIDs": [f"{team_id}.{bundle_id}"],
                    "components": [
                        {"/": path, "comment": "An event's share link."} for path in IOS_LINK_PATHS
                    ],
                }
            ]
        }
    }


def play_store_url(package: str) -> str:
    return f"https://play.google.com/store/apps/details?id={package}"


def app_store_url(app_store_id: str) -> str:
    return f"https://apps.apple.com/app/id{app_store_id}"
