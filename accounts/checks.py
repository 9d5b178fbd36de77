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


@checks.register(checks.Tags.models)
def personal_data_declared(app_configs, **kwargs):
    """Every model that refers to a person, or has a personal column, says what deleting an
    account does to it and what the export gives of it (``accounts.personal_data``): a model
    left out would keep what was asked to be deleted."""
    from .personal_data import problems

    return [
        checks.Error(
            problem,
            hint="Declare it with accounts.personal_data.register in its app's personal.py.",
            id="accounts.E002",
        )
        for problem in problems()
    ]
