"""Every change to events, announcements and RSVPs. Each function checks who may act, validates
before it writes (invalid input writes nothing), runs in one transaction, and records the change
in the event's or announcement's history. The API and the admin both call these.

The changes other apps act on (push tells followers of them) are sent as the signals of
``events.signals``, inside the transaction: what their receivers write commits with the change."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from cities.models import CityOffice
from core.text import clean_text
from core.validators import instant
from images import services as images
from images.pipeline import ProcessedImage
from images.variants import Purpose

from . import history, permissions, realtime, signals
from .error_codes import EventErrorCode
from .models import (
    CENT,
    Announcement,
    Event,
    EventCohost,
    Rsvp,
    RsvpChange,
    StateChange,
    Tag,
    validate_price_amount,
)

Status = Event.Status
# Changing these on a public event tells those who follow or plan to go.
NOTIFYING_FIELDS = frozenset(
    ["starts_at", "ends_at", "timezone", "venue_name", "venue_address", "latitude", "longitude"]
)

# The fields a create or update may set; the rest (office, host city, status) follow rules.
EVENT_FIELDS = frozenset(
    [
        f"{field}_{code}"
        for field in ("title", "summary", "description", "accessibility")
        for code in ("en", "ru", "kk", "ur")
    ]
    + [
        "category",
        "starts_at",
        "ends_at",
        "timezone",
        "venue_name",
        "venue_address",
        "latitude",
        "longitude",
        "capacity",
        "image_url",
        "registration_url",
        "price_amount",
        "price_currency",
        "is_free",
        "tags",
        "twinning",
    ]
)
# The most tags one event carries, and one filter names.
MAX_EVENT_TAGS = 10
EDIT_DENIED = gettext_noop("Only the event's editors and publishers edit its drafts.")
PUBLISH_DENIED = gettext_noop("Only the event's publishers announce, postpone or cancel it.")
POST_DENIED = gettext_noop("Only the office's publishers post and edit its announcements.")

ANNOUNCEMENT_FIELDS = frozenset(
    [f"{field}_{code}" for field in ("title", "body") for code in ("en", "ru", "kk", "ur")]
    + ["twinning", "event"]
)


def _error(field: str | None, message: str, code: EventErrorCode) -> ValidationError:
    if field is None:
        return ValidationError(message, code=code)
    return ValidationError({field: ValidationError(message, code=code)})


def _record(actor, action, *, event=None, announcement=None, before="", after="", **details):
    subject = event or announcement
    return StateChange.objects.create(
        event=event,
        announcement=announcement,
        subject_title=subject.title_en[:200],
        action=action,
        from_status=before,
        to_status=after,
        actor=actor if actor and actor.is_authenticated else None,
        details=details,
    )


def _assign(instance, data: dict, allowed: frozenset[str]) -> dict:
    """Set the given fields; returns the values that those whose value changed had before,
    by name, for the history. Texts are kept
    as ``clean_text`` makes them: trimmed, and empty when nothing in them shows, so that a
    title of zero-width spaces is refused as missing and an invisible translation falls back
    to English."""
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"fields not settable here: {sorted(unknown)}")
    changed = {}
    for field, value in data.items():
        if isinstance(value, str):
            value = clean_text(value)
        if getattr(instance, field) != value:
            changed[field] = history.field_value(instance, field)
            setattr(instance, field, value)
    return changed


def settle_price(data: dict) -> dict:
    """``data`` with its price made whole: an amount as stored (two decimals) or refused
    (INVALID_PRICE), a currency in upper case; and, since one replaces the other, a price
    given without ``is_free`` making the event not free, ``is_free`` set without a price
    clearing the price the event had. Given both, a price and free, the model refuses."""
    data = dict(data)
    amount = data.get("price_amount")
    if amount is not None:
        try:
            validate_price_amount(amount)
        except ValidationError as error:
            raise ValidationError({"price_amount": error.error_list}) from None
        data["price_amount"] = amount.quantize(CENT)
    if isinstance(data.get("price_currency"), str):
        data["price_currency"] = data["price_currency"].strip().upper()
    priced = "price_amount" in data or "price_currency" in data
    if data.get("is_free") and not priced:
        data["price_amount"], data["price_currency"] = None, ""
    if amount is not None and "is_free" not in data:
        data["is_free"] = False
    return data


def event_tags(slugs, field: str = "tags") -> list[Tag]:
    """The tags of the vocabulary that ``slugs`` name, in their order, each once; an unknown
    slug is UNKNOWN_TAG, more than ``MAX_EVENT_TAGS`` TOO_MANY_TAGS."""
    slugs = list(dict.fromkeys(slug.strip() for slug in slugs))
    if len(slugs) > MAX_EVENT_TAGS:
        raise _error(
            field,
            gettext_noop("Choose at most 10 tags."),
            EventErrorCode.TOO_MANY_TAGS,
        )
    found = {tag.slug: tag for tag in Tag.objects.filter(slug__in=slugs)}
    unknown = [slug for slug in slugs if slug not in found]
    if unknown:
        raise ValidationError(
            {
                field: ValidationError(
                    gettext_noop("No tag is named %(slugs)s."),
                    code=EventErrorCode.UNKNOWN_TAG,
                    params={"slugs": ", ".join(unknown)},
                )
            }
        )
    return [found[slug] for slug in slugs]


def _set_tags(event: Event, tags) -> list | None:
    """Give a saved event ``tags`` (Tag rows; None leaves them as they are); returns the tags
    it had when they changed, for the history, else None."""
    if tags is None:
        return None
    tags = list(tags)
    if len(tags) > MAX_EVENT_TAGS:
        raise _error("tags", gettext_noop("Choose at most 10 tags."), EventErrorCode.TOO_MANY_TAGS)
    had = history.field_value(event, "tags")
    if {tag.pk for tag in had} == {tag.pk for tag in tags}:
        return None
    event.tags.set(tags)
    return had


def _validate_event(event: Event) -> None:
    """Model validation, after the times: each with its UTC offset and inside the window the
    system holds, then kept in UTC (``core.validators.instant``), so that what the payload
    shows, what the history records and what is stored are the same instant written the same
    way, whatever offset the caller used."""
    errors = {}
    for field in ("starts_at", "ends_at"):
        value = getattr(event, field)
        if value is None:
            continue
        try:
            setattr(event, field, instant(value))
        except ValidationError as error:
            errors[field] = error.error_list
    if errors:
        raise ValidationError(errors)
    event.full_clean(exclude=["search_document"])


def _differing(instance, was: dict) -> list[dict]:
    """The changes to record for the fields of ``was`` (their values before) that changed."""
    return history.changes(
        instance,
        {
            field: value
            for field, value in was.items()
            if history.field_value(instance, field) != value
        },
    )


def _locked(event: Event) -> Event:
    return Event.objects.select_for_update().get(pk=event.pk)


# --- Events --------------------------------------------------------------------------------


@transaction.atomic
def create_event(actor, office: CityOffice, data: dict) -> Event:
    """A new draft of ``office``'s city, organised by ``office``."""
    permissions.require(
        permissions.can_create_event(actor, office.pk),
        gettext_noop("Only the office's editors and publishers create its events."),
    )
    event = Event(office=office, host_city_id=office.city_id, status=Status.DRAFT)
    data = settle_price(data)
    tags = data.pop("tags", None)
    _assign(event, data, EVENT_FIELDS)
    _validate_event(event)
    event.save()
    _set_tags(event, tags)
    _record(
        actor,
        StateChange.Action.CREATED,
        event=event,
        after=Status.DRAFT,
        changes=history.initial_values(event, sorted(EVENT_FIELDS)),
    )
    return event


