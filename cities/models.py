"""Cities, the twinnings between them, and the offices that speak for a city."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from text_unidecode import unidecode

from accounts.realtime import AccountChange, accounts_changed
from core.folding import fold
from core.i18n import LANGUAGE_CODES, TranslatedField, column, translated_columns
from core.search import matching, names_document, ranked
from core.validators import (
    latitude_validators,
    longitude_validators,
    validate_country_code,
    validate_date,
    validate_https_url,
    validate_time_zone,
    validate_visible,
)

from .error_codes import CityErrorCode


def search_document(*texts: str) -> str:
    """The folded text that `search` matches: every language's name, case and accents removed."""
    return " ".join(fold(text) for text in texts if text)


class CityQuerySet(models.QuerySet):
    def search(self, text: str):
        """Cities whose name in any language or alias contains ``text``, ignoring case and
        accents (on PostgreSQL also those word-similar to it)."""
        return matching(self, text)

    def best_matches(self, text: str):
        """The cities ``search`` finds, best first (core.search.ranked): a name that is
        ``text``, then an alias that is, then a name that starts with it, then an alias that
        does, then the rest (on PostgreSQL the most similar first); the most populous first
        among equals, then by English name. Blank text: every city, in the queryset's
        order."""
        return ranked(
            self,
            text,
            models.F("population").desc(nulls_last=True),
            "name_en",
            "id",
        )


class City(models.Model):
    """A city that has, or may have, twinnings; names in every supported language."""

    name = TranslatedField(models.CharField, max_length=200)
    country = models.CharField(
        max_length=2, db_index=True, validators=[validate_country_code], help_text="ISO 3166-1"
    )
    region = models.CharField(max_length=200, blank=True, validators=[validate_visible])
    latitude = models.FloatField(validators=latitude_validators)
    longitude = models.FloatField(validators=longitude_validators)
    timezone = models.CharField(max_length=64, validators=[validate_time_zone])
    population = models.PositiveBigIntegerField(null=True, blank=True)
    geonames_id = models.PositiveIntegerField(null=True, blank=True, unique=True)
    # Its other names in any language or script, from GeoNames (cities.geonames): searched as
    # its names are, written by the import and by `manage.py match_geonames` only.
    aliases = models.JSONField(default=list, blank=True, editable=False)
    slug = models.SlugField(max_length=220, unique=True)
    search_document = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CityQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "cities"
        ordering = ["name_en", "id"]
        indexes = [models.Index(fields=["name_en"]), models.Index(fields=["latitude"])]

    def __str__(self):
        return f"{self.name_en} ({self.country})"

    def save(self, *args, **kwargs):
        self.search_document = self.build_search_document()
        if not self.slug:
            self.slug = unique_slug(self)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_document"}
        super().save(*args, **kwargs)

    def build_search_document(self) -> str:
        """Its names in every language and its aliases, each folded, one a line
        (core.search.names_document): a search tells a whole name from the start of one, and
        its own names from its aliases."""
        names = (getattr(self, column("name", code)) for code in LANGUAGE_CODES)
        return names_document(names, self.aliases)


def base_slug(name: str, country: str) -> str:
    """``Almaty``, ``KZ`` → ``almaty-kz``; non-Latin names are transliterated first."""
    return slugify(f"{unidecode(name)} {country}")[:200] or country.lower()


