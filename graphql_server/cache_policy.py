"""What the response cache may keep of a schema's reads, declared by the schema next to its types.

The response cache (``response_cache``) keeps the whole answer of an anonymous query when every
field it selects is a public read, and files it under the versions of the data those fields
show (``core.data_versions``). It knows no schema: each type of the schema says, of each of its
fields, which of three it is.

- **Public**: the same for every viewer, showing the data of the type's ``areas`` and of the
  type it returns, and of the field's own ``also_reads`` (a filter on another table, a list
  read through another one). A field whose answer changes with the clock rather than with a
  write (an upcoming list, which an event leaves when it starts) names its ``Clock``: a kept
  answer lasts until the clock's next tick.
- **The viewer's own**: the viewer's own rows that their version covers (what they follow and
  answered, their roles and rights: ``core.data_versions.viewer_area``), such as their RSVP of
  an event, plus the areas it names (``also_reads``). Kept for that viewer alone, as every
  answer to a signed-in viewer is; signed out, it is the same for every anonymous viewer.
- **The viewer's**: an operation selecting it is never kept (``me``, an event's history).
- **Not cached**: an operation selecting it is never kept either, for reads not worth keeping
  or not versioned (a chat's history, a mutation's payload).

A public field may show a signed-in viewer more than an anonymous one (an office's drafts), or
other rows (the for-you feed), as long as what it reads of the viewer is under their version;
the response cache keeps a signed-in viewer's answers under it, for that viewer alone.

A type declares its public fields one by one, so that a field added later is not kept before
its author has said what it reads: ``tests/schema/test_caching.py`` fails while any field
of the schema is not declared. A type that is wholly the viewer's, or wholly not cached, may
say so for every field at once (``ALL_FIELDS``). Several declarations may share a type (each
domain declares its own fields of ``Query``), never a field.

The declarations are attached to the schema's graphql-core types and fields, in their
``extensions``, by ``declare_cache_policies``; the response cache reads them there.
"""

import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from django.core.exceptions import ImproperlyConfigured
from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema

__all__ = [
    "ALL_FIELDS",
    "Caching",
    "Clock",
    "FieldPolicy",
    "TypePolicy",
    "WhenArgument",
    "cache_policy",
    "declare_cache_policies",
    "field_policy",
    "type_areas",
    "unclassified",
]

EXTENSION = "response_cache"
# Every field of a type, present and future: for types wholly the viewer's or not cached.
ALL_FIELDS = "__all__"


class Caching(Enum):
    PUBLIC = "public"
    OWN = "the viewer's own"
    VIEWER = "viewer"
    NOT_CACHED = "not cached"


@dataclass(frozen=True)
class Clock:
    """Reads that change with time rather than with a write. ``next_tick(since)`` is the first
    moment after ``since`` when they change by themselves (None: none is known), given by the
    schema, which asks its domain."""

    name: str
    next_tick: Callable[[datetime.datetime], datetime.datetime | None] = field(compare=False)


@dataclass(frozen=True)
class WhenArgument:
    """A clock followed only when the field is given an argument: ``path`` names it, dotted
    into an input object (``filter.upcoming``). Without its value in the document (an
    argument or an input object given as a variable), the clock is followed, to be safe;
    given false or null, it is not."""

    path: str
    clock: Clock


@dataclass(frozen=True)
class FieldPolicy:
    """How the response cache treats one field: see the module."""

    caching: Caching
    areas: frozenset[str] = frozenset()
    clock: Clock | WhenArgument | None = None
    # Kept for anonymous viewers only: what it shows a signed-in viewer reads rows of theirs
    # that their version does not cover.
    anonymous_only: bool = False


@dataclass(frozen=True)
class TypePolicy:
    """The declared fields of one type (by GraphQL name): the data ``areas`` its fields show,
    each field's policy, and ``every_field``, the policy of all of them at once."""

    type_name: str
    areas: frozenset[str] = frozenset()
    fields: Mapping[str, FieldPolicy] = field(default_factory=dict)
    every_field: FieldPolicy | None = None


def _type_name(type_) -> str:
    """The GraphQL name of a graphene type, or the name itself."""
    if isinstance(type_, str):
        return type_
    return type_._meta.name


