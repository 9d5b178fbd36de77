"""The failures a fuzz run finds: deduplicated by cause, each with a case that replays it.

A run does not stop at its first failure: it goes on, so that one report lists every distinct
defect. Failures are grouped by where (HTTP or websocket), which root field, and the problem
with numbers, quoted values and IDs taken out, so that one defect met with a thousand values
is one line. Each group keeps its first examples: what was hostile about the case, what came
back, and the curl command (or websocket frames) that sends it again, with the body in a file.

The cases depend on what earlier cases wrote (a draft created, an event cancelled), so a case
replayed alone may answer differently; the run itself is the sure reproduction: the same
cases come in the same order unless FUZZ_SEED is set.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .documents import Case

EXAMPLES_PER_GROUP = 2
SHOWN_GROUPS = 40


def signature(problem: str) -> str:
    """``problem`` without what varies from case to case: digits, and quoted text beyond its
    first words (where the hostile value usually is)."""
    problem = re.sub(
        r"'((?:[^'\\]|\\.){0,30})(?:[^'\\]|\\.)*'|\"((?:[^\"\\]|\\.){0,30})(?:[^\"\\]|\\.)*\"",
        lambda match: f"'{match.group(1) or match.group(2) or ''}…'",
        problem,
    )
    return re.sub(r"\d+", "N", problem)[:200]


def cause_of(server_error: str) -> str:
    """A logged exception as a cause: its type and where it was raised, not its message."""
    kind = server_error.split(":", 1)[0]
    where = re.search(r"\(at [^)]*\)$", server_error)
    return f"{kind} {where.group() if where else ''}"


@dataclass
class Finding:
    where: str
    problem: str
    fields: Counter = field(default_factory=Counter)
    causes: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)


class Findings:
    """Failures of one run, grouped by cause; ``directory`` receives the replayable bodies."""

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.groups: dict[tuple[str, str, str], Finding] = {}
        self.answers = 0
        self._numbered = 0

    def next_name(self) -> str:
        self._numbered += 1
        return f"case-{self._numbered:05d}"

    def add(self, where, case: Case, problems, answer: str, replay, server_errors=()) -> None:
        """Record ``problems`` of ``case``; ``replay()`` writes the replay and returns how to
        run it (called only when an example is kept); ``server_errors``: what the server
        logged meanwhile."""
        replay_text = None
        self.answers += 1
        # The server's exception, when it logged one, tells causes apart that answer alike.
        cause = cause_of(server_errors[0]) if server_errors else ""
        for problem in problems:
            key = (where, signature(problem), cause)
            group = self.groups.setdefault(key, Finding(where, problem))
            group.fields[case.label] += 1
            group.causes.update(server_errors)
            fresh_field = group.fields[case.label] == 1
            if len(group.examples) < EXAMPLES_PER_GROUP or (
                fresh_field and len(group.examples) < EXAMPLES_PER_GROUP * 2
            ):
                if replay_text is None:
                    replay_text = replay()
                logged = "".join(f"\n    server: {error}" for error in server_errors)
                group.examples.append(
                    f"{case.describe()}\n    answer: {answer[:500]}{logged}\n"
                    f"    replay: {replay_text}"
                )

    def __bool__(self) -> bool:
        return bool(self.groups)

    def report(self, log_tail: str = "") -> str:
        groups = sorted(self.groups.values(), key=lambda g: (g.where, -sum(g.fields.values())))
        lines = [
            f"{len(groups)} distinct failures in {self.answers} answers "
            f"(replays in {self.directory}; $TOKEN: a superuser's access token)"
        ]
        for group in groups[:SHOWN_GROUPS]:
            fields = ", ".join(f"{label} ×{n}" for label, n in group.fields.most_common())
            lines.append(f"\n[{group.where}] {group.problem}\n  fields: {fields}")
            lines.extend(f"  server: {cause} ×{n}" for cause, n in group.causes.most_common(4))
            lines.extend(f"  - {example}" for example in group.examples)
        if len(groups) > SHOWN_GROUPS:
            lines.append(f"\n… and {len(groups) - SHOWN_GROUPS} more groups")
        if log_tail:
            lines.append(f"\n--- server log (end) ---\n{log_tail}")
        return "\n".join(lines)
