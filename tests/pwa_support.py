"""Driving the PWA with Playwright for Python and Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--no-default-browser-check",
]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def browser_unavailable() -> str | None:
    """None when the PWA tests can run; else why not."""
    if not CHROMIUM.exists():
        return "Debian's Chromium is missing at /usr/bin/chromium (apt-get install -y chromium; .ci/run does)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One persistent Chromium context per module: a profile on disk, as installability needs."""
    if reason := browser_unavailable():
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
            viewport={"width": 412, "height": 860},
            service_workers="allow",
        )
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 A/AA violations on the page as it is now (empty when it passes)."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `npm ci` in the repository")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through DevTools, not as a <script>: the page's strict CSP stays on while axe runs.
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))}))",
        AXE_TAGS,
    )
    return result


def describe(violations: list[dict[str, Any]]) -> str:
    return json.dumps(violations, ensure_ascii=False, indent=1)


def photo_jpeg(size: tuple[int, int] = (2400, 1800)) -> bytes:
    """A real photo-sized JPEG, larger than the 1600 px the PWA sends."""
    from PIL import Image

    image = Image.new("RGB", size, (40, 110, 60))
    for x in range(0, size[0], 9):
        image.putpixel((x, (x * 7) % size[1]), (250, 240, 10))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()
