"""Fields and functions that a part of the API takes from a part built above it.

The API's packages mirror the domain apps, and as the apps do, each imports only those below
it: ``schema.chat`` imports ``schema.events`` (a chat message has an event), never the reverse.
Yet an Event has chat fields. Graphene already lets a field name its type by dotted path,
imported when the schema is built; a ``DeferredField`` names its resolver the same way, so
the Event type declares the field and ``schema.chat`` answers it, with no import either way
but the one the layers allow. Cities shows a twinning's events the same way, and calls the
functions that read them through :func:`deferred_function`.
"""

import functools
from collections.abc import Callable

import graphene
from django.utils.module_loading import import_string


class DeferredField(graphene.Field):
    """A field whose resolver is given by dotted path (``"schema.chat.queries.chat_room"``) and
    imported when the schema is built; its type is best named by dotted path too. The other
    arguments are graphene.Field's."""

    def __init__(self, type_, *, resolver: str, **kwargs):
        super().__init__(type_, **kwargs)
        self.resolver_path = resolver

    def wrap_resolve(self, parent_resolver):
        return import_string(self.resolver_path)


def deferred_function(path: str) -> Callable:
    """The function at ``path`` (``"package.module.name"``), imported when first called."""

    @functools.cache
    def target() -> Callable:
        return import_string(path)

    def call(*args, **kwargs):
        return target()(*args, **kwargs)

    call.__name__ = call.__qualname__ = path.rpartition(".")[2]
    call.__doc__ = f"{path}, imported when first called."
    return call
