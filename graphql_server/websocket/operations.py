"""Running the operations of a socket: each `subscribe` prepared as over HTTP, then answered
(a query or a mutation) or streamed (a subscription), through the runner HTTP uses too
(``graphql_server.runner``: variables, execution, masking and logging of unexpected errors
with the connection's request ID, metrics).

Each event of a subscription is executed like a query, in a worker thread, for its subscriber.
An event that says its result is the same for every subscriber of the same operation (it has a
``shared_result_key``, unique to the broadcast, and needs no database) is executed once per
process and operation (document, variables, language) on the event loop, and its result's JSON
is sent to every such subscriber: a chat message reaching a thousand subscribers of one room
costs one execution, not a thousand.
"""

import json

from asgiref.sync import sync_to_async
from django.utils import translation
from django.utils.translation import gettext_noop
from graphql import GraphQLError

from core.outages import is_outage

from .. import runner
from ..documents import DocumentError, DocumentLimits, is_remembered, prepare_operation
from ..errors import translated
from .context import Operation, WebsocketContext
from .protocol import (
    LIVE_UPDATES_UNAVAILABLE,
    SERVICE_UNAVAILABLE,
    CloseCode,
    CloseConnection,
    WebsocketErrorCode,
    to_json,
)

# Results of shared subscription events kept for the process's other subscribers: enough for
# every operation of the broadcasts in flight.
SHARED_RESULTS = 1024
# Shared results by (event's key, operation's key), oldest first; only the event loop's thread
# touches it.
_shared_results: dict[tuple, str] = {}


def _close_for_an_outage(errors) -> None:
    """CloseConnection(4503) when a subscription's ``errors`` hold an outage's
    (SERVICE_UNAVAILABLE): an `error` would end the subscription for good (graphql-ws does not
    subscribe again after one), and a `next` would tell of a failure instead of the event. The
    client reconnects and subscribes again (the chat with ``after``), once the service is back.
    """
    if any(runner.is_unavailable(error) for error in errors):
        raise CloseConnection(CloseCode.SERVICE_UNAVAILABLE, SERVICE_UNAVAILABLE)


def _variables_key(variables: dict | None) -> str:
    return json.dumps(variables or {}, sort_keys=True, separators=(",", ":"))


