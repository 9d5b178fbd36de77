"""Waiting for something to become true, without guessing how long it takes.

Tests never sleep for a fixed time: they wait for the condition itself, polling it, up to a
timeout that is generous for a busy machine and only reached when the test is failing. "Nothing
arrives" is checked with a sentinel sent after it, never with a short silence
(``tests.sentinels``).
"""

import asyncio
import time

# Polling interval: short enough not to slow a test down, long enough not to spin.
POLL_SECONDS = 0.01


async def eventually(condition, timeout: float = 10.0, interval: float = POLL_SECONDS):
    """Wait until ``condition()`` (a function, or a coroutine function) returns something
    true, and return it; TimeoutError after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while True:
            value = condition()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return value
            await asyncio.sleep(interval)


def eventually_sync(condition, timeout: float = 10.0, interval: float = POLL_SECONDS):
    """``eventually`` for synchronous tests: polls ``condition()`` from this thread."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        time.sleep(interval)
