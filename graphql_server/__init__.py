"""The GraphQL server: how operations reach a schema over HTTP and websockets, whatever the
schema is.

It knows no domain (an import-linter contract keeps it so): the schema it serves is handed to
it (``backend/urls.py``, ``backend/asgi.py``), who is calling is told by the authenticator the
settings name (``authenticator``), and what the response cache may keep is declared by the
schema next to its types (``cache_policy``).

- ``http/``: GraphQL over HTTP (the view, the protocol's rules, automatic persisted queries);
- ``websocket/``: ``graphql-transport-ws`` over Channels, and the hub of channel-layer groups;
- ``documents``, ``document_limits``, ``cost_model``: a client's text made into an operation
  that may run, within the limits;
- ``runner``, ``execution``: the one way every operation runs, whichever the transport;
- ``response_cache``, ``cache_policy``: whole answers of public reads, kept;
- ``mutation_limits``, ``operation_metrics``: GraphQL middleware and counters;
- ``errors``: the codes and errors the server and the schemas built on it answer with.
"""
