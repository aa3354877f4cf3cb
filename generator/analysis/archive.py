"""Article* -> Archive: the whole-archive analysis, run after every file is read."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from ..config import SiteConfig
from ..model import Archive, Article
from .features import ArticleFeatures, compute_features_in_parallel
from .related import RelatedIndex, related_index
from .versions import group_stories

Related = dict[str, tuple[str, ...]]


class RelatedStore(Protocol):
    """Where the last build's related-stories index is kept (see `related.RelatedIndex`)."""

    def load(self) -> RelatedIndex | None: ...

    def save(self, index: RelatedIndex) -> None: ...


def analyse(
    articles: Sequence[Article],
    config: SiteConfig,
    features: Mapping[str, ArticleFeatures] | None = None,
    jobs: int = 1,
    step: Callable[[str], None] | None = None,
    store: RelatedStore | None = None,
) -> Archive:
    """Drop drafts, order newest first, group versions into stories, find related stories.

    `features` (by article id, e.g. from a cache keyed by `features.cache_key`) saves
    recomputing them; missing ones are computed once here and shared by versions and related.
    Features, grouping and related use `jobs` processes where the archive is large enough.
    `step(name)` is told as each of them begins ("features", "grouping", "related"), for a
    progress line: on a large archive each takes seconds to minutes. `store` keeps the related
    stories' index between builds: an edit of a few articles scores only the rows it can change.
    """
    began = step or _silent
    published = sorted((a for a in articles if not a.draft), key=lambda a: a.sort_key, reverse=True)
    given = dict(features or {})
    if config.versions.enabled or config.related.enabled:
        missing = [a for a in published if a.id not in given]
        if missing:
            began("features")
        size = config.versions.shingle_size
        made = compute_features_in_parallel(missing, size, jobs)
        given.update(zip((a.id for a in missing), made, strict=True))
    if config.versions.enabled:
        began("grouping")
    stories = (
        group_stories(published, config.versions, given, jobs) if config.versions.enabled else []
    )
    story_of = {v.article_id: s.id for s in stories for v in s.versions}
    if config.related.enabled:
        began("related")
    related: Related = {}
    if config.related.enabled:
        previous = store.load() if store else None
        index = related_index(published, story_of, config.related, given, jobs, previous)
        if store and index is not None and index is not previous:
            store.save(index)
        related = index.related() if index else {}
    return Archive(
        articles=tuple(published),
        stories=tuple(sorted(stories, key=lambda s: s.id)),
        story_of=story_of,
        related=related,
    )


def _silent(step: str) -> None:
    return None
