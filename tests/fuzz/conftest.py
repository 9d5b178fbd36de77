"""Fixtures of the fuzz suite: the schema as fuzzed, the live server, the findings.

The suite's size, per transport: for every argument leaf and every family of hostile values it
takes, one case (FUZZ_TARGETED_EXAMPLES), then FUZZ_MAX_EXAMPLES free cases per root field (10
by default). The cases are the same on every run (derandomized) unless FUZZ_SEED is set.
"""

import os
import zlib

import pytest
from django.db import connection
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings

from . import server
from .documents import ROOTS, Api
from .findings import Findings

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "10"))
TARGETED_EXAMPLES = int(os.environ.get("FUZZ_TARGETED_EXAMPLES", "1"))
SEED = os.environ.get("FUZZ_SEED")


def salt(*parts: str) -> int:
    """A number of the case's field and target (and FUZZ_SEED), stable across runs."""
    return zlib.crc32("/".join((*parts, SEED or "")).encode())


def run_examples(strategy, examples: int, each, key: str) -> None:
    """Call ``each(case)`` for ``examples`` cases of ``strategy``: derandomized, or from
    FUZZ_SEED (mixed with ``key``), never shrunk, never stopped by a failure (``each``
    records them). None for 0 (FUZZ_TARGETED_EXAMPLES=0: free cases only)."""
    if examples <= 0:
        return

    @hypothesis_settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=SEED is None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        each(case)

    if SEED is not None:
        run = seed(int(SEED) ^ salt(key))(run)
    run()


def every_case(api, pools, transports, each, where: str, targeted=ROOTS) -> None:
    """Every root field's cases, in the SDL's order: one benign case (nothing hostile: what a
    valid request of the field looks like, so that every field is reached whatever the number
    of examples), then for each argument leaf and each family of hostile values it takes, one
    case with that leaf hostile in that family (the family's first value, the canonical one;
    FUZZ_TARGETED_EXAMPLES), then FUZZ_MAX_EXAMPLES free cases where any leaf may be hostile.
    ``targeted``: the root types that get the targeted cases."""
    for root in ROOTS:
        for field in api.fields(root):
            benign = api.cases(root, field, None, pools, transports, salt(field), benign=True)
            run_examples(benign, 1, each, f"{where}/{field}/benign")
            for leaf in api.leaves(root, field) if root in targeted else ():
                for family in leaf.domain.themes:
                    key = f"{field}/{leaf.name}/{family}"
                    strategy = api.cases(
                        root, field, leaf, pools, transports, salt(key), family=family
                    )
                    run_examples(strategy, TARGETED_EXAMPLES, each, f"{where}/{key}")
            strategy = api.cases(root, field, None, pools, transports, salt(field))
            run_examples(strategy, MAX_EXAMPLES, each, f"{where}/{field}")


@pytest.fixture(scope="session")
def api():
    return Api()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """The migrated and seeded SQLite file each test's server starts from (embedded leg)."""
    if connection.vendor == "postgresql":
        return None
    return server.sqlite_template(tmp_path_factory.mktemp("fuzz-template"))


@pytest.fixture
def fuzzed_server(request, sqlite_template, collected_static_root, tmp_path, monkeypatch):
    """A server of its own for the test, signed in, its pools filled, its static files
    collected as production's are (without them it refuses to start)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("STATIC_ROOT", str(collected_static_root))
    database_url, content = server.prepare_database(sqlite_template, tmp_path)
    yield from server.start(database_url, content, tmp_path)


@pytest.fixture
def findings(tmp_path):
    return Findings(tmp_path / "cases")
