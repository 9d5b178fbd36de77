"""What a user's open websockets hear of their account, after the change commits.

A websocket signs in once, with the token of its `connection_init`, and may stay open for hours.
Each operation started on it checks the token again, but a subscription that is already running
would go on delivering as the user was. So every change that may take something away from a
user is told to that user's group (``core.channel_groups.USER_ACCOUNT``), on every server
process, once it commits:

- a session revoked: sign-out (``tokenRevoke``), a reused refresh token, anything else that
  sets ``RefreshToken.revoked_at``;
- the account changed where its rights are kept (``is_active``, ``is_superuser``,
  ``is_staff``): deactivated from the admin, a service or a shell; or deleted;
- an office role given, changed or taken away (the cities app tells it, see
  ``cities.receivers``);
- whom the user blocks (``accounts.services.block_user``, ``unblock_user``): nothing is taken
  away, but the chat a socket follows hides the messages of the people the user blocks, as
  read with the user (``accounts.blocks``), and must read them again.

The message only says what kind of change it was: it is a reason to look, not a verdict. Each
socket of the user checks its own token again, as a request over HTTP would be checked at that
moment: a revoked session closes the sockets opened with that session's tokens (4403), a
deactivated or deleted account all of them, and otherwise the socket goes on with the user read
afresh (roles included) for every delivery and operation from then on.

The changes are caught where they are written, so that no path misses them: model signals for
saves and deletions (a queryset's ``delete`` sends them for each row), and the querysets'
``update`` (``accounts.models``, ``cities.models``; ``bulk_update`` goes through it) and the
memberships' ``bulk_create``, which send no signal. Raw SQL is not seen.

Each change also ends the answers the response cache keeps for the user (their version in
``core.data_versions``): what they may see may have changed with it.
"""

import logging
from enum import StrEnum

from core import data_versions
from core.channel_groups import USER_ACCOUNT, broadcast_on_commit, group_name

logger = logging.getLogger(__name__)

# The user's fields that decide what the API lets them do: a change to one is told.
RIGHTS_FIELDS = frozenset({"is_active", "is_superuser", "is_staff"})


class AccountChange(StrEnum):
    """What happened to a user's account: the ``kind`` of the message their sockets hear."""

    SESSION_REVOKED = "session_revoked"
    ACCOUNT_CHANGED = "account_changed"
    ACCOUNT_DELETED = "account_deleted"
    ROLES_CHANGED = "roles_changed"
    BLOCKS_CHANGED = "blocks_changed"


def account_changed(user_id: int, change: AccountChange) -> None:
    """Tell ``user_id``'s open websockets, on every server process, once the current transaction
    commits (at once outside one), that their account changed: each checks its token again.

    A lost broadcast of this news is logged at ERROR, naming the user and the change, whatever
    the cause (an outage included: such changes are few, so they cannot flood the error
    reports). Other lost news leaves data stale, which the next read corrects; this leaves
    power: a socket that missed it keeps the rights it had until it next checks its token."""

    # What the person is shown changes too: the answers kept for them are ended
    # (core.data_versions, a viewer's version).
    data_versions.bump_viewers(user_id)

    def lost(error: Exception) -> None:
        logger.error(
            "Could not tell user %s's open websockets that their account changed (%s): "
            "they go on as they were (rights, blocks) until they next check their token",
            user_id,
            change.value,
            exc_info=error,
        )

    broadcast_on_commit(group_name(USER_ACCOUNT, id=user_id), {"kind": change.value}, if_lost=lost)


def accounts_changed(user_ids, change: AccountChange) -> None:
    """``account_changed`` for each of ``user_ids`` (each once)."""
    for user_id in dict.fromkeys(user_ids):
        account_changed(user_id, change)


def touches_rights(update_fields) -> bool:
    """Whether a save with these ``update_fields`` (None: every field) may change a user's
    rights."""
    return update_fields is None or not RIGHTS_FIELDS.isdisjoint(update_fields)