def _locked_for_editing(actor, event: Event) -> Event:
    """``event`` locked, once ``actor`` may edit it: editors edit drafts; once public, only
    publishers may change it; a cancelled event is final."""
    event = _locked(event)
    if event.status == Status.DRAFT:
        permissions.require(permissions.can_edit_event(actor, event), EDIT_DENIED)
    else:
        permissions.require(
            permissions.can_publish_event(actor, event),
            gettext_noop("Only the event's publishers change it once it is public."),
        )
    if event.status == Status.CANCELLED:
        raise _error(
            None,
            gettext_noop("A cancelled event cannot be edited."),
            EventErrorCode.EVENT_CANCELLED,
        )
    return event


@transaction.atomic
def update_event(actor, event: Event, data: dict) -> Event:
    """Edit an event. Editors edit drafts; once public, only publishers may change it, and a
    cancelled event is final."""
    event = _locked_for_editing(actor, event)
    data = settle_price(data)
    tags = data.pop("tags", None)
    changed = _assign(event, data, EVENT_FIELDS)
    had_tags = _set_tags(event, tags)
    if had_tags is not None:
        changed["tags"] = had_tags
    if not changed:
        return event
    _validate_event(event)
    # A draft announces itself as the publisher who scheduled it read it: an edit by someone
    # who may not announce it drops its time, for a publisher to read and set again.
    unscheduled = {}
    if event.announce_at is not None and not permissions.can_publish_event(actor, event):
        unscheduled = {"announce_at": event.announce_at}
        event.announce_at, event.schedule_failure = None, ""
    event.save()
    change = _record(
        actor,
        StateChange.Action.UPDATED,
        event=event,
        before=event.status,
        after=event.status,
        fields=sorted(changed),
        changes=history.changes(event, changed),
    )
    if unscheduled:
        _record(
            actor,
            StateChange.Action.UNSCHEDULED,
            event=event,
            before=event.status,
            after=event.status,
            changes=history.changes(event, unscheduled),
        )
    # People who plan to go must hear of a new time or place; other edits stay quiet.
    if event.status != Status.DRAFT and NOTIFYING_FIELDS.intersection(changed):
        signals.event_changed.send(Event, event=event, change=change)
    if "capacity" in changed:
        # More places (or no limit any more): they go to those waiting, first come first.
        _fill_places(event)
        _recount(event)
    # Live subscribers hear of every edit; a draft's reach only its offices, as each
    # subscription re-reads the event with its viewer's rights.
    realtime.event_changed(event, realtime.EventChange.UPDATED)
    return event


