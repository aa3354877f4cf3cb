"""The build's search step beside the render: each article's search document is keyed, the
shards planned, and the changed ones indexed on a thread of its own (search.py does the
indexing; render.site.search_page makes the documents)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from .render.site import SiteData, search_page
from .render.urls import output_file
from .search import HeldBundle, SearchPlan, SearchStats, plan_search
from .search_shards import SearchPage


def search_documents(
    data: SiteData, known: Mapping[str, list[str]] | None = None
) -> tuple[list[SearchPage], dict[str, list[str]]]:
    """Every published article's search document, keyed but not rendered, and [inputs, key,
    sort name, sort value, ...] of each by path. `known` is the last build's: a document whose
    inputs are the same keeps its key and sort values without being made again
    (`SiteData.search_inputs`)."""
    pages: list[SearchPage] = []
    record: dict[str, list[str]] = {}
    for article in data.archive.articles:
        path = output_file(data.urls.by_id[article.id])
        inputs = data.search_inputs(article.id)
        last = known.get(path) if known else None
        if last and len(last) % 2 == 0 and last[0] == inputs:
            page = SearchPage(path, last[1], tuple(zip(last[2::2], last[3::2], strict=True)))
        else:
            page = search_page(data, article)[0]
        pages.append(page)
        record[path] = [inputs, page.key, *(part for sort in page.sorts for part in sort)]
    return pages, record


def search_renderer(data: SiteData) -> Callable[[str], bytes]:
    """render(path) of the search document of the article whose page is at `path`."""
    by_path = {output_file(data.urls.by_id[a.id]): a for a in data.archive.articles}
    return lambda path: search_page(data, by_path[path])[1].make()


class BackgroundSearch:
    """The search step on a thread of its own, beside the render: it keys the articles' search
    documents and plans the shards at once, indexes at once when one shard changed (an edit:
    Pagefind then runs while the pages render), and waits for the render to finish before
    indexing more (a first build: Pagefind's memory is not added to the render workers').
    It writes the bundle into `output`, a folder of the staging site that the build leaves to
    it; `held` is what that folder held (see search.HeldBundle)."""

    def __init__(
        self,
        data: SiteData,
        output: Path,
        previous: Path,
        state_dir: Path | None,
        known: Mapping[str, list[str]] | None = None,
        held: HeldBundle | None = None,
    ):
        self.data: SiteData | None = data
        self.known = known
        """The last build's [inputs, key] of each document (see `search_documents`)."""
        self.documents: dict[str, list[str]] = {}
        """This build's, for the next."""
        """Released once the documents are rendered: the build process drops it too."""
        self.output, self.previous, self.state_dir = output, previous, state_dir
        self.held = held
        self.rendered = threading.Event()
        self.planned = threading.Event()
        self.plan: SearchPlan | None = None
        self.stats: SearchStats | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="search", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        try:
            data = self.data
            assert data is not None
            self.data = None
            documents, self.documents = search_documents(data, self.known)
            self.plan = plan_search(
                documents,
                data.config.language,
                data.config.search,
                previous=self.previous,
                state_dir=self.state_dir,
            )
            self.planned.set()
            if len(self.plan.todo) > 1:
                self.rendered.wait()
            self.stats = self.plan.run(search_renderer(data), self.output, self.held)
        except BaseException as exc:  # handed to the building thread by `finish`
            self.error = exc
        finally:
            self.planned.set()

    def finish(self, step: Callable[[str], None]) -> SearchStats:
        """Wait for the index (the pages are rendered); re-raise what stopped it."""
        self.rendered.set()
        self.planned.wait()
        if self.plan is not None:
            step(self.plan.describe())
        self.thread.join()
        if self.error is not None:
            raise self.error
        assert self.stats is not None
        return self.stats

    def abandon(self) -> None:
        """The build failed: let the thread end (what it wrote stays in the staging folder,
        which is checked file by file whenever it is used again)."""
        if self.thread.ident is not None:  # started
            self.rendered.set()
            self.thread.join()
