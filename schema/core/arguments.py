"""Checks of query arguments: turning a domain validator's complaint into a coded error, and
refusing, once for every field, text that no field can take.

Every text argument of the API (a String or an ID, at the top or anywhere in an input object)
has a maximum length, checked before its resolver runs: ``GRAPHQL_MAX_TEXT_LENGTH`` for text,
``GRAPHQL_MAX_ID_LENGTH`` for IDs. An argument whose text drives expensive work declares a
lower limit where it is declared, with ``TextArgument`` or ``TextInputField`` and a
``TextLimit`` (a search, whose trigram match costs PostgreSQL time in its length; a cursor;
a slug). The limits are the API's, against abuse; the domains keep their own (a chat message's
1,000 characters, a title's 200), answered in a mutation's ``errors`` as before, so each
default is above every domain limit.
"""

import functools
from dataclasses import dataclass
from enum import StrEnum

import graphene
import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_noop
from graphene.utils.str_converters import to_camel_case
from graphql import (
    GraphQLField,
    GraphQLID,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)

from core.error_codes import CommonErrorCode
from core.validators import validate_country_code
from graphql_server.errors import ApiErrorCode, UserInputError


def validate_country(value: str, field: str) -> str:
    """A country's ISO 3166 alpha-2 code (or XK, Kosovo's), accepted in either case and
    returned upper-case; anything else is INVALID_COUNTRY, a well-formed code that names no
    country (``XX``) included."""
    code = value.strip().upper()
    try:
        validate_country_code(code)
    except ValidationError as error:
        raise UserInputError(error.message, error.code, field, error.params) from error
    if code not in country_codes():
        raise UserInputError(
            gettext_noop("%(code)s is not the ISO 3166 code of a country."),
            CommonErrorCode.INVALID_COUNTRY,
            field,
            params={"code": code},
        )
    return code


