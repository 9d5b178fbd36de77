"""The export of everything held about a person (``me { export }``), as the registry of
``accounts.personal_data`` declares it: one section per declared model, and in words what is
left out and why (secrets, other people's data, the offices' own records).

Its cost does not grow with what it finds beyond the rows themselves: one query per section,
whatever the number of rows (each reads the columns it gives, joined rows included, and is
read in chunks), and ``ACCOUNT_EXPORT_RATE`` exports per user.
"""

import datetime
import decimal
import uuid

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from core import ratelimit

from . import personal_data
from .models import User
from .personal_data import Export, NotExported

FORMAT = "twinning-account-export/1"
# What a redacted column shows instead of its value.
WITHHELD = "withheld: a secret"
# Rows read from the database at a time.
CHUNK = 2000


def camel(lookup: str) -> str:
    """``event__title_en`` → ``eventTitleEn``: the export's key for a lookup."""
    head, *rest = lookup.replace("__", "_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def plain(value):
    """``value`` as JSON holds it: times in ISO 8601 (UTC where they have a zone)."""
    if isinstance(value, datetime.datetime):
        if value.utcoffset() is not None:
            value = value.astimezone(datetime.UTC)
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return value


def _rows(entry: personal_data.Entry, spec: Export, user: User):
    by = Q()
    for path in spec.by:
        by |= Q(**{path: user.pk if path == "pk" else user})
    queryset = entry.model_class()._base_manager.filter(by)
    if spec.rows is not None:
        rows = spec.rows(queryset)
    else:
        rows = queryset.values(*spec.fields).order_by("pk")
    for row in rows.iterator(chunk_size=CHUNK):
        item = {camel(key): plain(value) for key, value in row.items()}
        item.update({camel(name): WITHHELD for name in spec.redacted})
        yield item


def export_account(user: User, *, now: datetime.datetime | None = None) -> dict:
    """Everything held about ``user``, as JSON-able data; RateLimited past
    ``ACCOUNT_EXPORT_RATE``."""
    wait = ratelimit.hit(f"account-export:{user.pk}", settings.ACCOUNT_EXPORT_RATE)
    if wait is not None:
        raise ratelimit.RateLimited(wait)
    sections, omitted, not_exported = {}, {}, {}
    for entry in personal_data.entries():
        spec = entry.export
        if isinstance(spec, NotExported):
            not_exported[entry.model] = spec.reason
            continue
        rows = list(_rows(entry, spec, user))
        sections[spec.section] = (rows[0] if rows else None) if spec.single else rows
        if spec.omitted:
            omitted[spec.section] = {camel(name): why for name, why in spec.omitted.items()}
    return {
        "format": FORMAT,
        "exportedAt": plain(now or timezone.now()),
        "sections": sections,
        # What each section leaves out, and why.
        "omitted": omitted,
        # What is held in relation to the person but not given here, and why.
        "notExported": not_exported,
    }
