"""catalog.json: the archive as data, for data journalists (documented in the README)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..model import when_iso
from .stories import story_path
from .urls import absolute

if TYPE_CHECKING:
    from ..analysis.archive import MemoStore
    from ..model import Article, Story
    from .site import SiteData

CATALOG_VERSION = 1


def _article_entry(data: SiteData, article: Article) -> dict[str, Any]:
    archive = data.archive
    return {
        "id": article.id,
        "url": absolute(data.config, data.urls.by_id[article.id]),
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


def _story_entry(data: SiteData, story: Story) -> dict[str, Any]:
    return {
        "id": story.id,
        "url": absolute(data.config, story_path(story)),
        "title": data.by_id[story.main_id].title,
        "main": story.main_id,
        "versions": [
            {"id": v.article_id, "kind": v.kind, "based_on": v.based_on} for v in story.versions
        ],
    }


def catalog_json(data: SiteData, memos: MemoStore | None = None) -> bytes:
    """One article, and one story, per line: it reads and diffs well, and every line goes
    through json's C encoder (an indented dump of the whole takes its slow Python path, 1.3 s
    at 11,000 articles). An article's line is made of its facts (`SiteData.line_facts`): the
    lines of the last catalog, kept in `memos`, stand for articles whose facts are the same
    (an edit makes one line again, not 11,000: 0.4 s)."""
    config = data.config
    site = {"title": config.title, "base_url": config.base_url, "language": config.language}
    kept = memos.load(LINES_MEMO) if memos else None
    last = kept if isinstance(kept, dict) else {}
    lines: dict[bytes, str] = {}
    for article in sorted(data.archive.articles, key=_by_id):
        facts = data.line_facts(article.id)
        line = last.get(facts)
        lines[facts] = line if line is not None else _json(_article_entry(data, article))
    if memos and lines != last:
        memos.save(LINES_MEMO, lines)
    stories = [_json(_story_entry(data, story)) for story in data.archive.stories]
    parts = [
        "{",
        f' "catalog_version": {CATALOG_VERSION},',
        f' "site": {_json(site)},',
        _listed("articles", list(lines.values()), last=False),
        _listed("stories", stories, last=True),
        "}\n",
    ]
    return "\n".join(part for part in parts if part).encode("utf-8")


LINES_MEMO = "catalog-lines"
"""The memo of the last catalog's article lines, by each article's facts."""


def _listed(name: str, lines: list[str], *, last: bool) -> str:
    end = " ]" if last else " ],"
    if not lines:
        return f" {_json(name)}: [\n{end}"
    body = ",\n".join(f"  {line}" for line in lines)
    return f" {_json(name)}: [\n{body}\n{end}"


def _by_id(article: Article) -> str:
    return article.id


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
