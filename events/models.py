"""Events that cities and their twinnings hold, and the announcements their offices post."""

import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from cities.geo import bounding_box, distance_km
from cities.models import City, CityFollow, CityOffice, Twinning, TwinningFollow, search_document
from cities.permissions import office_roles
from core.error_codes import CommonErrorCode
from core.i18n import LANGUAGE_CODES, TranslatedField, column
from core.search import matching
from core.validators import (
    INSTANTS,
    in_window,
    latitude_validators,
    longitude_validators,
    validate_currency_code,
    validate_https_url,
    validate_instant,
    validate_time_zone,
    validate_visible,
)

from .error_codes import EventErrorCode


class EventQuerySet(models.QuerySet):
    def public(self):
        """What anyone may read: everything but drafts (cancelled and postponed events stay
        visible, so that people who planned to go learn about it)."""
        return self.exclude(status=Event.Status.DRAFT)

    def visible_to(self, user):
        """What ``user`` may read: public events, plus the drafts of the offices they work
        for (as organiser, or as a co-host invited or accepted). Superusers read everything."""
        if user is not None and user.is_authenticated and user.is_superuser:
            return self.all()
        offices = list(office_roles(user))
        if not offices:
            return self.public()
        cohosted = EventCohost.objects.filter(event=OuterRef("pk"), office__in=offices)
        return self.filter(
            ~Q(status=Event.Status.DRAFT) | Q(office__in=offices) | Q(Exists(cohosted))
        )

    def acted_for_by(self, offices):
        """Events that any of ``offices`` (ids) organises or co-hosts, having accepted."""
        cohosted = EventCohost.objects.filter(
            event=OuterRef("pk"), office__in=offices, status=EventCohost.Status.ACCEPTED
        )
        return self.filter(Q(office__in=offices) | Q(Exists(cohosted)))

    def followed_by(self, user):
        """The events of what ``user`` follows and answered, each once: those of a followed
        city as its feed shows them (hosted there, or of one of its twinnings wherever held:
        what its followers are pushed about), those of a followed twinning, and those the user
        answered: going to, interested in, or waiting for a place at (every RSVP row is an
        answer; withdrawing deletes it).

        What the user follows and answered is read first, three small indexed queries, and
        given to the events as lists of ids (one condition on their own rows, no join, so an
        event matching twice is still one row): PostgreSQL then plans with the real numbers, a
        bitmap OR of the host city's, the twinning's and the primary key's indexes, where
        subqueries would make it walk the whole feed's order (see ``schema.events.resolvers.
        of_city``)."""
        cities = list(CityFollow.objects.filter(user=user).values_list("city_id", flat=True))
        followed = TwinningFollow.objects.filter(user=user).values("twinning_id")
        twinnings = list(
            Twinning.objects.filter(
                Q(pk__in=followed) | Q(city_a__in=cities) | Q(city_b__in=cities)
            ).values_list("pk", flat=True)
        )
        answered = list(Rsvp.objects.filter(user=user).values_list("event_id", flat=True))
        return self.filter(Q(host_city__in=cities) | Q(twinning__in=twinnings) | Q(pk__in=answered))

    def search(self, text: str):
        """Events whose title in any language (or venue) contains ``text``, ignoring case
        and accents."""
        return matching(self, text)

    def near(self, latitude: float, longitude: float, radius_km: float):
        """Events within ``radius_km`` of a point by great-circle distance, annotated with
        ``distance_km`` for ordering and display."""
        return (
            self.filter(bounding_box(latitude, longitude, radius_km))
            .annotate(distance_km=distance_km(latitude, longitude))
            .filter(distance_km__lte=radius_km)
        )


# The most a price may be (exclusive): the column's ten digits before the point.
MAX_PRICE = Decimal(10) ** 10
CENT = Decimal("0.01")


