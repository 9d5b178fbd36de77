"""The admin for city office staff: events and announcements, written through the services.

Staff (non-superusers) see only what their offices act for, with the translations of each text
side by side. Every save, delete and state change calls the same service function as the
GraphQL mutations, so the admin applies the same permission checks, validation and history.
A refusal from a service (ValidationError, PermissionDenied) is shown on the page, never a 500.
Times are typed and shown as the venue's clocks show them, each labelled with its zone
(``core.admin_times``, ``events.admin_forms``).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as confirm_deletion
from django.contrib.admin.utils import flatten_fieldsets, model_ngettext, quote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError, Q, QuerySet
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from cities.models import CityOffice, Twinning
from cities.permissions import EDITING_ROLES, PUBLISHING_ROLES, office_roles
from core.admin_times import ZonedTimesMixin
from core.i18n import LANGUAGES, translate, translated_columns
from core.labels import help_text_for
from core.wall_clock import wall_clock
from images.services import url_of

from . import admin_actions, history, permissions, services
from .admin_attendance import AttendanceAdminMixin
from .admin_forms import AnnouncementForm, EventForm, ServiceForm, describe
from .models import Announcement, Event, Tag

# What a service raises when it refuses; the admin turns each into a message on the page.
REFUSALS = (ValidationError, PermissionDenied, ProtectedError)
_REFUSAL_ATTR = "_admin_service_refusal"
_RTL_CODES = frozenset(language.code for language in LANGUAGES if language.rtl)


class ServiceRefused(Exception):
    """Raised from ``save_model``/``delete_model`` to leave the admin view's transaction, so
    nothing the attempt wrote is kept, and to carry the service's reason back to the view."""

    def __init__(self, error: Exception):
        super().__init__(describe(error))
        self.error = error


def offices_with(user, roles) -> list[int]:
    """The ids of the offices where ``user`` holds one of ``roles``."""
    return [office for office, held in office_roles(user).items() if held & roles]


def twinnings_of(office_ids) -> QuerySet:
    """The twinnings that involve the city of one of the offices: what their events and
    announcements may be about."""
    cities = CityOffice.objects.filter(pk__in=office_ids).values("city_id")
    return Twinning.objects.filter(Q(city_a__in=cities) | Q(city_b__in=cities)).select_related(
        "city_a", "city_b"
    )


def side_by_side(*fields: tuple[str, str]) -> tuple:
    """A fieldset per translated field, its language columns on one row."""
    return tuple((label, {"fields": (tuple(translated_columns(name)),)}) for label, name in fields)


def _adopt(obj, saved) -> None:
    """Copy what a service saved onto the instance the admin view holds, which it goes on to
    log and redirect to."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


def scheduled_for(at, zone: str, failure: str, refused) -> str:
    """What the lists show of a time a row publishes itself at: when, in ``zone`` with its
    name, or (``refused``, with ``%(time)s`` and ``%(reason)s``) why that did not happen."""
    if at is None:
        return "—"
    if failure:
        # Kept as the service said it, in English (``gettext_noop``): shown in the admin's.
        return refused % {"time": wall_clock(at, zone), "reason": refusal_shown(failure)}
    return _("Scheduled for %(time)s") % {"time": wall_clock(at, zone)}


def refusal_shown(failure: str) -> str:
    """Why the beat did not publish a row, in the admin's language."""
    return gettext(failure) if failure else "—"


