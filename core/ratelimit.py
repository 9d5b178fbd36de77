"""Rate limits shared by every process: counters in the cache, one window at a time.

A limit is a number of hits per window of seconds (``Rate.parse("5/10s")``). ``hit(key, rate)``
counts one hit and answers ``None`` when it is allowed, or the seconds to wait until the
window ends when it is not. Counters live in Django's default cache, Redis in production
(``INCR`` is atomic, so processes share one count) and local memory in the embedded default.

Fixed windows let a client make up to twice the rate across a window's edge; that is the price
of one round trip per hit, and enough to stop floods. A cache that is down lets hits through
rather than failing the request: a limit protects the service, it is not a reason to refuse
it.
"""

import logging
import math
import re
import time
from dataclasses import dataclass

from django.core.cache import cache

logger = logging.getLogger(__name__)

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smh])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600}


class RateLimited(Exception):
    """Raised by a service when a limit is exceeded; the API answers RATE_LIMITED with
    ``retry_after``, the seconds to wait."""

    def __init__(self, retry_after: float):
        super().__init__(f"Rate limited; retry after {retry_after:g} s.")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Rate:
    """At most ``count`` hits per ``seconds``; a count of 0 means no limit."""

    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """``"5/10s"``, ``"30/m"``, ``"100/h"``; ``"0/m"`` disables the limit."""
        match = _RATE.match(text or "")
        if not match:
            raise ValueError(f"{text!r} is not a rate such as 5/10s, 30/m or 100/h.")
        count, amount, unit = match.groups()
        seconds = int(amount or 1) * _UNITS[unit]
        if seconds <= 0:
            raise ValueError(f"{text!r}: the window must be at least one second.")
        return cls(int(count), seconds)

    @property
    def unlimited(self) -> bool:
        return self.count <= 0


def hit(key: str, rate: Rate, now: float | None = None) -> float | None:
    """Count a hit on ``key``; ``None`` if it is within ``rate``, else the seconds to wait
    (at least 1) before the next hit can be allowed."""
    if rate.unlimited:
        return None
    now = time.time() if now is None else now
    window = int(now // rate.seconds)
    counter = f"ratelimit:{key}:{rate.seconds}:{window}"
    try:
        # add() is a no-op when the counter exists; incr() is atomic in Redis and locked in
        # local memory. The counter outlives its window by a second so a late incr() finds it.
        cache.add(counter, 0, timeout=rate.seconds + 1)
        try:
            count = cache.incr(counter)
        except ValueError:  # expired between add() and incr()
            cache.set(counter, 1, timeout=rate.seconds + 1)
            count = 1
    except Exception:  # a cache outage must not take the API down
        logger.warning("Rate limit counter %s unavailable; allowing the hit.", key, exc_info=True)
        return None
    if count <= rate.count:
        return None
    return max(1.0, math.ceil((window + 1) * rate.seconds - now))
