"""The API's ``Decimal`` scalar: an exact amount (a price), read as a string and taken as the
client wrote it.

graphene's own ``Decimal`` turns a JSON number into ``Decimal(19.99)``, the binary double's
19.98999…, which a rule of "at most two decimals" then refuses, and it refuses a number with
decimals written in the document. Apollo Kotlin and Apollo iOS map a ``Decimal`` to a double
and send 19.99 as a JSON number, so this one takes a float by its shortest decimal text
(``repr``: the digits the client's own double prints, 19.99) and a literal by its source text.
The name stays ``Decimal``: the SDL and the clients' generated code do not change.
"""

from decimal import Decimal as _Decimal
from decimal import InvalidOperation

import graphene
from django.db import models
from graphene_django.converter import convert_django_field, get_django_field_description
from graphql import Undefined
from graphql.language.ast import FloatValueNode, IntValueNode, StringValueNode


class Decimal(graphene.Scalar):
    """An exact decimal number, answered as a string: `"2500.00"`. Sent best as a string
    (`"12.50"`); an integer (`12`) or a number with decimals (`12.5`, in the variables or the
    document) is taken as written, by its shortest decimal form: 19.99 is 19.99. A boolean is
    not a number."""

    @staticmethod
    def serialize(value):
        if isinstance(value, str):
            value = _Decimal(value)
        assert isinstance(value, _Decimal), f"Received not compatible Decimal {value!r}"
        return str(value)

    @classmethod
    def parse_literal(cls, node, _variables=None):
        # The literal's text as written (19.99, 1e3): a float would round it on the way.
        if isinstance(node, StringValueNode | IntValueNode | FloatValueNode):
            return _decimal(node.value)
        return Undefined

    @staticmethod
    def parse_value(value):
        # bool is an int in Python: true would be taken as 1.
        if isinstance(value, bool):
            return Undefined
        if isinstance(value, float):
            # NaN and the infinities pass as Decimal's own (NaN, Infinity), which the rules of
            # each field refuse with their code, as they do when sent as strings.
            return _decimal(repr(value))
        if isinstance(value, str | int):
            return _decimal(value)
        return Undefined


def _decimal(value: str | int):
    try:
        return _Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        return Undefined


@convert_django_field.register(models.DecimalField)
def _convert_decimal_field(field, registry=None):
    """A model's DecimalField exposed by a DjangoObjectType is this scalar too: two types
    named ``Decimal`` cannot be in one schema."""
    return Decimal(description=get_django_field_description(field), required=not field.null)