def validate_price_amount(value) -> None:
    """A price: a positive amount below ten billion with at most two decimals (a price of
    nothing is an event marked free)."""
    if value is None:
        return
    valid = isinstance(value, Decimal) and value.is_finite() and Decimal(0) < value < MAX_PRICE
    if valid and value.as_tuple().exponent < -2:
        # 12.500 is 12.50; 12.505 is not a price.
        valid = value == value.quantize(CENT)
    if not valid:
        raise ValidationError(
            gettext_noop(
                "Give the price as an amount above 0 and below 10,000,000,000 with at most two "
                "decimals (12.50); mark a free event free instead of 0."
            ),
            code=EventErrorCode.INVALID_PRICE,
        )


class Tag(models.Model):
    """A word of the deployment's vocabulary that events carry ("music", "for children",
    "outdoors"), kept by the operators in the admin; offices choose among them for their
    events and the app filters the events by them (``events(filter: {tags: …})``).

    The slug names it in the API (filters, mutations) and stays when the names are reworded;
    the name is shown in the reader's language, English when untranslated."""

    slug = models.SlugField(max_length=50, unique=True)
    name = TranslatedField(models.CharField, max_length=60)

    class Meta:
        ordering = ["slug", "id"]

    def __str__(self):
        return self.name_en or self.slug


