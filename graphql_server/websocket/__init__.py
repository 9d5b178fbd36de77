"""GraphQL over websockets: the ``graphql-transport-ws`` protocol, served by Django Channels.

One endpoint, ``ws://…/graphql/``, carries queries, mutations and subscriptions as the
``graphql-ws`` project's PROTOCOL.md describes. The client opens the socket with the
``graphql-transport-ws`` subprotocol and sends ``connection_init`` (with its bearer token, if
it has one) before the init timeout; the server answers ``connection_ack``. Each operation then
starts with ``subscribe`` and an ID of the client's choosing; the server answers ``next`` for
each result and ``complete`` at the end, or a single ``error`` when the operation cannot run.
A client's ``complete`` cancels its operation. Either side may ``ping``; the other answers
``pong``. Misbehaviour closes the socket with one of the codes in ``protocol.CloseCode``.

``consumer.GraphQLWebsocketConsumer`` serves a connection; ``origin.AllowedOriginMiddleware``
keeps other sites' pages from opening one.
"""
