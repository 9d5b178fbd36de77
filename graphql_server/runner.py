"""Running a GraphQL operation: one way, whichever transport brought it.

The HTTP view and the websocket consumer each turn what their client sent into a document that
may run and its operation with ``graphql_server.documents.prepare_operation`` (parsed, validated
and costed within the limits), adding only their own refusals. From there both hand it to this
module, which does the rest the same for both:

- **Variables** are coerced to the operation's types once, before anything runs; variables that
  do not fit are refused with ``INVALID_VARIABLES`` and nothing runs (``prepare``).
- **Execution** is graphql-core's, with the planned execution (``PlannedExecutionContext``) and
  graphene's middleware from the settings (rate limits, the NUL check…).
- **Unexpected errors** (an exception that is not a GraphQLError) are decided here, once for
  both transports (``unexpected_error``). An outage (``core.outages.is_outage``: the database
  or Redis unreachable, or its connection lost) is not a bug: it is logged at WARNING with the
  request's ID (an HTTP request's, or the websocket connection's) and answered as
  ``Service unavailable; try again.`` with ``extensions.code = SERVICE_UNAVAILABLE``,
  ``extensions.retryAfter`` (seconds) and ``extensions.requestId``. Anything else is a bug:
  logged at ERROR with its traceback and answered as ``Internal server error.`` with
  ``extensions.code = INTERNAL_SERVER_ERROR`` and ``extensions.requestId``. Either's own text
  is shown only in DEBUG, as it may quote SQL. Errors the API means to raise keep their
  message and code. A transport answers an unexpected error of the whole request from here
  too: HTTP with 503 and Retry-After or 500, the websocket with the operation's `error` (or,
  for a subscription that meets an outage, a close with 4503, after which clients subscribe
  again).
- **Metrics**: every execution is counted by operation type and outcome.
- **Subscriptions**: the source stream is opened with the same variables, refusals and
  masking, and each of its events is executed through ``execute``, like a query.

What is left to each transport is its own business: HTTP its media types, status codes and
caches; the websocket its protocol, its per-operation authentication and its threads.
tests/graphql_server/test_transport_parity.py runs the same operations over both and compares.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_noop
from graphene_django.settings import graphene_settings
from graphene_django.views import instantiate_middleware
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    create_source_event_stream,
    execute,
)
from graphql.execution.values import get_variable_values
from graphql.pyutils import is_awaitable

from core.outages import RETRY_AFTER_SECONDS, is_outage

from .documents import DocumentErrorCode, DocumentLimits
from .errors import ApiErrorCode, translated
from .execution import PlannedExecutionContext
from .operation_metrics import count_result

logger = logging.getLogger(__name__)

INTERNAL_ERROR_MESSAGE = gettext_noop("Internal server error.")
SERVICE_UNAVAILABLE_MESSAGE = gettext_noop("Service unavailable; try again.")


class OperationRefused(Exception):
    """The operation may not run, or its subscription may not go on; ``errors`` say why, each
    with its ``extensions.code``. HTTP answers them as a request error, the websocket as the
    protocol's ``error`` message."""

    def __init__(self, errors: list[GraphQLError]):
        super().__init__("; ".join(error.message for error in errors))
        self.errors = errors


def unexpected_error(
    error: BaseException, request_id: str, located: GraphQLError | None = None
) -> GraphQLError:
    """The GraphQL error that stands for ``error``, which the API did not mean to raise, logged
    with ``request_id``: SERVICE_UNAVAILABLE for an outage, INTERNAL_SERVER_ERROR for anything
    else (see the module). ``located`` gives where it happened (its locations and path), when
    that is known."""
    if is_outage(error):
        return unavailable_error(error, request_id, located)
    return internal_error(error, request_id, located)


def internal_error(
    error: BaseException, request_id: str, located: GraphQLError | None = None
) -> GraphQLError:
    """``error``, a bug, logged with ``request_id`` and its traceback at ERROR, and the
    GraphQL error that stands for it in the answer: generic (its text only in DEBUG), coded
    INTERNAL_SERVER_ERROR, with the request's ID for a user's report to name."""
    path = located.path if located is not None else None
    logger.error(
        "Unexpected error in GraphQL request %s at %s",
        request_id,
        _where(path),
        exc_info=(type(error), error, error.__traceback__),
    )
    return _answered(
        error,
        INTERNAL_ERROR_MESSAGE,
        located,
        {"code": ApiErrorCode.INTERNAL_SERVER_ERROR.value, "requestId": request_id},
    )


def unavailable_error(
    error: BaseException, request_id: str, located: GraphQLError | None = None
) -> GraphQLError:
    """``error``, an outage, logged with ``request_id`` at WARNING, in one line: a service that
    is down fails every request the same way for as long as it lasts, and each is no bug to
    report (Sentry takes ERROR). Answered coded SERVICE_UNAVAILABLE, with ``retryAfter``."""
    path = located.path if located is not None else None
    logger.warning(
        "Service unavailable in GraphQL request %s at %s: %s: %s",
        request_id,
        _where(path),
        type(error).__name__,
        next(iter(str(error).splitlines()), ""),
    )
    return _answered(
        error,
        SERVICE_UNAVAILABLE_MESSAGE,
        located,
        {
            "code": ApiErrorCode.SERVICE_UNAVAILABLE.value,
            "retryAfter": RETRY_AFTER_SECONDS,
            "requestId": request_id,
        },
    )


