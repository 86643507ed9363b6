"""What a query selects below a field, read so a resolver fetches only what will be shown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from strawberry.types.nodes import SelectedField, Selection


def selects(fields: Any, names: set[str]) -> bool:
    """Whether any of `names` is selected anywhere in `fields` or below them (fragments included);
    `fields` as strawberry gives them (`info.selected_fields`)."""
    for selected in fields or ():
        if getattr(selected, "name", None) in names or selects(getattr(selected, "selections", None), names):
            return True
    return False


def direct_fields(selections: Sequence[Selection]) -> list[SelectedField]:
    """The fields selected right here, those inside fragments included (not the fields below them)."""
    found: list[SelectedField] = []
    for selection in selections:
        if isinstance(selection, SelectedField):
            found.append(selection)
        else:
            found.extend(direct_fields(selection.selections))
    return found
