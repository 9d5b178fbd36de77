"""Case- and accent-insensitive text search over a model's ``search_document`` column.

Each searchable model keeps ``search_document``: its names or titles in every language,
folded (lower case, accents removed) when it is saved. A search folds the query the same way.
A row matches when its document contains the folded text, or, on PostgreSQL and for text of a
trigram or more, when the text is word-similar to it (pg_trgm's ``%>``: "Almati" finds
Almaty). SQLite, the embedded default, has no trigrams: there the substring match alone.

**What it costs on PostgreSQL.** A trigram GIN index on ``search_document`` serves both
tests. Which plan is right depends on the text: the index when few rows match (then sort
them), a walk along the list's order index when many do (it stops after a page), the index or
a scan to count. PostgreSQL chooses well when it knows what each row it tests costs, and
pg_trgm tells it that ``%>`` costs one comparison, when the similarity of a document takes 3
to 30 µs. So it walked a whole order index, or scanned a table to count, computing the
similarity of every row: 15 times the events feed for 100 characters over 5,000 events, 35
to 50 times over 17,000 cities. Four things make the search cost what it should:

- **The similarity's price.** Beside ``%>`` the condition tests ``search_similarity_cost``, a
  function of ours that is always true and is declared at what the similarity costs (cities
  migration 0004). The planner then weighs the index, the walk and the scan as they are, with
  the list's other filters (a city's events) in the same balance.
- **The needle, once per word.** The similarity of a row depends on the set of the text's
  trigrams alone, and a word said twice adds none; each row's computation grows with the
  text's length all the same. The similarity is computed with the text's distinct words,
  which PostgreSQL takes only when their trigrams are exactly the text's (``show_trgm``, while
  planning): the same similarity, for every row, at a fraction of the cost.
- **Text in which pg_trgm finds no trigram** (punctuation, symbols, emoji) is word-similar to
  nothing (its similarity is 0, under pg_trgm's threshold of 0.6), but the index would hand
  over every row to learn that: ``show_trgm(text) <> '{}'`` guards the test, and PostgreSQL,
  evaluating it while planning, leaves the similarity out.
- **Text without three letters or digits in a row** ("a!!", "ab cd") gives ``LIKE`` nothing
  selective to look up in the index, while the similarity may have something: no plan of
  ``… LIKE … OR … %> …`` serves both halves. These rows are ``id IN (rows containing it
  UNION rows similar to it)``, each half planned on its own.

The condition is the one it was, and so are the rows, their order, the pages and the counts:
only the plans differ. docs/benchmarks.md, "Text search", has the measurements.

**Best matches first.** A row known by names (a city: its own names in four languages, and
its aliases) keeps a document of names (``names_document``): each name folded, one a line, its
own names marked. Folding collapses whitespace, so no name holds a line break or the mark (a
control character ``str.split`` takes for whitespace), and on every database ``LIKE`` tells a
whole name (``%\\nalmaty\\n%``) and the start of one (``%\\nalma%``) from text inside one,
and an own name from an alias, with the same trigram index. ``ranked`` orders what
``matching`` finds (``MatchRank``): an own name that is the text, then an alias that is, then
an own name that starts with it, then an alias that does, then the rest, on PostgreSQL (from
three characters) the most similar first; each of those by what the list adds next
(population, name). Rank and similarity are annotations of the query, so keyset cursors carry
them as they carry any sort key. docs/benchmarks.md, "City search by any name", has what that
order costs.
"""

import re
from collections.abc import Iterable
from enum import IntEnum

from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from .folding import fold
from .text import is_blank

# Text shorter than a trigram has nothing to look up in the trigram index; pg_trgm's
# similarity of such text is not used either (it would match almost everything).
MIN_SIMILARITY_LENGTH = 3

# Three letters or digits in a row: a trigram of the text itself, which ``LIKE '%text%'`` asks
# the index for wherever the three stand. pg_trgm reads letters by the database's locale;
# where it disagrees with Python only the plan changes, never the rows.
_TRIGRAM = re.compile(r"[^\W_]{3}")
_WORD = re.compile(r"[^\W_]+")

# Between the names of a names document (folded text never holds a line break).
NAME_SEPARATOR = "\n"


# Before each of a row's own names in its names document (not before an alias).
OWN_NAME = "\x1f"


class MatchRank(IntEnum):
    """How well a row of a names document matches a text, best first (``ranked``)."""

    NAME = 0  # one of its own names is the text
    ALIAS = 1  # one of its aliases is
    NAME_START = 2  # one of its own names starts with the text
    ALIAS_START = 3  # one of its aliases does
    OTHER = 4  # the text is inside a name, or (PostgreSQL) a name is word-similar to it


def names_document(names: Iterable[str], aliases: Iterable[str] = ()) -> str:
    """The search document of a row known by names: its own ``names`` and its ``aliases``,
    each folded, once, one a line, an own name after ``OWN_NAME``
    (``"\\n\\x1falmaty\\n\\x1fалматы\\nalma-ata\\n"``); empty without a name."""
    own = dict.fromkeys(key for key in (fold(name) for name in names if name) if key)
    other = dict.fromkeys(
        key for key in (fold(name) for name in aliases if name) if key and key not in own
    )
    lines = [OWN_NAME + key for key in own] + list(other)
    if not lines:
        return ""
    return NAME_SEPARATOR + NAME_SEPARATOR.join(lines) + NAME_SEPARATOR


