"""The websocket tier: uvicorn (uvloop, httptools, websockets) serving ``backend.asgi``.

``python -m backend.websocket_server --host ADDRESS --port PORT`` (or ``--fd N``, a listening
socket handed over) is what the Makefile's ``serve-websockets`` and docker-compose.yml's
``websocket`` service run. It also answers plain HTTP (the same Django application), which the
embedded default (``make run``) uses to serve everything from one process.
"""

import argparse
import os
import signal

import uvicorn


class Server(uvicorn.Server):
    """uvicorn's server, for which SIGTERM is a request to stop, not a failure.

    uvicorn stops gracefully on SIGTERM and then raises the signal again on itself, so that the
    process dies by it (status 143): to an orchestrator, a stop it asked for would look like a
    crash. Here a graceful stop on SIGTERM exits 0. SIGINT keeps uvicorn's behaviour.
    """

    def handle_exit(self, sig, frame) -> None:
        super().handle_exit(sig, frame)
        if sig == signal.SIGTERM:
            self._captured_signals.remove(sig)


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
        ws_max_size=max(settings.WEBSOCKET_MAX_MESSAGE_BYTES * 2, 1024 * 1024),
        timeout_graceful_shutdown=settings.GRACEFUL_SHUTDOWN_SECONDS,
        log_config=None,
    )
    Server(config).run()


if __name__ == "__main__":
    main()
