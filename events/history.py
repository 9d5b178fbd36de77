"""What a history record says: each changed field's value before and after, in the form the
services store it (JSON that any reader can parse) and in the words the admin shows.

The services record a change as ``details["changes"]``, a list of ``{"field", "before",
"after"}`` in the model's field order, each value as ``stored_value`` writes it: times as
ISO 8601 with their offset (UTC), choices as their values, a foreign key as its id with the
label it had at the time, texts and numbers as they are. ``details["fields"]`` still names
the changed fields, as records have since the start.

Records written before values were kept have other shapes (``{"fields": [...]}``, a pair of
old and new times under a field's name, a postponement's ``old``/``new``, a cancellation's
``reason``, a co-host's office id); ``changes_of`` reads every one of them, so that nothing
recorded is ever unreadable, and says which fields changed without recorded values.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cities.models import CityOffice
from core.wall_clock import wall_clock

from .models import Event, EventCohost, StateChange

# The changes of a co-host, recorded on its event under names that are not the event's fields.
COHOST = "cohost"
COHOST_STATUS = "cohost_status"

# What an office employee reads for each action.
ACTION_WORDS = {
    StateChange.Action.CREATED: _("Created"),
    StateChange.Action.UPDATED: _("Changed"),
    StateChange.Action.ANNOUNCED: _("Announced to the public"),
    StateChange.Action.POSTPONED: _("Postponed"),
    StateChange.Action.CANCELLED: _("Cancelled"),
    StateChange.Action.DELETED: _("Deleted"),
    StateChange.Action.COHOST_INVITED: _("Office invited to co-host"),
    StateChange.Action.COHOST_ACCEPTED: _("Invitation to co-host accepted"),
    StateChange.Action.PUBLISHED: _("Published"),
    StateChange.Action.SCHEDULED: _("Scheduled"),
    StateChange.Action.UNSCHEDULED: _("Schedule removed"),
    StateChange.Action.SCHEDULE_FAILED: _("Not published at the scheduled time"),
}

# Field labels in plain words; a field not named here shows its verbose name.
FIELD_LABELS = {
    "title": _("Title"),
    "summary": _("Summary"),
    "description": _("Description"),
    "body": _("Text"),
    "category": _("Category"),
    "starts_at": _("Start"),
    "ends_at": _("End"),
    "timezone": _("Time zone"),
    "venue_name": _("Venue"),
    "venue_address": _("Venue address"),
    "latitude": _("Latitude"),
    "longitude": _("Longitude"),
    "capacity": _("Most people who can come"),
    "image_url": _("Picture link"),
    "image": _("Picture"),
    "registration_url": _("Registration link"),
    "price_amount": _("Price"),
    "price_currency": _("Currency"),
    "is_free": _("Free"),
    "accessibility": _("Accessibility"),
    "tags": _("Tags"),
    "twinning": _("Twinning"),
    "event": _("Event"),
    "status": _("Status"),
    "announced_at": _("Announced at"),
    "cancellation_reason": _("Reason for cancelling"),
    "published_at": _("Published at"),
    "announce_at": _("Announce automatically at"),
    "publish_at": _("Publish at"),
    COHOST: _("Co-host office"),
    COHOST_STATUS: _("Co-host's answer"),
}
LANGUAGE_WORDS = {
    "en": _("English"),
    "ru": _("Russian"),
    "kk": _("Kazakh"),
    "ur": _("Urdu"),
}
EMPTY = _("(empty)")
# Long texts are shown shortened to this many characters, with an ellipsis.
SHOWN_CHARACTERS = 80


@dataclass(frozen=True)
class FieldChange:
    """One field's change as recorded: ``field`` is the model's name for it (or ``cohost``,
    ``cohost_status``); ``recorded`` is False for old records that named the field only."""

    field: str
    before: Any = None
    after: Any = None
    recorded: bool = True


# --- Recording -----------------------------------------------------------------------------


def stored_value(value) -> Any:
    """``value`` as a history record keeps it: JSON, the same whatever reads it later."""
    if value is None:
        return None
    if isinstance(value, models.Model):
        return {"id": value.pk, "label": str(value)}
    if isinstance(value, models.Choices):
        return value.value
    if isinstance(value, datetime.datetime):
        if value.utcoffset() is None:
            return value.isoformat()
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [stored_value(item) for item in value]
    # A price (Decimal) as its digits: "12.50".
    return str(value)


def picture_label(image) -> str | None:
    """How a history record names an uploaded picture: its size and the start of its digest
    (the files themselves are deleted once replaced)."""
    if image is None:
        return None
    full = image.variants.get("FULL") or next(iter(image.variants.values()))
    return f"{full['width']}×{full['height']} {image.digest[:8]}"


def field_value(instance, field: str):
    """The value of ``field`` on ``instance`` as it is to be recorded (a foreign key as its
    object, read only when it is set; a many-to-many field, the tags, as the list of its
    objects in id order)."""
    model_field = instance._meta.get_field(field)
    if isinstance(model_field, models.ManyToManyField):
        return sorted(getattr(instance, field).all(), key=lambda item: item.pk)
    if (
        isinstance(model_field, models.ForeignKey)
        and getattr(instance, model_field.attname) is None
    ):
        return None
    return getattr(instance, field)


def _field_order(model, field: str) -> tuple[int, int]:
    # The texts first (the title is what a reader looks for), then the model's order.
    names = [model_field.name for model_field in model._meta.concrete_fields]
    base = field.rpartition("_")[0]
    texts = getattr(model._meta, "translated_fields", ())
    return (0 if base in texts else 1, names.index(field) if field in names else len(names))


def changes(instance, before: dict, fields=None) -> list[dict]:
    """The changes to record for ``instance``: for each field of ``before`` (its value then)
    or of ``fields``, its value then and now, in the model's field order."""
    names = sorted({*before, *(fields or ())}, key=lambda name: _field_order(type(instance), name))
    return [
        {
            "field": name,
            "before": stored_value(before.get(name)),
            "after": stored_value(field_value(instance, name)),
        }
        for name in names
    ]


