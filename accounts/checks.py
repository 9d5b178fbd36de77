"""Start-up checks of the sign-in configuration."""

import os

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=False)
def firebase_emulator_not_in_production(app_configs, **kwargs):
    """firebase-admin skips signature checks when FIREBASE_AUTH_EMULATOR_HOST is set, which
    would let anyone sign in as anyone: allow it only in DEBUG."""
    if os.environ.get("FIREBASE_AUTH_EMULATOR_HOST") and not settings.DEBUG:
        return [
            checks.Error(
                "FIREBASE_AUTH_EMULATOR_HOST is set without DEBUG: Firebase ID tokens would be "
                "accepted unsigned.",
                hint="Unset FIREBASE_AUTH_EMULATOR_HOST outside development.",
                id="accounts.E001",
            )
        ]
    return []
