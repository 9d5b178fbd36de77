"""GraphQL over websockets: the ``graphql-transport-ws`` protocol, served by Django Channels.

``consumer`` serves a connection; the other modules each hold one of its concerns.
"""