def initial_values(instance, fields) -> list[dict]:
    """What a new event or announcement starts with: each of ``fields`` that holds a value
    (a flag that is off, as every new event's "free", holds none)."""
    present = [name for name in fields if _holds(field_value(instance, name))]
    return changes(instance, {}, present)


def _holds(value) -> bool:
    return value is not None and value is not False and value != "" and value != []


# --- Reading -------------------------------------------------------------------------------


def changes_of(record: StateChange) -> list[FieldChange]:
    """Every field change a record holds, whatever shape it was written in."""
    details = record.details if isinstance(record.details, dict) else {}
    if isinstance(details.get("changes"), list):
        return [
            FieldChange(item.get("field", ""), item.get("before"), item.get("after"))
            for item in details["changes"]
            if isinstance(item, dict)
        ]
    found: list[FieldChange] = []
    # A postponement's new times, before the fields were named.
    old, new = details.get("old"), details.get("new")
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new) == 2:
        found += [
            FieldChange("starts_at", old[0], new[0]),
            FieldChange("ends_at", old[1], new[1]),
        ]
    for field in details.get("fields", []):
        pair = details.get(field)
        if isinstance(pair, list) and len(pair) == 2:
            found.append(FieldChange(field, pair[0], pair[1]))
        else:
            found.append(FieldChange(field, recorded=False))
    if "office" in details and not isinstance(details["office"], dict):
        found.append(FieldChange(COHOST, None, {"id": details["office"], "label": None}))
    # An event's status, from the columns every record has.
    statuses = Event.Status.values
    before, after = record.from_status, record.to_status
    if before in statuses and after in statuses and before != after:
        found = [change for change in found if change.field != "status"]
        found.append(FieldChange("status", before, after))
    return found


def note_of(record: StateChange) -> str:
    """What a record says besides its changes: the reason a cancellation or a repair gave."""
    details = record.details if isinstance(record.details, dict) else {}
    reason = details.get("reason")
    return reason if isinstance(reason, str) else ""


