"""Counting GraphQL operations by type and outcome (see core.metrics).

Over the websocket the consumer has each result in hand and counts it with ``count_result``.
Over HTTP the view runs graphql-core itself, so ``OperationMetricsMiddleware`` (GraphQL
middleware) notes the operation's type on the request at its first root field and marks it
failed when any resolver raises or leaves a required field null; core's MetricsMiddleware
counts the note once the response is made.
"""

from graphql import get_operation_ast, is_non_null_type

from core import metrics


class OperationNote:
    """The operation a request ran: its type, and whether a field of it failed."""

    __slots__ = ("errored", "type")

    def __init__(self, operation_type: str):
        self.type = operation_type
        self.errored = False


class OperationMetricsMiddleware:
    """Notes the operation of a request as ``request.graphql_operation`` (see above)."""

    # Below the root it only watches for a raise or a null in a non-null field, which the
    # planned execution hands back to it (schema/core/execution.py).
    PLAIN_FIELDS_UNTOUCHED = True

    def resolve(self, next, root, info, **arguments):
        context = info.context
        if info.path.prev is None and getattr(context, "graphql_operation", None) is None:
            context.graphql_operation = OperationNote(info.operation.operation.value)
        try:
            result = next(root, info, **arguments)
        except Exception:
            _failed(context)
            raise
        if result is None and is_non_null_type(info.return_type):
            _failed(context)
        return result


def _failed(context) -> None:
    note = getattr(context, "graphql_operation", None)
    if note is not None:
        note.errored = True


def count_result(document, operation_name: str | None, result) -> None:
    """Count an operation the websocket consumer executed (or one event of a subscription)."""
    definition = get_operation_ast(document, operation_name)
    if definition is not None:
        metrics.count_graphql_operation(definition.operation.value, bool(result.errors))
