"""The websocket tier: uvicorn (uvloop, httptools, websockets) serving ``backend.asgi``.

``python -m backend.websocket_server --host ADDRESS --port PORT`` (or ``--fd N``, a listening
socket handed over) is what the Makefile's ``serve-websockets`` and docker-compose.yml's
``websocket`` service run. It also answers plain HTTP (the same Django application), which the
embedded default (``make run``) uses to serve everything from one process.

**Stopping.** On SIGTERM the server stops accepting connections, closes every websocket with
1001 once the queries and mutations it is answering have been sent (clients reconnect to
another process and subscribe again: ``graphql_server.websocket.going_away``), lets the HTTP
requests in flight finish, and exits 0; all of that within GRACEFUL_SHUTDOWN_SECONDS. What is
still running then is cancelled and the process exits at once with status 1: work was cut
short, which the exit status says (an orchestrator that asked for the stop does not restart the
process either way).
"""

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys

import uvicorn
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

logger = logging.getLogger("uvicorn.error")

# The exit status of a stop that had to cut work short (see the module).
CUT_SHORT = 1


class WebsocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's protocol on the websockets library's sans-I/O implementation, holding less
    for as long as the socket stays open: the handshake's request and response (their headers,
    about 3 KiB) are let go once the response is written. The ASGI scope keeps the request's
    headers, which are all the app reads. (The websockets library's parser keeps the request
    for the connection's life, in its generator's frame: its headers are emptied.)"""

    def start_keepalive(self) -> None:
        # Called once, when the handshake's response has been written.
        if self.request is not None:
            self.request.headers.clear()
        self.request = self.response = None
        super().start_keepalive()


class Server(uvicorn.Server):
    """uvicorn's server, stopping as the module says.

    uvicorn stops gracefully on SIGTERM and then raises the signal again on itself, so that the
    process dies by it (status 143): to an orchestrator, a stop it asked for would look like a
    crash. Here a graceful stop on SIGTERM exits 0. SIGINT keeps uvicorn's behaviour.
    """

    # Whether everything in flight finished before the graceful time was up.
    drained = False

    def handle_exit(self, sig, frame) -> None:
        super().handle_exit(sig, frame)
        if sig == signal.SIGTERM:
            self._captured_signals.remove(sig)

    async def shutdown(self, sockets=None) -> None:
        from graphql_server.websocket import going_away

        loop = asyncio.get_running_loop()
        self.graceful_seconds = self.config.timeout_graceful_shutdown
        deadline = loop.time() + self.graceful_seconds
        # No new connections: they are refused at the socket, and go to another process.
        for server in self.servers:
            server.close()
        if self.config.fd is not None:
            # uvicorn listens on a duplicate of the socket handed over: the socket keeps
            # listening (connections wait in its backlog, unanswered) until this one closes too.
            with contextlib.suppress(OSError):
                os.close(self.config.fd)
        # Before uvicorn's own shutdown, which would close the websockets with 1012 at once,
        # cutting off the answers they are sending.
        await going_away.close_all(timeout=self.graceful_seconds)
        # HTTP requests in flight, and what is left, share what remains of the time.
        self.config.timeout_graceful_shutdown = max(deadline - loop.time(), 0.1)
        await super().shutdown(sockets)
        if not self.drained:
            # uvicorn has cancelled what was still running, but threads of its requests and
            # operations may run on (a view waiting on the database), and the event loop's
            # end and then the interpreter's would wait for them, without a bound. The
            # database rolls back what they had not committed.
            logger.error("Stopped with work cut short, after %g s", self.graceful_seconds)
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(CUT_SHORT)

    async def _wait_tasks_to_complete(self) -> None:
        await super()._wait_tasks_to_complete()
        self.drained = True


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
        ws=WebsocketProtocol,
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
    Server(config).run()


if __name__ == "__main__":
    main()
