"""Demo data: Kazakh and Pakistani cities and their twinnings, offices, events, announcements.

Everything comes from files in the repository (``cities/data/``, ``events/data/``), so a fresh
machine needs nothing else. Every run converges on the same rows: cities and twinnings through
the idempotent importer, the rest through ``update_or_create`` on natural keys. Event dates are
relative to the day of the run, so the demo always shows the coming months.
"""

import csv
import datetime
import json
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from cities.importer import import_twinnings_file
from cities.models import City, CityOffice, Twinning
from core.folding import fold
from core.i18n import LANGUAGE_CODES, column

from .models import Announcement, Event, Tag

CITIES_DATA = Path(__file__).resolve().parent.parent / "cities" / "data"
EXCERPT = CITIES_DATA / "twin_cities_kz_pk.csv"
CITY_NAMES = CITIES_DATA / "city_names.csv"
# What is known of some twinnings, with its source (cities/data/README.md).
TWINNING_FACTS = CITIES_DATA / "twinning_facts.csv"
CONTENT = Path(__file__).resolve().parent / "data" / "demo_content.json"

# The port-city agreements of Aktau with Karachi and with Gwadar, absent from the data set.
SISTER_PORTS = [(("Aktau", "KZ"), ("Karachi", "PK")), (("Aktau", "KZ"), ("Gwadar", "PK"))]


@dataclass
class DemoReport:
    cities: int = 0
    twinnings: int = 0
    offices: int = 0
    events: int = 0
    announcements: int = 0


def _translations(field: str, values: dict) -> dict:
    return {column(field, code): values.get(code, "") for code in LANGUAGE_CODES}


