"""An edit's search shard, started as soon as the articles are read.

An edit waits most for Pagefind indexing the edited article's shard (1.3-1.8 s on two cores).
The article's search document shows the article and, besides it, its `SearchContext` (its
page's path, the number of versions of its story and the story's URL), which the build knows
only once the stories are grouped and the URLs assigned: 0.8-1.2 s after the articles are read.
An edit seldom changes them, and the last build recorded each article's, so the edited articles'
documents are guessed from it and Pagefind starts on their shard right after the read.

The search step adopts a run only if the shard it plans is exactly the one guessed (every
document's path, key and sort values); otherwise the run is stopped (Pagefind killed, its work
removed) and the shard indexed as usual. A wrong guess costs time, never correctness.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .config import SiteConfig
from .errors import SearchIndexError
from .model import Archive, Article
from .render.site import Rendered, prepare, search_document
from .render.theme import Theme
from .render.urls import UrlMap
from .search import BUNDLE_FOLDER, PAGEFIND_AT_ONCE, ShardRun, plan_search, start_shard
from .search_farm import FARM_FOLDER
from .search_shards import SearchPage, Shard

EarlyContext = tuple[str, str, int, str]
"""(source key, page's site path, versions of its story, story URL or "") of an article, as the
last build made its search document (search_step.search_documents)."""

MAX_GUESSED = 8
"""More articles changed than this is not an edit: the search step plans as usual."""

WORK_FOLDER = "search-work"
"""Under the cache folder: the early runs' work (the staging site is not made yet)."""


class _NotGuessed(Exception):
    """The shard holds a document that must be made again and that the guess cannot make."""


@dataclass
class EarlySearch:
    """Pagefind runs started on guessed shards, by the shard's folder in the bundle."""

    shards: dict[str, Shard] = field(default_factory=dict)
    runs: dict[str, ShardRun] = field(default_factory=dict)

    def adopt(self, shard: Shard, folder: str) -> ShardRun | None:
        """The run indexing exactly `shard`, which the caller now owns, or None."""
        run = self.runs.get(folder)
        if run is None or self.shards[folder] != shard:
            return None
        del self.runs[folder]
        return run

    def stop(self) -> None:
        """Stop the runs not adopted and remove their work."""
        while self.runs:
            _, run = self.runs.popitem()
            run.stop()


def start_early(
    articles: Sequence[Article],
    article_keys: Mapping[str, str],
    contexts: Mapping[str, EarlyContext],
    documents: Mapping[str, list[str]],
    config: SiteConfig,
    theme: Theme,
    fingerprint: str,
    compiled_templates: Path | None,
    state_dir: Path,
) -> EarlySearch | None:
    """Start Pagefind on the shards of the articles whose source changed since the last build
    (`contexts` and `documents` are its records), or None where this is not an edit of a few
    published articles whose documents can be guessed."""
    published = [a for a in articles if not a.draft]
    if not contexts or len(published) != len(contexts):
        return None  # articles came or went: the shards may move
    if any(a.id not in contexts for a in published):
        return None
    changed = [a for a in published if contexts[a.id][0] != article_keys.get(a.id)]
    if not changed or len(changed) > MAX_GUESSED:
        return None
    urls = UrlMap({a.id: contexts[a.id][1] for a in changed})
    archive = Archive(tuple(changed), (), {}, {})
    data = prepare(
        archive, config, theme, urls, fingerprint, None, None, article_keys, compiled_templates
    )
    pages = {
        path: SearchPage(path, last[1], tuple(zip(last[2::2], last[3::2], strict=True)))
        for path, last in documents.items()
        if len(last) % 2 == 0
    }
    guessed: dict[str, Rendered] = {}
    for article in changed:
        _, path, versions, story_url = contexts[article.id]
        page, document = search_document(data, article, path, versions, story_url)
        if page.path not in pages:
            return None
        pages[page.path], guessed[page.path] = page, document
    plan = plan_search(
        list(pages.values()),
        config.language,
        config.search,
        previous=config.output_dir / BUNDLE_FOLDER,
        state_dir=state_dir,
    )
    todo = plan.todo
    if not todo or len(todo) > PAGEFIND_AT_ONCE:
        return None

    def render(path: str) -> bytes:
        document = guessed.get(path)
        if document is None:
            raise _NotGuessed(path)
        return document.make()

    early = EarlySearch({folder: shard for shard, folder in todo})
    try:
        for job in todo:
            work = state_dir / WORK_FOLDER
            early.runs[job[1]] = start_shard(
                render, work, plan.language, state_dir / FARM_FOLDER, job
            )
    except (_NotGuessed, SearchIndexError):
        early.stop()
        return None
    except BaseException:
        early.stop()
        raise
    return early
