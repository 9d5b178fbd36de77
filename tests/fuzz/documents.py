"""The cases: one operation of one root field, its arguments, and how it is sent.

A case starts from a selection set that hypothesis-graphql generates for the root field (nested
fields, fragments on interfaces, arguments of nested fields drawn from ``values``' strategies,
which it consults before its own, for built-in scalars too). schemathesis, which runs the same
generator, hands back printed text only, and knows neither what an argument means, nor
variables, nor subscriptions; so the suite drives hypothesis-graphql itself and then:

- draws the root field's arguments leaf by leaf from their domains (``domains``): one leaf, the
  target, hostile in one family (``values.THEMES``), the others mostly ordinary so that the case
  gets past the first check to the resolver and the service, some hostile in the same family;
- gives arguments of nested fields (cursors, IDs, page sizes) real values or hostile ones;
- selects ``errors { field code message }`` on mutation payloads, to tell a refusal;
- writes arguments as literals, as variables, or mixed (a variable deep in an input object);
- now and then makes the text and the request around it hostile: comments with hostile text,
  a byte-order mark, invisible characters between tokens, escapes of lone surrogates, a long
  comment near the body limit, a hostile ``operationName``, ``extensions`` and extra variables.

``targets`` lists every leaf of every root field; the HTTP and websocket tests run one case per
leaf with that leaf hostile (so every argument is covered, whatever the number of examples),
then free cases where any may be.
"""

import hashlib
from dataclasses import dataclass, field

import graphql
import hypothesis_graphql
from django.conf import settings
from hypothesis import strategies as st

from . import domains, values
from .domains import Domain

SDL = settings.BASE_DIR / "schema" / "schema.graphql"
OPERATION_NAME = "Fuzz"
ROOTS = ("Query", "Mutation", "Subscription")


@dataclass(frozen=True)
class Leaf:
    """A scalar or enum at ``path`` in a root field's arguments (``("input", "title", "en")``)."""

    path: tuple[str, ...]
    type: graphql.GraphQLNamedType
    domain: Domain

    @property
    def name(self) -> str:
        return ".".join(self.path)


@dataclass
class Case:
    """One request's worth: what is sent, and what about it is hostile."""

    root: str
    field: str
    target: str | None
    theme: str | None
    document: str
    variables: dict | None
    operation_name: str | None
    extensions: dict | None
    hostile: list[str] = field(default_factory=list)
    # How the request is written (HTTP only): json (ASCII, surrogates as \\u escapes), utf8
    # (UTF-8 JSON, surrogates escaped), get, graphql (application/graphql body).
    transport: str = "json"
    accept: str = "application/graphql-response+json"

    @property
    def label(self) -> str:
        return f"{self.root}.{self.field}"

    def describe(self) -> str:
        """The case in a few lines, for a failure's report."""
        hostile = "; ".join(self.hostile) or "none"
        return f"{self.label} (target {self.target or '-'}, family {self.theme}): {hostile}"


def short(value, limit: int = 60) -> str:
    text = repr(value)
    if len(text) > limit:
        text = f"{text[: limit - 20]}…{text[-12:]} ({len(str(value))} chars)"
    return text


