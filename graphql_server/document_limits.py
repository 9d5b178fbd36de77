"""The limits of the documents clients send, and the cheap checks that hold them.

graphql-core's validation is not linear in the size of a document. Its rule that fields with
the same response name can be merged (``OverlappingFieldsCanBeMergedRule``) compares every
pair of such fields in a selection set, every pair of fragments spread together, and the
sub-selections of every pair it compares, again pairwise: 2,000 copies of ``__typename``, well
under the token limit, took 0.4 s to validate (until graphql-core's own budget for that rule
aborted it). The rules that follow variables through fragments (``NoUndefinedVariables``,
``NoUnusedVariables``, ``VariablesInAllowedPosition``) walk every fragment once per operation.
Everything else is linear in the document, and the parser stops at the token limit.

So before ``validate`` runs, ``check_limits`` measures the parsed document in one pass over
each definition (no fragment walked twice, no recursion a document could exhaust) and refuses
what is over any limit, each with its own code:

- operations and fragments per document, and variables per operation, bound the fragment
  walks of the variable rules (operations × fragments);
- fields per selection set, fragments spread into it counted with their fields, bound the
  pairwise comparisons within one set (its square) and between the fragments spread in it;
- fields per operation (and per fragment), fragments expanded, bound the rest of that rule's
  work, the cost walk and the collection of fields when the operation runs;
- arguments per field or directive, and directives per place, bound what each comparison of
  two fields compares, and what execution evaluates per field;
- depth and aliases (per operation, fragments expanded) as before: aliases are how one
  request asks for the same field many times, depth how it asks for more per item.

What is left of the comparisons (the sub-selections of fields that repeat at several levels)
is bounded by graphql-core's own budget for that rule, lowered to
``GRAPHQL_MAX_FIELD_COMPARISONS`` (see ``documents.validation_rules``).
"""

from dataclasses import dataclass, field
from enum import StrEnum

from django.conf import settings
from django.utils.translation import gettext_noop
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
)

from .errors import translated


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
    TOO_MANY_FRAGMENTS = "TOO_MANY_FRAGMENTS"
    TOO_MANY_VARIABLES = "TOO_MANY_VARIABLES"
    TOO_MANY_SELECTIONS = "TOO_MANY_SELECTIONS"
    TOO_MANY_FIELDS = "TOO_MANY_FIELDS"
    TOO_MANY_ARGUMENTS = "TOO_MANY_ARGUMENTS"
    TOO_MANY_DIRECTIVES = "TOO_MANY_DIRECTIVES"
    TOO_MANY_FIELD_COMPARISONS = "TOO_MANY_FIELD_COMPARISONS"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    VARIABLES_TOO_LARGE = "VARIABLES_TOO_LARGE"
    INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"


class DocumentError(Exception):
    """A document that may not run; ``errors`` say why, each with its code."""

    def __init__(self, errors: list[GraphQLError]):
        super().__init__("; ".join(error.message for error in errors))
        self.errors = errors


def coded(message: str, code: DocumentErrorCode, nodes=None, params=None) -> GraphQLError:
    """An error of ``code``, its message in the request's language (``translated``)."""
    return GraphQLError(translated(message, params), nodes, extensions={"code": code.value})


