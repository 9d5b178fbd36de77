"""Functions named by their dotted path, for a part of the API that calls into another one
which imports it.

The parts of the API import one way, as the domains do: events' import cities', never the
reverse. Cities still shows a twinning's events, so it names EventType by its dotted path, as
graphene lets a field do (``graphene.Field("schema.events.types.EventType")``), and the
functions that read those events the same way, through :func:`lazy_function`.
"""

import functools
from collections.abc import Callable

from django.utils.module_loading import import_string


def lazy_function(path: str) -> Callable:
    """The function at ``path`` (``"package.module.name"``), imported when first called."""

    @functools.cache
    def target() -> Callable:
        return import_string(path)

    def call(*args, **kwargs):
        return target()(*args, **kwargs)

    call.__name__ = call.__qualname__ = path.rpartition(".")[2]
    call.__doc__ = f"{path}, imported when first called."
    return call
