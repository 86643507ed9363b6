"""What a query selects below a field, read so a resolver fetches only what will be shown."""

from __future__ import annotations

from typing import Any


def selects(fields: Any, names: set[str]) -> bool:
    """Whether any of `names` is selected anywhere in `fields` or below them (fragments included);
    `fields` as strawberry gives them (`info.selected_fields`)."""
    for selected in fields or ():
        if getattr(selected, "name", None) in names or selects(getattr(selected, "selections", None), names):
            return True
    return False
