"""Validation of an LGSP dossier-event batch: the whole batch is checked, every problem reported."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

DOSSIER_STATUSES = (
    "RECEIVED",
    "PROCESSING",
    "SUPPLEMENT_REQUESTED",
    "RESULT_READY",
    "COMPLETED",
    "REJECTED",
    "WITHDRAWN",
)
NATIONAL_ID = re.compile(r"^\d{12}$")

# field name in the body -> (required, maximum length) for the plain text fields.
_TEXT_FIELDS: dict[str, tuple[bool, int]] = {
    "eventId": (True, 100),
    "dossierCode": (True, 100),
    "procedureCode": (False, 64),
    "agencyCode": (False, 32),
    # Not in the contract's example: a platform may send the procedure's name for codes we do not know.
    "procedureName": (False, 1000),
    "note": (False, 4000),
}
_TIME_FIELDS: dict[str, bool] = {"occurredAt": True, "receivedAt": True, "dueAt": False}


@dataclass(frozen=True)
class BatchProblem:
    index: int | None
    field: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class IncomingEvent:
    event_id: str
    dossier_code: str
    citizen_national_id: str
    procedure_code: str | None
    agency_code: str | None
    procedure_name: str | None
    status: str
    note: str | None
    occurred_at: datetime
    received_at: datetime
    due_at: datetime | None

    @property
    def order_key(self) -> tuple[datetime, str]:
        """Which of two events is later: occurredAt, then eventId so that ties do not depend on arrival."""
        return (self.occurred_at, self.event_id)


def _time(raw: object) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else None


def parse_batch(body: object) -> tuple[list[IncomingEvent], list[BatchProblem]]:
    """The events of a batch, or every problem found in it (then no event is returned)."""
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        return [], [BatchProblem(None, "events", 'the body must be an object with an "events" list')]
    events: list[IncomingEvent] = []
    problems: list[BatchProblem] = []
    for index, raw in enumerate(body["events"]):
        event, found = _parse_event(index, raw)
        problems.extend(found)
        if event is not None:
            events.append(event)
    return ([], problems) if problems else (events, [])


def _parse_event(index: int, raw: object) -> tuple[IncomingEvent | None, list[BatchProblem]]:
    if not isinstance(raw, dict):
        return None, [BatchProblem(index, "", "an event must be a JSON object")]
    problems: list[BatchProblem] = []
    texts: dict[str, str | None] = {}
    for name, (required, longest) in _TEXT_FIELDS.items():
        value = raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                problems.append(BatchProblem(index, name, "is required"))
            texts[name] = None
        elif not isinstance(value, str):
            problems.append(BatchProblem(index, name, "must be a string"))
        elif len(value) > longest:
            problems.append(BatchProblem(index, name, f"must be at most {longest} characters"))
        else:
            texts[name] = unicodedata.normalize("NFC", value.strip())
    national_id = raw.get("citizenNationalId")
    if national_id is None or national_id == "":
        problems.append(BatchProblem(index, "citizenNationalId", "is required"))
    elif not isinstance(national_id, str) or not NATIONAL_ID.match(national_id):
        problems.append(BatchProblem(index, "citizenNationalId", "must be a 12-digit national ID"))
    status = raw.get("status")
    if status is None or status == "":
        problems.append(BatchProblem(index, "status", "is required"))
    elif status not in DOSSIER_STATUSES:
        problems.append(BatchProblem(index, "status", "must be one of " + ", ".join(DOSSIER_STATUSES)))
    times: dict[str, datetime | None] = {}
    for name, required in _TIME_FIELDS.items():
        value = raw.get(name)
        if value is None:
            if required:
                problems.append(BatchProblem(index, name, "is required"))
            times[name] = None
            continue
        times[name] = _time(value)
        if times[name] is None:
            problems.append(BatchProblem(index, name, "must be an ISO 8601 date-time with a UTC offset"))
    if problems:
        return None, problems
    return (
        IncomingEvent(
            event_id=texts["eventId"] or "",
            dossier_code=texts["dossierCode"] or "",
            citizen_national_id=str(national_id),
            procedure_code=texts["procedureCode"],
            agency_code=texts["agencyCode"],
            procedure_name=texts["procedureName"],
            status=str(status),
            note=texts["note"],
            occurred_at=times["occurredAt"],  # type: ignore[arg-type]
            received_at=times["receivedAt"],  # type: ignore[arg-type]
            due_at=times["dueAt"],
        ),
        [],
    )
