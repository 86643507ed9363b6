"""Import of procedures from the national catalogue's exports (JSON or CSV), all or nothing.

What is accepted is documented in docs/catalogue.md. In short: a row is a procedure keyed by its code; a
second import of the same code updates it; any malformed row aborts the whole file, and every problem is
reported with its place (CSV line, JSON array index) and reason.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from server.catalog.models import Agency, Procedure, Sector
from server.catalog.service import LEVELS, search_fields
from server.db import utcnow
from server.text import fold, nfc

# Folded column name → field. English camelCase keys and the national portal's Vietnamese headers.
ALIASES: dict[str, str] = {
    "code": "code",
    "ma thu tuc": "code",
    "ma tthc": "code",
    "name": "name",
    "ten thu tuc": "name",
    "nameen": "nameEn",
    "name en": "nameEn",
    "ten tieng anh": "nameEn",
    "sectorcode": "sectorCode",
    "ma linh vuc": "sectorCode",
    "sector": "sector",
    "linh vuc": "sector",
    "sectorname": "sectorName",
    "ten linh vuc": "sectorName",
    "sectornameen": "sectorNameEn",
    "agencycode": "agencyCode",
    "ma co quan": "agencyCode",
    "agency": "agency",
    "co quan thuc hien": "agency",
    "agencyname": "agency",
    "level": "level",
    "muc do": "level",
    "cap thuc hien muc do": "level",
    "muc do dvc": "level",
    "muc do dich vu cong": "level",
    "muc do dich vu cong truc tuyen": "level",
    "processingtime": "processingTime",
    "thoi han giai quyet": "processingTime",
    "processingdays": "processingDays",
    "so ngay giai quyet": "processingDays",
    "fee": "fee",
    "phi le phi": "fee",
    "phi": "fee",
    "le phi": "fee",
    "requireddocuments": "requiredDocuments",
    "thanh phan ho so": "requiredDocuments",
    "steps": "steps",
    "trinh tu thuc hien": "steps",
    "legalbasis": "legalBasis",
    "can cu phap ly": "legalBasis",
}
REQUIRED = {"code": "Mã thủ tục", "name": "Tên thủ tục", "processingTime": "Thời hạn giải quyết"}

LEVEL_WORDS = [  # folded value → level; first match wins, so the specific phrases come first
    ("full online", "FULL_ONLINE"),
    ("toan trinh", "FULL_ONLINE"),
    ("muc do 4", "FULL_ONLINE"),
    ("partial online", "PARTIAL_ONLINE"),
    ("mot phan", "PARTIAL_ONLINE"),
    ("muc do 3", "PARTIAL_ONLINE"),
    ("information", "INFORMATION"),
    ("cung cap thong tin", "INFORMATION"),
    ("muc do 2", "INFORMATION"),
    ("muc do 1", "INFORMATION"),
    ("truc tiep", "INFORMATION"),
]
_QUANTITY = [
    re.compile(
        r"^(?P<name>.*?)[\s,;:(-]*(?:x|số lượng|so luong)\s*:?\s*(?P<n>\d+)\s*(?:bản|ban)?\)?\s*$", re.I
    ),
    re.compile(r"^(?P<name>.*?)[\s,;:(-]+(?P<n>\d+)\s*(?:bản|ban)\b[^)]*\)?\s*$", re.I),
]
_BULLET = re.compile(r"^\s*(?:[-+•*–]\s*)+")
_DAYS = re.compile(r"(\d+)\s*ngày", re.I)
MAX_CODE = 64


class CatalogImportError(Exception):
    """The file was not imported; `problems` lists (place, reason) for every malformed row found."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{where}: {reason}" for where, reason in problems))
        self.problems = problems


@dataclass
class ProcedureRecord:
    where: str
    code: str
    name: str
    name_en: str | None
    sector_code: str | None
    sector: str | None  # a sector code or name, as the row gives it
    sector_name: str | None
    sector_name_en: str | None
    agency_code: str | None
    agency: str | None  # an agency code or name
    level: str
    processing_time: str
    processing_days: int | None
    fee: str
    documents: list[dict[str, Any]] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    legal_basis: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    sectors_created: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- reading files


