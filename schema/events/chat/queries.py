"""The chat's fields on Event: its history, and (for moderators) its reports."""

from ...core.selection import selected_paths
from . import resolvers
from .types import ChatMessageConnection, ChatReportType


def chat_history(event, info, last, before):
    """``Event.chatMessages``: one page of history, loading what the selection needs for the
    whole page at once."""
    paths = selected_paths(info, "edges.node")
    return resolvers.history_page(
        event, info.context.user, last, before, paths, ChatMessageConnection
    )


def chat_reports(event, info, first, after, status):
    """``Event.chatReports``: a page of the event's reports, for its moderators only."""
    connection = ChatReportType._meta.connection
    return resolvers.reports_page(event, info.context.user, first, after, status, connection)
