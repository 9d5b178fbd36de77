"""Fixtures of the websocket's tests: Firebase ID tokens, for sockets signed in the apps' way."""

from tests.accounts.firebase_keys import (  # noqa: F401 (fixtures, found by pytest by name)
    firebase_key_server,
    firebase_signing_keys,
    firebase_tokens,
)
