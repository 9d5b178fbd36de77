"""Fixtures of the accounts tests: Firebase keys, their server and signed ID tokens."""

from tests.accounts.firebase_keys import (  # noqa: F401 (fixtures, found by pytest by name)
    firebase_key_server,
    firebase_signing_keys,
    firebase_tokens,
)
