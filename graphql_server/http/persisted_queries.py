"""Automatic persisted queries: Apollo's APQ protocol.

A client sends ``extensions.persistedQuery = {"version": 1, "sha256Hash": "<hex>"}`` instead
of the document's text. If the server knows the hash it runs the document; if not, it answers
``PersistedQueryNotFound`` (the message and ``extensions.code`` Apollo's clients look for) and
the client sends the hash again with the text, which the server checks against the hash,
stores and runs. Documents are stored in Django's cache (Redis in production), so every
process shares them; only documents that validated are stored, by the view.

While the cache is down, APQ goes on without it: a hash alone is answered
``PersistedQueryNotFound``, as the server cannot find its text, and the client sends the text,
which runs without being stored. A client that sends hashes keeps working through a Redis
outage, one more round trip a request, rather than being refused (503) until it ends.
"""

import logging
import re
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_noop

from core.outages import is_outage

from ..documents import document_hash
from .protocol import RequestFailed, bad_request

logger = logging.getLogger(__name__)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class PersistedQueryErrorCode(StrEnum):
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
    PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"


@dataclass(frozen=True)
class ResolvedQuery:
    """The document's text and hash, and whether the request registers it (hash + text)."""

    text: str
    hash: str
    register: bool = False


def _key(query_hash: str) -> str:
    return f"graphql:apq:{query_hash}"


def resolve_query(query: str | None, extensions: dict | None) -> ResolvedQuery:
    """The text to run: ``query`` itself, or the one persisted under the request's hash.

    RequestFailed: PERSISTED_QUERY_NOT_FOUND for an unknown hash alone (404 under
    application/graphql-response+json, 200 under application/json, as Apollo's clients expect:
    a 400 would make them stop using APQ); PERSISTED_QUERY_HASH_MISMATCH (400) when the text
    is not the hash's; PERSISTED_QUERY_NOT_SUPPORTED (400) for a version other than 1.
    """
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return ResolvedQuery(query, document_hash(query))
    if not isinstance(persisted, dict):
        raise bad_request(gettext_noop("'extensions.persistedQuery' must be an object."))
    if persisted.get("version") != 1:
        raise RequestFailed.of(
            "PersistedQueryNotSupported: only version 1 is supported.",
            PersistedQueryErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
        )
    query_hash = persisted.get("sha256Hash")
    if not isinstance(query_hash, str) or not _SHA256.match(query_hash.lower()):
        raise bad_request(
            gettext_noop("'extensions.persistedQuery.sha256Hash' must be a SHA-256 in hex.")
        )
    query_hash = query_hash.lower()
    if query is None:
        text = _stored(query_hash)
        if text is None:
            raise RequestFailed.of(
                "PersistedQueryNotFound",
                PersistedQueryErrorCode.PERSISTED_QUERY_NOT_FOUND,
                status=404,
                json_status=200,
            )
        return ResolvedQuery(text, query_hash)
    if document_hash(query) != query_hash:
        raise RequestFailed.of(
            gettext_noop("The query does not match extensions.persistedQuery.sha256Hash."),
            PersistedQueryErrorCode.PERSISTED_QUERY_HASH_MISMATCH,
        )
    return ResolvedQuery(query, query_hash, register=True)


def _stored(query_hash: str) -> str | None:
    """The text stored under ``query_hash``; None when there is none, or when the cache is
    down (see the module)."""
    try:
        return cache.get(_key(query_hash))
    except Exception as error:
        if not is_outage(error):
            raise
        logger.warning("Persisted queries unavailable (the cache is down): %r", error)
        return None


def persist(resolved: ResolvedQuery) -> None:
    """Store a registered document under its hash, for ``GRAPHQL_APQ_TTL_SECONDS``; while the
    cache is down it is not stored, and the request runs all the same."""
    if not resolved.register:
        return
    try:
        cache.set(_key(resolved.hash), resolved.text, settings.GRAPHQL_APQ_TTL_SECONDS)
    except Exception as error:
        if not is_outage(error):
            raise
        logger.warning("Persisted query not stored (the cache is down): %r", error)
