"""The build's search step around the render: each article's search document is keyed, the
shards planned, and the changed ones indexed (search.py does the indexing;
render.site.search_page makes the documents)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from .render.site import SiteData, search_context, search_document, search_page
from .render.urls import output_file
from .search import HeldBundle, SearchPlan, SearchRun, SearchStats, plan_search
from .search_early import EarlyContext, EarlySearch
from .search_shards import SearchPage


def search_documents(
    data: SiteData,
    known: Mapping[str, list[str]] | None = None,
    known_contexts: Mapping[str, EarlyContext] | None = None,
) -> tuple[list[SearchPage], dict[str, list[str]], dict[str, EarlyContext]]:
    """Every published article's search document, keyed but not rendered, and [inputs, key,
    sort name, sort value, ...] of each by path. `known` is the last build's: a document whose
    inputs are the same keeps its key and sort values without being made again
    (`SiteData.search_inputs`). Third, each article's source key and `SearchContext`, by id:
    what the next build guesses an edited article's document from (search_early.py); the last
    build's (`known_contexts`) stand for documents whose inputs are the same."""
    pages: list[SearchPage] = []
    record: dict[str, list[str]] = {}
    contexts: dict[str, EarlyContext] = {}
    known_contexts = known_contexts or {}
    for article in data.archive.articles:
        path = output_file(data.urls.by_id[article.id])
        inputs = data.search_inputs(article.id)
        last = known.get(path) if known else None
        context = known_contexts.get(article.id)
        if last and len(last) % 2 == 0 and last[0] == inputs and context:
            page = SearchPage(path, last[1], tuple(zip(last[2::2], last[3::2], strict=True)))
            record[path] = last  # what it records is what it was made from
        else:
            where = search_context(data, article.id)
            page = search_document(data, article, *where)[0]
            context = (data.article_keys.get(article.id, ""), *where)
            record[path] = [inputs, page.key, *(part for sort in page.sorts for part in sort)]
        pages.append(page)
        contexts[article.id] = context
    return pages, record, contexts


def search_renderer(data: SiteData) -> Callable[[str], bytes]:
    """render(path) of the search document of the article whose page is at `path`."""
    by_path = {output_file(data.urls.by_id[a.id]): a for a in data.archive.articles}
    return lambda path: search_page(data, by_path[path])[1].make()


class SearchStep:
    """The build's search step, in two halves around the page rendering. `begin` keys the
    articles' search documents and plans the shards; when few shards changed (an edit), their
    Pagefind runs start at once and index while the build finds related stories (which the
    documents do not show) and renders the pages. `finish` links the kept shards, waits for
    those runs and indexes the other changed shards. Between the two, `advance` keeps one
    Pagefind run going on a first build's shards (the rest wait for `finish`, so Pagefind's
    memory is added to the render workers' once only). It all happens on the building
    thread: the render forks its workers in between, and a fork beside a running thread
    could copy a lock that thread held. It writes the bundle into `output`, a folder of the
    staging site that the build leaves to it; `held` is what that folder held (see
    search.HeldBundle)."""

    def __init__(
        self,
        data: SiteData,
        output: Path,
        previous: Path,
        state_dir: Path | None,
        known: Mapping[str, list[str]] | None = None,
        held: HeldBundle | None = None,
        early: EarlySearch | None = None,
        known_contexts: Mapping[str, EarlyContext] | None = None,
    ):
        self.data = data
        self.known = known
        """The last build's [inputs, key] of each document (see `search_documents`)."""
        self.documents: dict[str, list[str]] = {}
        """This build's, for the next."""
        self.known_contexts = known_contexts
        self.contexts: dict[str, EarlyContext] = {}
        """This build's source key and search context of each article, for the next."""
        self.early = early
        """Pagefind runs started on a guess of this step's plan (search_early.py)."""
        self.output, self.previous, self.state_dir = output, previous, state_dir
        self.held = held
        self.plan: SearchPlan | None = None
        self.run: SearchRun | None = None

    def begin(self) -> None:
        data = self.data
        documents, self.documents, self.contexts = search_documents(
            data, self.known, self.known_contexts
        )
        early, self.early = self.early, None
        guessed = early.plan_of(documents) if early else None
        self.plan = guessed or plan_search(
            documents,
            data.config.language,
            data.config.search,
            previous=self.previous,
            state_dir=self.state_dir,
        )
        self.run = self.plan.start(search_renderer(data), self.output, self.held, early)

    def advance(self) -> None:
        """Let Pagefind go on with the shards to index (see `SearchRun.advance`)."""
        if self.run is not None:
            self.run.advance()

    def finish(self, step: Callable[[str], None]) -> SearchStats:
        """Wait for the index and complete it; raise what stopped it."""
        assert self.plan is not None and self.run is not None
        step(self.plan.describe())
        run, self.run = self.run, None
        return run.finish()

    def abandon(self) -> None:
        """The build failed: stop Pagefind (what it wrote stays in the staging folder, which is
        checked file by file whenever it is used again)."""
        if self.early is not None:
            self.early.stop()
        if self.run is not None:
            self.run.abandon()
