"""Procedure search: folded word-prefix matching over a real full-text index, ranked alike on both databases.

- Every word of the query (folded: no case, no diacritics, đ → d) must be the start of a word of the
  procedure's code, names (Vietnamese and English), required documents or steps.
- The index finds the candidates: SQLite's FTS5 table `procedures_fts` (prefix queries `"giay"* AND "ph"*`),
  PostgreSQL's GIN index over `to_tsvector('simple', search_name || ' ' || search_body)` (`giay:* & ph:*`).
  Both see the same folded words, so they find the same rows.
- Rank: 0 the code equals the query; 1 the names contain the query's words in a row ("giay phep xay"
  in "Cấp giấy phép xây dựng"); 2 the names contain every word; 3 otherwise (documents, steps).
  Inside a rank, by folded name then id. The rank is computed by a LIKE on the candidates only (word starts
  are " " + word inside " " + search_name), identical on both databases.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, literal_column, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from server.catalog.models import Procedure
from server.text import words


@dataclass(frozen=True)
class ProcedureFilter:
    search: str | None = None
    sector_id: int | None = None
    agency_id: int | None = None
    level: str | None = None


def _index_match(dialect: str, terms: list[str]) -> ColumnElement[bool]:
    """Rows whose folded text has a word starting with each term: through the full-text index."""
    if dialect == "sqlite":
        # Terms are [a-z0-9]+ (server.text.fold), so quoting them is all FTS5 needs.
        expression = " AND ".join(f'"{term}"*' for term in terms)
        matched = text("SELECT rowid FROM procedures_fts WHERE procedures_fts MATCH :fts").bindparams(
            fts=expression
        )
        return Procedure.id.in_(matched.columns(literal_column("rowid")))
    query = " & ".join(f"{term}:*" for term in terms)
    # Literally the indexed expression: with a bound ' ' it would not match, and the index would go unused.
    folded = Procedure.search_name.op("||")(literal_column("' '")).op("||")(Procedure.search_body)
    document = func.to_tsvector(literal_column("'simple'::regconfig"), folded)
    return document.op("@@")(func.to_tsquery(literal_column("'simple'::regconfig"), literal(query)))


def _in_name(terms: list[str]) -> ColumnElement[bool]:
    padded = " " + Procedure.search_name
    return and_(*(padded.like(f"% {term}%") for term in terms))


def _sort_name(dialect: str) -> ColumnElement[str]:
    # Folded names are ASCII: byte order is alphabetical order, and the same on both databases.
    return Procedure.search_name.collate("C") if dialect == "postgresql" else Procedure.search_name


def procedure_query(
    dialect: str, wanted: ProcedureFilter
) -> tuple[Select[tuple[Procedure]], Select[tuple[int]]]:
    """(page query without offset/limit, count query) for the filter, ranked as the module says."""
    conditions: list[ColumnElement[bool]] = []
    if wanted.sector_id is not None:
        conditions.append(Procedure.sector_id == wanted.sector_id)
    if wanted.agency_id is not None:
        conditions.append(Procedure.agency_id == wanted.agency_id)
    if wanted.level is not None:
        conditions.append(Procedure.level == wanted.level)
    order: list[ColumnElement[object]] = []
    terms = words(wanted.search)
    if terms:
        code = (wanted.search or "").strip()
        conditions.append(or_(Procedure.code == code, _index_match(dialect, terms)))
        order.append(
            case(
                (Procedure.code == code, 0),
                (_in_name([" ".join(terms)]), 1),
                (_in_name(terms), 2),
                else_=3,
            )
        )
    order.extend([_sort_name(dialect), Procedure.id])
    page = select(Procedure).where(*conditions).order_by(*order)
    count = select(func.count()).select_from(Procedure).where(*conditions)
    return page, count


async def find_procedures(
    session: AsyncSession, wanted: ProcedureFilter, offset: int, limit: int
) -> tuple[list[Procedure], int]:
    """One page of matching procedures and how many match in all.

    Two statements: the ranked ids of the page with the total riding along as a window count, then the
    page's rows. Ranking reads only narrow index entries (ix_procedures_search_rank) for every candidate;
    the wide rows are read for the page alone. A page past the end costs a plain count as well.
    """
    dialect = session.bind.dialect.name
    page, count = procedure_query(dialect, wanted)
    if limit == 0:
        return [], await session.scalar(count) or 0
    ranked = page.with_only_columns(Procedure.id, func.count().over().label("total"))
    if dialect == "sqlite":
        ranked = ranked.with_hint(Procedure, "INDEXED BY ix_procedures_search_rank", "sqlite")
    rows = (await session.execute(ranked.offset(offset).limit(limit))).all()
    if not rows:
        return [], (await session.scalar(count) or 0) if offset > 0 else 0
    ids = [row[0] for row in rows]
    found = {p.id: p for p in await session.scalars(select(Procedure).where(Procedure.id.in_(ids)))}
    return [found[i] for i in ids if i in found], rows[0][1]
