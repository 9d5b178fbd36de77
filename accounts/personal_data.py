"""What the backend holds about a person, model by model: one entry per model that refers to a
user or holds personal columns, saying what deleting the account does to its rows and what the
export of the person's data gives of them.

Each app declares its own models in its ``personal.py``, imported when the app is ready, with
``register``:

    register(
        "chat.ChatMessage",
        author=anonymise(client_id=""),   # the rows whose author is the user stay, unattributed
        deleted_by=anonymise(),
        export=export("chatMessages", by="author", fields=(...), omitted={...}),
    )

Every keyword but ``export`` and ``by_content`` is a *reference*: a lookup path from the model
to the user (``author``, ``device__user``) and what deletion does to the rows it finds:

- ``delete()``: the rows go;
- ``anonymise(**columns)``: the rows stay; the reference is emptied and the other columns
  given are replaced (a key the client chose, an e-mail written on the row);
  ``anonymise(pseudonym=column)`` also writes the account's pseudonym (``pseudonym``) in the
  UUID ``column``, where what others chose about the person must outlive the account (the
  messages of someone blocked stay hidden from those who blocked them);
- ``service(function)``: a service of the owning app removes them, for what a bare delete would
  leave wrong (the counts of people going, of reactions; subscriptions held by another system);
- ``refuse(code, message)``: the account cannot be deleted while any exist (a role in an
  office, which its team must take away first).

``by_content=service(function)`` is for rows that name the user in their content rather than by
a key (the admin's sessions, an invitation to the user's address).

``export`` says what the export gives: ``export(section, by=paths, fields=lookups,
omitted={column: why}, redacted=columns)``, with every column of the model given, redacted
(a secret: the export says it is held, not what it is) or omitted with the reason; or
``not_exported(why)``.

``problems`` lists what is missing: a model of any installed app that refers to a user
(directly, or through a model whose rows the deletion removes: a device's topics) or has a
column whose name says it is personal (``PERSONAL_COLUMN``), without an entry naming each of
those references; an export that leaves a column unaccounted for. The system check
``accounts.E002`` stops the start-up on any, and ``tests/accounts/test_personal_data.py``
fails, so that a model added later is declared before it is merged (one ``register`` call).
"""

import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, FieldError, ImproperlyConfigured
from django.db import models

# Column names that say the column holds something about a person: a model with one must be
# declared, even without a key to a user (an address an invitation went to, a digest of a uid).
PERSONAL_COLUMN = re.compile(
    r"(^|_)(e_?mail|phone|display_name|first_name|last_name|full_name|avatar|photo|password"
    r"|uid|token|token_hash|ip|ip_address|user_agent|birth_?date|date_of_birth)(_|$)"
)


class Fate(StrEnum):
    """What deleting an account does to the rows one reference finds."""

    DELETE = "delete"
    ANONYMISE = "anonymise"
    SERVICE = "service"
    REFUSE = "refuse"


@dataclass(frozen=True)
class Deletion:
    """What deletion does to the rows of one reference (see the module)."""

    fate: Fate
    # ANONYMISE: the other columns' new values.
    replace: Mapping[str, object] = field(default_factory=dict)
    # ANONYMISE: the UUID column that takes the account's pseudonym, if any.
    pseudonym: str = ""
    # SERVICE: ``function(user)`` removes or empties the rows.
    function: Callable | None = None
    # REFUSE: the code and message of the refusal.
    code: str = ""
    message: str = ""


def delete() -> Deletion:
    """The rows go."""
    return Deletion(Fate.DELETE)


def anonymise(*, pseudonym: str = "", **columns) -> Deletion:
    """The rows stay; the reference is emptied, and ``columns`` take the values given (and the
    column ``pseudonym``, if named, the account's pseudonym)."""
    return Deletion(Fate.ANONYMISE, replace=columns, pseudonym=pseudonym)


_PSEUDONYM = "_deletion_pseudonym"


def pseudonym_made(user) -> uuid.UUID | None:
    """The pseudonym made for ``user``'s deletion, None when nothing needed one (no one had
    blocked the person: their rows then take none, and stay unlinked to each other)."""
    return getattr(user, _PSEUDONYM, None)


def pseudonym(user) -> uuid.UUID:
    """The key that stands for ``user``'s account, once deleted, in the rows that must still
    be told apart as one person's (the messages of someone blocked, and the blocks of them):
    random, made at the first call for this user object (the deletion's), the same for every
    row of that deletion, and held nowhere with anything that names the person."""
    made = getattr(user, _PSEUDONYM, None)
    if made is None:
        made = uuid.uuid4()
        setattr(user, _PSEUDONYM, made)
    return made


