"""Deleting an account, as its owner asks from the app (``accountDelete``).

What happens to each row that refers to the person is declared by the app that owns the row, in
the registry of ``accounts.personal_data``; this module checks that the account may go, then
carries the declarations out in one transaction, in phases:

1. refusals: a superuser (another superuser takes the status away first), and every reference
   declared ``refuse`` that finds a row (a role in an office: its team takes it away first);
2. the owning apps' services (RSVPs withdrawn so that the counts stay right, reactions taken
   back, the devices' push topics unsubscribed once the deletion commits, the admin's
   sessions, invitations to the person's address);
3. references declared ``anonymise``: the rows stay, without the person (chat messages,
   reports, the history of events); when someone had blocked the person, the chat messages
   take the account's pseudonym, a random key made for this deletion, which the blocks of the
   account take too (in phase 2), so that those who blocked the person go on not seeing what
   they wrote (otherwise no key is made, and nothing links the rows to each other);
4. references declared ``delete``: the rows go;
5. the user's own row. Its deletion tells the user's open websockets (``accounts.realtime``),
   which check their token again and close: the account is gone.

The owner must have signed in recently: a token whose sign-in (``auth_time``) is older than
``ACCOUNT_DELETION_SIGN_IN_SECONDS`` is refused with REAUTHENTICATION_REQUIRED, so that a phone
left unlocked, or a token that leaked, cannot delete the account.

A Firebase account's uid is remembered as a keyed digest with the time of the deletion
(``DeletedAccount``): ID tokens of a sign-in made before it are refused rather than making the
account anew (an app refreshes its Firebase token for as long as its Firebase session lasts).
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_noop

from . import personal_data
from .error_codes import AccountErrorCode
from .models import DeletedAccount, User
from .personal_data import Fate


def require_recent_sign_in(signed_in_at: datetime.datetime | None, now: datetime.datetime):
    """REAUTHENTICATION_REQUIRED unless the sign-in was within the window (a token without a
    sign-in time, issued before tokens carried one, is not recent)."""
    window = datetime.timedelta(seconds=settings.ACCOUNT_DELETION_SIGN_IN_SECONDS)
    if signed_in_at is None or not (now - window <= signed_in_at <= now + window):
        minutes = max(1, round(window.total_seconds() / 60))
        raise ValidationError(
            gettext_noop(
                "Sign in again to delete your account: the last sign-in must be within "
                "%(minutes)d minutes."
            ),
            code=AccountErrorCode.REAUTHENTICATION_REQUIRED,
            params={"minutes": minutes},
        )


def refusals(user: User) -> list[ValidationError]:
    """Why the account may not be deleted now; empty when it may."""
    found = []
    if user.is_superuser:
        found.append(
            ValidationError(
                gettext_noop(
                    "A superuser's account is not deleted by its owner: another superuser first "
                    "takes the superuser status away."
                ),
                code=AccountErrorCode.SUPERUSER_ACCOUNT,
            )
        )
    for entry in personal_data.entries():
        model = entry.model_class()
        for path, deletion in entry.references.items():
            if deletion.fate != Fate.REFUSE:
                continue
            if model._base_manager.filter(**{path: user}).exists():
                found.append(ValidationError(deletion.message, code=deletion.code))
    return found


def erase(user: User) -> None:
    """Carry out every declaration of the registry for ``user`` (phases 2 to 4 of the module),
    in the caller's transaction."""
    entries = personal_data.entries()
    for entry in entries:
        for deletion in (*entry.references.values(), entry.by_content):
            if deletion is not None and deletion.fate == Fate.SERVICE:
                deletion.function(user)
    for fate in (Fate.ANONYMISE, Fate.DELETE):
        for entry in entries:
            manager = entry.model_class()._base_manager
            for path, deletion in entry.references.items():
                if deletion.fate != fate:
                    continue
                rows = manager.filter(**{path: user})
                if fate == Fate.ANONYMISE:
                    replace = dict(deletion.replace)
                    # Only when a block of the account needed one (made by the services
                    # above): otherwise the rows stay unlinked to each other.
                    made = personal_data.pseudonym_made(user)
                    if deletion.pseudonym and made is not None:
                        replace[deletion.pseudonym] = made
                    rows.update(**{path: None}, **replace)
                else:
                    rows.delete()


@transaction.atomic
def delete_account(
    user: User, *, signed_in_at: datetime.datetime | None, now: datetime.datetime | None = None
) -> None:
    """Delete ``user``'s account and what is held about them, as the registry declares (see
    the module); a ValidationError says why not, and nothing is changed."""
    now = now or timezone.now()
    # Locked, so that two deletions of one account run one after the other.
    user = User.objects.select_for_update().get(pk=user.pk)
    refused = refusals(user)
    if refused:
        raise ValidationError(refused)
    require_recent_sign_in(signed_in_at, now)
    _remove(user, now)


@transaction.atomic
def delete_account_by_operator(user: User, now: datetime.datetime | None = None) -> None:
    """Delete ``user``'s account as the operators do, from the admin: what is held about them
    goes as when they delete it themselves (their RSVPs withdrawn, their phones' topics
    unsubscribed, their messages kept without them), without the owner's sign-in or the
    owner's refusals (their office roles go with them)."""
    now = now or timezone.now()
    user = User.objects.select_for_update().get(pk=user.pk)
    _remove(user, now)


def _remove(user: User, now: datetime.datetime) -> None:
    erase(user)
    if user.firebase_uid:
        DeletedAccount.objects.update_or_create(
            uid_digest=uid_digest(user.firebase_uid), defaults={"deleted_at": now}
        )
    user.delete()


# --- Firebase sign-ins of deleted accounts ---------------------------------------------------


def uid_digest(uid: str) -> str:
    """A keyed digest of a Firebase uid (keyed with SECRET_KEY): the uid cannot be read back
    from it, nor matched without the key."""
    return salted_hmac("twinning.deleted-account", uid, algorithm="sha256").hexdigest()


def deleted_before(uid: str, auth_time) -> bool:
    """Whether the account of Firebase ``uid`` was deleted at or after ``auth_time`` (the ID
    token's sign-in, in seconds since the epoch): such a token must not make it again.

    ``auth_time`` is in whole seconds (the second a sign-in began, rounded down) and the
    deletion's time has microseconds, so a sign-in of the deletion's own second cannot be told
    apart from one made before it in that second: it is refused too (``<=``). A token made
    before the deletion never makes the account again; a sign-in in the same second after it
    is refused with ACCOUNT_DELETED, and one a second later is taken. The other way round
    (``<``, or the deletion rounded down) would take a token signed in earlier in that second."""
    deleted = DeletedAccount.objects.filter(uid_digest=uid_digest(uid)).first()
    if deleted is None:
        return False
    if isinstance(auth_time, bool) or not isinstance(auth_time, int | float):
        return True
    try:
        signed_in = datetime.datetime.fromtimestamp(auth_time, datetime.UTC)
    except (OverflowError, ValueError, OSError):
        return True
    return signed_in <= deleted.deleted_at


def forget_deletion(uid: str) -> None:
    """A new sign-in of ``uid`` after its account was deleted: the record is no longer needed."""
    DeletedAccount.objects.filter(uid_digest=uid_digest(uid)).delete()
