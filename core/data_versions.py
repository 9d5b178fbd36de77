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

**A viewer's version.** What a signed-in person is shown also depends on rows of their own:
what they follow, what they answered, their offices' roles and their rights. Each person has a
version of those (:func:`viewer_area`), bumped the same way (:func:`bump_viewers`) by the
apps' receivers of those rows and by every change told to the person's open websockets
(``accounts.realtime``); the response cache files a signed-in person's answers under it.
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
VIEWER_PREFIX = "viewer:"
# How long a person's version is remembered after it was first set: far longer than any answer
# is kept, so that a person's versions do not pile up in the cache for ever. One that expired
# starts again from the clock, above every number it had.
VIEWER_VERSION_SECONDS = 24 * 3600


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


def viewer_area(user_id: int) -> str:
    """The area of one person's own rows (follows, answers, roles, rights): see the module."""
    return f"{VIEWER_PREFIX}{int(user_id)}"


def _start(area: str) -> int:
    """A version for an area the cache does not know: the clock, or what another process set
    first."""
    start = time.time_ns()
    timeout = VIEWER_VERSION_SECONDS if _is_viewer(area) else None
    shared_cache().add(_key(area), start, timeout=timeout)
    return shared_cache().get(_key(area)) or start


def _bump_now(areas) -> None:
    for area in areas:
        try:
            shared_cache().incr(_key(area))
        except ValueError:  # not in the cache: a fresh start is a new number too
            _start(area)


def bump(*areas: str) -> None:
    """Record that ``areas`` changed: now, and again when the current transaction commits."""
    unknown = {area for area in areas if area not in AREAS and not _is_viewer(area)}
    if unknown:
        raise ValueError(f"Unknown data areas: {sorted(unknown)}")
    try:
        _bump_now(areas)
    except Exception:
        # The cache being down must not fail a write; readers of the cache fail over to the
        # database at the same time.
        logger.warning("Could not bump data versions %s.", areas, exc_info=True)
    transaction.on_commit(lambda: _bump_after_commit(areas))


def bump_viewers(*user_ids: int) -> None:
    """Record that these people's own rows changed (see :func:`bump`)."""
    areas = tuple(dict.fromkeys(viewer_area(user_id) for user_id in user_ids if user_id))
    if areas:
        bump(*areas)


def deleted_with_another(sender, origin) -> bool:
    """Whether a ``post_delete`` of a ``sender`` row comes from deleting another row that it
    went with (a cascade: ``origin``, the instance or queryset whose deletion began it, is of
    another model). Such a deletion of many rows at once bumps per person for none of them."""
    if origin is None:
        return False
    model = getattr(origin, "model", None) or type(origin)
    return not issubclass(model, sender)


def _is_viewer(area: str) -> bool:
    return area.startswith(VIEWER_PREFIX) and area[len(VIEWER_PREFIX) :].isdigit()


def _bump_after_commit(areas) -> None:
    try:
        _bump_now(areas)
    except Exception:
        logger.warning("Could not bump data versions %s after commit.", areas, exc_info=True)
