"""The chat's fields on Event: its room, its history, and (for moderators) its reports. The
Event type names these resolvers by their dotted paths (``schema.events.types``), so that the
events API need not import the chat's, which is built on it."""

from ..core.selection import selected_paths
from . import resolvers
from .types import ChatMessageConnection, ChatReportConnection


def chat_room(event, info):
    """``Event.chatRoom``: the event stands for its room; null for a draft, which has none."""
    return resolvers.chat_room(event)


def chat_history(event, info, last=None, before=None):
    """``Event.chatMessages``: one page of history, loading what the selection needs for the
    whole page at once."""
    paths = selected_paths(info, "edges.node")
    return resolvers.history_page(
        event, info.context.user, last, before, paths, ChatMessageConnection
    )


def chat_reports(event, info, first=None, after=None, status=None):
    """``Event.chatReports``: a page of the event's reports, for its moderators only."""
    return resolvers.reports_page(
        event, info.context.user, first, after, status, ChatReportConnection
    )
