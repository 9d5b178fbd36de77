"""Whole responses of public reads, kept for anonymous viewers and served without executing.

Most traffic is anonymous people opening the same lists (in this project: the events feed,
cities, twinnings) in one of a few languages. Such a response depends only on the operation,
its variables, the language and the public data it shows, so it can be kept as the bytes
sent, and the next identical request answered with them: no parsing, validation or
execution, no SQL.

**What is kept.** A query whose every selected field the schema declares public or the
viewer's own (``cache_policy``, next to its types) and whose answer has no errors. Fields that
depend on the viewer otherwise make the whole operation bypass the cache, and so does any field
declared not cached or not declared at all. What a public read may show an anonymous viewer is
the schema's business: it declares public only what is the same for every anonymous viewer.

**Signed-in viewers** (``RESPONSE_CACHE_VIEWER_SECONDS``, 0: never) have answers of their own:
keyed by who they are as well, so one viewer's answer is never served to another or to anyone
signed out, and kept also under their own version (``core.data_versions.viewer_area``), which
every change to what they follow and answered, to their roles and to their rights bumps. What
a public field shows a signed-in viewer beyond what it shows everyone (an office's drafts, the
for-you feed) comes from those rows only, so it is ended with them. The viewer is who the
request's credentials proved, checked before the lookup; a session revoked or an account
deleted answers nothing from here.

**The key** is the SHA-256 of the schema's own hash, the document's hash, the variables as
canonical JSON, the operation name and the language. A response is kept with the version of
every area of public data its operation read (:mod:`core.data_versions`), taken before it was
executed, and served only while each is still the area's version: a change to an area bumps
its version, so every response that read it is refused at once, in every process, and
replaced by the next miss; responses that did not read it stay. The response and the areas'
versions come back in one round trip. Which areas an operation reads comes from the types and
fields it selects, as the schema declares them.

**Time.** Some reads change with the clock rather than with a write (an upcoming list, which
an event leaves when it starts): the schema gives their fields a ``Clock``, and a response
reading them is kept only until its next tick. Everything else is kept for
``RESPONSE_CACHE_SECONDS`` at most (0 turns the cache off), a signed-in viewer's
``RESPONSE_CACHE_VIEWER_SECONDS`` at most.

**Where.** Django's default cache: Redis in production, shared by every process, and local
memory in the embedded default. A cache that fails is skipped: the request is executed.

The HTTP view calls :func:`lookup` once the document has passed its checks (a document it has
seen is neither parsed nor validated again, see ``documents.load_document``) and before
anything runs, and :func:`store` with the encoded response after executing a miss. Which
fields an operation selects is worked out once per document, schema and process, from the
parsed document, and remembered by the document's hash.
"""

