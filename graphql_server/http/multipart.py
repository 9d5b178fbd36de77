"""File uploads: the GraphQL multipart request specification
(https://github.com/jaydenseric/graphql-multipart-request-spec), as Apollo's upload clients send
it (apollo-upload-client, Apollo Kotlin's ``Upload``, Apollo iOS's ``GraphQLFile``).

A ``multipart/form-data`` body of, in order: ``operations``, the request's JSON parameters with
``null`` where each file goes; ``map``, a JSON object naming each file part and the places in
``operations`` it fills (``{"0": ["variables.file"]}``); then the file parts. The files are put
in their places in the variables, where the schema's ``Upload`` scalar takes them; the rest of
the request runs as a JSON one.

Django's own multipart parser reads the body (files above a few MB spooled to disk); what it
refuses, and a body that does not follow the specification, is a 400 saying why.
"""

import json
from dataclasses import dataclass, replace

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.files.uploadedfile import UploadedFile
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext_noop

from .protocol import GraphQLParams, HttpErrorCode, RequestFailed, bad_request, batch_refused

MULTIPART_CONTENT_TYPE = "multipart/form-data"
# Places a map may name in ``operations``: its variables only (a file in a document, an
# operation's name or an extension means nothing).
_VARIABLES = "variables"
# What JSON allows before a value (RFC 8259 §2).
_JSON_WHITESPACE = b" \t\r\n"


@dataclass(frozen=True)
class Uploads:
    """The files of a multipart request, by the name of their part, and the places (paths
    into ``operations``, split at the dots) each fills."""

    files: dict[str, UploadedFile]
    places: dict[str, list[list[str]]]


def read(request, operations_limit: int) -> tuple[bytes, Uploads]:
    """The ``operations`` of a multipart request, as the bytes of a JSON body (at most
    ``operations_limit``, 0 for none), and its files with their places."""
    try:
        fields, files = request.POST, request.FILES
    except RequestDataTooBig:
        raise RequestFailed.of(
            gettext_noop("The request's fields are too large."),
            HttpErrorCode.PAYLOAD_TOO_LARGE,
            413,
        ) from None
    except (MultiPartParserError, SuspiciousOperation) as error:
        raise bad_request(
            gettext_noop("The multipart body cannot be read: %(error)s"), error=str(error)
        ) from None
    if "operations" not in fields or "map" not in fields:
        raise bad_request(
            gettext_noop(
                "A multipart request has an 'operations' field (the JSON request) and a 'map' "
                "field naming its files, as the GraphQL multipart request spec says."
            )
        )
    operations = fields["operations"].encode("utf-8")
    if operations_limit and len(operations) > operations_limit:
        raise RequestFailed.of(
            gettext_noop("'operations' is over %(limit)s bytes."),
            HttpErrorCode.PAYLOAD_TOO_LARGE,
            413,
            params={"limit": operations_limit},
        )
    # A batch's map places files in each operation ("0.variables.file"), which would be
    # refused as a file outside the variables: the batch is what is not served.
    if operations.lstrip(_JSON_WHITESPACE).startswith(b"["):
        raise batch_refused(multipart=True)
    places = _places(fields["map"])
    sent = {name: files[name] for name in files}
    missing = sorted(set(places) - set(sent))
    if missing:
        raise bad_request(
            gettext_noop("The map names files that were not sent: %(names)s."),
            names=", ".join(missing),
        )
    unmapped = sorted(set(sent) - set(places))
    if unmapped:
        raise bad_request(
            gettext_noop("Files were sent that the map does not place: %(names)s."),
            names=", ".join(unmapped),
        )
    if any(len(files.getlist(name)) > 1 for name in sent):
        raise bad_request(gettext_noop("Each file part has a name of its own."))
    return operations, Uploads(sent, places)


def _places(text: str) -> dict[str, list[list[str]]]:
    try:
        mapping = json.loads(text)
    except (ValueError, RecursionError):
        raise bad_request(gettext_noop("'map' is not valid JSON.")) from None
    if not isinstance(mapping, dict) or not all(
        isinstance(paths, list) and paths and all(isinstance(path, str) for path in paths)
        for paths in mapping.values()
    ):
        raise bad_request(
            gettext_noop(
                "'map' must be an object naming each file part with a list of places, "
                'e.g. {"0": ["variables.file"]}.'
            )
        )
    places = {}
    for name, paths in mapping.items():
        split = [path.split(".") for path in paths]
        for path in split:
            if len(path) < 2 or path[0] != _VARIABLES or not all(path):
                raise bad_request(
                    gettext_noop(
                        "The map places file %(name)s at %(where)s: files go in the "
                        "variables ('variables.<name>', 'variables.<name>.<index>')."
                    ),
                    name=repr(name),
                    where=repr(".".join(path)),
                )
        places[name] = split
    return places


def place_files(params: GraphQLParams, uploads: Uploads) -> GraphQLParams:
    """``params`` with each file in the places the map gave it, each of which must hold null."""
    variables = params.variables or {}
    for name, paths in uploads.places.items():
        for path in paths:
            _put(variables, path[1:], uploads.files[name], name)
    return replace(params, variables=variables)


def _put(container, path: list[str], file: UploadedFile, name: str) -> None:
    *parents, last = path
    where = ".".join([_VARIABLES, *path])
    for key in parents:
        container = _child(container, key, where, name)
    if isinstance(container, list):
        index = _index(container, last, where, name)
        if container[index] is not None:
            raise _not_null(name, where)
        container[index] = file
    elif isinstance(container, dict) and last in container:
        if container[last] is not None:
            raise _not_null(name, where)
        container[last] = file
    else:
        raise _nowhere(name, where)


def _child(container, key: str, where: str, name: str):
    if isinstance(container, list):
        return container[_index(container, key, where, name)]
    if isinstance(container, dict) and key in container:
        return container[key]
    raise _nowhere(name, where)


def _index(container: list, key: str, where: str, name: str) -> int:
    if not key.isdigit() or int(key) >= len(container):
        raise _nowhere(name, where)
    return int(key)


def _nowhere(name: str, where: str) -> RequestFailed:
    return bad_request(
        gettext_noop("The map places file %(name)s at %(where)s, which 'operations' lacks."),
        name=repr(name),
        where=repr(where),
    )


def _not_null(name: str, where: str) -> RequestFailed:
    return bad_request(
        gettext_noop(
            "The map places file %(name)s at %(where)s, which must be null in 'operations'."
        ),
        name=repr(name),
        where=repr(where),
    )
