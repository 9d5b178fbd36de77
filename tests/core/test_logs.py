"""Request IDs, and log records as JSON lines or plain text carrying the request or task ID."""

import io
import json
import logging
import uuid

import pytest
from django.conf import settings

from backend.celery import app as celery_app
from core.logs import ContextFilter, JsonFormatter, request_id_var, task_id_var


@celery_app.task(name="tests.core.log_something")
def log_something(text):
    logging.getLogger("tests.task").warning("task says %s", text)
    return text


@pytest.fixture
def log_lines():
    """The lines the console handler of LOGGING writes (its filter and formatter, JSON as in
    production) for records reaching the root logger during the test."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


def test_a_request_without_an_id_gets_a_new_one(client):
    response = client.get("/healthz")

    assert uuid.UUID(response["X-Request-ID"]).version == 4


@pytest.mark.parametrize(
    "given",
    ["b7c1d0e4-5a1f-4a53-9d0b-0d1f9f2a7c11", "0f3c9a1e2b7d4c5a8e6f1a2b3c4d5e6f", "Root=1-5759e988"],
)
def test_a_sane_request_id_is_kept(client, given):
    assert client.get("/healthz", headers={"X-Request-ID": given})["X-Request-ID"] == given


@pytest.mark.parametrize(
    "given", ["short", "x" * 129, "two words here", "id\u00e9-123456", "-leading-dash", "a;b=c;d=e"]
)
def test_anything_else_is_replaced(client, given):
    answered = client.get("/healthz", headers={"X-Request-ID": given})["X-Request-ID"]

    assert answered != given
    assert uuid.UUID(answered)


def test_records_logged_during_a_request_carry_its_id(client, log_lines):
    # Django logs a 404 as a warning of django.request, inside the request.
    client.get("/no-such-page", headers={"X-Request-ID": "trace-0123456789"})

    (line,) = [line for line in log_lines() if line["logger"] == "django.request"]
    assert line["request_id"] == "trace-0123456789"
    assert line["level"] == "WARNING"
    assert line["message"] == "Not Found: /no-such-page"
    # Nothing leaks into what is logged after the request.
    assert request_id_var.get() is None


def test_a_json_line_has_every_field_and_the_traceback(log_lines):
    token = request_id_var.set("req-12345678")
    try:
        try:
            raise ValueError("the cause")
        except ValueError:
            logging.getLogger("tests.logs").exception("It failed: %s", "Қазақ тілі")
    finally:
        request_id_var.reset(token)

    (line,) = log_lines()
    assert set(line) == {"time", "level", "logger", "message", "request_id", "exc_info"}
    assert line["level"] == "ERROR"
    assert line["logger"] == "tests.logs"
    assert line["message"] == "It failed: Қазақ тілі"
    assert line["request_id"] == "req-12345678"
    assert line["exc_info"].startswith("Traceback (most recent call last):")
    assert line["exc_info"].endswith("ValueError: the cause")
    assert line["time"].endswith("+00:00")


def test_a_record_outside_any_request_has_a_null_request_id(log_lines):
    logging.getLogger("tests.logs").warning("between requests")

    (line,) = log_lines()
    assert (line["request_id"], line["exc_info"]) == (None, None)


def test_the_plain_format_shows_the_request_id():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"]))
    record = logging.LogRecord("tests.logs", logging.INFO, __file__, 1, "hello", None, None)
    token = request_id_var.set("req-12345678")
    try:
        handler.handle(record)
    finally:
        request_id_var.reset(token)

    assert stream.getvalue().rstrip().endswith("INFO tests.logs request=req-12345678 hello")


def test_records_logged_by_a_celery_task_carry_its_id(log_lines):
    result = log_something.apply(args=["hello"])

    (line,) = [line for line in log_lines() if line["logger"] == "tests.task"]
    assert line["message"] == "task says hello"
    assert line["task_id"] == result.id
    assert line["task"] == "tests.core.log_something"
    assert task_id_var.get() is None


def test_channel_redis_unawaited_clean_ups_are_warnings_and_other_asyncio_errors_stay(log_lines):
    # As asyncio reports a task whose failure nobody awaited, while Redis is down.
    asyncio_logger = logging.getLogger("asyncio")
    asyncio_logger.error(
        "Task exception was never retrieved\nfuture: <Task finished name='Task-7' "
        "coro=<RedisChannelLayer._clean_receive_backup() done>"
    )
    asyncio_logger.error("Task exception was never retrieved\nfuture: <Task coro=<mine()>>")

    levels = [line["level"] for line in log_lines() if line["logger"] == "asyncio"]
    assert levels == ["WARNING", "ERROR"]
