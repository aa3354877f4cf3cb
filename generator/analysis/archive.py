"""Article* -> Archive: the whole-archive analysis, run after every file is read."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from ..config import RelatedSettings, SiteConfig
from ..model import Archive, Article
from .features import ArticleFeatures, compute_features_in_parallel
from .related import find_related
from .versions import group_stories

Related = dict[str, tuple[str, ...]]


class RelatedMemo(Protocol):
    """Where related stories found before are kept, by a digest of everything they came from."""

    def get(self, key: str) -> Related | None: ...

    def put(self, key: str, related: Related) -> None: ...


def analyse(
    articles: Sequence[Article],
    config: SiteConfig,
    features: Mapping[str, ArticleFeatures] | None = None,
    jobs: int = 1,
    step: Callable[[str], None] | None = None,
    memo: RelatedMemo | None = None,
) -> Archive:
    """Drop drafts, order newest first, group versions into stories, find related stories.

    `features` (by article id, e.g. from a cache keyed by `features.cache_key`) saves
    recomputing them; missing ones are computed once here and shared by versions and related.
    Features, grouping and related use `jobs` processes where the archive is large enough.
    `step(name)` is told as each of them begins ("features", "grouping", "related"), for a
    progress line: on a large archive each takes seconds to minutes. `memo` keeps related
    stories for inputs seen before: an edit that changes no article's words and no story (a
    byline, a topic, a typo in a standfirst's punctuation) reuses them.
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
        key = related_inputs(published, story_of, config.related, given) if memo else None
        found = memo.get(key) if memo and key else None
        if found is None:
            found = find_related(published, story_of, config.related, given, jobs)
            if memo and key:
                memo.put(key, found)
        related = found
    return Archive(
        articles=tuple(published),
        stories=tuple(sorted(stories, key=lambda s: s.id)),
        story_of=story_of,
        related=related,
    )


def _silent(step: str) -> None:
    return None


def related_inputs(
    articles: Sequence[Article],
    story_of: Mapping[str, str],
    settings: RelatedSettings,
    features: Mapping[str, ArticleFeatures],
) -> str | None:
    """A digest of all that `find_related` reads when every article's features are given:
    the settings, and each article's id, story and term counts. None when some are missing
    (find_related would read the articles' text)."""
    digest = hashlib.blake2b(repr(settings).encode(), digest_size=32)
    for article_id in sorted({a.id for a in articles}):
        given = features.get(article_id)
        if given is None:
            return None
        for part in (
            article_id.encode(),
            story_of.get(article_id, "").encode(),
            given.terms.tobytes(),
            given.term_counts.tobytes(),
        ):
            digest.update(len(part).to_bytes(8, "little"))
            digest.update(part)
    return digest.hexdigest()
