"""Keeping FCM topic subscriptions in line with follows, devices and languages."""

from django.dispatch import receiver

from accounts.signals import device_registered, preferences_changed
from cities.signals import follows_changed

from .topics import schedule_topic_sync


@receiver(follows_changed)
def follows_changed_sync(sender, user_id, **kwargs):
    schedule_topic_sync(user_id)


@receiver(device_registered)
def device_registered_sync(sender, device, **kwargs):
    schedule_topic_sync(device.user_id)


@receiver(preferences_changed)
def language_changed_sync(sender, user, fields, **kwargs):
    if "language" in fields:
        schedule_topic_sync(user.pk)
