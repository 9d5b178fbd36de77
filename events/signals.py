"""Signals of the events domain, for other apps to follow without being imported here.

Each is sent by the service that makes the change (``events.services``), inside its
transaction and after the change and its history record are written: what a receiver writes
(the push outbox's notification) commits with the change or not at all, and anything that
must wait for the commit (a broadcast, a task) is the receiver's to put off with
``transaction.on_commit``. Each carries the subject as a keyword (``event`` or
``announcement``) and ``change``, the ``StateChange`` recorded for it.
"""

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