class Event(models.Model):
    """Something a city holds: a concert, a match, a fair, a delegation's visit.

    Times are stored in UTC; ``timezone`` is the venue's zone, used to show local times.
    """

    class Category(models.TextChoices):
        CULTURAL = "CULTURAL", _("Cultural")
        SPORTS = "SPORTS", _("Sports")
        TOURISM = "TOURISM", _("Tourism")
        EDUCATION = "EDUCATION", _("Education")
        BUSINESS = "BUSINESS", _("Business")
        COMMUNITY = "COMMUNITY", _("Community")

    class Status(models.TextChoices):
        DRAFT = "DRAFT", _("Draft")
        ANNOUNCED = "ANNOUNCED", _("Announced")
        POSTPONED = "POSTPONED", _("Postponed")
        CANCELLED = "CANCELLED", _("Cancelled")

    title = TranslatedField(models.CharField, max_length=200)
    summary = TranslatedField(models.CharField, max_length=500, blank=True)
    description = TranslatedField(models.TextField, blank=True)
    category = models.CharField(max_length=20, choices=Category.choices, db_index=True)
    starts_at = models.DateTimeField(validators=[validate_instant])
    ends_at = models.DateTimeField(validators=[validate_instant])
    timezone = models.CharField(max_length=64, validators=[validate_time_zone])
    venue_name = models.CharField(max_length=200, validators=[validate_visible])
    venue_address = models.CharField(max_length=300, blank=True, validators=[validate_visible])
    latitude = models.FloatField(null=True, blank=True, validators=latitude_validators)
    longitude = models.FloatField(null=True, blank=True, validators=longitude_validators)
    host_city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="events")
    twinning = models.ForeignKey(
        Twinning, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    office = models.ForeignKey(CityOffice, on_delete=models.PROTECT, related_name="events")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    announced_at = models.DateTimeField(null=True, blank=True)
    capacity = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text=_("Empty for no limit.")
    )
    # People GOING: kept by the RSVP service under a row lock, so reads need no COUNT and
    # capacity checks cannot race.
    attendee_count = models.PositiveIntegerField(default=0, editable=False)
    cancellation_reason = models.CharField(
        max_length=500, blank=True, validators=[validate_visible]
    )
    # A link to a picture elsewhere, typed before pictures were uploaded; an uploaded ``image``
    # wins over it wherever the event is shown (the API's ``imageUrl`` gives that one's card).
    image_url = models.URLField(max_length=500, blank=True)
    # The picture its office uploaded (in the admin), in every size phones show
    # (``images.variants``); set and replaced only through ``services.set_event_image``.
    image = models.ForeignKey(
        "images.Image",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    # Where people register or buy tickets: https only, as every link the app opens. Text
    # with that one validator, rather than a URLField, so that a wrong link gets one error
    # (INVALID_URL), not that and the URLField's own.
    registration_url = models.CharField(max_length=500, blank=True, validators=[validate_https_url])
    # The price: an amount with its ISO 4217 currency, or free, or (neither) not stated. At
    # most two decimals: the currencies of the cities served (KZT, RUB, PKR, USD, EUR …) have
    # two, and a ticket is not priced in thousandths.
    price_amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[validate_price_amount],
    )
    price_currency = models.CharField(max_length=3, blank=True, validators=[validate_currency_code])
    is_free = models.BooleanField(default=False)
    # Step-free access, hearing loops, seating, quiet rooms: in each language, as the texts.
    accessibility = TranslatedField(models.TextField, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="events")
    # People waiting for a place (RSVPs WAITLISTED): kept with ``attendee_count`` under the
    # same lock.
    waitlist_count = models.PositiveIntegerField(default=0, editable=False)
    search_document = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # A draft announces itself at this time (see the scheduling services); empty once announced.
    announce_at = models.DateTimeField(
        _("announce automatically at"),
        null=True,
        blank=True,
        db_index=True,
        validators=[validate_instant],
    )
    # Who set that time: the event is announced in their name, with their rights at that time.
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scheduled by"),
    )
    # Why the time came and the event was not announced; cleared when it is scheduled again.
    schedule_failure = models.CharField(_("why it was not announced"), max_length=500, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["status", "starts_at"]),
            models.Index(fields=["latitude"]),
            # The feed's order: the public events list walks this index and stops after a page,
            # instead of sorting every public event for each page (`status` is filtered with
            # "not a draft", which the index above cannot serve in order).
            models.Index(fields=["starts_at", "id"], name="event_feed_order"),
            # When the next event ends: how long a kept list of those not over yet lasts
            # (schema.events.clocks.next_event_end), one index probe.
            models.Index(fields=["ends_at"], name="event_ends_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="event_ends_after_start"
            ),
            # Nothing outside the window is ever stored, whoever writes: what is stored can
            # always be read back and shown in any zone (see core.validators.INSTANTS).
            models.CheckConstraint(
                condition=in_window("starts_at") & in_window("ends_at"),
                name="event_times_in_window",
                violation_error_code=CommonErrorCode.DATE_OUT_OF_RANGE.value,
                violation_error_message=f"Give times {INSTANTS.in_words()}.",
            ),
            models.CheckConstraint(
                condition=Q(announce_at__isnull=True) | in_window("announce_at"),
                name="event_announce_at_in_window",
                violation_error_code=CommonErrorCode.DATE_OUT_OF_RANGE.value,
                violation_error_message=f"Give a time {INSTANTS.in_words()}.",
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gt=0),
                name="event_capacity_positive",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="event_coordinates_together",
            ),
            # A price is an amount with its currency, never one without the other, never
            # zero (that is "free"), and never beside "free".
            models.CheckConstraint(
                condition=Q(price_amount__isnull=True, price_currency="")
                | (Q(price_amount__gt=0, is_free=False) & ~Q(price_currency="")),
                name="event_price_with_currency",
            ),
        ]

    def __str__(self):
        return self.title_en

    def save(self, *args, **kwargs):
        self.search_document = search_document(
            *(getattr(self, column("title", c)) for c in LANGUAGE_CODES), self.venue_name
        )
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_document"}
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        if _comparable(self.starts_at, self.ends_at) and self.ends_at <= self.starts_at:
            errors["ends_at"] = ValidationError(
                gettext_noop("An event must end after it starts."), EventErrorCode.END_BEFORE_START
            )
        if (
            self.twinning_id
            and self.host_city_id
            and self.host_city_id
            not in (
                self.twinning.city_a_id,
                self.twinning.city_b_id,
            )
        ):
            errors["twinning"] = ValidationError(
                gettext_noop("The host city must be one of the twinning's cities."),
                EventErrorCode.TWINNING_MISMATCH,
            )
        if (self.latitude is None) != (self.longitude is None):
            errors["latitude"] = ValidationError(
                gettext_noop("Give both latitude and longitude, or neither."),
                CommonErrorCode.INVALID_COORDINATES,
            )
        if self.office_id and self.host_city_id and self.office.city_id != self.host_city_id:
            errors["office"] = ValidationError(
                gettext_noop("The organising office must belong to the host city."),
                EventErrorCode.OFFICE_MISMATCH,
            )
        errors.update(self._price_errors())
        if errors:
            raise ValidationError(errors)

    def _price_errors(self) -> dict:
        """What is wrong with the price as a whole (each part's own validators say the rest):
        an amount needs its currency and a currency its amount, and a free event has none."""
        amount, currency = self.price_amount, self.price_currency
        if self.is_free and (amount is not None or currency):
            return {
                "is_free": ValidationError(
                    gettext_noop("A free event has no price: clear the price or untick free."),
                    EventErrorCode.FREE_WITH_PRICE,
                )
            }
        if amount is not None and not currency:
            return {
                "price_currency": ValidationError(
                    gettext_noop("Give the price's currency (an ISO 4217 code such as KZT)."),
                    EventErrorCode.PRICE_INCOMPLETE,
                )
            }
        if currency and amount is None:
            return {
                "price_amount": ValidationError(
                    gettext_noop("Give the price's amount, or no currency."),
                    EventErrorCode.PRICE_INCOMPLETE,
                )
            }
        return {}

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def local_starts_at(self):
        """The start as the venue's clocks show it, with the venue's UTC offset."""
        return timezone.localtime(self.starts_at, self.zone)

    @property
    def local_ends_at(self):
        return timezone.localtime(self.ends_at, self.zone)


