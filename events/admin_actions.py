"""The actions on an event's page: Announce, Postpone and Cancel, each a button on the change
page that opens a page saying what will happen before anything does.

The confirmation page shows the push the action would send, in each language exactly as it
would be sent, and how many devices it would reach: it asks the push system through
``signals.push_preview``, which answers with the kind's own texts and the fan-out's own
audience query (events knows nothing of push). Postponing takes the new times typed in the
venue's zone, cancelling a reason, which the push carries. The page shows the push for what
was typed, and confirming does the action only if the push would still be the one shown (a
fingerprint of it travels with the form), so nobody confirms a text they did not see. A GET
changes nothing; confirming is a POST (CSRF-protected) that calls the service, and a refusal
is shown on the page.
"""

import copy
import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.i18n import LANGUAGES
from core.text import clean_text
from core.validators import validate_visible
from core.wall_clock import instant_of

from . import permissions, services, signals
from .admin_forms import VenueTimeField, describe, in_admin_language
from .models import Event

Status = Event.Status
# What a service raises when it refuses; each is shown on the page.
REFUSALS = (ValidationError, PermissionDenied)
PUBLIC = frozenset({Status.ANNOUNCED, Status.POSTPONED})


class AnnounceForm(forms.Form):
    """Announcing asks nothing more."""

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)


class PostponeForm(forms.Form):
    """The new start and end, typed as the venue's clocks show them."""

    new_starts_at = VenueTimeField(label=_("New start"))
    new_ends_at = VenueTimeField(label=_("New end"))

    def __init__(self, *args, event: Event, **kwargs):
        kwargs.setdefault(
            "initial", {"new_starts_at": event.starts_at, "new_ends_at": event.ends_at}
        )
        super().__init__(*args, **kwargs)
        self.zone = event.timezone
        for field in self.fields.values():
            field.widget.zone = event.timezone

    def clean(self):
        cleaned_data = super().clean()
        for name in self.fields:
            wall = cleaned_data.get(name)
            if wall is None:
                continue
            try:
                cleaned_data[name] = instant_of(wall, self.zone)
            except ValidationError as error:
                self.add_error(name, error)
        if not self.errors:
            # The service's own checks (in the window, not in the past, end after start),
            # before a push is shown for times that would be refused.
            try:
                services.validate_postponement(
                    cleaned_data["new_starts_at"], cleaned_data["new_ends_at"]
                )
            except ValidationError as error:
                self.add_error(None, in_admin_language(error))
        return cleaned_data