def service(function: Callable) -> Deletion:
    """``function(user)``, a service of the owning app, removes or empties the rows (in the
    deletion's transaction; what must reach another system waits for the commit)."""
    return Deletion(Fate.SERVICE, function=function)


def refuse(code: str, message: str) -> Deletion:
    """The account is not deleted while any row refers to it: the deletion answers ``code``."""
    return Deletion(Fate.REFUSE, code=str(code), message=message)


@dataclass(frozen=True)
class Export:
    """What the export gives of a model: the rows ``by`` the user, with ``fields``."""

    section: str
    # Paths from the model to the user: the rows found by any of them are the user's.
    by: tuple[str, ...]
    # Lookups read for each row (``event__title_en``); the export's keys are their camelCase.
    fields: tuple[str, ...]
    # Columns not given, each with the reason.
    omitted: Mapping[str, str] = field(default_factory=dict)
    # Secrets: the export says that one is held, never what it is.
    redacted: tuple[str, ...] = ()
    # One object (the user's own row) rather than a list.
    single: bool = False
    # ``rows(queryset)``: the values of the user's rows, when they are not one per row (the
    # sessions of a sign-in family, say); by default ``values(*fields)`` in primary key order.
    rows: Callable | None = None


@dataclass(frozen=True)
class NotExported:
    """The export gives nothing of a model, for ``reason``."""

    reason: str


def export(
    section: str,
    *,
    by: str | Iterable[str],
    fields: Iterable[str],
    omitted: Mapping[str, str] | None = None,
    redacted: Iterable[str] = (),
    single: bool = False,
    rows: Callable | None = None,
) -> Export:
    """The export's ``section`` of the model's rows ``by`` the user (see ``Export``)."""
    return Export(
        section=section,
        by=(by,) if isinstance(by, str) else tuple(by),
        fields=tuple(fields),
        omitted=dict(omitted or {}),
        redacted=tuple(redacted),
        single=single,
        rows=rows,
    )


def not_exported(reason: str) -> NotExported:
    """The export gives nothing of the model, for ``reason`` (which the export states)."""
    return NotExported(reason)


@dataclass(frozen=True)
class Entry:
    """Everything deletion and export know of one model."""

    model: str
    references: Mapping[str, Deletion]
    export: Export | NotExported
    by_content: Deletion | None = None

    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)


_REGISTRY: dict[str, Entry] = {}


def register(
    model: str,
    *,
    export: Export | NotExported,
    by_content: Deletion | None = None,
    **references: Deletion,
) -> None:
    """Declare what deletion does to ``model`` (``"app_label.ModelName"``) and what the export
    gives of it; see the module. A model is registered once."""
    if model in _REGISTRY:
        raise ImproperlyConfigured(f"{model} is declared twice in the personal data registry.")
    _REGISTRY[model] = Entry(model, dict(references), export, by_content)


def entries() -> list[Entry]:
    """Every entry, in the order the apps registered them."""
    return list(_REGISTRY.values())


def export_sections() -> int:
    """How many sections the export has: a query each."""
    return sum(isinstance(entry.export, Export) for entry in _REGISTRY.values())


# --- What is missing -------------------------------------------------------------------------


def user_model() -> type[models.Model]:
    return apps.get_model(settings.AUTH_USER_MODEL)


def resolve(model: type[models.Model], path: str) -> type[models.Model] | None:
    """The model a lookup path of foreign keys from ``model`` ends at, or None when a part of
    it is not a forward relation (``pk`` is the model itself)."""
    if path == "pk":
        return model
    for name in path.split("__"):
        try:
            found = model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        if (
            not found.is_relation
            or not (found.many_to_one or found.one_to_one)
            or not found.concrete
        ):
            return None
        model = found.related_model
    return model


def _key_relations(model: type[models.Model]) -> list[models.Field]:
    """The model's own foreign keys and one-to-one keys (many-to-many are walked as their
    through models)."""
    return [
        f
        for f in model._meta.get_fields()
        if f.is_relation and f.concrete and (f.many_to_one or f.one_to_one)
    ]


def _nullable_key(model: type[models.Model], path: str) -> bool:
    try:
        found = model._meta.get_field(path)
    except FieldDoesNotExist:
        return False
    return found.is_relation and found.concrete and found.null


def _pseudonym_column(model: type[models.Model], name: str) -> bool:
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return isinstance(found, models.UUIDField) and found.null


