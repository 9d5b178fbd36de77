"""Storing pictures through Django's storage API, and letting them go.

Files are named by their content (``images/ab/<digest>-<variant>.<ext>``): a name always means
the same bytes, so the files are served with a far-future, immutable Cache-Control, and a new
picture is a new URL that no cache has seen. The same picture uploaded twice is stored once.

A picture is stored inside the transaction that points an event or a user at it; if that
transaction fails, its files stay behind without a row and ``manage.py prune_images`` removes
them. A picture let go (replaced, removed, its event deleted) is deleted after the commit that
let it go, row first and then its files, unless something else points at it.

The same picture may be let go by one person and uploaded by another at once: its row gone,
the upload makes it anew over the files still there, which the deletion must then leave alone.
So its files are written and deleted under a lock of its own (``content_lock``: PostgreSQL's
advisory lock keyed by the content's name; on SQLite writes are serialised anyway): an upload
holds it from looking for the row until its transaction commits, and a deletion takes it and
deletes no file that a row names.
"""

import datetime
import logging
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from .models import Image
from .pipeline import EncodedVariant, ProcessedImage
from .variants import CONTENT_TYPES

logger = logging.getLogger(__name__)

# Where in storage the pictures' files are: nothing else is kept under it.
PREFIX = "images"
# What a storage raises when it cannot take a file: the file system's errors, and boto3's for a
# bucket out of reach or refusing (S3). Anything else is a bug, and stays one.
STORAGE_FAILURES = (OSError, BotoCoreError, ClientError)


class StorageUnavailable(ConnectionError):
    """The storage failed to take a picture's files (a bucket out of reach, a full disk): an
    outage, which the API answers "try again" (SERVICE_UNAVAILABLE, ``core.outages``), not a
    bug and not the upload's fault: what is written was made here and is always valid."""


def storage_name(digest: str, variant: EncodedVariant) -> str:
    """The file name of one variant of the picture ``digest`` names."""
    return f"{PREFIX}/{digest[:2]}/{digest[:32]}-{variant.variant.lower()}.{variant.extension}"


def content_key(name: str) -> str | None:
    """What locks the files of one picture (``content_lock``): the start of the content's
    digest that its file ``name`` begins with; None for a name no picture's file has."""
    base = name.rsplit("/", 1)[-1]
    key = base.split("-", 1)[0]
    if len(key) != 32 or base == key or any(char not in "0123456789abcdef" for char in key):
        return None
    return key


def content_lock(key: str) -> None:
    """Hold until the current transaction ends (call it inside one) the lock of the picture
    whose digest starts with ``key`` (``content_key``): a transaction-scoped advisory lock on
    PostgreSQL, keyed by the digest's first 64 bits, taken again at no cost by the transaction
    that holds it. On SQLite nothing: one connection writes at a time."""
    if connection.vendor != "postgresql":
        return
    lock = int.from_bytes(bytes.fromhex(key[:16]), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock])


def store(processed: ProcessedImage) -> Image:
    """The stored row of ``processed``: its files written and its row made, or the row of the
    same picture stored before. Call it inside the transaction that points at the row: the
    picture's lock (``content_lock``) is held until it commits, so that a deletion of the same
    picture let go by someone else waits, then sees the row and keeps the files."""
    with transaction.atomic():
        content_lock(processed.digest[:32])
        existing = Image.objects.select_for_update().filter(digest=processed.digest).first()
        if existing is not None:
            return existing
        written = []
        variants = {}
        try:
            for variant in processed.variants:
                name = storage_name(processed.digest, variant)
                _put(name, variant)
                written.append(name)
                variants[variant.variant.value] = {
                    "name": name,
                    "width": variant.width,
                    "height": variant.height,
                    "format": variant.format.value,
                    "bytes": len(variant.content),
                }
        except STORAGE_FAILURES as error:
            # The storage failed part-way: what this call wrote goes (nothing names it).
            logger.error("The pictures' storage failed", exc_info=True)
            delete_files(written)
            raise StorageUnavailable(f"The pictures' storage failed: {error}") from error
        except BaseException:
            delete_files(written)
            raise
        try:
            with transaction.atomic():
                return Image.objects.create(
                    digest=processed.digest, purpose=processed.purpose, variants=variants
                )
        except IntegrityError:
            # Stored at the same moment by another request: the same files, its row.
            return Image.objects.get(digest=processed.digest)