@transaction.atomic
def delete_event(actor, event: Event) -> None:
    """Delete a draft; public events are cancelled instead, never deleted."""
    event = _locked(event)
    permissions.require(permissions.can_edit_event(actor, event), EDIT_DENIED)
    if event.status != Status.DRAFT:
        raise _error(
            None,
            gettext_noop("Only drafts can be deleted; cancel it instead."),
            EventErrorCode.NOT_A_DRAFT,
        )
    _record(actor, StateChange.Action.DELETED, event=event, before=Status.DRAFT, after="")
    event.delete()
    images.release(event.image)


@transaction.atomic
def set_event_image(actor, event: Event, picture: ProcessedImage | None) -> Event:
    """Give the event the uploaded picture (already checked and resized by
    ``images.pipeline.process``), or none. Who may change the event may change its picture, as
    ``update_event`` decides; the picture it had is deleted once this commits, unless another
    event shows it too."""
    event = _locked_for_editing(actor, event)
    if picture is not None and picture.purpose != Purpose.EVENT:
        raise ValueError(f"an event's picture is made for events, not {picture.purpose}")
    old = event.image
    new = images.store(picture) if picture is not None else None
    if (old and old.pk) == (new and new.pk):
        return event
    event.image = new
    event.save(update_fields=["image", "updated_at"])
    _record(
        actor,
        StateChange.Action.UPDATED,
        event=event,
        before=event.status,
        after=event.status,
        fields=["image"],
        changes=[
            {
                "field": "image",
                "before": history.picture_label(old),
                "after": history.picture_label(new),
            }
        ],
    )
    images.release(old)
    realtime.event_changed(event, realtime.EventChange.UPDATED)
    return event


@transaction.atomic
def announce_event(actor, event: Event, *, on_schedule: bool = False) -> Event:
    """Make a draft (or a postponed event, confirming its new dates) public. Announcing an
    announced event changes nothing, so a retried request is harmless. A time it was to be
    announced at is dropped; ``on_schedule`` says that time has come (the history says so)."""
    event = _locked(event)
    permissions.require(permissions.can_publish_event(actor, event), PUBLISH_DENIED)
    if event.status == Status.ANNOUNCED:
        return event
    if event.status == Status.CANCELLED:
        raise _error(
            None,
            gettext_noop("A cancelled event cannot be announced."),
            EventErrorCode.EVENT_CANCELLED,
        )
    if event.ends_at <= timezone.now():
        raise _error(
            None, gettext_noop("This event has already ended."), EventErrorCode.EVENT_ENDED
        )
    _validate_event(event)
    before = event.status
    was = {"status": before, "announced_at": event.announced_at, "announce_at": event.announce_at}
    details = {"scheduled_for": event.announce_at.isoformat()} if on_schedule else {}
    event.status = Status.ANNOUNCED
    event.announced_at = event.announced_at or timezone.now()
    event.announce_at, event.schedule_failure = None, ""
    event.save(
        update_fields=["status", "announced_at", "announce_at", "schedule_failure", "updated_at"]
    )
    change = _record(
        actor,
        StateChange.Action.ANNOUNCED,
        event=event,
        before=before,
        after=event.status,
        changes=_differing(event, was),
        **details,
    )
    if before == Status.DRAFT:
        signals.event_announced.send(Event, event=event, change=change)
        realtime.event_announced(event)
    realtime.event_changed(event, realtime.EventChange.ANNOUNCED)
    return event