class DemoSeeder:
    """Writes the demo data; each step is safe to repeat."""

    def __init__(self, today: datetime.date | None = None):
        self.today = today or timezone.localdate()
        self.content = json.loads(CONTENT.read_text(encoding="utf-8"))
        self._cities: dict[tuple[str, str], City] = {}

    def city(self, ref: dict) -> City:
        key = (fold(ref["name"]), ref["country"])
        if key not in self._cities:
            matches = [
                city
                for city in City.objects.filter(country=ref["country"])
                if fold(city.name_en) == key[0]
            ]
            if len(matches) != 1:
                raise LookupError(f"demo city {ref} matches {len(matches)} cities")
            self._cities[key] = matches[0]
        return self._cities[key]

    def twinning(self, host: City, partner: City) -> Twinning:
        return Twinning.objects.between(host, partner).get()

    @transaction.atomic
    def run(self) -> DemoReport:
        import_twinnings_file(EXCERPT)
        self.translate_city_names()
        for first, second in SISTER_PORTS:
            a = self.city({"name": first[0], "country": first[1]})
            b = self.city({"name": second[0], "country": second[1]})
            Twinning.objects.update_or_create(
                city_a=min(a, b, key=lambda c: c.pk),
                city_b=max(a, b, key=lambda c: c.pk),
                defaults={"kind": Twinning.Kind.SISTER_PORT, "status": Twinning.Status.ACTIVE},
            )
        self.twinning_facts()
        offices = {self.office(item).city_id: None for item in self.content["offices"]}
        self.tags = {item["slug"]: self.tag(item) for item in self.content["tags"]}
        events = {item["key"]: self.event(item) for item in self.content["events"]}
        for item in self.content["announcements"]:
            self.announcement(item, events)
        return DemoReport(
            cities=City.objects.count(),
            twinnings=Twinning.objects.count(),
            offices=len(offices),
            events=len(events),
            announcements=len(self.content["announcements"]),
        )

    def twinning_facts(self) -> None:
        """The date (only where the day is known), description and source of the twinnings
        of ``TWINNING_FACTS``."""
        with open(TWINNING_FACTS, newline="", encoding="utf-8") as stream:
            for row in csv.DictReader(stream):
                first = self.city({"name": row["city1"], "country": row["country1"]})
                second = self.city({"name": row["city2"], "country": row["country2"]})
                twinning = self.twinning(first, second)
                established = row["established_on"]
                twinning.established_on = (
                    datetime.date.fromisoformat(established) if established else None
                )
                twinning.description_en = row["description_en"]
                twinning.description_ru = row["description_ru"]
                twinning.source_url = row["source_url"]
                twinning.full_clean()
                twinning.save()

    def translate_city_names(self) -> None:
        with open(CITY_NAMES, newline="", encoding="utf-8") as stream:
            for row in csv.DictReader(stream):
                city = self.city({"name": row["name"], "country": row["country"]})
                names = {f"name_{code}": row[f"name_{code}"] for code in ("ru", "kk", "ur")}
                if any(getattr(city, key) != value for key, value in names.items()):
                    for key, value in names.items():
                        setattr(city, key, value)
                    city.save()

    def office(self, item: dict) -> CityOffice:
        city = self.city(item["city"])
        office, _ = CityOffice.objects.update_or_create(
            city=city,
            name_en=item["name"]["en"],
            defaults={
                **_translations("name", item["name"]),
                "email": item.get("email", ""),
                "phone": item.get("phone", ""),
                "website": item.get("website", ""),
            },
        )
        return office

    def tag(self, item: dict) -> Tag:
        tag, _ = Tag.objects.update_or_create(
            slug=item["slug"], defaults=_translations("name", item["name"])
        )
        return tag

    def event(self, item: dict) -> Event:
        host = self.city(item["host"])
        office = CityOffice.objects.filter(city=host).order_by("id").first()
        if office is None:
            raise LookupError(f"demo event {item['key']} has no office in {host}")
        zone = zoneinfo.ZoneInfo(item["timezone"])
        day = self.today + datetime.timedelta(days=item["starts_in_days"])
        hour, minute = (int(part) for part in item["local_start"].split(":"))
        starts_at = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=zone)
        status = item["status"]
        twinning = self.twinning(host, self.city(item["partner"])) if item.get("partner") else None
        event, _ = Event.objects.update_or_create(
            office=office,
            title_en=item["title"]["en"],
            defaults={
                **_translations("title", item["title"]),
                **_translations("summary", item["summary"]),
                **_translations("description", item["description"]),
                "category": item["category"],
                "starts_at": starts_at.astimezone(datetime.UTC),
                "ends_at": (
                    starts_at + datetime.timedelta(minutes=item["duration_minutes"])
                ).astimezone(datetime.UTC),
                "timezone": item["timezone"],
                "venue_name": item["venue"]["name"],
                "venue_address": item["venue"].get("address", ""),
                "latitude": item["venue"]["latitude"],
                "longitude": item["venue"]["longitude"],
                "host_city": host,
                "twinning": twinning,
                "status": status,
                "announced_at": None if status == Event.Status.DRAFT else timezone.now(),
                "capacity": item.get("capacity"),
                **_translations("accessibility", item.get("accessibility", {})),
                "is_free": item.get("free", False),
                "price_amount": Decimal(item["price"]["amount"]) if "price" in item else None,
                "price_currency": item["price"]["currency"] if "price" in item else "",
            },
        )
        event.tags.set([self.tags[slug] for slug in item.get("tags", ())])
        return event

    def announcement(self, item: dict, events: dict[str, Event]) -> Announcement:
        city = self.city(item["office_city"])
        office = CityOffice.objects.filter(city=city).order_by("id").first()
        partner = item.get("partner")
        announcement, _ = Announcement.objects.update_or_create(
            office=office,
            title_en=item["title"]["en"],
            defaults={
                **_translations("title", item["title"]),
                **_translations("body", item["body"]),
                "city": city,
                "twinning": self.twinning(city, self.city(partner)) if partner else None,
                "event": events.get(item["event_key"]) if item.get("event_key") else None,
                "published_at": timezone.now()
                - datetime.timedelta(days=item.get("published_days_ago", 0)),
            },
        )
        return announcement


def seed_demo(today: datetime.date | None = None) -> DemoReport:
    """Create or refresh the demo data."""
    return DemoSeeder(today).run()