@functools.cache
def country_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code (pycountry's list), and XK, which the data uses for
    Kosovo (see cities/countries.py)."""
    return frozenset(country.alpha_2 for country in pycountry.countries) | {"XK"}


def validate_range(value: float, low: float, high: float, field: str, code: str) -> float:
    """A number within [low, high], or a coded error naming the field."""
    if not low <= value <= high:
        raise UserInputError(
            gettext_noop("%(field)s must be between %(low)s and %(high)s."),
            code,
            field,
            params={"field": field, "low": f"{low:g}", "high": f"{high:g}"},
        )
    return value


# ---------------------------------------------------------------------------------------------
# Text arguments
# ---------------------------------------------------------------------------------------------
class TextLimit(StrEnum):
    """The maximum lengths of text arguments, each a setting (read when a request runs)."""

    TEXT = "GRAPHQL_MAX_TEXT_LENGTH"  # every String without a limit of its own
    IDENTIFIER = "GRAPHQL_MAX_ID_LENGTH"  # every ID, and text that names one thing (a slug)
    CURSOR = "GRAPHQL_MAX_CURSOR_LENGTH"  # a position in a list
    SEARCH = "GRAPHQL_MAX_SEARCH_LENGTH"  # text that is searched for

    @property
    def characters(self) -> int:
        return getattr(settings, self.value)


class TextArgument(graphene.Argument):
    """An argument of text (a String unless another type is given) with a maximum length of
    its own: ``search=TextArgument(max_length=TextLimit.SEARCH, description=…)``."""

    def __init__(self, type_=graphene.String, *args, max_length: TextLimit | int, **kwargs):
        super().__init__(type_, *args, **kwargs)
        self.max_length = max_length


class TextInputField(graphene.InputField):
    """A field of an input object, of text, with a maximum length of its own (see
    ``TextArgument``)."""

    def __init__(self, type_=graphene.String, *args, max_length: TextLimit | int, **kwargs):
        super().__init__(type_, *args, **kwargs)
        self.max_length = max_length


@dataclass(frozen=True)
class _Text:
    """How one argument or input field is checked: its name as the client writes it, the
    maximum length of its text, and the input object type whose fields it holds, if any."""

    name: str
    max_length: TextLimit | int
    fields: GraphQLInputObjectType | None = None
    # What over-long text is: an ID or a cursor that long is simply not one (INVALID_ID,
    # INVALID_CURSOR, as any other malformed one), other text is TOO_LONG.
    too_long: ApiErrorCode = ApiErrorCode.TOO_LONG

    def limit(self) -> int:
        limit = self.max_length
        return limit.characters if isinstance(limit, TextLimit) else limit


_UNDECLARED = _Text("", TextLimit.TEXT)


def _declared(graphql_type, graphene_declaration, name: str) -> _Text:
    named = get_named_type(graphql_type)
    max_length = getattr(graphene_declaration, "max_length", None)
    if max_length is None:
        max_length = TextLimit.IDENTIFIER if named is GraphQLID else TextLimit.TEXT
    fields = named if isinstance(named, GraphQLInputObjectType) else None
    if named is GraphQLID:
        too_long = ApiErrorCode.INVALID_ID
    elif max_length is TextLimit.CURSOR:
        too_long = ApiErrorCode.INVALID_CURSOR
    else:
        too_long = ApiErrorCode.TOO_LONG
    return _Text(name, max_length, fields, too_long)


def _graphene_fields(graphql_type) -> dict:
    """The graphene declarations of a type's fields, by their GraphQL name."""
    graphene_type = getattr(graphql_type, "graphene_type", None)
    meta = getattr(graphene_type, "_meta", None)
    declared = getattr(meta, "fields", None) or {}
    if isinstance(graphql_type, GraphQLInputObjectType):
        return dict(declared)  # keyed by their Python name, the input field's out_name
    return {
        getattr(field, "name", None) or to_camel_case(name): field
        for name, field in declared.items()
    }


@functools.cache
def argument_texts(parent_type: GraphQLObjectType, field_name: str) -> dict[str, _Text]:
    """How each argument of ``parent_type.field_name`` is checked, by the name resolvers get
    it under (its ``out_name``)."""
    field: GraphQLField = parent_type.fields[field_name]
    declared = getattr(_graphene_fields(parent_type).get(field_name), "args", None) or {}
    return {
        argument.out_name or name: _declared(
            argument.type, declared.get(argument.out_name or name), name
        )
        for name, argument in field.args.items()
    }


@functools.cache
def input_field_texts(input_type: GraphQLInputObjectType) -> dict[str, _Text]:
    """How each field of an input object is checked, by its ``out_name``."""
    declared = _graphene_fields(input_type)
    return {
        field.out_name or name: _declared(field.type, declared.get(field.out_name or name), name)
        for name, field in input_type.fields.items()
    }


def check_text_arguments(parent_type: GraphQLObjectType, field_name: str, arguments: dict):
    """UserInputError for the first text in ``arguments`` (as a resolver gets them) that is
    longer than its limit (TOO_LONG) or holds a NUL (INVALID), naming its camelCase path."""
    texts = argument_texts(parent_type, field_name)
    for key, value in arguments.items():
        _check(value, texts.get(key) or _undeclared(key), "")


def _undeclared(key) -> _Text:
    return _Text(to_camel_case(key) if isinstance(key, str) else str(key), TextLimit.TEXT)


def _check(value, text: _Text, parent: str) -> None:
    path = f"{parent}.{text.name}" if parent else text.name
    if isinstance(value, str):
        limit = text.limit()
        if limit and len(value) > limit:
            raise UserInputError(
                gettext_noop("%(field)s must be at most %(limit)s characters (%(given)s given)."),
                text.too_long,
                path,
                params={"field": path, "limit": f"{limit:,}", "given": f"{len(value):,}"},
            )
        if "\x00" in value:
            raise UserInputError(
                gettext_noop("%(field)s must not contain the NUL character."),
                ApiErrorCode.INVALID,
                path,
                params={"field": path},
            )
    elif isinstance(value, dict):  # an input object
        fields = input_field_texts(text.fields) if text.fields is not None else {}
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                raise UserInputError(
                    gettext_noop("%(field)s must not contain the NUL character."),
                    ApiErrorCode.INVALID,
                    path,
                    params={"field": path},
                )
            _check(item, fields.get(key) or _undeclared(key), path)
    elif isinstance(value, list | tuple):
        for item in value:
            _check(item, text, parent)


class TextArgumentsMiddleware:
    """GraphQL middleware refusing, for every field, an argument whose text is over its
    maximum length (``TOO_LONG``; ``INVALID_ID`` for an ID, ``INVALID_CURSOR`` for a cursor, as
    for any other malformed one) or holds a NUL character (``INVALID``), naming the argument
    (its camelCase path, ``filter.search``) in ``extensions.field``, before the resolver runs.

    Length: text that long has no use in any field, and some text costs in its length (a
    90 KB search took PostgreSQL 4 s). NUL (U+0000): no text of the API has a use for it, and
    PostgreSQL cannot store or even compare it, so a search, a slug or a title with one would
    fail in the database with an error without a code. JSON and GraphQL both let a client
    send either, so they are refused here, once for every field.
    """

    # Fields without arguments pass through untouched (see graphql_server/execution.py).
    PLAIN_FIELDS_UNTOUCHED = True

    def resolve(self, next, root, info, **arguments):
        if arguments:
            check_text_arguments(info.parent_type, info.field_name, arguments)
        return next(root, info, **arguments)


def check_subscription_arguments(schema: GraphQLSchema) -> None:
    """Make each subscription field check its text arguments as the middleware does, before
    its source stream starts: graphql-core calls a subscription's ``subscribe`` without the
    middleware, and that is where its arguments are used first."""
    subscription = schema.subscription_type
    for name, field in (subscription.fields if subscription else {}).items():
        if field.subscribe is not None and not getattr(field.subscribe, "checks_text", False):
            field.subscribe = _checking_text(field.subscribe, subscription, name)


def _checking_text(subscribe, subscription: GraphQLObjectType, name: str):
    def subscribe_checked(root, info, **arguments):
        if arguments:
            check_text_arguments(subscription, name, arguments)
        return subscribe(root, info, **arguments)

    subscribe_checked.checks_text = True
    return subscribe_checked