def validate_postponement(new_starts_at, new_ends_at) -> tuple:
    """The new start and end of a postponement, in UTC, or the ValidationError saying what is
    wrong with them (the admin checks them with this before showing what would be pushed)."""
    errors = {}
    for field, value in (("new_starts_at", new_starts_at), ("new_ends_at", new_ends_at)):
        try:
            instant(value)
        except ValidationError as error:
            errors[field] = error.error_list
    if errors:
        raise ValidationError(errors)
    new_starts_at, new_ends_at = instant(new_starts_at), instant(new_ends_at)
    if new_starts_at <= timezone.now():
        raise _error(
            "new_starts_at",
            gettext_noop("The new start is in the past."),
            EventErrorCode.POSTPONE_TO_PAST,
        )
    if new_ends_at <= new_starts_at:
        raise _error(
            "new_ends_at",
            gettext_noop("The new end must come after the new start."),
            EventErrorCode.END_BEFORE_START,
        )
    return new_starts_at, new_ends_at


@transaction.atomic
def postpone_event(actor, event: Event, new_starts_at, new_ends_at) -> Event:
    """Move a public event to new dates in the future."""
    event = _locked(event)
    permissions.require(permissions.can_publish_event(actor, event), PUBLISH_DENIED)
    if event.status == Status.CANCELLED:
        raise _error(
            None,
            gettext_noop("A cancelled event cannot be postponed."),
            EventErrorCode.EVENT_CANCELLED,
        )
    if event.status == Status.DRAFT:
        raise _error(
            None,
            gettext_noop("A draft has no public date to postpone; edit it."),
            EventErrorCode.INVALID_TRANSITION,
        )
    new_starts_at, new_ends_at = validate_postponement(new_starts_at, new_ends_at)
    before = event.status
    was = {"starts_at": event.starts_at, "ends_at": event.ends_at, "status": before}
    event.starts_at, event.ends_at, event.status = new_starts_at, new_ends_at, Status.POSTPONED
    event.save(update_fields=["starts_at", "ends_at", "status", "updated_at"])
    change = _record(
        actor,
        StateChange.Action.POSTPONED,
        event=event,
        before=before,
        after=event.status,
        changes=_differing(event, was),
    )
    signals.event_postponed.send(Event, event=event, change=change)
    realtime.event_changed(event, realtime.EventChange.POSTPONED)
    return event


@transaction.atomic
def cancel_event(actor, event: Event, reason: str = "") -> Event:
    """Call off a public event; it stays visible as cancelled. Cancelling twice is harmless."""
    event = _locked(event)
    permissions.require(permissions.can_publish_event(actor, event), PUBLISH_DENIED)
    if event.status == Status.CANCELLED:
        return event
    if event.status == Status.DRAFT:
        raise _error(
            None,
            gettext_noop("A draft is deleted, not cancelled."),
            EventErrorCode.INVALID_TRANSITION,
        )
    reason = clean_text(reason)
    limit = Event._meta.get_field("cancellation_reason").max_length
    if len(reason) > limit:
        raise ValidationError(
            {
                "reason": ValidationError(
                    gettext_noop("At most %(limit)s characters."),
                    code="max_length",
                    params={"limit": limit},
                )
            }
        )
    before = event.status
    was = {"status": before, "cancellation_reason": event.cancellation_reason}
    event.status, event.cancellation_reason = Status.CANCELLED, reason
    event.save(update_fields=["status", "cancellation_reason", "updated_at"])
    change = _record(
        actor,
        StateChange.Action.CANCELLED,
        event=event,
        before=before,
        after=event.status,
        changes=_differing(event, was),
    )
    signals.event_cancelled.send(Event, event=event, change=change)
    realtime.event_changed(event, realtime.EventChange.CANCELLED)
    return event


@transaction.atomic
def invite_cohost(actor, event: Event, office: CityOffice) -> EventCohost:
    """Invite the office of the twinning's partner city to co-host the event."""
    event = _locked(event)
    permissions.require(
        permissions.can_invite_cohost(actor, event),
        gettext_noop("Only the organising office's publishers invite co-hosts."),
    )
    if event.status == Status.CANCELLED:
        raise _error(None, gettext_noop("The event is cancelled."), EventErrorCode.EVENT_CANCELLED)
    if event.twinning_id is None:
        raise _error(
            None,
            gettext_noop("Only a twinning's event can be co-hosted."),
            EventErrorCode.NO_TWINNING,
        )
    partner = event.twinning.partner_of(event.host_city_id)
    if office.city_id != partner.pk:
        raise _error(
            "office",
            gettext_noop("Invite the office of the partner city."),
            EventErrorCode.NOT_PARTNER_OFFICE,
        )
    cohost, created = EventCohost.objects.get_or_create(
        event=event, office=office, defaults={"invited_by": actor}
    )
    if created:
        _record(
            actor,
            StateChange.Action.COHOST_INVITED,
            event=event,
            office=office.pk,
            changes=[
                {"field": history.COHOST, "before": None, "after": history.stored_value(office)},
                {
                    "field": history.COHOST_STATUS,
                    "before": None,
                    "after": history.stored_value(EventCohost.Status.INVITED),
                },
            ],
        )
    return cohost