def read_rows(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(place, raw row) pairs of a JSON or CSV file; CatalogImportError when the file itself is unreadable."""
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogImportError([(str(path), f"cannot read the file as UTF-8 ({exc})")]) from None
    if path.suffix.lower() == ".json" or raw.lstrip().startswith(("[", "{")):
        return _json_rows(raw)
    return _csv_rows(raw)


def _json_rows(raw: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CatalogImportError([(f"line {exc.lineno}", f"not valid JSON ({exc.msg})")]) from None
    if isinstance(data, dict):
        data = data.get("procedures")
    if not isinstance(data, list):
        raise CatalogImportError([("file", 'expected a JSON list of procedures or {"procedures": [...]}')])
    rows: list[tuple[str, dict[str, Any]]] = []
    for index, item in enumerate(data):
        where = f"index {index}"
        if not isinstance(item, dict):
            raise CatalogImportError([(where, "not a JSON object")])
        rows.append((where, item))
    return rows


def _delimiter(raw: str) -> str:
    """The delimiter (',', ';' or tab) under which the header names the most known columns."""
    first = raw.split("\n", 1)[0]

    def known(delimiter: str) -> int:
        header = next(csv.reader([first], delimiter=delimiter), [])
        return sum(1 for name in header if ALIASES.get(fold(name)))

    return max((",", ";", "\t"), key=known)


def _csv_rows(raw: str) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(raw, newline=""), delimiter=_delimiter(raw))
    try:
        header = next(reader)
    except StopIteration:
        raise CatalogImportError([("line 1", "the file is empty")]) from None
    except csv.Error as exc:
        raise CatalogImportError([("line 1", f"not valid CSV ({exc})")]) from None
    named = {ALIASES.get(fold(name)) for name in header}
    absent = [f"{key} ({vi})" for key, vi in REQUIRED.items() if key not in named]
    if absent:
        raise CatalogImportError([("line 1", "the header lacks the column(s) " + ", ".join(absent))])
    rows: list[tuple[str, dict[str, Any]]] = []
    start = reader.line_num + 1  # a quoted cell may span lines: a row is named by the line it starts on
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise CatalogImportError([(f"line {start}", f"not valid CSV ({exc})")]) from None
        if any(cell.strip() for cell in cells):
            if len(cells) > len(header):
                rows.append(
                    (f"line {start}", {"__error__": f"{len(cells)} cells but the header has {len(header)}"})
                )
            else:
                rows.append((f"line {start}", dict(zip(header, cells, strict=False))))
        start = reader.line_num + 1
    return rows


# ---------------------------------------------------------------- parsing rows


def _canonical(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        name = ALIASES.get(fold(str(key))) or ALIASES.get(str(key).lower())
        if name is not None and value not in (None, ""):
            out[name] = nfc(value) if isinstance(value, str) else value
    return out


def _text(row: dict[str, Any], key: str) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    if not isinstance(value, (str, int, float)):
        raise ValueError(f"{key} must be text")
    text = " ".join(str(value).split())
    return text or None


def _items(value: Any, key: str) -> list[Any]:
    """A list cell: a JSON list, or text with one item per line or separated by ';'."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        parts = re.split(r"[\n;]", value)
        return [_BULLET.sub("", " ".join(part.split())) for part in parts if part.strip()]
    raise ValueError(f"{key} must be a list or text")


def _positive(value: Any, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())
    ):
        raise ValueError(f"{what} must be a whole number, got {value!r}")
    number = int(value)
    if number < minimum:
        raise ValueError(f"{what} must be at least {minimum}, got {number}")
    return number


def _document(item: Any) -> dict[str, Any]:
    if isinstance(item, dict):
        name = " ".join(str(item.get("name") or "").split())
        if not name:
            raise ValueError("a required document has no name")
        quantity = _positive(item.get("quantity", 1), f"quantity of {name!r}", 1)
        return {"name": nfc(name), "quantity": quantity}
    if not isinstance(item, str):
        raise ValueError("a required document must be text or {name, quantity}")
    for pattern in _QUANTITY:
        match = pattern.match(item)
        if match and match.group("name").strip():
            return {
                "name": match.group("name").strip(" ,;:(-"),
                "quantity": _positive(match.group("n"), item, 1),
            }
    return {"name": item, "quantity": 1}


def parse_level(value: str | None) -> str:
    if value is None:
        return "INFORMATION"
    if value.upper() in LEVELS:
        return value.upper()
    folded = fold(value)
    for words, level in LEVEL_WORDS:
        if words in folded:
            return level
    raise ValueError(
        f"unknown level {value!r} (INFORMATION, PARTIAL_ONLINE, FULL_ONLINE, 'Toàn trình', 'Một phần')"
    )


def parse_days(processing_time: str) -> int | None:
    match = _DAYS.search(processing_time)
    return int(match.group(1)) if match else None


