"""The queries behind the events part of the API's lists and root fields, each shaped by the
fields selected (the joins, prefetches and columns that the types declare they read);
resolvers call these and nothing else."""

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext_noop

from cities.models import Twinning
from core.error_codes import CommonErrorCode
from core.validators import instant
from events.error_codes import EventErrorCode
from events.models import Announcement, Event, Tag
from events.services import MAX_EVENT_TAGS
from graphql_server.errors import ApiErrorCode, UnauthenticatedError, UserInputError

from ..cities.loaders import attach_city_lists
from ..core.arguments import validate_country, validate_range
from ..core.ids import decode_id
from ..core.selection import below, is_selected
from .enums import EventOrderBy, TagsMatch
from .loaders import (
    MAX_NESTED_EVENTS,
    attach_viewer_rsvps,
    cohost_rows,
    history_rows,
    tag_rows,
    upcoming_events,
)
from .types import EVENT_COLUMNS

# Half the Earth's circumference: any larger circle is the whole globe.
MAX_RADIUS_KM = 20_000


def twinning_joins(paths: frozenset[str], field: str = "twinning") -> list[str]:
    """The joins a selected twinning needs: itself, and its cities when those are selected."""
    if not is_selected(paths, field):
        return []
    joins = [field]
    if any(
        is_selected(paths, f"{field}.{side}") for side in ("cityA", "cityB", "cities", "partner")
    ):
        joins += [f"{field}__city_a", f"{field}__city_b"]
    return joins


def event_joins(paths: frozenset[str]) -> list[str]:
    """The ``select_related`` names that the selected fields of an event need."""
    joins = []
    if is_selected(paths, "hostCity"):
        joins.append("host_city")
    if is_selected(paths, "office"):
        joins.append("office")
        if is_selected(paths, "office.city"):
            joins.append("office__city")
    if is_selected(paths, "image") or is_selected(paths, "imageUrl"):
        joins.append("image")
    return joins + twinning_joins(paths)


def optimize_events(queryset, paths: frozenset[str]):
    """Join or prefetch what the selected fields of each event need, in a fixed number of
    queries whatever the page size, and read only the columns they show: a feed's row is a
    few short columns, not every language of every text of four tables."""
    joins = event_joins(paths)
    if joins:
        queryset = queryset.select_related(*joins)
    columns = EVENT_COLUMNS.columns(paths)
    if columns is not None:
        queryset = queryset.only(*columns)
    if is_selected(paths, "hostCity.offices"):
        queryset = queryset.prefetch_related("host_city__offices")
    if is_selected(paths, "tags"):
        queryset = queryset.prefetch_related(Prefetch("tags", queryset=tag_rows()))
    return queryset


def after_events_fetched(events, paths: frozenset[str], viewer) -> None:
    """Fill what a join cannot, for the whole page at once: the host cities' twinnings and
    partners, the viewer's RSVPs, and the history and co-hosts of the events (the co-hosts
    also whenever the history is read: they decide who may read it)."""
    if is_selected(paths, "hostCity.twinnings") or is_selected(paths, "hostCity.partners"):
        attach_city_lists([event.host_city for event in events], below(paths, "hostCity"))
    if "viewerRsvp" in paths or "viewerWaitlistPosition" in paths:
        attach_viewer_rsvps(events, viewer)
    prefetches = []
    if is_selected(paths, "tags"):
        # (Already there for a page of events; read here for the events of RSVPs.)
        prefetches.append(Prefetch("tags", queryset=tag_rows()))
    if is_selected(paths, "history"):
        prefetches.append(Prefetch("history", queryset=history_rows()))
    if is_selected(paths, "history") or is_selected(paths, "cohosts"):
        prefetches.append(Prefetch("cohosts", queryset=cohost_rows()))
    if prefetches:
        prefetch_related_objects(events, *prefetches)


def events(filter, order_by, paths: frozenset[str], viewer):
    """Events matching ``filter`` (an EventFilterInput or None), in ``order_by``: public ones,
    and with ``includeDrafts`` the drafts of the viewer's offices; with ``following``, only
    those of what the viewer follows and answered (signed in only)."""
    filter = filter or {}
    if filter.get("following") and not viewer.is_authenticated:
        raise UnauthenticatedError(gettext_noop("Sign in to see the events of what you follow."))
    if filter.get("include_drafts"):
        queryset = Event.objects.visible_to(viewer)
    else:
        queryset = Event.objects.public()
    if filter.get("following"):
        queryset = queryset.followed_by(viewer)
    near = filter.get("near")
    if filter.get("office") is not None:
        office = decode_id(filter["office"], "CityOffice", "filter.office")
        queryset = queryset.acted_for_by([office])
    if filter.get("category"):
        queryset = queryset.filter(category=filter["category"])
    if filter.get("city") is not None:
        queryset = queryset.filter(of_city(decode_id(filter["city"], "City", "filter.city")))
    if filter.get("twinning") is not None:
        pk = decode_id(filter["twinning"], "Twinning", "filter.twinning")
        queryset = queryset.filter(twinning=pk)
    # Given at all, a country must be one: "" is as INVALID_COUNTRY as " ", not no filter.
    if filter.get("country") is not None:
        code = validate_country(filter["country"], "filter.country")
        queryset = queryset.filter(host_city__country=code)
    if filter.get("upcoming"):
        queryset = queryset.filter(ends_at__gt=timezone.now())
    if filter.get("starts_after"):
        queryset = queryset.filter(
            starts_at__gte=_instant(filter["starts_after"], "filter.startsAfter")
        )
    if filter.get("starts_before"):
        queryset = queryset.filter(
            starts_at__lt=_instant(filter["starts_before"], "filter.startsBefore")
        )
    if filter.get("search"):
        queryset = queryset.search(filter["search"])
    if filter.get("tags"):
        queryset = queryset.filter(tagged(filter["tags"], filter.get("tags_match")))
    if near:
        queryset = queryset.near(
            validate_range(
                near.latitude, -90, 90, "filter.near.latitude", CommonErrorCode.INVALID_COORDINATES
            ),
            validate_range(
                near.longitude,
                -180,
                180,
                "filter.near.longitude",
                CommonErrorCode.INVALID_COORDINATES,
            ),
            _radius(near.radius_km),
        )
    if order_by == EventOrderBy.DISTANCE:
        if not near:
            raise UserInputError(
                gettext_noop("Ordering by distance needs filter.near."),
                ApiErrorCode.INVALID,
                "orderBy",
            )
        ordering = ("distance_km", "starts_at", "id")
    elif order_by == EventOrderBy.START_DESC:
        ordering = ("-starts_at", "-id")
    else:
        ordering = ("starts_at", "id")
    return optimize_events(queryset.order_by(*ordering), paths)


