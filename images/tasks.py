"""Celery tasks of images: what the beat runs."""

import datetime

from celery import shared_task

from . import services

# Older than this, a file no picture names is no upload on its way: its request has ended.
GRACE = datetime.timedelta(hours=1)


@shared_task(ignore_result=True)
def prune_images() -> dict:
    """Delete the pictures nothing shows and the files no picture names (``services.prune``).
    Run by the beat every day; safe to run twice."""
    pruned = services.prune(GRACE)
    return {"rows": pruned.rows, "files": pruned.files}
