"""Whole responses of public reads, kept for anonymous viewers and served without executing.

Most traffic is anonymous people opening the same lists (the events feed, cities, twinnings) in
one of four languages. Such a response depends only on the operation, its variables, the
language and the public data it shows, so it can be kept as the bytes sent, and the next
identical request answered with them: no parsing, validation or execution, no SQL.

**What is kept.** A query by an anonymous viewer whose every selected field is classified
below as public (:data:`FIELDS`) and whose answer has no errors. A signed-in request is never
answered from the cache nor stored in it. Fields that depend on the viewer (``me`` and all
under it, ``viewerRsvp``, ``history``, ``cohosts``) make the whole operation bypass the cache,
and so does any field not classified (a field added later is not cached until it is listed
here). Drafts cannot be in a kept response: an anonymous viewer's reads never show them.

**The key** is the SHA-256 of the schema's own hash, the document's hash, the variables as
canonical JSON, the operation name, the language, and the version of every area of public data
the operation reads (:mod:`core.data_versions`: events, attendance, cities, twinnings, offices,
announcements). A change to an area bumps its version, so every response that read it becomes
unreachable at once, in every process; responses that did not read it stay. Which areas an
operation reads comes from the types and fields it selects: the feed reads events (and cities
and twinnings for its host city and pairs), and only a selection of ``attendeeCount`` reads
attendance, which every RSVP changes.

**Time.** Two reads change with the clock rather than with a write: a twinning's upcoming
``events`` (an event leaves the list when it starts) and announcements (a scheduled one appears
at its publication time). A response reading them is kept only until the next such moment.
Everything else is kept for ``RESPONSE_CACHE_SECONDS`` at most (0 turns the cache off).

**Where.** Django's default cache: Redis in production, shared by every process, and local
memory in the embedded default. A cache that fails is skipped: the request is executed.

The HTTP view calls :func:`lookup` once the document has passed its checks (a document it has
seen is neither parsed nor validated again, see ``documents.load_document``) and before
anything runs, and :func:`store` with the encoded response after executing a miss. Which
fields an operation selects is worked out once per document and process, from the parsed
document, and remembered by the document's hash.
"""

import datetime
import hashlib
import json
import logging
import math
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from graphql import (
    BREAK,
    DocumentNode,
    GraphQLSchema,
    OperationType,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    parse,
    print_schema,
    visit,
)

from core import data_versions
from core.data_versions import (
    ANNOUNCEMENTS,
    ATTENDANCE,
    CITIES,
    EVENTS,
    OFFICES,
    TWINNINGS,
)
from core.shared_cache import shared_cache

from .documents import document_hash

logger = logging.getLogger(__name__)

# Every field a kept response may select, by the type it is selected on.
FIELDS = {
    "Query": {"cities", "city", "twinnings", "twinning", "events", "event", "announcements"}
    | {"languages", "node"},
    "Node": {"id"},
    "Event": {
        "id",
        "venueName",
        "venueAddress",
        "latitude",
        "longitude",
        "announcedAt",
        "capacity",
        "cancellationReason",
        "imageUrl",
        "updatedAt",
        "title",
        "summary",
        "description",
        "category",
        "status",
        "startsAt",
        "endsAt",
        "timeZone",
        "localStartsAt",
        "localEndsAt",
        "hostCity",
        "twinning",
        "office",
        "distanceKm",
        "attendeeCount",
    },
    "City": {"id", "region", "latitude", "longitude", "population", "geonamesId", "slug"}
    | {"name", "country", "timeZone", "twinnings", "partners", "offices"},
    "Country": {"code", "name"},
    "Twinning": {"id", "establishedOn", "endedOn", "sourceUrl", "kind", "status", "cityA"}
    | {"cityB", "cities", "partner", "agreementTitle", "agreementSummary", "events"},
    "CityOffice": {"id", "city", "email", "phone", "website", "name"},
    "Announcement": {"id", "publishedAt", "title", "body", "city", "twinning", "office", "event"},
    "Language": {"code", "name", "englishName", "direction"},
    "PageInfo": {"hasNextPage", "hasPreviousPage", "startCursor", "endCursor"},
    **{
        f"{node}{part}": {"pageInfo", "edges", "totalCount"}
        if part == "Connection"
        else {"node", "cursor"}
        for node in ("Event", "City", "Twinning", "Announcement")
        for part in ("Connection", "Edge")
    },
}
# Fields that depend on who is asking: an operation selecting any of them is never kept.
VIEWER_FIELDS = {
    ("Query", "me"),
    ("Event", "viewerRsvp"),
    ("Event", "history"),
    ("Event", "cohosts"),
}