def parse_row(where: str, raw: dict[str, Any]) -> ProcedureRecord:
    """One procedure from a raw row; ValueError with the reason when the row is malformed."""
    if "__error__" in raw:
        raise ValueError(raw["__error__"])
    row = _canonical(raw)
    missing = [f"{key} ({vi})" for key, vi in REQUIRED.items() if not _text(row, key)]
    if not (row.get("sectorCode") or row.get("sector")):
        missing.append("sectorCode or sector (Lĩnh vực)")
    if not (row.get("agencyCode") or row.get("agency")):
        missing.append("agencyCode or agency (Cơ quan thực hiện)")
    if missing:
        raise ValueError("missing " + ", ".join(missing))
    code = _text(row, "code") or ""
    if len(code) > MAX_CODE or " " in code:
        raise ValueError(f"procedure code {code!r} is not a code (no spaces, at most {MAX_CODE} characters)")
    processing_time = _text(row, "processingTime") or ""
    days = row.get("processingDays")
    documents = [_document(item) for item in _items(row.get("requiredDocuments"), "requiredDocuments")]
    steps = [" ".join(str(s).split()) for s in _items(row.get("steps"), "steps") if str(s).strip()]
    legal = [" ".join(str(s).split()) for s in _items(row.get("legalBasis"), "legalBasis") if str(s).strip()]
    return ProcedureRecord(
        where=where,
        code=code,
        name=_text(row, "name") or "",
        name_en=_text(row, "nameEn"),
        sector_code=_text(row, "sectorCode"),
        sector=_text(row, "sector"),
        sector_name=_text(row, "sectorName"),
        sector_name_en=_text(row, "sectorNameEn"),
        agency_code=_text(row, "agencyCode"),
        agency=_text(row, "agency"),
        level=parse_level(_text(row, "level")),
        processing_time=processing_time,
        processing_days=_positive(days, "processingDays", 0)
        if days is not None
        else parse_days(processing_time),
        fee=_text(row, "fee") or "Không",
        documents=documents,
        steps=[nfc(s) for s in steps],
        legal_basis=[nfc(s) for s in legal],
    )


def check_rows(rows: list[tuple[str, dict[str, Any]]]) -> tuple[list[ProcedureRecord], list[tuple[str, str]]]:
    """The well-formed records, and (place, reason) for every malformed row."""
    records: list[ProcedureRecord] = []
    problems: list[tuple[str, str]] = []
    first_seen: dict[str, str] = {}
    for where, raw in rows:
        try:
            record = parse_row(where, raw)
        except ValueError as exc:
            problems.append((where, str(exc)))
            continue
        if record.code in first_seen:
            problems.append((where, f"procedure code {record.code} repeats {first_seen[record.code]}"))
            continue
        first_seen[record.code] = where
        records.append(record)
    return records, problems


def parse_rows(rows: list[tuple[str, dict[str, Any]]]) -> list[ProcedureRecord]:
    records, problems = check_rows(rows)
    if problems:
        raise CatalogImportError(problems)
    return records


# ---------------------------------------------------------------- writing


def _sector_code_from_name(name: str) -> str:
    return fold(name).upper().replace(" ", "-")[:MAX_CODE] or "SECTOR"