class CancelForm(forms.Form):
    """Why the event is called off: the push says it before the event's time and place."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=Event._meta.get_field("cancellation_reason").max_length,
        validators=[validate_visible],
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_(
            "Written once and sent as it is to people in every language, so keep it short "
            "and simple."
        ),
    )

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)

    def clean_reason(self) -> str:
        # As ``services.cancel_event`` keeps it, so that the push shown is the one sent.
        return clean_text(self.cleaned_data["reason"])


@dataclass(frozen=True)
class EventAction:
    """One action of the event page: which events it applies to (the statuses its service
    accepts), its form, what the event would be afterwards and which push that sends, and the
    service call that does it."""

    name: str
    button: str
    title: str
    confirm: str
    done: str
    form_class: type[forms.Form]
    applies_to: Callable[[Event], bool]
    # (event, cleaned data) → (the event as it would be, the signal the service would send).
    outcome: Callable[[Event, dict], tuple[Event, object]]
    perform: Callable[[object, Event, dict], Event]
    explanation: Callable[[Event], str]


def _announced(event: Event, data: dict):
    after = copy.copy(event)
    after.status = Status.ANNOUNCED
    # Only a draft going public is news; a postponed event announced confirms dates its
    # followers were told of when it was postponed (``services.announce_event``).
    return after, signals.event_announced if event.status == Status.DRAFT else None


def _postponed(event: Event, data: dict):
    after = copy.copy(event)
    after.status = Status.POSTPONED
    after.starts_at, after.ends_at = data["new_starts_at"], data["new_ends_at"]
    return after, signals.event_postponed


def _cancelled(event: Event, data: dict):
    after = copy.copy(event)
    after.status = Status.CANCELLED
    after.cancellation_reason = data["reason"]
    return after, signals.event_cancelled


def _explain_announce(event: Event) -> str:
    if event.status == Status.DRAFT:
        return gettext(
            "The event becomes public: it appears in the app and in calendars. People who "
            "follow its city, the cities of its pair or the pair itself are told, except "
            "those who turned off notifications for its category."
        )
    return gettext(
        "The new dates are confirmed and the event is shown as announced again. Nobody is "
        "notified: people were told of the new dates when the event was postponed."
    )


def _explain_postpone(event: Event) -> str:
    return gettext(
        "The event moves to the new dates and is shown as postponed. Everyone who replied "
        "that they are going or interested is told, and so are the people who follow its "
        "city or its pair (except those who turned off notifications for its category)."
    )


def _explain_cancel(event: Event) -> str:
    return gettext(
        "The event is called off and stays in the app as cancelled; this cannot be undone. "
        "Everyone who replied that they are going or interested is told, with your reason, "
        "and so are the people who follow its city or its pair (except those who turned off "
        "notifications for its category)."
    )


ACTIONS = (
    EventAction(
        name="announce",
        button=_("Announce"),
        title=_("Announce this event?"),
        confirm=_("Yes, announce it"),
        done=_("The event was announced."),
        form_class=AnnounceForm,
        applies_to=lambda event: (
            event.status in (Status.DRAFT, Status.POSTPONED) and event.ends_at > timezone.now()
        ),
        outcome=_announced,
        perform=lambda actor, event, data: services.announce_event(actor, event),
        explanation=_explain_announce,
    ),
    EventAction(
        name="postpone",
        button=_("Postpone"),
        title=_("Postpone this event?"),
        confirm=_("Yes, postpone it"),
        done=_("The event was postponed."),
        form_class=PostponeForm,
        applies_to=lambda event: event.status in PUBLIC,
        outcome=_postponed,
        perform=lambda actor, event, data: services.postpone_event(
            actor, event, data["new_starts_at"], data["new_ends_at"]
        ),
        explanation=_explain_postpone,
    ),
    EventAction(
        name="cancel",
        button=_("Cancel event"),
        title=_("Cancel this event?"),
        confirm=_("Yes, cancel the event"),
        done=_("The event was cancelled."),
        form_class=CancelForm,
        applies_to=lambda event: event.status in PUBLIC,
        outcome=_cancelled,
        perform=lambda actor, event, data: services.cancel_event(actor, event, data["reason"]),
        explanation=_explain_cancel,
    ),
)


def available(user, event: Event) -> list[EventAction]:
    """The actions ``user`` may take on ``event`` now: what its status allows, for its
    publishers (the rules the services apply)."""
    if not permissions.can_publish_event(user, event):
        return []
    return [action for action in ACTIONS if action.applies_to(event)]


def push_previews(trigger, event: Event) -> list[signals.PushPreview]:
    """What ``trigger`` would push about ``event`` (as it would be after the change)."""
    if trigger is None:
        return []
    answers = signals.push_preview.send(Event, trigger=trigger, event=event)
    return [answer for _receiver, answer in answers if answer is not None]


def _fingerprint(data: dict, previews: list[signals.PushPreview]) -> str:
    """What the page showed: the details typed and the texts of each push."""
    shown = [
        sorted(
            (name, value.isoformat() if isinstance(value, datetime.datetime) else value)
            for name, value in data.items()
        ),
        [sorted(preview.texts.items()) for preview in previews],
    ]
    return hashlib.sha256(repr(shown).encode()).hexdigest()


def _show_refusal(request, form: forms.Form, error: Exception) -> None:
    """A service's refusal: on the field it names when the form has it, else as a message."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in in_admin_language(error).error_dict.items():
            if field in form.fields:
                form.add_error(field, errors)
            else:
                messages.error(request, describe(ValidationError(errors)))
    else:
        messages.error(request, describe(error))