import datetime
import hashlib
import json
import logging
import math
import weakref
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from graphql import (
    BREAK,
    BooleanValueNode,
    DocumentNode,
    GraphQLSchema,
    NullValueNode,
    ObjectValueNode,
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
from core.shared_cache import shared_cache

from .cache_policy import Caching, Clock, WhenArgument, field_policy, type_areas
from .documents import document_hash

logger = logging.getLogger(__name__)

# Documents whose policy a process remembers; more are analysed again when seen.
MAX_POLICIES = 2_000


@dataclass(frozen=True)
class Policy:
    """Whether a document's responses may be kept, what data they read, and their clocks."""

    cacheable: bool
    areas: frozenset[str] = frozenset()
    clocks: frozenset[Clock] = frozenset()
    reason: str = ""
    # Kept for anonymous viewers alone (a field declared so).
    anonymous_only: bool = False


@dataclass
class Lookup:
    """The outcome of :func:`lookup`: the kept response if there is one, and what
    :func:`store` needs to keep the response of a miss under the versions read before it was
    executed."""

    response: bytes | None = None
    storable: bool = False
    schema_hash: str = ""
    document_hash: str = ""
    variables: dict | None = None
    operation_name: str | None = None
    language: str = ""
    # The signed-in viewer's id; None for anyone signed out.
    viewer_id: int | None = None
    versions: dict[str, int] = field(default_factory=dict)
    policy: Policy | None = None
    looked_up_at: datetime.datetime | None = None


# Policies by (schema's hash, document's hash).
_policies: dict[tuple[str, str], Policy] = {}
# The hash of each schema served, worked out once.
_schema_hashes: weakref.WeakKeyDictionary[GraphQLSchema, str] = weakref.WeakKeyDictionary()


def enabled() -> bool:
    return settings.RESPONSE_CACHE_SECONDS > 0


def enabled_for(viewer) -> bool:
    """Whether answers are kept for ``viewer`` at all: anyone signed out while the cache is on,
    a signed-in viewer while their answers are kept too."""
    if not enabled():
        return False
    return not viewer.is_authenticated or settings.RESPONSE_CACHE_VIEWER_SECONDS > 0


def lookup(
    schema: GraphQLSchema,
    document: DocumentNode,
    document_hash: str,
    variables,
    operation_name,
    language: str,
    viewer,
) -> Lookup:
    """The kept response of this operation of ``schema`` for this viewer (the request's, whose
    credentials were checked), if any.

    ``document`` is the parsed, valid document whose SHA-256 is ``document_hash``; what it
    reads is analysed once per process (:func:`policy_for`). Costs one round trip to the
    cache: the response kept for the operation and the current versions of the areas it
    reads. A kept response is served only if it was computed from exactly those areas, each
    at its current version (a release that changes what a field reads, or whether it may be
    kept at all, refuses what was kept before it). A miss that may be stored carries the
    versions read now, before the operation is executed (see :func:`store`)."""
    if not enabled_for(viewer):
        return Lookup()
    schema_hash = _schema_hash(schema)
    policy = policy_for(document_hash, schema, document)
    if not policy.cacheable or (policy.anonymous_only and viewer.is_authenticated):
        return Lookup()
    read = Lookup(
        storable=True,
        schema_hash=schema_hash,
        document_hash=document_hash,
        variables=variables,
        operation_name=operation_name,
        language=language,
        viewer_id=viewer.pk if viewer.is_authenticated else None,
        policy=policy,
        looked_up_at=timezone.now(),
    )
    key = _key(read)
    areas = policy.areas
    if read.viewer_id is not None:
        areas = areas | {data_versions.viewer_area(read.viewer_id)}
    try:
        read.versions, found = data_versions.current_with(areas, key)
    except Exception:
        logger.warning("Response cache unavailable; executing.", exc_info=True)
        return Lookup()
    kept = found.get(key)
    if isinstance(kept, tuple) and len(kept) == 2:
        versions, response = kept
        # Kept while it read what the operation reads now, each area at the version it was
        # computed under.
        if isinstance(versions, dict) and versions == read.versions:
            read.response = response
    return read


def store(read: Lookup, response: bytes) -> bool:
    """Keep ``response`` (the encoded answer, without errors, of the miss ``read``) when its
    operation may be kept; whether it was."""
    if not read.storable:
        return False
    policy = read.policy  # set, and cacheable, on every storable lookup
    if policy is None:
        return False
    try:
        timeout = _timeout(policy, read.looked_up_at, signed_in=read.viewer_id is not None)
        if timeout > 0:
            # The versions looked up are those of the policy's areas, read before executing.
            shared_cache().set(_key(read), (read.versions, response), timeout)
            return True
    except Exception:
        logger.warning("Response cache unavailable; not storing.", exc_info=True)
    return False


def policy_for(document_hash: str, schema: GraphQLSchema, document: DocumentNode) -> Policy:
    """The document's policy, analysed once per process and schema."""
    key = (_schema_hash(schema), document_hash)
    policy = _policies.get(key)
    if policy is None:
        policy = analyse(schema, document)
        if len(_policies) >= MAX_POLICIES:
            _policies.clear()
        _policies[key] = policy
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
    return Policy(
        True, frozenset(reads.areas), frozenset(reads.clocks), anonymous_only=reads.anonymous_only
    )


class _Reads(Visitor):
    """Collects the areas and clocks of the fields a document selects, or why it may not be
    kept."""

    def __init__(self, type_info: TypeInfo):
        super().__init__()
        self.type_info = type_info
        self.areas: set[str] = set()
        self.clocks: set[Clock] = set()
        self.reason = ""
        self.anonymous_only = False

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
        definition = self.type_info.get_field_def()
        name = node.name.value
        if parent is None or definition is None:
            return self.refuse(f"unknown field {name}")
        if name.startswith("__") or parent.name.startswith("__"):
            return None  # introspection and __typename: the schema's, whose hash is in the key
        policy = field_policy(definition)
        if policy is not None and policy.caching is Caching.VIEWER:
            return self.refuse(f"{parent.name}.{name} depends on the viewer")
        if policy is None or policy.caching not in (Caching.PUBLIC, Caching.OWN):
            return self.refuse(f"{parent.name}.{name} is not a public read")
        self.anonymous_only |= policy.anonymous_only
        returned = get_named_type(self.type_info.get_type())
        self.areas |= type_areas(parent) | policy.areas | type_areas(returned)
        if isinstance(policy.clock, WhenArgument):
            if _may_be_given(node.arguments, policy.clock.path.split(".")):
                self.clocks.add(policy.clock.clock)
        elif policy.clock is not None:
            self.clocks.add(policy.clock)
        return None


def _may_be_given(arguments, path: list[str]) -> bool:
    """Whether the argument at ``path`` (into input objects) may have a value other than false
    or null: given so in the document, or given by a variable, which the policy of a document
    does not know."""
    name, rest = path[0], path[1:]
    node = next((argument for argument in arguments if argument.name.value == name), None)
    if node is None:
        return False
    value = node.value
    if isinstance(value, NullValueNode) or (
        isinstance(value, BooleanValueNode) and not value.value
    ):
        return False
    if rest and isinstance(value, ObjectValueNode):
        return _may_be_given(value.fields, rest)
    return True


def _schema_hash(schema: GraphQLSchema) -> str:
    """A hash of the schema served, so that a deploy changing it makes old responses
    unreachable."""
    digest = _schema_hashes.get(schema)
    if digest is None:
        digest = _schema_hashes[schema] = document_hash(print_schema(schema))[:16]
    return digest


def _key(read: Lookup) -> str:
    parts = [
        read.schema_hash,
        read.document_hash,
        json.dumps(read.variables or {}, sort_keys=True, separators=(",", ":")),
        read.operation_name or "",
        read.language,
    ]
    if read.viewer_id is not None:
        parts.append(f"viewer {read.viewer_id}")
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    # v2: the value is (versions, response). Another prefix than the bare response's of
    # earlier releases, which processes of both may share during a rolling deploy. A signed-in
    # viewer's answers have a prefix of their own too.
    if read.viewer_id is not None:
        return f"response:viewer:v1:{digest}"
    return f"response:v2:{digest}"


def _timeout(policy: Policy, since: datetime.datetime, signed_in: bool = False) -> int:
    """Seconds a response may be kept: the setting, or less, until its clocks next tick after
    ``since`` (when it was looked up, so before it was computed)."""
    timeout = settings.RESPONSE_CACHE_SECONDS
    if signed_in:
        timeout = min(timeout, settings.RESPONSE_CACHE_VIEWER_SECONDS)
    now = timezone.now()
    for clock in policy.clocks:
        moment = clock.next_tick(since)
        if moment is not None:
            timeout = min(timeout, math.floor((moment - now).total_seconds()))
    return timeout
