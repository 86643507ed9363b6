"""Where a point lies: inside the province or not, and in which commune or ward.

Both are data files in data/: the province outline (province_boundary.geojson), boundary polygons
for the units that have one (unit_boundaries.geojson), and a representative point per unit
(unit_points.json) for the rest — a point that no unit polygon covers goes to the nearest unit.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

EARTH_RADIUS_M = 6_371_008.8
Ring = list[tuple[float, float]]  # (lon, lat)
Polygon = list[Ring]  # outer ring first, then holes


def _read(name: str) -> Any:
    return json.loads(resources.files("server.feedback").joinpath("data", name).read_text("utf-8"))


def _polygons(geometry: dict[str, Any]) -> list[Polygon]:
    coords = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        coords = [coords]
    elif geometry["type"] != "MultiPolygon":
        raise ValueError(f"unsupported geometry {geometry['type']}")
    return [[[(float(x), float(y)) for x, y, *_ in ring] for ring in polygon] for polygon in coords]


def _in_ring(lon: float, lat: float, ring: Ring) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def in_polygons(lat: float, lon: float, polygons: list[Polygon]) -> bool:
    for outer, *holes in polygons:
        if _in_ring(lon, lat, outer) and not any(_in_ring(lon, lat, hole) for hole in holes):
            return True
    return False


@lru_cache(maxsize=1)
def province_polygons() -> list[Polygon]:
    collection = _read("province_boundary.geojson")
    return [p for feature in collection["features"] for p in _polygons(feature["geometry"])]


@lru_cache(maxsize=1)
def unit_polygons() -> dict[str, list[Polygon]]:
    collection = _read("unit_boundaries.geojson")
    return {str(f["properties"]["code"]): _polygons(f["geometry"]) for f in collection["features"]}


@lru_cache(maxsize=1)
def unit_points() -> dict[str, tuple[float, float]]:
    return {code: (lat, lon) for code, (lat, lon) in _read("unit_points.json")["points"].items()}


def in_province(lat: float, lon: float) -> bool:
    return in_polygons(lat, lon, province_polygons())


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class UnitMatch:
    code: str
    method: str  # "polygon" or "nearest"


def locate_unit(lat: float, lon: float) -> UnitMatch | None:
    for code, polygons in unit_polygons().items():
        if in_polygons(lat, lon, polygons):
            return UnitMatch(code, "polygon")
    points = unit_points()
    if not points:
        return None
    code = min(points, key=lambda c: distance_m(lat, lon, *points[c]))
    return UnitMatch(code, "nearest")


def bounding_box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) enclosing a circle: a cheap index-friendly prefilter."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = math.degrees(radius_m / (EARTH_RADIUS_M * max(0.01, math.cos(math.radians(lat)))))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def public_coordinate(value: float) -> float:
    """About 100 m: what strangers may know of where a report was made."""
    return round(value, 3)
