"""Generated files of the PWA, committed in frontend_static/ (the app has no build step).

    .venv/bin/python -m server.pwa_assets icons    # icons/*.png and screenshots, drawn with Pillow
    .venv/bin/python -m server.pwa_assets queries  # persisted-queries.json: sha256 -> document
    .venv/bin/python -m server.pwa_assets wards    # data/ward-points.json: a point per ward
    .venv/bin/python -m server.pwa_assets screenshots URL  # manifest screenshots of a running hub

persisted-queries.json is the allow-list of the hub's persisted-query mode (graphql_schema/persisted.py):
run the hub with PERSISTED_QUERIES=allowlist PERSISTED_QUERIES_FILE=frontend_static/persisted-queries.json.
tests/test_pwa_static.py fails when it is out of date.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sys
from pathlib import Path

from server.pwa import FRONTEND_DIR

THEME = (164, 22, 26)  # #a4161a, the manifest's theme colour
GOLD = (255, 205, 0)
WHITE = (255, 255, 255)
# `export const NAME = `…`;` with no ${} inside: the exact text the PWA sends, hence the hash.
_DOCUMENT = re.compile(r"export const (\w+) = `((?:[^`$]|\$(?!\{))*)`;")


def documents(source: Path = FRONTEND_DIR / "js" / "queries.js") -> dict[str, str]:
    """Name -> GraphQL document, as the PWA sends them."""
    return dict(_DOCUMENT.findall(source.read_text(encoding="utf-8")))


def persisted_queries(source: Path = FRONTEND_DIR / "js" / "queries.js") -> dict[str, str]:
    return {hashlib.sha256(doc.encode()).hexdigest(): doc for doc in documents(source).values()}


def ward_points() -> dict[str, list[float]]:
    """Unit code -> [latitude, longitude]: choosing a ward from the list gives the report this location."""
    from importlib import resources

    source = resources.files("server.feedback").joinpath("data", "unit_points.json")
    raw = json.loads(source.read_text("utf-8"))
    return {code: [round(lat, 5), round(lon, 5)] for code, (lat, lon) in raw["points"].items()}


def _star(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.382
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def draw_icon(size: int, *, maskable: bool):
    """A speech bubble (a resident's voice) holding a gold star, on the theme red."""
    from PIL import Image, ImageDraw

    scale = 4  # draw large, then downsample: smooth edges without antialiasing support in ImageDraw
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:  # full bleed; the content stays inside the 80 % safe zone
        draw.rectangle((0, 0, big, big), fill=THEME)
        inset = big * 0.22
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.2, fill=THEME)
        inset = big * 0.16
    box = (inset, inset, big - inset, big - inset * 1.35)
    draw.rounded_rectangle(box, radius=(box[3] - box[1]) * 0.3, fill=WHITE)
    tail_x = box[0] + (box[2] - box[0]) * 0.3
    draw.polygon(
        [(tail_x, box[3] - 2), (tail_x + big * 0.14, box[3] - 2), (tail_x, box[3] + big * 0.12)], fill=WHITE
    )
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    draw.polygon(_star(cx, cy, (box[3] - box[1]) * 0.36), fill=GOLD)
    return image.resize((size, size), Image.LANCZOS)


def draw_screenshot(width: int, height: int, title: str):
    """A plain picture of the app's layout for the install dialog (no text rendering dependencies)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    bar = max(56, height // 14)
    draw.rectangle((0, 0, width, bar), fill=THEME)
    icon = draw_icon(bar - 16, maskable=False)
    image.paste(icon, (8, 8), icon)
    column = min(width - 32, 720)
    left = (width - column) // 2
    top = bar + 24
    for i in range(5):
        card = (left, top, left + column, top + bar * 2)
        draw.rounded_rectangle(card, radius=12, fill=WHITE, outline=(220, 220, 220), width=2)
        draw.rectangle((card[0] + 16, card[1] + 20, card[0] + column * 0.6, card[1] + 36), fill=(60, 60, 60))
        draw.rectangle(
            (card[0] + 16, card[1] + 52, card[0] + column * 0.85, card[1] + 62), fill=(160, 160, 160)
        )
        draw.rounded_rectangle(
            (card[2] - 120, card[3] - 44, card[2] - 16, card[3] - 16),
            radius=8,
            fill=THEME if i == 0 else (230, 230, 230),
        )
        top = card[3] + 16
        if top + bar * 2 > height - bar:
            break
    draw.rectangle((0, height - bar, width, height), fill=WHITE, outline=(220, 220, 220))
    for i in range(5):
        x = width * (2 * i + 1) // 10
        draw.ellipse(
            (x - 12, height - bar // 2 - 12, x + 12, height - bar // 2 + 12),
            fill=THEME if i == 0 else (150, 150, 150),
        )
    del title
    return image


def write_icons(root: Path = FRONTEND_DIR) -> None:
    (root / "icons").mkdir(exist_ok=True)
    (root / "screenshots").mkdir(exist_ok=True)
    for size in (192, 512):
        draw_icon(size, maskable=False).save(root / "icons" / f"icon-{size}.png", optimize=True)
    draw_icon(512, maskable=True).save(root / "icons" / "maskable-512.png", optimize=True)
    draw_icon(180, maskable=True).convert("RGB").save(root / "icons" / "apple-touch-icon.png", optimize=True)
    draw_icon(32, maskable=False).save(root / "icons" / "favicon-32.png", optimize=True)
    for name, size in (("narrow", (540, 1080)), ("wide", (1280, 720))):
        if not (root / "screenshots" / f"{name}.png").exists():  # real ones come from `screenshots URL`
            draw_screenshot(*size, name).save(root / "screenshots" / f"{name}.png", optimize=True)


def take_screenshots(base_url: str, root: Path = FRONTEND_DIR) -> None:
    """The install dialog's pictures: the home screen on a phone, the community feed on a desktop."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for name, path, size in (("narrow", "/", (540, 1080)), ("wide", "/feed", (1280, 720))):
            page = browser.new_page(viewport={"width": size[0], "height": size[1]}, locale="vi-VN")
            page.goto(base_url.rstrip("/") + path)
            page.wait_for_selector("main h1[tabindex]")
            page.wait_for_timeout(1000)
            page.screenshot(path=str(root / "screenshots" / f"{name}.png"))
            page.close()
        browser.close()


def main(argv: list[str]) -> int:
    if argv == ["icons"]:
        write_icons()
        return 0
    if len(argv) == 2 and argv[0] == "screenshots":
        take_screenshots(argv[1])
        return 0
    if argv == ["queries"]:
        text = json.dumps(persisted_queries(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        (FRONTEND_DIR / "persisted-queries.json").write_text(text, encoding="utf-8")
        return 0
    if argv == ["wards"]:
        (FRONTEND_DIR / "data").mkdir(exist_ok=True)
        text = json.dumps(ward_points(), separators=(",", ":"), sort_keys=True) + "\n"
        (FRONTEND_DIR / "data" / "ward-points.json").write_text(text, encoding="utf-8")
        return 0
    print("usage: python -m server.pwa_assets icons|queries|wards|screenshots URL", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