@transaction.atomic
def accept_cohost(actor, event: Event) -> EventCohost:
    """Accept, for an office the actor publishes for, an invitation to co-host ``event``."""
    event = _locked(event)
    invitations = list(event.cohosts.select_related("office"))
    mine = [
        cohost
        for cohost in invitations
        if permissions.has_role(actor, [cohost.office_id], permissions.PUBLISHING_ROLES)
    ]
    permissions.require(
        bool(mine), gettext_noop("You publish for no office invited to co-host this event.")
    )
    cohost = mine[0]
    if cohost.status != EventCohost.Status.ACCEPTED:
        was = cohost.status
        cohost.status = EventCohost.Status.ACCEPTED
        cohost.accepted_by, cohost.accepted_at = actor, timezone.now()
        cohost.save(update_fields=["status", "accepted_by", "accepted_at"])
        office = history.stored_value(cohost.office)
        _record(
            actor,
            StateChange.Action.COHOST_ACCEPTED,
            event=event,
            office=cohost.office_id,
            changes=[
                {"field": history.COHOST, "before": office, "after": office},
                {
                    "field": history.COHOST_STATUS,
                    "before": history.stored_value(was),
                    "after": history.stored_value(cohost.status),
                },
            ],
        )
    return cohost


# --- Announcements -------------------------------------------------------------------------


def _validate_announcement(announcement: Announcement) -> None:
    errors = {}
    twinning = announcement.twinning
    if twinning and announcement.city_id not in (twinning.city_a_id, twinning.city_b_id):
        errors["twinning"] = ValidationError(
            gettext_noop("The twinning must include the office's city."),
            code=EventErrorCode.TWINNING_MISMATCH,
        )
    event = announcement.event
    if event and announcement.office_id not in permissions.acting_offices(event):
        errors["event"] = ValidationError(
            gettext_noop("The event must be one the office organises or co-hosts."),
            code=EventErrorCode.EVENT_MISMATCH,
        )
    if errors:
        raise ValidationError(errors)
    announcement.full_clean()


def _announcement_status(announcement: Announcement) -> str:
    return "PUBLISHED" if announcement.published_at is not None else "SCHEDULED"


def _publish(actor, announcement: Announcement, before: str = "", **details) -> Announcement:
    """Publish a saved or new announcement now: from this moment app users see it, and its
    followers are pushed (the signal's receiver writes the push after this commits)."""
    announcement.published_at = timezone.now()
    announcement.schedule_failure = ""
    announcement.save()
    change = _record(
        actor,
        StateChange.Action.PUBLISHED,
        announcement=announcement,
        before=before,
        after="PUBLISHED",
        changes=history.initial_values(
            announcement, [*sorted(ANNOUNCEMENT_FIELDS), "published_at"]
        ),
        **details,
    )
    signals.announcement_posted.send(Announcement, announcement=announcement, change=change)
    realtime.announcement_posted(announcement)
    return announcement


def _schedule_announcement(actor, announcement: Announcement, at) -> None:
    """Set the time a not yet published announcement publishes itself at, and record it."""
    before = _announcement_status(announcement) if announcement.pk else ""
    was = {"publish_at": announcement.publish_at}
    announcement.publish_at = future_instant("publish_at", at)
    announcement.scheduled_by = actor if actor and actor.is_authenticated else None
    announcement.schedule_failure = ""
    announcement.save()
    _record(
        actor,
        StateChange.Action.SCHEDULED,
        announcement=announcement,
        before=before,
        after="SCHEDULED",
        changes=history.changes(announcement, was),
    )


