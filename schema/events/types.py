"""GraphQL types of events and announcements."""

import datetime

import graphene
from graphene import relay
from graphene_django import DjangoObjectType

from core.data_versions import ANNOUNCEMENTS, ATTENDANCE, EVENTS, TWINNINGS
from core.public_url import public_base_url
from events.models import Announcement, Event, Tag
from events.sharing import share_url
from graphql_server.cache_policy import ALL_FIELDS, cache_policy
from images.services import url_of

from ..cities.types import (
    CITY_COLUMNS,
    OFFICE_COLUMNS,
    TWINNING_COLUMNS,
    CityOfficeType,
    CityType,
    TwinningType,
)
from ..core.arguments import TextArgument, TextInputField, TextLimit
from ..core.deferred import DeferredField
from ..core.pagination import CountableConnection, connection_args, connection_cache_policies
from ..core.scalars import Decimal
from ..core.selection import RowColumns
from ..images.types import EventImageType, absolute_url
from .clocks import UPCOMING_EVENTS
from .enums import (
    CohostStatus,
    EventCategory,
    EventStatus,
    HistoryAction,
    RsvpStatus,
    TagsMatch,
)
from .loaders import (
    announcement_event,
    announcement_history,
    event_cohosts,
    event_history,
    event_tags,
    history_changes,
    viewer_rsvp,
    viewer_waitlist_position,
)


class HistoryChangeType(graphene.ObjectType):
    """One field's change in a history record: its value before and after, as text."""

    class Meta:
        name = "HistoryChange"

    field = graphene.String(
        required=True, description="The field's API name: `startsAt`, `timeZone`, `title.en`."
    )
    before = graphene.String(
        description="Its value before, as the API shows it (times in UTC); null when empty."
    )
    after = graphene.String(description="Its value after; null when empty.")
    recorded = graphene.Boolean(
        required=True,
        description="False for changes recorded before values were kept: both values null.",
    )


class StateChangeType(graphene.ObjectType):
    """One recorded change of an event or announcement."""

    class Meta:
        name = "StateChange"

    action = graphene.Field(HistoryAction, required=True)
    from_status = graphene.String(required=True)
    to_status = graphene.String(required=True)
    actor_name = graphene.String(description="Who made the change, if the account still exists.")
    at = graphene.DateTime(required=True)
    details = graphene.JSONString(required=True)
    changes = graphene.List(
        graphene.NonNull(HistoryChangeType),
        required=True,
        description="Each field changed, with its value before and after.",
    )

    @staticmethod
    def resolve_actor_name(root, info):
        return str(root.actor) if root.actor_id else None

    @staticmethod
    def resolve_changes(root, info):
        return history_changes(root)


class EventCohostType(graphene.ObjectType):
    """An office invited to co-host an event."""

    class Meta:
        name = "EventCohost"

    office = graphene.Field("schema.cities.types.CityOfficeType", required=True)
    status = graphene.Field(CohostStatus, required=True)


class TagType(DjangoObjectType):
    """A word of the deployment's vocabulary that events carry (`events(filter: {tags:})`)."""

    slug = graphene.String(
        required=True, description="Its name in filters and inputs: `for-children`. Stable."
    )
    name = graphene.String(required=True, description="In the request's language, else English.")

    class Meta:
        model = Tag
        name = "Tag"
        interfaces = (relay.Node,)
        fields = ("id",)


class PriceType(graphene.ObjectType):
    """What a ticket costs: an amount in a currency."""

    class Meta:
        name = "Price"

    amount = Decimal(
        required=True, description="Above 0, at most two decimals, as a string: `2500.00`."
    )
    currency = graphene.String(
        required=True, description="The ISO 4217 code of its currency: `KZT`, `RUB`, `PKR`."
    )