def _removes_rows(entry: Entry) -> bool:
    return any(d.fate in (Fate.DELETE, Fate.SERVICE) for d in entry.references.values())


def _covered(lookups: Iterable[str]) -> set[str]:
    """The columns a list of lookups reads: ``event__title_en`` and ``event_id`` read
    ``event``."""
    names = set()
    for lookup in lookups:
        head = lookup.split("__")[0]
        names.add(head)
        if head.endswith("_id"):
            names.add(head.removesuffix("_id"))
    return names


def _export_problems(model: type[models.Model], spec: Export) -> list[str]:
    label = model._meta.label
    found = []
    user = user_model()
    for path in spec.by:
        if resolve(model, path) is not user:
            found.append(f"{label}: the export's path {path!r} does not lead to the user")
    try:
        model._default_manager.values(*spec.fields)
    except FieldError as error:
        found.append(f"{label}: the export reads what the model has not ({error})")
    columns = {f.name for f in model._meta.concrete_fields if not f.primary_key}
    accounted = (
        _covered(spec.fields)
        | set(spec.omitted)
        | set(spec.redacted)
        | {path.split("__")[0] for path in spec.by}
    )
    for name in sorted(columns - accounted):
        found.append(
            f"{label}.{name}: the export neither gives it, nor redacts it, nor says why not "
            "(export(..., omitted={...}))"
        )
    for name in sorted((set(spec.omitted) | set(spec.redacted)) - columns):
        found.append(f"{label}: the export omits {name!r}, which is not a column")
    return found


def problems(
    registry: Mapping[str, Entry] | None = None,
    all_models: Iterable[type[models.Model]] | None = None,
) -> list[str]:
    """What the registry lacks, in words; empty when every model is declared, whole."""
    registry = _REGISTRY if registry is None else registry
    all_models = (
        list(apps.get_models(include_auto_created=True)) if all_models is None else all_models
    )
    user = user_model()
    found = []
    declared: dict[type[models.Model], Entry] = {}
    sections = defaultdict(list)
    for label, entry in registry.items():
        try:
            declared[apps.get_model(label)] = entry
        except (LookupError, ValueError):
            found.append(f"{label}: declared, but there is no such model")
    for model, entry in declared.items():
        for path, deletion in entry.references.items():
            if resolve(model, path) is not user:
                found.append(f"{model._meta.label}: {path!r} does not lead to the user")
            if deletion.fate == Fate.SERVICE and not callable(deletion.function):
                found.append(f"{model._meta.label}: {path!r} names no service")
            if deletion.fate == Fate.ANONYMISE and not _nullable_key(model, path):
                found.append(
                    f"{model._meta.label}: {path!r} is anonymised, so it must be a nullable "
                    "key of the model itself"
                )
            if deletion.pseudonym and not _pseudonym_column(model, deletion.pseudonym):
                found.append(
                    f"{model._meta.label}: {deletion.pseudonym!r} takes the pseudonym, so it "
                    "must be a nullable UUID column of the model"
                )
        if entry.by_content is not None and not callable(entry.by_content.function):
            found.append(f"{model._meta.label}: by_content names no service")
        if isinstance(entry.export, Export):
            found += _export_problems(model, entry.export)
            sections[entry.export.section].append(model._meta.label)
    for section, labels in sections.items():
        if len(labels) > 1:
            found.append(f"the export's section {section!r} is given by {', '.join(labels)}")
    # Models whose rows go with the account: a model referring to one of them refers to the
    # person too (a device's topics and deliveries).
    personal = {user} | {model for model, entry in declared.items() if _removes_rows(entry)}
    for model in all_models:
        label = model._meta.label
        entry = registry.get(label)
        if model is user and entry is None:
            found.append(f"{label}: the user model itself is not declared (its export)")
            continue
        keys = [f for f in _key_relations(model) if f.related_model in personal]
        columns = [f.name for f in model._meta.concrete_fields if PERSONAL_COLUMN.search(f.name)]
        if entry is None:
            if keys:
                names = ", ".join(f.name for f in keys)
                found.append(f"{label}: refers to a person ({names}) but is not declared")
            elif columns:
                names = ", ".join(columns)
                found.append(f"{label}: has personal columns ({names}) but is not declared")
            continue
        for key in keys:
            paths = [path for path in entry.references if path.split("__")[0] == key.name]
            if not paths:
                found.append(
                    f"{label}.{key.name}: refers to a person, and the entry does not say what "
                    "deletion does to it"
                )
    return found