@transaction.atomic
def create_announcement(actor, office: CityOffice, data: dict) -> Announcement:
    """Post an announcement for the office's city: published at once, or, with a future
    ``publish_at`` in ``data``, kept from app users until then and published by the beat."""
    permissions.require(permissions.can_post_for(actor, office.pk), POST_DENIED)
    data = dict(data)
    publish_at = data.pop("publish_at", None)
    announcement = Announcement(office=office, city_id=office.city_id)
    _assign(announcement, data, ANNOUNCEMENT_FIELDS)
    _validate_announcement(announcement)
    if publish_at is not None:
        _schedule_announcement(actor, announcement, publish_at)
        return announcement
    return _publish(actor, announcement)


@transaction.atomic
def update_announcement(actor, announcement: Announcement, data: dict) -> Announcement:
    """Edit an announcement. One not yet published may be given another ``publish_at`` in
    ``data`` (a future time), or none, which publishes it now."""
    announcement = Announcement.objects.select_for_update().get(pk=announcement.pk)
    permissions.require(permissions.can_post_for(actor, announcement.office_id), POST_DENIED)
    data = dict(data)
    scheduling = "publish_at" in data
    publish_at = data.pop("publish_at", None)
    if scheduling and announcement.published_at is not None and publish_at is not None:
        raise _error(
            "publish_at",
            gettext_noop("This announcement is already published."),
            EventErrorCode.ALREADY_PUBLISHED,
        )
    changed = _assign(announcement, data, ANNOUNCEMENT_FIELDS)
    status = _announcement_status(announcement)
    if changed:
        _validate_announcement(announcement)
        announcement.save()
        _record(
            actor,
            StateChange.Action.UPDATED,
            announcement=announcement,
            before=status,
            after=status,
            fields=sorted(changed),
            changes=history.changes(announcement, changed),
        )
    if scheduling and announcement.published_at is None:
        if publish_at is None:
            _validate_announcement(announcement)
            return _publish(actor, announcement, before=status)
        if publish_at != announcement.publish_at:
            _schedule_announcement(actor, announcement, publish_at)
    return announcement


@transaction.atomic
def delete_announcement(actor, announcement: Announcement) -> None:
    permissions.require(permissions.can_post_for(actor, announcement.office_id), POST_DENIED)
    before = _announcement_status(announcement)
    _record(actor, StateChange.Action.DELETED, announcement=announcement, before=before, after="")
    announcement.delete()


# --- Scheduling ----------------------------------------------------------------------------
#
# A draft announces itself, an announcement publishes itself, at a time an office chose: the
# beat runs ``publish_due`` every minute (events.tasks), which takes each due row under its lock
# and publishes it through the same path as a person would, in the name of whoever scheduled
# it. What is refused then keeps its reason (``schedule_failure``) and is not tried again.


def future_instant(field: str, value) -> datetime.datetime:
    """``value`` as a stored instant (with its offset, inside the window), later than now."""
    try:
        value = instant(value)
    except ValidationError as error:
        raise ValidationError({field: error.error_list}) from None
    if value <= timezone.now():
        raise _error(
            field, gettext_noop("This time has already passed."), EventErrorCode.SCHEDULE_IN_PAST
        )
    return value


@transaction.atomic
def schedule_event_announcement(actor, event: Event, at) -> Event:
    """Have a draft announce itself at ``at`` (a future time before it ends), in the name of
    ``actor``; another time given later replaces it. Until then it stays a draft."""
    event = _locked(event)
    permissions.require(permissions.can_publish_event(actor, event), PUBLISH_DENIED)
    if event.status != Status.DRAFT:
        raise _error(
            None, gettext_noop("Only a draft can be announced later."), EventErrorCode.NOT_A_DRAFT
        )
    at = future_instant("announce_at", at)
    if at >= event.ends_at:
        raise _error(
            "announce_at",
            gettext_noop("The event is over by then: choose a time before it ends."),
            EventErrorCode.SCHEDULE_AFTER_END,
        )
    return _set_announce_at(actor, event, at, StateChange.Action.SCHEDULED)


@transaction.atomic
def unschedule_event_announcement(actor, event: Event) -> Event:
    """Drop the time a draft was to announce itself at; without one, nothing changes."""
    event = _locked(event)
    permissions.require(permissions.can_publish_event(actor, event), PUBLISH_DENIED)
    if event.announce_at is None:
        return event
    return _set_announce_at(actor, event, None, StateChange.Action.UNSCHEDULED)


