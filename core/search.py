"""Case- and accent-insensitive text search over a model's ``search_document`` column.

Each searchable model keeps ``search_document``: its names or titles in every language,
folded (lower case, accents removed) when it is saved. A search folds the query the same way.
On PostgreSQL a trigram GIN index on that column serves the substring match, and trigram word
similarity also finds near misses ("Almati" finds Almaty). SQLite, the embedded default, has
neither, so it falls back to the plain substring match.
"""

from django.db import connections
from django.db.models import Q

from cities.names import fold

from .text import is_blank

# Queries shorter than a trigram cannot use the index and match almost everything.
MIN_SIMILARITY_LENGTH = 3


def matching(queryset, text: str, field: str = "search_document"):
    """Rows of ``queryset`` whose search document matches ``text``. Blank text, spaces or
    characters that show nothing (core.text), keeps all, as an empty search does."""
    needle = "" if is_blank(text) else fold(text)
    if not needle:
        return queryset
    condition = Q(**{f"{field}__contains": needle})
    if connections[queryset.db].vendor == "postgresql" and len(needle) >= MIN_SIMILARITY_LENGTH:
        condition |= Q(**{f"{field}__trigram_word_similar": needle})
    return queryset.filter(condition)
