"""The association files phones fetch from ``/.well-known/`` before they let the app open this
server's links (``core.app_links`` says what they hold).

Both are served at their exact paths with 200 and ``application/json`` (Apple's file has no
extension, and neither system follows a redirect), and answer 404 when the app they would
name is not configured. They are the same for everyone and change only with the settings, so
proxies and the systems' own caches may keep them an hour.
"""

import json

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from . import app_links

MAX_AGE_SECONDS = 3600


def _json(document) -> HttpResponse:
    if document is None:
        raise Http404("No app is configured for this file.")
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False), content_type="application/json"
    )
    patch_cache_control(response, public=True, max_age=MAX_AGE_SECONDS)
    return response


@require_safe
def assetlinks(request) -> HttpResponse:
    """Android's Digital Asset Links statements: the app may open this site's links."""
    return _json(
        app_links.android_statements(
            settings.ANDROID_PACKAGE_NAME, settings.ANDROID_SHA256_CERT_FINGERPRINTS
        )
    )


@require_safe
def apple_app_site_association(request) -> HttpResponse:
    """Apple's association file: the iOS app opens the share links."""
    return _json(app_links.apple_association(settings.IOS_TEAM_ID, settings.IOS_BUNDLE_ID))