def _set_announce_at(actor, event: Event, at, action) -> Event:
    """Give a locked draft the time it announces itself at (set by ``actor``, in whose name it
    will be announced), or none; record it as ``action`` and tell the office's screens."""
    was = {"announce_at": event.announce_at}
    event.announce_at, event.schedule_failure = at, ""
    fields = ["announce_at", "schedule_failure", "updated_at"]
    if at is not None:
        event.scheduled_by = actor
        fields.append("scheduled_by")
    event.save(update_fields=fields)
    _record(
        actor,
        action,
        event=event,
        before=event.status,
        after=event.status,
        changes=history.changes(event, was),
    )
    realtime.event_changed(event, realtime.EventChange.UPDATED)
    return event


def _reason(error: Exception) -> str:
    """A refusal as the line kept on the row (never empty: an empty one would make it due
    again)."""
    if isinstance(error, ValidationError):
        text = " ".join(str(message) for message in error.messages)
    else:
        text = str(error)
    limit = Event._meta.get_field("schedule_failure").max_length
    return (text or str(gettext_noop("It was refused.")))[:limit]


def _announce_on_schedule(event: Event) -> bool:
    """Announce a due draft (locked by the caller) in its scheduler's name; True when
    announced, False when refused (its reason recorded)."""
    try:
        with transaction.atomic():
            announce_event(event.scheduled_by, event, on_schedule=True)
        return True
    except (ValidationError, PermissionDenied) as error:
        _refused_on_schedule(event, error, event.status, event=event)
        return False


def _publish_on_schedule(announcement: Announcement) -> bool:
    """Publish a due announcement (locked by the caller) in its scheduler's name; True when
    published, False when refused (its reason recorded)."""
    actor = announcement.scheduled_by
    try:
        with transaction.atomic():
            permissions.require(
                permissions.can_post_for(actor, announcement.office_id), POST_DENIED
            )
            _validate_announcement(announcement)
            _publish(
                actor,
                announcement,
                before="SCHEDULED",
                scheduled_for=announcement.publish_at.isoformat(),
            )
        return True
    except (ValidationError, PermissionDenied) as error:
        announcement.refresh_from_db()
        _refused_on_schedule(announcement, error, "SCHEDULED", announcement=announcement)
        return False


def _refused_on_schedule(row, error: Exception, status: str, **subject) -> None:
    """Keep on ``row`` (a due event or announcement) why publishing it was refused, which
    keeps it from being due again, and record it in the name of whoever scheduled it."""
    row.schedule_failure = _reason(error)
    row.save(update_fields=["schedule_failure", "updated_at"])
    _record(
        row.scheduled_by,
        StateChange.Action.SCHEDULE_FAILED,
        before=status,
        after=status,
        reason=row.schedule_failure,
        **subject,
    )


def due_events(now: datetime.datetime):
    """Drafts whose time to announce themselves has come, not refused before."""
    return Event.objects.filter(status=Status.DRAFT, announce_at__lte=now, schedule_failure="")


def due_announcements(now: datetime.datetime):
    """Announcements whose time to publish themselves has come, not refused before."""
    return Announcement.objects.scheduled().filter(publish_at__lte=now, schedule_failure="")


def publish_due(now: datetime.datetime | None = None) -> dict[str, int]:
    """Announce every due draft and publish every due announcement, one row per transaction.

    Each row is taken with ``FOR UPDATE SKIP LOCKED``: two runs at once (two workers, a beat
    that fired twice) share the rows rather than wait for each other, and a row one run
    published no longer matches when the other looks, so nothing is published or pushed
    twice. A refused row keeps its reason and is not taken again; the run ends when nothing
    due is left. Returns how many were published and refused."""
    now = now or timezone.now()
    counts = {"announced": 0, "published": 0, "refused": 0}
    for due, publish, done in (
        (due_events, _announce_on_schedule, "announced"),
        (due_announcements, _publish_on_schedule, "published"),
    ):
        tried = set()
        while True:
            with transaction.atomic():
                row = (
                    due(now)
                    .exclude(pk__in=tried)
                    .order_by("pk")
                    .select_for_update(skip_locked=True)
                    .first()
                )
                if row is None:
                    break
                tried.add(row.pk)
                counts[done if publish(row) else "refused"] += 1
    return counts


# --- RSVPs ---------------------------------------------------------------------------------


GOING, INTERESTED, WAITLISTED = Rsvp.Status.GOING, Rsvp.Status.INTERESTED, Rsvp.Status.WAITLISTED


def _is_open(event: Event) -> bool:
    """Whether people may answer: the event is public, not called off, and not over."""
    return event.status in (Status.ANNOUNCED, Status.POSTPONED) and event.ends_at > timezone.now()


