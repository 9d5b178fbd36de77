"""The one base class of every mutation, and the error type of their payloads.

A mutation declares whether it needs a signed-in viewer (``login_required`` in its Meta) and
implements ``perform``, which loads what the arguments name and calls a service. The base class
turns the outcomes into the API's shapes: no viewer → a top-level ``UNAUTHENTICATED`` error; a
service's PermissionDenied → a top-level ``PERMISSION_DENIED`` error; a ValidationError or an
unknown ID → ``errors`` in the payload, with camelCase field paths and upper-case codes (and,
raised as ``RefusedWith``, the object beside them); a service's RateLimited → a top-level
``RATE_LIMITED`` error with ``retryAfter``. Every message is given in the request's language
(``graphql_server.errors.translated``).
"""

import graphene
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils.translation import gettext_noop
from graphene.types.mutation import MutationOptions

from core.i18n import LANGUAGE_CODES
from core.ratelimit import RateLimited
from graphql_server.cache_policy import ALL_FIELDS, TypePolicy, cache_policy
from graphql_server.errors import (
    ApiErrorCode,
    PermissionDeniedError,
    RateLimitedError,
    UnauthenticatedError,
    translated,
)

from .ids import parse_id, with_article

# Django's generic validation codes, named as the API names them.
DJANGO_CODES = {
    "max_length": "TOO_LONG",
    "min_length": "TOO_SHORT",
    "min_value": "OUT_OF_RANGE",
    "max_value": "OUT_OF_RANGE",
    "required": "REQUIRED",
    "blank": "REQUIRED",
    "null": "REQUIRED",
    # core.validators.validate_visible: text that shows nothing counts as empty.
    "invisible": "REQUIRED",
    "invalid": "INVALID",
    "invalid_choice": "INVALID_CHOICE",
    "unique": "ALREADY_EXISTS",
    "unique_together": "ALREADY_EXISTS",
}


class Error(graphene.ObjectType):
    """Why a mutation did not do what was asked. Nothing was written."""

    field = graphene.String(description="The input field at fault (camelCase path), if one.")
    code = graphene.String(required=True, description="What went wrong, for programs.")
    message = graphene.String(required=True, description="What went wrong, for people.")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def api_field(field: str | None) -> str | None:
    """``title_kk`` → ``title.kk``, ``starts_at`` → ``startsAt``, ``__all__`` → None."""
    if not field or field == NON_FIELD_ERRORS:
        return None
    base, _, suffix = field.rpartition("_")
    if base and suffix in LANGUAGE_CODES:
        return f"{_camel(base)}.{suffix}"
    return _camel(field)


def api_code(code) -> str:
    code = str(code or "INVALID")
    return DJANGO_CODES.get(code, code.upper())


def errors_from(error: ValidationError, aliases: dict[str, str] | None = None) -> list[Error]:
    """A Django ValidationError as the payload's error list; ``aliases`` renames model fields
    whose API name is not their camelCase (``timezone`` → ``timeZone``). Each message is
    translated before its params are put in."""
    aliases = aliases or {}
    if hasattr(error, "error_dict"):
        items = [(field, e) for field, errors in error.error_dict.items() for e in errors]
    else:
        items = [(None, e) for e in error.error_list]
    return [
        Error(
            field=aliases.get(field) or api_field(field),
            code=api_code(item.code),
            message=translated(item.message, item.params),
        )
        for field, item in items
    ]


class ObjectNotFound(Exception):
    """An ID in the input names nothing the viewer may act on."""

    def __init__(
        self, field: str, message: str = gettext_noop("Nothing with this ID."), params=None
    ):
        super().__init__(message)
        self.field = field
        self.message = message
        self.params = params


def load(queryset, global_id: str, type_name: str, field: str):
    """The object a global ID names within ``queryset``, or ObjectNotFound."""
    pk = parse_id(global_id, type_name)
    if pk is None:
        raise ObjectNotFound(
            field,
            gettext_noop("%(id)s is not the ID of %(type)s."),
            {"id": repr(global_id), "type": with_article(type_name)},
        )
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise ObjectNotFound(field)
    return obj


class RefusedWith(Exception):
    """A service's refusal (``error``, a ValidationError) with what the payload shows beside its
    errors: the object acted on as it stands, when the viewer may see it, so that the app can
    offer what to do next without fetching it again (a full event's waitlist)."""

    def __init__(self, error: ValidationError, **payload):
        super().__init__(error)
        self.error = error
        self.payload = payload


class BaseMutationOptions(MutationOptions):
    login_required = True


class BaseMutation(graphene.Mutation):
    """Base of every mutation: see the module's docstring."""

    errors = graphene.List(graphene.NonNull(Error), required=True)
    # Model fields named differently in the API's input, for the errors' `field`.
    field_aliases: dict[str, str] = {}

    class Meta:
        abstract = True

    @classmethod
    def __init_subclass_with_meta__(cls, login_required=True, _meta=None, **options):
        _meta = _meta or BaseMutationOptions(cls)
        _meta.login_required = login_required
        super().__init_subclass_with_meta__(_meta=_meta, **options)

    @classmethod
    def perform(cls, info, viewer, **arguments):
        """Do the work; return the payload's fields as a dict."""
        raise NotImplementedError

    @classmethod
    def mutate(cls, root, info, **arguments):
        viewer = info.context.user
        if cls._meta.login_required and not viewer.is_authenticated:
            raise UnauthenticatedError()
        try:
            return cls(errors=[], **(cls.perform(info, viewer, **arguments) or {}))
        except PermissionDenied as error:
            raise PermissionDeniedError(
                str(error) or gettext_noop("You may not do this.")
            ) from error
        except RateLimited as error:
            raise RateLimitedError(error.retry_after) from error
        except ObjectNotFound as error:
            code = ApiErrorCode.NOT_FOUND.value
            message = translated(error.message, error.params)
            return cls(errors=[Error(field=error.field, code=code, message=message)])
        except ValidationError as error:
            return cls(errors=errors_from(error, cls.field_aliases))
        except RefusedWith as refused:
            return cls(errors=errors_from(refused.error, cls.field_aliases), **refused.payload)


def payload_cache_policies(mutations: type[graphene.ObjectType]) -> tuple[TypePolicy, ...]:
    """What the response cache may keep of the payloads of ``mutations`` (the root mutation
    type) and of their errors (graphql_server.cache_policy): nothing, as an operation that
    writes is never kept."""
    payloads = (definition.type for definition in mutations._meta.fields.values())
    return tuple(cache_policy(type_, not_cached=ALL_FIELDS) for type_ in (Error, *payloads))
