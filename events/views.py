"""Events over plain HTTP: calendar files (calendar apps fetch and subscribe to URLs, not
GraphQL), and the page of an event's share link."""

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_safe

from core.i18n import current_language, language_of, translate
from core.public_url import public_base_url

from . import sharing
from .calendar import event_calendar
from .models import Event, Rsvp

CALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"
# How long a calendar app or proxy may reuse the private feed: apps poll it every few hours at
# best, so five minutes costs them nothing and spares the database repeated polls.
USER_CALENDAR_MAX_AGE = 300
# How long a browser, nginx or a messenger's preview service may reuse a share page: a change
# to the event (cancelled, new times) shows within five minutes, and a link posted in a busy
# chat, opened by everyone at once, costs the database one read per language and five minutes.
SHARE_PAGE_MAX_AGE = 300


@require_safe
def event_ics(request, pk: int) -> HttpResponse:
    """One public event as an .ics file, for "add to my calendar" on the event's page.

    The texts are in the request's language (Accept-Language). Cancelled and postponed events
    are served too, so that a saved link still tells what became of the event; drafts are not
    found.
    """
    event = get_object_or_404(Event.objects.public(), pk=pk)
    language = current_language()
    body = event_calendar([event], language, name=translate(event, "title", language))
    response = HttpResponse(body, content_type=CALENDAR_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}.ics"'
    return response


@require_safe
def user_calendar(request, token: str) -> HttpResponse:
    """The private feed of the public events a user is going to or interested in, for
    calendar apps to subscribe to.

    Calendar apps send no credentials, so the URL's token is the credential: 256 random bits
    (see ``accounts.models.new_calendar_token``), looked up by equality on a unique column.
    Rotating it revokes every copy of the old URL. The texts are in the user's language, since
    the app fetching the feed sends no Accept-Language of the user's.
    """
    user = get_object_or_404(get_user_model(), calendar_token=token, is_active=True)
    events = Event.objects.public().filter(
        rsvps__user=user, rsvps__status__in=[Rsvp.Status.GOING, Rsvp.Status.INTERESTED]
    )
    response = HttpResponse(
        event_calendar(events, user.language, name="Twinning"), content_type=CALENDAR_CONTENT_TYPE
    )
    # Private: the feed is one person's plans, which no shared cache may keep.
    patch_cache_control(response, private=True, max_age=USER_CALENDAR_MAX_AGE)
    return response


@require_safe
def event_share_page(request, pk: int) -> HttpResponse:
    """The page of an event's share link (``events.sharing``), in the language of ``?lang=``,
    else of Accept-Language; 404 (the same page, whatever the reason) for an event that is a
    draft or does not exist.

    The page is the same for everyone asking in one language, so shared caches may keep it
    (``Vary: Accept-Language``; ``?lang=`` is in the URL): nothing of the request but those
    two is read, the admin's language cookie and the session neither (the templates are
    rendered without the request's context)."""
    language = language_of(
        request.META.get("HTTP_ACCEPT_LANGUAGE", ""), request.GET.get("lang", "")
    )
    event = sharing.shared_event(pk)
    with translation.override(language):
        if event is None:
            response = HttpResponse(render_to_string("events/share_not_found.html"), status=404)
            # Not kept: the draft behind it may be announced a minute later.
            add_never_cache_headers(response)
        else:
            page = sharing.share_page(event, language, public_base_url(request))
            response = HttpResponse(render_to_string("events/share.html", {"page": page}))
            patch_cache_control(response, public=True, max_age=SHARE_PAGE_MAX_AGE)
    response["Content-Language"] = language
    patch_vary_headers(response, ("Accept-Language",))
    return response