class Api:
    """The schema as the fuzz sees it: the root fields, the leaves of their arguments, and the
    strategies of their cases."""

    def __init__(self, sdl: str | None = None):
        self.schema = graphql.build_schema(sdl if sdl is not None else SDL.read_text())
        self.roots = {
            "Query": self.schema.query_type,
            "Mutation": self.schema.mutation_type,
            "Subscription": self.schema.subscription_type,
        }
        self.scalars = values.scalar_literals()
        self.generic = values.generic_scalars()
        self._selections: dict[tuple[str, str], st.SearchStrategy] = {}

    def fields(self, root: str) -> list[str]:
        return list(self.roots[root].fields)

    def field(self, root: str, name: str) -> graphql.GraphQLField:
        return self.roots[root].fields[name]

    def leaves(self, root: str, name: str) -> list[Leaf]:
        """Every scalar or enum in the field's arguments, input objects unfolded."""
        found: list[Leaf] = []
        for argument, definition in self.field(root, name).args.items():
            self._leaves(name, (argument,), definition.type, found)
        return found

    def _leaves(self, field_name, path, type_, found) -> None:
        named = graphql.get_nullable_type(type_)
        if isinstance(named, graphql.GraphQLList):
            self._leaves(field_name, path, named.of_type, found)
            return
        if isinstance(named, graphql.GraphQLInputObjectType):
            for name, input_field in named.fields.items():
                self._leaves(field_name, (*path, name), input_field.type, found)
            return
        found.append(Leaf(path, named, domains.domain_of(field_name, path, named)))

    def selections(self, root: str, name: str) -> st.SearchStrategy[graphql.DocumentNode]:
        """hypothesis-graphql's documents for one root field."""
        key = (root, name)
        if key not in self._selections:
            if root == "Mutation":
                strategy = hypothesis_graphql.mutations(
                    self.schema, fields=[name], custom_scalars=self.scalars, print_ast=_same
                )
            else:
                # hypothesis-graphql generates queries and mutations only: a subscription is
                # generated as a query of a schema whose query type is Subscription.
                schema = self.schema
                if root == "Subscription":
                    schema = graphql.GraphQLSchema(
                        query=self.schema.subscription_type,
                        types=list(self.schema.type_map.values()),
                    )
                strategy = hypothesis_graphql.queries(
                    schema, fields=[name], custom_scalars=self.scalars, print_ast=_same
                )
            self._selections[key] = strategy
        return self._selections[key]

    def cases(
        self, root, name, target, pools, transports=("json",), salt=0, family=None, benign=False
    ):
        """Cases of one root field; ``target``: the leaf that is hostile (None: any may be),
        in ``family`` (drawn when None); ``salt`` varies the simplest case (see _rotated).
        ``benign``: nothing hostile at all (every argument ordinary, no noise in the document
        or the envelope), what a valid request of the field looks like."""
        return _case(self, root, name, target, pools, transports, salt, family, benign)


def _same(document):
    return document


# --- Arguments -----------------------------------------------------------------------------


def _rotated(draw, choices: tuple, salt: int):
    """One of ``choices``. Hypothesis tries the simplest example first (the first of every
    list): rotated by a salt of the case's field and target, each case starts elsewhere."""
    return choices[(draw(st.integers(0, len(choices) - 1)) + salt) % len(choices)]


def _leaf_value(draw, api, leaf: Leaf, hostile_only: bool, intensity, theme, pools, state, notes):
    """A value for ``leaf``: hostile (always, for the target), else ordinary but for
    ``intensity`` percent of hostile values of the case's family (and a fifth of that of the
    scalar's generic values, hostile or not)."""
    domain = leaf.domain
    roll = 100 if hostile_only or not intensity else draw(st.integers(0, 99))
    if hostile_only or (theme in domain.themes and roll < intensity):
        mode = "hostile"
    elif roll < intensity + intensity // 5:
        mode = "generic"
    else:
        mode = "ordinary"
    if mode == "ordinary":
        return domain.ordinary(draw, pools, state)
    if mode == "generic":
        strategy = api.generic.get(leaf.type.name)
        if strategy is None:
            strategy = domain.hostile("malformed", pools)
        value = draw(strategy)
        notes.append(f"{leaf.name} [generic] {short(value)}")
        return value
    family = theme if theme in domain.themes else draw(st.sampled_from(domain.themes))
    value = draw(domain.hostile(family, pools))
    notes.append(f"{leaf.name} [{family}] {short(value)}")
    if getattr(domain, "role", None) == "start":
        state["hostile start"] = value
    return value


def _present(draw, required: bool, path: tuple[str, ...], target: Leaf | None) -> bool:
    """Whether an argument or input field is sent: the required ones and those on the way to
    the target always; the others half of the time, and not in the simplest case, which then
    has the target alone to answer for."""
    if required:
        return True
    if target is not None and target.path[: len(path)] == path:
        return True
    return draw(st.integers(0, 99)) >= 50


class _Slot:
    """Where a leaf's value goes, once drawn."""

    __slots__ = ("leaf", "value")

    def __init__(self, leaf: Leaf):
        self.leaf = leaf
        self.value = None


