"""What office staff read for events and announcements on the admin's pages (see
``core.labels``)."""

from django.utils.translation import gettext_lazy as _

from core.labels import relabel

from .models import Announcement, Event, StateChange, Tag


def apply() -> None:
    relabel(
        Event,
        name=_("event"),
        plural=_("events"),
        fields={
            "title": _("Title"),
            "summary": _("Short summary"),
            "description": _("Description"),
            "category": _("Category"),
            "starts_at": _("Starts"),
            "ends_at": _("Ends"),
            "timezone": _("Time zone"),
            "venue_name": _("Venue"),
            "venue_address": _("Venue address"),
            "latitude": _("Latitude (map)"),
            "longitude": _("Longitude (map)"),
            "host_city": _("City"),
            "twinning": _("Twinning"),
            "office": _("Office"),
            "status": _("Status"),
            "announced_at": _("Announced"),
            "capacity": _("Places"),
            "attendee_count": _("People coming"),
            "cancellation_reason": _("Reason for cancelling"),
            "image_url": _("Image link (https)"),
            "image": _("Picture"),
            "registration_url": _("Registration or tickets link (https)"),
            "price_amount": _("Price"),
            "price_currency": _("Currency"),
            "is_free": _("Free"),
            "accessibility": _("Accessibility"),
            "tags": _("Tags"),
            "waitlist_count": _("People on the waitlist"),
            "created_at": _("Created"),
            "updated_at": _("Last changed"),
        },
        help_texts={
            "capacity": _(
                "How many people can come. Leave empty for no limit. When the event is full, "
                "people can join its waitlist; places you add go to them in turn, and each "
                "is notified."
            ),
            "registration_url": _(
                "Where people register or buy tickets, starting with https://. Optional."
            ),
            "price_amount": _(
                "What a ticket costs, e.g. 2500 or 12.50, with its currency. Leave empty when "
                "the event is free or you do not want to say."
            ),
            "price_currency": _("The currency's three-letter code: KZT, RUB, PKR, USD, EUR …"),
            "is_free": _("Tick when nobody pays to come. A free event has no price."),
            # Under the first of the four boxes, which share a row.
            "accessibility_en": _(
                "Optional: step-free access, seating, sign language, hearing loops, quiet "
                "spaces, anything people with a disability should know."
            ),
            "tags": _("Words people filter events by. The list is kept by the administrators."),
            "image_url": _("The address of a picture on the web, starting with https://."),
            "twinning": _("The partner city's twinning this event belongs to, if any."),
            "latitude": _("Optional: where to put the pin on the map, e.g. 43.2389."),
            "longitude": _("Optional: where to put the pin on the map, e.g. 76.8897."),
        },
    )
    relabel(
        Announcement,
        name=_("announcement"),
        plural=_("announcements"),
        fields={
            "office": _("Office"),
            "city": _("City"),
            "twinning": _("Twinning"),
            "event": _("About the event"),
            "title": _("Title"),
            "body": _("Text"),
            "published_at": _("Published"),
            "created_at": _("Created"),
            "updated_at": _("Last changed"),
        },
        help_texts={
            "published_at": _("Empty while it is a draft."),
            "event": _("Optional: the event this news is about."),
        },
    )
    relabel(StateChange, name=_("change"), plural=_("history of changes"))
    relabel(
        Tag,
        name=_("tag"),
        plural=_("tags"),
        fields={"slug": _("Short name in links"), "name": _("Name")},
        help_texts={
            "slug": _(
                "Lower-case letters, digits and hyphens, e.g. for-children. Apps use it to "
                "filter; changing it breaks their saved filters."
            ),
        },
    )
