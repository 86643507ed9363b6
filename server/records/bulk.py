"""The LGSP ingest's set-based statements: each carries a whole batch as ONE JSON parameter.

Why not executemany: SQLAlchemy processes every bound value in Python (15 timestamps an event, each
formatted on SQLite) and, with RETURNING, renders a multi-row VALUES; that cost several times a bare insert.
Here a batch is one JSON document (orjson, in C) that the database unpacks itself (`json_each` on SQLite,
`json_to_recordset` on PostgreSQL), so a statement costs about the same for 2 rows or 100.

Timestamps go in as the database keeps them (`Statements.stamp`): on SQLite the text SQLAlchemy's DATETIME
writes (`YYYY-MM-DD HH:MM:SS.ffffff`, naive UTC, so they compare and read back like every other row); on
PostgreSQL ISO 8601 with offset, cast to timestamptz.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Columns of `dossiers` a batch reads (locked) and writes back; `id` and `code` are the keys.
STATE_COLUMNS = (
    "id",
    "code",
    "citizen_national_id",
    "procedure_code",
    "agency_code",
    "procedure_name",
    "status",
    "status_occurred_at",
    "status_event_id",
    "received_at",
    "due_at",
    "completed_at",
    "overdue_notified_due_at",
    "updated_at",
)
# The indexed columns of `dossiers` an event may change (besides `code`).
KEY_COLUMNS = ("citizen_national_id", "received_at", "due_at")
TIME_COLUMNS = frozenset(
    {
        "status_occurred_at",
        "received_at",
        "due_at",
        "completed_at",
        "overdue_notified_due_at",
        "updated_at",
        "created_at",
        "occurred_at",
        "ingested_at",
    }
)
# PostgreSQL types of the JSON record fields (json_to_recordset needs them).
_PG_TYPES = {
    "id": "integer",
    "dossier_id": "integer",
    **{name: "timestamptz" for name in TIME_COLUMNS},
}
NEW_DOSSIER_COLUMNS = (
    "code",
    "citizen_national_id",
    "procedure_code",
    "agency_code",
    "procedure_name",
    "status",
    "status_occurred_at",
    "status_event_id",
    "received_at",
    "due_at",
    "created_at",
    "updated_at",
)
# The account a dossier belongs to: the first whose VERIFIED national ID matches (as notices.owners).
OWNER = (
    "SELECT a.id FROM accounts AS a WHERE a.national_id = dossiers.citizen_national_id "
    "AND a.national_id_verified ORDER BY a.id LIMIT 1"
)
EVENT_COLUMNS = ("event_id", "dossier_id", "status", "note", "occurred_at", "due_at", "ingested_at")


def _stamp_sqlite(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat(" ", "microseconds")[:26]  # without the "+00:00"


def _stamp_postgresql(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def read_time(value: Any) -> datetime | None:
    """A timestamp from a RETURNING row: text on SQLite (naive UTC), a datetime on PostgreSQL."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _fields(dialect: str, columns: Sequence[str], alias: str = "r") -> tuple[str, list[str]]:
    """The FROM item unpacking `:rows` (a JSON array of objects) and one expression a column."""
    if dialect == "sqlite":
        return f"json_each(:rows) AS {alias}", [f"json_extract({alias}.value, '$.{c}')" for c in columns]
    record = ", ".join(f"{c} {_PG_TYPES.get(c, 'text')}" for c in columns)
    return f"json_to_recordset(CAST(:rows AS json)) AS {alias}({record})", [f"{alias}.{c}" for c in columns]


def _update(dialect: str, columns: list[str]) -> Any:
    source, values = _fields(dialect, ("id", *columns), alias="s")
    assignments = ", ".join(f"{c} = {v}" for c, v in zip(columns, values[1:], strict=True))
    return text(f"UPDATE dossiers SET {assignments} FROM {source} WHERE dossiers.id = {values[0]}")


class Statements:
    """The batch statements of one dialect, built once (per dialect) and reused."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        # Timestamps as the database keeps them (a SQL conversion from ISO text measured slower on SQLite).
        self.stamp = _stamp_sqlite if dialect == "sqlite" else _stamp_postgresql
        # 1. A row for every dossier of the batch, locked, and its state returned, in one statement. The
        #    conflict branch rewrites an unindexed column with itself: that is what takes the row lock
        #    (PostgreSQL) and makes RETURNING include existing rows. Rows go in code order, so two batches
        #    lock shared dossiers in the same order (no deadlock). On SQLite this first statement is a
        #    write, so the transaction holds the database's write lock from here on.
        source, values = _fields(dialect, NEW_DOSSIER_COLUMNS)
        self.lock_dossiers = text(
            f"INSERT INTO dossiers ({', '.join(NEW_DOSSIER_COLUMNS)}) "
            f"SELECT {', '.join(values)} FROM {source} WHERE true ORDER BY 1 "
            "ON CONFLICT (code) DO UPDATE SET updated_at = dossiers.updated_at "
            f"RETURNING {', '.join(STATE_COLUMNS)}, ({OWNER}) AS owner_id"
        )
        # 2. The events; those already stored (replays, or a concurrent batch that committed first) are
        #    skipped, and RETURNING says which went in.
        source, values = _fields(dialect, EVENT_COLUMNS)
        self.insert_events = text(
            f"INSERT INTO dossier_events ({', '.join(EVENT_COLUMNS)}) "
            f"SELECT {', '.join(values)} FROM {source} WHERE true ORDER BY 1 "
            "ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
        )
        # 3. The changed dossiers' state written back: the unindexed columns of every changed dossier, and
        #    the indexed ones (KEY_COLUMNS) only of those where they changed.
        unindexed = [c for c in STATE_COLUMNS if c not in ("id", "code", *KEY_COLUMNS)]
        self.write_state = _update(dialect, unindexed)
        self.write_keys = _update(dialect, list(KEY_COLUMNS))

    @staticmethod
    def rows(records: Sequence[dict[str, Any]]) -> dict[str, str]:
        """The `:rows` parameter: the records as one JSON array (timestamps already through `stamp`)."""
        return {"rows": orjson.dumps(records).decode()}


_BY_DIALECT: dict[str, Statements] = {}


def statements(session: AsyncSession) -> Statements:
    dialect = session.bind.dialect.name
    found = _BY_DIALECT.get(dialect)
    if found is None:
        found = _BY_DIALECT[dialect] = Statements(dialect)
    return found