def of_city(city: int) -> Q:
    """The events a city's feed shows: those it hosts, and those of its twinnings wherever
    they are held (Aktau's feed shows its twinning's event in Karachi), as its followers are
    told of them (``notifications.audience``).

    The city's twinnings are read first, a few IDs from their indexed cities, and given to the
    feed as a list: PostgreSQL then plans ``host_city = … OR twinning IN (…)`` with the real
    numbers (a bitmap OR of the two indexes for a city of a few hundred events, the feed's
    order for one of thousands). With a subquery instead it cannot tell how many rows match,
    and walks the whole feed's order to find a small city's page (4 ms instead of 0.1 ms over
    5,000 events)."""
    twinnings = list(Twinning.objects.involving(city).values_list("pk", flat=True))
    return Q(host_city=city) | Q(twinning__in=twinnings)


def tagged(slugs, match) -> Q:
    """Events carrying any of the tags ``slugs`` names (``match`` ANY), or all of them (ALL).

    Each tag is an ``EXISTS`` on the events' tags, never a join: an event with two of the tags
    is still one row of the list, and the list keeps its order and its keyset cursors."""
    slugs = list(dict.fromkeys(slugs))
    if len(slugs) > MAX_EVENT_TAGS:
        raise UserInputError(
            gettext_noop("Give at most %(limit)s tags."),
            EventErrorCode.TOO_MANY_TAGS,
            "filter.tags",
            params={"limit": MAX_EVENT_TAGS},
        )
    ids = dict(Tag.objects.filter(slug__in=slugs).values_list("slug", "pk"))
    unknown = [slug for slug in slugs if slug not in ids]
    if unknown:
        raise UserInputError(
            gettext_noop("No tag is named %(slugs)s."),
            EventErrorCode.UNKNOWN_TAG,
            "filter.tags",
            params={"slugs": ", ".join(unknown)},
        )
    carrying = Event.tags.through.objects.filter(event=OuterRef("pk"))
    if match == TagsMatch.ALL:
        condition = Q()
        for pk in ids.values():
            condition &= Q(Exists(carrying.filter(tag=pk)))
        return condition
    return Q(Exists(carrying.filter(tag__in=list(ids.values()))))


def _instant(value, field: str):
    """A time of a filter: with its UTC offset and inside the window the system holds (the
    database is never asked about a time it could not store), in UTC."""
    try:
        return instant(value)
    except ValidationError as error:
        raise UserInputError(error.message, error.code, field, error.params) from error


def _radius(radius_km: float) -> float:
    if not 0 < radius_km <= MAX_RADIUS_KM:
        raise UserInputError(
            gettext_noop("radiusKm must be above 0 and at most %(limit)s."),
            EventErrorCode.INVALID_RADIUS,
            "filter.near.radiusKm",
            params={"limit": f"{MAX_RADIUS_KM:,}"},
        )
    return radius_km


def event(id: str, viewer, paths: frozenset[str]) -> Event | None:
    pk = decode_id(id, "Event", "id")
    return optimize_events(Event.objects.visible_to(viewer), paths).filter(pk=pk).first()


def tags():
    """The vocabulary of tags, by slug."""
    return list(tag_rows())


def prefetch_twinning_events(queryset, paths: frozenset[str]):
    """For a list of twinnings, load each one's upcoming events in one windowed query."""
    if not is_selected(paths, "events"):
        return queryset
    nested = below(paths, "events")
    events_queryset = optimize_events(upcoming_events(), nested)[:MAX_NESTED_EVENTS]
    return queryset.prefetch_related(
        Prefetch("events", queryset=events_queryset, to_attr="upcoming_events")
    )


def after_announcements_fetched(announcements, paths: frozenset[str]) -> None:
    """The history of a page of announcements, in one query."""
    if is_selected(paths, "history"):
        prefetch_related_objects(announcements, Prefetch("history", queryset=history_rows()))


def announcements(city_id, twinning_id, paths: frozenset[str]):
    """Published announcements, newest first."""
    queryset = Announcement.objects.published()
    if city_id is not None:
        queryset = queryset.filter(city=decode_id(city_id, "City", "city"))
    if twinning_id is not None:
        queryset = queryset.filter(twinning=decode_id(twinning_id, "Twinning", "twinning"))
    joins = [name for name in ("office", "city") if is_selected(paths, name)]
    joins += twinning_joins(paths)
    if is_selected(paths, "event"):
        event_paths = below(paths, "event")
        joins += ["event", *(f"event__{join}" for join in event_joins(event_paths))]
        if is_selected(event_paths, "tags"):
            queryset = queryset.prefetch_related(Prefetch("event__tags", queryset=tag_rows()))
    queryset = queryset.select_related(*joins) if joins else queryset
    return queryset.order_by("-published_at", "-id")
