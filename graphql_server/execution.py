"""A leaner execution of queries over HTTP: the same results as graphql-core's, at a fraction of
its cost per field.

graphql-core executes every field of every object through the same general path: it looks the
field's definition up, builds a ``GraphQLResolveInfo``, coerces arguments, calls the resolver
(graphene's default one is a ``getattr`` behind two function calls), asks whether the result is
awaitable, then walks ``complete_value``'s chain of type checks, and for every object calls its
type's ``is_type_of`` (graphene-django's checks the model class). A page of 100 events of the
feed is some 1,600 such fields, and that walk cost more than fetching the page and building its
model instances (see bench/feed.py's ``--profile``).

:class:`PlannedExecutionContext` does that work once per selection set instead of once per
field and object: for each selection set and parent type it keeps a plan of its fields (the
definition, the resolver, and how to complete the value), and then per object:

- a field whose resolver is graphene's default reads the attribute directly (translated model
  fields read the request's language, looked up once per execution rather than per field), and
  the relay ``id`` of a Django type is encoded from the primary key without an ``info``;
- a leaf value is serialized by its type straight away (enum values through a small memo);
- an object value whose class was already accepted by graphene-django's ``is_type_of`` (which
  depends on the class only) is not checked again;
- lists of objects are completed in one loop.

Anything off that happy path (a null where the schema forbids one, a value a scalar cannot
serialize, an abstract type, an awaitable, a non-list iterable) is handed to graphql-core's own
methods, so errors, their paths and their messages are graphql-core's. Resolvers written in the
schema are called as before, with a real ``info``, and so are root fields and fields taking
arguments.

**Middleware** wraps every resolver, and a plan reads around it; so fields are planned only
when every middleware declares ``PLAIN_FIELDS_UNTOUCHED = True``: that for a field below the
root, without arguments, resolved by graphene's default resolver, it does nothing but call the
resolver, unless the resolver raises or returns null for a non-null field. Those two cases are
handed to graphql-core with the middleware, which then sees them as before. With any other
middleware, every field takes graphql-core's path.
"""

from functools import partial

from graphene.relay.node import GlobalID
from graphene.types.resolver import attr_resolver, dict_or_attr_resolver, dict_resolver
from graphene_django import DjangoObjectType
from graphql import (
    ExecutionContext,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    located_error,
)
from graphql.execution.execute import get_field_def
from graphql.pyutils import Path, Undefined
from graphql.type import is_leaf_type

from core.i18n import current_language, translate

_DEFAULT_RESOLVERS = (dict_or_attr_resolver, attr_resolver, dict_resolver)
_DJANGO_IS_TYPE_OF = DjangoObjectType.is_type_of.__func__
_DJANGO_RESOLVE_ID = DjangoObjectType.resolve_id

# Value kinds a plan completes itself; everything else goes through graphql-core.
_LEAF, _OBJECT, _OBJECT_LIST, _OTHER = range(4)
# How an object type's is_type_of is treated: none to call, graphene-django's (whose answer
# depends on the class alone, so it is remembered per class), or another (always called, by
# graphql-core).
_NO_CHECK, _CLASS_CHECK, _OTHER_CHECK = range(3)
# Results that are certainly not awaitable.
_PLAIN = frozenset((str, int, float, bool, dict, list, type(None)))

# (object type, Python class) pairs graphene-django's is_type_of accepted; the schema's types
# live as long as the process, and so do model classes.
_ACCEPTED: set[tuple[GraphQLObjectType, type]] = set()
# One memoized serialize per enum type of the schema.
_ENUM_SERIALIZERS: dict[GraphQLEnumType, object] = {}


class _FieldPlan:
    """How to execute one field of a selection set on objects of one parent type."""

    __slots__ = (
        "check",
        "field_def",
        "field_nodes",
        "getter",
        "item_type",
        "kind",
        "name",
        "non_null",
        "object_type",
        "return_type",
        "serialize",
        "subfields",
    )


def _unwrap(type_):
    if isinstance(type_, GraphQLNonNull):
        return type_.of_type, True
    return type_, False


def _default_attribute(resolve):
    """The attribute graphene's default resolver reads and that resolver, or (None, None)."""
    if (
        isinstance(resolve, partial)
        and resolve.func in _DEFAULT_RESOLVERS
        and not resolve.keywords
        and len(resolve.args) == 2
        and resolve.args[1] is None
    ):
        return resolve.args[0], resolve.func
    return None, None


def _type_check(object_type: GraphQLObjectType) -> int:
    is_type_of = object_type.is_type_of
    if is_type_of is None:
        return _NO_CHECK
    if getattr(is_type_of, "__func__", None) is _DJANGO_IS_TYPE_OF:
        return _CLASS_CHECK
    return _OTHER_CHECK


