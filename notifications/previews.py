"""What a change would push, before it is made: the texts in every language and the number of
devices, for the admin's confirmation pages (asked through ``events.signals.push_preview``).

Nothing here is a copy of the fan-out: the texts come from the kind's own ``render`` and the
count from the same audience query (``audience.recipient_devices``) that the fan-out writes its
deliveries from, applied to an unsaved notification about the event as it would be.
"""

from django.conf import settings
from django.utils import timezone

from core.i18n import LANGUAGE_CODES
from events.models import StateChange
from events.signals import PushPreview

from . import registry
from .audience import recipient_devices
from .models import Notification
from .texts import render


def preview(trigger, subject) -> PushPreview | None:
    """What the signal ``trigger`` would push about ``subject`` (as it would be after the
    change, unsaved); None when no kind is made by that signal."""
    for kind, entry in registry.entries():
        if entry.trigger is trigger:
            return _preview(kind, entry, subject)
    return None


def _preview(kind: str, entry: registry.KindSpec, subject) -> PushPreview:
    notification = Notification(
        kind=kind,
        urgent=entry.urgent(subject, timezone.now()),
        **{entry.subject.value: subject},
    )
    texts = {code: render(notification, code)[:2] for code in LANGUAGE_CODES}
    # The same change twice is one notification (the dedupe key): one already written for
    # it means nothing more is sent. A kind keyed per change gets the change to come, not
    # yet recorded, whose key no notification has.
    key = entry.dedupe_key(subject, StateChange())
    repeated = Notification.objects.filter(dedupe_key=key).exists()
    devices = 0 if repeated else recipient_devices(notification).count()
    return PushPreview(
        labels=dict(entry.labels),
        texts=texts,
        devices=devices,
        by_topics=entry.by_topic and devices > settings.PUSH_TOPIC_THRESHOLD,
        already_sent=repeated,
    )
