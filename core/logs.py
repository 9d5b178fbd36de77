"""Log records that say which request or task they belong to, as JSON lines or plain text.

The request ID (see ``core.middleware.RequestIdMiddleware``) and the Celery task ID live in
context variables, so every record logged while a request or a task runs carries them, however
deep the logger, and asyncio tasks and ``sync_to_async`` threads started within inherit them.
``ContextFilter`` copies them onto each record; ``JsonFormatter`` writes one JSON object a line
(``LOG_FORMAT=json``, the default without DEBUG) for a log collector, the plain format is for
people at a terminal.
"""

import contextvars
import datetime
import json
import logging

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
task_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("task_id", default=None)
task_name_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "task_name", default=None
)


class ContextFilter(logging.Filter):
    """Puts ``request_id``, ``task_id`` and ``task`` on every record (None outside of one),
    and ``context``, the same as a short text for the plain format."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.task_id = task_id_var.get()
        record.task = task_name_var.get()
        parts = []
        if record.request_id:
            parts.append(f"request={record.request_id}")
        if record.task_id:
            parts.append(f"task={record.task}[{record.task_id}]")
        record.context = " ".join(parts) or "-"
        return True


class ChannelLayerCleanupFilter(logging.Filter):
    """On the ``asyncio`` logger: channels-redis cleans up after each read of a process's
    channel in a task of its own, whose failure nobody awaits; while Redis is down asyncio
    reports each one as an ERROR ("Task exception was never retrieved"). The outage itself is
    reported once, by the websocket groups' hub (``graphql_server.websocket.group_hub``) and
    ``/readyz``: these are lowered to WARNING so that error reports keep to bugs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and "_clean_receive_backup" in record.getMessage():
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id,
    exc_info (the formatted traceback, or null), and task_id and task inside a Celery task."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
            "exc_info": self.formatException(record.exc_info) if record.exc_info else None,
        }
        task_id = getattr(record, "task_id", None) or task_id_var.get()
        if task_id:
            entry["task_id"] = task_id
            entry["task"] = getattr(record, "task", None) or task_name_var.get()
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        # default=str: a message argument that JSON cannot hold is written as its text
        # rather than losing the record.
        return json.dumps(entry, ensure_ascii=False, default=str)


# --- Celery --------------------------------------------------------------------------------------

_task_tokens: dict[str, tuple[contextvars.Token, contextvars.Token]] = {}


def _task_started(task_id=None, task=None, **kwargs) -> None:
    _task_tokens[task_id] = (task_id_var.set(task_id), task_name_var.set(task.name))


def _task_ended(task_id=None, **kwargs) -> None:
    tokens = _task_tokens.pop(task_id, None)
    try:
        task_id_var.reset(tokens[0])
        task_name_var.reset(tokens[1])
    except (TypeError, ValueError):  # no start seen, or it was seen in another context
        task_id_var.set(None)
        task_name_var.set(None)


def bind_celery_task_ids() -> None:
    """Make every record logged while a Celery task runs carry its ID: in a worker, and in
    the web process where tasks run in-process (CELERY_TASK_ALWAYS_EAGER)."""
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(_task_started, weak=False, dispatch_uid="core.logs.task_started")
    task_postrun.connect(_task_ended, weak=False, dispatch_uid="core.logs.task_ended")