def is_unavailable(error: GraphQLError) -> bool:
    """Whether ``error`` is an outage's (``unavailable_error``): the same request may succeed
    once the service is back."""
    return (error.extensions or {}).get("code") == ApiErrorCode.SERVICE_UNAVAILABLE.value


def _where(path) -> str:
    return ".".join(str(key) for key in path or ()) or "-"


def _answered(
    error: BaseException, message: str, located: GraphQLError | None, extensions: dict
) -> GraphQLError:
    return GraphQLError(
        str(error) if settings.DEBUG else translated(message),
        located.nodes if located is not None else None,
        located.source if located is not None else None,
        located.positions if located is not None else None,
        located.path if located is not None else None,
        extensions=extensions,
    )


def mask_unexpected(error: GraphQLError, request_id: str) -> GraphQLError:
    """``error`` if the API meant to raise it; otherwise ``unexpected_error`` of its cause."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return error
    return unexpected_error(original, request_id, error)


@dataclass(frozen=True, eq=False)
class OperationRun:
    """One operation of one request (or one ``subscribe`` of a websocket), its variables
    checked, ready to run with a context of the transport's making. Made by ``prepare``.

    ``execute`` runs blocking code (resolvers use the ORM): call it in a worker thread from
    async code, or on the event loop only for an event that promises it needs no database.
    """

    schema: GraphQLSchema
    document: DocumentNode
    definition: OperationDefinitionNode
    operation_name: str | None
    variables: dict
    request_id: str
    hide_suggestions: bool
    middleware: tuple

    @property
    def is_subscription(self) -> bool:
        return self.definition.operation is OperationType.SUBSCRIPTION

    def execute(self, context, root=None) -> ExecutionResult:
        """The operation's result for ``context`` (``info.context``), unexpected errors masked
        and logged, counted in the metrics. ``root`` is a subscription's event."""
        result = execute(
            self.schema,
            self.document,
            root_value=root,
            context_value=context,
            variable_values=self.variables,
            operation_name=self.operation_name,
            middleware=list(self.middleware) or None,
            hide_suggestions=self.hide_suggestions,
            # Per-selection-set plans instead of graphql-core's per-field walk: same results.
            execution_context_class=PlannedExecutionContext,
        )
        if is_awaitable(result):
            result.close()
            raise TypeError("Resolvers must be synchronous: operations run in a worker thread.")
        if result.errors:
            result.errors = [mask_unexpected(error, self.request_id) for error in result.errors]
        count_result(self.definition, result)
        return result

    async def subscribe(self, context):
        """The source stream of a subscription (what its resolver returns: an async iterator of
        events, each to be run through ``execute`` as ``root``). OperationRefused when it is
        refused before its first event (a permission, an unknown ID, a bug: masked)."""
        source = await create_source_event_stream(
            self.schema,
            self.document,
            context_value=context,
            variable_values=self.variables,
            operation_name=self.operation_name,
            hide_suggestions=self.hide_suggestions,
        )
        if isinstance(source, ExecutionResult):
            raise OperationRefused(
                [mask_unexpected(error, self.request_id) for error in source.errors or ()]
            )
        return source

    def stream_failed(self, error: Exception) -> OperationRefused:
        """What ends a subscription whose source stream raised ``error`` while running: a
        GraphQLError as it is, anything else masked and logged."""
        if isinstance(error, GraphQLError):
            return OperationRefused([mask_unexpected(error, self.request_id)])
        return OperationRefused([unexpected_error(error, self.request_id)])


# The most errors told about one request's variables: enough to fix a form at once, while
# variables made of hundreds of wrong values cost no more than this to answer.
MAX_VARIABLE_ERRORS = 10


def prepare(
    schema: GraphQLSchema,
    document: DocumentNode,
    definition: OperationDefinitionNode,
    variables: dict | None,
    *,
    operation_name: str | None,
    request_id: str,
    limits: DocumentLimits,
) -> OperationRun:
    """``definition`` (an operation of ``document``, which passed the document checks) ready to
    run with ``variables``; OperationRefused (INVALID_VARIABLES) when they do not fit it."""
    hide_suggestions = not limits.field_suggestions
    coerced = get_variable_values(
        schema,
        definition.variable_definitions or (),
        variables or {},
        max_errors=MAX_VARIABLE_ERRORS,
        hide_suggestions=hide_suggestions,
    )
    if isinstance(coerced, list):
        for error in coerced:
            error.extensions = {"code": DocumentErrorCode.INVALID_VARIABLES.value}
        raise OperationRefused(coerced)
    return OperationRun(
        schema=schema,
        document=document,
        definition=definition,
        operation_name=operation_name,
        variables=variables or {},
        request_id=request_id,
        hide_suggestions=hide_suggestions,
        middleware=tuple(instantiate_middleware(graphene_settings.MIDDLEWARE or ())),
    )
