"""Users of the app and of the staff tools, and the refresh tokens that keep them signed in."""

import secrets
import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.i18n import DEFAULT_LANGUAGE, LANGUAGES
from core.text import UnicodeJSONDecoder, clean_text
from core.validators import validate_time_zone

from .realtime import RIGHTS_FIELDS, AccountChange, accounts_changed


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)


class UserQuerySet(models.QuerySet):
    def update(self, **fields):
        """As QuerySet.update; an update of the users' rights (deactivating them, say) is told
        to their open websockets once it commits, as a save is (``accounts.realtime``): a bulk
        update sends no signal."""
        if RIGHTS_FIELDS.isdisjoint(fields):
            return super().update(**fields)
        with transaction.atomic(using=self.db):
            user_ids = list(self.values_list("pk", flat=True))
            updated = super().update(**fields)
            accounts_changed(user_ids, AccountChange.ACCOUNT_CHANGED)
        return updated


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def create_user(self, email=None, password=None, **fields):
        email = self.normalize_email(email) if email else None
        user = self.model(email=email, **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in: an app user (linked to a Firebase uid) or office staff (email and
    password, for the admin and staff tools). App users may have no email at all."""

    email = models.EmailField(unique=True, null=True, blank=True)
    firebase_uid = models.CharField(max_length=128, unique=True, null=True, blank=True)
    display_name = models.CharField(max_length=150, blank=True)
    # The picture shown beside their name (the chat, the profile); set and removed through
    # ``services.set_avatar`` and ``services.remove_avatar``.
    avatar = models.ForeignKey(
        "images.Image",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    is_staff = models.BooleanField(default=False, help_text="May sign in to the admin.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    # Preferences: the language and zone pushes and e-mails are written in, and what to mute.
    language = models.CharField(
        max_length=8,
        choices=[(language.code, language.english_name) for language in LANGUAGES],
        default=DEFAULT_LANGUAGE,
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    muted_categories = models.JSONField(default=list, blank=True, decoder=UnicodeJSONDecoder)
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    # Off until the user turns it on: the offices of the events they answer see their name
    # only with their consent; everyone else is only counted.
    listed_as_attendee = models.BooleanField(
        _("list me as an attendee"),
        default=False,
        help_text=_(
            "When on, the offices of the events this person is going to or interested in see "
            "their name in the list of who is coming. When off, they are only counted."
        ),
    )
    # The secret in the private calendar feed's URL; rotating it revokes old subscriptions.
    calendar_token = models.CharField(max_length=64, unique=True, default=new_calendar_token)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quiet_hours_start__isnull=True, quiet_hours_end__isnull=True)
                | models.Q(quiet_hours_start__isnull=False, quiet_hours_end__isnull=False),
                name="user_quiet_hours_together",
            )
        ]

    def __str__(self):
        return self.email or self.display_name or f"user {self.pk}"

    def clean(self):
        super().clean()
        # A name of zero-width spaces shows nobody: it is kept as no name (see core.text).
        self.display_name = clean_text(self.display_name)


class RefreshTokenQuerySet(models.QuerySet):
    def update(self, **fields):
        """As QuerySet.update; revoking tokens (setting ``revoked_at``) is told to their users'
        open websockets once it commits (``accounts.realtime``)."""
        if fields.get("revoked_at") is None:
            return super().update(**fields)
        with transaction.atomic(using=self.db):
            user_ids = list(self.values_list("user_id", flat=True).distinct())
            updated = super().update(**fields)
            accounts_changed(user_ids, AccountChange.SESSION_REVOKED)
        return updated


class RefreshToken(models.Model):
    """One refresh token of the backend's own sign-in, stored as a hash.

    Each sign-in starts a family; every refresh uses up its token and issues the next one in
    the same family. Presenting a used token again means it leaked: the whole family is
    revoked, signing out both the thief and the owner.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="refresh_tokens")
    family = models.UUIDField(default=uuid.uuid4, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = RefreshTokenQuerySet.as_manager()

    def __str__(self):
        return f"refresh token {self.pk} of {self.user}"


class Device(models.Model):
    """A phone or browser that receives pushes: an FCM registration token of one user.

    A token belongs to one user at a time; registering it again under another user moves it
    (the phone changed hands or accounts). Tokens FCM reports as gone are deactivated, not
    deleted, so their deliveries stay on record.
    """

    class Platform(models.TextChoices):
        ANDROID = "ANDROID", "Android"
        IOS = "IOS", "iOS"
        WEB = "WEB", "Web"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="devices")
    token = models.CharField(max_length=512, unique=True)
    platform = models.CharField(max_length=10, choices=Platform.choices)
    locale = models.CharField(max_length=35, blank=True, help_text="BCP 47, e.g. ru-KZ.")
    app_version = models.CharField(max_length=32, blank=True)
    active = models.BooleanField(default=True)
    deactivated_reason = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["user", "active"])]

    def __str__(self):
        return f"{self.platform} device of {self.user}"


class DeletedAccount(models.Model):
    """A Firebase sign-in whose account was deleted: a keyed digest of its uid (never the uid)
    and when. A Firebase ID token of that uid signed in before then (its ``auth_time``) is
    refused, so that a token the app still holds, or refreshes, cannot make the account again
    the moment it is gone; a new sign-in after it makes a new account and drops this row (see
    ``accounts.deletion``)."""

    uid_digest = models.CharField(max_length=64, unique=True)
    deleted_at = models.DateTimeField()

    def __str__(self):
        return f"account deleted at {self.deleted_at:%Y-%m-%d %H:%M}"


class UserBlock(models.Model):
    """One user blocking another: the chat hides the blocked person's messages from the
    blocker, in history and live. It is the blocker's alone: the blocked person is not told and
    sees everything as before (``accounts.blocks``)."""

    blocker = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocks")
    # Null once the blocked person deleted their account: the block then names the account by
    # ``blocked_pseudonym``, the key its messages were given at the deletion.
    blocked = models.ForeignKey(User, on_delete=models.CASCADE, null=True, related_name="+")
    # Set by the deletion of the blocked account, never before: a random key, the same on every
    # message the account left (``chat.ChatMessage.author_pseudonym``), that names no one
    # (``accounts.personal_data.pseudonym``).
    blocked_pseudonym = models.UUIDField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Newest first, as the viewer's list shows them.
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="user_block_unique"),
            models.UniqueConstraint(
                fields=["blocker", "blocked_pseudonym"], name="user_block_unique_pseudonym"
            ),
            models.CheckConstraint(
                condition=~models.Q(blocker=models.F("blocked")), name="user_block_not_self"
            ),
            # Someone, or the deleted account they were: one of the two, never both.
            models.CheckConstraint(
                condition=models.Q(blocked__isnull=False, blocked_pseudonym__isnull=True)
                | models.Q(blocked__isnull=True, blocked_pseudonym__isnull=False),
                name="user_block_of_one",
            ),
        ]

    def __str__(self):
        if self.blocked_id is None:
            return f"{self.blocker} blocks a deleted account"
        return f"{self.blocker} blocks {self.blocked}"

    @property
    def of_deleted_account(self) -> bool:
        """Whether the person blocked has deleted their account since."""
        return self.blocked_id is None
