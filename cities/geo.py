"""Great-circle distance in SQL, the same on PostgreSQL and SQLite.

The database computes the haversine formula with Django's math functions (SQLite gets them
from Django's own registered functions), so filtering and "nearest first" ordering happen in
the query and pagination stays correct. A bounding box in plain comparisons comes first, so
the database can use the latitude index and skip most rows before any trigonometry.
"""

import math

from django.db.models import F, FloatField, Q, Value
from django.db.models.expressions import ExpressionWrapper
from django.db.models.functions import ASin, Cos, Power, Radians, Sin, Sqrt

# Mean Earth radius (IUGG), the usual choice for the spherical haversine formula.
EARTH_RADIUS_KM = 6371.0088


def distance_km(latitude: float, longitude: float, lat_field="latitude", lng_field="longitude"):
    """An expression for the great-circle distance in km from (latitude, longitude)."""
    lat0 = math.radians(latitude)
    lng0 = math.radians(longitude)
    lat = Radians(F(lat_field))
    lng = Radians(F(lng_field))
    half_chord = Power(Sin((lat - Value(lat0)) / 2), 2) + Value(math.cos(lat0)) * Cos(lat) * Power(
        Sin((lng - Value(lng0)) / 2), 2
    )
    return ExpressionWrapper(
        Value(2 * EARTH_RADIUS_KM) * ASin(Sqrt(half_chord)), output_field=FloatField()
    )


def bounding_box(
    latitude: float, longitude: float, radius_km: float, lat_field="latitude", lng_field="longitude"
) -> Q:
    """A Q that keeps every point within ``radius_km`` (and some beyond it, at the corners).

    Near the poles or when the circle crosses the antimeridian the longitude range wraps;
    it is then split in two, or dropped when the circle covers every longitude.
    """
    lat_delta = math.degrees(radius_km / EARTH_RADIUS_KM)
    q = Q(**{f"{lat_field}__gte": latitude - lat_delta, f"{lat_field}__lte": latitude + lat_delta})
    cos_lat = math.cos(math.radians(latitude))
    if abs(latitude) + lat_delta >= 90 or cos_lat <= 1e-9:
        return q
    ratio = math.sin(radius_km / EARTH_RADIUS_KM) / cos_lat
    if ratio >= 1:
        return q
    lng_delta = math.degrees(math.asin(ratio))
    west, east = longitude - lng_delta, longitude + lng_delta
    if west < -180:
        return q & (Q(**{f"{lng_field}__gte": west + 360}) | Q(**{f"{lng_field}__lte": east}))
    if east > 180:
        return q & (Q(**{f"{lng_field}__gte": west}) | Q(**{f"{lng_field}__lte": east - 360}))
    return q & Q(**{f"{lng_field}__gte": west, f"{lng_field}__lte": east})
