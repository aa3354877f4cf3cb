"""catalog.json: the archive as data, for data journalists (documented in the README)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..model import when_iso
from .stories import story_path
from .urls import absolute

if TYPE_CHECKING:
    from .site import SiteData

CATALOG_VERSION = 1


def catalog(data: SiteData) -> dict[str, Any]:
    config = data.config
    archive = data.archive
    articles = []
    for article in sorted(archive.articles, key=lambda a: a.id):
        articles.append(
            {
                "id": article.id,
                "url": absolute(config, data.urls.by_id[article.id]),
                "title": article.title,
                "dek": article.dek,
                "authors": list(article.authors),
                "publication": article.publication,
                "section": article.section,
                "date_published": when_iso(article.date),
                "date_modified": when_iso(article.updated),
                "word_count": article.word_count,
                "tags": list(article.tags),
                "source_url": article.source_url or None,
                "source_path": article.source_path,
                "format": article.format,
                "story": archive.story_of.get(article.id),
                "related": list(archive.related.get(article.id, ())),
            }
        )
    stories = [
        {
            "id": story.id,
            "url": absolute(config, story_path(story)),
            "title": data.by_id[story.main_id].title,
            "main": story.main_id,
            "versions": [
                {"id": v.article_id, "kind": v.kind, "based_on": v.based_on} for v in story.versions
            ],
        }
        for story in archive.stories
    ]
    return {
        "catalog_version": CATALOG_VERSION,
        "site": {"title": config.title, "base_url": config.base_url, "language": config.language},
        "articles": articles,
        "stories": stories,
    }


def catalog_json(data: SiteData) -> bytes:
    """One article, and one story, per line: it reads and diffs well, and every line goes
    through json's C encoder (an indented dump of the whole takes its slow Python path, 1.3 s
    at 11,000 articles)."""
    value = catalog(data)
    lines = ["{"]
    for number, (key, item) in enumerate(value.items(), start=1):
        last = number == len(value)
        if isinstance(item, list):
            lines.append(f" {_json(key)}: [")
            lines.append(",\n".join(f"  {_json(entry)}" for entry in item))
            lines.append(" ]" if last else " ],")
        else:
            lines.append(f" {_json(key)}: {_json(item)}" + ("" if last else ","))
    lines.append("}\n")
    return "\n".join(line for line in lines if line).encode("utf-8")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
