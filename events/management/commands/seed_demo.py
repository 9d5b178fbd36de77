from django.core.management.base import BaseCommand

from events.demo import seed_demo


class Command(BaseCommand):
    help = (
        "Load the demo data (sample data, marked as such): Kazakh and Pakistani cities and "
        "twinnings from the bundled excerpt, Aktau's sister ports, city offices, and sample "
        "events and announcements in English, Russian, Kazakh and Urdu. Safe to run again."
    )

    def handle(self, *args, **options):
        report = seed_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {report.cities} cities, {report.twinnings} twinnings, "
                f"{report.offices} offices, {report.events} sample events, "
                f"{report.announcements} sample announcements."
            )
        )
