"""The API of an event's chat: types, history, mutations and subscriptions."""