class OperationsMixin:
    """The operations of a connection, a part of ``GraphQLWebsocketConsumer``: see the module.

    It relies on the consumer for the rest of the connection: ``graphql_schema``, ``user``,
    ``language``, ``request_id``, ``limits``, ``_operations``, ``_account``, ``_in_thread``,
    ``_send``, ``_send_next``, ``_send_error``, ``close_with``, ``leave_group``, and the
    viewer's checks of ``session.SessionMixin``.
    """

    async def _start(self, operation: Operation, payload: dict) -> tuple | None:
        """What ``_run`` needs to run the operation (its runner, and a subscription's key for
        shared results), once it may: None when it may not, its `error` sent.

        Awaited before the connection's next message is read. A subscription is authorized here
        (the token checked now), so that it listens to its groups before anything the client
        sent after it runs: an app subscribes to an event, then reads it, and misses nothing in
        between. A query or mutation checks the token in the thread that runs it.
        """
        variables = payload.get("variables")
        name = payload.get("operationName") or None  # "" names none, as over HTTP
        query = payload["query"]
        try:
            # The same standard rules, limits and document cache as over HTTP, then the
            # variables, as the runner checks them for HTTP too. A document met before (the
            # app's own operations, and any refused one) is answered from memory on the loop;
            # a new one is parsed and validated in a thread, so that a costly document holds
            # up no other socket of the process meanwhile.
            if is_remembered(self.graphql_schema, query):
                prepared = prepare_operation(self.graphql_schema, query, name, variables)
            else:
                prepared = await sync_to_async(prepare_operation, thread_sensitive=False)(
                    self.graphql_schema, query, name, variables
                )
            with translation.override(self.language):
                run = runner.prepare(
                    self.graphql_schema,
                    prepared.document,
                    prepared.operation,
                    variables,
                    operation_name=name,
                    request_id=self.request_id,
                    limits=DocumentLimits.from_settings(),
                )
        except DocumentError as error:
            await self._send_error(operation.id, error.errors)
            return None
        except runner.OperationRefused as refused:
            await self._send_error(operation.id, refused.errors)
            return None
        operation.context = WebsocketContext(self, operation)
        if not run.is_subscription:
            return run, None
        limit = self.limits.max_subscriptions
        if limit and sum(op.streaming for op in self._operations.values()) >= limit:
            error = GraphQLError(
                translated(
                    gettext_noop("Too many subscriptions on this connection (at most %(limit)s)."),
                    {"limit": limit},
                ),
                extensions={"code": WebsocketErrorCode.TOO_MANY_SUBSCRIPTIONS.value},
            )
            await self._send_error(operation.id, [error])
            return None
        operation.streaming = True
        if self.user.is_authenticated and self._account is None:
            # A subscription lives on what the account may see: it runs only while the
            # account's news is heard (lost with the channel layer, and watched again here).
            await self._watch_account()
            if self._account is None:
                await self.close_with(CloseCode.SERVICE_UNAVAILABLE, LIVE_UPDATES_UNAVAILABLE)
                return None
        try:
            await self._authorize(operation.context)
        except runner.OperationRefused as refused:
            _close_for_an_outage(refused.errors)
            await self._send_error(operation.id, refused.errors)
            return None
        # The text names the operation, for results shared between subscribers of it.
        return run, (payload["query"], name, _variables_key(variables), self.language)

    async def _run(self, operation: Operation, run, operation_key) -> None:
        try:
            with translation.override(self.language):
                if run.is_subscription:
                    await self._stream(operation, run, operation_key)
                else:
                    await self._answer(operation, run)
        finally:
            await self._finish(operation)

    async def _answer(self, operation: Operation, run) -> None:
        """A query's or a mutation's result: `next`, then `complete`."""
        try:
            # The token is checked in the thread that then runs the operation: one hop.
            result = await self._in_thread(self._authorized_execution, run, operation.context)
        except runner.OperationRefused as refused:
            await self._send_error(operation.id, refused.errors)
            return
        await self._send({"id": operation.id, "type": "next", "payload": result.formatted})
        await self._send({"id": operation.id, "type": "complete"})

    async def _stream(self, operation: Operation, run, operation_key) -> None:
        """A subscription's results, one `next` per event, until its stream ends (`complete`)
        or fails (`error`)."""
        context = operation.context
        try:
            # The source stream (the resolver's async generator) lives on this event loop;
            # each of its events is then executed like a query, in a thread, as the ORM
            # requires. Refused before the first event (a permission check, an unknown ID):
            # the protocol's `error`, which ends the operation.
            source = await run.subscribe(context)
        except runner.OperationRefused as refused:
            _close_for_an_outage(refused.errors)
            await self._send_error(operation.id, refused.errors)
            return
        events = aiter(source)
        try:
            while True:
                try:
                    event = await anext(events)
                except StopAsyncIteration:
                    break
                except Exception as error:
                    if is_outage(error):
                        # The database or Redis is unreachable, not a bug: the socket closes
                        # with 4503 (``_guard``), and the client resumes where it was.
                        raise
                    # The stream failed (an error of the API's, or a bug: masked and logged).
                    raise run.stream_failed(error) from error
                if getattr(event, "shared_result_key", None) is not None:
                    text = self._shared_result(run, context, event, operation_key)
                    await self._send_next(operation.id, text)
                    continue
                result = await self._in_thread(self._execution, run, context, event)
                # An event that met an outage is not delivered as a failure: the client
                # resumes, and reads again what the event was to tell.
                _close_for_an_outage(result.errors or ())
                await self._send({"id": operation.id, "type": "next", "payload": result.formatted})
        except runner.OperationRefused as refused:
            await self._send_error(operation.id, refused.errors)
            return
        finally:
            if aclose := getattr(source, "aclose", None):
                await aclose()
        await self._send({"id": operation.id, "type": "complete"})

    def _shared_result(self, run, context, event, operation_key) -> str:
        """The JSON of the result of ``event``, which is the same for every subscriber of the
        operation: executed by the first of this process to send it, on the event loop (the
        event promises it needs no database), then taken from ``_shared_results``."""
        key = (event.shared_result_key, operation_key)
        text = _shared_results.get(key)
        if text is None:
            text = to_json(self._execution(run, context, event).formatted)
            _shared_results[key] = text
            while len(_shared_results) > SHARED_RESULTS:
                del _shared_results[next(iter(_shared_results))]
        return text

    def _execution(self, run, context, root=None):
        """``run``'s result for ``context`` (and a subscription's event), in the connection's
        language. Blocking: in a worker thread, but for shared results."""
        with translation.override(self.language):
            return run.execute(context, root)

    def _authorized_execution(self, run, context):
        """``_execution`` as the user the connection's token names now (blocking)."""
        context.user = self._authenticate_for_operation()
        return self._execution(run, context)

    async def _finish(self, operation: Operation) -> None:
        if self._operations.get(operation.id) is operation:
            del self._operations[operation.id]
        for stream in operation.streams:
            await self.leave_group(stream)
