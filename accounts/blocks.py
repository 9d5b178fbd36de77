"""Whom a user blocks, as the chat reads it: the set of user ids whose messages it hides from
them (``UserBlock``; written by ``accounts.services.block_user`` and ``unblock_user``).

The set is read once per user object and kept on it, as office roles are
(``cities.permissions.office_roles``): over HTTP a user object lives for one request; on a
websocket, for as long as nothing is heard of the account. Blocking and unblocking tell the
user's open websockets (``accounts.realtime``, ``BLOCKS_CHANGED``), which then read the user
afresh, a new object without the set: it is read again, once, at the next message. So a room's
messages are filtered without a query per message and per subscriber, and a change is heard
at once on every socket of the user.
"""

from .models import UserBlock

# At most this many people blocked by one user: the set is held in memory by every socket of
# theirs that follows a chat, and a list of a thousand is far beyond what a person keeps.
MAX_BLOCKS = 1000

_CACHE = "_blocked_user_ids"


def blocked_ids(user) -> frozenset[int]:
    """The ids of the users ``user`` blocks (none for an anonymous viewer), read once per user
    object. Blocking: it reads the database the first time (call it in a thread from async
    code, or check ``known_blocked_ids`` first)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    known = getattr(user, _CACHE, None)
    if known is None:
        known = frozenset(
            UserBlock.objects.filter(blocker_id=user.pk).values_list("blocked_id", flat=True)
        )
        setattr(user, _CACHE, known)
    return known


def known_blocked_ids(user) -> frozenset[int] | None:
    """``blocked_ids(user)`` if it needs no query (read already, or an anonymous viewer);
    None when it must be read."""
    if user is None or not user.is_authenticated:
        return frozenset()
    return getattr(user, _CACHE, None)


def forget_blocks(user) -> None:
    """Drop the set kept on ``user`` after their blocks change: the next read reads it again."""
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)
