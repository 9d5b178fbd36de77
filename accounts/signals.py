"""Signals of the accounts domain, for other apps to follow without being imported here."""

from django.dispatch import Signal

# Sent after a device token is registered (or moved, or revived) and committed, with
# ``device``: push keeps the device's topic subscriptions in line with what its user follows.
device_registered = Signal()

# Sent after a user's preferences change and commit, with ``user`` and ``fields`` (the model
# fields that changed): a new language moves the user's devices to other push topics.
preferences_changed = Signal()

# Sent when a device token registered by one user is registered by another (a phone changing
# hands, or accounts), in the registering transaction, before the move, with ``device`` and
# ``previous_user_id``: what was pushed to the phone for the previous user is theirs, and what
# is still to be pushed to them must not reach the next user.
device_moved = Signal()
