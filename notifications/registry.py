"""The registry of notification kinds: everything the push system knows about a kind, in one
entry per kind, so that adding a kind means filling in every part of it or not starting.

An entry (``KindSpec``) says what the kind is about (an event or an announcement), what makes
one (the domain signal, or the beat), who hears of it, the words of its title, whether its
audience may be reached through FCM topics, when it breaks through quiet hours, its dedupe key,
and the checks that drop it once it is no longer true. The entries themselves are in ``kinds``,
which fills this registry when the app starts (``NotificationsConfig.ready``), which then calls
``verify``: a kind without an entry, an entry missing a part, or a title missing a language
stops the start-up instead of failing when a push is sent.
"""

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.dispatch import Signal

from core.i18n import LANGUAGE_CODES

from .models import DropReason, Notification


class Subject(StrEnum):
    """What a kind of notification is about: the foreign key it is written with."""

    EVENT = "event"
    ANNOUNCEMENT = "announcement"


@dataclass(frozen=True)
class Current:
    """The present state of what a notification is about, read in one query at send time
    (``staleness.current``) for the kind's checks: ``None`` where the row is gone."""

    now: datetime.datetime
    event_id: int | None
    event_status: str | None
    starts_at: datetime.datetime | None
    ends_at: datetime.datetime | None
    announcement_id: int | None
    published_at: datetime.datetime | None
    # The end of the event an announcement is about, if any.
    announcement_event_ends_at: datetime.datetime | None
    # A later notification of one of the kind's ``superseded_by`` kinds exists for the subject.
    superseded: bool
    # For a notification to one person (``recipient``): whether they are GOING to its event.
    recipient_going: bool = False


# What makes the notifications of a kind that no service tells of: the beat's periodic task
# (``dispatch.create_reminders``), looking for what is due.
BEAT = "beat"

# A staleness check: the reason the notification is no longer true, or None.
Check = Callable[[Notification, Current], DropReason | None]


@dataclass(frozen=True, kw_only=True)
class KindSpec:
    """What one kind of notification is and does. Every part is required."""

    subject: Subject
    # What makes one: the signal of the service that changes its subject (``events.signals``,
    # sent in the service's transaction with the subject and ``change``), or ``BEAT``.
    trigger: Signal | str
    # The first words of the title in each language ("New event", "Новое событие", …).
    labels: Mapping[str, str]
    # The parts of the audience: querysets of user ids, united by ``audience.recipient_ids``.
    audience: Callable[[Notification], list]
    # The title, body and data of a push in a language: (notification, language, label).
    render: Callable[[Notification, str, str], tuple[str, str, dict[str, str]]]
    # Whether, above PUSH_TOPIC_THRESHOLD devices, FCM topics may stand in for the device
    # list: only for audiences of followers alone, which is what the topics hold.
    by_topic: bool
    # Whether the push breaks through quiet hours: (subject, now).
    urgent: Callable[[Any, datetime.datetime], bool]
    # The notification's dedupe key: (subject, change), ``change`` the StateChange that made it
    # if the kind is one per change.
    dedupe_key: Callable[[Any, Any], str]
    # Checked before each batch is sent, in order; the first reason found drops the batch.
    stale: tuple[Check, ...]
    # Kinds whose later notification about the same subject makes this one stale.
    superseded_by: frozenset[str]


_REGISTRY: dict[str, KindSpec] = {}


def register(kind: str, spec: KindSpec) -> None:
    """Add the entry of ``kind``; registering a kind twice is a mistake."""
    if kind in _REGISTRY:
        raise ImproperlyConfigured(f"The notification kind {kind} is registered twice.")
    _REGISTRY[kind] = spec


def entries() -> list[tuple[str, KindSpec]]:
    """Every registered kind with its entry."""
    return list(_REGISTRY.items())


def spec(kind: str) -> KindSpec:
    """The entry of ``kind``."""
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise ImproperlyConfigured(f"The notification kind {kind} is not registered.") from None


def problems(registry: Mapping[str, KindSpec] | None = None) -> list[str]:
    """What is missing from the registry (all of Notification.Kind must be there, whole)."""
    registry = _REGISTRY if registry is None else registry
    found = []
    for kind in Notification.Kind:
        entry = registry.get(kind)
        if entry is None:
            found.append(f"{kind}: no entry")
            continue
        for field in fields(KindSpec):
            value = getattr(entry, field.name)
            if value is None or (field.name in ("labels", "stale") and not value):
                found.append(f"{kind}: no {field.name}")
        if entry.trigger is not None and not (
            isinstance(entry.trigger, Signal) or entry.trigger == BEAT
        ):
            found.append(f"{kind}: trigger {entry.trigger!r} is neither a signal nor BEAT")
        missing = [code for code in LANGUAGE_CODES if not (entry.labels or {}).get(code)]
        if missing:
            found.append(f"{kind}: no label in {', '.join(missing)}")
        unknown = set(entry.superseded_by or ()) - set(Notification.Kind.values)
        if unknown:
            found.append(f"{kind}: superseded by unknown kinds {sorted(unknown)}")
    found += [f"{kind}: not a Notification.Kind" for kind in set(registry) - set(Notification.Kind)]
    return found


def verify(registry: Mapping[str, KindSpec] | None = None) -> None:
    """Refuse to start with a half-registered kind."""
    found = problems(registry)
    if found:
        raise ImproperlyConfigured("Notification kinds incomplete: " + "; ".join(found))
