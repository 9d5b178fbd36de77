"""Channel-layer groups, as the API uses them: the templates of their names, and broadcasting.

They are defined in ``core.channel_groups``, below both layers: the domain's services speak to
the groups and a domain app never imports the API, while the websocket consumer and the
subscription resolvers here listen to them. This module re-exports them, so that API code keeps
one import for its plumbing; add new templates in ``core.channel_groups``.
"""

from core.channel_groups import (
    ANNOUNCEMENTS_POSTED,
    BROADCAST,
    CITY_ANNOUNCEMENTS,
    EVENT_CHANGES,
    EVENT_CHAT,
    EVENT_CHAT_PRESENCE,
    EVENTS_ANNOUNCED,
    USER_ACCOUNT,
    broadcast,
    broadcast_message,
    broadcast_on_commit,
    group_name,
)

__all__ = [
    "ANNOUNCEMENTS_POSTED",
    "BROADCAST",
    "CITY_ANNOUNCEMENTS",
    "EVENTS_ANNOUNCED",
    "EVENT_CHANGES",
    "EVENT_CHAT",
    "EVENT_CHAT_PRESENCE",
    "USER_ACCOUNT",
    "broadcast",
    "broadcast_message",
    "broadcast_on_commit",
    "group_name",
]
