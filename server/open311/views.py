"""Open311 GeoReport v2 at /open311/v2 over the feedback service layer (the same rules as GraphQL).

Mapping: a service is a feedback category (service_code = category code); a service request is a
feedback (service_request_id = its reference code, e.g. PA-2026-000123); our statuses map to
open (SUBMITTED, ASSIGNED, IN_PROGRESS) and closed (everything else). Requests are created at once,
so no token is ever handed out and tokens/{token} answers 404. POST requests needs api_key: an access
token of the hub (a resident's, or an app's acting for a resident), since every report has an author.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.catalog.models import FeedbackCategory
from server.errors import BadRequest, UserInputError
from server.feedback import queries, service
from server.feedback.geo import public_coordinate
from server.feedback.models import Feedback
from server.feedback.public_cache import public_feedback_changed
from server.feedback.sla import LOCAL
from server.feedback.states import OPEN, Status
from server.hub import Hub
from server.i18n import parse_accept_language, translate
from server.identity.tokens import InvalidToken
from server.open311.format import error, render

SPEC = "http://wiki.open311.org/GeoReport_v2"
WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000
OPEN_VALUES = {s.value for s in OPEN}


def iso(value: datetime) -> str:
    """W3C date-time in Vietnam's time, as residents and the spec's examples write it."""
    return value.astimezone(LOCAL).isoformat(timespec="seconds")


def _fmt(request: Request) -> str | None:
    fmt = request.path_params.get("fmt", "")
    return fmt if fmt in ("json", "xml") else None


def _open_or_closed(status: str) -> str:
    return "open" if status in OPEN_VALUES else "closed"


def _parse_time(raw: str | None, name: str) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name} must be a W3C date-time, e.g. 2026-11-25T08:30:00+07:00") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Open311:
    def __init__(self, current_hub: Callable[[], Hub]) -> None:
        self.current_hub = current_hub

    # ------------------------------------------------------------ helpers

    def _jurisdiction_ok(self, request: Request, params: Any) -> bool:
        given = params.get("jurisdiction_id")
        return not given or given == self.jurisdiction

    @property
    def jurisdiction(self) -> str:
        return str(self.current_hub().settings.province_code)

    def _request_body(self, row: Feedback, notes: dict[int, str], lang: str) -> dict[str, Any]:
        base = self.current_hub().settings.public_base_url
        status = service.effective_status(row)
        name = row.category.name_en if lang == "en" and row.category.name_en else row.category.name
        agency = row.assigned_agency
        return {
            "service_request_id": row.reference_code,
            "status": _open_or_closed(status),
            "status_notes": notes.get(row.id),
            "service_name": name,
            "service_code": row.category.code,
            "description": row.description,
            "agency_responsible": (agency.name_en if lang == "en" and agency.name_en else agency.name)
            if agency
            else None,
            "service_notice": None,
            "requested_datetime": iso(row.created_at),
            "updated_datetime": iso(row.updated_at),
            "expected_datetime": iso(row.due_at) if row.due_at else None,
            "address": row.address,
            "address_id": None,
            "zipcode": None,
            # A public API: the same ~100 m rounding as the public GraphQL feed.
            "lat": public_coordinate(row.latitude),
            "long": public_coordinate(row.longitude),
            "media_url": f"{base}/media/{row.photos[0].path}" if row.photos else None,
        }

    async def _requests(self, session: Any, f: queries.FeedFilter, lang: str) -> list[dict[str, Any]]:
        rows, _ = await queries.feed(session, f, "NEWEST", 0, MAX_REQUESTS)
        notes = await queries.last_messages(session, [r.id for r in rows])
        return [self._request_body(r, notes, lang) for r in rows]

    # ------------------------------------------------------------ endpoints

    async def discovery(self, request: Request) -> Response:
        fmt = _fmt(request)
        if fmt is None:
            return error("json", 404, "Unknown format: use .json or .xml")
        base = self.current_hub().settings.public_base_url
        body = {
            "changeset": "2026-11-26T00:00:00+07:00",
            "contact": "Citizen hub operators, via " + base,
            "key_service": base + "/developers",
            "endpoints": [
                {
                    "specification": SPEC,
                    "url": base + "/open311/v2",
                    "changeset": "2026-11-26T00:00:00+07:00",
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        }
        return render(fmt, "discovery", body)

    async def services(self, request: Request) -> Response:
        fmt = _fmt(request)
        if fmt is None:
            return error("json", 404, "Unknown format: use .json or .xml")
        if not self._jurisdiction_ok(request, request.query_params):
            return error(fmt, 404, "jurisdiction_id not found")
        lang = parse_accept_language(request.headers.get("accept-language"))
        async with self.current_hub().session_factory() as session:
            categories = list(await session.scalars(select(FeedbackCategory).order_by(FeedbackCategory.code)))
        body = [
            {
                "service_code": c.code,
                "service_name": c.name_en if lang == "en" and c.name_en else c.name,
                "description": f"SLA {c.sla_hours} h" + (" (urgent, calendar hours)" if c.urgent else ""),
                "metadata": False,
                "type": "realtime",
                "keywords": c.code.lower(),
                "group": "feedback",
            }
            for c in categories
        ]
        return render(fmt, "services", body)

    async def service_definition(self, request: Request) -> Response:
        fmt = _fmt(request)
        if fmt is None:
            return error("json", 404, "Unknown format: use .json or .xml")
        code = request.path_params["code"]
        async with self.current_hub().session_factory() as session:
            found = await session.scalar(select(FeedbackCategory.id).where(FeedbackCategory.code == code))
        if found is None:
            return error(fmt, 404, f"service_code {code} not found")
        # No extra attributes: every category takes the same fields (description, location, photos).
        return render(fmt, "service_definition", {"service_code": code, "attributes": []})

    async def requests(self, request: Request) -> Response:
        fmt = _fmt(request)
        if fmt is None:
            return error("json", 404, "Unknown format: use .json or .xml")
        if request.method == "POST":
            return await self._create(request, fmt)
        params = request.query_params
        if not self._jurisdiction_ok(request, params):
            return error(fmt, 404, "jurisdiction_id not found")
        lang = parse_accept_language(request.headers.get("accept-language"))
        async with self.current_hub().session_factory() as session:
            f = queries.FeedFilter()
            ids = [i.strip() for i in (params.get("service_request_id") or "").split(",") if i.strip()]
            if ids:
                # The spec: with service_request_id, every other filter is ignored.
                f.reference_codes = ids
            else:
                try:
                    start = _parse_time(params.get("start_date"), "start_date")
                    end = _parse_time(params.get("end_date"), "end_date")
                except BadRequest as exc:
                    return error(fmt, 400, str(exc))
                if start is None and end is None:
                    start = datetime.now(UTC) - WINDOW
                elif start is None:
                    start = end - WINDOW  # type: ignore[operator]
                f.created_from, f.created_to = start, end
                codes = [c.strip() for c in (params.get("service_code") or "").split(",") if c.strip()]
                if codes:
                    rows = await session.execute(
                        select(FeedbackCategory.id).where(FeedbackCategory.code.in_(codes))
                    )
                    f.category_ids = [pk for (pk,) in rows.all()]
                wanted = {s.strip().lower() for s in (params.get("status") or "").split(",") if s.strip()}
                if wanted - {"open", "closed"}:
                    return error(fmt, 400, "status must be open or closed")
                if wanted == {"open"}:
                    f.statuses = sorted(OPEN_VALUES)
                elif wanted == {"closed"}:
                    f.statuses = sorted(s.value for s in Status if s.value not in OPEN_VALUES)
            body = await self._requests(session, f, lang)
        return render(fmt, "requests", body)

    async def request_by_id(self, request: Request) -> Response:
        fmt = _fmt(request)
        if fmt is None:
            return error("json", 404, "Unknown format: use .json or .xml")
        if not self._jurisdiction_ok(request, request.query_params):
            return error(fmt, 404, "jurisdiction_id not found")
        lang = parse_accept_language(request.headers.get("accept-language"))
        async with self.current_hub().session_factory() as session:
            body = await self._requests(
                session, queries.FeedFilter(reference_codes=[request.path_params["id"]]), lang
            )
        if not body:
            return error(fmt, 404, f"service_request_id {request.path_params['id']} not found")
        return render(fmt, "requests", body)

    async def token(self, request: Request) -> Response:
        fmt = _fmt(request) or "json"
        # Requests are created synchronously and answered with their id: no token is ever issued.
        return error(fmt, 404, f"token {request.path_params['token']} not found")

    async def _create(self, request: Request, fmt: str) -> Response:
        form = await request.form()
        hub = self.current_hub()
        lang = parse_accept_language(request.headers.get("accept-language"))
        if not self._jurisdiction_ok(request, form):
            return error(fmt, 404, "jurisdiction_id not found")
        api_key = str(form.get("api_key") or "")
        try:
            principal = hub.tokens.verify(api_key) if api_key else None
        except InvalidToken:
            principal = None
        if principal is None or principal.account_id is None or not principal.has_scope("write:feedback"):
            return error(fmt, 403, "api_key was not provided or is not valid")
        code = str(form.get("service_code") or "")
        if not code:
            return error(fmt, 400, "service_code is required")
        try:
            lat, lon = float(str(form.get("lat", ""))), float(str(form.get("long", "")))
        except ValueError:
            return error(fmt, 400, "lat and long are required (address_string alone cannot be located)")
        description = str(form.get("description") or "").strip()
        async with hub.session_factory() as session:
            category_id = await session.scalar(
                select(FeedbackCategory.id).where(FeedbackCategory.code == code)
            )
            if category_id is None:
                return error(fmt, 404, f"service_code {code} not found")
            data = service.NewFeedback(
                # Open311 has no idempotency key; a device_id plus description is no identity either.
                idempotency_key="open311-" + uuid.uuid4().hex,
                title=(description or code)[:120],
                description=description or code,
                category_id=category_id,
                latitude=lat,
                longitude=lon,
                address=str(form.get("address_string") or "") or None,
            )
            try:
                row = await service.submit(session, principal, hub.settings.media_dir, data)
            except UserInputError as exc:
                first = exc.errors[0]
                return error(fmt, 400, translate(first.message, lang, first.params))
        await public_feedback_changed(hub)
        body = [{"service_request_id": row.reference_code, "service_notice": None, "account_id": None}]
        return render(fmt, "requests", body)


def open311_routes(current_hub: Callable[[], Hub]) -> list[Route]:
    api = Open311(current_hub)
    prefix = "/open311/v2"
    return [
        Route(prefix + "/discovery.{fmt}", api.discovery, methods=["GET"]),
        Route(prefix + "/services.{fmt}", api.services, methods=["GET"]),
        Route(prefix + "/services/{code}.{fmt}", api.service_definition, methods=["GET"]),
        Route(prefix + "/requests.{fmt}", api.requests, methods=["GET", "POST"]),
        Route(prefix + "/requests/{id}.{fmt}", api.request_by_id, methods=["GET"]),
        Route(prefix + "/tokens/{token}.{fmt}", api.token, methods=["GET"]),
    ]