def _enum_serializer(enum_type: GraphQLEnumType):
    """The enum's serialize, memoized per value: an enum has a handful of values, and
    graphene's serialize looks each one up through the Python enum every time."""
    serializer = _ENUM_SERIALIZERS.get(enum_type)
    if serializer is None:
        serializer = _ENUM_SERIALIZERS[enum_type] = _memoized_serializer(enum_type)
    return serializer


def _memoized_serializer(enum_type: GraphQLEnumType):
    memo: dict = {}
    serialize = enum_type.serialize

    def serialize_memoized(value):
        key = (type(value), value)
        try:
            return memo[key]
        except KeyError:
            pass
        except TypeError:  # unhashable: not one of the enum's values
            return serialize(value)
        serialized = serialize(value)
        if serialized is not None and serialized is not Undefined and len(memo) < 256:
            memo[key] = serialized
        return serialized

    return serialize_memoized


class PlannedExecutionContext(ExecutionContext):
    """graphql-core's ExecutionContext with per-selection-set plans (see the module's
    docstring). Pass it as ``execution_context_class``; results and errors are unchanged."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[GraphQLObjectType, int], tuple[dict, list[_FieldPlan]]] = {}
        self._language = current_language()
        manager = self.middleware_manager
        self._planning = manager is None or all(
            getattr(middleware, "PLAIN_FIELDS_UNTOUCHED", False)
            for middleware in manager.middlewares
        )
        schema = self.schema
        self._roots = {schema.query_type, schema.mutation_type, schema.subscription_type}

    # --- Plans ------------------------------------------------------------------------------

    def _plan(self, parent_type: GraphQLObjectType, fields: dict) -> list[_FieldPlan]:
        key = (parent_type, id(fields))
        cached = self._plans.get(key)
        if cached is not None and cached[0] is fields:
            return cached[1]
        plan = [self._plan_field(parent_type, name, nodes) for name, nodes in fields.items()]
        # The fields dict is kept with its plan, so its id cannot be reused meanwhile.
        self._plans[key] = (fields, plan)
        return plan

    def _plan_field(self, parent_type, name: str, field_nodes) -> _FieldPlan:
        entry = _FieldPlan()
        entry.name = name
        entry.field_nodes = field_nodes
        entry.field_def = field_def = get_field_def(self.schema, parent_type, field_nodes[0])
        entry.getter = None
        entry.kind = _OTHER
        entry.subfields = None
        if field_def is None or not self._planning or field_def.args or parent_type in self._roots:
            return entry
        entry.return_type = field_def.type
        entry.getter = self._getter(parent_type, field_def.resolve or self.field_resolver)
        if entry.getter is None:
            return entry
        named, entry.non_null = _unwrap(field_def.type)
        if is_leaf_type(named):
            entry.kind = _LEAF
            if isinstance(named, GraphQLEnumType):
                entry.serialize = _enum_serializer(named)
            else:
                entry.serialize = named.serialize
        elif isinstance(named, GraphQLObjectType):
            entry.kind = _OBJECT
            entry.object_type = named
            entry.check = _type_check(named)
        elif isinstance(named, GraphQLList):
            item, _ = _unwrap(named.of_type)
            if isinstance(item, GraphQLObjectType):
                entry.kind = _OBJECT_LIST
                entry.object_type = item
                entry.item_type = named.of_type
                entry.check = _type_check(item)
        return entry

    def _getter(self, parent_type: GraphQLObjectType, resolve):
        """A one-argument function returning what ``resolve`` would, for resolvers that need
        no ``info``: graphene's default resolver, and the relay ``id`` of a Django type."""
        graphene_type = getattr(parent_type, "graphene_type", None)
        model = None
        if isinstance(graphene_type, type) and issubclass(graphene_type, DjangoObjectType):
            model = graphene_type._meta.model
        attribute, function = _default_attribute(resolve)
        if attribute is not None:
            if model is not None and attribute in getattr(model._meta, "translated_fields", ()):
                language = self._language
                return lambda source: translate(source, attribute, language)
            if function is attr_resolver or model is not None:
                # A Django type's objects are model instances: its is_type_of insists on it.
                return lambda source: getattr(source, attribute, None)
            if function is dict_or_attr_resolver:
                return lambda source: (
                    source.get(attribute)
                    if isinstance(source, dict)
                    else getattr(source, attribute, None)
                )
            return None
        if (
            model is not None
            and isinstance(resolve, partial)
            and resolve.func is GlobalID.id_resolver
            and resolve.args[0] is _DJANGO_RESOLVE_ID
            and not resolve.keywords.keys() - {"parent_type_name"}
        ):
            node = resolve.args[1]
            type_name = resolve.keywords.get("parent_type_name") or parent_type.name
            return lambda source: node.to_global_id(type_name, source.pk)
        return None

    # --- Execution --------------------------------------------------------------------------

    def execute_fields(self, parent_type, source_value, path, fields):
        results = {}
        awaitable = None
        for entry in self._plan(parent_type, fields):
            if entry.getter is None:
                result = self.execute_field(
                    parent_type,
                    source_value,
                    entry.field_nodes,
                    Path(path, entry.name, parent_type.name),
                )
                if result is Undefined:
                    continue
            else:
                result = self._execute_planned(entry, parent_type, source_value, path)
            results[entry.name] = result
            if type(result) not in _PLAIN and self.is_awaitable(result):
                awaitable = [*(awaitable or ()), entry.name]
        if awaitable:
            return self._gather(results, awaitable)
        return results

    @staticmethod
    def _gather(results: dict, names: list[str]):
        """As graphql-core does: a coroutine of the results with the awaitables awaited."""
        from asyncio import gather

        async def get_results():
            values = await gather(*(results[name] for name in names))
            results.update(zip(names, values, strict=True))
            return results

        return get_results()

    def _accepts(self, entry: _FieldPlan, value) -> bool:
        """Whether ``value`` may be completed as the plan's object type without graphql-core:
        no check, or graphene-django's check passed for its class (now or before)."""
        if entry.check == _NO_CHECK:
            return True
        if entry.check != _CLASS_CHECK:
            return False
        key = (entry.object_type, type(value))
        if key in _ACCEPTED:
            return True
        try:
            accepted = entry.object_type.is_type_of(value, None) is True
        except Exception:
            return False  # graphql-core reports it
        if accepted:
            _ACCEPTED.add(key)
        return accepted

    def _execute_planned(self, entry: _FieldPlan, parent_type, source, path):
        try:
            result = entry.getter(source)
        except Exception:
            # The general path calls the resolver again and reports the error its way.
            return self.execute_field(
                parent_type, source, entry.field_nodes, Path(path, entry.name, parent_type.name)
            )
        kind = entry.kind
        if result is None:
            if not entry.non_null:
                return None
            # A null where the schema forbids one: the general path resolves the field again,
            # through the middleware, which sees the null as it would have.
            return self.execute_field(
                parent_type, source, entry.field_nodes, Path(path, entry.name, parent_type.name)
            )
        if kind == _LEAF:
            try:
                serialized = entry.serialize(result)
            except Exception:
                serialized = None  # graphql-core serializes again and reports the error
            if serialized is not None and serialized is not Undefined:
                return serialized
        elif kind == _OBJECT:
            if self._accepts(entry, result):
                field_path = Path(path, entry.name, parent_type.name)
                try:
                    return self.execute_fields(
                        entry.object_type, result, field_path, self._subfields(entry)
                    )
                except Exception as raw_error:
                    return self._field_error(raw_error, entry, field_path)
        elif (
            kind == _OBJECT_LIST
            and type(result) in (list, tuple)
            and all(item is not None and self._accepts(entry, item) for item in result)
        ):
            return self._complete_objects(entry, result, Path(path, entry.name, parent_type.name))
        return self._complete_generally(entry, parent_type, source, path, result)

    def _complete_objects(self, entry: _FieldPlan, items, field_path):
        """A list of accepted objects, each completed as ``complete_list_value`` would: an
        error in one nulls that item (or, for non-null items, the list)."""
        object_type, subfields = entry.object_type, self._subfields(entry)
        completed = []
        append = completed.append
        try:
            for index, item in enumerate(items):
                item_path = field_path.add_key(index, None)
                try:
                    append(self.execute_fields(object_type, item, item_path, subfields))
                except Exception as raw_error:
                    error = located_error(raw_error, entry.field_nodes, item_path.as_list())
                    self.handle_field_error(error, entry.item_type, item_path)
                    append(None)
        except Exception as raw_error:
            return self._field_error(raw_error, entry, field_path)
        return completed

    def _complete_generally(self, entry: _FieldPlan, parent_type, source, path, result):
        """graphql-core's completion of a resolved value, with its errors."""
        field_path = Path(path, entry.name, parent_type.name)
        if self.is_awaitable(result):
            # No resolver of this app's does it over HTTP; graphql-core awaits properly.
            return self.execute_field(parent_type, source, entry.field_nodes, field_path)
        info = self.build_resolve_info(entry.field_def, entry.field_nodes, parent_type, field_path)
        try:
            return self.complete_value(
                entry.return_type, entry.field_nodes, info, field_path, result
            )
        except Exception as raw_error:
            return self._field_error(raw_error, entry, field_path)

    def _field_error(self, raw_error, entry: _FieldPlan, field_path):
        error = located_error(raw_error, entry.field_nodes, field_path.as_list())
        self.handle_field_error(error, entry.return_type, field_path)
        return None

    def _subfields(self, entry: _FieldPlan) -> dict:
        if entry.subfields is None:
            entry.subfields = self.collect_subfields(entry.object_type, entry.field_nodes)
        return entry.subfields
