"""GraphQL documents: parsed, checked against the API's limits, validated, cached, and costed.

Both transports turn a client's text into an operation here, through ``prepare_operation``,
so every limit holds whichever way a document arrives; a transport adds only its own refusals
of the operation selected (HTTP's: a mutation over GET, a subscription).

A new document is parsed (the parser stops at the token limit), measured against the limits
(``document_limits.check_limits``: cheap, linear, and run first because they bound what the
standard rules cost), then validated by all of graphql-core's ``specified_rules``
(graphene-django's ``validation_rules`` option would have replaced them instead, letting
unknown fields through). The outcome depends only on the text and the limits, so it is kept:
a valid document in the document cache, a refused one, with the errors it was answered, in the
cache of refusals, so that sending it again costs neither parsing nor validation. The size of
the variables and the cost, which multiplies by page sizes that may come in variables, are
checked for every request.
"""

import functools
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_noop
from graphene_django.settings import graphene_settings
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    SourceLocation,
    StringValueNode,
    Undefined,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule, OverlappingFieldsCanBeMergedRule

from .cost_model import ITEM_WEIGHT, field_cost, is_object_item, is_paged
from .document_limits import (
    DocumentError,
    DocumentErrorCode,
    DocumentLimits,
    check_limits,
    coded,
)

__all__ = [
    "DocumentError",
    "DocumentErrorCode",
    "DocumentLimits",
    "check_cost",
    "check_variables",
    "document_cache",
    "document_hash",
    "load_document",
    "operation_costs",
    "prepare_operation",
    "refused_documents",
    "select_operation",
]