def _comparable(*instants) -> bool:
    # Times that failed their own validation (missing, without an offset) are not compared:
    # their field errors say what is wrong.
    return all(value is not None and value.utcoffset() is not None for value in instants)


class AnnouncementQuerySet(models.QuerySet):
    def published(self):
        """Announcements whose publication time has come; the rest are drafts."""
        return self.filter(published_at__isnull=False, published_at__lte=timezone.now())

    def scheduled(self):
        """Announcements waiting for their ``publish_at``: not published yet."""
        return self.filter(published_at__isnull=True, publish_at__isnull=False)


class Announcement(models.Model):
    """News a city office posts for its city or one of its twinnings, maybe about an event."""

    office = models.ForeignKey(CityOffice, on_delete=models.PROTECT, related_name="announcements")
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="announcements")
    twinning = models.ForeignKey(
        Twinning, on_delete=models.PROTECT, null=True, blank=True, related_name="announcements"
    )
    event = models.ForeignKey(
        Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="announcements"
    )
    title = TranslatedField(models.CharField, max_length=200)
    body = TranslatedField(models.TextField)
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        validators=[validate_instant],
        help_text=_("Empty while it is a draft."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Published by the beat at this time (events.scheduling); until then ``published_at`` is
    # empty and nobody but the office sees it.
    publish_at = models.DateTimeField(
        _("publish at"),
        null=True,
        blank=True,
        db_index=True,
        validators=[validate_instant],
    )
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scheduled by"),
    )
    schedule_failure = models.CharField(_("why it was not published"), max_length=500, blank=True)

    objects = AnnouncementQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | in_window("published_at"),
                name="announcement_published_in_window",
                violation_error_code=CommonErrorCode.DATE_OUT_OF_RANGE.value,
                violation_error_message=f"Give a time {INSTANTS.in_words()}.",
            ),
            models.CheckConstraint(
                condition=Q(publish_at__isnull=True) | in_window("publish_at"),
                name="announcement_publish_at_in_window",
                violation_error_code=CommonErrorCode.DATE_OUT_OF_RANGE.value,
                violation_error_message=f"Give a time {INSTANTS.in_words()}.",
            ),
        ]

    def __str__(self):
        return self.title_en


