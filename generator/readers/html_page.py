"""Web pages saved from a browser -> Article (not written yet)."""

from __future__ import annotations

from ..model import Article
from .fields import Finding


def html_article(
    text: str, source_path: str, timezone: str
) -> tuple[Article | None, list[Finding]]:
    return None, [
        Finding(
            "saved web pages are not read yet", "save the article as text instead", severity="error"
        )
    ]