def document_hash(query: str) -> str:
    """The SHA-256 of a document's text, hex: the key of both caches (and of APQ)."""
    return hashlib.sha256(query.encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Parsing and validation
# ---------------------------------------------------------------------------------------------
def parse_document(query: str, limits: DocumentLimits) -> DocumentNode:
    """``query`` parsed, or DocumentError (GRAPHQL_PARSE_FAILED, TOO_MANY_TOKENS).

    The token limit stops the parser itself, so a huge document costs no more than the limit.
    """
    try:
        return parse(query, max_tokens=limits.max_tokens or None)
    except GraphQLError as error:
        code = DocumentErrorCode.GRAPHQL_PARSE_FAILED
        # graphql-core's own wording for its max_tokens abort.
        if limits.max_tokens and "tokens. Parsing aborted" in error.message:
            code = DocumentErrorCode.TOO_MANY_TOKENS
        error.extensions = {**(error.extensions or {}), "code": code.value}
        raise DocumentError([error]) from None


def validate_document(
    schema: GraphQLSchema, document: DocumentNode, limits: DocumentLimits
) -> list[GraphQLError]:
    """Every error of ``document`` against the standard rules, each coded. Run it on a
    document within the limits (``check_limits``): they bound its cost."""
    errors = validate(
        schema,
        document,
        validation_rules(limits),
        max_errors=graphene_settings.MAX_VALIDATION_ERRORS,
        hide_suggestions=not limits.field_suggestions,
    )
    for error in errors:
        if not (error.extensions or {}).get("code"):
            error.extensions = {
                **(error.extensions or {}),
                "code": DocumentErrorCode.GRAPHQL_VALIDATION_FAILED.value,
            }
    return errors


@functools.cache
def validation_rules(limits: DocumentLimits) -> tuple[type[ValidationRule], ...]:
    """graphql-core's standard rules, field merging within the comparison budget, and no
    introspection unless allowed."""
    budgeted = type(
        "BudgetedOverlappingFieldsRule",
        (BudgetedOverlappingFieldsRule,),
        {"comparisons": limits.max_field_comparisons},
    )
    rules = [
        budgeted if rule is OverlappingFieldsCanBeMergedRule else rule for rule in specified_rules
    ]
    if not limits.introspection:
        rules.append(IntrospectionDisabledRule)
    return tuple(rules)


class BudgetedOverlappingFieldsRule(OverlappingFieldsCanBeMergedRule):
    """graphql-core's rule that fields of the same response name can be merged, with its
    budget of comparisons set by ``GRAPHQL_MAX_FIELD_COMPARISONS`` and its abort coded.

    The limits checked before validation bound the comparisons within a selection set and
    between the fragments spread in it; what they cannot bound cheaply is the comparison of
    the sub-selections of repeated fields, which repeats at every level where fields repeat
    (twenty copies of a field, each with twenty copies of another, are 160,000 units of
    work). graphql-core meters that work and aborts past a budget of 500,000 units (about a
    quarter of a second here); this lowers it to what a document of the app, which repeats
    a field at one place at most a few times, never comes near. 0 keeps graphql-core's own.
    """

    comparisons: int

    def __init__(self, context):
        super().__init__(context)
        if self.comparisons:
            # graphql-core charges two units for each comparison of two fields.
            self.rule_context.remaining_complexity_budget = 2 * self.comparisons

    def enter_selection_set(self, *args):
        try:
            return super().enter_selection_set(*args)
        except GraphQLError as error:
            if self.rule_context.remaining_complexity_budget >= 0:
                raise
            limit = f" (more than {self.comparisons:,} comparisons)" if self.comparisons else ""
            # The same class, which ``validate`` catches to end the validation.
            raise type(error)(
                "The document repeats fields at the same place too often to check that they "
                f"can be merged{limit}. Ask for each field once where it is needed.",
                extensions={"code": DocumentErrorCode.TOO_MANY_FIELD_COMPARISONS.value},
            ) from None


class IntrospectionDisabledRule(NoSchemaIntrospectionCustomRule):
    """graphql-core's rule against ``__schema`` and ``__type``, its errors coded."""

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {"code": DocumentErrorCode.INTROSPECTION_DISABLED.value}
        super().report_error(error)


# ---------------------------------------------------------------------------------------------
# The caches: valid documents, and refused ones
# ---------------------------------------------------------------------------------------------
class _DocumentLru:
    """Entries per document, least recently used first out: at most ``size_setting`` of them,
    and, when the class weighs its entries, at most ``megabytes_setting`` MB of them.

    Keyed by the schema, the document's SHA-256 and the limits it was checked under (the
    settings may change between tests, and a document valid under one set is not under
    another).
    """

    size_setting: str
    megabytes_setting: str | None = None

    def __init__(self):
        self._entries: OrderedDict = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def weigh(self, value) -> int:
        """An estimate of the bytes ``value`` holds (0: not weighed)."""
        return 0

    def get(self, schema: GraphQLSchema, query_hash: str, limits: DocumentLimits):
        key = (id(schema), query_hash, limits)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] is not schema:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, schema, query_hash: str, limits: DocumentLimits, value) -> None:
        size = getattr(settings, self.size_setting)
        budget = getattr(settings, self.megabytes_setting) * 2**20 if self.megabytes_setting else 0
        weight = self.weigh(value) if budget else 0
        if size <= 0 or weight > budget > 0:
            return
        key = (id(schema), query_hash, limits)
        with self._lock:
            if key in self._entries:
                self._weight -= self._entries[key][2]
            self._entries[key] = (schema, value, weight)
            self._entries.move_to_end(key)
            self._weight += weight
            while len(self._entries) > size or (budget and self._weight > budget):
                self._weight -= self._entries.popitem(last=False)[1][2]

    @property
    def weight(self) -> int:
        """The estimated bytes of the entries kept."""
        return self._weight

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._weight = 0


class DocumentCache(_DocumentLru):
    """Parsed and validated documents: ``GRAPHQL_DOCUMENT_CACHE_SIZE`` of them at most, and
    at most ``GRAPHQL_DOCUMENT_CACHE_MB`` of them.

    Only valid documents are kept here: garbage cannot push the app's real operations out. A
    cached DocumentNode is shared by every request that runs it; execution never changes it.

    A parsed document is large: graphql-core keeps a node, a location and a token for about
    every token of the text, some 600 bytes a token (measured with tracemalloc: 617 KiB for a
    document of 1,000 tokens), and the text itself. Counted in documents only, a client
    sending new valid documents of the largest size would make each process hold 1,000 of
    them, over 600 MB; weighed, the cache keeps what fits (the app's own documents, a few
    dozen of at most a few hundred tokens, take a few MB).
    """

    size_setting = "GRAPHQL_DOCUMENT_CACHE_SIZE"
    megabytes_setting = "GRAPHQL_DOCUMENT_CACHE_MB"
    BYTES_PER_TOKEN = 600

    def weigh(self, document: DocumentNode) -> int:
        return self.BYTES_PER_TOKEN * document_tokens(document) + len(
            document.loc.source.body if document.loc else ""
        )


