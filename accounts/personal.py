"""What the accounts app holds about a person, for deleting an account and exporting its data
(the registry of ``accounts.personal_data``): the user's own row (the profile and preferences),
sessions, devices, and what Django's own apps keep of a user (groups, permissions, the admin's
log and sessions)."""

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db.models import BooleanField, ExpressionWrapper, Max, Min, Q

from images import services as images

from .personal_data import delete, export, not_exported, register, service
from .services import keep_blocks_of

# What the admin's log shows for a row that named a deleted account.
DELETED_ACCOUNT = "(deleted account)"


def forget_sessions(user) -> None:
    """The admin's sessions of ``user``: they hold the user's id in their signed data, not in a
    column. Only people with a password sign in to the admin, and only they are looked for."""
    if not user.has_usable_password():
        return
    mine = [
        session.pk
        for session in Session.objects.iterator(chunk_size=500)
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    Session.objects.filter(pk__in=mine).delete()


def forget_in_admin_log(user) -> None:
    """What other staff did to the person's rows in the admin, as its log tells it: the
    entries about their account lose its id, and every entry whose title named them (a row's
    title often starts with its user's e-mail: "ada@example.org – EDITOR of …") loses the
    title. What was done, and when, stays."""
    about = Q(content_type=ContentType.objects.get_for_model(user), object_id=str(user.pk))
    if user.email:
        about |= Q(object_repr__contains=user.email)
    LogEntry.objects.filter(about).update(object_id=None, object_repr=DELETED_ACCOUNT)


def release_avatar(user) -> None:
    """The person's avatar: deleted with its files once the deletion commits (unless another
    account shows the very same picture), rather than left for the daily prune."""
    images.release(user.avatar)


def sessions_of_sign_ins(tokens):
    """A session per sign-in (the refresh tokens of one family), not a row per refresh."""
    return (
        tokens.values("family")
        .annotate(
            signed_in_at=Min("created_at"),
            last_refreshed_at=Max("used_at"),
            valid_until=Max("expires_at"),
            signed_out_at=Max("revoked_at"),
        )
        .order_by("signed_in_at", "family")
    )


register(
    "accounts.User",
    # The row goes last, once every other declaration is carried out (accounts.deletion).
    export=export(
        "profile",
        by="pk",
        single=True,
        fields=(
            "id",
            "email",
            "firebase_uid",
            "display_name",
            "date_joined",
            "last_login",
            "language",
            "time_zone",
            "muted_categories",
            "quiet_hours_start",
            "quiet_hours_end",
            "listed_as_attendee",
            "is_active",
            "is_staff",
            "is_superuser",
            # The avatar's sizes: each file's name in storage, width and height.
            "avatar__variants",
        ),
        # The private calendar feed's secret: the export says there is one.
        redacted=("calendar_token",),
        omitted={"password": "a one-way hash of your password, if you have one: a secret"},
    ),
    by_content=service(release_avatar),
)
register(
    "accounts.RefreshToken",
    user=delete(),
    export=export(
        "sessions",
        by="user",
        fields=("family", "created_at", "used_at", "expires_at", "revoked_at"),
        omitted={"token_hash": "a hash of a refresh token: a secret"},
        rows=sessions_of_sign_ins,
    ),
)
register(
    "accounts.Device",
    user=delete(),
    export=export(
        "devices",
        by="user",
        fields=(
            "token",
            "platform",
            "locale",
            "app_version",
            "active",
            "deactivated_reason",
            "created_at",
            "updated_at",
        ),
    ),
)
register(
    "accounts.DeletedAccount",
    export=not_exported(
        "after a deletion, a keyed digest of the Firebase uid and the time, so that a sign-in "
        "from before it cannot make the account again; it names no account that exists"
    ),
)
# Django's own: the user's groups and permissions (the rows of their many-to-many tables).
register(
    "accounts.User_groups",
    user=delete(),
    export=export("groups", by="user", fields=("group__name",)),
)
register(
    "accounts.User_user_permissions",
    user=delete(),
    export=export(
        "permissions",
        by="user",
        fields=("permission__content_type__app_label", "permission__codename"),
    ),
)
register(
    "admin.LogEntry",
    # The admin's own log of what a staff member changed there; the events' history keeps
    # what was done to them (without the name).
    user=delete(),
    by_content=service(forget_in_admin_log),
    export=export(
        "adminLog",
        by="user",
        fields=(
            "action_time",
            "content_type__app_label",
            "content_type__model",
            "object_id",
            "object_repr",
            "action_flag",
            "change_message",
        ),
    ),
)
register(
    "sessions.Session",
    by_content=service(forget_sessions),
    export=not_exported("the admin's sign-in sessions: a secret key and an expiry"),
)


def blocks_as_given(blocks):
    """The person's blocks, each saying whether the account blocked was deleted since (its id
    is then null: the block names it by a pseudonym, which the export leaves out)."""
    return (
        blocks.annotate(
            blocked_account_deleted=ExpressionWrapper(
                Q(blocked__isnull=True), output_field=BooleanField()
            )
        )
        .values("blocked_id", "blocked_account_deleted", "created_at")
        .order_by("pk")
    )


register(
    "accounts.UserBlock",
    # The blocks the person made go. Those others made of them stay, as blocks of the
    # account's pseudonym, which its chat messages take too (chat.personal): what the person
    # wrote stays hidden from those who blocked them, and nothing names the person.
    blocker=delete(),
    blocked=service(keep_blocks_of),
    export=export(
        "blocks",
        by="blocker",
        fields=("blocked_id", "created_at"),
        omitted={
            "blocked_pseudonym": "for an account deleted since you blocked it "
            "(blockedAccountDeleted), a random key that stands for it: it names no one"
        },
        rows=blocks_as_given,
    ),
)
