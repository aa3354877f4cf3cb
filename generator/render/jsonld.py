"""schema.org NewsArticle JSON-LD for an article page."""

from __future__ import annotations

import json
from typing import Any

from ..model import Article, when_iso


def news_article(
    article: Article,
    *,
    url: str,
    author_urls: list[str],
    language: str,
    based_on_url: str | None = None,
    story_url: str | None = None,
) -> dict[str, Any]:
    """The NewsArticle object; empty fields are left out rather than invented."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "url": url,
        "mainEntityOfPage": url,
        "inLanguage": language,
        "wordCount": article.word_count,
    }
    if article.dek:
        data["description"] = article.dek
    if article.authors:
        data["author"] = [
            {"@type": "Person", "name": name, "url": link}
            for name, link in zip(article.authors, author_urls, strict=True)
        ]
    if article.publication:
        data["publisher"] = {"@type": "Organization", "name": article.publication}
    if article.date:
        data["datePublished"] = when_iso(article.date)
    if article.updated:
        data["dateModified"] = when_iso(article.updated)
    if article.section:
        data["articleSection"] = article.section
    if article.tags:
        data["keywords"] = list(article.tags)
    if article.source_url:
        data["sameAs"] = article.source_url
    if based_on_url:
        data["isBasedOn"] = based_on_url
    if story_url:
        data["isPartOf"] = {"@type": "CreativeWorkSeries", "url": story_url}
    return data


def script_json(data: Any) -> str:
    """JSON safe to place inside a <script> element: no "</script>", no HTML-special characters."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=False, indent=None)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