def document_tokens(document: DocumentNode) -> int:
    """How many tokens a parsed document holds (comments included): its tokens stay linked to
    each other from its first to its last, and every node's location points into them."""
    count, token = 0, document.loc.start_token if document.loc else None
    while token is not None:
        count, token = count + 1, token.next
    return count


class RefusedDocuments(_DocumentLru):
    """Documents that failed parsing, a limit or validation, each with the errors it was
    answered in each language it was sent in, a ``Refusal`` by language code
    (``GRAPHQL_REFUSED_DOCUMENT_CACHE_SIZE`` documents).

    Refusing a document again costs a lookup instead of parsing and validating it again:
    a client (or an attacker) repeating a document that took milliseconds to refuse is
    answered in microseconds. Kept apart from the valid documents, so that any number of
    refused ones cannot evict those, and each entry is a ``Refusal`` of bounded size rather
    than the document or its errors as graphql-core made them (which hold the AST).
    """

    size_setting = "GRAPHQL_REFUSED_DOCUMENT_CACHE_SIZE"


@dataclass(frozen=True)
class Refusal:
    """The errors a document was refused with, as the client was answered: message,
    locations and extensions of at most ``MAX_ERRORS`` errors, each message at most
    ``MAX_MESSAGE`` characters and ``MAX_LOCATIONS`` locations, so that an entry stays
    under about 10 KB whatever the document held (its text, a name of 90 KB included)."""

    MAX_ERRORS = 10
    MAX_MESSAGE = 500
    MAX_LOCATIONS = 10

    errors: tuple[tuple[str, tuple[tuple[int, int], ...], tuple[tuple[str, object], ...]], ...]

    @classmethod
    def of(cls, errors: list[GraphQLError]) -> "Refusal":
        kept = []
        for error in errors[: cls.MAX_ERRORS]:
            message = error.message
            if len(message) > cls.MAX_MESSAGE:
                message = message[: cls.MAX_MESSAGE - 1] + "…"
            locations = tuple(
                (location.line, location.column)
                for location in (error.locations or ())[: cls.MAX_LOCATIONS]
            )
            # Extensions of document errors are a code (and short scalars), never the input.
            extensions = tuple((error.extensions or {}).items())
            kept.append((message, locations, extensions))
        return cls(tuple(kept))

    def graphql_errors(self) -> list[GraphQLError]:
        """New GraphQLErrors of the refusal, answered as the first time."""
        errors = []
        for message, locations, extensions in self.errors:
            error = GraphQLError(message, extensions=dict(extensions))
            error.locations = [SourceLocation(line, column) for line, column in locations] or None
            errors.append(error)
        return errors


document_cache = DocumentCache()
refused_documents = RefusedDocuments()


def load_document(
    schema: GraphQLSchema, query: str, query_hash: str, limits: DocumentLimits
) -> DocumentNode:
    """The valid document of ``query``: from the cache, else parsed, checked against the
    limits, validated and cached. DocumentError when it does not parse, is over a limit or
    does not validate: answered from the refusals when it was refused before, else refused
    and remembered."""
    document = document_cache.get(schema, query_hash, limits)
    if document is not None:
        return document
    # A refusal's messages are in the language of the request refused (graphql-core's own stay
    # English): a document's entry holds one refusal per language it was refused in.
    refusals = refused_documents.get(schema, query_hash, limits) or {}
    language = translation.get_language()
    refusal = refusals.get(language)
    if refusal is None:
        try:
            document = parse_document(query, limits)
            errors = check_limits(document, limits) or validate_document(schema, document, limits)
        except DocumentError as error:
            errors = error.errors
        if not errors:
            document_cache.put(schema, query_hash, limits, document)
            return document
        refusal = Refusal.of(errors)
        refused_documents.put(schema, query_hash, limits, {**refusals, language: refusal})
    raise DocumentError(refusal.graphql_errors())


