"""Article* -> Archive: the whole-archive analysis, run after every file is read."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from ..config import SiteConfig
from ..model import Archive, Article, Story
from .features import ArticleFeatures, compute_features_in_parallel
from .versions import VersionMemo, find_stories


class MemoStore(Protocol):
    """Where the last build's analysis memos are kept between builds, by name: "related" (a
    `related.RelatedIndex`) and "versions" (a `versions.VersionMemo`). `load` gives None for
    a memo missing, damaged or made by other code."""

    def load(self, name: str) -> object | None: ...

    def save(self, name: str, memo: object) -> None: ...


@dataclass(frozen=True)
class Grouped:
    """The archive with its stories and without its related articles yet (a build indexes
    its search documents, which do not show them, meanwhile), and every article's features."""

    archive: Archive
    features: Mapping[str, ArticleFeatures]


def group_stories(
    articles: Sequence[Article],
    config: SiteConfig,
    features: Mapping[str, ArticleFeatures] | None = None,
    jobs: int = 1,
    step: Callable[[str], None] | None = None,
    store: MemoStore | None = None,
    keys: Mapping[str, str] | None = None,
) -> Grouped:
    """Drop drafts, order newest first, group versions into stories (the related stories are
    found from the result by `find_related`).

    `features` (by article id, e.g. from a cache keyed by `features.cache_key`) saves
    recomputing them; missing ones are computed once here and shared with `find_related`.
    Features, grouping and related use `jobs` processes where the archive is large enough.
    `step(name)` is told as each of them begins ("features", "grouping", "related"), for a
    progress line: on a large archive each takes seconds to minutes. `store` keeps memos of
    grouping and related stories between builds, and `keys` names each article's text (its
    features' cache key, by id): an edit of a few articles then reads, compares and scores only
    what it can change (`features` may load lazily: it is not read whole)."""
    began = step or _silent
    published = sorted((a for a in articles if not a.draft), key=lambda a: a.sort_key, reverse=True)
    given: Mapping[str, ArticleFeatures] = features or {}
    if config.versions.enabled or config.related.enabled:
        missing = [a for a in published if a.id not in given]
        if missing:
            began("features")
            size = config.versions.shingle_size
            made = compute_features_in_parallel(missing, size, jobs)
            given = {**given, **dict(zip((a.id for a in missing), made, strict=True))}
    stories: list[Story] = []
    if config.versions.enabled:
        began("grouping")
        last = store.load("versions") if store and keys is not None else None
        stories, memo = find_stories(
            published,
            config.versions,
            given,
            jobs,
            keys,
            last if isinstance(last, VersionMemo) else None,
        )
        if store and memo is not None:
            store.save("versions", memo)
    archive = Archive(
        articles=tuple(published),
        stories=tuple(sorted(stories, key=lambda s: s.id)),
        story_of={v.article_id: s.id for s in stories for v in s.versions},
        related={},
    )
    return Grouped(archive, given)


def find_related(
    grouped: Grouped,
    config: SiteConfig,
    jobs: int = 1,
    step: Callable[[str], None] | None = None,
    store: MemoStore | None = None,
    keys: Mapping[str, str] | None = None,
) -> Archive:
    """The grouped archive with each article's related articles (see `group_stories`)."""
    archive = grouped.archive
    if not config.related.enabled:
        return archive
    # Imported here, with scipy: an edit finds related stories on a forked process, and the
    # build's own process then never loads them (0.24 s of an edit at 11,000 articles).
    from .related import RelatedIndex, related_index

    (step or _silent)("related")
    found = store.load("related") if store else None
    previous = found if isinstance(found, RelatedIndex) else None
    index = related_index(
        archive.articles, archive.story_of, config.related, grouped.features, jobs, previous, keys
    )
    if store and index is not None and index is not previous:
        store.save("related", index)
    return dataclasses.replace(archive, related=index.related() if index else {})


def prepare_related() -> None:
    """Import what `find_related` uses (scipy): a forked job does it before its input comes."""
    from . import related  # noqa: F401


def _silent(step: str) -> None:
    return None
