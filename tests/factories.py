"""Helpers that make the data types for tests, with sensible defaults."""

from __future__ import annotations

import datetime as dt
import html

from generator.model import Article, Body, When
from generator.text import slugify, word_count


def make_article(
    id: str = "a",
    title: str = "A headline",
    paragraphs: tuple[str, ...] | list[str] = ("Some text.",),
    *,
    date: When | None = dt.date(2025, 3, 19),
    authors: tuple[str, ...] = (),
    publication: str = "",
    **fields: object,
) -> Article:
    """An Article as a reader would make it from a plain file."""
    paragraphs = tuple(paragraphs)
    return Article(
        id=id,
        source_path=fields.pop("source_path", f"{id}.md"),  # type: ignore[arg-type]
        format=fields.pop("format", "markdown"),  # type: ignore[arg-type]
        title=title,
        slug=fields.pop("slug", slugify(title) or id),  # type: ignore[arg-type]
        body=Body("".join(f"<p>{html.escape(p)}</p>\n" for p in paragraphs), paragraphs),
        date=date,
        authors=authors,
        publication=publication,
        word_count=word_count(paragraphs),
        **fields,  # type: ignore[arg-type]
    )
