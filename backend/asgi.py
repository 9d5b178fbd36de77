"""The ASGI application of the websocket tier (``backend/websocket_server.py``): GraphQL for
websockets, and Django for HTTP, which the embedded default serves from the same process."""

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

# Django must be set up before anything imports models.
django.setup(set_prefix=False)

from core.asgi_handler import SyncChainASGIHandler  # noqa: E402

# Each request's middleware and view run in one thread, which never waits on the event loop
# (core/asgi_handler.py says why).
django_asgi_app = SyncChainASGIHandler()

from backend.checks import refuse_to_serve_without_static_files  # noqa: E402

# Without the collected static files every admin page would be a 500: stop here instead,
# saying what to run.
refuse_to_serve_without_static_files()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import path  # noqa: E402

from core.middleware import WebsocketRequestIdMiddleware  # noqa: E402
from graphql_server.websocket.consumer import GraphQLWebsocketConsumer  # noqa: E402
from graphql_server.websocket.origin import AllowedOriginMiddleware  # noqa: E402
from schema.schema import schema  # noqa: E402

# The same path as over HTTP. Sockets sign in with the token in `connection_init` only, so
# there is deliberately no AuthMiddlewareStack: the admin's session cookie signs no socket in.
websocket_urlpatterns = [path("graphql/", GraphQLWebsocketConsumer.as_asgi(schema=schema))]

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": WebsocketRequestIdMiddleware(
            AllowedOriginMiddleware(URLRouter(websocket_urlpatterns))
        ),
    }
)

# The collector's pauses stop every socket of the process at once: collections are made rarer
# (settings.ASGI_GC_THRESHOLDS), and everything loaded so far (Django, the schema, the
# libraries: most of the process's objects, which live as long as it) is frozen, so that no
# collection scans it again.
if settings.ASGI_GC_THRESHOLDS:
    gc.set_threshold(*settings.ASGI_GC_THRESHOLDS)
gc.freeze()