class EventType(DjangoObjectType):
    """Something a city or a twinned pair holds. Times come in UTC and in the venue's zone."""

    title = graphene.String(required=True, description="In the request's language, else English.")
    summary = graphene.String(required=True)
    description = graphene.String(required=True)
    category = EventCategory(required=True)
    status = graphene.Field(EventStatus, required=True)
    starts_at = graphene.DateTime(required=True, description="The start, in UTC.")
    ends_at = graphene.DateTime(required=True, description="The end, in UTC.")
    time_zone = graphene.String(required=True, description="The venue's IANA time zone.")
    local_starts_at = graphene.DateTime(
        required=True, description="The start as the venue's clocks show it, with their offset."
    )
    local_ends_at = graphene.DateTime(required=True, description="The end in the venue's zone.")
    host_city = graphene.Field(CityType, required=True)
    twinning = graphene.Field(TwinningType, description="The twinning the event belongs to.")
    office = graphene.Field(CityOfficeType, required=True, description="The organising office.")
    distance_km = graphene.Float(
        description="Great-circle distance from `filter.near`, when the list was asked for it."
    )
    attendee_count = graphene.Int(required=True, description="How many people are going.")
    waitlist_count = graphene.Int(
        required=True,
        description="How many people wait for a place (`rsvpSet` with WAITLISTED when full).",
    )
    viewer_rsvp = graphene.Field(
        RsvpStatus,
        required=True,
        description="The viewer's RSVP; NONE when signed out. WAITLISTED: in the line for a "
        "place, which they get (GOING, with a push) when one frees.",
    )
    viewer_waitlist_position = graphene.Int(
        description="The viewer's place in the waitlist, 1 for the next place that frees; "
        "null unless `viewerRsvp` is WAITLISTED."
    )
    registration_url = graphene.String(
        description="Where to register or buy tickets (https); null when none is given."
    )
    price = graphene.Field(
        PriceType, description="What a ticket costs; null when free or not stated."
    )
    is_free = graphene.Boolean(
        required=True,
        description="True when nobody pays to come. False with a null `price`: not stated.",
    )
    accessibility = graphene.String(
        required=True,
        description="Notes on access for people with disabilities, in the request's language "
        "(else English); empty when none.",
    )
    tags = graphene.List(
        graphene.NonNull(TagType),
        required=True,
        description="The tags it carries (at most 10), by slug.",
    )
    history = graphene.List(
        graphene.NonNull(StateChangeType),
        required=True,
        description="Every change, oldest first. Only the event's offices may read it.",
    )
    cohosts = graphene.List(
        graphene.NonNull(EventCohostType),
        required=True,
        description="Offices invited to co-host. Only the event's offices may read it.",
    )
    share_url = graphene.String(
        required=True,
        description="The link to share the event by, `<server>/e/<number>`: it opens the app "
        "where the app is installed, and elsewhere a page showing the event in the reader's "
        "language, which messengers preview. It stays the same for the event's whole life. A "
        "draft's link answers 404 until the draft is announced.",
    )
    image = graphene.Field(
        EventImageType,
        description="The picture its office uploaded, in each size a phone shows; null when "
        "none was uploaded.",
    )
    image_url = graphene.String(
        required=True,
        deprecation_reason="Use `image`, which gives each size with its width and height.",
        description="The uploaded picture's `card` size when there is one, else the link "
        "the office typed (empty for none).",
    )
    announce_at = graphene.DateTime(
        description="When the draft announces itself (`eventAnnounce` with `at`), in UTC; "
        "null when not scheduled or no longer a draft. Only the event's offices see drafts."
    )
    # The chat's fields: schema.chat, built on this package, answers them.
    chat_room = DeferredField(
        "schema.chat.types.ChatRoomType",
        resolver="schema.chat.queries.chat_room",
        description="The event's chat room; null for a draft, which has none.",
    )
    chat_messages = DeferredField(
        "schema.chat.types.ChatMessageConnection",
        resolver="schema.chat.queries.chat_history",
        last=graphene.Int(description="Page size, 20 by default, at most 100."),
        before=TextArgument(
            max_length=TextLimit.CURSOR, description="The `startCursor` of the newer page."
        ),
        description=(
            "The chat's history, newest page first; each page oldest first. Null for a draft."
        ),
    )
    chat_reports = DeferredField(
        "schema.chat.types.ChatReportConnection",
        resolver="schema.chat.queries.chat_reports",
        status=graphene.Argument("schema.chat.types.ChatReportStatus"),
        **connection_args(),
        description="Reports of the chat's messages, newest first. Only its moderators.",
    )

    class Meta:
        model = Event
        name = "Event"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        fields = (
            "id",
            "venue_name",
            "venue_address",
            "latitude",
            "longitude",
            "announced_at",
            "capacity",
            "cancellation_reason",
            "updated_at",
        )

    @classmethod
    def get_queryset(cls, queryset, info):
        # Drafts exist only for their offices: everyone else never sees them.
        return queryset.visible_to(info.context.user).select_related(
            "host_city", "twinning", "office", "image"
        )

    @staticmethod
    def resolve_image(root, info):
        return root.image.variants if root.image_id is not None else None

    @staticmethod
    def resolve_image_url(root, info):
        if root.image_id is not None:
            return absolute_url(url_of(root.image.variants["CARD"]["name"]), info.context)
        return root.image_url

    @staticmethod
    def resolve_viewer_rsvp(root, info):
        return viewer_rsvp(root, info.context.user)

    @staticmethod
    def resolve_viewer_waitlist_position(root, info):
        return viewer_waitlist_position(root, info.context.user)

    @staticmethod
    def resolve_registration_url(root, info):
        return root.registration_url or None

    @staticmethod
    def resolve_price(root, info):
        if root.price_amount is None:
            return None
        return PriceType(amount=root.price_amount, currency=root.price_currency)

    @staticmethod
    def resolve_tags(root, info):
        return event_tags(root)

    @staticmethod
    def resolve_history(root, info):
        return event_history(root, info.context.user)

    @staticmethod
    def resolve_cohosts(root, info):
        return event_cohosts(root, info.context.user)

    @staticmethod
    def resolve_starts_at(root, info):
        return in_utc(root.starts_at)

    @staticmethod
    def resolve_announce_at(root, info):
        # Only drafts have one, and a draft reaches only its offices.
        return in_utc(root.announce_at) if root.status == Event.Status.DRAFT else None

    @staticmethod
    def resolve_ends_at(root, info):
        return in_utc(root.ends_at)

    @staticmethod
    def resolve_time_zone(root, info):
        return root.timezone

    @staticmethod
    def resolve_distance_km(root, info):
        return getattr(root, "distance_km", None)

    @staticmethod
    def resolve_share_url(root, info):
        return share_url(root.pk, public_base_url(info.context))


