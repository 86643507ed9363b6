"""Procedure search: folded word-prefix matching over a real full-text index, ranked alike on both databases.

- Every word of the query (folded: no case, no diacritics, đ → d) must be the start of a word of the
  procedure's code, names (Vietnamese and English), required documents or steps.
- The index finds the candidates: SQLite's FTS5 table `procedures_fts` (prefix queries `"giay"* AND "ph"*`;
  its prefix='1 2 3' index serves short prefixes), PostgreSQL's GIN index over
  `to_tsvector('simple', search_name || ' ' || search_body)` (`giay:* & ph:*`). Both see the same folded
  words, so they find the same rows. A procedure whose code equals the query is a candidate too.
- Rank: 0 the code equals the query; 1 the names contain the query's words in a row ("giay phep xay"
  in "Cấp giấy phép xây dựng"); 2 the names contain every word; 3 otherwise (documents, steps).
  Inside a rank, by folded name then id. The rank is a substring test on the candidates only (a word start
  is " " + word inside " " + search_name): instr() on SQLite, strpos() on PostgreSQL, the same test.

Statements are built once per shape (database, which filters, how many words, total or not) with bound
parameters, and reused: building and cache-keying a statement this size cost about 1 ms per request.
A page is one statement; see _page_statement and _count_statement. On PostgreSQL a broad search (more than
WALK_ABOVE candidates) takes its page from the names in alphabetical order when its words stand in a row
in enough names (_walked_ranking): the same page, without ranking thousands of candidates.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Alias,
    ColumnElement,
    Integer,
    Row,
    Select,
    String,
    and_,
    bindparam,
    case,
    column,
    func,
    literal_column,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased

from server.catalog.models import Agency, Procedure, Sector
from server.text import words


@dataclass(frozen=True)
class ProcedureFilter:
    search: str | None = None
    sector_id: int | None = None
    agency_id: int | None = None
    level: str | None = None


@dataclass(frozen=True)
class ProcedurePage:
    """One page of procedures. Each row holds the procedure's columns under the model's names (without the
    folded search columns), and its agency's and sector's columns prefixed `agency__` / `sector__`."""

    rows: list[Row[Any]]
    has_next: bool
    total: int | None  # None when the caller did not ask for it


# The listed procedure with the agency and sector a list shows, read in the page's statement: a page costs
# no further statement (nor request-time loader round) for them.
PAGE_COLUMNS = [
    *(column for column in Procedure.__table__.c if column.name not in ("search_name", "search_body")),
    *(column.label(f"agency__{column.name}") for column in Agency.__table__.c),
    *(column.label(f"sector__{column.name}") for column in Sector.__table__.c),
]


# Procedure columns a page may leave out when its reader does not show them.
OMITTABLE = frozenset({"required_documents", "steps", "legal_basis"})


class _RankIndexed(Alias):
    """`procedures AS hits INDEXED BY ix_procedures_search_rank` on SQLite: ranking then reads narrow index
    entries (id, code, search_name, filters) for every candidate, not the wide rows with documents and
    steps: about 2x faster for a short prefix. SQLAlchemy renders no table hints for SQLite, hence this."""

    inherit_cache = True
    INDEX = "ix_procedures_search_rank"


@compiles(_RankIndexed, "sqlite")
def _render_rank_indexed(element: _RankIndexed, compiler: Any, **kw: Any) -> str:
    rendered = compiler.visit_alias(element, **kw)
    return f"{rendered} INDEXED BY {element.INDEX}" if kw.get("asfrom") else rendered


@lru_cache(maxsize=2)
def _ranking_source(dialect: str) -> Any:
    """The procedures that ranking reads: through the narrow index on SQLite (PostgreSQL's planner picks)."""
    if dialect == "sqlite":
        return aliased(Procedure, _RankIndexed._construct(Procedure.__table__, name="hits"))
    return aliased(Procedure, name="hits")


@dataclass(frozen=True)
class _Shape:
    """What a statement's text depends on; the values travel as parameters (see _parameters)."""

    dialect: str
    sector: bool
    agency: bool
    level: bool
    terms: int  # words in the search; 0 without one


def _shape(dialect: str, wanted: ProcedureFilter) -> _Shape:
    return _Shape(
        dialect,
        wanted.sector_id is not None,
        wanted.agency_id is not None,
        wanted.level is not None,
        len(words(wanted.search)),
    )


def _parameters(dialect: str, wanted: ProcedureFilter) -> dict[str, Any]:
    terms = words(wanted.search)
    values: dict[str, Any] = {
        "sector_id": wanted.sector_id,
        "agency_id": wanted.agency_id,
        "level": wanted.level,
    }
    if terms:
        values["code"] = (wanted.search or "").strip()
        # Terms are [a-z0-9]+ (server.text.fold): quoting them is all FTS5 needs, and tsquery needs nothing.
        if dialect == "sqlite":
            values["match"] = " AND ".join(f'"{term}"*' for term in terms)
        else:
            values["match"] = " & ".join(f"{term}:*" for term in terms)
        values["phrase"] = " " + " ".join(terms)
        values.update({f"word{i}": f" {term}" for i, term in enumerate(terms)})
    return values


def _candidates(dialect: str, source: Any) -> ColumnElement[bool]:
    """The code match, or rows whose folded text has a word starting with each term: through the index."""
    if dialect == "sqlite":
        # A list of ids, not `code = :code OR id IN (…)`: with the OR, SQLite tests every procedure.
        matched = text(
            "SELECT rowid FROM procedures_fts WHERE procedures_fts MATCH :match "
            "UNION ALL SELECT id FROM procedures WHERE code = :code"
        ).bindparams(bindparam("match", type_=String), bindparam("code", type_=String))
        return source.id.in_(matched.columns(literal_column("rowid")))
    # Literally the indexed expression: with a bound ' ' it would not match, and the index would go unused.
    folded = source.search_name.op("||")(literal_column("' '")).op("||")(source.search_body)
    document = func.to_tsvector(literal_column("'simple'::regconfig"), folded)
    query = func.to_tsquery(literal_column("'simple'::regconfig"), bindparam("match", type_=String))
    return or_(source.code == bindparam("code", type_=String), document.op("@@")(query))


def _in_name(dialect: str, source: Any, needles: list[str]) -> ColumnElement[bool]:
    """The folded names contain each needle (" " + words): word starts. A plain substring test, where
    LIKE '% giay%' would do the same at 2-3x the cost per candidate on both databases."""
    padded = literal_column("' '", String).op("||")(source.search_name)
    position = func.instr if dialect == "sqlite" else func.strpos
    return and_(*(position(padded, bindparam(needle, type_=String)) > 0 for needle in needles))


def _by_name(dialect: str, column: Any) -> Any:
    # Folded names are ASCII: byte order is alphabetical order, and the same on both databases.
    return column.collate("C") if dialect == "postgresql" else column


def _conditions(shape: _Shape, source: Any) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if shape.sector:
        conditions.append(source.sector_id == bindparam("sector_id", type_=Integer))
    if shape.agency:
        conditions.append(source.agency_id == bindparam("agency_id", type_=Integer))
    if shape.level:
        conditions.append(source.level == bindparam("level", type_=String))
    if shape.terms:
        conditions.append(_candidates(shape.dialect, source))
    return conditions


def _rank_keys(shape: _Shape, source: Any) -> list[Any]:
    keys: list[Any] = []
    if shape.terms:
        keys.append(
            case(
                (source.code == bindparam("code", type_=String), 0),
                (_in_name(shape.dialect, source, ["phrase"]), 1),
                (_in_name(shape.dialect, source, [f"word{i}" for i in range(shape.terms)]), 2),
                else_=3,
            )
        )
    return [*keys, _by_name(shape.dialect, source.search_name), source.id]


# A search with more candidates than this first tries its page from the names in alphabetical order (see
# _walked_ranking): ranking 3,000 candidates costs ~2 ms on PostgreSQL, walking to the first 21 with the
# words in a row in their name ~0.1 ms. Below it, ranking every candidate is the cheaper of the two.
WALK_ABOVE = 200
# How many names a walk reads at most, per row it needs: a broad search's first rank-1 names lie within
# a few hundred of the alphabet's start ("giay ph": 21 within 233).
WALK_RATIO = 20


def _ranked_all(shape: _Shape, window: bool) -> Select[Any]:
    """Every candidate's rank keys, ordered, limited to the page (parameters `offset`, `limit`)."""
    source = _ranking_source(shape.dialect)
    keys = [key.label(f"key{i}") for i, key in enumerate(_rank_keys(shape, source))]
    counted = [func.count().over().label("total")] if window else []
    return select(source.id.label("hit"), *keys, *counted).where(*_conditions(shape, source)).order_by(*keys)


def _walked_ranking(shape: _Shape) -> tuple[Any, Any]:
    """PostgreSQL, a search with its total: (the ranked page's subquery, the total as a scalar subquery).

    The page of a broad search ("giay ph": 2,966 of 5,000) is almost always made of rank-1 procedures (the
    query's words in a row in the name), and those are found in alphabetical order by walking the names'
    index (`ix_fts_procedures_name_order`, search_name COLLATE "C", id) until the page is full: rank 1 is
    ordered by name then id, and a rank-1 name is always a candidate (its folded words start with the
    terms). So, in one statement:
    - `candidates` finds them once through the GIN index, `total` counts them (the page shows it anyway);
    - `tier1`, only when more than WALK_ABOVE match: the first offset+limit rank-1 procedures by name;
    - when those fill the page, the page is the code match (rank 0, if any) then them;
    - otherwise (few candidates, or few of them rank 1 among the first names) every candidate is ranked.
    PostgreSQL runs only the branch whose one-time condition holds; the result equals the full ranking.
    """
    counted = aliased(Procedure, name="counted")
    # The candidates' ids, found once: counted here, ranked below when the walk does not fill the page.
    candidates = (
        select(counted.id).where(*_conditions(shape, counted)).cte("candidates").prefix_with("MATERIALIZED")
    )
    total = select(func.count().label("n")).select_from(candidates).cte("total")
    matching = select(total.c.n).scalar_subquery()
    walked = aliased(Procedure, name="walked")
    code = bindparam("code", type_=String)
    needed = bindparam("offset", type_=Integer) + bindparam("limit", type_=Integer)
    filters = _conditions(replace(shape, terms=0), walked)
    # The walk reads at most `walk` names (a bound parameter, WALK_RATIO x the rows needed): the first of
    # them in name order that are rank 1 are the first rank-1 procedures. When the query's words rarely
    # stand in a row in names, the walk gives up there and every candidate is ranked instead.
    prefix = (
        select(walked.id, walked.code, walked.search_name)
        .where(*filters, matching > WALK_ABOVE)
        .order_by(_by_name(shape.dialect, walked.search_name), walked.id)
        .limit(bindparam("walk", type_=Integer))
        .subquery("prefix")
    )
    tier1 = (
        select(
            prefix.c.id.label("hit"),
            literal_column("1").label("key0"),
            _by_name(shape.dialect, prefix.c.search_name).label("key1"),
            prefix.c.id.label("key2"),
        )
        .where(prefix.c.code != code, _in_name(shape.dialect, prefix.c, ["phrase"]))
        .order_by(_by_name(shape.dialect, prefix.c.search_name), prefix.c.id)
        .limit(needed)
        .cte("tier1")
        .prefix_with("MATERIALIZED")
    )
    found = select(func.count()).select_from(tier1).scalar_subquery()
    exact = aliased(Procedure, name="exact")
    rank0 = select(
        exact.id.label("hit"),
        literal_column("0").label("key0"),
        _by_name(shape.dialect, exact.search_name).label("key1"),
        exact.id.label("key2"),
    ).where(*_conditions(replace(shape, terms=0), exact), exact.code == code, found >= needed)
    rank1 = select(tier1.c.hit, tier1.c.key0, tier1.c.key1, tier1.c.key2).where(found >= needed)
    source = _ranking_source(shape.dialect)
    keys = [key.label(f"key{i}") for i, key in enumerate(_rank_keys(shape, source))]
    everything = (
        select(source.id.label("hit"), *keys)
        .where(source.id.in_(select(candidates.c.id)), found < needed)
        .order_by(*keys)
        .limit(needed)
    )
    ranked = union_all(rank0, rank1, everything.subquery("everything").select())
    return ranked, matching


@lru_cache(maxsize=256)
def _page_statement(shape: _Shape, with_total: bool, omit: frozenset[str]) -> Select[Any]:
    """The page (parameters `offset`, `limit`): candidates ranked over narrow index entries, the page's ids
    (one past its end, to tell whether more follow) joined to their wide rows, agencies and sectors.
    The total: on PostgreSQL a search counts in a CTE and takes its page from the names' order when it can
    (_walked_ranking), a list without search uses a window count over the ranked candidates (measured
    cheaper there than a CTE or a second scan); on SQLite an uncorrelated scalar subquery (evaluated once;
    see _count_statement), cheaper there than materialising the candidates for a window."""
    columns: list[Any] = [column for column in PAGE_COLUMNS if column.name not in omit]
    if shape.dialect == "postgresql" and shape.terms and with_total:
        union, matching = _walked_ranking(shape)
        inner = union.subquery("page")
        ranked = (
            select(inner)
            .order_by(inner.c.key0, _by_name(shape.dialect, inner.c.key1), inner.c.key2)
            .offset(bindparam("offset", type_=Integer))
            .limit(bindparam("limit", type_=Integer))
            .subquery("ranked")
        )
        columns.append(matching.label("total"))
    else:
        window = with_total and shape.dialect == "postgresql"
        ranked = (
            _ranked_all(shape, window)
            .offset(bindparam("offset", type_=Integer))
            .limit(bindparam("limit", type_=Integer))
            .subquery("ranked")
        )
        if window:
            columns.append(ranked.c.total)
        elif with_total:
            count = _count_statement(shape)
            if isinstance(count, Select):  # its procedures are not the outer query's
                count = count.correlate(None)
            columns.append(count.scalar_subquery().label("total"))
    order = [ranked.c.key0, ranked.c.key1, ranked.c.key2] if shape.terms else [ranked.c.key0, ranked.c.key1]
    order[-2] = _by_name(shape.dialect, order[-2])  # the folded name, compared byte by byte again
    return (
        select(*columns)
        .select_from(ranked)
        .join(Procedure, Procedure.id == ranked.c.hit)
        .join(Agency, Agency.id == Procedure.agency_id)
        .join(Sector, Sector.id == Procedure.sector_id)
        .order_by(*order)
    )


@lru_cache(maxsize=256)
def _count_statement(shape: _Shape) -> Any:
    """How many match. A search without filters on SQLite is counted in the full-text index alone (plus a
    procedure with that code the index did not match): 4x cheaper than testing every match against the
    procedures, which the count with filters must do."""
    if shape.dialect == "sqlite" and shape.terms and not (shape.sector or shape.agency or shape.level):
        return (
            text(
                "SELECT (SELECT count(*) FROM procedures_fts WHERE procedures_fts MATCH :match)"
                " + (SELECT count(*) FROM procedures WHERE code = :code AND id NOT IN"
                " (SELECT rowid FROM procedures_fts WHERE procedures_fts MATCH :match)) AS n"
            )
            .bindparams(bindparam("match", type_=String), bindparam("code", type_=String))
            .columns(column("n", Integer))
        )
    source = _ranking_source(shape.dialect)
    return select(func.count()).select_from(source).where(*_conditions(shape, source))


async def find_procedures(
    session: AsyncSession,
    wanted: ProcedureFilter,
    offset: int,
    limit: int,
    *,
    with_total: bool = True,
    omit: frozenset[str] = frozenset(),
) -> ProcedurePage:
    """One page of matching procedures, whether more follow, and (`with_total`) how many match in all.
    `omit`: wide columns of OMITTABLE the caller will not read (JSON lists: decoding them is per row work).

    One statement (see _page_statement); only a page past the end costs a plain count as well.
    """
    dialect = session.bind.dialect.name
    if limit == 0:
        return ProcedurePage([], False, await count_procedures(session, wanted) if with_total else None)
    shape = _shape(dialect, wanted)
    values = {**_parameters(dialect, wanted), "offset": offset, "limit": limit + 1}
    values["walk"] = WALK_RATIO * (offset + limit + 1)
    # On the session's connection (Core): the ORM's result machinery costs ~0.2 ms a page for plain rows.
    connection = await session.connection()
    statement = _page_statement(shape, with_total, omit & OMITTABLE)
    rows = list((await connection.execute(statement, values)).all())
    if rows:
        return ProcedurePage(rows[:limit], len(rows) > limit, rows[0].total if with_total else None)
    if not with_total:
        return ProcedurePage([], False, None)
    return ProcedurePage([], False, await count_procedures(session, wanted) if offset > 0 else 0)


async def count_procedures(session: AsyncSession, wanted: ProcedureFilter) -> int:
    """How many procedures match the filter."""
    dialect = session.bind.dialect.name
    statement = _count_statement(_shape(dialect, wanted))
    return await session.scalar(statement, _parameters(dialect, wanted)) or 0
