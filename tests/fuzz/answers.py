"""What a correct answer is, and what a refusal is.

Over HTTP: never a 5xx, always GraphQL's JSON object, every error with a string
``extensions.code``, none coded as a server error (a bug the endpoint masked is still a bug).
Over the websocket: ``next`` results and ``error`` payloads held to the same, or a close with
one of the codes README's "Live updates over websockets" documents, never 4500 or 1011 (or a
connection dropped without a close), and always within a bound.

A mutation was *accepted* when its payload came back with an empty ``errors`` list and no
error was raised by the mutation itself (errors of nested fields, read after the mutation
returned, do not undo it); anything else was *refused*, and must have written nothing.
"""

import json

# Codes an endpoint may give an unexpected exception it hides from the client; and the code of
# an outage, as nothing is down while the suite runs: one answered is a bug taken for one.
SERVER_ERROR_CODES = frozenset({"INTERNAL_SERVER_ERROR", "INTERNAL_ERROR", "SERVICE_UNAVAILABLE"})
# The close codes README documents, 4500 (a bug) aside; 1000 is a normal close.
DOCUMENTED_CLOSE_CODES = frozenset({1000, 4400, 4401, 4403, 4406, 4408, 4409, 4413, 4429, 4008})


def error_problems(errors) -> list[str]:
    """What is wrong with a list of GraphQL errors."""
    if not isinstance(errors, list):
        return [f"errors that are not a list: {str(errors)[:200]}"]
    problems = []
    for error in errors:
        if not isinstance(error, dict):
            problems.append(f"an error that is not an object: {str(error)[:200]}")
            continue
        code = (error.get("extensions") or {}).get("code")
        message = str(error.get("message"))[:200]
        path = error.get("path")
        where = f" at {'.'.join(map(str, path))}" if path else ""
        if not isinstance(code, str):
            problems.append(f"an error without extensions.code{where}: {message!r}")
        elif code in SERVER_ERROR_CODES:
            problems.append(f"{code}{where}: {message!r}")
    return problems


def result_problems(body) -> list[str]:
    """What is wrong with a GraphQL response body (HTTP) or a ``next`` payload."""
    if not isinstance(body, dict):
        return ["a result that is not a JSON object"]
    return error_problems(body.get("errors") or [])


def http_problems(status: int, content: bytes) -> tuple[list[str], dict | None]:
    """The problems of an HTTP answer, and its body when it is JSON."""
    if status >= 500:
        return [f"HTTP {status}"], None
    if status == 304:
        return [], None
    try:
        body = json.loads(content)
    except ValueError:
        return [f"HTTP {status} with a body that is not JSON: {content[:200]!r}"], None
    problems = result_problems(body)
    return problems, body if isinstance(body, dict) else None


def accepted(body: dict | None, field: str) -> bool:
    """Whether a mutation's answer says it was done (see the module's docstring)."""
    if not isinstance(body, dict):
        return False
    data = body.get("data")
    if not isinstance(data, dict):
        return False
    result = data.get(field)
    if not isinstance(result, dict) or result.get("errors") != []:
        return False
    for error in body.get("errors") or []:
        path = error.get("path") if isinstance(error, dict) else None
        if not path or path == [field]:
            return False
    return True


def payload_codes(body: dict | None, field: str) -> set[str]:
    """The codes in a mutation payload's ``errors``."""
    data = (body or {}).get("data") if isinstance(body, dict) else None
    result = data.get(field) if isinstance(data, dict) else None
    errors = result.get("errors") if isinstance(result, dict) else None
    return {error.get("code") for error in errors or [] if isinstance(error, dict)}


def answered(body: dict | None, field: str) -> bool:
    """Whether the root field came back with data (the resolver ran and returned)."""
    data = body.get("data") if isinstance(body, dict) else None
    return isinstance(data, dict) and data.get(field) is not None