@dataclass(frozen=True)
class DocumentLimits:
    """The "GraphQL" limits of the settings, read once per request. 0 disables a limit.

    A document is cached (valid or refused) under the limits it was checked against, so the
    limits are part of the caches' keys: frozen, hashable, compared by value.
    """

    max_tokens: int
    max_depth: int
    max_aliases: int
    max_operations: int
    max_fragments: int
    max_variables: int
    max_selections: int
    max_fields: int
    max_arguments: int
    max_directives: int
    max_field_comparisons: int
    max_cost: int
    max_variable_values: int
    introspection: bool
    field_suggestions: bool

    @classmethod
    def from_settings(cls) -> "DocumentLimits":
        return cls(
            max_tokens=settings.GRAPHQL_MAX_TOKENS,
            max_depth=settings.GRAPHQL_MAX_DEPTH,
            max_aliases=settings.GRAPHQL_MAX_ALIASES,
            max_operations=settings.GRAPHQL_MAX_OPERATIONS,
            max_fragments=settings.GRAPHQL_MAX_FRAGMENTS,
            max_variables=settings.GRAPHQL_MAX_VARIABLES,
            max_selections=settings.GRAPHQL_MAX_SELECTIONS,
            max_fields=settings.GRAPHQL_MAX_FIELDS,
            max_arguments=settings.GRAPHQL_MAX_ARGUMENTS,
            max_directives=settings.GRAPHQL_MAX_DIRECTIVES,
            max_field_comparisons=settings.GRAPHQL_MAX_FIELD_COMPARISONS,
            max_cost=settings.GRAPHQL_MAX_COST,
            max_variable_values=settings.GRAPHQL_MAX_VARIABLE_VALUES,
            introspection=settings.GRAPHQL_INTROSPECTION,
            field_suggestions=settings.GRAPHQL_FIELD_SUGGESTIONS,
        )


def over(value: int, limit: int) -> bool:
    return bool(limit) and value > limit


# Fields whose answer is bounded by the schema: they do not count towards the depth, since
# GraphiQL's introspection query is deeper than any real one.
INTROSPECTION_FIELDS = frozenset(("__schema", "__type"))


# ---------------------------------------------------------------------------------------------
# One definition, measured on its own
# ---------------------------------------------------------------------------------------------
@dataclass(eq=False)
class _Set:
    """A selection set of a definition (inline fragments merged into the set they are in):
    its own fields, the fragments spread into it, and a node to point at."""

    node: Node
    fields: int = 0
    spreads: list[str] = field(default_factory=list)


@dataclass(eq=False)
class _Spread:
    name: str
    depth: int  # of the fields around the spread, in the definition
    counts_depth: bool  # False inside __schema / __type


@dataclass(eq=False)
class _Definition:
    """What one operation or fragment holds by itself, its spreads not followed."""

    node: OperationDefinitionNode | FragmentDefinitionNode
    depth: int = 0
    aliases: int = 0
    fields: int = 0
    sets: list[_Set] = field(default_factory=list)
    spreads: list[_Spread] = field(default_factory=list)
    # The first node over the per-node limits, and its count.
    arguments: tuple[Node, int] | None = None
    directives: tuple[Node, int] | None = None

    @property
    def top(self) -> _Set:
        """The definition's own selection set, the first measured."""
        return self.sets[0]


def _measure(definition, limits: DocumentLimits) -> _Definition:
    """One pass over ``definition``'s own nodes, without following its fragment spreads: an
    explicit stack, since the parser allows a nesting that Python's recursion might not."""
    measured = _Definition(definition)
    _check_directives(measured, definition, limits)
    for variable in getattr(definition, "variable_definitions", None) or ():
        _check_directives(measured, variable, limits)
    top = _Set(definition)
    measured.sets.append(top)
    # (selection set, the _Set it adds to, depth of its fields, whether depth counts there)
    stack: list[tuple[SelectionSetNode, _Set, int, bool]] = [
        (definition.selection_set, top, 1, True)
    ]
    while stack:
        selection_set, into, depth, counts_depth = stack.pop()
        for selection in selection_set.selections:
            _check_directives(measured, selection, limits)
            if isinstance(selection, FieldNode):
                into.fields += 1
                measured.fields += 1
                measured.aliases += selection.alias is not None
                arguments = len(selection.arguments or ())
                if over(arguments, limits.max_arguments) and measured.arguments is None:
                    measured.arguments = (selection, arguments)
                inner_counts = counts_depth and selection.name.value not in INTROSPECTION_FIELDS
                if inner_counts:
                    measured.depth = max(measured.depth, depth)
                if selection.selection_set is not None:
                    below = _Set(selection)
                    measured.sets.append(below)
                    stack.append((selection.selection_set, below, depth + 1, inner_counts))
            elif isinstance(selection, InlineFragmentNode):
                # Its fields are collected with the set it is in, as execution does.
                stack.append((selection.selection_set, into, depth, counts_depth))
            elif isinstance(selection, FragmentSpreadNode):
                into.spreads.append(selection.name.value)
                measured.spreads.append(_Spread(selection.name.value, depth - 1, counts_depth))
    return measured


