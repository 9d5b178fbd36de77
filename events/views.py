"""Calendar files over plain HTTP: calendar apps fetch and subscribe to URLs, not GraphQL."""

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from core.i18n import current_language, translate

from .calendar import event_calendar
from .models import Event, Rsvp

CALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"
# How long a calendar app or proxy may reuse the private feed: apps poll it every few hours at
# best, so five minutes costs them nothing and spares the database repeated polls.
USER_CALENDAR_MAX_AGE = 300


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