def unique_slug(city: City) -> str:
    """The city's base slug, with ``-2``, ``-3`` … when another city holds it."""
    base = base_slug(city.name_en, city.country)
    taken = set(
        City.objects.filter(slug__startswith=base)
        .exclude(pk=city.pk)
        .values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


class TwinningQuerySet(models.QuerySet):
    def involving(self, city):
        """Twinnings in which ``city`` (an instance or a primary key) is either side."""
        return self.filter(Q(city_a=city) | Q(city_b=city))

    def between(self, first, second):
        """The twinning of two cities, whichever order they are given in."""
        a, b = ordered_pair(first, second)
        return self.filter(city_a=a, city_b=b)


def _pk(city) -> int:
    return city.pk if isinstance(city, City) else int(city)


def ordered_pair(first, second):
    """The two cities in stored order: the lower primary key is always ``city_a``."""
    return (first, second) if _pk(first) < _pk(second) else (second, first)


class Twinning(models.Model):
    """A link between two cities, stored once whatever the order the cities are named in.

    The pair is kept in a canonical order (``city_a`` has the lower id) and the database
    enforces both the order and the uniqueness, so A–B and B–A can never both exist.
    """

    class Kind(models.TextChoices):
        SISTER_CITY = "SISTER_CITY", _("Sister city")
        FRIENDSHIP_CITY = "FRIENDSHIP_CITY", _("Friendship city")
        SISTER_PORT = "SISTER_PORT", _("Sister port")

    class Status(models.TextChoices):
        PROPOSED = "PROPOSED", _("Proposed")
        ACTIVE = "ACTIVE", _("Active")
        SUSPENDED = "SUSPENDED", _("Suspended")
        ENDED = "ENDED", _("Ended")

    city_a = models.ForeignKey(City, on_delete=models.CASCADE, related_name="twinnings_as_a")
    city_b = models.ForeignKey(City, on_delete=models.CASCADE, related_name="twinnings_as_b")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SISTER_CITY)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    established_on = models.DateField(
        null=True, blank=True, validators=[validate_date], help_text="Leave empty if unknown."
    )
    ended_on = models.DateField(null=True, blank=True, validators=[validate_date])
    agreement_title = TranslatedField(models.CharField, max_length=300, blank=True)
    agreement_summary = TranslatedField(models.TextField, blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    agreement_url = models.URLField(
        _("agreement link"),
        max_length=500,
        blank=True,
        validators=[validate_https_url],
        help_text=_("The web address (https) of the signed agreement, if it is published."),
    )
    description = TranslatedField(models.TextField, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TwinningQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["city_a", "city_b"], name="twinning_unique_pair"),
            # Canonical order; it also keeps a city from twinning with itself.
            models.CheckConstraint(
                condition=Q(city_a__lt=models.F("city_b")), name="twinning_ordered_pair"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(established_on__isnull=True)
                | Q(ended_on__gte=models.F("established_on")),
                name="twinning_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.city_a.name_en} – {self.city_b.name_en}"

    def save(self, *args, **kwargs):
        self.put_in_order()
        super().save(*args, **kwargs)

    def clean(self):
        if self.city_a_id and self.city_a_id == self.city_b_id:
            raise ValidationError(
                gettext_noop("A city cannot be twinned with itself."), code=CityErrorCode.SAME_CITY
            )
        self.put_in_order()

    def put_in_order(self):
        """Swap the cities into the stored order, so B–A is saved (and found) as A–B."""
        if self.city_a_id and self.city_b_id and self.city_a_id > self.city_b_id:
            self.city_a, self.city_b = self.city_b, self.city_a

    @property
    def cities(self):
        return (self.city_a, self.city_b)

    def partner_of(self, city) -> City:
        """The other city of the pair."""
        return self.city_b if _pk(city) == self.city_a_id else self.city_a


# What an office may propose to change in a twinning (TwinningProposal), in the order the
# admin shows them. The cities of the pair and its end are for superusers alone.
PROPOSABLE_FIELDS = (
    "kind",
    "status",
    "established_on",
    "agreement_url",
    *translated_columns("description"),
)


class TwinningProposal(models.Model):
    """A change to a twinning proposed by an office of one of its cities, which a superuser
    approves (the values are then applied to the twinning) or rejects.

    It holds a whole set of proposed values, as the form showed them, and in ``based_on`` the
    twinning's values, when it was proposed, of the fields it changes: approving is refused
    when one of those has changed since (cities.services.approve_proposal).
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Waiting for review")
        APPROVED = "APPROVED", _("Approved")
        REJECTED = "REJECTED", _("Rejected")
        WITHDRAWN = "WITHDRAWN", _("Withdrawn")

    twinning = models.ForeignKey(
        Twinning, on_delete=models.CASCADE, related_name="proposals", verbose_name=_("twinning")
    )
    office = models.ForeignKey(
        "CityOffice",
        on_delete=models.CASCADE,
        related_name="twinning_proposals",
        verbose_name=_("office"),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Twinning.Kind.choices)
    status_proposed = models.CharField(
        _("status of the twinning"), max_length=20, choices=Twinning.Status.choices
    )
    established_on = models.DateField(
        _("established on"),
        null=True,
        blank=True,
        validators=[validate_date],
        help_text=_("Leave empty if unknown."),
    )
    agreement_url = models.URLField(
        _("agreement link"),
        max_length=500,
        blank=True,
        validators=[validate_https_url],
        help_text=_("The web address (https) of the signed agreement, if it is published."),
    )
    description = TranslatedField(models.TextField, blank=True)
    based_on = models.JSONField(default=dict, editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True, validators=[validate_visible])
    created_at = models.DateTimeField(_("proposed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("twinning change proposal")
        verbose_name_plural = _("twinning change proposals")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.twinning} – {self.get_status_display()}"

    # The proposal's field holding each proposable field of the twinning: the proposal's own
    # ``status`` is its review's.
    FIELD_OF = {"status": "status_proposed"}

    def proposed(self, field: str):
        """The value proposed for the twinning's ``field``."""
        return getattr(self, self.FIELD_OF.get(field, field))

    def changed_fields(self) -> list[str]:
        """The twinning's fields this proposal changes, as it was when proposed."""
        return list(self.based_on)


class CityOffice(models.Model):
    """The office (international relations, akimat, municipal corporation) of one city.

    It organises its city's events and posts its announcements; its staff arrive with accounts.
    """

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="offices")
    name = TranslatedField(models.CharField, max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name_en", "id"]

    def __str__(self):
        return self.name_en


class OfficeMembershipQuerySet(models.QuerySet):
    """Memberships, whose changes in bulk reach their users' open websockets as a save or a
    deletion does (``cities.receivers``, ``accounts.realtime``): ``update`` (``bulk_update``
    goes through it) and ``bulk_create`` send no signal. A queryset's ``delete`` sends
    ``post_delete`` for each row, since there is a receiver."""

    # What a role is: a change to any of these gives, changes or takes one away.
    ROLE_FIELDS = frozenset({"user", "user_id", "office", "office_id", "role"})

    def update(self, **fields):
        if self.ROLE_FIELDS.isdisjoint(fields):
            return super().update(**fields)
        with transaction.atomic(using=self.db):
            rows = dict(self.values_list("pk", "user_id"))
            updated = super().update(**fields)
            users = list(rows.values())
            if not {"user", "user_id"}.isdisjoint(fields):
                # Moved to another user: both the one who lost the role and the one given it.
                users += (
                    self.model._base_manager.using(self.db)
                    .filter(pk__in=rows)
                    .values_list("user_id", flat=True)
                )
            accounts_changed(users, AccountChange.ROLES_CHANGED)
        return updated

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            # With update_conflicts, rows that existed may have changed too: each is told.
            accounts_changed([obj.user_id for obj in objs], AccountChange.ROLES_CHANGED)
        return created


class OfficeMembership(models.Model):
    """A user's role in a city office. A user may hold several roles in one office."""

    class Role(models.TextChoices):
        EDITOR = "EDITOR", _("Editor: creates and edits drafts")
        PUBLISHER = "PUBLISHER", _("Publisher: also announces, postpones, cancels, posts")
        MODERATOR = "MODERATOR", _("Moderator: moderates event chat")
        ADMIN = "ADMIN", _("Office administrator: manages the office's team")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("person"),
    )
    office = models.ForeignKey(
        CityOffice, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("office")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("member since"), auto_now_add=True)

    objects = OfficeMembershipQuerySet.as_manager()

    class Meta:
        # The admin's "Team" page lists these: one row per member and role.
        verbose_name = _("team member")
        verbose_name_plural = _("team")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "office", "role"], name="membership_unique_role"
            )
        ]

    def __str__(self):
        return f"{self.user} – {self.role} of {self.office}"