def _model_field(model, field: str):
    try:
        return model._meta.get_field(field)
    except FieldDoesNotExist:
        return None


def field_label(model, field: str) -> str:
    """The label of a field as an office employee reads it: ``Title (Kazakh)``, ``Start``."""
    base, _sep, code = field.rpartition("_")
    if base in getattr(model._meta, "translated_fields", ()) and code in LANGUAGE_WORDS:
        return _("%(field)s (%(language)s)") % {
            "field": FIELD_LABELS.get(base, capfirst(base.replace("_", " "))),
            "language": LANGUAGE_WORDS[code],
        }
    if field in FIELD_LABELS:
        return str(FIELD_LABELS[field])
    model_field = _model_field(model, field)
    name = model_field.verbose_name if model_field is not None else field.replace("_", " ")
    return capfirst(name)


def parse_time(value) -> datetime.datetime | None:
    """A recorded time as an instant: ISO 8601 with an offset, or (written by the repair of
    times in 2026, in the database's own text) without one, in UTC."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=datetime.UTC)


def related_model(model, field: str):
    """The model a recorded linked row belongs to (a co-host's is an office), or None."""
    if field == COHOST:
        return CityOffice
    model_field = _model_field(model, field)
    return getattr(model_field, "related_model", None)


def is_time(model, field: str) -> bool:
    return isinstance(_model_field(model, field), models.DateTimeField)


def choices_of(model, field: str) -> dict:
    """The labels of a choice field's values (the co-host's answer has its own)."""
    if field == COHOST_STATUS:
        return dict(EventCohost.Status.choices)
    model_field = _model_field(model, field)
    return dict(model_field.flatchoices) if model_field is not None and model_field.choices else {}


def shown_value(model, field: str, value, zone: str) -> str:
    """A recorded value in words: a time in ``zone`` with its name, a choice as its label,
    a linked row as the label it had then, a long text shortened."""
    if value is None or value == "" or value == []:
        return str(EMPTY)
    if is_time(model, field):
        moment = parse_time(value)
        return wall_clock(moment, zone) if moment is not None else str(value)
    choices = choices_of(model, field)
    if choices and value in choices:
        return str(choices[value])
    if isinstance(value, dict):
        label = value.get("label")
        return label if label else _("no. %(id)s") % {"id": value.get("id")}
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list):
        return ", ".join(shown_value(model, field, item, zone) for item in value)
    text = " ".join(str(value).split())
    return Truncator(text).chars(SHOWN_CHARACTERS)


def display_lines(record: StateChange, model, zone: str) -> list[str]:
    """The lines a record shows: ``Title (English): Old → New`` for each field (the value
    alone for what a new event, announcement or invitation started with), then the reason
    given."""
    lines = []
    # What something new starts with reads as its value alone.
    initial = record.action in (
        StateChange.Action.CREATED,
        StateChange.Action.PUBLISHED,
        StateChange.Action.COHOST_INVITED,
    )
    for change in changes_of(record):
        label = field_label(model, change.field)
        if not change.recorded:
            lines.append(_("%(field)s changed (values not recorded)") % {"field": label})
            continue
        after = shown_value(model, change.field, change.after, zone)
        if initial and change.before is None:
            lines.append(_("%(field)s: %(value)s") % {"field": label, "value": after})
        else:
            before = shown_value(model, change.field, change.before, zone)
            lines.append(
                _("%(field)s: %(before)s → %(after)s")
                % {"field": label, "before": before, "after": after}
            )
    note = note_of(record)
    if note:
        # A refusal of the beat is kept in English (``gettext_noop``), shown in the admin's
        # language; a reason a person typed has no translation and is shown as typed.
        lines.append(_("Reason: %(reason)s") % {"reason": gettext(note)})
    return lines


def action_words(record: StateChange) -> str:
    """The action of a record in plain words."""
    return str(ACTION_WORDS.get(record.action, record.get_action_display()))
