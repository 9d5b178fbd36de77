"""Changes a user makes to their own account: their profile, preferences, the calendar feed's
secret, devices and whom they block."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop

from core.i18n import LANGUAGE_CODES
from core.text import clean_text
from core.validators import validate_time_zone
from images import services as images
from images.pipeline import process
from images.variants import Purpose

from . import personal_data
from .blocks import MAX_BLOCKS, forget_blocks
from .display_names import clean_display_name
from .error_codes import AccountErrorCode
from .models import Device, User, UserBlock, new_calendar_token
from .realtime import AccountChange, account_changed, accounts_changed
from .signals import device_moved, device_registered, preferences_changed

_UNSET = object()


def update_profile(user: User, *, display_name=_UNSET) -> User:
    """Change what others see of the user; only the arguments given change.

    ``display_name`` is kept as ``display_names.clean_display_name`` cleans it, or refused
    with its ValidationError (nothing is written)."""
    fields = []
    if display_name is not _UNSET:
        user.display_name = clean_display_name(display_name)
        fields.append("display_name")
    if fields:
        user.save(update_fields=fields)
    return user


@transaction.atomic
def ensure_app_user(email: str, display_name=_UNSET) -> tuple[User, bool]:
    """The ordinary app user with ``email``, made if there is none (``manage.py
    create_app_user``): no password, no staff rights, as a first sign-in in the app makes one.
    Returns the user and whether it was made. ``display_name``, when given, is set as
    ``update_profile`` sets it. An e-mail of a staff account, a superuser or a deactivated
    account is refused: those are not app users to hand tokens for."""
    email = User.objects.normalize_email(clean_text(email))
    try:
        validate_email(email)
    except ValidationError as error:
        raise ValidationError({"email": error}) from error
    user = User.objects.select_for_update().filter(email__iexact=email).first()
    if user is not None and (user.is_staff or user.is_superuser):
        raise ValidationError(
            {
                "email": ValidationError(
                    gettext_noop("%(email)s is a staff account, not an app user."),
                    params={"email": email},
                )
            }
        )
    if user is not None and not user.is_active:
        raise ValidationError(
            {
                "email": ValidationError(
                    gettext_noop("%(email)s has been deactivated."), params={"email": email}
                )
            }
        )
    created = user is None
    if created:
        name = "" if display_name is _UNSET else clean_display_name(display_name)
        return User.objects.create_user(email=email, display_name=name), True
    return update_profile(user, display_name=display_name), False


@transaction.atomic
def update_preferences(
    user: User,
    *,
    language=_UNSET,
    time_zone=_UNSET,
    muted_categories=_UNSET,
    quiet_hours=_UNSET,
    listed_as_attendee=_UNSET,
) -> User:
    """Change the given preferences only; ``quiet_hours`` is ``(start, end)`` or None to clear.

    ``listed_as_attendee`` (True or False) lets the offices of the events the user answers see
    their name among who is coming; off, they are only counted.

    Quiet hours are wall-clock times in the user's own zone and may span midnight
    (22:00–07:00); start and end must differ.
    """
    errors = {}
    fields = []
    if language is not _UNSET:
        if language not in LANGUAGE_CODES:
            errors["language"] = ValidationError(
                gettext_noop("Choose one of: %(choices)s."),
                code=AccountErrorCode.UNSUPPORTED_LANGUAGE,
                params={"choices": ", ".join(LANGUAGE_CODES)},
            )
        user.language = language
        fields.append("language")
    if time_zone is not _UNSET:
        try:
            validate_time_zone(time_zone)
        except ValidationError as error:
            errors["time_zone"] = error
        user.time_zone = time_zone
        fields.append("time_zone")
    if muted_categories is not _UNSET:
        user.muted_categories = sorted(set(muted_categories))
        fields.append("muted_categories")
    if quiet_hours is not _UNSET:
        start, end = quiet_hours if quiet_hours is not None else (None, None)
        if quiet_hours is not None and (not _wall_clock(start) or not _wall_clock(end)):
            # "22:00+05:00" parses, but an offset makes no sense for times of every day in the
            # user's own zone, and the database cannot store one.
            errors["quiet_hours"] = ValidationError(
                gettext_noop(
                    "Give quiet hours as times of day in your time zone, without an offset."
                ),
                code=AccountErrorCode.INVALID_QUIET_HOURS,
            )
        elif quiet_hours is not None and start == end:
            errors["quiet_hours"] = ValidationError(
                gettext_noop("Quiet hours need a start and a different end."),
                code=AccountErrorCode.INVALID_QUIET_HOURS,
            )
        user.quiet_hours_start, user.quiet_hours_end = start, end
        fields += ["quiet_hours_start", "quiet_hours_end"]
    if listed_as_attendee is not _UNSET:
        if not isinstance(listed_as_attendee, bool):
            errors["listed_as_attendee"] = ValidationError(
                gettext_noop("Say whether to list you as an attendee: true or false."),
                code=AccountErrorCode.PREFERENCE_REQUIRED,
            )
        user.listed_as_attendee = listed_as_attendee
        fields.append("listed_as_attendee")
    if errors:
        user.refresh_from_db()
        raise ValidationError(errors)
    if fields:
        user.save(update_fields=fields)
        transaction.on_commit(
            lambda: preferences_changed.send(sender=User, user=user, fields=fields)
        )
    return user


def _wall_clock(value) -> bool:
    return isinstance(value, datetime.time) and value.tzinfo is None


def rotate_calendar_token(user: User) -> User:
    """A new secret for the private calendar feed; the old URL stops working."""
    user.calendar_token = new_calendar_token()
    user.save(update_fields=["calendar_token"])
    return user


# FCM's registration tokens are URL-safe ASCII: letters, digits, '-', '_' and ':' (the
# project-scoped prefix). Anything else (spaces, private-use or combining characters) was never
# handed out by FCM, and sending to it could only fail.
FCM_TOKEN = re.compile(r"[A-Za-z0-9_:-]+")
# A BCP 47 tag's characters: ASCII letters and digits in subtags, '-' between them ('_' as
# Android writes it).
BCP47_CHARACTERS = re.compile(r"[A-Za-z0-9_-]+")


@transaction.atomic
def register_device(user: User, token: str, platform: str, locale: str = "", app_version: str = ""):
    """Register (or refresh) a device token for ``user``; a token registered by another user
    moves to this one (``device_moved``: what push held for the previous user goes), and a
    deactivated token comes back to life."""
    token = clean_text(token)
    errors = {}
    if not FCM_TOKEN.fullmatch(token) or len(token) > Device._meta.get_field("token").max_length:
        errors["token"] = ValidationError(
            gettext_noop("Not an FCM registration token."),
            code=AccountErrorCode.INVALID_DEVICE_TOKEN,
        )
    locale = clean_text(locale)
    if len(locale) > 35 or (locale and not BCP47_CHARACTERS.fullmatch(locale)):
        errors["locale"] = ValidationError(
            gettext_noop("Give a BCP 47 locale such as ru-KZ."),
            code=AccountErrorCode.INVALID_LOCALE,
        )
    if len(app_version or "") > 32:
        errors["app_version"] = ValidationError(
            gettext_noop("At most 32 characters."), code="max_length"
        )
    if errors:
        raise ValidationError(errors)
    held = Device.objects.select_for_update().filter(token=token).first()
    if held is not None and held.user_id != user.pk:
        device_moved.send(sender=Device, device=held, previous_user_id=held.user_id)
    device, _ = Device.objects.select_for_update().update_or_create(
        token=token,
        defaults={
            "user": user,
            "platform": platform,
            "locale": locale,
            "app_version": app_version or "",
            "active": True,
            "deactivated_reason": "",
        },
    )
    transaction.on_commit(lambda: device_registered.send(sender=Device, device=device))
    return device


def unregister_device(user: User, token: str) -> None:
    """Forget a token of the user's (signing out of the app); other users' tokens are left."""
    Device.objects.filter(user=user, token=clean_text(token)).delete()


@transaction.atomic
def set_avatar(user: User, upload) -> User:
    """Make ``upload`` (an uploaded file, judged by its content: ``images.pipeline``) the user's
    avatar, cut square and resized; the avatar it replaces is deleted once this commits. A
    refused upload raises a ValidationError on ``file`` and changes nothing."""
    try:
        picture = process(upload, Purpose.AVATAR)
    except ValidationError as error:
        raise ValidationError({"file": error.error_list}) from None
    user = User.objects.select_for_update().get(pk=user.pk)
    old = user.avatar
    user.avatar = images.store(picture)
    if old is not None and old.pk == user.avatar.pk:
        return user
    user.save(update_fields=["avatar"])
    images.release(old)
    return user


@transaction.atomic
def remove_avatar(user: User) -> User:
    """Show the user without an avatar; the picture is deleted once this commits. Safe to
    repeat."""
    user = User.objects.select_for_update().get(pk=user.pk)
    old = user.avatar
    if old is not None:
        user.avatar = None
        user.save(update_fields=["avatar"])
        images.release(old)
    return user


# --- Blocks ----------------------------------------------------------------------------------


def _block_error(message: str, code: AccountErrorCode, **params) -> ValidationError:
    return ValidationError({"user": ValidationError(message, code=code, params=params or None)})


def _blocks_changed(user: User) -> None:
    """The user's blocks changed: forget the set kept on this object, and have their open
    websockets read it again (``accounts.blocks``) once the change commits."""
    forget_blocks(user)
    account_changed(user.pk, AccountChange.BLOCKS_CHANGED)


@transaction.atomic
def block_user(user: User, target: User) -> UserBlock:
    """Hide ``target``'s chat messages from ``user``, in history and live, from now on.

    Nothing changes for ``target``, who is not told. Blocking oneself (CANNOT_BLOCK_SELF),
    someone blocked already (ALREADY_BLOCKED) or more than ``MAX_BLOCKS`` people
    (TOO_MANY_BLOCKS) is refused, and writes nothing. The user's row is locked while their
    blocks are counted, so that two blocks at once neither pass the limit nor both insert.
    """
    if target.pk == user.pk:
        raise _block_error(
            gettext_noop("You cannot block yourself."), AccountErrorCode.CANNOT_BLOCK_SELF
        )
    User.objects.select_for_update().filter(pk=user.pk).exists()
    blocks = UserBlock.objects.filter(blocker=user)
    if blocks.filter(blocked=target).exists():
        raise _block_error(
            gettext_noop("You block this person already."), AccountErrorCode.ALREADY_BLOCKED
        )
    if blocks.count() >= MAX_BLOCKS:
        raise _block_error(
            gettext_noop(
                "You block %(limit)s people already, the most there can be: unblock someone first."
            ),
            AccountErrorCode.TOO_MANY_BLOCKS,
            limit=f"{MAX_BLOCKS:,}",
        )
    try:
        with transaction.atomic():
            block = UserBlock.objects.create(blocker=user, blocked=target)
    except IntegrityError:
        # A database that does not lock rows (SQLite) lets a second block at once this far.
        raise _block_error(
            gettext_noop("You block this person already."), AccountErrorCode.ALREADY_BLOCKED
        ) from None
    _blocks_changed(user)
    return block


@transaction.atomic
def unblock_user(user: User, target: User) -> UserBlock:
    """Show ``target``'s chat messages to ``user`` again, in history and live; returns the block
    that was removed. Unblocking someone not blocked is refused (NOT_BLOCKED)."""
    block = (
        UserBlock.objects.select_for_update()
        .select_related("blocked")
        .filter(blocker=user, blocked=target)
        .first()
    )
    if block is None:
        raise _block_error(
            gettext_noop("You do not block this person."), AccountErrorCode.NOT_BLOCKED
        )
    return _unblock(user, block)


@transaction.atomic
def unblock_deleted_account(user: User, block_pk: int) -> UserBlock:
    """Show ``user`` the messages of an account they blocked, deleted since (the block
    ``block_pk``, which names its pseudonym), again: as a deleted account's, like anyone else's.
    A block that is not theirs, or not of a deleted account, is NOT_BLOCKED."""
    block = (
        UserBlock.objects.select_for_update()
        .filter(pk=block_pk, blocker=user, blocked__isnull=True)
        .first()
    )
    if block is None:
        raise _block_error(
            gettext_noop("You do not block this person."), AccountErrorCode.NOT_BLOCKED
        )
    return _unblock(user, block)


def _unblock(user: User, block: UserBlock) -> UserBlock:
    # The removed row keeps its key (a deletion empties it): what the API answers is named by it.
    pk = block.pk
    block.delete()
    block.pk = pk
    _blocks_changed(user)
    return block


def keep_blocks_of(user: User) -> None:
    """``user``'s account is being deleted: the blocks others made of them stay, as blocks of
    the account's pseudonym (``accounts.personal_data.pseudonym``), which the messages it leaves
    take too, so that what the person wrote stays hidden from those who blocked them. Their open
    websockets read their blocks again once the deletion commits."""
    blocks = UserBlock.objects.filter(blocked=user)
    blockers = list(blocks.values_list("blocker_id", flat=True))
    if blockers:
        blocks.update(blocked=None, blocked_pseudonym=personal_data.pseudonym(user))
        accounts_changed(blockers, AccountChange.BLOCKS_CHANGED)
