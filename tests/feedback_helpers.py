"""Helpers for the feedback tests: real image bytes, multipart uploads, cadres, and a submitted report."""

from __future__ import annotations

import base64
import io
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from PIL import Image

from tests.conftest import STRONG_PASSWORD, register, unique_phone
from tests.support import GraphQLClient, HubProcess, _run_in_thread

VUNG_TAU = {"latitude": 10.3460, "longitude": 107.0840}  # Phường Vũng Tàu, Bãi Sau
CON_DAO = {"latitude": 8.6830, "longitude": 106.6070}
HANOI = {"latitude": 21.0285, "longitude": 105.8542}

FEEDBACK_FIELDS = """
  id referenceCode title description status version createdAt updatedAt dueAt isOverdue supportCount
  viewerHasSupported viewerIsFollowing rating address
  category { id code slaHours }
  location { latitude longitude }
  unit { code name }
  assignedAgency { id code }
  author { displayName role agency { code } }
  photos { url thumbnailUrl width height }
  duplicateOf { id }
  timeline { kind status message createdAt actor { displayName role agency { code } } photos { url } }
"""

SUBMIT = f"""
mutation Submit($input: SubmitFeedbackInput!) {{
  submitFeedback(input: $input) {{ feedback {{ {FEEDBACK_FIELDS} }} errors {{ field message code }} }}
}}
"""


def jpeg_bytes(
    size: tuple[int, int] = (1200, 900), *, gps: bool = False, orientation: int | None = None
) -> bytes:
    image = Image.new("RGB", size, (30, 120, 200))
    for x in range(0, size[0], 7):  # some detail so the encoder has work to do
        image.putpixel((x, (x * 3) % size[1]), (255, 255, 0))
    exif = Image.Exif()
    if gps:
        exif[0x8825] = {1: "N", 2: (10.0, 20.0, 45.6), 3: "E", 4: (107.0, 5.0, 2.4)}
        exif[0x010F] = "PhoneMaker"  # camera make: metadata that must go too
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (400, 300)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (200, 50, 50, 128)).save(out, "PNG")
    return out.getvalue()


def webp_bytes(size: tuple[int, int] = (500, 400)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 200, 20)).save(out, "WEBP")
    return out.getvalue()


def bomb_png() -> bytes:
    """A small file that claims 64 megapixels: over the limit, whatever it compresses to."""
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, "PNG", optimize=True)
    return out.getvalue()


def multipart(
    gql: GraphQLClient,
    query: str,
    variables: dict[str, Any],
    files: dict[str, tuple[str, bytes, str]],
    *,
    token: str | None = None,
) -> httpx.Response:
    """A GraphQL multipart request (spec: operations, map, then the files). `files` maps variable paths."""
    keys = list(files)
    mapping = {str(i): [f"variables.{path}"] for i, path in enumerate(keys)}
    form = {"operations": json.dumps({"query": query, "variables": variables}), "map": json.dumps(mapping)}
    upload = {str(i): files[path] for i, path in enumerate(keys)}
    # The hub refuses multipart requests without this header: a cross-site form cannot send it (CSRF).
    headers = {"GraphQL-Require-Preflight": "1"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return gql.http.post("/graphql", data=form, files=upload, headers=headers)


def feedback_input(category_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "idempotencyKey": str(uuid.uuid4()),
        "title": "Ổ gà trên đường Thùy Vân",
        "description": "Ổ gà sâu khoảng 15 cm, xe máy rất dễ té.",
        "categoryId": category_id,
        "location": dict(VUNG_TAU),
        **fields,
    }


def categories(gql: GraphQLClient) -> dict[str, dict[str, Any]]:
    rows = gql("{ feedbackCategories { id code slaHours } }")["feedbackCategories"]
    return {row["code"]: row for row in rows}


def submit(gql: GraphQLClient, token: str, category_id: str, **fields: Any) -> dict[str, Any]:
    payload = gql(SUBMIT, {"input": feedback_input(category_id, **fields)}, token=token)["submitFeedback"]
    assert payload["errors"] == [], payload["errors"]
    return payload["feedback"]


def login(gql: GraphQLClient, phone: str) -> str:
    data = gql(
        "mutation($i: LoginInput!) { login(input: $i) { accessToken errors { code } } }",
        {"i": {"phone": phone, "password": STRONG_PASSWORD}},
    )["login"]
    assert data["errors"] == [], data["errors"]
    return data["accessToken"]


def staff(hub: HubProcess, gql: GraphQLClient, role: str, agency: str | None = None) -> str:
    """A new cadre (of `agency`) or admin, signed in; returns the access token."""
    phone = unique_phone()
    args = [
        "create-user",
        "--phone",
        phone,
        "--password",
        STRONG_PASSWORD,
        "--name",
        "Nguyễn Văn Cán",
        "--role",
        role,
    ]
    if agency:
        args += ["--agency", agency]
    hub.run_cli(*args, check=True)
    return login(gql, phone)


def resident(gql: GraphQLClient, name: str = "Trần Thị Bình") -> str:
    return register(gql, fullName=name)["accessToken"]


def pk(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":", 1)[1])


def execute_sql(hub: HubProcess, sql: str, params: dict[str, Any] | None = None) -> None:
    """Change the hub's database directly: to put a feedback where only time would bring it (overdue, old)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def run() -> None:
        engine = create_async_engine(hub.database.url)
        try:
            async with engine.begin() as conn:
                await conn.execute(text(sql), dict(params or {}))
        finally:
            await engine.dispose()

    _run_in_thread(run)


def db_time(hub: HubProcess, moment: datetime) -> datetime:
    """A UTC moment as the hub's column type stores it (naive UTC on SQLite)."""
    moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None) if hub.database.backend == "sqlite" else moment
