"""Rate limits on mutations and sign-in, as GraphQL middleware (``GRAPHENE["MIDDLEWARE"]``).

Each root mutation field counts as one hit, whether a request carries one or several and
whether it comes over HTTP or the websocket (whose consumer runs the same middleware): per
signed-in user (``RATE_LIMIT_MUTATIONS_USER``) and per client address, signed in or not
(``RATE_LIMIT_MUTATIONS_IP``). Sign-in (``tokenCreate``) also counts per address on its own
limit (``RATE_LIMIT_SIGN_IN_IP``), right or wrong: the failed-sign-in throttle in
accounts.tokens stops guessing at one e-mail, this one guessing across many. Beyond a limit the
field answers a top-level ``RATE_LIMITED`` error with ``retryAfter`` and does nothing.
Queries are not limited here: they change nothing, and the websocket limits its operations.
"""

import logging

from django.conf import settings
from graphql import OperationType

from core.client_ip import client_ip, client_network
from core.ratelimit import hit

from .errors import RateLimitedError

logger = logging.getLogger(__name__)

# Root mutation fields that sign in, and so count on the sign-in limit too.
SIGN_IN_FIELDS = frozenset({"tokenCreate"})


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
    hits = []
    if user is not None and user.is_authenticated:
        hits.append((f"mutation:user:{user.pk}", settings.RATE_LIMIT_MUTATIONS_USER))
    if address:
        network = client_network(address)
        hits.append((f"mutation:ip:{network}", settings.RATE_LIMIT_MUTATIONS_IP))
        if info.field_name in SIGN_IN_FIELDS:
            hits.append((f"sign-in:ip:{network}", settings.RATE_LIMIT_SIGN_IN_IP))
    waits = [wait for key, rate in hits if (wait := hit(key, rate)) is not None]
    return max(waits, default=None)
