"""Version numbers of the public data, one per area, shared by every process through the cache.

A reader that keeps something computed from public data (the API's response cache) files it
under the versions of the areas it read; a change to an area bumps that area's version, and
everything filed under the old number becomes unreachable at once, in every process, without
finding or deleting it. The domain apps bump their areas from their models' signals (see their
``receivers`` modules), so the services, the admin and the demo seeder are all covered; writes
that bypass signals (``bulk_create``, ``QuerySet.update``) bump by hand.

A change bumps twice: at once, so that the writer's own later reads in its transaction (and
tests, which never commit) miss; and after the commit, so that whatever another process read
and filed meanwhile, with the data from before the commit under the first bump's number, is
unreachable too. Bumping only before the commit would let such a stale read live on; bumping
only after it would serve the writer stale data inside its transaction.

A version missing from the cache (evicted, or never set) starts again from the clock in
nanoseconds, never from a number it may have had before, so an old entry cannot come back.
"""

import logging
import time

from django.db import transaction

from core.shared_cache import shared_cache

logger = logging.getLogger(__name__)

EVENTS = "events"
# An event's number of people going: RSVPs change it far more often than anything else of an
# event, and few reads show it.
ATTENDANCE = "attendance"
CITIES = "cities"
TWINNINGS = "twinnings"
OFFICES = "offices"
ANNOUNCEMENTS = "announcements"
AREAS = (EVENTS, ATTENDANCE, CITIES, TWINNINGS, OFFICES, ANNOUNCEMENTS)


def _key(area: str) -> str:
    return f"dataversion:{area}"


def current(areas) -> dict[str, int]:
    """The version of each of ``areas``, in one round trip to the cache."""
    return current_with(areas)[0]


def current_with(areas, *keys: str) -> tuple[dict[str, int], dict]:
    """The version of each of ``areas`` and the cache's values of ``keys`` (those it has), in
    one round trip: a reader gets what it kept together with the versions to check it by."""
    areas = tuple(areas)
    found = shared_cache().get_many([*keys, *(_key(area) for area in areas)])
    versions = {}
    for area in areas:
        version = found.get(_key(area))
        if version is None:
            version = _start(area)
        versions[area] = version
    return versions, {key: found[key] for key in keys if key in found}


def _start(area: str) -> int:
    """A version for an area the cache does not know: the clock, or what another process set
    first."""
    start = time.time_ns()
    shared_cache().add(_key(area), start, timeout=None)
    return shared_cache().get(_key(area)) or start


def _bump_now(areas) -> None:
    for area in areas:
        try:
            shared_cache().incr(_key(area))
        except ValueError:  # not in the cache: a fresh start is a new number too
            _start(area)


def bump(*areas: str) -> None:
    """Record that ``areas`` changed: now, and again when the current transaction commits."""
    unknown = set(areas) - set(AREAS)
    if unknown:
        raise ValueError(f"Unknown data areas: {sorted(unknown)}")
    try:
        _bump_now(areas)
    except Exception:
        # The cache being down must not fail a write; readers of the cache fail over to the
        # database at the same time.
        logger.warning("Could not bump data versions %s.", areas, exc_info=True)
    transaction.on_commit(lambda: _bump_after_commit(areas))


def _bump_after_commit(areas) -> None:
    try:
        _bump_now(areas)
    except Exception:
        logger.warning("Could not bump data versions %s after commit.", areas, exc_info=True)
