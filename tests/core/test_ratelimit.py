"""The cache-backed rate limiter shared by the API's limits."""

import pytest
from django.core.cache import cache

from core.ratelimit import Rate, hit


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(
    ("text", "count", "seconds"),
    [("5/10s", 5, 10), ("30/m", 30, 60), ("100/h", 100, 3600), (" 2 / 5 m ", 2, 300)],
)
def test_parses_rates(text, count, seconds):
    assert Rate.parse(text) == Rate(count, seconds)


@pytest.mark.parametrize("text", ["", "5", "5/", "x/m", "5/0s", "-1/m", "5/10d"])
def test_refuses_malformed_rates(text):
    with pytest.raises(ValueError):
        Rate.parse(text)


def test_allows_the_count_then_says_how_long_to_wait():
    rate = Rate(3, 10)
    now = 1_000_003.0  # 3 s into a 10 s window
    assert [hit("k", rate, now) for _ in range(3)] == [None, None, None]
    assert hit("k", rate, now) == 7
    assert hit("k", rate, now + 6.2) == 1  # rounds up, never 0
    # The next window starts afresh.
    assert hit("k", rate, now + 7) is None


def test_keys_are_counted_apart():
    rate = Rate(1, 60)
    assert hit("user:1", rate, 120.0) is None
    assert hit("user:2", rate, 120.0) is None
    assert hit("user:1", rate, 120.0) is not None


def test_zero_count_means_no_limit():
    rate = Rate.parse("0/m")
    assert all(hit("k", rate) is None for _ in range(100))