# The data each type's fields show (a connection counts its nodes' table).
TYPE_AREAS = {
    "Event": {EVENTS},
    "EventConnection": {EVENTS},
    "EventEdge": {EVENTS},
    "City": {CITIES},
    "CityConnection": {CITIES},
    "CityEdge": {CITIES},
    "Twinning": {TWINNINGS},
    "TwinningConnection": {TWINNINGS},
    "TwinningEdge": {TWINNINGS},
    "CityOffice": {OFFICES},
    "Announcement": {ANNOUNCEMENTS},
    "AnnouncementConnection": {ANNOUNCEMENTS},
    "AnnouncementEdge": {ANNOUNCEMENTS},
    # Any object, by ID.
    "Node": set(data_versions.AREAS),
}
# Data a field reads beyond its type's: filters on other tables, lists through twinnings.
FIELD_AREAS = {
    # filter.country is the host city's; filter.city matches the cities of the twinnings too.
    ("Query", "events"): {CITIES, TWINNINGS},
    ("Query", "twinnings"): {CITIES},  # country is either city's
    ("Query", "node"): set(data_versions.AREAS),
    ("Event", "attendeeCount"): {ATTENDANCE},
    ("City", "twinnings"): {TWINNINGS},
    ("City", "partners"): {TWINNINGS},
    ("City", "offices"): {OFFICES},
}
# Reads that change with the clock: until when a response reading them holds.
UPCOMING_EVENTS = "upcoming events"
PUBLISHED_ANNOUNCEMENTS = "published announcements"
FIELD_CLOCKS = {
    ("Twinning", "events"): UPCOMING_EVENTS,
    ("Query", "announcements"): PUBLISHED_ANNOUNCEMENTS,
    ("Query", "node"): PUBLISHED_ANNOUNCEMENTS,
}

# Documents whose policy a process remembers; more are analysed again when seen.
MAX_POLICIES = 2_000


@dataclass(frozen=True)
class Policy:
    """Whether a document's responses may be kept, what data they read, and their clocks."""

    cacheable: bool
    areas: frozenset[str] = frozenset()
    clocks: frozenset[str] = frozenset()
    reason: str = ""


@dataclass
class Lookup:
    """The outcome of :func:`lookup`: the kept response if there is one, and what
    :func:`store` needs to keep the response of a miss under the versions read before it was
    executed."""

    response: bytes | None = None
    storable: bool = False
    document_hash: str = ""
    variables: dict | None = None
    operation_name: str | None = None
    language: str = ""
    versions: dict[str, int] = field(default_factory=dict)
    policy: Policy | None = None
    looked_up_at: datetime.datetime | None = None


_policies: dict[str, Policy] = {}
_schema_digest: str | None = None


def enabled() -> bool:
    return settings.RESPONSE_CACHE_SECONDS > 0


def lookup(document_hash: str, variables, operation_name, language: str, viewer) -> Lookup:
    """The kept response of this operation for this viewer, if any.

    Costs one round trip to the cache for the versions, and one more for the response when
    the document is known to be cacheable. A miss that may be stored carries the versions
    read now, before the operation is executed (see :func:`store`)."""
    if not enabled() or viewer.is_authenticated:
        return Lookup()
    policy = _policies.get(document_hash)
    if policy is not None and not policy.cacheable:
        return Lookup()
    read = Lookup(
        storable=True,
        document_hash=document_hash,
        variables=variables,
        operation_name=operation_name,
        language=language,
        policy=policy,
        looked_up_at=timezone.now(),
    )
    try:
        # A document seen for the first time: every area, as its policy is not known yet.
        read.versions = data_versions.current(policy.areas if policy else data_versions.AREAS)
        if policy is not None:
            read.response = shared_cache().get(_key(read, policy))
    except Exception:
        logger.warning("Response cache unavailable; executing.", exc_info=True)
        return Lookup()
    return read


def store(read: Lookup, schema: GraphQLSchema, document: DocumentNode, response: bytes) -> bool:
    """Keep ``response`` (the encoded answer of a miss, without errors, to ``document``)
    when its operation may be kept; whether it was."""
    if not read.storable:
        return False
    policy = read.policy or policy_for(read.document_hash, schema, document)
    if not policy.cacheable:
        return False
    try:
        timeout = _timeout(policy, read.looked_up_at)
        if timeout > 0:
            shared_cache().set(_key(read, policy), response, timeout)
            return True
    except Exception:
        logger.warning("Response cache unavailable; not storing.", exc_info=True)
    return False