def _check_directives(measured: _Definition, node, limits: DocumentLimits) -> None:
    directives = node.directives or ()
    if over(len(directives), limits.max_directives) and measured.directives is None:
        measured.directives = (node, len(directives))
    for directive in directives:
        arguments = len(directive.arguments or ())
        if over(arguments, limits.max_arguments) and measured.arguments is None:
            measured.arguments = (directive, arguments)


# ---------------------------------------------------------------------------------------------
# Fragments expanded
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Expanded:
    """A definition with its fragments expanded (each spread counts as often as it occurs)."""

    depth: int
    aliases: int
    fields: int
    top_fields: int  # the fields of its own selection set, spreads in it expanded


_NOTHING = _Expanded(0, 0, 0, 0)


class _Expansion:
    """Each fragment expanded once, in an order where the fragments it spreads come first
    (walked with an explicit stack). A spread of an unknown fragment, or one that closes a
    cycle, adds nothing: the standard rules report both."""

    def __init__(self, fragments: dict[str, _Definition]):
        self.fragments = fragments
        self.done: dict[str, _Expanded] = {}

    def fragment(self, name: str) -> _Expanded:
        if name not in self.fragments:
            return _NOTHING
        if name not in self.done:
            self._expand_from(name)
        return self.done[name]

    def _expand_from(self, root: str) -> None:
        path = [(root, iter(self.fragments[root].spreads))]
        on_path = {root}
        while path:
            name, spreads = path[-1]
            for spread in spreads:
                child = spread.name
                if child in self.fragments and child not in self.done and child not in on_path:
                    path.append((child, iter(self.fragments[child].spreads)))
                    on_path.add(child)
                    break
            else:
                path.pop()
                on_path.discard(name)
                # A spread back onto the path (a cycle) finds nothing in `done`: it adds 0.
                self.done[name] = self.expand(self.fragments[name])

    def expand(self, measured: _Definition) -> _Expanded:
        """``measured`` with the fragments it spreads expanded (those already done)."""
        depth, aliases, fields = measured.depth, measured.aliases, measured.fields
        for spread in measured.spreads:
            inner = self.done.get(spread.name, _NOTHING)
            aliases += inner.aliases
            fields += inner.fields
            if spread.counts_depth and inner.depth:
                depth = max(depth, spread.depth + inner.depth)
        return _Expanded(depth, aliases, fields, self.set_fields(measured.top))

    def set_fields(self, selection_set: _Set) -> int:
        return selection_set.fields + sum(
            self.done.get(name, _NOTHING).top_fields for name in selection_set.spreads
        )


