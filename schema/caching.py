"""What the response cache may keep of the API (``graphql_server.cache_policy``).

Each package declares its types' fields next to them; this gathers the declarations for the
root schema (``schema.schema``), with the root types' own. A field left out is never kept, and
tests/schema/test_caching.py fails until it is declared.
"""

from core.data_versions import AREAS
from graphql_server.cache_policy import ALL_FIELDS, cache_policy

from .accounts.queries import CACHE_POLICIES as ACCOUNT_QUERIES
from .accounts.types import CACHE_POLICIES as ACCOUNT_TYPES
from .chat.types import CACHE_POLICIES as CHAT_TYPES
from .cities.queries import CACHE_POLICIES as CITY_QUERIES
from .cities.types import CACHE_POLICIES as CITY_TYPES
from .core.ids import CACHE_POLICIES as NODES
from .core.pagination import CACHE_POLICIES as PAGES
from .events.clocks import PUBLISHED_ANNOUNCEMENTS
from .events.queries import CACHE_POLICIES as EVENT_QUERIES
from .events.types import CACHE_POLICIES as EVENT_TYPES
from .images.types import CACHE_POLICIES as IMAGE_TYPES
from .reports.types import CACHE_POLICIES as REPORT_TYPES

ROOTS = (
    # Any object by its ID: it may be any area's, or an announcement scheduled for later. Kept
    # for anonymous viewers alone: whether a signed-in viewer may read a report or a chat
    # message by its ID reads rows no version covers.
    cache_policy(
        "Query",
        public=("node",),
        also_reads={"node": AREAS},
        clocks={"node": PUBLISHED_ANNOUNCEMENTS},
        anonymous_only=("node",),
    ),
    # The languages the API speaks (schema.core.languages): the same for everyone, always.
    cache_policy("Query", public=("languages",)),
    cache_policy("Language", public=("code", "name", "englishName", "direction")),
    # Writes and live updates are never kept; each payload's type says so too (schema.schema).
    cache_policy("Mutation", not_cached=ALL_FIELDS),
    cache_policy("Subscription", not_cached=ALL_FIELDS),
)

CACHE_POLICIES = (
    *ROOTS,
    *NODES,
    *PAGES,
    *ACCOUNT_QUERIES,
    *ACCOUNT_TYPES,
    *CITY_QUERIES,
    *CITY_TYPES,
    *EVENT_QUERIES,
    *EVENT_TYPES,
    *CHAT_TYPES,
    *IMAGE_TYPES,
    *REPORT_TYPES,
)