# An uploaded picture's row: each size is read from its variants.
IMAGE_COLUMNS = RowColumns(
    always=("id", "variants"),
    fields={"thumbnail": (), "card": (), "full": (), "share": ()},
)

# The columns each field of Event reads (see RowColumns). The status and the foreign keys are
# always read: permission checks, announcements' events, joins and prefetches follow them.
EVENT_COLUMNS = RowColumns(
    always=("id", "status", "host_city", "twinning", "office"),
    fields={
        "id": (),
        "category": ("category",),
        "status": ("status",),
        "startsAt": ("starts_at",),
        "endsAt": ("ends_at",),
        "timeZone": ("timezone",),
        "localStartsAt": ("starts_at", "timezone"),
        "localEndsAt": ("ends_at", "timezone"),
        "distanceKm": (),
        "attendeeCount": ("attendee_count",),
        "waitlistCount": ("waitlist_count",),
        "viewerRsvp": (),
        "viewerWaitlistPosition": (),
        "registrationUrl": ("registration_url",),
        "price": ("price_amount", "price_currency"),
        "isFree": ("is_free",),
        # Prefetched for the page (resolvers.optimize_events), by the event's id.
        "tags": (),
        "history": (),
        "cohosts": (),
        "venueName": ("venue_name",),
        "venueAddress": ("venue_address",),
        "latitude": ("latitude",),
        "longitude": ("longitude",),
        "announcedAt": ("announced_at",),
        "announceAt": ("announce_at",),
        "capacity": ("capacity",),
        "cancellationReason": ("cancellation_reason",),
        "imageUrl": ("image_url", "image"),
        "image": ("image",),
        "updatedAt": ("updated_at",),
        "shareUrl": (),
    },
    translated={
        "title": "title",
        "summary": "summary",
        "description": "description",
        "accessibility": "accessibility",
    },
    joined={
        "host_city": (("hostCity",), CITY_COLUMNS),
        "office": (("office",), OFFICE_COLUMNS),
        "twinning": (("twinning",), TWINNING_COLUMNS),
        "image": (("image", "imageUrl"), IMAGE_COLUMNS),
    },
    # The chat's fields hand the event to the chat's functions (its room's times, status,
    # offices and moderators).
    whole_row=("chatRoom", "chatMessages", "chatReports"),
)