async def import_records(
    session: AsyncSession, records: list[ProcedureRecord], problems: list[tuple[str, str]] | None = None
) -> ImportResult:
    """Create or update the procedures (by code) in the session's transaction; the caller commits.

    Sectors are found by code, else by name (folded); an unknown one is created from the row's sector name
    (its code from sectorCode, or made from the name). Agencies must exist (by code, else by folded name):
    an unknown agency makes the row malformed, since an agency needs contact data a catalogue row lacks.
    `problems` found earlier (malformed rows) are reported together with these, in file order.
    """
    result = ImportResult()
    sectors = list(await session.scalars(select(Sector)))
    sector_by_code = {s.code: s.id for s in sectors}
    sector_by_name = {fold(s.name): s.id for s in sectors}
    agency_rows = (await session.execute(select(Agency.id, Agency.code, Agency.name))).all()
    agency_by_code = {code: pk for pk, code, _ in agency_rows}
    agency_by_name = {fold(name): pk for pk, _, name in agency_rows}

    earlier = list(problems or [])
    problems = []
    new_sectors: dict[str, dict[str, Any]] = {}
    resolved: list[tuple[ProcedureRecord, str, int]] = []  # record, sector code, agency id
    for record in records:
        agency_id = agency_by_code.get(record.agency_code or "") or agency_by_code.get(record.agency or "")
        if agency_id is None and record.agency:
            agency_id = agency_by_name.get(fold(record.agency))
        if agency_id is None:
            problems.append((record.where, f"unknown agency {record.agency_code or record.agency!r}"))
            continue
        sector_code = _resolve_sector(record, sector_by_code, sector_by_name, new_sectors)
        if sector_code is None:
            problems.append(
                (record.where, f"unknown sector code {record.sector_code!r} and no sector name to create it")
            )
            continue
        resolved.append((record, sector_code, agency_id))
    if earlier or problems:
        raise CatalogImportError(_in_file_order(earlier + problems))

    now = utcnow()
    if new_sectors:
        await session.execute(insert(Sector), [{**s, "updated_at": now} for s in new_sectors.values()])
        result.sectors_created = sorted(new_sectors)
        sector_by_code.update(
            {
                code: pk
                for pk, code in await session.execute(
                    select(Sector.id, Sector.code).where(Sector.code.in_(list(new_sectors)))
                )
            }
        )

    existing = {p.code: p for p in await session.scalars(select(Procedure))}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for record, sector_code, agency_id in resolved:
        values = _values(record, sector_by_code[sector_code], agency_id)
        current = existing.get(record.code)
        if current is None:
            inserts.append({**values, "updated_at": now})
        else:
            if values["name_en"] is None:  # a Vietnamese-only export keeps the English name we have
                values["name_en"] = current.name_en
                values.update(
                    search_fields(record.code, record.name, current.name_en, record.documents, record.steps)
                )
            if any(getattr(current, key) != value for key, value in values.items()):
                updates.append({**values, "id": current.id, "updated_at": now})
            else:
                result.unchanged += 1
    if inserts:
        await session.execute(insert(Procedure), inserts)
    if updates:
        await session.execute(update(Procedure), updates)
    if (inserts or updates) and session.bind.dialect.name == "sqlite":
        # The triggers wrote the full-text index row by row, into many small segments that every prefix
        # query then merges; merged into one, a short prefix ("giay ph") is read about 2x faster.
        await session.execute(text("INSERT INTO procedures_fts(procedures_fts) VALUES('optimize')"))
    if (inserts or updates) and session.bind.dialect.name == "postgresql":
        # GIN's fast update parks new entries in a pending list that every search then scans linearly
        # until a vacuum merges it (a manual ANALYZE does not): after 5,000 imported procedures, ~550
        # entries and ~0.35 ms on every search, up to 0.4 ms of a selective one's 1.3. Merged here, if we
        # may: only the index's owner can, and a deployment whose app role does not own its tables must
        # still import (autovacuum merges the list later), so a refusal rolls back to the savepoint only.
        try:
            async with session.begin_nested():
                await session.execute(text("SELECT gin_clean_pending_list('ix_fts_procedures'::regclass)"))
        except DBAPIError:
            pass
    result.created, result.updated = len(inserts), len(updates)
    return result


def _resolve_sector(
    record: ProcedureRecord,
    by_code: dict[str, int],
    by_name: dict[str, int],
    new: dict[str, dict[str, Any]],
) -> str | None:
    codes = {pk: code for code, pk in by_code.items()}
    for candidate in (record.sector_code, record.sector):
        if candidate and (candidate in by_code or candidate in new):
            return candidate
    for candidate in (record.sector_name, record.sector):
        if candidate and fold(candidate) in by_name:
            return codes[by_name[fold(candidate)]]
        if candidate:
            for code, sector in new.items():
                if fold(sector["name"]) == fold(candidate):
                    return code
    name = record.sector_name or (record.sector if record.sector != record.sector_code else None)
    if not name:
        return None
    code = record.sector_code or _sector_code_from_name(name)
    new[code] = {"code": code, "name": name, "name_en": record.sector_name_en}
    return code


def _values(record: ProcedureRecord, sector_id: int, agency_id: int) -> dict[str, Any]:
    return {
        "code": record.code,
        "name": record.name,
        "name_en": record.name_en,
        "sector_id": sector_id,
        "agency_id": agency_id,
        "level": record.level,
        "processing_time": record.processing_time,
        "processing_days": record.processing_days,
        "fee": record.fee,
        "required_documents": record.documents,
        "steps": record.steps,
        "legal_basis": record.legal_basis,
        **search_fields(record.code, record.name, record.name_en, record.documents, record.steps),
    }


def _in_file_order(problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
    def position(problem: tuple[str, str]) -> int:
        number = problem[0].rsplit(" ", 1)[-1]
        return int(number) if number.isdigit() else -1

    return sorted(problems, key=position)


async def import_file(session: AsyncSession, path: Path) -> ImportResult:
    """Check and import a whole file in the session's transaction (the caller commits)."""
    records, problems = check_rows(read_rows(path))
    return await import_records(session, records, problems)
