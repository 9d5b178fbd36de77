"""The ASGI handler (core/asgi_handler.py): each request's middleware and view run in one thread
that never waits on the event loop, so a loop that stops with a request in flight (a server
at the end of its graceful time) leaves no thread waiting for it forever.

With Django's own handler, the project's synchronous middleware is adapted around an
asynchronous core with ``async_to_sync``: the request's thread waits on the loop for the rest
of the chain, and once the loop has stopped it waits forever; the process, joining its
threads at exit, never exits.
"""

import asyncio
import sys
import threading

import pytest
from asgiref.sync import AsyncToSync
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.urls import path

from core.asgi_handler import SyncChainASGIHandler
from tests.waiting import eventually_sync

WAIT_SECONDS = 10

entered = threading.Event()
release = threading.Event()


def held_view(request):
    """Answers once the test releases it, as a request waiting on the database would."""
    entered.set()
    release.wait(WAIT_SECONDS)
    return HttpResponse("done")


async def async_view(request):
    return HttpResponse("done")


urlpatterns = [path("held", held_view)]


class AsyncViews:
    urlpatterns = [path("held", held_view), path("async", async_view)]


def threads_waiting_on_a_loop() -> list[str]:
    """The threads blocked in ``async_to_sync``, waiting for an event loop to run a coroutine."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    waiting = []
    for ident, frame in sys._current_frames().items():
        while frame is not None:
            if frame.f_code.co_name == "__call__" and isinstance(
                frame.f_locals.get("self"), AsyncToSync
            ):
                waiting.append(names.get(ident, str(ident)))
                break
            frame = frame.f_back
    return waiting


def request_scope(path: str) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


@pytest.mark.urls(__name__)
def test_a_request_in_flight_when_the_loop_stops_leaves_no_thread_waiting_on_it():
    # Given a request whose view is running in the handler, on the server's event loop
    entered.clear()
    release.clear()
    handler = SyncChainASGIHandler()
    loop = asyncio.new_event_loop()
    sent = []
    disconnected = loop.create_future()
    messages = iter([{"type": "http.request", "body": b""}])

    async def receive():
        return next(messages, None) or await disconnected

    async def send(message):
        sent.append(message)

    task = loop.create_task(handler(request_scope("/held"), receive, send))
    try:
        loop.run_until_complete(asyncio.to_thread(entered.wait, WAIT_SECONDS))
        assert entered.is_set()

        # When the loop stops (the server's graceful time is up) and the view then finishes
        release.set()

        # Then no thread waits on the stopped loop: nothing keeps the process from exiting
        eventually_sync(lambda: not threads_waiting_on_a_loop(), timeout=WAIT_SECONDS)
        # (and a loop that runs again sends the whole answer)
        loop.run_until_complete(task)
        assert sent[0]["status"] == 200
        assert b"".join(message.get("body", b"") for message in sent[1:]) == b"done"
    finally:
        release.set()
        task.cancel()
        loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
        loop.close()


def test_an_asynchronous_view_is_refused_at_start_up(settings):
    settings.ROOT_URLCONF = AsyncViews
    with pytest.raises(ImproperlyConfigured, match="'async' is asynchronous"):
        SyncChainASGIHandler()


def test_middleware_that_can_only_run_asynchronously_is_refused_at_start_up(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.AsyncOnlyMiddleware"]
    with pytest.raises(ImproperlyConfigured, match="AsyncOnlyMiddleware can only run"):
        SyncChainASGIHandler()


class AsyncOnlyMiddleware:
    sync_capable = False
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response

    async def __call__(self, request):
        return await self.get_response(request)
