"""What a field costs to resolve, declared on the schema's fields for the cost limit.

The cost of an operation (``documents.operation_cost``) counts what its execution does: each
field resolved once per object it is resolved on, and each list multiplying what is below it
by how many items it can hold. A connection holds its page (``first``/``last``); any other
list holds what its ``FieldCost.size`` declares, the most items it can have for one parent.
A field that runs a database query of its own (a list's page, ``totalCount``, a resolver that
reads per parent) weighs more than 1, and more again with arguments that make its query dear
(a text search).

The costs of a schema's fields are declared in one table of the API (``schema.costs``) and
attached here to the graphql-core fields they concern, in their ``extensions``: the cost
model reads them there, knowing no domain. Declaring them refuses the start-up when an entry
names no field, or when a list of the schema has no size: a new list cannot slip in
uncounted.
"""

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from graphql import GraphQLList, GraphQLObjectType, GraphQLSchema, get_nullable_type

__all__ = [
    "ITEM_WEIGHT",
    "FieldCost",
    "declare_costs",
    "field_cost",
    "is_connection",
    "is_object_item",
    "unsized_lists",
]

EXTENSION = "cost"
# What each object of a list costs besides its fields: the row read for it and the model made
# of it, about 30 to 50 µs against 6 to 10 µs for a field resolved (bench/documents.py). A
# connection's edge stands for its node's row.
ITEM_WEIGHT = 4


def is_object_item(type_) -> bool:
    """Whether a list of ``type_`` holds objects (rows, or the edges standing for them)."""
    return isinstance(type_, GraphQLObjectType)


@dataclass(frozen=True)
class FieldCost:
    """The cost of one field.

    ``weight`` is what resolving it once costs (1: a value at hand; more: a query of its
    own). ``size`` is the most items a list that takes no page size holds for one parent;
    ``item`` what each of its objects costs besides its fields, when it is not
    ``ITEM_WEIGHT`` (an object made of several rows).
    ``arguments`` adds to the weight of each query the field runs when one of them is given
    (``(name, weight)`` pairs, a name a dotted path into an input object:
    ``"filter.search"``). ``per_query`` makes the field
    weigh one query of the list it belongs to, arguments included (``totalCount``, which
    runs the list's filters again as a COUNT).
    """

    weight: int = 1
    size: int | None = None
    item: int | None = None
    arguments: tuple[tuple[str, int], ...] = ()
    per_query: bool = False


DEFAULT = FieldCost()


def field_cost(definition) -> FieldCost:
    """The declared cost of a graphql-core field (1, and no size, when none is declared)."""
    extensions = getattr(definition, "extensions", None)
    return (extensions or {}).get(EXTENSION, DEFAULT)


def is_connection(type_) -> bool:
    """Whether an object type is a Relay connection: its ``edges`` hold its page."""
    return isinstance(type_, GraphQLObjectType) and {"edges", "pageInfo"} <= type_.fields.keys()


def is_paged(definition) -> bool:
    return bool({"first", "last"} & definition.args.keys())


def unsized_lists(schema: GraphQLSchema) -> list[str]:
    """``Type.field`` of every list of the schema whose size the cost cannot tell: not a
    connection's edges, taking no page size, and with no ``size`` declared."""
    missing = []
    for name, type_ in schema.type_map.items():
        if name.startswith("__") or not isinstance(type_, GraphQLObjectType):
            continue
        for field_name, definition in type_.fields.items():
            if not isinstance(get_nullable_type(definition.type), GraphQLList):
                continue
            if field_name == "edges" and is_connection(type_):
                continue
            if is_paged(definition) or field_cost(definition).size is not None:
                continue
            missing.append(f"{name}.{field_name}")
    return sorted(missing)


def declare_costs(schema: GraphQLSchema, costs: dict[str, FieldCost]) -> None:
    """Attach ``costs`` to the fields of ``schema``. A key is ``"Type.field"``, or
    ``"*.field"`` for that field of every type that has one (``*.totalCount``). Refuses
    the start-up when a key names no field, or when a list is left without a size."""
    unknown = []
    for key, cost in costs.items():
        type_name, field_name = key.split(".", 1)
        if type_name == "*":
            targets = [
                type_.fields[field_name]
                for name, type_ in schema.type_map.items()
                if not name.startswith("__")
                and isinstance(type_, GraphQLObjectType)
                and field_name in type_.fields
            ]
        else:
            type_ = schema.type_map.get(type_name)
            fields = getattr(type_, "fields", {})
            targets = [fields[field_name]] if field_name in fields else []
        if not targets:
            unknown.append(key)
        for definition in targets:
            definition.extensions = {**(definition.extensions or {}), EXTENSION: cost}
    if unknown:
        raise ImproperlyConfigured(f"Costs declared for fields that do not exist: {unknown}")
    missing = unsized_lists(schema)
    if missing:
        raise ImproperlyConfigured(
            f"Lists without a declared size (schema.costs): {missing}. Declare the most "
            "items each can hold for one parent, so that the cost limit counts them."
        )
