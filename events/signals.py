"""Signals of the events domain, for other apps to follow without being imported here.

Each is sent by the service that makes the change (``events.services``), inside its
transaction and after the change and its history record are written: what a receiver writes
(the push outbox's notification) commits with the change or not at all, and anything that
must wait for the commit (a broadcast, a task) is the receiver's to put off with
``transaction.on_commit``. Each carries the subject as a keyword (``event`` or
``announcement``) and ``change``, the ``StateChange`` recorded for it.
"""

from dataclasses import dataclass

from django.dispatch import Signal

# A draft was made public: its followers hear of a new event.
event_announced = Signal()

# The time or place of a public event changed (an edit of one of ``NOTIFYING_FIELDS``): those
# who plan to go must hear of it. Other edits send nothing.
event_changed = Signal()

# A public event was moved to new dates.
event_postponed = Signal()

# A public event was called off.
event_cancelled = Signal()

# An office posted an announcement, published at once.
announcement_posted = Signal()

# A place freed at a full event (an RSVP withdrawn, more places) went to the first in its
# waitlist, who is GOING now and must hear of it. Sent with ``event``, ``recipient`` (that
# user) and, as ``change``, the ``RsvpChange`` recorded for it (a promotion is no change of
# the event, so it has no ``StateChange``): each promotion is told once.
waitlist_place_given = Signal()


@dataclass(frozen=True)
class PushPreview:
    """What a change would push, as an answer to ``push_preview``: the kind's name in each
    language, each language's title and body exactly as they would be sent, how many devices
    the push would be written for (none when the same news was already sent once), and
    whether it would go through FCM topics instead (a large audience), which do not leave out
    those who muted a category."""

    labels: dict[str, str]
    texts: dict[str, tuple[str, str]]
    devices: int
    by_topics: bool
    already_sent: bool = False


# Asked before a change is made (the admin's confirmation pages): what would the signal
# ``trigger`` (one of the above) push about ``event``, given as it would be after the change
# and not saved? A receiver answers with a ``PushPreview``; no answer means no push.
push_preview = Signal()
