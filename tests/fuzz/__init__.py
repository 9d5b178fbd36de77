"""The fuzz suite: generated operations with hostile values, against a live server.

Every root query, mutation and subscription field of ``schema/schema.graphql`` is sent, over
HTTP and over the websocket, with arguments drawn from ordinary and hostile values (lone
surrogates, invisible text, NUL, very long strings, extreme and odd dates, huge and negative
numbers, malformed IDs and cursors), in literals, in variables, in the document's text and in
the request around it. No answer may be a 5xx, an error without ``extensions.code``, an
``INTERNAL_SERVER_ERROR`` or an undocumented close of the socket, and a request that was
refused must leave the database as it found it.

The modules: ``values`` (hostile and ordinary values per scalar, registered with schemathesis),
``domains`` (what each argument means: an Event ID, a cursor, a time zone…), ``documents`` (the
cases: selection, arguments, how they are sent), ``wire`` (HTTP requests and websocket frames,
and how to replay them), ``answers`` (what a correct answer is), ``database`` (a fingerprint of
the database's content), ``server`` and ``data`` (the live server and its data), ``findings``
(the failures, deduplicated, each with a replayable case).
"""
