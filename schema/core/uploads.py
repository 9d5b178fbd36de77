"""The ``Upload`` scalar: a file sent with the request.

Files travel in a multipart request as the GraphQL multipart request specification says
(``graphql_server.http.multipart``): the transport puts each file in its variable, and this
scalar takes it. Anything else where a file is expected (a string, a number, an object in a
JSON request, a literal in the document, or a variable over the websocket, which carries no
files) is refused before anything runs (INVALID_VARIABLES, or the document's validation).
"""

import graphene
from django.core.files.uploadedfile import UploadedFile
from graphql import GraphQLError, Undefined


class Upload(graphene.Scalar):
    """A file: a variable of a multipart request (the GraphQL multipart request spec, as
    Apollo's upload clients send it), signed in. It cannot be written in the document or sent
    in JSON."""

    @staticmethod
    def serialize(value):
        raise GraphQLError("An Upload is never answered.")

    @staticmethod
    def parse_literal(node, _variables=None):
        # Not a value of this type: validation says "Expected value of type Upload".
        return Undefined

    @staticmethod
    def parse_value(value):
        if isinstance(value, UploadedFile):
            return value
        raise GraphQLError(
            "Send the file as a part of a multipart request (the GraphQL multipart request "
            "spec), with this variable null in 'operations' and placed by 'map'."
        )
