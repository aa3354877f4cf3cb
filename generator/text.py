"""Small text helpers shared by the stages: slugs, words, ids."""

from __future__ import annotations

import functools
import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")
_WORD = re.compile(r"\w+(?:['’.-]\w+)*", re.UNICODE)


@functools.lru_cache(maxsize=65536)
def slugify(text: str, max_length: int = 80) -> str:
    """A lowercase ASCII slug: "Kyiv's Power Grid!" -> "kyivs-power-grid". Empty input gives "".
    Remembered: the same author, publication and tag names are slugged again on every page."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NON_WORD.sub("-", ascii_text.lower().replace("'", "")).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug


def words(text: str) -> list[str]:
    """The words of a text, as a reader would count them."""
    return _WORD.findall(text)


def word_count(paragraphs: tuple[str, ...] | list[str]) -> int:
    return sum(len(words(p)) for p in paragraphs)


def article_id(source_path: str) -> str:
    """Stable article id from a content-relative path: "World/000_Ab.txt" -> "world/000-ab"."""
    stem = source_path.rsplit(".", 1)[0] if "." in source_path.rsplit("/", 1)[-1] else source_path
    parts = [slugify(part, max_length=120) or "untitled" for part in stem.split("/")]
    return "/".join(parts)
