"""Open311 GeoReport v2 bodies in its two formats: JSON and XML, with the spec's element names."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import orjson
from starlette.responses import Response

# The XML root and item element of each kind of answer, as GeoReport v2 names them.
XML_NAMES = {
    "services": ("services", "service"),
    "requests": ("service_requests", "request"),
    "tokens": ("service_requests", "request"),
    "errors": ("errors", "error"),
}


def _xml_value(parent: ElementTree.Element, key: str, value: Any) -> None:
    child = ElementTree.SubElement(parent, key)
    if isinstance(value, bool):
        child.text = "true" if value else "false"
    elif isinstance(value, dict):
        for k, v in value.items():
            _xml_value(child, k, v)
    elif isinstance(value, list):
        # Lists of scalars: <formats><format>…</format></formats>; lists of objects: singular element names.
        singular = key[:-1] if key.endswith("s") else key
        for item in value:
            _xml_value(child, singular, item)
    elif value is not None:
        child.text = str(value)


def to_xml(kind: str, body: Any) -> bytes:
    if isinstance(body, list):
        root_name, item_name = XML_NAMES[kind]
        root = ElementTree.Element(root_name)
        for item in body:
            element = ElementTree.SubElement(root, item_name)
            for key, value in item.items():
                _xml_value(element, key, value)
    else:
        root = ElementTree.Element(kind)
        for key, value in body.items():
            _xml_value(root, key, value)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ElementTree.tostring(root, encoding="unicode").encode()


def render(fmt: str, kind: str, body: Any, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(to_xml(kind, body), status_code=status, media_type="text/xml; charset=utf-8")
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def error(fmt: str, status: int, description: str) -> Response:
    """The spec's error format: a list of {code, description}, with the HTTP status as the code."""
    return render(fmt, "errors", [{"code": status, "description": description}], status)
