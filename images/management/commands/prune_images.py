"""``manage.py prune_images``: see ``Command.help``."""

import datetime

from django.core.management.base import BaseCommand

from images import services
from images.tasks import GRACE


class Command(BaseCommand):
    help = (
        "Delete the uploaded pictures that no event or user shows any more, with their files, "
        "and the files under images/ in storage that no picture names (left by uploads whose "
        "change failed). Only those older than --grace-minutes go. The beat runs this daily; "
        "safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-minutes",
            type=int,
            default=int(GRACE.total_seconds() // 60),
            help="Leave what is younger than this (an upload may be on its way).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would go; delete nothing."
        )

    def handle(self, *args, grace_minutes, dry_run, **options):
        pruned = services.prune(datetime.timedelta(minutes=grace_minutes), dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            f"{verb} {pruned.rows} unused picture(s) and {pruned.files} stray file(s)."
        )
