"""What the client asked for, so list resolvers join and prefetch exactly that.

graphene's DataLoaders need async execution, which graphene-django's HTTP view does not do;
so lists avoid N+1 queries by reading the selection set up front and applying
``select_related`` / ``prefetch_related`` to the one queryset that fetches the page.
"""

from graphql import FieldNode, FragmentSpreadNode, GraphQLResolveInfo, InlineFragmentNode


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