class ServiceAdmin(ZonedTimesMixin, admin.ModelAdmin):
    """A ModelAdmin whose writes go through service functions.

    ``save_model`` and ``delete_model`` call the service. When it refuses, they raise
    ``ServiceRefused``, which leaves the view's transaction (so nothing is written, not even the
    admin log entry) and is caught around the view: the change form is built again from the
    same POST data with the reasons as form errors; a delete goes back to the change page with
    an error message. Subclasses name their services and the fields those accept, and the zone
    their rows' times are shown in (``time_zone_of``).
    """

    form = ServiceForm
    actions = ("delete_selected",)
    # Links typed without a scheme are taken as https (Django 6's default, asked for now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    # The roles a staff user needs in an office to work on this model there.
    office_roles_needed: frozenset = frozenset()

    # The services: (actor, office, data) → obj; (actor, obj, data) → obj; (actor, obj).
    create_service = None
    update_service = None
    delete_service = None
    # The fields those services accept.
    service_fields: frozenset = frozenset()

    def create(self, request, form):
        """Create the object from the valid form through the service; returns it."""
        data = {
            name: value for name, value in form.cleaned_data.items() if name in self.service_fields
        }
        return self.create_service(request.user, form.cleaned_data["office"], data)

    def update(self, request, obj, form):
        """Apply the form's changes to ``obj`` through the service; returns the saved object."""
        data = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in self.service_fields
        }
        return self.update_service(request.user, obj, data)

    def remove(self, request, obj):
        """Delete ``obj`` through the service."""
        self.delete_service(request.user, obj)

    # --- Whose rows ----------------------------------------------------------------------

    def staff_offices(self, request) -> list[int]:
        """The offices where the user holds a role this admin needs."""
        return offices_with(request.user, self.office_roles_needed)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and (
            request.user.is_superuser or bool(self.staff_offices(request))
        )

    def get_autocomplete_fields(self, request):
        # Staff choose among their few offices and twinnings in plain selects, limited below;
        # an autocomplete would offer what the remote admin lists, not what this form accepts.
        return self.autocomplete_fields if request.user.is_superuser else ()

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and help_text_for(db_field) is not None:
            formfield.help_text = help_text_for(db_field)
        translated = getattr(self.model._meta, "translated_fields", ())
        name, _, code = db_field.name.rpartition("_")
        if formfield is not None and name in translated:
            # Four columns share a row: narrower boxes than the admin's default width, and
            # each box in its language's script direction.
            attrs = formfield.widget.attrs
            attrs.update(lang=code, dir="rtl" if code in _RTL_CODES else "ltr", **{"class": ""})
            if isinstance(formfield.widget, forms.Textarea):
                attrs.update(rows=6, cols=32)
            else:
                attrs.update(size=32)
        return formfield

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        offices = self.staff_offices(request)
        if not request.user.is_superuser and len(offices) == 1:
            initial.setdefault("office", offices[0])
        return initial

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Staff choose among their own offices and those offices' cities' twinnings."""
        if not request.user.is_superuser:
            offices = self.staff_offices(request)
            if db_field.name == "office":
                kwargs["queryset"] = CityOffice.objects.filter(pk__in=offices)
            elif db_field.name == "twinning":
                kwargs["queryset"] = twinnings_of(offices)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- Saving through the services -----------------------------------------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        # modelform_factory makes a new class per call, so this does not leak across requests.
        form.refusal = getattr(request, _REFUSAL_ATTR, None)
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            # The attempt's transaction has rolled back; render the form again, with the reasons.
            setattr(request, _REFUSAL_ATTR, refused.error)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        try:
            saved = self.update(request, obj, form) if change else self.create(request, form)
        except REFUSALS as error:
            raise ServiceRefused(error) from error
        _adopt(obj, saved)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceRefused as refused:
            self.message_user(request, str(refused), messages.ERROR)
            opts = self.opts
            url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[quote(object_id)],
                current_app=self.admin_site.name,
            )
            return HttpResponseRedirect(url)

    def save_related(self, request, form, formsets, change):
        # The services wrote the many-to-many fields (an event's tags) with the rest, and
        # recorded them: the form does not write them again.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        try:
            self.remove(request, obj)
        except REFUSALS as error:
            raise ServiceRefused(error) from error

    def delete_queryset(self, request, queryset):
        def delete(obj):
            # Logged first, as the admin does, inside the same savepoint: a refusal drops both.
            self.log_deletions(request, [obj])
            self.remove(request, obj)

        self.run_for_each(request, queryset, delete, _("delete"), _("Deleted"))

    @admin.action(permissions=["delete"], description=_("Delete selected %(verbose_name_plural)s"))
    def delete_selected(self, request, queryset):
        """The admin's delete action with its confirmation page, but deleting one object at a
        time through the service and reporting each refusal (the built-in one would report
        every selected object as deleted)."""
        if request.POST.get("post"):
            self.delete_queryset(request, queryset)
            return None
        return confirm_deletion(self, request, queryset)

    def run_for_each(self, request, queryset, operation, verb: str, done: str) -> None:
        """Apply ``operation`` to each object on its own, so one refusal does not undo the
        others; report the successes in one message and each refusal in its own."""
        succeeded = 0
        for obj in queryset:
            try:
                with transaction.atomic():
                    operation(obj)
            except REFUSALS as error:
                self.message_user(
                    request,
                    _("Could not %(verb)s “%(object)s”: %(reason)s")
                    % {"verb": verb, "object": obj, "reason": describe(error)},
                    messages.ERROR,
                )
            else:
                succeeded += 1
        if succeeded:
            self.message_user(
                request,
                _("%(done)s %(count)s %(items)s.")
                % {"done": done, "count": succeeded, "items": model_ngettext(self.opts, succeeded)},
                messages.SUCCESS,
            )

    # --- History -------------------------------------------------------------------------

    @admin.display(description=_("History"))
    def state_history(self, obj):
        """Every recorded change, oldest first: when (in the zone of ``obj``'s times, named),
        who, what, and each field's value before and after (``events.history``)."""
        rows = list(obj.history.select_related("actor")) if obj.pk else []
        if not rows:
            return "—"
        zone = self.time_zone_of(obj)
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    wall_clock(row.at, zone),
                    row.actor or "—",
                    history.action_words(row),
                    format_html_join(
                        "",
                        "<div>{}</div>",
                        ((line,) for line in history.display_lines(row, type(obj), zone)),
                    )
                    or "—",
                )
                for row in rows
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("When"),
            _("Who"),
            _("What"),
            _("Changes"),
            body,
        )