class EventCohost(models.Model):
    """The partner city's office invited to co-host a twinning's event; once it accepts, its
    staff may edit and publish the event as the host office's staff can."""

    class Status(models.TextChoices):
        INVITED = "INVITED", _("Invited")
        ACCEPTED = "ACCEPTED", _("Accepted")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="cohosts")
    office = models.ForeignKey(CityOffice, on_delete=models.CASCADE, related_name="cohostings")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.INVITED)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    invited_at = models.DateTimeField(auto_now_add=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "office"], name="cohost_unique_office")
        ]

    def __str__(self):
        return f"{self.office} co-hosting {self.event}"


class Rsvp(models.Model):
    """Whether a user is going to, interested in, or waiting for a place at an announced
    event. Those WAITLISTED wait in the order they joined the line (``waitlisted_at``, then
    the row's id); a place that frees goes to the first of them (``services.set_rsvp``)."""

    class Status(models.TextChoices):
        GOING = "GOING", _("Going")
        INTERESTED = "INTERESTED", _("Interested")
        WAITLISTED = "WAITLISTED", _("On the waitlist")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rsvps"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    status = models.CharField(max_length=20, choices=Status.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When the user joined the waitlist: their place in the line. Set only while WAITLISTED.
    waitlisted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="rsvp_unique"),
            models.CheckConstraint(
                condition=Q(status="WAITLISTED", waitlisted_at__isnull=False)
                | (~Q(status="WAITLISTED") & Q(waitlisted_at__isnull=True)),
                name="rsvp_waitlisted_in_line",
            ),
        ]
        indexes = [
            # The line of an event, first to last: promotion takes its head, a position
            # counts those ahead.
            models.Index(
                fields=["event", "waitlisted_at", "id"],
                name="rsvp_waitlist_line",
                condition=Q(status="WAITLISTED"),
            )
        ]

    def __str__(self):
        return f"{self.user} {self.status} {self.event}"


class RsvpChange(models.Model):
    """One change of one RSVP, append-only: the status before and after (blank for none).

    The counts of people going and interested over time are replayed from these (see
    ``events.attendance``); they name no one, so they outlive the RSVP and its user.
    Written by ``services.set_rsvp`` in the transaction of the change itself.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvp_changes")
    from_status = models.CharField(max_length=20, choices=Rsvp.Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Rsvp.Status.choices, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["event", "at"])]

    def __str__(self):
        return f"{self.from_status or '-'} → {self.to_status or '-'} at {self.at:%Y-%m-%d %H:%M}"


class StateChange(models.Model):
    """The record of one change to an event or announcement: who, when, from what to what.

    It outlives what it describes (a deleted draft keeps its record), so it also stores the
    subject's title at the time.
    """

    class Action(models.TextChoices):
        CREATED = "CREATED", _("Created")
        UPDATED = "UPDATED", _("Updated")
        ANNOUNCED = "ANNOUNCED", _("Announced")
        POSTPONED = "POSTPONED", _("Postponed")
        CANCELLED = "CANCELLED", _("Cancelled")
        DELETED = "DELETED", _("Deleted")
        COHOST_INVITED = "COHOST_INVITED", _("Co-host invited")
        COHOST_ACCEPTED = "COHOST_ACCEPTED", _("Co-host accepted")
        PUBLISHED = "PUBLISHED", _("Published")
        SCHEDULED = "SCHEDULED", _("Scheduled")
        UNSCHEDULED = "UNSCHEDULED", _("Schedule removed")
        SCHEDULE_FAILED = "SCHEDULE_FAILED", _("Not published at the scheduled time")

    event = models.ForeignKey(
        Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="history"
    )
    announcement = models.ForeignKey(
        Announcement, on_delete=models.SET_NULL, null=True, blank=True, related_name="history"
    )
    subject_title = models.CharField(max_length=200)
    action = models.CharField(max_length=20, choices=Action.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # What else changed: fields edited, old and new times, a cancellation's reason.
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.action} {self.subject_title} at {self.at:%Y-%m-%d %H:%M}"