def in_utc(moment: datetime.datetime | None) -> datetime.datetime | None:
    """An instant as the API's UTC fields give it, whatever offset the object in hand carries.
    The services store and hand back times in UTC, but a mutation answers with the object it
    holds, not one read again, so the field does not rely on where that object came from: a
    payload and a read answer alike. (``localStartsAt`` and ``localEndsAt`` give the venue's
    offset instead.)"""
    return moment.astimezone(datetime.UTC) if moment is not None else None


class AnnouncementType(DjangoObjectType):
    """News from a city office, about its city, one of its twinnings or an event."""

    title = graphene.String(required=True)
    body = graphene.String(required=True)
    city = graphene.Field(CityType, required=True)
    twinning = graphene.Field(TwinningType)
    office = graphene.Field(CityOfficeType, required=True)
    event = graphene.Field(EventType, description="The event it is about, if public.")
    history = graphene.List(
        graphene.NonNull(StateChangeType),
        required=True,
        description="Every change, oldest first. Only the office's publishers may read it.",
    )
    publish_at = graphene.DateTime(
        description="When it publishes itself, in UTC, while it is not yet published; only "
        "its office reads it (in the payloads of its mutations), as nobody else sees it yet."
    )

    class Meta:
        model = Announcement
        name = "Announcement"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        fields = ("id", "published_at")

    @classmethod
    def get_queryset(cls, queryset, info):
        return queryset.published()

    @staticmethod
    def resolve_event(root, info):
        return announcement_event(root)

    @staticmethod
    def resolve_history(root, info):
        return announcement_history(root, info.context.user)

    @staticmethod
    def resolve_publish_at(root, info):
        return in_utc(root.publish_at) if root.published_at is None else None


class NearInput(graphene.InputObjectType):
    """A circle on the globe: events whose venue lies within it."""

    latitude = graphene.Float(required=True, description="Degrees, -90 to 90.")
    longitude = graphene.Float(required=True, description="Degrees, -180 to 180.")
    radius_km = graphene.Float(required=True, description="Kilometres, above 0, at most 20,000.")


