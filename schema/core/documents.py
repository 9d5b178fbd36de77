"""GraphQL documents: parsed, validated within the API's limits, cached, and costed.

Both transports turn a client's text into an operation here, the HTTP view step by step and
the websocket consumer through ``prepare_operation``, so every limit holds whichever way a
document arrives.

Validation runs all of graphql-core's ``specified_rules`` plus the limits below; graphene-
django's ``validation_rules`` option would have replaced the standard rules instead, letting
unknown fields through. The limits that depend only on the text (tokens, depth, aliases,
operations) are checked once per document, which is then cached; the cost, which multiplies by
page sizes that may come in variables, is checked for every request.
"""

import functools
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from graphene_django.settings import graphene_settings
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule


class DocumentErrorCode(StrEnum):
    """``extensions.code`` of the errors a document can fail with before it runs."""

    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    OPERATION_RESOLUTION_FAILURE = "OPERATION_RESOLUTION_FAILURE"
    INVALID_VARIABLES = "INVALID_VARIABLES"
    TOO_MANY_TOKENS = "TOO_MANY_TOKENS"
    QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
    TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
    TOO_MANY_OPERATIONS = "TOO_MANY_OPERATIONS"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"


class DocumentError(Exception):
    """A document that may not run; ``errors`` say why, each with its code."""

    def __init__(self, errors: list[GraphQLError]):
        super().__init__("; ".join(error.message for error in errors))
        self.errors = errors


def coded(message: str, code: DocumentErrorCode, nodes=None) -> GraphQLError:
    return GraphQLError(message, nodes, extensions={"code": code.value})


@dataclass(frozen=True)
class DocumentLimits:
    """The "GraphQL" limits of the settings, read once per request. 0 disables a limit."""

    max_tokens: int
    max_depth: int
    max_aliases: int
    max_operations: int
    max_cost: int
    introspection: bool
    field_suggestions: bool

    @classmethod
    def from_settings(cls) -> "DocumentLimits":
        return cls(
            max_tokens=settings.GRAPHQL_MAX_TOKENS,
            max_depth=settings.GRAPHQL_MAX_DEPTH,
            max_aliases=settings.GRAPHQL_MAX_ALIASES,
            max_operations=settings.GRAPHQL_MAX_OPERATIONS,
            max_cost=settings.GRAPHQL_MAX_COST,
            introspection=settings.GRAPHQL_INTROSPECTION,
            field_suggestions=settings.GRAPHQL_FIELD_SUGGESTIONS,
        )


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
    """Every error of ``document`` against the standard rules and the limits, each coded."""
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
    """graphql-core's standard rules, the limits, and no introspection unless allowed."""
    rules = [*specified_rules, type("LimitsRule", (DocumentLimitsRule,), {"limits": limits})]
    if not limits.introspection:
        rules.append(IntrospectionDisabledRule)
    return tuple(rules)


class IntrospectionDisabledRule(NoSchemaIntrospectionCustomRule):
    """graphql-core's rule against ``__schema`` and ``__type``, its errors coded."""

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {"code": DocumentErrorCode.INTROSPECTION_DISABLED.value}
        super().report_error(error)


class DocumentLimitsRule(ValidationRule):
    """Operations per document, and the depth and aliases of each operation with its
    fragments expanded (a fragment spread ten times counts ten times).

    Introspection fields (``__schema``, ``__type``) do not count towards the depth: their
    answer is bounded by the schema, and GraphiQL's introspection query is deeper than any
    real one. Fragment cycles are the standard rules' business; here they just stop the walk.
    """

    limits: DocumentLimits

    def leave_document(self, node: DocumentNode, *_args):
        limits = self.limits
        operations = [d for d in node.definitions if isinstance(d, OperationDefinitionNode)]
        if limits.max_operations and len(operations) > limits.max_operations:
            self.report_error(
                coded(
                    f"The document has {len(operations)} operations; at most "
                    f"{limits.max_operations} are allowed.",
                    DocumentErrorCode.TOO_MANY_OPERATIONS,
                )
            )
        fragments = {
            d.name.value: d for d in node.definitions if isinstance(d, FragmentDefinitionNode)
        }
        shape = _Shape(fragments)
        for operation in operations:
            depth, aliases = shape.measure(operation.selection_set)
            name = f"Operation '{operation.name.value}'" if operation.name else "The operation"
            if limits.max_depth and depth > limits.max_depth:
                self.report_error(
                    coded(
                        f"{name} is {depth} levels deep; at most {limits.max_depth} are allowed.",
                        DocumentErrorCode.QUERY_TOO_DEEP,
                        operation,
                    )
                )
            if limits.max_aliases and aliases > limits.max_aliases:
                self.report_error(
                    coded(
                        f"{name} uses {aliases} aliases; at most {limits.max_aliases} are allowed.",
                        DocumentErrorCode.TOO_MANY_ALIASES,
                        operation,
                    )
                )