class OfficeInvitation(models.Model):
    """An invitation, sent by e-mail, to join an office's team in one role.

    The link carries a secret token; only its sha256 is kept, so a copy of the database opens
    no invitation. It works once, until ``expires_at``, unless revoked; sending it again
    makes a new token (the old link stops working).
    """

    office = models.ForeignKey(
        CityOffice,
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("office"),
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=20, choices=OfficeMembership.Role.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("invited at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("last sent at"))
    expires_at = models.DateTimeField(_("link works until"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [models.Index(fields=["office", "sent_at"], name="invitation_office_sent")]

    def __str__(self):
        return f"{self.email} ({self.role})"

    @property
    def is_pending(self) -> bool:
        """Neither accepted nor withdrawn (it may have expired: see ``is_open``)."""
        return self.accepted_at is None and self.revoked_at is None

    def is_open(self, now=None) -> bool:
        """Whether its link may be used now."""
        return self.is_pending and (now or timezone.now()) < self.expires_at


class CityFollow(models.Model):
    """A user follows a city: its events and announcements reach them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="city_follows"
    )
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "city"], name="city_follow_unique")]

    def __str__(self):
        return f"{self.user} follows {self.city}"


class TwinningFollow(models.Model):
    """A user follows a twinning: the events and news of the pair reach them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="twinning_follows"
    )
    twinning = models.ForeignKey(Twinning, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "twinning"], name="twinning_follow_unique")
        ]

    def __str__(self):
        return f"{self.user} follows {self.twinning}"
