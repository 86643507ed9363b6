"""`citizen-hub import-catalog` against a running hub's database: CSV with the national portal's Vietnamese
headers and JSON with English keys; idempotent by code; a malformed row stops the whole file."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from tests.support import POSTGRES_URL, GraphQLClient, HubProcess, _run_in_thread, hub_command, query_db

PROCEDURE = """query($code: String!) { procedure(code: $code) {
  code name level processingTime processingDays fee requiredDocuments { name quantity } steps legalBasis
  sector { code name } agency { code } } }"""

CSV = (
    "Mã thủ tục;Tên thủ tục;Lĩnh vực;Cơ quan thực hiện;Mức độ;Thời hạn giải quyết;Phí, lệ phí;"
    "Thành phần hồ sơ;Trình tự thực hiện;Căn cứ pháp lý\n"
    "TEST.IMP.001;Cấp phép khai thác đặc sản biển thử nghiệm;Nuôi trồng đặc sản thử nghiệm;SNNMT;Toàn trình;"
    '10 ngày làm việc;100.000 đồng;"Đơn đề nghị (02 bản)\n'
    '- Bản sao căn cước x 1";"Bước 1: Nộp hồ sơ; Bước 2: Nhận kết quả";"Luật Thủy sản 2017\n'
    'Nghị định 26/2019/NĐ-CP"\n'
    "TEST.IMP.002;Xác nhận thử nghiệm thứ hai;HOTICH;Ủy ban nhân dân Phường Vũng Tàu;Một phần;"
    "Trong ngày;;;;\n"
)


def import_file(hub: HubProcess, path: Path) -> subprocess.CompletedProcess[str]:
    return hub.run_cli("import-catalog", str(path))


def total(gql: GraphQLClient, search: str) -> int:
    return gql("query($s: String) { procedures(search: $s) { totalCount } }", {"s": search})["procedures"][
        "totalCount"
    ]


def test_csv_with_vietnamese_headers_imports_and_reimports_without_duplicates(
    hub: HubProcess, gql: GraphQLClient, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(CSV, encoding="utf-8")
    done = import_file(hub, path)
    assert done.returncode == 0, done.stderr
    assert "2 created" in done.stdout
    first = gql(PROCEDURE, {"code": "TEST.IMP.001"})["procedure"]
    assert first["name"] == "Cấp phép khai thác đặc sản biển thử nghiệm"
    assert (
        first["level"] == "FULL_ONLINE" and first["processingDays"] == 10 and first["fee"] == "100.000 đồng"
    )
    assert first["requiredDocuments"] == [
        {"name": "Đơn đề nghị", "quantity": 2},
        {"name": "Bản sao căn cước", "quantity": 1},
    ]
    assert first["steps"] == ["Bước 1: Nộp hồ sơ", "Bước 2: Nhận kết quả"]
    assert first["legalBasis"] == ["Luật Thủy sản 2017", "Nghị định 26/2019/NĐ-CP"]
    # an unknown sector is created from its name; an agency may be named instead of coded
    assert first["sector"]["name"] == "Nuôi trồng đặc sản thử nghiệm"
    second = gql(PROCEDURE, {"code": "TEST.IMP.002"})["procedure"]
    assert second["agency"]["code"] == "UBND-VUNGTAU" and second["level"] == "PARTIAL_ONLINE"
    assert total(gql, "dac san bien thu nghiem") == 1  # searchable at once, without diacritics

    again = import_file(hub, path)
    assert again.returncode == 0 and "0 created, 0 updated, 2 unchanged" in again.stdout
    path.write_text(CSV.replace("10 ngày làm việc", "07 ngày làm việc"), encoding="utf-8")
    changed = import_file(hub, path)
    assert changed.returncode == 0 and "0 created, 1 updated" in changed.stdout
    assert gql(PROCEDURE, {"code": "TEST.IMP.001"})["procedure"]["processingDays"] == 7
    assert total(gql, "TEST.IMP.001") == 1


def test_json_with_english_keys_keeps_english_names_and_changes_the_etag(
    hub: HubProcess, gql: GraphQLClient, tmp_path: Path
) -> None:
    url = f"{hub.url}/graphql?{urlencode({'query': '{ sectors { code procedureCount } }'})}"
    etag = httpx.get(url).headers["etag"]
    assert httpx.get(url, headers={"If-None-Match": etag}).status_code == 304
    path = tmp_path / "export.json"
    row = {
        "code": "TEST.IMP.010",
        "name": "Đăng ký thử nghiệm tiếng Anh",
        "nameEn": "Trial registration in English",
        "sectorCode": "HOTICH",
        "agencyCode": "SNNMT",
        "level": "INFORMATION",
        "processingTime": "03 ngày làm việc",
        "fee": "Không",
        "requiredDocuments": [{"name": "Tờ khai", "quantity": 1}],
        "steps": ["Nộp hồ sơ"],
        "legalBasis": [],
    }
    path.write_text(json.dumps({"procedures": [row]}, ensure_ascii=False), encoding="utf-8")
    done = import_file(hub, path)
    assert done.returncode == 0, done.stderr
    english = GraphQLClient(hub.url, language="en")
    try:
        assert (
            english(PROCEDURE, {"code": "TEST.IMP.010"})["procedure"]["name"]
            == "Trial registration in English"
        )
    finally:
        english.close()
    assert total(gql, "trial registration") == 1
    assert httpx.get(url, headers={"If-None-Match": etag}).status_code == 200  # the catalogue changed


def test_a_malformed_row_is_reported_with_its_line_and_nothing_is_imported(
    hub: HubProcess, gql: GraphQLClient, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "Mã thủ tục,Tên thủ tục,Lĩnh vực,Cơ quan thực hiện,Mức độ,Thời hạn giải quyết\n"
        "TEST.BAD.001,Một thủ tục tốt,HOTICH,SNNMT,Toàn trình,5 ngày\n"
        'TEST.BAD.002,"Tên trải\nhai dòng",HOTICH,KHONG-CO-CO-QUAN,Toàn trình,5 ngày\n'
        ",Thiếu mã,HOTICH,SNNMT,Toàn trình,5 ngày\n"
        "TEST.BAD.004,Mức độ lạ,HOTICH,SNNMT,Mức độ 9,5 ngày\n",
        encoding="utf-8",
    )
    done = import_file(hub, path)
    assert done.returncode != 0
    lines = done.stderr.splitlines()
    assert any("line 3" in line and "unknown agency 'KHONG-CO-CO-QUAN'" in line for line in lines), (
        done.stderr
    )
    assert any("line 5" in line and "missing code" in line for line in lines), done.stderr
    assert any("line 6" in line and "unknown level" in line for line in lines), done.stderr
    assert "nothing imported" in done.stderr
    assert gql(PROCEDURE, {"code": "TEST.BAD.001"})["procedure"] is None  # the good row was not kept either

    bad_json = tmp_path / "bad.json"
    bad_json.write_text(json.dumps([{"code": "TEST.BAD.010"}, "not an object"]), encoding="utf-8")
    done = import_file(hub, bad_json)
    assert done.returncode != 0 and "index 1: not a JSON object" in done.stderr


def test_responsible_agency_route_then_parent_then_default(hub: HubProcess) -> None:
    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import create_async_engine

    from server.catalog.models import AdministrativeUnit, Agency, FeedbackCategory
    from server.catalog.service import responsible_agency_id
    from server.db import create_session_factory

    found: dict[str, str | None] = {}

    async def run() -> None:
        engine = create_async_engine(hub.database.url)
        try:
            async with create_session_factory(engine)() as session:
                codes = dict((await session.execute(select(Agency.id, Agency.code))).all())
                units = {
                    c: pk
                    for pk, c in await session.execute(select(AdministrativeUnit.id, AdministrativeUnit.code))
                }
                roads = await session.scalar(
                    select(FeedbackCategory.id).where(FeedbackCategory.code == "ROADS")
                )
                for name, unit in [("ward", units["26506"]), ("other", units["26713"]), ("none", None)]:
                    found[name] = codes.get(await responsible_agency_id(session, roads, unit))
                found["missing"] = codes.get(await responsible_agency_id(session, 999_999, units["26506"]))
        finally:
            await engine.dispose()

    _run_in_thread(run)
    assert found == {"ward": "UBND-VUNGTAU", "other": "SXD", "none": "SXD", "missing": None}


def _as_postgres(hub: HubProcess, *statements: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(f"{POSTGRES_URL.rsplit('/', 1)[0]}/{hub.database.name}")
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    _run_in_thread(run)


def test_an_app_role_that_does_not_own_the_tables_can_import(hub: HubProcess, tmp_path: Path) -> None:
    """Production often runs the app as a role with table privileges only: the importer's optional
    GIN pending-list merge (owner only) must not make the import fail."""
    if hub.database.backend != "postgresql":
        pytest.skip("table ownership and roles are PostgreSQL's; run with TEST_DATABASE=postgresql")
    role = f"hub_app_{uuid.uuid4().hex[:8]}"
    _as_postgres(
        hub,
        f"CREATE ROLE {role} LOGIN",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
    )
    try:
        path = tmp_path / "export.json"
        record = {
            "code": "TEST.ROLE.001",
            "name": "Thủ tục nhập bởi vai trò ứng dụng",
            "sectorCode": "HOTICH",
            "agencyCode": "SNNMT",
            "processingTime": "05 ngày làm việc",
        }
        path.write_text(json.dumps({"procedures": [record]}, ensure_ascii=False), encoding="utf-8")
        url = hub.database.url.replace("://postgres@", f"://{role}@", 1)
        assert f"://{role}@" in url
        done = subprocess.run(
            [*hub_command(), "import-catalog", str(path)],
            env={**hub.full_env(), "DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "1 created" in done.stdout
        stored = query_db(hub.database.url, "SELECT name FROM procedures WHERE code = 'TEST.ROLE.001'")
        assert stored == [("Thủ tục nhập bởi vai trò ứng dụng",)]
    finally:
        _as_postgres(hub, f"DROP OWNED BY {role}", f"DROP ROLE {role}")