@transaction.atomic
def withdraw_rsvps(user) -> None:
    """Withdraw every RSVP of ``user``, whose account is being deleted, as they would one by
    one: each event's count of people going follows, and each change is recorded (without a
    name, as every RSVP change is). Events are taken in id order, so that two deletions lock
    them in the same order."""
    for event in Event.objects.filter(rsvps__user=user).order_by("pk"):
        set_rsvp(user, event, None)


@transaction.atomic
def set_rsvp(user, event: Event, status: str | None) -> Event:
    """Set the user's RSVP: GOING, INTERESTED, WAITLISTED, or None to withdraw.

    The event row is locked while its places are counted and given, so concurrent requests
    queue: capacity is never exceeded, and a place that frees goes to the first in the
    waitlist before anyone else can take it.

    GOING takes a free place, or fails with EVENT_FULL. WAITLISTED takes a free place as
    well (the answer is then GOING), and otherwise joins the end of the line; for someone
    GOING already it changes nothing. Leaving GOING (for INTERESTED, or withdrawing) gives
    the place to the first in line, who is pushed; leaving WAITLISTED leaves the line.
    """
    event = _locked(event)
    is_open = _is_open(event)
    # Withdrawing is always possible; joining only while the event is open.
    if status is not None and not is_open:
        raise _error(
            None,
            gettext_noop("RSVPs are open only for announced, upcoming events."),
            EventErrorCode.EVENT_NOT_OPEN,
        )
    # Places left free (a limit raised by a path that did not give them, rows written outside
    # this service) go to those waiting before anyone new, the user included, takes one.
    promoted = _fill_places(event)
    current = Rsvp.objects.filter(user=user, event=event).first()
    before = current.status if current is not None else ""
    if status == WAITLISTED and before == GOING:
        status = GOING
    if status in (GOING, WAITLISTED) and before != GOING:
        if _free_places(event) != 0:
            status = GOING
        elif status == GOING:
            raise _error(None, gettext_noop("The event is full."), EventErrorCode.EVENT_FULL)
    if before != (status or ""):
        waitlisted_at = timezone.now() if status == WAITLISTED else None
        if status is None:
            current.delete()
        elif current is None:
            Rsvp.objects.create(user=user, event=event, status=status, waitlisted_at=waitlisted_at)
        else:
            current.status, current.waitlisted_at = status, waitlisted_at
            current.save(update_fields=["status", "waitlisted_at", "updated_at"])
        # The counts over time are replayed from these; a repeated answer changes nothing.
        RsvpChange.objects.create(event=event, from_status=before, to_status=status or "")
        if before == GOING:
            promoted += _fill_places(event)
    if promoted or before != (status or ""):
        _recount(event)
    return event


def _free_places(event: Event) -> int | None:
    """How many places of a locked event are not taken (None: no limit), counted from the
    RSVPs themselves."""
    if event.capacity is None:
        return None
    going = Rsvp.objects.filter(event=event, status=GOING).count()
    return max(event.capacity - going, 0)


def waitlist(event: Event):
    """The event's waitlist, first in line first: in the order its people joined it."""
    return Rsvp.objects.filter(event=event, status=WAITLISTED).order_by("waitlisted_at", "pk")


def _fill_places(event: Event) -> list[Rsvp]:
    """Give the free places of a locked, open event to the first in its waitlist, in order:
    each is GOING from now, the change recorded, and pushed (``waitlist_place_given``, whose
    push is written in this transaction and sent once it commits). Returns their RSVPs."""
    if not _is_open(event):
        return []
    free = _free_places(event)
    if free == 0:
        return []
    line = waitlist(event).select_related("user")
    promoted = list(line if free is None else line[:free])
    for rsvp in promoted:
        rsvp.status, rsvp.waitlisted_at = GOING, None
        rsvp.save(update_fields=["status", "waitlisted_at", "updated_at"])
        change = RsvpChange.objects.create(event=event, from_status=WAITLISTED, to_status=GOING)
        signals.waitlist_place_given.send(Event, event=event, recipient=rsvp.user, change=change)
    return promoted


def _recount(event: Event) -> None:
    """Count a locked event's people going and waiting again from the RSVPs, rather than
    moving the counts by one: a count that drifted (rows written outside this service) heals
    instead of going below zero or past the capacity."""
    counts = Rsvp.objects.filter(event=event).aggregate(
        going=Count("pk", filter=Q(status=GOING)),
        waiting=Count("pk", filter=Q(status=WAITLISTED)),
    )
    if (event.attendee_count, event.waitlist_count) != (counts["going"], counts["waiting"]):
        event.attendee_count, event.waitlist_count = counts["going"], counts["waiting"]
        event.save(update_fields=["attendee_count", "waitlist_count"])
