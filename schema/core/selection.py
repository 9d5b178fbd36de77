"""What the client asked for, so list resolvers join and prefetch exactly that.

graphene's DataLoaders need async execution, which graphene-django's HTTP view does not do;
so lists avoid N+1 queries by reading the selection set up front and applying
``select_related`` / ``prefetch_related`` to the one queryset that fetches the page.
"""

from graphql import FieldNode, FragmentSpreadNode, GraphQLResolveInfo, InlineFragmentNode

from core.i18n import DEFAULT_LANGUAGE, column, current_language


def _walk(selection_set, fragments, prefix: str, paths: set[str]) -> None:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            path = f"{prefix}{selection.name.value}"
            paths.add(path)
            _walk(selection.selection_set, fragments, f"{path}.", paths)
        elif isinstance(selection, InlineFragmentNode):
            _walk(selection.selection_set, fragments, prefix, paths)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                _walk(fragment.selection_set, fragments, prefix, paths)


def selected_paths(info: GraphQLResolveInfo, under: str = "") -> frozenset[str]:
    """Dotted paths of every field selected below the current one (fragments included).

    With ``under="edges.node"`` the paths are relative to a connection's nodes:
    ``{"title", "hostCity", "hostCity.name", …}``. Directives are not evaluated, so a field
    under ``@skip`` still counts as selected: it costs a join, never a wrong answer.
    """
    paths: set[str] = set()
    for node in info.field_nodes:
        _walk(node.selection_set, info.fragments, "", paths)
    if not under:
        return frozenset(paths)
    prefix = f"{under}."
    return frozenset(path[len(prefix) :] for path in paths if path.startswith(prefix))


def is_selected(paths: frozenset[str], field: str) -> bool:
    """Whether ``field`` itself, or anything below it, is among ``paths``."""
    return any(path == field or path.startswith(f"{field}.") for path in paths)


def below(paths: frozenset[str], field: str) -> frozenset[str]:
    """The paths under ``field``, relative to it."""
    prefix = f"{field}."
    return frozenset(path[len(prefix) :] for path in paths if path.startswith(prefix))


class RowColumns:
    """Which columns of a model's row the fields of its GraphQL type read, so that a list
    loads those (``QuerySet.only``) rather than every column of every joined table. Each
    type that a list reads this way declares it beside itself, for every one of its fields
    (a test holds each type to it).

    ``always`` are read whatever is selected (the primary key, foreign keys that joins,
    prefetches and permission checks follow); ``fields`` maps a GraphQL field to the columns
    it reads (none for fields computed from the primary key, shown by a join or read by a
    query of their own); ``translated`` maps a GraphQL field to a translated model field, of
    which the request's language and the English fallback are read. ``joined`` maps a
    ``select_related`` name to the fields that show that row and the row's own columns: when
    one of those fields is selected, the joined row's columns are read for what is selected
    below any of them. ``whole_row`` are fields whose functions are handed the model instance
    to read as they please: selecting one reads every column. A selected field in none of
    them makes :meth:`columns` answer None too: every column is then loaded, which costs time,
    never a wrong answer or a query per row.
    """

    def __init__(
        self,
        always: tuple[str, ...],
        fields: dict[str, tuple[str, ...]],
        translated: dict[str, str] | None = None,
        joined: dict[str, tuple[tuple[str, ...], "RowColumns"]] | None = None,
        whole_row: tuple[str, ...] = (),
    ):
        self.always = always
        self.fields = {"__typename": (), **fields}
        self.translated = translated or {}
        self.joined = joined or {}
        self.whole_row = frozenset(whole_row)

    def declared(self) -> frozenset[str]:
        """The GraphQL fields that this declaration says something about."""
        shown = {field for fields, _ in self.joined.values() for field in fields}
        return frozenset(self.fields) | frozenset(self.translated) | shown | self.whole_row

    def columns(self, paths: frozenset[str], prefix: str = "") -> list[str] | None:
        """The ``only()`` names for the fields in ``paths`` and, through ``joined``, below
        them, each after ``prefix`` (``"host_city__"`` for a joined row), or None when a
        field is not known or reads the whole row."""
        language = current_language()
        known = self.declared()
        names = set(self.always)
        for path in paths:
            if "." in path:
                continue
            if path in self.whole_row or path not in known:
                return None
            if path in self.translated:
                field = self.translated[path]
                names.update((column(field, language), column(field, DEFAULT_LANGUAGE)))
            else:
                names.update(self.fields.get(path, ()))
        parts = [sorted(f"{prefix}{name}" for name in names)]
        for join, (shown_by, row) in self.joined.items():
            if any(is_selected(paths, field) for field in shown_by):
                below_join = frozenset().union(*(below(paths, field) for field in shown_by))
                parts.append(row.columns(below_join, f"{prefix}{join}__"))
        return only_columns(*parts)


def only_columns(*columns: list[str] | None) -> list[str] | None:
    """The union of the columns of a row and its joined rows; None if any of them is None."""
    if any(names is None for names in columns):
        return None
    return [name for names in columns for name in names]
