"""The admin's forms: the base that shows a service's refusal on the form, and the event form,
whose start and end are typed as the venue's clocks show them.

An event's times belong to its venue: an office in Aktau plans an evening in Moscow at 19:00
Moscow time. The admin's own datetime fields read typed times in the active time zone and show
stored ones in it, whichever zone the venue is in; the event form reads them in the zone given
in the same submission (so changing the venue's zone and its times at once means what it says)
and shows them in the event's zone, naming it beside the boxes.
"""

import datetime
import zoneinfo
from functools import cached_property

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cities.models import CityOffice
from core.validators import available_time_zones, canonical_time_zone, validate_time_zone
from core.wall_clock import instant_of, zone_or_utc
from images.pipeline import ACCEPTED_FORMATS, process
from images.variants import Purpose

from .models import Event

# The event's fields typed as the venue's clocks show them.
VENUE_TIME_FIELDS = ("starts_at", "ends_at", "announce_at")


def describe(error: Exception) -> str:
    """The reason a service gave, as one line for a message, in the admin's language."""
    if isinstance(error, ValidationError):
        return " ".join(in_admin_language(error).messages)
    if isinstance(error, ProtectedError):
        return str(error.args[0])
    return gettext(str(error)) if str(error) else str(_("You may not do this."))


def in_admin_language(error: ValidationError) -> ValidationError:
    """``error`` with its messages in the admin's language.

    The services and models write their reasons in English, marked with ``gettext_noop``: the
    API translates them as it gives them (``graphql_server.errors.translated``), and the admin
    here, as it shows them. Django's
    own messages are translated already (lazily) and pass unchanged."""
    if hasattr(error, "error_dict"):
        return ValidationError(
            {
                field: [_translated(item) for item in items]
                for field, items in error.error_dict.items()
            }
        )
    return ValidationError([_translated(item) for item in error.error_list])


def _translated(error: ValidationError) -> ValidationError:
    message = error.message
    if isinstance(message, str):
        message = gettext(message)
    return ValidationError(message, code=error.code, params=error.params)


class ServiceForm(forms.ModelForm):
    """The admin's model form; after a service refused its data, the reasons become its errors
    so that the admin shows the form again with them."""

    refusal: Exception | None = None

    def clean(self):
        cleaned_data = super().clean()
        error = self.refusal
        if isinstance(error, ValidationError):
            error = in_admin_language(error)
        if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                # A reason about a field not on the form (read-only ones) goes on top.
                self.add_error(field if field in self.fields else None, errors)
        elif error is not None:
            self.add_error(None, describe(error))
        return cleaned_data

    def _update_errors(self, errors):
        # The model's own checks (``clean``), run by the form, in the admin's language too.
        super()._update_errors(in_admin_language(errors))


