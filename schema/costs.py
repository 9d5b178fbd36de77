"""What each field of the API costs, for the cost limit (``GRAPHQL_MAX_COST``).

One table for the whole schema (see ``graphql_server.cost_model``): every list's size, and the
fields that cost more than a value at hand. A field not named here weighs 1. The start-up
fails when a list of the schema is missing, so a new list is declared here with the most
items it can hold for one parent.

The unit is one field resolved on one object (about 5 to 10 µs of this app's execution,
measured with bench/documents.py). A query of the database, with its round trip and the
ORM's work on its rows, weighs ``QUERY``; a text search ``SEARCH`` more per query that runs
it (the trigram similarity of every row the words may match: 30 ms for a count of 5,000
events similar to a search of 100 characters).
"""

from django.conf import settings

from accounts.personal_data import export_sections
from events.models import Event
from events.services import MAX_EVENT_TAGS
from graphql_server.cost_model import FieldCost

# A query of its own: about 1 ms.
QUERY = 100
# A list's count: a COUNT of its rows, 3 ms for 5,000 events (bench/documents.py).
COUNT = 300
# A partner or a twinning of a city: the twinning's row and the other city's, about 90 µs
# each (bench/documents.py: 12 cities of 74 partners each).
PAIR = 9
# A text search, on top of the query running it.
SEARCH = 2000
# A distance filter: the great-circle distance of every event in the circle's bounding box.
NEAR = 200

# Lists that nothing in the data bounds: what a user's own records or an event's history
# come to in practice, a page's worth. A list that outgrows it is priced low, never refused.
USUAL_LIST = 20
# A deployment's vocabulary of tags, as operators keep it: a few dozen words.
TAG_VOCABULARY = 100
# The most partners a city has in the real catalogue (25,917 pairs; the 99th percentile is
# 20): a list of partners or twinnings holds at most that many.
MOST_PARTNERS = 74

FIELD_COSTS: dict[str, FieldCost] = {
    # Lists of the top level: a query each for the page.
    "Query.cities": FieldCost(QUERY, arguments=(("search", SEARCH),)),
    "Query.twinnings": FieldCost(QUERY),
    # The for-you feed reads what the viewer follows and answered first: three small queries.
    "Query.events": FieldCost(
        QUERY,
        arguments=(
            ("filter.search", SEARCH),
            ("filter.near", NEAR),
            ("filter.following", 3 * QUERY),
        ),
    ),
    "Query.announcements": FieldCost(QUERY),
    "Query.city": FieldCost(QUERY),
    "Query.twinning": FieldCost(QUERY),
    "Query.event": FieldCost(QUERY),
    "Query.node": FieldCost(QUERY),
    "Query.languages": FieldCost(size=len(settings.LANGUAGES)),
    "Query.tags": FieldCost(QUERY, size=TAG_VOCABULARY),
    # Every list's count runs its filters again.
    "*.totalCount": FieldCost(COUNT, per_query=True),
    # Cities and twinnings: lists loaded for a whole page at once.
    "City.twinnings": FieldCost(size=MOST_PARTNERS, item=PAIR),
    "City.partners": FieldCost(size=MOST_PARTNERS, item=PAIR),
    "City.offices": FieldCost(size=USUAL_LIST),
    "Twinning.cities": FieldCost(size=2),
    # A twinning's events: read for a whole page of `twinnings`, but with a query of their own
    # for a twinning reached through a city or an event, and again for each alias.
    "Twinning.events": FieldCost(QUERY),
    # Events: history and co-hosts are loaded for a page of events; a chat's pages, reports
    # and room are read for each event.
    "Event.history": FieldCost(size=USUAL_LIST),
    "Event.cohosts": FieldCost(size=USUAL_LIST),
    # An event's tags: loaded for a page of events, at most MAX_EVENT_TAGS each.
    "Event.tags": FieldCost(size=MAX_EVENT_TAGS),
    # An announcement's history is loaded for a page. A record's changes are values of its
    # own row (no row each): an edit changes a few fields, a creation up to eight or so.
    "Announcement.history": FieldCost(size=USUAL_LIST),
    "StateChange.changes": FieldCost(size=8, item=1),
    "Event.chatMessages": FieldCost(QUERY),
    "Event.chatReports": FieldCost(QUERY),
    "Event.chatRoom": FieldCost(QUERY),
    # Counts per emoji offered; emojis offered once and since removed still count.
    "ChatMessage.reactions": FieldCost(size=2 * len(settings.CHAT_REACTIONS)),
    # The viewer's own lists: a query each, of what the viewer follows, attends and uses.
    "Viewer.followedCities": FieldCost(QUERY, size=USUAL_LIST),
    "Viewer.followedTwinnings": FieldCost(QUERY, size=USUAL_LIST),
    "Viewer.rsvps": FieldCost(QUERY, size=USUAL_LIST),
    "Viewer.memberships": FieldCost(QUERY, size=USUAL_LIST),
    "Viewer.devices": FieldCost(QUERY, size=USUAL_LIST),
    # Everything held about the viewer: a query per section of the personal data registry,
    # each reading what the person has there (priced as a page's worth of rows each).
    "Viewer.export": FieldCost(export_sections() * (QUERY + USUAL_LIST)),
    "Viewer.blockedUsers": FieldCost(QUERY),
    "Preferences.mutedCategories": FieldCost(size=len(Event.Category)),
    # A mutation's errors: one per input field at most.
    "*.errors": FieldCost(size=USUAL_LIST),
}
