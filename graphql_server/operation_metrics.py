"""Counting GraphQL operations by type and outcome (see core.metrics).

Every operation, over HTTP or the websocket, is executed by ``graphql_server.runner``, which counts
each result here: one per query or mutation, one per event of a subscription. Documents refused
before execution (syntax, validation, limits, variables) are not operations and are not counted.
"""

from graphql import ExecutionResult, OperationDefinitionNode

from core import metrics


def count_result(definition: OperationDefinitionNode, result: ExecutionResult) -> None:
    """Count one execution of ``definition``: an error when any field failed."""
    metrics.count_graphql_operation(definition.operation.value, bool(result.errors))