class _Shape:
    """Depth and alias count of selection sets, each fragment measured once."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]):
        self.fragments = fragments
        self.memo: dict[str, tuple[int, int]] = {}
        self.visiting: set[str] = set()

    def measure(self, selection_set: SelectionSetNode | None) -> tuple[int, int]:
        depth = aliases = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                aliases += selection.alias is not None
                if selection.name.value in ("__schema", "__type"):
                    continue
                below, inner = self.measure(selection.selection_set)
                depth, aliases = max(depth, 1 + below), aliases + inner
            elif isinstance(selection, InlineFragmentNode):
                below, inner = self.measure(selection.selection_set)
                depth, aliases = max(depth, below), aliases + inner
            elif isinstance(selection, FragmentSpreadNode):
                below, inner = self.fragment(selection.name.value)
                depth, aliases = max(depth, below), aliases + inner
        return depth, aliases

    def fragment(self, name: str) -> tuple[int, int]:
        if name in self.memo:
            return self.memo[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self.visiting:
            return 0, 0
        self.visiting.add(name)
        self.memo[name] = self.measure(fragment.selection_set)
        self.visiting.discard(name)
        return self.memo[name]


# ---------------------------------------------------------------------------------------------
# The document cache
# ---------------------------------------------------------------------------------------------
class DocumentCache:
    """Parsed and validated documents, least recently used first out.

    Keyed by the schema, the document's SHA-256 and the limits it was validated under (the
    settings may change between tests, and a document valid under one set is not under
    another). Only valid documents are kept: garbage cannot push the app's real operations out.
    A cached DocumentNode is shared by every request that runs it; execution never changes it.
    """

    def __init__(self):
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, schema: GraphQLSchema, query_hash: str, limits: DocumentLimits):
        key = (id(schema), query_hash, limits)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] is not schema:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, schema, query_hash: str, limits: DocumentLimits, document: DocumentNode):
        size = settings.GRAPHQL_DOCUMENT_CACHE_SIZE
        if size <= 0:
            return
        with self._lock:
            self._entries[(id(schema), query_hash, limits)] = (schema, document)
            self._entries.move_to_end((id(schema), query_hash, limits))
            while len(self._entries) > size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


document_cache = DocumentCache()


def load_document(
    schema: GraphQLSchema, query: str, query_hash: str, limits: DocumentLimits
) -> DocumentNode:
    """The valid document of ``query``: from the cache, else parsed, validated and cached.
    DocumentError when it does not parse or validate."""
    document = document_cache.get(schema, query_hash, limits)
    if document is not None:
        return document
    document = parse_document(query, limits)
    errors = validate_document(schema, document, limits)
    if errors:
        raise DocumentError(errors)
    document_cache.put(schema, query_hash, limits, document)
    return document


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
) -> int:
    """The operation's cost (see ``operation_cost``); DocumentError when over the limit."""
    cost = operation_cost(schema, document, operation, variables)
    if limits.max_cost and cost > limits.max_cost:
        raise DocumentError(
            [
                coded(
                    f"The operation would cost about {cost} (each field 1, times the page "
                    f"sizes above it); at most {limits.max_cost} is allowed. Ask for smaller "
                    "pages or fewer nested lists.",
                    DocumentErrorCode.QUERY_TOO_COMPLEX,
                    operation,
                )
            ]
        )
    return cost


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: dict | None = None,
) -> int:
    """An estimate of the work an operation asks for: each field costs 1, and everything
    below a paged field (one taking ``first`` or ``last``) counts once per item of the page.

    The page size is the argument as sent (literally or in a variable), else the argument's
    default in the schema, else ``GRAPHQL_DEFAULT_PAGE_SIZE``; capped at
    ``GRAPHQL_MAX_PAGE_SIZE``, beyond which the list itself refuses the request.
    """
    root = schema.get_root_type(operation.operation)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    defaults = {
        d.variable.name.value: d.default_value for d in operation.variable_definitions or ()
    }
    return _Cost(schema, fragments, variables or {}, defaults).selection_set(
        operation.selection_set, root
    )


class _Cost:
    def __init__(self, schema, fragments, variables, defaults):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.defaults = defaults
        self.memo: dict[str, int] = {}
        self.visiting: set[str] = set()

    def selection_set(self, selection_set: SelectionSetNode | None, parent) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                scope = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_set(selection.selection_set, scope)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value)
        return total

    def field(self, node: FieldNode, parent) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 0
        definition = getattr(parent, "fields", {}).get(name) if parent is not None else None
        if node.selection_set is None:
            return 1
        child = get_named_type(definition.type) if definition else None
        return 1 + self.page_size(node, definition) * self.selection_set(node.selection_set, child)

    def fragment(self, name: str) -> int:
        if name in self.memo:
            return self.memo[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self.visiting:
            return 0
        self.visiting.add(name)
        scope = self.schema.get_type(fragment.type_condition.name.value)
        self.memo[name] = self.selection_set(fragment.selection_set, scope)
        self.visiting.discard(name)
        return self.memo[name]

    def page_size(self, node: FieldNode, definition) -> int:
        if definition is None or not ({"first", "last"} & definition.args.keys()):
            return 1
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
        if isinstance(node, VariableNode):
            name = node.name.value
            if name in self.variables:
                value = self.variables[name]
                return value if isinstance(value, int) and not isinstance(value, bool) else None
            node = self.defaults.get(name)
        if isinstance(node, IntValueNode):
            return int(node.value)
        return None


# ---------------------------------------------------------------------------------------------
# All at once, for the websocket
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
    schema: GraphQLSchema, query: str, operation_name: str | None, variables: dict | None
) -> PreparedOperation:
    """``query`` checked as the HTTP view checks it, step by step: loaded (cached, parsed,
    validated within the limits), its operation selected, its cost checked. DocumentError
    when it may not run."""
    limits = DocumentLimits.from_settings()
    document = load_document(schema, query, document_hash(query), limits)
    operation = select_operation(document, operation_name)
    check_cost(schema, document, operation, variables, limits)
    return PreparedOperation(document, operation)
