"""Open311 GeoReport v2: the feedback of the hub for systems that speak that standard."""