def action_view(model_admin, action: EventAction, request, object_id: str):
    """The confirmation page of ``action`` on the event ``object_id``, and its confirmation.

    Events the user may not see are not found (404); an action the user's roles do not allow
    is forbidden (403); one the event's status no longer allows goes back to the event's page
    with a message."""
    event = model_admin.get_object(request, unquote(object_id))
    if event is None or not model_admin.has_view_permission(request, event):
        raise Http404(gettext("No such event."))
    change_url = reverse(
        "admin:events_event_change", args=[quote(event.pk)], current_app=model_admin.admin_site.name
    )
    if not permissions.can_publish_event(request.user, event):
        raise PermissionDenied
    if not action.applies_to(event):
        messages.error(
            request,
            gettext("This cannot be done to the event as it is now (%(status)s).")
            % {"status": event.get_status_display()},
        )
        return HttpResponseRedirect(change_url)

    form = action.form_class(request.POST if request.method == "POST" else None, event=event)
    if form.is_bound:
        data = form.cleaned_data if form.is_valid() else None
    else:
        # A page that asks nothing shows what will happen at once.
        data = {} if not form.fields else None
    previews, fingerprint = [], ""
    if data is not None:
        after, trigger = action.outcome(event, data)
        previews = push_previews(trigger, after)
        fingerprint = _fingerprint(data, previews)
        if request.method == "POST" and "confirm" in request.POST:
            if request.POST.get("fingerprint") != fingerprint:
                messages.warning(
                    request,
                    gettext(
                        "The notification changed since it was shown. Check it below, "
                        "then confirm again."
                    ),
                )
            else:
                try:
                    action.perform(request.user, event, data)
                except REFUSALS as error:
                    _show_refusal(request, form, error)
                    previews, fingerprint = [], ""
                else:
                    model_admin.message_user(request, action.done, messages.SUCCESS)
                    return HttpResponseRedirect(change_url)

    opts = model_admin.opts
    context = {
        **model_admin.admin_site.each_context(request),
        "title": action.title,
        "subtitle": str(event),
        "opts": opts,
        "app_label": opts.app_label,
        "object": event,
        "action": action,
        "explanation": action.explanation(event),
        "form": form,
        "media": model_admin.media + form.media,
        "previews": [_shown(preview) for preview in previews],
        "shows_push": bool(fingerprint),
        "fingerprint": fingerprint,
        "change_url": change_url,
    }
    return TemplateResponse(request, "admin/events/event/action_confirmation.html", context)


def _shown(preview: signals.PushPreview) -> dict:
    """A preview as the page lists it: each language by its own name, in its direction."""
    if preview.devices:
        reach = ngettext(
            "This notification will be sent to %(count)s device (a phone or tablet with the app).",
            "This notification will be sent to %(count)s devices (phones and tablets with "
            "the app).",
            preview.devices,
        ) % {"count": preview.devices}
    elif preview.already_sent:
        reach = gettext(
            "Nobody will be notified: this notification was already sent once for this "
            "event, and it is not sent twice."
        )
    else:
        reach = gettext(
            "Nobody will be notified: no device (phone or tablet with the app) would "
            "receive this notification."
        )
    language = (get_language() or "en").split("-")[0]
    return {
        "kind": preview.labels.get(language, preview.labels["en"]),
        "devices": preview.devices,
        "reach": reach,
        "by_topics": preview.by_topics,
        "texts": [
            {
                "code": language.code,
                "name": language.name,
                "dir": "rtl" if language.rtl else "ltr",
                "title": preview.texts[language.code][0],
                "body": preview.texts[language.code][1],
            }
            for language in LANGUAGES
        ],
    }