def _plan(draw, type_, path, target, leaves_by_path, slots):
    """What to send for an argument or input field of ``type_``: a dict for an input object,
    a list for a list, a _Slot (drawn later) for a scalar or enum, None for null."""
    nullable = not graphql.is_non_null_type(type_)
    named = graphql.get_nullable_type(type_)
    on_target = target is not None and target.path[: len(path)] == path
    if nullable and not on_target and draw(st.integers(0, 99)) >= 95:
        return None
    if isinstance(named, graphql.GraphQLList):
        count = draw(st.integers(1 if on_target else 0, 3))
        return [
            _plan(draw, named.of_type, path, target, leaves_by_path, slots) for _ in range(count)
        ]
    if isinstance(named, graphql.GraphQLInputObjectType):
        return {
            name: _plan(draw, input_field.type, (*path, name), target, leaves_by_path, slots)
            for name, input_field in named.fields.items()
            if _present(draw, graphql.is_required_input_field(input_field), (*path, name), target)
        }
    slot = _Slot(leaves_by_path[path])
    slots.append(slot)
    return slot


def _fill(plan):
    if isinstance(plan, _Slot):
        return plan.value
    if isinstance(plan, dict):
        return {name: _fill(item) for name, item in plan.items()}
    if isinstance(plan, list):
        return [_fill(item) for item in plan]
    return plan


def _arguments(draw, api, root, name, target, intensity, theme, pools, notes) -> dict:
    """The root field's arguments as wire values."""
    definitions = api.field(root, name).args
    leaves_by_path = {leaf.path: leaf for leaf in api.leaves(root, name)}
    slots: list[_Slot] = []
    plan = {
        argument: _plan(draw, definition.type, (argument,), target, leaves_by_path, slots)
        for argument, definition in definitions.items()
        if _present(draw, graphql.is_required_argument(definition), (argument,), target)
    }
    # Starts before ends, so that an ordinary end can follow the case's ordinary start.
    slots.sort(key=lambda slot: getattr(slot.leaf.domain, "role", "") != "start")
    state: dict = {}
    target_done = False
    for slot in slots:
        hostile_only = target is not None and slot.leaf.path == target.path and not target_done
        target_done = target_done or hostile_only
        slot.value = _leaf_value(
            draw, api, slot.leaf, hostile_only, intensity, theme, pools, state, notes
        )
    return _fill(plan)


# --- The document --------------------------------------------------------------------------


def _nested_arguments(draw, api, selection_set, parent, theme, pools, notes, benign=False):
    """Give the arguments of nested fields real values (cursors, IDs) or hostile ones (never
    when ``benign``)."""
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, graphql.InlineFragmentNode):
            fragment_type = api.schema.get_type(selection.type_condition.name.value)
            _nested_arguments(
                draw, api, selection.selection_set, fragment_type, theme, pools, notes, benign
            )
            continue
        definition = parent.fields[selection.name.value]
        if selection.arguments:
            rewritten = []
            for argument in selection.arguments:
                argument_type = definition.args[argument.name.value].type
                named = graphql.get_named_type(argument_type)
                path = (argument.name.value,)
                leaf = Leaf(path, named, domains.domain_of(selection.name.value, path, named))
                hostile = draw(st.integers(0, 99)) >= 70 and not benign
                value = _leaf_value(draw, api, leaf, hostile, 0, theme, pools, {}, notes)
                rewritten.append(
                    graphql.ArgumentNode(name=argument.name, value=values.literal(value))
                )
            selection.arguments = tuple(rewritten)
        _nested_arguments(
            draw,
            api,
            selection.selection_set,
            graphql.get_named_type(definition.type),
            theme,
            pools,
            notes,
            benign,
        )


ERRORS_SELECTION = graphql.parse("{ errors { field code message } }").definitions[0].selection_set


def _with_errors(selection_set: graphql.SelectionSetNode) -> graphql.SelectionSetNode:
    """A mutation payload's selection with ``errors { field code message }``."""
    kept = [
        selection
        for selection in selection_set.selections
        if not (isinstance(selection, graphql.FieldNode) and selection.name.value == "errors")
    ]
    return graphql.SelectionSetNode(selections=(*ERRORS_SELECTION.selections, *kept))


