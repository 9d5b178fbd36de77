"""The websocket tier: uvicorn (uvloop, httptools, websockets) serving ``backend.asgi``.

``python -m backend.websocket_server --host ADDRESS --port PORT`` (or ``--fd N``, a listening
socket handed over) is what the Makefile's ``serve-websockets`` and docker-compose.yml's
``websocket`` service run. It also answers plain HTTP (the same Django application), which the
embedded default (``make run``) uses to serve everything from one process.
"""

import argparse
import os

import uvicorn


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--fd", type=int, default=None, help="a listening socket to serve on")
    arguments = parser.parse_args(argv)

    from django.conf import settings

    config = uvicorn.Config(
        "backend.asgi:application",
        host=arguments.host,
        port=arguments.port,
        fd=arguments.fd,
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        # Django's ASGI handler has no lifespan; the process's set-up happens on import.
        lifespan="off",
        # Who the client is, is core/client_ip.py's to say (TRUSTED_PROXY_COUNT): uvicorn must
        # not rewrite the peer's address from X-Forwarded-For on its own.
        proxy_headers=False,
        server_header=False,
        # graphql-transport-ws has its own ping (WEBSOCKET_KEEPALIVE_SECONDS).
        ws_ping_interval=None,
        # Above the consumer's own limit, so that a frame over it is answered with the
        # protocol's 4413 rather than dropped by the server with 1009.
        ws_max_size=max(settings.WEBSOCKET_MAX_MESSAGE_BYTES * 2, 1024 * 1024),
        # No permessage-deflate, though browsers offer it: its compressor and decompressor
        # hold some 36 KiB of zlib state per connection (more than an idle connection costs
        # without them), and each frame would be compressed again for each socket it goes to,
        # where a chat message's frame is one string sent to a thousand. Its frames are small
        # JSON, which TLS and the network carry well enough as they are.
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=settings.GRACEFUL_SHUTDOWN_SECONDS,
        log_config=None,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
