"""Cases as bytes on the wire: JSON bodies, HTTP requests, websocket frames, and the commands
that replay them.

JSON is written by hand rather than by ``json.dumps``, for what a client may send and Python
would not: a number as written (``1e400``, 5,000 digits, ``NaN``), and lone surrogates, which
cannot be UTF-8, as ``\\ud800`` escapes in a body that is otherwise UTF-8 (``json.dumps`` can
only escape everything or nothing).
"""

import json
import re
import shlex
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from .documents import Case
from .values import NULL, EnumName, Raw

# daphne drops a request line over 16 KB without an answer, before the application sees it:
# cases whose URL would be longer go as a JSON body.
MAX_REQUEST_LINE = 15_000
SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogates(text: str) -> str:
    return SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def dumps(value, ascii_only: bool = True) -> str:
    """``value`` (wire values: see ``values``) as JSON text; ``ascii_only`` escapes every
    non-ASCII character, else only lone surrogates are escaped."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, EnumName):
        value = value.name
    if value is NULL:
        value = None
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=ascii_only)
        return text if ascii_only else _escape_surrogates(text)
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(item, ascii_only) for item in value) + "]"
    if isinstance(value, dict):
        items = (
            f"{dumps(key, ascii_only)}:{dumps(item, ascii_only)}" for key, item in value.items()
        )
        return "{" + ",".join(items) + "}"
    raise TypeError(f"Cannot write {value!r} as JSON")


def payload(case: Case) -> dict:
    """The GraphQL-over-HTTP parameters of a case (also the websocket's subscribe payload)."""
    parameters: dict = {"query": case.document}
    if case.variables is not None:
        parameters["variables"] = case.variables
    if case.operation_name is not None:
        parameters["operationName"] = case.operation_name
    if case.extensions is not None:
        parameters["extensions"] = case.extensions
    return parameters


def utf8(text: str) -> bytes:
    """``text`` as UTF-8; a lone surrogate becomes the bytes it would be (invalid UTF-8)."""
    return text.encode("utf-8", "surrogatepass")


# --- HTTP ----------------------------------------------------------------------------------


@dataclass
class HttpRequest:
    method: str
    target: str  # path and query string
    headers: dict[str, str]
    body: bytes | None


def http_request(case: Case, path: str = "/graphql/") -> HttpRequest:
    """How ``case.transport`` writes the case: a JSON body (all ASCII, or UTF-8), a GET with
    the parameters in the URL, or the bare document as ``application/graphql``."""
    headers = {"Accept": case.accept}
    parameters = payload(case)
    if case.transport == "get":
        query = "&".join(
            f"{key}={_quote(value if isinstance(value, str) else dumps(value, False))}"
            for key, value in parameters.items()
        )
        if len(query) < MAX_REQUEST_LINE:
            return HttpRequest("GET", f"{path}?{query}", headers, None)
    if case.transport == "graphql":
        rest = {key: value for key, value in parameters.items() if key != "query"}
        query = "&".join(
            f"{key}={_quote(value if isinstance(value, str) else dumps(value, False))}"
            for key, value in rest.items()
        )
        if len(query) < MAX_REQUEST_LINE:
            target = f"{path}?{query}" if query else path
            headers["Content-Type"] = "application/graphql"
            return HttpRequest("POST", target, headers, utf8(case.document))
    headers["Content-Type"] = "application/json"
    body = dumps(parameters, ascii_only=case.transport == "json").encode("utf-8")
    return HttpRequest("POST", path, headers, body)


def _quote(text: str) -> str:
    return urllib.parse.quote(utf8(text), safe="")


def curl(base_url: str, request: HttpRequest, directory: Path, name: str) -> str:
    """A curl command that sends ``request`` again; the body goes to a file in ``directory``
    (it may be 100 KB and hold any byte)."""
    parts = ["curl", "-sS", "-X", request.method]
    for header, value in request.headers.items():
        parts += ["-H", f"{header}: {value}"]
    command = " ".join(shlex.quote(part) for part in parts)
    command += ' -H "Authorization: Bearer $TOKEN"'
    if request.body is not None:
        body_file = directory / f"{name}.body"
        body_file.write_bytes(request.body)
        command += f" --data-binary @{shlex.quote(str(body_file))}"
    url = base_url + request.target
    if len(url) > 2000:
        url_file = directory / f"{name}.url"
        url_file.write_text(url)
        return f'{command} "$(cat {shlex.quote(str(url_file))})"'
    return f"{command} {shlex.quote(url)}"


# --- Websocket -----------------------------------------------------------------------------


def subscribe_frame(case: Case, operation_id: str) -> str:
    """The ``subscribe`` message of a case: JSON text, surrogates escaped (a text frame is
    UTF-8), non-ASCII raw or escaped as the case's transport says."""
    message = {"id": operation_id, "type": "subscribe", "payload": payload(case)}
    return dumps(message, ascii_only=case.transport != "utf8")


def frames_replay(url: str, sent: list[str], received: list[str], directory: Path, name: str):
    """The frames of a websocket exchange, written to a file, with the command that replays
    the sent ones (websocat, or any graphql-transport-ws client)."""
    replay = directory / f"{name}.frames"
    replay.write_text("\n".join(sent) + "\n", encoding="utf-8", errors="surrogatepass")
    answered = "\n".join(f"  < {frame[:500]}" for frame in received)
    shown = "\n".join(f"  > {frame[:500]}" for frame in sent)
    return (
        f"websocat --protocol graphql-transport-ws {url} < {shlex.quote(str(replay))}\n"
        f"(the token in connection_init is $TOKEN)\n{shown}\n{answered}"
    )
