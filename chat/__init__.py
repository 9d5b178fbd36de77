"""Chat during events: a room per public event, messages with a sequence number per room,
reactions, moderation (deletion, mutes, reports) and who is in the room now."""