def is_remembered(schema: GraphQLSchema, query: str) -> bool:
    """Whether ``load_document`` would answer ``query`` from memory (kept valid, or refused
    before in the active language) under the current limits, without parsing or validating
    anything."""
    limits = DocumentLimits.from_settings()
    query_hash = document_hash(query)
    return document_cache.get(
        schema, query_hash, limits
    ) is not None or translation.get_language() in (
        refused_documents.get(schema, query_hash, limits) or {}
    )


# ---------------------------------------------------------------------------------------------
# The operation
# ---------------------------------------------------------------------------------------------
def select_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    """The operation to run: the one named, or the only one; DocumentError otherwise."""
    operation = get_operation_ast(document, name)
    if operation is None:
        message = (
            f"Unknown operation named '{name}'."
            if name
            else "Must provide operation name if query contains multiple operations."
        )
        raise DocumentError([coded(message, DocumentErrorCode.OPERATION_RESOLUTION_FAILURE)])
    return operation


def check_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: dict | None,
    limits: DocumentLimits,
    query_hash: str | None = None,
) -> int:
    """The operation's cost (see ``operation_cost``); DocumentError when over the limit, or
    when its variables are (``check_variables``): the checks of each request, which depend on
    its variables, run before they are coerced and before anything executes.

    With ``query_hash`` (the document's), the cost is kept (``operation_costs``) so that a
    cached document is not costed again on each request: once for the operation when no
    variable changes it, else for each set of values of the variables it reads (a feed's
    ``first``), which the first costing names."""
    check_variables(operation, variables, limits)
    if not limits.max_cost:
        return 0
    key = None
    if query_hash is not None:
        name = operation.name.value if operation.name else ""
        key = (
            f"{query_hash}:{name}:{settings.GRAPHQL_DEFAULT_PAGE_SIZE}:"
            f"{settings.GRAPHQL_MAX_PAGE_SIZE}"
        )
    cost = None
    if key:
        kept = operation_costs.get(schema, key, limits)
        if isinstance(kept, tuple):
            kept = operation_costs.get(schema, _values_key(key, kept, variables), limits)
        cost = kept
    if cost is None:
        costing = _Cost.of(schema, document, operation, variables)
        cost = costing.total
        if key and costing.variables_read:
            names = tuple(sorted(costing.variables_read))
            operation_costs.put(schema, key, limits, names)
            operation_costs.put(schema, _values_key(key, names, variables), limits, cost)
        elif key:
            operation_costs.put(schema, key, limits, cost)
    if cost > limits.max_cost:
        raise DocumentError(
            [
                coded(
                    gettext_noop(
                        "The operation would cost about %(cost)s (each field resolved, each "
                        "query and search it runs, times the sizes of the lists above it); at "
                        "most %(limit)s is allowed. Ask for smaller pages, fewer nested lists, "
                        "counts or searches."
                    ),
                    DocumentErrorCode.QUERY_TOO_COMPLEX,
                    operation,
                    {"cost": f"{cost:,}", "limit": f"{limits.max_cost:,}"},
                )
            ]
        )
    return cost


def _values_key(key: str, names: tuple[str, ...], variables: dict | None) -> str:
    """``key`` with a digest of the values of the variables ``names`` (a variable not sent
    apart from one sent as null): as long as any other key, however large the values."""
    variables = variables or {}
    values = [[name in variables, variables.get(name)] for name in names]
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), default=repr)
    return f"{key}:{hashlib.sha256(text.encode()).hexdigest()}"


class OperationCosts(_DocumentLru):
    """Operations' costs, by document and operation: a number for an operation that no
    variable changes, else the names of the variables it reads, and a number for each set of
    their values (``_values_key``). As many entries as the valid documents kept
    (``GRAPHQL_DOCUMENT_CACHE_SIZE``), least recently used first out."""

    size_setting = "GRAPHQL_DOCUMENT_CACHE_SIZE"


operation_costs = OperationCosts()


