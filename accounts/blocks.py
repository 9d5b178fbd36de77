"""Whom a user blocks, as the chat reads it: the authors whose messages it hides from them
(``UserBlock``; written by ``accounts.services.block_user`` and ``unblock_user``). An author is
a user, or a deleted account: the deletion of an account that someone blocks gives its messages
and the blocks of it one pseudonym (``accounts.personal_data.pseudonym``), so that what the
person wrote stays hidden from those who blocked them, without anything that names them.

The set is read once per user object and kept on it, as office roles are
(``cities.permissions.office_roles``): over HTTP a user object lives for one request; on a
websocket, for as long as nothing is heard of the account. Blocking and unblocking (and the
deletion of an account blocked) tell the blocker's open websockets (``accounts.realtime``,
``BLOCKS_CHANGED``), which then read the user afresh, a new object without the set: it is read
again, once, at the next message. So a room's messages are filtered without a query per
message and per subscriber, and a change is heard at once on every socket of the user.
"""

import uuid
from dataclasses import dataclass

from .models import UserBlock

# At most this many people blocked by one user: the set is held in memory by every socket of
# theirs that follows a chat, and a list of a thousand is far beyond what a person keeps.
MAX_BLOCKS = 1000

_CACHE = "_blocked_authors"


@dataclass(frozen=True, slots=True)
class Blocked:
    """The authors one user blocks: people by their user id, and accounts deleted since by
    their pseudonym. Every place that hides what they wrote asks ``hides`` (or, in a query,
    excludes both sets)."""

    users: frozenset[int] = frozenset()
    pseudonyms: frozenset[uuid.UUID] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.users or self.pseudonyms)

    def hides(self, author_id: int | None, author_pseudonym: uuid.UUID | None) -> bool:
        """Whether what the author so named wrote is hidden (a message's ``author_id`` and
        ``author_pseudonym``: one of them is set once the author deleted their account)."""
        return (author_id is not None and author_id in self.users) or (
            author_pseudonym is not None and author_pseudonym in self.pseudonyms
        )


NOBODY = Blocked()


def blocked(user) -> Blocked:
    """The authors ``user`` blocks (none for an anonymous viewer), read once per user object.
    Blocking: it reads the database the first time (call it in a thread from async code, or
    check ``known_blocked`` first)."""
    if user is None or not user.is_authenticated:
        return NOBODY
    known = getattr(user, _CACHE, None)
    if known is None:
        rows = UserBlock.objects.filter(blocker_id=user.pk).values_list(
            "blocked_id", "blocked_pseudonym"
        )
        users, pseudonyms = set(), set()
        for user_id, pseudonym in rows:
            if user_id is not None:
                users.add(user_id)
            else:
                pseudonyms.add(pseudonym)
        known = Blocked(frozenset(users), frozenset(pseudonyms))
        setattr(user, _CACHE, known)
    return known


def known_blocked(user) -> Blocked | None:
    """``blocked(user)`` if it needs no query (read already, or an anonymous viewer); None when
    it must be read."""
    if user is None or not user.is_authenticated:
        return NOBODY
    return getattr(user, _CACHE, None)


def forget_blocks(user) -> None:
    """Drop the set kept on ``user`` after their blocks change: the next read reads it again."""
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)
