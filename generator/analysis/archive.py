"""Article* -> Archive: the whole-archive analysis, run after every file is read."""

from __future__ import annotations

from collections.abc import Sequence

from ..config import SiteConfig
from ..model import Archive, Article


def analyse(articles: Sequence[Article], config: SiteConfig) -> Archive:
    """Drop drafts, order newest first, group versions into stories, find related stories."""
    from .related import find_related
    from .versions import group_stories

    published = sorted((a for a in articles if not a.draft), key=lambda a: a.sort_key, reverse=True)
    stories = group_stories(published, config.versions) if config.versions.enabled else []
    story_of = {v.article_id: s.id for s in stories for v in s.versions}
    related = find_related(published, story_of, config.related) if config.related.enabled else {}
    return Archive(
        articles=tuple(published),
        stories=tuple(sorted(stories, key=lambda s: s.id)),
        story_of=story_of,
        related=related,
    )
