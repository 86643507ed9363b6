"""Text folding for Vietnamese search: one place, so catalogue and feedback search agree.

`fold("Giấy phép XÂY DỰNG – Đà Nẵng")` == "giay phep xay dung da nang": lower case, diacritics removed,
đ/Đ turned into d by hand (U+0111 has no Unicode decomposition, so NFD alone keeps it), and every run of
characters that are not letters or digits turned into one space. Search indexes store folded text and
queries are folded the same way, so "giay phep", "Giấy phép" and "GIẤY PHÉP" are the same words.
"""

from __future__ import annotations

import re
import unicodedata

_D = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def nfc(text: str) -> str:
    """Vietnamese input arrives composed or decomposed depending on the keyboard; store it composed."""
    return unicodedata.normalize("NFC", text)


def fold(text: str | None) -> str:
    """Lower-case ASCII words separated by single spaces; "" for None or text without letters/digits."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_D).lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NOT_WORD.sub(" ", stripped).strip()


def words(text: str | None) -> list[str]:
    """The folded words of a search query, in order, without repeats."""
    seen: dict[str, None] = {}
    for word in fold(text).split():
        seen.setdefault(word, None)
    return list(seen)
