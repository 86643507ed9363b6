"""The title and body of a notification, in the recipient's language, from its event's payload.

Payload conventions, by kind:
- FEEDBACK_UPDATE: {"change": STATUS_CHANGED|REPLY|REOPENED|ASSIGNED|RATED, "reference": "PA-2026-000001",
  "title": the feedback's title, "status": the new status}.
- ANNOUNCEMENT: {"title", "body", "severity"}: the issuer's own words, shown as written.
- any kind (DOSSIER_UPDATE, SYSTEM, new ones): {"title_key", "body_key", "params"} naming server.i18n
  messages, or {"title", "body"} as plain text or as {"vi": ..., "en": ...}.
"""

from __future__ import annotations

import base64
from typing import Any

from server.i18n import Lang, translate

STATUS_TEXT = {
    "SUBMITTED": {"vi": "Đã tiếp nhận", "en": "Submitted"},
    "ASSIGNED": {"vi": "Đã chuyển cơ quan xử lý", "en": "Assigned to an agency"},
    "IN_PROGRESS": {"vi": "Đang xử lý", "en": "In progress"},
    "RESOLVED": {"vi": "Đã xử lý xong", "en": "Resolved"},
    "CLOSED": {"vi": "Đã đóng", "en": "Closed"},
    "REJECTED": {"vi": "Không được tiếp nhận", "en": "Rejected"},
    "DUPLICATE": {"vi": "Trùng với phản ánh khác", "en": "Duplicate of another report"},
}

FEEDBACK_TITLES = {
    "STATUS_CHANGED": {"vi": "Phản ánh {reference}: {status}", "en": "Feedback {reference}: {status}"},
    "REPLY": {"vi": "Cơ quan đã trả lời phản ánh {reference}", "en": "The agency replied to {reference}"},
    "REOPENED": {"vi": "Phản ánh {reference} được mở lại", "en": "Feedback {reference} was reopened"},
    "ASSIGNED": {"vi": "Phản ánh mới được giao: {reference}", "en": "New feedback assigned: {reference}"},
    "RATED": {"vi": "Phản ánh {reference} đã được đánh giá", "en": "Feedback {reference} was rated"},
}


def _pick(value: Any, lang: Lang) -> str:
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("vi") or "")
    return "" if value is None else str(value)


def render(kind: str, payload: dict[str, Any], lang: Lang) -> tuple[str, str]:
    """(title, body) of a notification of `kind` made from `payload`, in `lang`."""
    if kind == "FEEDBACK_UPDATE" and payload.get("change") in FEEDBACK_TITLES:
        status = STATUS_TEXT.get(payload.get("status") or "", {}).get(lang, payload.get("status") or "")
        title = FEEDBACK_TITLES[payload["change"]][lang].format(
            reference=payload.get("reference") or "", status=status
        )
        return title, _pick(payload.get("title"), lang)
    params = payload.get("params") or {}
    title = (
        translate(payload["title_key"], lang, params)
        if payload.get("title_key")
        else _pick(payload.get("title"), lang)
    )
    body = (
        translate(payload["body_key"], lang, params)
        if payload.get("body_key")
        else _pick(payload.get("body"), lang)
    )
    return title, body


def link(subject_type: str, subject_id: int, base_url: str) -> str:
    """Where the PWA shows the subject (carried by Web Push messages)."""
    global_id = base64.urlsafe_b64encode(f"{subject_type}:{subject_id}".encode()).decode()
    return f"{base_url}/#/{subject_type.lower()}/{global_id}"