def policy_for(document_hash: str, schema: GraphQLSchema, document: DocumentNode) -> Policy:
    """The document's policy, analysed once per process."""
    policy = _policies.get(document_hash)
    if policy is None:
        policy = analyse(schema, document)
        if len(_policies) >= MAX_POLICIES:
            _policies.clear()
        _policies[document_hash] = policy
    return policy


def analyse(schema: GraphQLSchema, document: DocumentNode | str) -> Policy:
    """Whether responses to ``document`` (valid, parsed or not) may be kept, and what they
    read, from every field of every operation and fragment in it (a document with a mutation
    is never kept, even when the operation asked for is its query)."""
    if isinstance(document, str):
        document = parse(document)
    reads = _Reads(TypeInfo(schema))
    visit(document, TypeInfoVisitor(reads.type_info, reads))
    if reads.reason:
        return Policy(False, reason=reads.reason)
    return Policy(True, frozenset(reads.areas), frozenset(reads.clocks))


class _Reads(Visitor):
    """Collects the areas and clocks of the fields a document selects, or why it may not be
    kept."""

    def __init__(self, type_info: TypeInfo):
        super().__init__()
        self.type_info = type_info
        self.areas: set[str] = set()
        self.clocks: set[str] = set()
        self.reason = ""

    def refuse(self, reason: str):
        """Stop at the first reason not to keep the responses."""
        self.reason = reason
        return BREAK

    def enter_operation_definition(self, node, *_):
        if node.operation != OperationType.QUERY:
            return self.refuse(f"a {node.operation.value}")
        return None

    def enter_field(self, node, *_):
        parent = self.type_info.get_parent_type()
        name = node.name.value
        if parent is None or self.type_info.get_field_def() is None:
            return self.refuse(f"unknown field {name}")
        if name.startswith("__") or parent.name.startswith("__"):
            return None  # introspection and __typename: the schema's, whose hash is in the key
        key = (parent.name, name)
        if key in VIEWER_FIELDS:
            return self.refuse(f"{parent.name}.{name} depends on the viewer")
        if name not in FIELDS.get(parent.name, ()):
            return self.refuse(f"{parent.name}.{name} is not a public read")
        returned = get_named_type(self.type_info.get_type())
        self.areas |= TYPE_AREAS.get(parent.name, set()) | FIELD_AREAS.get(key, set())
        self.areas |= TYPE_AREAS.get(returned.name, set())
        if key in FIELD_CLOCKS:
            self.clocks.add(FIELD_CLOCKS[key])
        return None


def _schema_hash() -> str:
    """A hash of the schema served, so that a deploy changing it makes old responses
    unreachable."""
    global _schema_digest
    if _schema_digest is None:
        from schema.schema import schema

        _schema_digest = document_hash(print_schema(schema.graphql_schema))[:16]
    return _schema_digest


def _key(read: Lookup, policy: Policy) -> str:
    parts = [
        _schema_hash(),
        read.document_hash,
        json.dumps(read.variables or {}, sort_keys=True, separators=(",", ":")),
        read.operation_name or "",
        read.language,
        *(f"{area}={read.versions[area]}" for area in sorted(policy.areas)),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"response:{digest}"


def _timeout(policy: Policy, since: datetime.datetime) -> int:
    """Seconds a response may be kept: the setting, or less, until its clocks next tick after
    ``since`` (when it was looked up, so before it was computed)."""
    timeout = settings.RESPONSE_CACHE_SECONDS
    now = timezone.now()
    for clock in policy.clocks:
        moment = _next_tick(clock, since)
        if moment is not None:
            timeout = min(timeout, math.floor((moment - now).total_seconds()))
    return timeout


def _next_tick(clock: str, since: datetime.datetime):
    """The first moment after ``since`` when the reads of ``clock`` change by themselves."""
    from django.db.models import Min

    from events.models import Announcement, Event

    if clock == UPCOMING_EVENTS:
        # Upcoming lists hold the events starting at or after now: each start drops one.
        queryset = Event.objects.public().filter(starts_at__gte=since)
        return queryset.aggregate(at=Min("starts_at"))["at"]
    queryset = Announcement.objects.filter(published_at__gt=since)
    return queryset.aggregate(at=Min("published_at"))["at"]