def cache_policy(
    type_,
    *,
    areas: Iterable[str] = (),
    public: Iterable[str] = (),
    also_reads: Mapping[str, Iterable[str]] | None = None,
    clocks: Mapping[str, Clock | WhenArgument] | None = None,
    own: Iterable[str] = (),
    anonymous_only: Iterable[str] = (),
    viewer: Iterable[str] | str = (),
    not_cached: Iterable[str] | str = (),
) -> TypePolicy:
    """The declaration of ``type_``'s fields (a graphene type, or a type's GraphQL name such as
    ``"Query"``), fields named as the schema names them (``startsAt``).

    ``public`` fields show the type's ``areas`` and what they return; ``also_reads`` and
    ``clocks`` add, for some of them, the other areas they read and the clock they follow
    (always, or ``WhenArgument`` says when).
    ``own`` fields are the viewer's own (``also_reads`` may name what else they read).
    ``anonymous_only`` names public fields kept for anonymous viewers alone.
    ``viewer`` and ``not_cached`` name the others, or are ``ALL_FIELDS``."""
    name = _type_name(type_)
    if public == ALL_FIELDS:
        raise ImproperlyConfigured(
            f"{name}: name public fields one by one, so that a new field is not kept before "
            "its author has said what it reads."
        )
    public, own = tuple(public), tuple(own)
    also_reads = {key: frozenset(value) for key, value in (also_reads or {}).items()}
    clocks = dict(clocks or {})
    if stray := (also_reads.keys() - set(public) - set(own)) | (clocks.keys() - set(public)):
        raise ImproperlyConfigured(f"{name}: {sorted(stray)} read more but are not public.")
    if twice := set(public) & set(own):
        raise ImproperlyConfigured(f"{name}: {sorted(twice)} are declared twice.")
    anonymous_only = frozenset(anonymous_only)
    if stray := anonymous_only - set(public):
        raise ImproperlyConfigured(f"{name}: {sorted(stray)} are kept for no one at all.")
    fields = {
        field_name: FieldPolicy(
            Caching.PUBLIC,
            also_reads.get(field_name, frozenset()),
            clocks.get(field_name),
            field_name in anonymous_only,
        )
        for field_name in public
    }
    fields.update(
        (field_name, FieldPolicy(Caching.OWN, also_reads.get(field_name, frozenset())))
        for field_name in own
    )
    every_field = None
    for names, caching in ((viewer, Caching.VIEWER), (not_cached, Caching.NOT_CACHED)):
        if names == ALL_FIELDS:
            every_field = FieldPolicy(caching)
            continue
        for field_name in names:
            if field_name in fields:
                raise ImproperlyConfigured(f"{name}.{field_name} is declared twice.")
            fields[field_name] = FieldPolicy(caching)
    if every_field is not None and fields:
        raise ImproperlyConfigured(f"{name}: ALL_FIELDS leaves no field to name.")
    return TypePolicy(name, frozenset(areas), fields, every_field)


def declare_cache_policies(schema: GraphQLSchema, policies: Iterable[TypePolicy]) -> None:
    """Attach ``policies`` to the types and fields of ``schema``; ImproperlyConfigured when one
    names a type or a field the schema does not have, or declares a field twice."""
    declared: dict[str, tuple[frozenset[str], dict[str, FieldPolicy]]] = {}
    for policy in policies:
        type_ = schema.type_map.get(policy.type_name)
        if not isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            raise ImproperlyConfigured(
                f"Cache policy declared for {policy.type_name}, which is no object type of "
                "the schema."
            )
        areas, fields = declared.get(policy.type_name, (frozenset(), {}))
        own = dict(policy.fields)
        if policy.every_field is not None:
            own.update(dict.fromkeys(type_.fields, policy.every_field))
        if unknown := own.keys() - type_.fields.keys():
            raise ImproperlyConfigured(
                f"Cache policy declared for fields of {policy.type_name} that do not exist: "
                f"{sorted(unknown)}"
            )
        if twice := own.keys() & fields.keys():
            raise ImproperlyConfigured(
                f"Cache policy declared twice for {policy.type_name}: {sorted(twice)}"
            )
        declared[policy.type_name] = (areas | policy.areas, {**fields, **own})
    for type_name, (areas, fields) in declared.items():
        type_ = schema.type_map[type_name]
        type_.extensions = {**(type_.extensions or {}), EXTENSION: areas}
        for field_name, policy in fields.items():
            definition = type_.fields[field_name]
            definition.extensions = {**(definition.extensions or {}), EXTENSION: policy}


def field_policy(definition) -> FieldPolicy | None:
    """The declared policy of a graphql-core field, None when it has none (not kept)."""
    return (getattr(definition, "extensions", None) or {}).get(EXTENSION)


def type_areas(type_) -> frozenset[str]:
    """The data areas a graphql-core type's fields show (none when not declared)."""
    return (getattr(type_, "extensions", None) or {}).get(EXTENSION, frozenset())


def unclassified(schema: GraphQLSchema) -> list[str]:
    """``Type.field`` of every field of the schema's object types and interfaces that has no
    declared policy."""
    return sorted(
        f"{name}.{field_name}"
        for name, type_ in schema.type_map.items()
        if not name.startswith("__") and isinstance(type_, GraphQLObjectType | GraphQLInterfaceType)
        for field_name, definition in type_.fields.items()
        if field_policy(definition) is None
    )