class _Variables:
    """Turns argument values into variables, naming them in order."""

    def __init__(self):
        self.definitions: list[graphql.VariableDefinitionNode] = []
        self.values: dict = {}

    def add(self, type_, value) -> graphql.VariableNode:
        name = f"v{len(self.definitions)}"
        variable = graphql.VariableNode(name=graphql.NameNode(value=name))
        self.definitions.append(
            graphql.VariableDefinitionNode(variable=variable, type=graphql.parse_type(str(type_)))
        )
        self.values[name] = value
        return variable


def _written(draw, value, type_, form: str, variables: _Variables) -> graphql.ValueNode:
    """``value`` of GraphQL ``type_`` as a literal or a variable, per ``form``."""
    if form == "variables" or (form == "mixed" and draw(st.integers(0, 99)) >= 60):
        return variables.add(type_, value)
    named = graphql.get_nullable_type(type_)
    if (
        form == "mixed"
        and isinstance(value, dict)
        and isinstance(named, graphql.GraphQLInputObjectType)
    ):
        return graphql.ObjectValueNode(
            fields=tuple(
                graphql.ObjectFieldNode(
                    name=graphql.NameNode(value=name),
                    value=_written(draw, item, named.fields[name].type, form, variables),
                )
                for name, item in value.items()
            )
        )
    return values.literal(value)


# What can be done to the text of a document or the request around it.
HOSTILE_COMMENTS = (
    "\ud800",
    "\u200b\u200b",
    "\x00",
    "\u202e reversed",
    "\ufeff",
    "a\udfffb",
    "\u2028",
)
SECOND_OPERATION = "\nquery Other { __typename }\n"


def _noise(draw, text: str, notes: list[str]) -> str:
    """The document's text, sometimes made hostile (a hostile comment, a byte-order mark,
    invisible characters between tokens, escaped surrogates, a very long comment…)."""
    if draw(st.integers(0, 99)) < 80:
        return text
    kind = draw(
        st.sampled_from(
            (
                "comment",
                "bom",
                "between-tokens",
                "escaped-surrogate",
                "variable-width-escape",
                "long-comment",
                "trailing",
                "insignificant",
            )
        )
    )
    lines = text.split("\n")
    # A line of a text whose length depends on the pools: an index taken modulo, so that
    # the draw keeps its shape (see domains.member_of).
    position = draw(domains.INDEX) % (len(lines) + 1)
    if kind == "comment":
        comment = draw(st.sampled_from(HOSTILE_COMMENTS))
        text = "\n".join([*lines[:position], f"# {comment}", *lines[position:]])
    elif kind == "bom":
        text = "\ufeff" + text
    elif kind == "between-tokens":
        character = draw(st.sampled_from(("\u200b", "\u00a0", "\u2028", "\x00", "\ud800")))
        text = text.replace(" {", f"{character}{{", 1)
    elif kind == "escaped-surrogate":
        escape = draw(st.sampled_from(("\\uD800", "\\uDFFF", "\\uDBFF\\uDBFF", "\\u0000")))
        text = text.replace('"', f'"{escape}', 1) if '"' in text else f"# {escape}\n{text}"
    elif kind == "variable-width-escape":
        escape = draw(st.sampled_from(("\\u{D800}", "\\u{110000}", "\\u{10FFFF}", "\\u{}")))
        text = text.replace('"', f'"{escape}', 1) if '"' in text else f"# {escape}\n{text}"
    elif kind == "long-comment":
        size = draw(st.sampled_from((50_000, 95_000, 101_000)))
        text = "#" + "x" * size + "\n" + text
    elif kind == "trailing":
        text += draw(st.sampled_from(("}", "\x00", "\ud800", " {", "#")))
    else:
        # Printed documents break lines between tokens only (strings escape theirs).
        text = text.replace("\n", draw(st.sampled_from(("\r\n", "\r", "\n,", "\n\t"))))
    notes.append(f"document: {kind}")
    return text


