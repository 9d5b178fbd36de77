"""Sending cases over HTTP and judging the answers, the database checked after each."""

import time
from collections import Counter

import requests

from . import answers, wire
from .database import ALLOWED_WRITES, changes
from .documents import Case
from .findings import Findings
from .server import REQUEST_SECONDS, LiveServer


class Reach(Counter):
    """How far cases got, per root field: ``(label, "cases" | "answered" | "accepted")``."""

    def fields(self, what: str, prefix: str = "") -> set[str]:
        return {
            label
            for (label, kind), count in self.items()
            if kind == what and count and label.startswith(prefix)
        }

    def shortfalls(self, api, subscriptions_listen: bool, reach_checked: bool) -> list[str]:
        """How the run fell short of reaching the API: a root field never sent; and, when
        ``reach_checked`` (the targeted cases ran), a query field never answered with data,
        fewer than half the mutations ever done, a subscription never listening."""
        every = {f"{root}.{field}" for root in api.roots for field in api.fields(root)}
        problems = [f"never sent: {label}" for label in sorted(every - self.fields("cases"))]
        if not reach_checked:
            return problems
        queries = {label for label in every if label.startswith("Query.")}
        problems += [
            f"never answered with data: {label}"
            for label in sorted(queries - self.fields("answered", "Query."))
        ]
        done = self.fields("accepted", "Mutation.")
        if len(done) < len(api.fields("Mutation")) // 2:
            problems.append(f"only {len(done)} mutations ever done: {sorted(done)}")
        if subscriptions_listen:
            subscriptions = {label for label in every if label.startswith("Subscription.")}
            problems += [
                f"never listening: {label}"
                for label in sorted(subscriptions - self.fields("listening", "Subscription."))
            ]
        return problems

    def table(self) -> str:
        """Per root field: cases, answered with data, accepted, statuses, error codes, time."""
        lines = []
        for label in sorted({label for label, _ in self}):
            kinds = {kind: n for (name, kind), n in self.items() if name == label}
            counts = " ".join(
                f"{kind}={kinds.get(kind, 0)}" for kind in ("cases", "answered", "accepted")
            )
            rest = " ".join(
                f"{kind}:{n}"
                for kind, n in sorted(kinds.items())
                if kind not in ("cases", "answered", "accepted", "seconds")
            )
            lines.append(f"{label:32} {counts} {kinds.get('seconds', 0):.2f}s | {rest}")
        return "\n".join(lines)


def refused_writes(case: Case, body, before, after) -> list[str]:
    """The problem if a case that was not an accepted mutation changed the database."""
    if case.root == "Mutation" and answers.accepted(body, case.field):
        return []
    changed = changes(before, after)
    for code in answers.payload_codes(body, case.field):
        for table in ALLOWED_WRITES.get((case.field, code), ()):
            changed.pop(table, None)
    if not changed:
        return []
    tables = ", ".join(f"{table} ({counts})" for table, counts in changed.items())
    return [f"refused, yet wrote: {tables}"]


class HttpFuzzer:
    """Posts cases to the live server, one at a time, and records what is wrong."""

    def __init__(self, server: LiveServer, findings: Findings):
        self.server = server
        self.findings = findings
        self.reach = Reach()
        self.fingerprint = server.content.fingerprint()

    def send(self, case: Case) -> None:
        server = self.server
        request = wire.http_request(case)
        self.reach[case.label, "cases"] += 1
        body = None
        mark = server.log_mark()
        started = time.monotonic()
        try:
            response = server.session.request(
                request.method,
                server.url + request.target,
                data=request.body,
                headers={**request.headers, **server.headers},
                timeout=REQUEST_SECONDS,
                allow_redirects=False,
            )
        except requests.Timeout:
            problems, answer = [f"no answer within {REQUEST_SECONDS} s"], ""
        except requests.ConnectionError as error:
            alive = server.process.poll() is None
            problems = [f"connection failed ({'server alive' if alive else 'server died'})"]
            answer = str(error)[:300]
        else:
            problems, body = answers.http_problems(response.status_code, response.content)
            answer = f"HTTP {response.status_code} {response.content[:600]!r}"
            self.reach[case.label, f"{response.status_code}"] += 1
            for error in (body or {}).get("errors") or []:
                code = (error.get("extensions") or {}).get("code")
                self.reach[case.label, str(code)] += 1
            for code in answers.payload_codes(body, case.field):
                self.reach[case.label, f"payload {code}"] += 1
        self.reach[case.label, "seconds"] += time.monotonic() - started
        if body is not None:
            server.pools.harvest(body.get("data"))
            if answers.answered(body, case.field):
                self.reach[case.label, "answered"] += 1
            if case.root == "Mutation" and answers.accepted(body, case.field):
                self.reach[case.label, "accepted"] += 1
        after = server.content.fingerprint()
        problems += refused_writes(case, body, self.fingerprint, after)
        self.fingerprint = after
        if problems:
            name = self.findings.next_name()
            self.findings.add(
                "http",
                case,
                problems,
                answer,
                lambda: wire.curl(server.url, request, self.findings.directory, name),
                server.errors_since(mark),
            )