def check_variables(
    operation: OperationDefinitionNode, variables: dict | None, limits: DocumentLimits
) -> int:
    """How many values the operation's variables hold (each object, list and scalar counts
    one; variables the operation does not define are ignored, as coercion ignores them);
    DocumentError (VARIABLES_TOO_LARGE) over ``GRAPHQL_MAX_VARIABLE_VALUES``.

    graphql-core's coercion of an input object reports every field it does not know, each
    error quoting the whole object: quadratic in its size. An object of 8,000 unknown fields
    (under the body limit) took 4 s to refuse and answered 2 MB of errors. Counting stops at
    the limit, so the check costs no more than the limit.
    """
    limit = limits.max_variable_values
    if not limit or not variables:
        return 0
    defined = {d.variable.name.value for d in operation.variable_definitions or ()}
    pending = [value for name, value in variables.items() if name in defined]
    count = 0
    while pending and count <= limit:
        value = pending.pop()
        count += 1
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    if count > limit:
        raise DocumentError(
            [
                coded(
                    gettext_noop(
                        "The variables hold more than %(limit)s values; at most %(limit)s are "
                        "allowed."
                    ),
                    DocumentErrorCode.VARIABLES_TOO_LARGE,
                    operation,
                    {"limit": limit},
                )
            ]
        )
    return count


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: dict | None = None,
) -> int:
    """An estimate of the work an operation's execution does, in fields resolved: each field
    costs its weight (1, or the queries it runs, ``graphql_server.cost_model``), and everything
    below a list counts once per item it can hold.

    A connection holds its page: the argument as sent (literally or in a variable), else the
    argument's default in the schema, else ``GRAPHQL_DEFAULT_PAGE_SIZE``; capped at
    ``GRAPHQL_MAX_PAGE_SIZE``, beyond which the list itself refuses the request. Any other
    list holds the size declared for it. Arguments that make a query dear (a search) add
    their weight to each query of the list that runs them, its count included.
    """
    return _Cost.of(schema, document, operation, variables).total


