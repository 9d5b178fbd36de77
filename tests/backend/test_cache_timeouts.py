"""A Redis that hangs (stopped, or dropping packets) fails cache calls after
REDIS_CACHE_TIMEOUT_SECONDS instead of holding every request that reads the cache."""

import runpy
import socket
import threading

import pytest
from django.conf import settings as django_settings
from django.core.cache.backends.redis import RedisCache

SETTINGS_FILE = django_settings.BASE_DIR / "backend" / "settings.py"


@pytest.fixture
def silent_redis():
    """A port that accepts connections and never answers, as a stopped Redis does."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


def cache_settings(monkeypatch, url: str, timeout: str) -> dict:
    monkeypatch.setenv("SECRET_KEY", "a-secret-key-for-reading-the-settings-only-0123456789")
    monkeypatch.setenv("REDIS_URL", url)
    monkeypatch.setenv("REDIS_CACHE_TIMEOUT_SECONDS", timeout)
    return runpy.run_path(str(SETTINGS_FILE))["CACHES"]["default"]


def test_a_cache_call_to_a_redis_that_hangs_fails_instead_of_waiting(monkeypatch, silent_redis):
    config = cache_settings(monkeypatch, silent_redis, "0.2")
    cache = RedisCache(config["LOCATION"], {"OPTIONS": config["OPTIONS"]})
    outcome = []

    def read():
        try:
            cache.get("anything")
        except Exception as error:
            outcome.append(error)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=10)

    assert not reader.is_alive(), "the cache call was still waiting for Redis"
    assert outcome and "Timeout" in type(outcome[0]).__name__
