"""Bumping the data versions of events and announcements when they change (see
core.data_versions), and a person's own version when their RSVPs do."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from core import data_versions

from .models import Announcement, Event, EventCohost, Rsvp, Tag

# What an RSVP saves (Event.save adds the search document to every update).
ATTENDANCE_FIELDS = frozenset({"attendee_count", "waitlist_count", "search_document"})


@receiver(post_save, sender=Event)
def event_saved(sender, update_fields=None, **kwargs):
    if update_fields is not None and frozenset(update_fields) <= ATTENDANCE_FIELDS:
        # Only the number of people going changed: reads that do not show it stay valid.
        data_versions.bump(data_versions.ATTENDANCE)
    else:
        data_versions.bump(data_versions.EVENTS)


@receiver(post_delete, sender=Event)
@receiver(post_save, sender=EventCohost)
@receiver(post_delete, sender=EventCohost)
@receiver(post_save, sender=Tag)
@receiver(post_delete, sender=Tag)
def event_changed(sender, **kwargs):
    # A co-host's acceptance changes which events an office's list shows; a tag renamed, the
    # events that carry it and the vocabulary.
    data_versions.bump(data_versions.EVENTS)


@receiver(m2m_changed, sender=Event.tags.through)
def event_tags_changed(sender, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        data_versions.bump(data_versions.EVENTS)


@receiver(post_save, sender=Announcement)
@receiver(post_delete, sender=Announcement)
def announcement_changed(sender, **kwargs):
    data_versions.bump(data_versions.ANNOUNCEMENTS)


@receiver(post_save, sender=Rsvp)
@receiver(post_delete, sender=Rsvp)
def rsvp_changed(sender, instance, origin=None, **kwargs):
    # The person's answer (viewerRsvp, their place in the line) and their for-you feed; the
    # event's counts are bumped by its own save (ATTENDANCE). An RSVP deleted with its event
    # or its person bumps nothing more: the event's deletion ends every answer that showed it,
    # and a deleted person is answered nothing.
    if data_versions.deleted_with_another(sender, origin):
        return
    data_versions.bump_viewers(instance.user_id)
