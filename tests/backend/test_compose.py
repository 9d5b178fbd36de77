"""docker-compose.yml gives every process of the project the time it needs to stop gracefully:
Docker sends SIGTERM, then SIGKILL once the service's ``stop_grace_period`` is over (10 s unless
set), which would cut short what GRACEFUL_SHUTDOWN_SECONDS lets finish."""

import re

import yaml
from django.conf import settings

# What a stop may take beyond GRACEFUL_SHUTDOWN_SECONDS: a Celery worker's cold shutdown (its
# pool's children ending, its tasks given back to the broker), the interpreter's exit.
STOP_MARGIN_SECONDS = 10
DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us)")
UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 0.000001}


def seconds(duration: str) -> float:
    """A compose duration ("30s", "1m30s") in seconds."""
    parts = DURATION_PART.findall(duration)
    assert "".join(number + unit for number, unit in parts) == duration, duration
    return sum(float(number) * UNIT_SECONDS[unit] for number, unit in parts)


def test_every_process_of_the_project_has_time_to_stop_gracefully():
    compose = yaml.safe_load((settings.BASE_DIR / "docker-compose.yml").read_text())
    # The project's own processes: the services built from its image.
    ours = {name: service for name, service in compose["services"].items() if "build" in service}
    assert ours
    wanted = settings.GRACEFUL_SHUTDOWN_SECONDS + STOP_MARGIN_SECONDS
    too_short = {
        name: service.get("stop_grace_period", "10s")
        for name, service in ours.items()
        if seconds(str(service.get("stop_grace_period", "10s"))) < wanted
    }
    assert too_short == {}, f"stop_grace_period must be at least {wanted:g}s"


def test_durations_are_read_as_compose_reads_them():
    assert seconds("30s") == 30
    assert seconds("1m30s") == 90
    assert seconds("1500ms") == 1.5
