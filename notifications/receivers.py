"""What push does when other apps tell of a change: the notification of each kind, when the
signal its entry names is sent, and keeping FCM topic subscriptions in line with follows,
devices and languages."""

from django.db.models.signals import pre_delete
from django.dispatch import Signal, receiver

from accounts.models import Device
from accounts.signals import device_moved, device_registered, preferences_changed
from cities.signals import follows_changed
from events.signals import push_preview

from . import previews, registry
from .dispatch import notify
from .models import Delivery
from .topics import release_device_topics, schedule_topic_sync

# --- Notifications --------------------------------------------------------------------------


def notifier(kind: str):
    """The receiver that writes a notification of ``kind`` when its signal is sent: about the
    subject the signal carries (``event=`` or ``announcement=``, as the kind's entry says), for
    the ``recipient`` it names if any, in the sender's transaction (the outbox), once per
    dedupe key."""
    subject = registry.spec(kind).subject.value

    def receive(sender, change=None, recipient=None, **kwargs):
        notify(kind, kwargs[subject], change=change, recipient=recipient)

    return receive


def connect_kinds() -> None:
    """Connect each registered kind made by a signal to that signal; called once the registry
    is filled and verified (``NotificationsConfig.ready``). Connecting again changes nothing."""
    for kind, entry in registry.entries():
        if isinstance(entry.trigger, Signal):
            entry.trigger.connect(notifier(kind), weak=False, dispatch_uid=f"notify-{kind}")


@receiver(push_preview)
def answer_push_preview(sender, trigger, event, **kwargs):
    """What ``trigger`` would push about ``event``, for a page that asks before a change."""
    return previews.preview(trigger, event)


# --- Topic sync -----------------------------------------------------------------------------


@receiver(follows_changed)
def follows_changed_sync(sender, user_id, **kwargs):
    schedule_topic_sync(user_id)


@receiver(device_moved)
def forget_the_previous_users_pushes(sender, device, previous_user_id, **kwargs):
    """A phone's token registered by another user: the pushes sent to it for the user before
    are that user's record, not the next one's (their export, their deletion), and those still
    to send are theirs too, which the phone must no longer show. Both go; the topics follow the
    new user at the sync the registration schedules."""
    Delivery.objects.filter(device=device).delete()


@receiver(device_registered)
def device_registered_sync(sender, device, **kwargs):
    schedule_topic_sync(device.user_id)


@receiver(pre_delete, sender=Device, dispatch_uid="notifications.device_deleted")
def device_deleted_release(sender, instance, **kwargs):
    release_device_topics(instance)


@receiver(preferences_changed)
def language_changed_sync(sender, user, fields, **kwargs):
    if "language" in fields:
        schedule_topic_sync(user.pk)
