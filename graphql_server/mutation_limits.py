"""Rate limits on mutations and sign-in, as GraphQL middleware (``GRAPHENE["MIDDLEWARE"]``).

Each root mutation field counts as one hit, whether a request carries one or several and
whether it comes over HTTP or the websocket (whose consumer runs the same middleware): per
signed-in user (``RATE_LIMIT_MUTATIONS_USER``) and per client address, signed in or not
(``RATE_LIMIT_MUTATIONS_IP``). A mutation that signs in, as the schema declares with
``declare_sign_in``, also counts per address on its own limit (``RATE_LIMIT_SIGN_IN_IP``),
right or wrong: a throttle of failed sign-ins stops guessing at one account, this one guessing
across many. A mutation that takes a file, as the schema declares with ``declare_uploads``,
also counts per user on its own limit (``RATE_LIMIT_UPLOADS_USER``): each costs a second of a
core or so, where other mutations cost milliseconds. Beyond a limit the field answers a
top-level ``RATE_LIMITED`` error with ``retryAfter`` and does nothing. Queries are not limited
here: they change nothing, and the websocket limits its operations.
"""

import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from graphql import GraphQLSchema, OperationType

from core.client_ip import client_ip, client_network
from core.ratelimit import hit

from .errors import RateLimitedError

logger = logging.getLogger(__name__)

# The extensions that mark a root mutation field as signing in (``declare_sign_in``) and as
# taking a file (``declare_uploads``).
SIGN_IN = "signs_in"
UPLOAD = "uploads"


def declare_sign_in(schema: GraphQLSchema, *fields: str) -> None:
    """Mark the root mutation ``fields`` of ``schema`` (by name) as signing in, so that each
    counts on the sign-in limit too; ImproperlyConfigured when one is not a mutation."""
    _mark(schema, fields, SIGN_IN, "Sign-in")


def declare_uploads(schema: GraphQLSchema, *fields: str) -> None:
    """Mark the root mutation ``fields`` of ``schema`` (by name) as taking a file, so that each
    counts on the uploads' limit too; ImproperlyConfigured when one is not a mutation."""
    _mark(schema, fields, UPLOAD, "Uploads")


def _mark(schema: GraphQLSchema, fields, extension: str, what: str) -> None:
    mutations = schema.mutation_type.fields if schema.mutation_type else {}
    if unknown := sorted(set(fields) - mutations.keys()):
        raise ImproperlyConfigured(f"{what} declared for mutations that do not exist: {unknown}")
    for name in fields:
        definition = mutations[name]
        definition.extensions = {**(definition.extensions or {}), extension: True}


class MutationRateLimitMiddleware:
    """Refuses root mutation fields beyond the limits (see the module's docstring)."""

    # Root fields only (see graphql_server/execution.py).
    PLAIN_FIELDS_UNTOUCHED = True

    def resolve(self, next, root, info, **arguments):
        if info.path.prev is None and info.operation.operation is OperationType.MUTATION:
            wait = _hit_limits(info)
            if wait is not None:
                logger.info("Rate limited %s: retry after %.0f s", info.field_name, wait)
                raise RateLimitedError(wait)
        return next(root, info, **arguments)


def _hit_limits(info) -> float | None:
    """Count the field on every limit it falls under; the longest wait, None if allowed."""
    user = getattr(info.context, "user", None)
    address = client_ip(info.context.META)
    extensions = info.parent_type.fields[info.field_name].extensions or {}
    hits = []
    if user is not None and user.is_authenticated:
        hits.append((f"mutation:user:{user.pk}", settings.RATE_LIMIT_MUTATIONS_USER))
        if extensions.get(UPLOAD):
            hits.append((f"upload:user:{user.pk}", settings.RATE_LIMIT_UPLOADS_USER))
    if address:
        network = client_network(address)
        hits.append((f"mutation:ip:{network}", settings.RATE_LIMIT_MUTATIONS_IP))
        if extensions.get(SIGN_IN):
            hits.append((f"sign-in:ip:{network}", settings.RATE_LIMIT_SIGN_IN_IP))
    waits = [wait for key, rate in hits if (wait := hit(key, rate)) is not None]
    return max(waits, default=None)
