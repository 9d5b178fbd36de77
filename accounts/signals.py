"""Signals of the accounts domain, for other apps to follow without being imported here."""

from django.dispatch import Signal

# Sent after a device token is registered (or moved, or revived) and committed, with
# ``device``: push keeps the device's topic subscriptions in line with what its user follows.
device_registered = Signal()

# Sent after a user's preferences change and commit, with ``user`` and ``fields`` (the model
# fields that changed): a new language moves the user's devices to other push topics.
preferences_changed = Signal()
