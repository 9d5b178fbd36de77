"""Relay global IDs: decoding the ones clients send, with a clear error for a bad one."""

import binascii

from graphql_relay import from_global_id

from .errors import ApiErrorCode, UserInputError


def parse_id(global_id: str, expected_type: str) -> int | None:
    """The primary key inside ``global_id`` if it names an ``expected_type``, else None."""
    try:
        type_name, pk = from_global_id(global_id)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        return None
    if type_name != expected_type or not pk.isdigit():
        return None
    return int(pk)


def decode_id(global_id: str, expected_type: str, field: str) -> int:
    """The primary key inside ``global_id``, which must name an object of ``expected_type``."""
    pk = parse_id(global_id, expected_type)
    if pk is None:
        raise UserInputError(
            f"{global_id!r} is not the ID of a {expected_type}.", ApiErrorCode.INVALID_ID, field
        )
    return pk