@admin.register(Event)
class EventAdmin(AttendanceAdminMixin, ServiceAdmin):
    """Events of the offices the user edits for (as organiser or accepted co-host).

    Status changes only through the buttons of its page (``admin_actions``), each with a
    confirmation; a draft is deleted, a public event cancelled.
    Its times are typed and shown in the venue's zone (the event's ``timezone``).
    """

    form = EventForm
    office_roles_needed = EDITING_ROLES
    create_service = staticmethod(services.create_event)
    update_service = staticmethod(services.update_event)
    delete_service = staticmethod(services.delete_event)
    service_fields = services.EVENT_FIELDS
    # Fits a window 1400 px wide: the office names its city.
    list_display = ("title_en", "category", "status", "schedule", "starts_at", "office")
    list_filter = ("status", "category", "tags")
    list_select_related = ("host_city", "office")
    search_fields = ("search_document",)
    # No date hierarchy: its days would be the server's (UTC) days, not the venues'.
    autocomplete_fields = ("twinning", "office")
    readonly_fields = (
        "status",
        "announced_at",
        "attendee_count",
        "waitlist_count",
        "cancellation_reason",
        "why_not_announced",
        "state_history",
        "who_is_coming",
        "current_picture",
    )

    def create(self, request, form):
        """The new draft, then its picture, when one was chosen."""
        return self.save_picture(request, super().create(request, form), form)

    def update(self, request, obj, form):
        """The edit, then the time it announces itself at, when that changed, and the picture,
        when a new one was chosen or it was removed."""
        saved = super().update(request, obj, form)
        if "announce_at" in form.changed_data:
            at = form.cleaned_data["announce_at"]
            if at is None:
                saved = services.unschedule_event_announcement(request.user, saved)
            else:
                saved = services.schedule_event_announcement(request.user, saved, at)
        return self.save_picture(request, saved, form)

    def save_picture(self, request, event, form):
        """The picture chosen (already checked and resized by the form), or its removal,
        through ``services.set_event_image``; the old picture goes once this commits."""
        picture = form.cleaned_data.get("picture")
        if picture is not None:
            return services.set_event_image(request.user, event, picture)
        if form.cleaned_data.get("remove_picture") and event.image_id is not None:
            return services.set_event_image(request.user, event, None)
        return event

    @admin.display(description=_("Picture now"))
    def current_picture(self, obj):
        """The uploaded picture as the app's cards show it, linking to its largest size."""
        if obj is None or obj.image_id is None:
            return _("No picture uploaded.")
        variants = obj.image.variants
        card, full = variants["CARD"], variants["FULL"]
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="" '
            'style="max-width: 320px; max-height: 240px; height: auto"></a>'
            "<div>{}</div>",
            url_of(full["name"]),
            url_of(card["name"]),
            _("%(width)s × %(height)s pixels at its largest")
            % {"width": full["width"], "height": full["height"]},
        )

    @admin.display(description=_("Announced automatically"))
    def schedule(self, obj):
        return scheduled_for(
            obj.announce_at if obj.status == Event.Status.DRAFT else None,
            obj.timezone,
            obj.schedule_failure,
            _("Not announced at %(time)s: %(reason)s"),
        )

    @admin.display(description=_("why it was not announced"))
    def why_not_announced(self, obj):
        return refusal_shown(obj.schedule_failure)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        offices = self.staff_offices(request)
        return queryset.acted_for_by(offices)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (
            obj is None or permissions.can_see_drafts_of(request.user, obj)
        )

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None:
            return True
        # The rule update_event applies: editors edit drafts, publishers public events (a
        # cancelled one's page is read-only, see get_readonly_fields; a save sent from a page
        # opened before it was called off reaches the service, which says why it refuses).
        if obj.status == Event.Status.DRAFT:
            return permissions.can_edit_event(request.user, obj)
        return permissions.can_publish_event(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        # Only drafts are deleted (``services.delete_event``); a public event is cancelled.
        return super().has_delete_permission(request, obj) and (
            obj is None
            or (obj.status == Event.Status.DRAFT and permissions.can_edit_event(request.user, obj))
        )

    def get_fieldsets(self, request, obj=None):
        texts = side_by_side(
            (_("Title"), "title"),
            (_("Short summary"), "summary"),
            (_("Description"), "description"),
            (_("Accessibility"), "accessibility"),
        )
        if obj is None:
            picture = ("picture",)
        elif self.editable(request, obj):
            picture = ("current_picture", "picture", "remove_picture")
        else:
            picture = ("current_picture",)
        details = (
            (None, {"fields": ("category", "tags", "capacity")}),
            (_("Picture"), {"fields": (*picture, "image_url")}),
            (
                _("Tickets"),
                {"fields": ("registration_url", ("price_amount", "price_currency"), "is_free")},
            ),
            # The zone first: the start and end are read in it.
            (_("When"), {"fields": ("timezone", "starts_at", "ends_at")}),
            (_("Where"), {"fields": ("venue_name", "venue_address", "latitude", "longitude")}),
        )
        if obj is None:
            # The host city follows from the office; status and history start with the draft.
            return (*texts, *details, (_("Who"), {"fields": ("office", "twinning")}))
        status = (
            "status",
            "announced_at",
            "cancellation_reason",
            "attendee_count",
            "waitlist_count",
        )
        status += ("who_is_coming",)
        if obj.status == Event.Status.DRAFT:
            status = (*status, "announce_at", "why_not_announced")
        return self.zoned_fieldsets(
            (
                (_("Status"), {"fields": status}),
                *texts,
                *details,
                (_("Who"), {"fields": ("office", "host_city", "twinning")}),
                (_("History"), {"fields": ("state_history",)}),
            ),
            request,
            obj,
        )

    def time_zone_of(self, obj) -> str:
        return obj.timezone

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "tags":
            # A short vocabulary: boxes to tick, each tag named in the admin's language.
            kwargs["widget"] = forms.CheckboxSelectMultiple
            formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
            formfield.label_from_instance = lambda tag: translate(tag, "name")
            return formfield
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        # A new event's venue is most often in the office's own city: its zone is offered,
        # and only offered (the venue's zone is whatever the form says).
        initial = super().get_changeform_initial_data(request)
        offices = sorted(self.staff_offices(request))
        if offices and "timezone" not in initial:
            chosen = next((pk for pk in offices if str(pk) == str(initial.get("office"))), None)
            office = CityOffice.objects.select_related("city").get(pk=chosen or offices[0])
            initial["timezone"] = office.city.timezone
        return initial

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is None:
            return readonly
        if not self.editable(request, obj):
            # Nothing of a cancelled event changes any more: every field is shown to read.
            shown = flatten_fieldsets(self.get_fieldsets(request, obj))
            return (*readonly, *(name for name in shown if name not in readonly))
        # The services never move an event to another office or city.
        return (*readonly, "office", "host_city")

    # --- The event page's actions and deletion (``admin_actions``) ------------------------

    def get_urls(self):
        def wrap(action):
            def view(request, object_id):
                return admin_actions.action_view(self, action, request, object_id)

            return self.admin_site.admin_view(view)

        info = self.opts.app_label, self.opts.model_name
        own = [
            path(
                f"<path:object_id>/{action.name}/",
                wrap(action),
                name=f"{info[0]}_{info[1]}_{action.name}",
            )
            for action in admin_actions.ACTIONS
        ]
        return own + super().get_urls()

    def editable(self, request, obj=None) -> bool:
        # A cancelled event is kept as it was called off.
        cancelled = obj is not None and obj.status == Event.Status.CANCELLED
        return not cancelled and super().editable(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and not self.editable(request, obj):
            # A cancelled event is read, not saved: no save buttons.
            context.update(
                show_save=False, show_save_and_continue=False, show_save_and_add_another=False
            )
        if obj is not None and obj.pk:
            context["event_actions"] = [
                {
                    "name": action.name,
                    "button": action.button,
                    "url": reverse(
                        f"admin:events_event_{action.name}",
                        args=[quote(obj.pk)],
                        current_app=self.admin_site.name,
                    ),
                }
                for action in admin_actions.available(request.user, obj)
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.action(permissions=["delete"], description=_("Delete selected drafts"))
    def delete_selected(self, request, queryset):
        """Delete the selected drafts; public events are left as they are, with a message
        saying so (they are cancelled, with a reason, from their own page)."""
        kept = list(queryset.exclude(status=Event.Status.DRAFT).values_list("title_en", flat=True))
        if kept:
            self.message_user(
                request,
                ngettext(
                    "%(titles)s is not a draft and is not deleted: only drafts can be "
                    "deleted. Cancel a public event from its page instead.",
                    "%(titles)s are not drafts and are not deleted: only drafts can be "
                    "deleted. Cancel a public event from its page instead.",
                    len(kept),
                )
                % {"titles": ", ".join(f"“{title}”" for title in kept)},
                messages.WARNING,
            )
        drafts = queryset.filter(status=Event.Status.DRAFT)
        if not drafts.exists():
            return None
        return super().delete_selected(request, drafts)


@admin.register(Announcement)
class AnnouncementAdmin(ServiceAdmin):
    """Announcements of the offices the user publishes for; posted, edited and deleted through
    the services, which set the city from the office and the publication time."""

    form = AnnouncementForm
    office_roles_needed = PUBLISHING_ROLES
    create_service = staticmethod(services.create_announcement)
    update_service = staticmethod(services.update_announcement)
    delete_service = staticmethod(services.delete_announcement)
    service_fields = services.ANNOUNCEMENT_FIELDS | {"publish_at"}
    list_display = ("title_en", "office", "city", "published_at", "schedule")
    list_select_related = ("office", "city")
    search_fields = ("title_en",)
    autocomplete_fields = ("office", "twinning", "event")
    readonly_fields = ("published_at", "why_not_published", "state_history")

    @admin.display(description=_("Published automatically"))
    def schedule(self, obj):
        return scheduled_for(
            obj.publish_at if obj.published_at is None else None,
            obj.city.timezone,
            obj.schedule_failure,
            _("Not published at %(time)s: %(reason)s"),
        )

    @admin.display(description=_("why it was not published"))
    def why_not_published(self, obj):
        return refusal_shown(obj.schedule_failure)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(office__in=self.staff_offices(request))

    def _may_post(self, request, obj) -> bool:
        return obj is None or permissions.can_post_for(request.user, obj.office_id)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._may_post(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_post(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_post(request, obj)

    def get_fieldsets(self, request, obj=None):
        texts = side_by_side((_("Title"), "title"), (_("Text"), "body"))
        if obj is None:
            return (*texts, (_("About"), {"fields": ("office", "twinning", "event", "publish_at")}))
        about = ("office", "city", "twinning", "event", "published_at")
        if obj.published_at is None:
            about = (*about, "publish_at", "why_not_published")
        return self.zoned_fieldsets(
            (
                *texts,
                (_("About"), {"fields": about}),
                (_("History"), {"fields": ("state_history",)}),
            ),
            request,
            obj,
        )

    def time_zone_of(self, obj) -> str:
        # News has no venue: its times are the office city's.
        return obj.city.timezone

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return readonly if obj is None else (*readonly, "office", "city")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "event" and not request.user.is_superuser:
            kwargs["queryset"] = Event.objects.acted_for_by(self.staff_offices(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Tag)
class TagAdmin(ZonedTimesMixin, admin.ModelAdmin):
    """The deployment's vocabulary of tags, the operators' (superusers') to keep: offices tick
    among them on their events' pages and apps filter events by them. Renaming a tag renames
    it on every event; deleting one takes it off every event."""

    list_display = ("slug", "name_en", "name_ru", "name_kk", "name_ur")
    search_fields = ("slug", "name_en", "name_ru", "name_kk", "name_ur")
    prepopulated_fields = {"slug": ("name_en",)}
    fieldsets = (*side_by_side((_("Name"), "name")), (None, {"fields": ("slug",)}))

    def _operator(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self._operator(request)

    def has_view_permission(self, request, obj=None):
        return self._operator(request)

    def has_add_permission(self, request):
        return self._operator(request)

    def has_change_permission(self, request, obj=None):
        return self._operator(request)

    def has_delete_permission(self, request, obj=None):
        return self._operator(request)
