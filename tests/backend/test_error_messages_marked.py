"""Every message the API can give people is marked for translation where it is written.

The API translates a message when it gives it (``graphql_server.errors.translated``): a
``ValidationError``'s message before its params are applied, a top-level GraphQL error's
when it is made. That finds a translation only for a message extracted into the catalogues,
that is, one written inside a gettext function (``gettext_noop`` for a message kept as data
until then). This test reads the project's sources (ast) and fails on a message given to an
error as a bare string or an f-string: an f-string's text changes with its values, so it
cannot be a msgid (use named placeholders, ``"At most %(limit)s characters."``, and params).
"""

import ast
from pathlib import Path

from django.conf import settings

BASE = Path(settings.BASE_DIR)
PACKAGES = (
    "accounts",
    "cities",
    "events",
    "chat",
    "notifications",
    "reports",
    "images",
    "schema",
    "graphql_server",
    "core",
)
GETTEXT = {"gettext", "gettext_lazy", "gettext_noop", "pgettext", "pgettext_lazy", "_"}

# Errors of other libraries that take a message for people (where it is, by position).
LIBRARY_ERRORS = {"ValidationError": 0, "GraphQLError": 0, "PermissionDenied": 0}

# Messages that stay English, each with its reason: (path, the message's first words).
ALLOWED = {
    # Apollo's automatic persisted queries: its clients read the message (as well as the code)
    # to know to send the document's text again.
    ("graphql_server/http/persisted_queries.py", "PersistedQueryNotFound"): "the APQ protocol",
    ("graphql_server/http/persisted_queries.py", "PersistedQueryNotSupported"): "the APQ protocol",
    # Told to the operators (the readiness check and its log), not to a client.
    ("graphql_server/websocket/group_hub.py", "websocket groups: "): "an operators' report",
    # A value of the Upload scalar read as output or as a literal: a mistake in the schema or
    # the document, told as graphql-core tells its own.
    ("schema/core/uploads.py", "An Upload is never answered"): "graphql-core's scalar error",
    ("schema/core/uploads.py", "Send the file as a part"): "graphql-core's scalar error",
}


def sources() -> list[Path]:
    return [
        path
        for package in PACKAGES
        for path in sorted((BASE / package).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def message_positions(tree: ast.Module) -> dict[str, int]:
    """The callables a module defines that take a ``message``, by name, with its position:
    functions, classes (their ``__init__``) and methods (``Class.method``)."""
    found = {}

    def position(function, skip_self: bool) -> int | None:
        names = [argument.arg for argument in function.args.args]
        if skip_self and names:
            names = names[1:]
        return names.index("message") if "message" in names else None

    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            index = position(node, skip_self=False)
            if index is not None:
                found.setdefault(node.name, index)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if not isinstance(item, ast.FunctionDef):
                    continue
                index = position(item, skip_self=True)
                if index is None:
                    continue
                if item.name == "__init__":
                    found[node.name] = index
                else:
                    found[f"{node.name}.{item.name}"] = index
    return found


def bare(node: ast.AST | None) -> bool:
    """Whether ``node`` is text not wrapped in a gettext function."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(node.value.strip())
    if isinstance(node, ast.BinOp):  # "..." % values, "..." + "..."
        return bare(node.left) or bare(node.right)
    if isinstance(node, ast.IfExp):
        return bare(node.body) or bare(node.orelse)
    if isinstance(node, ast.Dict):  # ValidationError({"field": "message"})
        return any(bare(value) for value in node.values)
    if isinstance(node, ast.List | ast.Tuple):
        return any(bare(item) for item in node.elts)
    return False


def callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        if isinstance(node.func.value, ast.Name):
            return f"{node.func.value.id}.{node.func.attr}"
        return node.func.attr
    return None


def text_of(node: ast.AST) -> str:
    for child in ast.walk(node):
        if isinstance(child, ast.Constant) and isinstance(child.value, str):
            return child.value
    return ""


def unmarked_messages() -> list[tuple[str, int, str]]:
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sources()}
    everywhere: dict[str, set[int]] = {}
    for tree in trees.values():
        for name, index in message_positions(tree).items():
            everywhere.setdefault(name, set()).add(index)
    found = []
    for path, tree in trees.items():
        own = message_positions(tree)
        # Module constants holding a message, given to an error by name.
        constants = {
            target.id: node.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }

        def position(name: str, own=own) -> int | None:
            if name in own:
                return own[name]
            short = name.rpartition(".")[2]
            for key in (name, short):
                if key in LIBRARY_ERRORS:
                    return LIBRARY_ERRORS[key]
                if len(everywhere.get(key, ())) == 1:
                    return next(iter(everywhere[key]))
            return None

        def check(argument, line, constants=constants, path=path):
            if isinstance(argument, ast.Name) and argument.id in constants:
                argument = constants[argument.id]
            if bare(argument):
                found.append((str(path.relative_to(BASE)), line, text_of(argument)))

        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                arguments = node.args.args + node.args.kwonlyargs
                defaults = [None] * (len(node.args.args) - len(node.args.defaults))
                defaults += node.args.defaults + node.args.kw_defaults
                for argument, default in zip(arguments, defaults, strict=True):
                    if argument.arg == "message" and default is not None:
                        check(default, node.lineno)
            if not isinstance(node, ast.Call):
                continue
            name = callee(node)
            index = position(name) if name else None
            if index is None:
                continue
            if index < len(node.args):
                check(node.args[index], node.lineno)
            for keyword in node.keywords:
                if keyword.arg == "message":
                    check(keyword.value, node.lineno)
    return found


def test_every_error_message_is_marked_for_translation():
    unmarked = [
        f"{path}:{line}: {text[:60]!r}"
        for path, line, text in unmarked_messages()
        if not any(path == where and text.startswith(start) for where, start in ALLOWED)
    ]

    assert unmarked == [], (
        "messages for people not marked for translation (wrap them in gettext_noop, with "
        "%(name)s placeholders and params rather than f-strings):\n" + "\n".join(unmarked)
    )


def test_the_exceptions_are_still_where_they_were():
    """An allowed message that is gone leaves no exception behind for another to hide in."""
    texts = {(path, text) for path, _, text in unmarked_messages()}

    stale = [
        key for key in ALLOWED if not any(p == key[0] and t.startswith(key[1]) for p, t in texts)
    ]

    assert stale == []