class EventFilterInput(graphene.InputObjectType):
    """Every condition given must hold."""

    category = EventCategory()
    city = graphene.ID(
        description="A City ID: events it hosts, and events of its twinnings wherever held."
    )
    twinning = graphene.ID(description="A Twinning ID: events of that pair.")
    country = graphene.String(description="ISO 3166 code of the host city's country.")
    upcoming = graphene.Boolean(
        default_value=False,
        description="Only events not over yet (under way or to come) at the time of the "
        "answer: what an app's feed shows, without sending the present time. Answers kept by "
        "the response cache last until the next such event ends.",
    )
    starts_after = graphene.DateTime(description="Events starting at or after this time.")
    starts_before = graphene.DateTime(description="Events starting before this time.")
    near = NearInput()
    search = TextInputField(
        max_length=TextLimit.SEARCH,
        description="Words of the title in any language, any case or accent.",
    )
    office = graphene.ID(description="A CityOffice ID: events it organises or co-hosts.")
    include_drafts = graphene.Boolean(
        default_value=False,
        description="Also the drafts of the offices the viewer works for.",
    )
    tags = TextInputField(
        graphene.List(graphene.NonNull(graphene.String)),
        max_length=TextLimit.IDENTIFIER,
        description="Tag slugs (at most 10): events carrying any of them, or all of them "
        "with `tagsMatch: ALL`. A slug of no tag is UNKNOWN_TAG; an empty list, no condition.",
    )
    tags_match = TagsMatch(
        default_value=TagsMatch.ANY, description="Whether `tags` means any of them or all."
    )
    following = graphene.Boolean(
        default_value=False,
        description="Only the viewer's own: events of the cities they follow (as each city's "
        "feed shows them: hosted there, or of its twinnings), of the twinnings they follow, and "
        "those they answered (GOING, INTERESTED or WAITLISTED); each once. Signed in only "
        "(UNAUTHENTICATED otherwise).",
    )


# What the response cache may keep of these types (graphql_server.cache_policy). An anonymous
# viewer's reads never show a draft, so what they show of events is the same for every one; a
# signed-in viewer's show their offices' drafts too, which their version covers.
CACHE_POLICIES = (
    cache_policy(
        EventType,
        areas={EVENTS},
        public=(
            "id",
            "venueName",
            "venueAddress",
            "latitude",
            "longitude",
            "announcedAt",
            "capacity",
            "cancellationReason",
            "imageUrl",
            "image",
            "updatedAt",
            "title",
            "summary",
            "description",
            "category",
            "status",
            "startsAt",
            "endsAt",
            "timeZone",
            "localStartsAt",
            "localEndsAt",
            "hostCity",
            "twinning",
            "office",
            "distanceKm",
            "attendeeCount",
            # Made of the event's key and PUBLIC_BASE_URL (without it, of the request's host,
            # which the kept answers do not tell apart: README, "Share links").
            "shareUrl",
            "waitlistCount",
            "registrationUrl",
            "price",
            "isFree",
            "accessibility",
            "tags",
        ),
        # Every RSVP changes them: only the reads that show them are ended by one. The
        # viewer's place in a line moves when anyone ahead leaves it.
        also_reads={
            "attendeeCount": {ATTENDANCE},
            "waitlistCount": {ATTENDANCE},
            "viewerWaitlistPosition": {ATTENDANCE},
        },
        # The viewer's answer is theirs: kept for them alone, under their version.
        own=("viewerRsvp", "viewerWaitlistPosition"),
        viewer=("history", "cohosts", "announceAt"),
        not_cached=("chatRoom", "chatMessages", "chatReports"),
    ),
    *connection_cache_policies(EventType, areas={EVENTS}),
    # A twinning's upcoming events (answered here, see TwinningType.events): an event leaves
    # the list when it starts.
    cache_policy(
        TwinningType, areas={TWINNINGS}, public=("events",), clocks={"events": UPCOMING_EVENTS}
    ),
    cache_policy(
        AnnouncementType,
        areas={ANNOUNCEMENTS},
        public=("id", "publishedAt", "title", "body", "city", "twinning", "office", "event"),
        viewer=("history", "publishAt"),
    ),
    *connection_cache_policies(AnnouncementType, areas={ANNOUNCEMENTS}),
    # The vocabulary: the operators' edits of a tag bump the events' version.
    cache_policy(TagType, areas={EVENTS}, public=("id", "slug", "name")),
    cache_policy(PriceType, areas={EVENTS}, public=("amount", "currency")),
    # Only an event's offices read these.
    cache_policy(StateChangeType, viewer=ALL_FIELDS),
    cache_policy(HistoryChangeType, viewer=ALL_FIELDS),
    cache_policy(EventCohostType, viewer=ALL_FIELDS),
)
