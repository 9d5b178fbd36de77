"""Liveness and readiness probes for the load balancer and the orchestrator."""

import asyncio
import logging
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpResponse, JsonResponse

from . import outages

logger = logging.getLogger(__name__)

# A dependency that has not answered within this time counts as down.
CHECK_TIMEOUT_SECONDS = 3


def healthz(request):
    """The process is alive and serving; it checks nothing else, so a database outage does
    not make the orchestrator restart healthy web processes."""
    return HttpResponse("ok", content_type="text/plain")


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def _check_channel_layer() -> None:
    """The process can deliver live updates: nothing of it reports the channel layer lost
    (the websocket groups' hub does until it has healed, see ``core.outages``), and a round
    trip through the layer succeeds."""
    if problems := outages.current():
        raise RuntimeError("; ".join(problems))
    layer = get_channel_layer()
    # A channel name without "!": channels-redis reads such a channel on its own. A name from
    # new_channel() would wait behind the process's other "!" channels, which channels-redis
    # reads one at a time, and the websocket groups' channel is read without end.
    channel = f"readyz.{uuid.uuid4().hex}"
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "readyz.ping", "token": token})
    message = await layer.receive(channel)
    if message.get("token") != token:
        raise RuntimeError("the channel layer returned another message")


def readyz(request):
    """Ready to serve traffic: the database answers, and the channel layer does, for this
    process's websockets too (JSON).

    Synchronous, as every view (core/asgi_handler.py): the channel layer's check runs on the
    process's event loop (``async_to_sync``; the in-memory layer lives on it, and the websocket
    groups' hub too), bounded by CHECK_TIMEOUT_SECONDS there, and under WSGI on a loop of its
    own."""
    checks = {
        "database": _check_database,
        "channel_layer": async_to_sync(_bounded_channel_layer_check),
    }
    results = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # any failure of a dependency means "not ready"
            logger.warning("readiness check %s failed: %r", name, exc)
            results[name] = "unavailable"
    ready = all(status == "ok" for status in results.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": results},
        status=200 if ready else 503,
    )


async def _bounded_channel_layer_check() -> None:
    await asyncio.wait_for(_check_channel_layer(), timeout=CHECK_TIMEOUT_SECONDS)
