"""The server process stopping: every websocket connection of the process closed with 1001.

A server that is told to stop (SIGTERM: a deploy, a scale-down) calls ``close_all``: each open
connection stops taking operations, lets the queries and mutations it is answering send their
answers, and closes with 1001 ("going away"). graphql-ws reconnects on 1001 by itself, through
the load balancer to another process, and subscribes again: subscriptions resume there, the
chat with ``after`` (as after any close). Subscriptions are not waited for: they never end on
their own.

The connections register themselves (``opened`` and ``closed``); a process has one event loop,
and only its thread touches the registry.
"""

import asyncio
import logging
import weakref

logger = logging.getLogger(__name__)

# The open connections of this process; each has an ``async go_away()``.
_open: "weakref.WeakSet" = weakref.WeakSet()


def opened(connection) -> None:
    _open.add(connection)


def closed(connection) -> None:
    _open.discard(connection)


def open_connections() -> int:
    return len(_open)


async def close_all(timeout: float) -> bool:
    """Close every open connection with 1001 once its in-flight answers are sent; waits for
    them at most ``timeout`` seconds. Whether all of them closed in time."""
    connections = list(_open)
    if not connections:
        return True
    logger.info("Closing %d websocket connections: the server is stopping", len(connections))
    tasks = [asyncio.create_task(connection.go_away()) for connection in connections]
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            logger.error("Closing a websocket failed", exc_info=task.exception())
    if pending:
        logger.warning(
            "%d websocket connections were still answering after %g s", len(pending), timeout
        )
    return not pending
