"""Django's ASGI handler, running each request's middleware and view in one thread.

Django's own ``ASGIHandler`` builds its middleware chain for the event loop: synchronous
middleware (every middleware of this project, and Django's own in practice) is adapted around an
asynchronous core with ``async_to_sync``, so that a request thread hands the rest of the chain
back to the event loop and waits for it, and the view then runs in yet another hop to a thread.
Every such hop waits for the loop's turn, which a loop writing to a thousand websockets makes
long; and a thread waiting on the loop waits forever once the loop has stopped: a server
stopping with a request in flight then never exits, its main thread joining request threads
that wait on a loop that will never run again.

Here the chain is built synchronously (``load_middleware(is_async=False)``), as under WSGI, and
each request makes one hop: the whole chain and the view run in one ``sync_to_async`` call,
thread-sensitive within the request's own ``ThreadSensitiveContext`` (so the request's
``request_started`` and ``request_finished`` receivers and ``response.close()`` run in the same
thread as its view, and requests run side by side). Reading the body, sending the answer and
noticing a client that left stay on the event loop, as in Django's handler. No request thread
waits on the event loop, except a view that calls into it itself (``async_to_sync``: the
channel layer's ``group_send`` of a broadcast), which the loop serves while the server drains.

Asynchronous views are not served here (they would be run with ``async_to_sync``, back on the
loop from a thread): ``check_no_async_views`` refuses them at start-up, and middleware that can
only run asynchronously is refused by ``check_middleware``.
"""

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler
from django.http import FileResponse
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.module_loading import import_string


class SyncChainASGIHandler(ASGIHandler):
    """``ASGIHandler`` with a synchronous middleware chain run in one thread per request (see
    the module)."""

    def __init__(self):
        base.BaseHandler.__init__(self)
        check_middleware()
        self.load_middleware(is_async=False)
        check_no_async_views()

    async def run_get_response(self, request):
        # The synchronous path of BaseHandler, in the thread of the request's context.
        response = await sync_to_async(self.get_response, thread_sensitive=True)(request)
        response._handler_class = self.__class__
        # As Django's: the server chunks file responses, so they are read in large blocks.
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        return response


def check_middleware() -> None:
    """Raises ImproperlyConfigured for middleware that cannot run synchronously: Django would
    run it on the event loop with ``async_to_sync`` from the request's thread."""
    from django.conf import settings

    for path in settings.MIDDLEWARE:
        middleware = import_string(path)
        if not getattr(middleware, "sync_capable", True):
            raise ImproperlyConfigured(
                f"{path} can only run asynchronously; the ASGI handler runs middleware "
                "synchronously, in the request's thread (core/asgi_handler.py)."
            )


def check_no_async_views() -> None:
    """Raises ImproperlyConfigured for a URL pattern whose view is a coroutine function."""
    for path, callback in _views(get_resolver()):
        if iscoroutinefunction(callback):
            raise ImproperlyConfigured(
                f"The view of {path!r} is asynchronous; views run synchronously, in the "
                "request's thread (core/asgi_handler.py)."
            )


def _views(resolver: URLResolver, prefix: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback
