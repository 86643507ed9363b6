"""The photo pipeline: sniff the type from the bytes, refuse bombs, strip metadata, resize, store by hash.

Decoding happens only after the header says the image is small enough, so a tiny file that claims
a huge canvas (a decompression bomb) is refused before Pillow allocates anything for its pixels.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
FULL_EDGE = 1600
THUMB_EDGE = 320
JPEG_QUALITY = 85


class PhotoRejected(Exception):
    """The bytes are not a photo the hub accepts. `reason` is TOO_LARGE or UNSUPPORTED_MEDIA_TYPE."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _heif_available() -> bool:
    try:
        import pillow_heif  # type: ignore[import-not-found]
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True


def sniff_format(head: bytes) -> str | None:
    """The Pillow format name read from the magic bytes; None for anything we do not take."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp" and head[8:12] in {b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis"}:
        return "HEIF" if _heif_available() else None
    return None


@dataclass(frozen=True)
class ProcessedPhoto:
    full: bytes
    thumbnail: bytes
    width: int
    height: int

    @property
    def full_name(self) -> str:
        return content_name(self.full)

    @property
    def thumbnail_name(self) -> str:
        return content_name(self.thumbnail)


def content_name(data: bytes) -> str:
    """Where bytes live under the media directory: ab/cdef….jpg by their SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    return f"{digest[:2]}/{digest[2:]}.jpg"


def _encode(image: Image.Image, edge: int) -> tuple[bytes, int, int]:
    copy = image.copy()
    copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A fresh JPEG written without exif/icc/comment arguments carries no metadata at all.
    copy.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue(), copy.width, copy.height


def process(data: bytes) -> ProcessedPhoto:
    """Validate and clean one upload. Raises PhotoRejected."""
    if len(data) > MAX_BYTES:
        raise PhotoRejected("TOO_LARGE")
    fmt = sniff_format(data[:16])
    if fmt is None:
        raise PhotoRejected("UNSUPPORTED_MEDIA_TYPE")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # open() reads only the header: the canvas size is known before any pixel is decoded.
            with Image.open(io.BytesIO(data), formats=[fmt]) as image:
                width, height = image.size
                if width * height > MAX_PIXELS or width <= 0 or height <= 0:
                    raise PhotoRejected("TOO_LARGE")
                image.draft("RGB", (FULL_EDGE, FULL_EDGE))  # JPEG: decode at a reduced scale when possible
                upright = ImageOps.exif_transpose(image)
                upright.load()
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejected("TOO_LARGE") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise PhotoRejected("UNSUPPORTED_MEDIA_TYPE") from None
    if upright.mode not in ("RGB", "L"):
        rgba = upright.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        upright = flat
    elif upright.mode == "L":
        upright = upright.convert("RGB")
    upright.info.clear()
    full, w, h = _encode(upright, FULL_EDGE)
    thumb, _, _ = _encode(upright, THUMB_EDGE)
    return ProcessedPhoto(full=full, thumbnail=thumb, width=w, height=h)


class MediaStore:
    """Content-addressed files under DATA_DIR/media. Remembers what it created, to undo a failed request."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.created: list[Path] = []

    def path(self, name: str) -> Path:
        return self.root / name

    def put(self, name: str, data: bytes) -> None:
        target = self.path(name)
        if target.exists():
            return  # same name means same bytes
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".up-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            if target.exists():
                os.unlink(tmp)
                return
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        self.created.append(target)

    def discard_created(self, keep: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        """Remove the files this store wrote, except those still referenced (`keep` names)."""
        for target in self.created:
            name = target.relative_to(self.root).as_posix()
            if name not in keep and target.exists():
                target.unlink()
        self.created.clear()


def resolve_media_path(root: Path, name: str) -> Path | None:
    """The file for a /media/ URL path, or None if it is malformed or escapes the root."""
    parts = name.split("/")
    if len(parts) != 2 or len(parts[0]) != 2 or not parts[1].endswith(".jpg"):
        return None
    stem = parts[0] + parts[1][:-4]
    if len(stem) != 64 or any(c not in "0123456789abcdef" for c in stem):
        return None
    target = root / parts[0] / parts[1]
    return target if target.is_file() else None