# ---------------------------------------------------------------------------------------------
# The check
# ---------------------------------------------------------------------------------------------
def check_limits(document: DocumentNode, limits: DocumentLimits) -> list[GraphQLError]:
    """Every limit ``document`` is over, one error per limit (at the first place over it).

    Linear in the document: each definition is measured once, each fragment expanded once.
    Runs before ``validate``, whose cost these limits bound (see the module's docstring).
    """
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragment_nodes = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
    errors: dict[DocumentErrorCode, GraphQLError] = {}

    def report(code: DocumentErrorCode, message: str, node=None, **params) -> None:
        errors.setdefault(code, coded(message, code, node, params))

    if over(len(operations), limits.max_operations):
        report(
            DocumentErrorCode.TOO_MANY_OPERATIONS,
            gettext_noop("The document has %(count)s operations; at most %(limit)s are allowed."),
            count=len(operations),
            limit=limits.max_operations,
        )
    if over(len(fragment_nodes), limits.max_fragments):
        report(
            DocumentErrorCode.TOO_MANY_FRAGMENTS,
            gettext_noop(
                "The document defines %(count)s fragments; at most %(limit)s are allowed."
            ),
            count=len(fragment_nodes),
            limit=limits.max_fragments,
        )
    if errors:
        # Too many definitions: measuring each of them is the work the limits bound.
        return list(errors.values())

    measured_operations = [_measure(operation, limits) for operation in operations]
    fragments: dict[str, _Definition] = {}
    for node in fragment_nodes:
        fragments.setdefault(node.name.value, _measure(node, limits))
    expansion = _Expansion(fragments)
    for name in fragments:
        expansion.fragment(name)

    for measured in [*measured_operations, *fragments.values()]:
        _check_nodes(measured, limits, report)
        for selection_set in measured.sets:
            count = expansion.set_fields(selection_set)
            if over(count, limits.max_selections):
                report(
                    DocumentErrorCode.TOO_MANY_SELECTIONS,
                    gettext_noop(
                        "A selection set asks for %(count)s fields (fragments spread into it "
                        "counted with their fields); at most %(limit)s are allowed."
                    ),
                    selection_set.node,
                    count=count,
                    limit=limits.max_selections,
                )
                break
        expanded = expansion.expand(measured)
        if over(expanded.fields, limits.max_fields):
            report(
                DocumentErrorCode.TOO_MANY_FIELDS,
                gettext_noop(
                    "%(name)s asks for %(count)s fields (fragments expanded); at most "
                    "%(limit)s are allowed."
                ),
                measured.node,
                name=_name(measured.node),
                count=expanded.fields,
                limit=limits.max_fields,
            )
        if not isinstance(measured.node, OperationDefinitionNode):
            continue
        if over(len(measured.node.variable_definitions or ()), limits.max_variables):
            report(
                DocumentErrorCode.TOO_MANY_VARIABLES,
                gettext_noop(
                    "%(name)s defines %(count)s variables; at most %(limit)s are allowed."
                ),
                measured.node,
                name=_name(measured.node),
                count=len(measured.node.variable_definitions),
                limit=limits.max_variables,
            )
        if over(expanded.depth, limits.max_depth):
            report(
                DocumentErrorCode.QUERY_TOO_DEEP,
                gettext_noop("%(name)s is %(count)s levels deep; at most %(limit)s are allowed."),
                measured.node,
                name=_name(measured.node),
                count=expanded.depth,
                limit=limits.max_depth,
            )
        if over(expanded.aliases, limits.max_aliases):
            report(
                DocumentErrorCode.TOO_MANY_ALIASES,
                gettext_noop("%(name)s uses %(count)s aliases; at most %(limit)s are allowed."),
                measured.node,
                name=_name(measured.node),
                count=expanded.aliases,
                limit=limits.max_aliases,
            )
    return list(errors.values())


def _check_nodes(measured: _Definition, limits: DocumentLimits, report) -> None:
    if measured.arguments is not None:
        node, count = measured.arguments
        report(
            DocumentErrorCode.TOO_MANY_ARGUMENTS,
            gettext_noop(
                "A field or directive is given %(count)s arguments; at most %(limit)s are allowed."
            ),
            node,
            count=count,
            limit=limits.max_arguments,
        )
    if measured.directives is not None:
        node, count = measured.directives
        report(
            DocumentErrorCode.TOO_MANY_DIRECTIVES,
            gettext_noop("%(count)s directives in one place; at most %(limit)s are allowed."),
            node,
            count=count,
            limit=limits.max_directives,
        )


def _name(node: OperationDefinitionNode | FragmentDefinitionNode) -> str:
    if isinstance(node, FragmentDefinitionNode):
        return translated(gettext_noop("Fragment '%(name)s'"), {"name": node.name.value})
    if node.name:
        return translated(gettext_noop("Operation '%(name)s'"), {"name": node.name.value})
    return translated(gettext_noop("The operation"))