class WallClockTimeInput(forms.TimeInput):
    """The browser's own time box; seconds appear (and may be typed) only where the stored
    time has them, so that saving a form does not drop them unseen."""

    input_type = "time"

    def format_value(self, value):
        if isinstance(value, datetime.time):
            return value.strftime("%H:%M:%S" if value.second else "%H:%M")
        return super().format_value(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if (context["widget"]["value"] or "").count(":") == 2:
            context["widget"]["attrs"]["step"] = "1"
        return context


class VenueTimeWidget(forms.MultiWidget):
    """A date and a time box showing an instant as the clocks of ``zone`` show it, with the
    zone's name beside them.

    The browser's own date and time boxes: the admin's calendar and clock shortcuts work in the
    server's zone and warn that the user's clock differs from it, neither of which means
    anything for a venue elsewhere. What was typed is shown again as typed.
    """

    template_name = "admin/events/widgets/venue_time.html"
    # The zone of the times shown; set by the form.
    zone = ""

    class Media:
        js = ("events/admin/venue_times.js",)

    def __init__(self, attrs=None):
        widgets = (
            forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            WallClockTimeInput(),
        )
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if value is None:
            return [None, None]
        if timezone.is_aware(value):
            value = timezone.make_naive(value, zoneinfo.ZoneInfo(zone_or_utc(self.zone)))
        return [value.date(), value.time()]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["zone"] = self.zone
        return context


class VenueTimeField(forms.SplitDateTimeField):
    """A date and a time as the venue's clocks show them; cleans to a naive datetime, which
    the form places in the venue's zone (the zone may be typed in the same form)."""

    widget = VenueTimeWidget

    def compress(self, data_list):
        if not data_list:
            return None
        if data_list[0] in self.empty_values:
            raise ValidationError(self.error_messages["invalid_date"], code="invalid_date")
        if data_list[1] in self.empty_values:
            raise ValidationError(self.error_messages["invalid_time"], code="invalid_time")
        return datetime.datetime.combine(*data_list)


class TimeZoneInput(forms.TextInput):
    """A text box offering the known IANA zone names as the user types."""

    template_name = "admin/events/widgets/time_zone.html"

    def __init__(self, attrs=None):
        super().__init__({"list": "venue-time-zones", "size": 32, **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["zones"] = sorted(available_time_zones())
        return context


class PictureInput(forms.FileInput):
    """The browser's file chooser, offering the kinds of picture taken (what is sent is
    judged by its content all the same)."""

    def __init__(self, attrs=None):
        accept = ",".join(f"image/{kind.lower()}" for kind in ACCEPTED_FORMATS)
        super().__init__({"accept": accept, **(attrs or {})})


class EventForm(ServiceForm):
    """The event's form: start and end typed and shown in the venue's zone, and its picture
    uploaded (checked, stripped and resized as it is cleaned: ``images.pipeline``)."""

    picture = forms.FileField(
        label=_("Picture"),
        required=False,
        widget=PictureInput,
    )
    remove_picture = forms.BooleanField(
        label=_("Remove the picture"),
        required=False,
        help_text=_("Tick to show the event without its uploaded picture."),
    )

    timezone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        widget=TimeZoneInput,
        help_text=_(
            "The venue's time zone, e.g. Europe/Moscow. The start and end are typed "
            "and shown as the venue's clocks show them, in this zone."
        ),
    )
    starts_at = VenueTimeField(label=_("Starts"))
    ends_at = VenueTimeField(label=_("Ends"))
    # On a draft's page only (see EventAdmin.get_fieldsets); saved by the scheduling services.
    announce_at = VenueTimeField(
        label=_("Announce automatically at"),
        required=False,
        help_text=_(
            "Leave empty to announce the event yourself. With a date and time, the event stays "
            "a draft that only your office sees until then; at that time it is announced and "
            "its followers are notified. You can change or clear this time until then."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "picture" in self.fields:
            self.fields["picture"].help_text = _(
                "A photo or poster for the app: JPEG, PNG, WebP or GIF, at most %(megabytes)s "
                "MB. It is resized for phones, and what the camera wrote into it (the place, "
                "the time, the camera) is removed. Choosing a new one replaces the old one."
            ) % {"megabytes": f"{settings.IMAGE_MAX_BYTES / 1_000_000:g}"}
        if not (self.instance.pk and self.instance.status == Event.Status.DRAFT):
            # Only a saved draft is announced later.
            self.fields.pop("announce_at", None)
        # Stored times are shown in the event's zone (a new event's: the default offered);
        # what was typed is shown again as typed, next to the zone it was typed in.
        zone = self._submitted_zone() or self.initial.get("timezone") or ""
        for name in VENUE_TIME_FIELDS:
            if name in self.fields:
                self.fields[name].widget.zone = zone

    def _submitted_zone(self) -> str | None:
        """The venue's zone given in the submitted data, if it is a known one."""
        if not self.is_bound or "timezone" not in self.fields:
            return None
        name = canonical_time_zone(self.data.get(self.add_prefix("timezone")) or "")
        return name if name in available_time_zones() else None

    def clean_picture(self):
        """The uploaded picture made into its variants (an ``images.pipeline.ProcessedImage``),
        or None when none was chosen; a picture that is refused is the field's error."""
        upload = self.cleaned_data.get("picture")
        if not upload:
            return None
        try:
            return process(upload, Purpose.EVENT)
        except ValidationError as error:
            raise in_admin_language(error) from None

    def clean_timezone(self) -> str:
        # Typed as people type it (any case, spaces for underscores); kept as the IANA name.
        name = canonical_time_zone(self.cleaned_data["timezone"])
        try:
            validate_time_zone(name)
        except ValidationError as error:
            raise in_admin_language(error) from None
        return name

    def clean_price_currency(self) -> str:
        # Typed in any case: kept as the code (kzt → KZT), as the API keeps it.
        return (self.cleaned_data.get("price_currency") or "").strip().upper()

    def _settle_price(self, cleaned_data) -> None:
        """As the services do (``services.settle_price``): ticking "free" clears the price,
        typing a price unticks "free"; both at once is left for the model to refuse."""
        if "is_free" not in self.fields or "price_amount" not in self.fields:
            return
        priced = self["price_amount"]._has_changed() or self["price_currency"]._has_changed()
        freed = self["is_free"]._has_changed()
        if cleaned_data.get("is_free") and freed and not priced:
            cleaned_data["price_amount"], cleaned_data["price_currency"] = None, ""
        elif cleaned_data.get("price_amount") is not None and priced and not freed:
            cleaned_data["is_free"] = False

    def clean(self):
        cleaned_data = super().clean()
        self._settle_price(cleaned_data)
        if "timezone" in self.fields:
            zone = cleaned_data.get("timezone")
        else:
            zone = self.instance.timezone or None
        for name in VENUE_TIME_FIELDS:
            wall = cleaned_data.get(name)
            if wall is None:
                continue
            try:
                if zone is None:
                    # Not a time until the zone is known; the zone's own error says why.
                    raise ValidationError(
                        _("Give the venue's time zone: this time is read in it."),
                        code="no_zone",
                    )
                cleaned_data[name] = instant_of(wall, zone)
            except ValidationError as error:
                self.add_error(name, error)
        for name in VENUE_TIME_FIELDS:
            if name in self.errors:
                # Unknown rather than the stored time: the model's own checks (an end after
                # the start) would otherwise compare the other, new time with a stale one.
                setattr(self.instance, name, None)
        return cleaned_data

    @cached_property
    def changed_data(self):
        # A time changed when the instant did: the same wall-clock time in another zone is
        # another instant, and a stored time with more precision than the boxes show (the
        # API takes microseconds) is unchanged when it was left as shown.
        changed = set(super().changed_data)
        cleaned_data = getattr(self, "cleaned_data", None)
        if cleaned_data is not None:
            for name in VENUE_TIME_FIELDS:
                if name not in self.fields:
                    continue
                changed.discard(name)
                value, stored = cleaned_data.get(name), self.initial.get(name)
                if stored is not None:
                    stored = stored.replace(microsecond=0)
                if name not in self.errors and value != stored:
                    changed.add(name)
        return [name for name in self.fields if name in changed]


class AnnouncementForm(ServiceForm):
    """The announcement's form, with the time it is published at typed as the clocks of the
    office's city show them."""

    publish_at = VenueTimeField(
        label=_("Publish at"),
        required=False,
        help_text=_(
            "Leave empty to publish the announcement as soon as you save it. With a later date "
            "and time, nobody but your office sees it and nobody is notified until then. You "
            "can edit it, change the time or delete it until then."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.published_at is not None:
            # Published already: there is no time left to choose.
            self.fields.pop("publish_at", None)
        if "publish_at" in self.fields:
            self.fields["publish_at"].widget.zone = self._city_zone(self._office_given()) or ""

    def _office_given(self):
        """The office the announcement is (or will be) posted for, as far as it is known."""
        if self.instance.office_id:
            return self.instance.office_id
        if self.is_bound and "office" in self.fields:
            return self.data.get(self.add_prefix("office")) or None
        return self.initial.get("office")

    @staticmethod
    def _city_zone(office) -> str | None:
        """The zone of the office's city: an announcement's times are its city's."""
        office_id = getattr(office, "pk", office)
        try:
            found = CityOffice.objects.select_related("city").filter(pk=office_id).first()
        except (TypeError, ValueError):
            return None
        return found.city.timezone if found is not None else None

    def clean(self):
        cleaned_data = super().clean()
        wall = cleaned_data.get("publish_at")
        if wall is not None:
            office = cleaned_data.get("office") or self._office_given()
            zone = self._city_zone(office)
            try:
                if zone is None:
                    raise ValidationError(
                        _("Choose the office: this time is read in its city's time zone."),
                        code="no_zone",
                    )
                cleaned_data["publish_at"] = instant_of(wall, zone)
            except ValidationError as error:
                self.add_error("publish_at", error)
        return cleaned_data

    @cached_property
    def changed_data(self):
        # As the event form's times: changed when the instant did, to the minute shown.
        changed = set(super().changed_data)
        cleaned_data = getattr(self, "cleaned_data", None)
        if cleaned_data is not None and "publish_at" in self.fields:
            changed.discard("publish_at")
            value, stored = cleaned_data.get("publish_at"), self.initial.get("publish_at")
            if stored is not None:
                stored = stored.replace(microsecond=0)
            if "publish_at" not in self.errors and value != stored:
                changed.add("publish_at")
        return [name for name in self.fields if name in changed]