def _put(name: str, variant: EncodedVariant) -> None:
    content = ContentFile(variant.content, name=name)
    # S3 stores it as the object's Content-Type.
    content.content_type = CONTENT_TYPES[variant.format]
    saved = default_storage.save(name, content)
    if saved != name:
        # A storage that does not overwrite kept the file already under this name (the same
        # bytes, as the name says) and chose another for this copy: it is not needed.
        default_storage.delete(saved)


def release(*images: Image | None) -> None:
    """Once the current transaction commits, delete those of ``images`` that nothing points at
    any more, and then their files."""
    pks = sorted({image.pk for image in images if image is not None})
    if pks:
        transaction.on_commit(lambda: delete_unused(pks))


def delete_unused(pks) -> int:
    """Delete the rows of ``pks`` that nothing points at (the PROTECT of every foreign key to
    them says which), then, once that has committed, their files; how many rows went."""
    names, deleted = [], 0
    with transaction.atomic():
        for image in Image.objects.select_for_update().filter(pk__in=pks).order_by("pk"):
            try:
                with transaction.atomic():
                    image.delete()
            except ProtectedError:
                continue
            deleted += 1
            names += image.storage_names()
        transaction.on_commit(lambda: delete_files(names))
    return deleted


def delete_files(names) -> None:
    """Delete these files from storage, but those that a picture's row names: each picture's
    under its lock (``content_lock``), after checking that no row names it any more, as an
    upload of the same picture may have made its row anew since it was let go (and holds the
    lock until that commits). One that cannot be deleted now is logged and left for
    ``prune_images`` (the change that let it go has committed and stands)."""
    by_content: dict[str | None, list[str]] = {}
    for name in names:
        by_content.setdefault(content_key(name), []).append(name)
    for key, group in by_content.items():
        if key is None:
            _delete(group)
            continue
        with transaction.atomic():
            content_lock(key)
            if Image.objects.filter(digest__startswith=key).exists():
                continue
            _delete(group)


def _delete(names) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            logger.warning("Could not delete %s from storage", name, exc_info=True)


def url_of(name: str) -> str:
    """Where the file ``name`` is served: the storage's URL for it (relative under the local
    file system's MEDIA_URL, absolute on S3 or with MEDIA_PUBLIC_BASE_URL)."""
    return default_storage.url(name)


@dataclass(frozen=True)
class Pruned:
    """What ``prune`` deleted (or, trying, would delete)."""

    rows: int
    files: int


def prune(grace: datetime.timedelta, *, dry_run: bool = False) -> Pruned:
    """Delete the pictures nothing points at any more, with their files, and the files under
    ``PREFIX`` that no picture names (written by an upload whose transaction then failed);
    only those older than ``grace``, as an upload may be on its way. What ``release`` missed
    (a process that died between a commit and its deletions) goes too. Safe to run twice."""
    cutoff = timezone.now() - grace
    unused = Image.objects.filter(created_at__lt=cutoff)
    for relation in Image._meta.related_objects:
        pointing = relation.related_model._base_manager.exclude(
            **{f"{relation.field.attname}__isnull": True}
        )
        unused = unused.exclude(pk__in=pointing.values(relation.field.attname))
    pks = list(unused.values_list("pk", flat=True))
    rows = len(pks) if dry_run else delete_unused(pks)
    known = {name for image in Image.objects.only("variants") for name in image.storage_names()}
    stray = [
        name
        for name in _files_under(PREFIX)
        if name not in known and default_storage.get_modified_time(name) < cutoff
    ]
    if not dry_run:
        delete_files(stray)
    return Pruned(rows=rows, files=len(stray))


def _files_under(path: str):
    try:
        directories, files = default_storage.listdir(path)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{path}/{name}"
    for directory in directories:
        yield from _files_under(f"{path}/{directory}")
