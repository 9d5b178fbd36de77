"""Queries of events and announcements."""

import graphene

from core.data_versions import CITIES, EVENTS, TWINNINGS
from graphql_server.cache_policy import WhenArgument, cache_policy

from ..core.pagination import connection_args, paginate
from ..core.selection import selected_paths
from . import resolvers
from .clocks import EVENTS_NOT_OVER, PUBLISHED_ANNOUNCEMENTS
from .enums import EventOrderBy
from .types import AnnouncementType, EventFilterInput, EventType, TagType


class EventQueries(graphene.ObjectType):
    events = graphene.Field(
        EventType._meta.connection,
        required=True,
        filter=EventFilterInput(),
        order_by=EventOrderBy(default_value=EventOrderBy.START),
        **connection_args(),
        description="Public events of cities and twinnings (never drafts).",
    )
    event = graphene.Field(EventType, id=graphene.ID(required=True))
    tags = graphene.List(
        graphene.NonNull(TagType),
        required=True,
        description="The deployment's vocabulary of tags, by slug, named in the request's "
        "language: what `events(filter: {tags:})` and the events' inputs take.",
    )
    announcements = graphene.Field(
        AnnouncementType._meta.connection,
        required=True,
        city=graphene.ID(description="A City ID: its announcements."),
        twinning=graphene.ID(description="A Twinning ID: announcements about that pair."),
        **connection_args(),
        description="Published announcements of city offices, newest first.",
    )

    @staticmethod
    def resolve_events(root, info, filter=None, order_by=None, first=None, after=None):
        paths = selected_paths(info, "edges.node")
        viewer = info.context.user
        queryset = resolvers.events(filter, order_by, paths, viewer)
        return paginate(
            queryset,
            EventType._meta.connection,
            first,
            after,
            lambda rows: resolvers.after_events_fetched(rows, paths, viewer),
        )

    @staticmethod
    def resolve_event(root, info, id):
        return resolvers.event(id, info.context.user, selected_paths(info))

    @staticmethod
    def resolve_tags(root, info):
        return resolvers.tags()

    @staticmethod
    def resolve_announcements(root, info, city=None, twinning=None, first=None, after=None):
        paths = selected_paths(info, "edges.node")
        queryset = resolvers.announcements(city, twinning, paths)
        return paginate(
            queryset,
            AnnouncementType._meta.connection,
            first,
            after,
            lambda rows: resolvers.after_announcements_fetched(rows, paths),
        )


# What the response cache may keep of these queries (graphql_server.cache_policy).
CACHE_POLICIES = (
    cache_policy(
        "Query",
        public=("events", "event", "announcements", "tags"),
        # filter.country is the host city's; filter.city matches the cities of the twinnings too.
        also_reads={"events": {CITIES, TWINNINGS}, "tags": {EVENTS}},
        # A scheduled announcement appears at its publication time; an event leaves the list
        # of those not over when it ends.
        clocks={
            "announcements": PUBLISHED_ANNOUNCEMENTS,
            "events": WhenArgument("filter.upcoming", EVENTS_NOT_OVER),
        },
    ),
)
