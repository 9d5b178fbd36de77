"""The WSGI application of the HTTP tier, served by gunicorn (``backend/gunicorn.py``): the
GraphQL endpoint over HTTP, the admin, the calendar files, the health probes and the metrics.
Websockets are the ASGI tier's (``backend.asgi``, served by ``backend/websocket_server.py``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

application = get_wsgi_application()

from backend.checks import refuse_to_serve_without_static_files  # noqa: E402

# As backend.asgi: without the collected static files every admin page would be a 500.
refuse_to_serve_without_static_files()
