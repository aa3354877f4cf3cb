"""An edit's search shard, started as soon as the content folder is surveyed.

An edit waits most for Pagefind indexing the edited article's shard (1.3-1.8 s on two cores).
The article's search document shows the article and, besides it, its `SearchContext` (its
page's path, the number of versions of its story and the story's URL), which the build knows
only once the stories are grouped and the URLs assigned: 1.0-1.5 s after the survey. An edit
seldom changes them, and the last build recorded each article's, so the edited articles'
documents are guessed from it: the survey has read the changed files' bytes, they are parsed
at once (the read takes them as they are), and Pagefind starts on their shard while the other
articles are read, on the core the read leaves idle.

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
from .readers import ReadResult, parse_bytes
from .render.site import Rendered, prepare, search_document
from .render.theme import Theme
from .render.urls import UrlMap
from .search import (
    BUNDLE_FOLDER,
    PAGEFIND_AT_ONCE,
    SearchPlan,
    ShardRun,
    plan_search,
    start_shard,
)
from .search_farm import FARM_FOLDER
from .search_shards import SearchPage, Shard
from .sources import Survey

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
    pages: dict[str, SearchPage] = field(default_factory=dict)
    """The guessed documents, by path."""
    plan: SearchPlan | None = None
    """Their plan: the build's own where its documents are the guessed ones."""

    def plan_of(self, documents: Sequence[SearchPage]) -> SearchPlan | None:
        """The guessed plan, if `documents` are the guessed documents."""
        if self.plan is None or len(documents) != len(self.pages):
            return None
        pages = self.pages
        return self.plan if all(pages.get(d.path) == d for d in documents) else None

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


@dataclass(frozen=True, slots=True)
class Edited:
    """The files an edit changed, read ahead of the others (see `edited_files`)."""

    articles: list[Article]
    """Their published articles, each one the last build published too."""
    keys: dict[str, str]
    """Each one's source key, by article id."""
    parsed: dict[int, ReadResult]
    """Every changed file's reading, by its index in the survey: the read takes these."""


def edited_files(
    found: Survey, contexts: Mapping[str, EarlyContext], config: SiteConfig
) -> Edited | None:
    """Parse the files the survey opened whose content is not what the last build published
    (`contexts`: its record of each published article's source key), or None where this is
    not an edit of a few published articles: one came or went, or more than `MAX_GUESSED`
    files are to parse. A file the survey did not open is the one the last build read (its
    `stat` vouched for it): one that published nothing then (a draft) is left to the read."""
    published = {context[0] for context in contexts.values()}
    changed = [i for i, key in found.keys.items() if key not in published and i in found.data]
    if not changed or len(changed) > MAX_GUESSED:
        return None
    parsed = {i: parse_bytes(found.data[i], found.relative[i], config) for i in changed}
    articles, keys = [], {}
    for index, result in parsed.items():
        article = result.article
        if article is not None and not article.draft:
            articles.append(article)
            keys[article.id] = found.keys[index]
    present = set(found.keys.values())
    gone = {article_id for article_id, context in contexts.items() if context[0] not in present}
    if not articles or gone != set(keys) or len(keys) != len(articles):
        return None  # articles came or went: the shards may move
    return Edited(articles, keys, parsed)


def start_early(
    changed: Sequence[Article],
    article_keys: Mapping[str, str],
    contexts: Mapping[str, EarlyContext],
    documents: Mapping[str, list[str]],
    config: SiteConfig,
    theme: Theme,
    fingerprint: str,
    compiled_templates: Path | None,
    state_dir: Path,
) -> EarlySearch | None:
    """Start Pagefind on the shards of the `changed` articles (see `edited_files`; `contexts`
    and `documents` are the last build's records), or None where their documents cannot be
    guessed."""
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

    early = EarlySearch({folder: shard for shard, folder in todo}, {}, pages, plan)
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
