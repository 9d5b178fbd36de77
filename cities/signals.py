"""Signals of the cities domain, for other apps to follow without being imported here."""

from django.dispatch import Signal

# Sent after a user follows or unfollows a city or twinning, with ``user_id``: push keeps the
# user's devices in the matching FCM topics.
follows_changed = Signal()