def _envelope(draw, document: str, variables: dict | None, notes: list[str]):
    """operationName and extensions, sometimes hostile; hostile extra variables."""
    roll = draw(st.integers(0, 99))
    operation_name = OPERATION_NAME if roll < 50 else None
    if roll >= 90:
        operation_name = draw(
            st.sampled_from(("\ud800", "Fu\x00zz", "", "Nope", "F" * 10_000, "fuzz", "\u200b"))
        )
        notes.append(f"operationName {short(operation_name)}")
    extensions = None
    roll = draw(st.integers(0, 99))
    if roll >= 85:
        digest = hashlib.sha256(document.encode("utf-8", "surrogatepass")).hexdigest()
        extensions = draw(
            st.sampled_from(
                (
                    {},
                    {"persistedQuery": {"version": 1, "sha256Hash": digest}},
                    {"persistedQuery": {"version": 1, "sha256Hash": "\ud800"}},
                    {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}},
                    {"persistedQuery": {"version": "1\x00", "sha256Hash": digest}},
                    {"persistedQuery": {"version": 2**64, "sha256Hash": digest}},
                    {"persistedQuery": "\u200b"},
                    {"\ud800": "\udfff"},
                    {"x": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]},
                )
            )
        )
        notes.append(f"extensions {short(extensions)}")
    if draw(st.integers(0, 99)) >= 90:
        extra = draw(
            st.sampled_from(
                ({"\ud800": "\ud800"}, {"zz\x00": "\x00"}, {"": "a" * 1000}, {"v0x": [None]})
            )
        )
        variables = {**(variables or {}), **extra}
        notes.append(f"extra variables {short(extra)}")
    return operation_name, extensions, variables


@st.composite
def _case(draw, api: Api, root, name, target: Leaf | None, pools, transports, salt, family, benign):
    notes: list[str] = []
    document = draw(api.selections(root, name))
    operation = next(
        d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)
    )
    themes = target.domain.themes if target is not None else values.THEMES
    theme = family or _rotated(draw, themes, salt)
    # How many of the other leaves are hostile too: none (the simplest, so that a free case
    # may be wholly ordinary and reach what a valid request does), some, many.
    intensity = 0 if benign else draw(st.sampled_from((0, 0, 15, 40)))
    arguments = _arguments(draw, api, root, name, target, intensity, theme, pools, notes)
    root_field = next(
        s
        for s in operation.selection_set.selections
        if isinstance(s, graphql.FieldNode) and s.name.value == name
    )
    definition = api.field(root, name)
    payload_type = graphql.get_named_type(definition.type)
    _nested_arguments(
        draw, api, root_field.selection_set, payload_type, theme, pools, notes, benign
    )
    if root == "Mutation" and "errors" in getattr(payload_type, "fields", {}):
        root_field.selection_set = _with_errors(root_field.selection_set)
    form = _rotated(draw, ("variables", "inline", "variables", "mixed"), salt)
    variables = _Variables()
    root_field.arguments = tuple(
        graphql.ArgumentNode(
            name=graphql.NameNode(value=argument),
            value=_written(draw, value, definition.args[argument].type, form, variables),
        )
        for argument, value in arguments.items()
    )
    operation.operation = graphql.OperationType[root.upper()]
    operation.name = graphql.NameNode(value=OPERATION_NAME)
    operation.variable_definitions = tuple(variables.definitions)
    text = graphql.print_ast(document)
    if benign:
        operation_name, extensions, variables_sent = OPERATION_NAME, None, variables.values or None
    else:
        if draw(st.integers(0, 99)) >= 96:
            text += SECOND_OPERATION
            notes.append("document: second operation")
        text = _noise(draw, text, notes)
        operation_name, extensions, variables_sent = _envelope(
            draw, text, variables.values or None, notes
        )
    if form != "inline":
        notes.insert(0, f"form {form}")
    transport = _rotated(draw, transports, salt // 7)
    if transport == "get" and root != "Query":
        transport = "json"
    return Case(
        root=root,
        field=name,
        target=target.name if target is not None else None,
        theme=theme,
        document=text,
        variables=variables_sent,
        operation_name=operation_name,
        extensions=extensions,
        hostile=notes,
        transport=transport,
        accept=_rotated(
            draw, ("application/graphql-response+json", "application/json", "*/*"), salt // 3
        ),
    )