def matching(queryset, text: str, field: str = "search_document"):
    """Rows of ``queryset`` whose search document matches ``text``. Blank text, spaces or
    characters that show nothing (core.text), keeps all, as an empty search does."""
    needle = "" if is_blank(text) else fold(text)
    if not needle:
        return queryset
    contains = Q(**{f"{field}__contains": needle})
    if connections[queryset.db].vendor != "postgresql" or len(needle) < MIN_SIMILARITY_LENGTH:
        return queryset.filter(contains)
    similar = word_similar(field, needle)
    if _TRIGRAM.search(needle):
        return queryset.filter(contains | similar)
    table = queryset.model._base_manager.order_by()
    either = table.filter(contains).values("pk").union(table.filter(similar).values("pk"))
    return queryset.filter(pk__in=either)


def ranked(queryset, text: str, *then, field: str = "search_document"):
    """The rows of ``queryset`` whose names document (``names_document``) matches ``text``
    (as ``matching`` finds them), best first: by ``MatchRank``; among the rest, on PostgreSQL
    and from three characters, the most similar first; then by the orderings ``then``. Blank
    text keeps every row, in the queryset's own order.

    The rank is the annotation ``search_rank`` and the similarity ``search_similarity``, so
    that a keyset cursor holds them (schema.core.pagination)."""
    needle = "" if is_blank(text) else fold(text)
    if not needle:
        return queryset

    def holding(pattern: str) -> Q:
        return Q(**{f"{field}__contains": pattern})

    line = NAME_SEPARATOR
    # OWN_NAME stands only after a line break: "%\x1ftext%" is an own name's start.
    name_start, alias_start = holding(f"{OWN_NAME}{needle}"), holding(f"{line}{needle}")
    whole_name, whole_alias = holding(f"{OWN_NAME}{needle}{line}"), holding(f"{line}{needle}{line}")

    def rank_of(*whens, default: MatchRank) -> Case:
        return Case(
            *(When(condition, then=Value(rank.value)) for condition, rank in whens),
            default=Value(default.value),
            output_field=IntegerField(),
        )

    # Nested, so that most rows (the rest) cost two LIKEs, not four.
    rank = Case(
        When(
            name_start,
            then=rank_of(
                (whole_name, MatchRank.NAME),
                (whole_alias, MatchRank.ALIAS),
                default=MatchRank.NAME_START,
            ),
        ),
        When(
            alias_start,
            then=rank_of((whole_alias, MatchRank.ALIAS), default=MatchRank.ALIAS_START),
        ),
        default=Value(MatchRank.OTHER.value),
        output_field=IntegerField(),
    )
    start = name_start | alias_start
    found = matching(queryset, text, field).annotate(search_rank=rank)
    if connections[queryset.db].vendor != "postgresql" or len(needle) < MIN_SIMILARITY_LENGTH:
        return found.order_by("search_rank", *then)
    # The similarity orders the rest only: whole names and starts of names go by ``then``
    # (by population, the city people mean when they type "kar" is Karachi, not Kars). It is
    # pg_trgm's strict word similarity, of whole words: ``word_similarity`` takes any run of
    # the document's trigrams, and across two names side by side ("…gyulafehervar",
    # "karlov…") finds "kar" whole where no name holds it. It is computed for the rest only
    # (CASE stops at the first condition that holds), and read as a double: a cursor holds a
    # double, and a real read by the driver comes back rounded in decimal (0.8, not the
    # real's 0.800000011920929), so that the next page's condition would miss the ties.
    similarity = Case(
        When(start, then=Value(1.0)),
        default=Cast(
            Func(_once_per_word(needle), F(field), function="strict_word_similarity"),
            output_field=FloatField(),
        ),
        output_field=FloatField(),
    )
    return found.annotate(search_similarity=similarity).order_by(
        "search_rank", "-search_similarity", *then
    )


def _once_per_word(needle: str) -> RawSQL:
    """``needle`` with each word once when PostgreSQL finds the same trigrams in that (the
    same similarity, at a fraction of the cost), else ``needle``."""
    # The same trigrams, so the same similarity: PostgreSQL checks it, not Python's idea of
    # a word.
    words = " ".join(dict.fromkeys(_WORD.findall(needle))) or needle
    return RawSQL(
        "CASE WHEN show_trgm(%s) = show_trgm(%s) THEN %s ELSE %s END",
        (words, needle, words, needle),
        output_field=TextField(),
    )


def word_similar(field: str, needle: str) -> Q:
    """Rows whose ``field`` is word-similar to ``needle`` (pg_trgm's ``%>``), as the
    planner should price them; nothing, decided while planning, when ``needle`` has no
    trigram."""
    has_trigram = RawSQL("show_trgm(%s) <> '{}'", (needle,), output_field=BooleanField())
    once = _once_per_word(needle)
    cost = Func(F(field), function="search_similarity_cost", output_field=BooleanField())
    return Q(has_trigram) & Q(**{f"{field}__trigram_word_similar": once}) & Q(cost)