class _Cost:
    """One costing of an operation. Fragments are costed once for each place they can
    stand (inside a connection or not), however often they are spread: linear in the
    document. ``variables_read`` names the variables the total depends on (none: no
    variable changes it); which they are follows from the document alone."""

    def __init__(self, schema, fragments, variables, defaults):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.defaults = defaults
        self.memo: dict[tuple, int] = {}
        self.visiting: set[tuple] = set()
        self.variables_read: set[str] = set()
        self.total = 0

    @classmethod
    def of(cls, schema, document, operation, variables) -> "_Cost":
        root = schema.get_root_type(operation.operation)
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        defaults = {
            d.variable.name.value: d.default_value for d in operation.variable_definitions or ()
        }
        costing = cls(schema, fragments, variables or {}, defaults)
        costing.total = costing.selection_set(operation.selection_set, root)
        return costing

    def selection_set(self, selection_set: SelectionSetNode | None, parent, connection=None):
        """The cost of a selection set on ``parent``; ``connection`` is the (page size,
        query weight) of the connection whose own fields these are, else None."""
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, connection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                scope = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_set(selection.selection_set, scope, connection)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value, connection)
        return total

    def field(self, node: FieldNode, parent, connection) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 0
        definition = getattr(parent, "fields", {}).get(name) if parent is not None else None
        if definition is None:
            return 1 + self.selection_set(node.selection_set, None)
        cost = field_cost(definition)
        weight = cost.weight + sum(
            extra for path, extra in cost.arguments if self.given(node, definition, path)
        )
        if cost.per_query and connection is not None:
            weight = max(weight, connection[1])
        if node.selection_set is None:
            return weight
        child = get_named_type(definition.type)
        is_list = isinstance(get_nullable_type(definition.type), GraphQLList)
        if is_paged(definition):
            size = self.page_size(node, definition)
            if is_list:
                return weight + size * (
                    self.item(child, cost) + self.selection_set(node.selection_set, child)
                )
            return weight + self.selection_set(node.selection_set, child, (size, weight))
        if is_list:
            size = cost.size
            if size is None:
                # A connection's edges hold its page.
                size = connection[0] if connection else settings.GRAPHQL_DEFAULT_PAGE_SIZE
            return weight + size * (
                self.item(child, cost) + self.selection_set(node.selection_set, child)
            )
        return weight + self.selection_set(node.selection_set, child)

    @staticmethod
    def item(child, cost) -> int:
        """What an item of the list costs besides its fields: an object (a row, read and made
        into a model) its field's ``item`` weight, else ``ITEM_WEIGHT``; a scalar nothing."""
        if not is_object_item(child):
            return 0
        return ITEM_WEIGHT if cost.item is None else cost.item

    def fragment(self, name: str, connection) -> int:
        key = (name, connection)
        if key in self.memo:
            return self.memo[key]
        fragment = self.fragments.get(name)
        if fragment is None or key in self.visiting:
            return 0
        self.visiting.add(key)
        scope = self.schema.get_type(fragment.type_condition.name.value)
        self.memo[key] = self.selection_set(fragment.selection_set, scope, connection)
        self.visiting.discard(key)
        return self.memo[key]

    def page_size(self, node: FieldNode, definition) -> int:
        sizes = []
        sent = {argument.name.value: argument.value for argument in node.arguments or ()}
        for name in ("first", "last"):
            if name not in definition.args:
                continue
            size = self.value(sent[name]) if name in sent else None
            if size is None and name not in sent:
                default = definition.args[name].default_value
                size = default if isinstance(default, int) else None
            if size is not None:
                sizes.append(size)
        size = max(sizes) if sizes else settings.GRAPHQL_DEFAULT_PAGE_SIZE
        return min(max(size, 0), settings.GRAPHQL_MAX_PAGE_SIZE)

    def value(self, node) -> int | None:
        node = self.resolved(node)
        if isinstance(node, IntValueNode):
            return int(node.value)
        return node if isinstance(node, int) and not isinstance(node, bool) else None

    def resolved(self, node):
        """A literal node, or the value of the variable it is (its default when not sent)."""
        if isinstance(node, VariableNode):
            name = node.name.value
            self.variables_read.add(name)
            if name in self.variables:
                return self.variables[name]
            return self.defaults.get(name)
        return node

    def given(self, node: FieldNode, definition, path: str) -> bool:
        """Whether the argument at ``path`` (``"filter.search"``) is given a value that is
        not null or empty, literally or in variables; an argument's default counts too."""
        first, *rest = path.split(".")
        sent = {argument.name.value: argument.value for argument in node.arguments or ()}
        if first in sent:
            value = self.resolved(sent[first])
        else:
            value = definition.args[first].default_value if first in definition.args else None
        for key in rest:
            value = self.resolved(value)
            if isinstance(value, ObjectValueNode):
                value = next((f.value for f in value.fields if f.name.value == key), None)
            elif isinstance(value, dict):
                value = value.get(key)
            else:
                return False
        value = self.resolved(value)
        if value is None or isinstance(value, NullValueNode) or value is Undefined:
            return False
        if isinstance(value, StringValueNode):
            return bool(value.value)
        return value != ""


# ---------------------------------------------------------------------------------------------
# All at once, for both transports
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PreparedOperation:
    """A document that may run, and the operation of it to run."""

    document: DocumentNode
    operation: OperationDefinitionNode

    @property
    def is_subscription(self) -> bool:
        return self.operation.operation is OperationType.SUBSCRIPTION


def prepare_operation(
    schema: GraphQLSchema,
    query: str,
    operation_name: str | None,
    variables: dict | None,
    *,
    query_hash: str | None = None,
    limits: DocumentLimits | None = None,
    refuse: Callable[[OperationDefinitionNode], None] | None = None,
) -> PreparedOperation:
    """``query`` checked as every transport checks it: loaded (cached, parsed, validated within
    the limits), its operation selected, its variables' size and its cost checked.
    DocumentError when it may not run.

    ``query_hash`` is the text's SHA-256 when the caller has it already (``document_hash``
    otherwise), ``limits`` those of the request (the settings' otherwise). ``refuse`` is the
    transport's own check of the operation selected, which raises what the transport answers
    (HTTP: a mutation over GET, a subscription); it runs before the cost, as those refusals
    concern what the operation is, whatever it would cost."""
    limits = limits or DocumentLimits.from_settings()
    query_hash = query_hash or document_hash(query)
    document = load_document(schema, query, query_hash, limits)
    operation = select_operation(document, operation_name)
    if refuse is not None:
        refuse(operation)
    check_cost(schema, document, operation, variables, limits, query_hash)
    return PreparedOperation(document, operation)
