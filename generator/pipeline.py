"""The build, as the list of stages it is: read, analyse, render + write, index, swap in."""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import functools
import gc
import hashlib
import itertools
import multiprocessing
import os
import pickle
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import manifest, sources
from .analysis.archive import Grouped, MemoStore, find_related, group_stories, prepare_related
from .analysis.diff import VersionDiff
from .analysis.features import ArticleFeatures, compute_features, compute_features_in_parallel
from .analysis.features import cache_key as features_key
from .analysis.parallel import Forked, can_fork, default_jobs
from .analysis.taxonomy import Taxonomies, build_taxonomies
from .cache import CACHE_DIR, CODE, Cache, entry_key
from .config import SiteConfig
from .errors import ContentError, Problem
from .model import Archive, Article
from .output import (
    FileStat,
    ListedSpare,
    SiteWriter,
    SpareListing,
    Staged,
    build_lock,
    check_output_dir,
    link_if_unchanged,
    write_file,
)
from .render.site import (
    LIST_PARTS,
    Page,
    Rendered,
    SiteData,
    article_page,
    list_pages,
    prepare,
    render_site,
)
from .render.stories import diff_pairs
from .render.theme import Theme, find_theme
from .render.urls import PathFields, UrlMap, assign_urls, output_file
from .search import BUNDLE_FOLDER, HeldBundle
from .search_early import EarlySearch, Edited, edited_files, start_early
from .search_step import SearchStep
from .source_state import Stated

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): called in the building process as long stages advance. With
total > 0, `done` of `total` items are done ("read", "render"); with total == 0, a step whose size
is not known has begun, and `stage` names it ("analyse: grouping", "search: indexing")."""


@dataclass
class BuildReport:
    """What a build did: counts, problems and seconds per stage."""

    articles: int = 0
    drafts: int = 0
    stories: int = 0
    pages: int = 0
    written: int = 0
    unchanged: int = 0
    searchable: int = 0
    search_shards: int = 0
    """Pagefind bundles the search index is split into."""
    search_reindexed: int = 0
    """Of those, the ones indexed by this build (the others kept: their pages are unchanged)."""
    search_read: int = 0
    """Search documents Pagefind read in this build (see search.SearchStats.documents)."""
    cache_hits: int = 0
    cache_misses: int = 0
    problems: list[Problem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    peak_mb: dict[str, float] = field(default_factory=dict)
    """Peak memory (resident, MB) of the build process by the end of each stage."""
    site: SiteData | None = None
    """The rendered site's data, when the caller asked to keep it (serve's quick updates)."""

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def _step(progress: Progress, stage: str, name: str) -> None:
    """Tell `progress` that a step of unknown size has begun."""
    progress(f"{stage}: {name}", 0, 0)


@contextmanager
def _timed(report: BuildReport, stage: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    report.timings[stage] = report.timings.get(stage, 0.0) + time.perf_counter() - start
    report.peak_mb[stage] = _peak_mb()


def _peak_mb() -> float:
    try:
        import resource
    except ImportError:  # not on Windows
        return 0.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


RENDER_CHUNK = 200
RENDER_FORKED_ARTICLES = 5_000
"""From this many articles, even an edit renders on more than one process. An edit's render
keys and links every page, and that alone took 6.1 s in one process at 100,000 articles
(233,000 pages), 4.5 s on two (40,000 articles: 1.7 -> 1.3 s); by then the edit's Pagefind run
(one part of a shard: 0.15 s) is done and the other core idle. At 11,000 articles, on a machine
as busy as one of half the speed (`bench/compare.py --half-speed`), the edit took 3.67 s
against 3.92 s in one process (6 each, taking turns); at full speed 1.86 s against 1.81 s, for
0.2 s more CPU (forking, and the workers' results pickled back). Since then the building
process renders too, beside `jobs - 1` forked ones (`_render_beside`), where a pool of `jobs`
left it waiting: 1.58 s against 1.69 s, 0.14 s less CPU (8 each, taking turns)."""
_RENDERING: (
    tuple[
        SiteData,
        Theme,
        Path,
        Path,
        Staged | None,
        Path | None,
        manifest.Manifest | None,
        dict[str, str],
    ]
    | None
)
_RENDERING = None
"""What forked render workers inherit: the site data, the theme, the staging and current output
folders, what the staging folder held, the cache folder and the last build's record."""


_WORKER_CACHE: Cache | None = None


def _worker_cache(folder: Path) -> Cache:
    """A forked worker's own connection to the cache, opened on first use (unchecked: the build
    checked the file when it opened it)."""
    global _WORKER_CACHE
    if _WORKER_CACHE is None:
        _WORKER_CACHE = Cache(folder, verify=False)
    return _WORKER_CACHE


@dataclass(slots=True)
class Written:
    """What writing pages did, gathered from the workers: the manifest of the build is made of
    it (no walk of the 17,000 files it wrote)."""

    count: int = 0
    """Pages written or linked."""
    written: int = 0
    """Of them, files whose bytes are new."""
    keys: dict[str, str] = field(default_factory=dict)
    """Path -> key of each templated page."""
    inputs: dict[str, str] = field(default_factory=dict)
    """Path -> digest of the inputs of each page that has one (see Page.inputs)."""
    files: dict[str, FileStat] = field(default_factory=dict)
    """Path -> stat of each page's file as written or linked."""

    def add(self, other: Written) -> None:
        self.count += other.count
        self.written += other.written
        self.keys.update(other.keys)
        self.inputs.update(other.inputs)
        self.files.update(other.files)


def _render_task(task: tuple[str, int, int], cache: Cache | None = None) -> Written:
    """Worker: write one part of the site, ("articles", start, end) or (a name in LIST_PARTS,
    0, 0). Each worker opens its own connection to the cache (SQLite connections do not survive
    fork); the building process, rendering beside one, passes its own."""
    assert _RENDERING is not None
    data, theme, staging, output_dir, staged, cache_dir, last, inputs = _RENDERING
    if cache is None and cache_dir is not None:
        cache = _worker_cache(cache_dir)
    part, start, end = task
    if part == "articles":
        pages = article_pages(data, data.archive.articles[start:end], inputs)
    else:
        pages = list(list_pages(data, theme, part))
    return write_pages(pages, staging, output_dir, cache, last, staged)


def _render_share(
    tasks: list[tuple[str, int, int]], taken: Any, cache: Cache | None = None
) -> list[tuple[int, Written]]:
    """Render tasks until none is left: each process takes the next one from the shared
    counter `taken`, so the fast and the slow share them out."""
    done = []
    while True:
        with taken.get_lock():
            index = taken.value
            taken.value += 1
        if index >= len(tasks):
            return done
        done.append((index, _render_task(tasks[index], cache)))


def _inputs(pages: list[Page]) -> list[tuple[str, str]]:
    return [(page.path, page.inputs) for page in pages if page.inputs]


def article_pages(
    data: SiteData, articles: Sequence[Article], worked_out: Mapping[str, str] | None = None
) -> list[Page]:
    """The articles' pages. A page whose inputs the last build recorded with it is not even
    keyed again: the last build's key stands for it, and it is made (from the same inputs)
    only if its file is no longer the one made then. `worked_out`: their inputs, where made
    already, by article id."""
    pages: list[Page] = []
    for article in articles:
        path = output_file(data.urls.by_id[article.id])
        inputs = worked_out[article.id] if worked_out else data.article_inputs(article.id)
        make = functools.partial(_make_article_page, data, article)
        known = data.known_page(path, inputs, make)
        pages.append(known or dataclasses.replace(article_page(data, article), inputs=inputs))
    return pages


def _make_article_page(data: SiteData, article: Article) -> bytes:
    rendered = article_page(data, article).data
    assert isinstance(rendered, Rendered)
    return rendered.make()


def write_pages(
    pages: list[Page],
    staging: Path,
    output_dir: Path,
    cache: Cache | None,
    last: manifest.Manifest | None,
    staged: Staged | None = None,
) -> Written:
    """Write a batch of pages. A templated page whose key was seen before and whose file still
    has the bytes it had then is linked, not rendered."""
    used = [(p.path, p.data.key) for p in pages if isinstance(p.data, Rendered)]
    stats = {path: last.unchanged_stat(path, key) for path, key in used} if last else {}
    # A page the last build made from this key needs no lookup: its file's stat vouches for it.
    unsure = [key for path, key in used if stats.get(path) is None]
    known = cache.get_many(unsure) if cache and unsure else {}
    if cache:
        cache.keep(key for _, key in used)
    fresh: list[tuple[str, str]] = []
    done = Written(len(pages), 0, dict(used), dict(_inputs(pages)))
    for page in pages:
        payload = page.data
        if isinstance(payload, Rendered):
            digest, stat = known.get(payload.key), stats.get(page.path)
            linked = (digest or stat) and link_if_unchanged(
                staging, output_dir, page.path, digest, stat, staged
            )
            if linked:
                done.files[page.path] = linked
                continue
            key, payload = payload.key, payload.make()
            fresh.append((key, hashlib.sha256(payload).hexdigest()))
        new, done.files[page.path] = write_file(staging, output_dir, page.path, payload)
        done.written += new
    if cache and fresh:
        cache.put_many(fresh)
    return done


def compiled_templates(cache_dir: Path) -> Path | None:
    """The folder Jinja keeps compiled templates in: one per version of Broadsheet's code (the
    environment's settings are part of the code, and not of Jinja's keys); older ones are
    removed. None where it cannot be made: the templates are then compiled each time."""
    root = cache_dir / "templates"
    folder = root / CODE
    if not folder.is_dir():
        shutil.rmtree(root, ignore_errors=True)
        try:
            folder.mkdir(parents=True)
        except OSError:
            return None
    return folder


def _render(
    data: SiteData,
    theme: Theme,
    writer: SiteWriter,
    jobs: int,
    cache: Cache | None,
    last: manifest.Manifest | None,
    progress: Progress,
) -> Written:
    """Render and write every page. On `jobs` forked processes, the article pages in chunks and
    the other pages in a few parts (the parts first: they take longest); small sites stay in one
    process."""
    global _RENDERING
    total = len(data.archive.articles)
    # Every article page's inputs, and with them every article's facts: before any fork, so
    # that the workers share them.
    inputs = {article.id: data.article_inputs(article.id) for article in data.archive.articles}
    forks = jobs > 1 and total >= 2 * RENDER_CHUNK and sys.platform != "win32"
    to_make = _pages_to_make(data, inputs) if forks else total
    parallel = forks and (total >= RENDER_FORKED_ARTICLES or to_make > RENDER_CHUNK)
    result = Written()
    if not parallel:
        articles = data.archive.articles
        batches = [
            article_pages(data, articles[i : i + RENDER_CHUNK], inputs)
            for i in range(0, total, RENDER_CHUNK)
        ]
        lists = _batches(render_site(data, theme, articles=False), RENDER_CHUNK)
        for batch in itertools.chain(batches, lists):
            for page in batch:
                writer.claim(page.path)
            done = write_pages(batch, writer.staging, writer.output_dir, cache, last, writer.staged)
            writer.add_counts(done.written, done.count - done.written)
            result.add(done)
            progress("render", min(result.count, total), total)
        return result
    folder = cache.folder if cache else None
    _RENDERING = (
        data,
        theme,
        writer.staging,
        writer.output_dir,
        writer.staged,
        folder,
        last,
        inputs,
    )
    tasks = [(part, 0, 0) for part in LIST_PARTS]
    tasks += [("articles", i, min(i + RENDER_CHUNK, total)) for i in range(0, total, RENDER_CHUNK)]
    if to_make <= RENDER_CHUNK:  # an edit's: this process renders too, beside jobs - 1 others
        try:
            return _render_beside(tasks, jobs - 1, writer, cache, progress, total)
        finally:
            _RENDERING = None
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            articles_done = 0
            for (part, start, end), done in zip(tasks, pool.imap(_render_task, tasks), strict=True):
                writer.claim_written(done.files)
                writer.add_counts(done.written, done.count - done.written)
                result.add(done)
                if cache:
                    cache.keep(done.keys.values())
                if part == "articles":
                    articles_done += end - start
                    progress("render", articles_done, total)
    finally:
        _RENDERING = None
    return result


def _render_beside(
    tasks: list[tuple[str, int, int]],
    helpers: int,
    writer: SiteWriter,
    cache: Cache | None,
    progress: Progress,
    total: int,
) -> Written:
    """The render of an edit, whose pages are nearly all linked: this process takes tasks in
    turn with `helpers` forked ones, where a pool of `helpers + 1` workers left it idle (one
    process less to fork, whose pages of memory it touches are copied)."""
    taken = multiprocessing.get_context("fork").Value("i", 0)
    forked = [Forked(functools.partial(_render_share, tasks, taken)) for _ in range(helpers)]
    try:
        done = dict(_render_share(tasks, taken, cache))
        for helper in forked:
            done.update(helper.result())
    finally:
        for helper in forked:
            helper.close()
    result = Written()
    for index in sorted(done):
        written = done[index]
        writer.claim_written(written.files)
        writer.add_counts(written.written, written.count - written.written)
        result.add(written)
        if cache:
            cache.keep(written.keys.values())
    progress("render", total, total)
    return result


def _pages_to_make(data: SiteData, inputs: Mapping[str, str]) -> int:
    """How many article pages the last build did not make from the same inputs. Where they are
    few (an edit of an archive under RENDER_FORKED_ARTICLES), every page but a handful is
    linked, and forked workers would only take the other core from Pagefind (and copy the pages
    of memory they touch)."""
    recorded = data.recorded
    if recorded is None:
        return len(data.archive.articles)
    by_id = data.urls.by_id
    return sum(
        1
        for article in data.archive.articles
        if recorded(output_file(by_id[article.id]), inputs[article.id]) is None
    )


def _batches(pages: Iterator[Page], size: int) -> Iterator[list[Page]]:
    batch: list[Page] = []
    for page in pages:
        batch.append(page)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def release_memory() -> None:
    """Hand the heap a finished stage freed back to the OS: glibc keeps it, so the process would
    stay at its peak through the stages that run beside it (render workers, Pagefind). At
    100,000 articles, after the analysis: 1.7 GB -> 0.8 GB."""
    gc.collect()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).malloc_trim(0)  # libc's, loaded (find_library runs ldconfig)


def build(
    config: SiteConfig,
    *,
    strict: bool = False,
    search: bool | None = None,
    carry_over: tuple[str, ...] = (),
    jobs: int | None = None,
    use_cache: bool = True,
    progress: Progress = _no_progress,
    keep_site: bool = False,
    keep_heap: list[object] | None = None,
    surveyed: Callable[[], Stated | None] | None = None,
    listed_spare: Callable[[], ListedSpare | None] | None = None,
) -> BuildReport:
    """Build the site into config.output_dir. The previous site stays in place until the new one
    is complete; with `strict`, any problem fails the build before anything is swapped in.
    `search` overrides [search] enabled; `carry_over` names folders of the current site to keep;
    `keep_site` keeps the site's data in the report (it is otherwise freed before search).
    `keep_heap`: a list the build's data is left in rather than freed, by a caller that exits
    at once (freeing 100,000 articles' data took 0.5 s of an edit's rebuild). `surveyed` gives
    the content folder's listing and stats, and `listed_spare` the spare folder's listing,
    where they were begun elsewhere (see cli.py)."""
    check_output_dir(
        config.output_dir,
        [config.content_dir, config.root / "templates", config.root / "themes", config.root],
    )
    with build_lock(config.output_dir):  # before the cache opens: a second build stops at once
        cache = Cache(config.root / CACHE_DIR) if use_cache else None
        searching = config.search.enabled if search is None else search
        collecting = gc.isenabled()
        # The build makes millions of objects that live until it ends (articles, features, page
        # summaries), and the cycle collector would scan them again and again as they are made
        # (unpickling 11,000 cached articles: 0.29 s with it, 0.14 s without). Whatever cycles a
        # stage leaves are collected by `release_memory` between stages.
        gc.disable()
        try:
            report = _build(
                config,
                cache,
                searching,
                strict,
                carry_over,
                jobs or default_jobs(),
                progress,
                keep_site,
                keep_heap,
                surveyed,
                listed_spare,
            )
            if cache and "render" in report.timings:
                cache.prune()  # only after a whole build: every entry it still needs was touched
            return report
        finally:
            gc.unfreeze()
            if collecting:
                gc.enable()
            if cache:
                cache.close()


def _build(
    config: SiteConfig,
    cache: Cache | None,
    searching: bool,
    strict: bool,
    carry_over: tuple[str, ...],
    jobs: int,
    progress: Progress,
    keep_site: bool = False,
    keep_heap: list[object] | None = None,
    surveyed: Callable[[], Stated | None] | None = None,
    listed_spare: Callable[[], ListedSpare | None] | None = None,
) -> BuildReport:
    report = BuildReport()
    theme = find_theme(config)
    cache_dir = config.root / CACHE_DIR
    with _timed(report, "read"):
        found = sources.survey(config, cache, surveyed() if surveyed else None)
    look = manifest.folder_digest(theme.folder, theme.site_templates)
    inputs = manifest.digest(CODE, found.digest, repr(config), repr((searching, carry_over)), look)
    last = manifest.load(cache_dir) if cache else None
    built = manifest.still_built(last, inputs, config.output_dir)
    if built and not keep_site:
        assert last is not None
        return _unchanged(report, last, strict)
    listing: SpareListing | None = None
    if not built:
        manifest.forget(cache_dir)
        # on the other core, or begun already
        listing = SpareListing(config.output_dir, make=not strict, listed=listed_spare)
    compiled = compiled_templates(cache_dir) if cache else None
    early: EarlySearch | None = None
    edited: Edited | None = None
    if searching and cache and last and not built:  # an edit's shard, guessed (search_early.py)
        with _timed(report, "search"):
            edited = edited_files(found, last.search_contexts, config)
            if edited:
                early = start_early(
                    edited.articles,
                    edited.keys,
                    last.search_contexts,
                    last.search_documents,
                    config,
                    theme,
                    CODE + look,
                    compiled,
                    cache_dir,
                )
    try:
        with _timed(report, "read"):
            parsed = edited.parsed if edited else None
            articles, read_problems = sources.read(
                found, config, progress, jobs=jobs, cache=cache, parsed=parsed
            )
    except BaseException:
        if early:
            early.stop()
        raise
    article_keys = sources.article_keys(found, articles)
    del found, edited
    # The articles live until the build ends: out of the cycle collector's sight, the
    # collections between stages scan only what the stages made (0.07 s less each).
    gc.freeze()
    if cache:
        report.cache_hits, report.cache_misses = cache.hits, cache.misses
    report.problems.extend(read_problems)
    report.drafts = sum(1 for a in articles if a.draft)
    try:
        with _timed(report, "analyse"):
            progress("analyse: features", 0, 0)
            features = cached_features(articles, config, cache, jobs, article_keys)
            step = functools.partial(_step, progress, "analyse")
            store = _MemoStore(cache.folder) if cache else None
            keys = features.keys if isinstance(features, CachedFeatures) else None
            # An edit's related articles are found on the other core while the URLs,
            # taxonomies and search documents are made; a first build's here (its memory peak
            # stays alone).
            incremental = cache is not None and cache.misses * 10 <= cache.hits
            related = RelatedJob(
                articles,
                features,
                config,
                functools.partial(_find_related, jobs=jobs, step=step, keys=keys),
                store,
                beside=incremental and can_fork(),
            )
            try:
                related.give(group_stories(articles, config, features, jobs, step, store, keys))
            except BaseException:
                related.close()
                raise
            del features
    except BaseException:
        if early:
            early.stop()
        raise
    try:
        grouped = related.grouped
        with _timed(report, "analyse"):
            urls, url_problems = cached_urls(grouped.archive.articles, config, store)
            taxonomies = cached_taxonomies(grouped.archive.articles, config, cache)
        site_data = functools.partial(
            prepare,
            config=config,
            theme=theme,
            urls=urls,
            fingerprint=CODE + look,
            taxonomies=taxonomies,
            article_keys=article_keys,
            compiled_templates=compiled,
        )
        if built:  # only the site's data was wanted
            assert last is not None
            report.problems.clear()  # the last build's, all of them, follow
            report = _unchanged(report, last, strict)
            archive = related.archive()
            made = site_data(archive)
            diffs = cached_diffs(archive, cache, article_keys)
            report.site = dataclasses.replace(made, diffs=diffs)  # read as pages ask
            return report
        after_read = [*url_problems, *taxonomies.problems]
        report.problems.extend(after_read)
        report.articles = len(grouped.archive.articles)
        report.stories = len(grouped.archive.stories)
        if strict and report.problems:
            raise ContentError(
                f"--strict: {len(report.problems)} problem(s) in the content", report.problems
            )

        writer = SiteWriter(config.output_dir, listing)
        carried = [f for f in carry_over if not (searching and f == BUNDLE_FOLDER)]
        for folder in carried:
            writer.reserve(folder)  # brought up to date in place, not deleted and linked anew
        search: SearchStep | None = None
        try:
            data = site_data(grouped.archive)
            if searching:
                # The search documents do not show related articles: an edit's shard is indexed
                # while they are found and the pages render.
                writer.reserve(BUNDLE_FOLDER)
                search = SearchStep(
                    data,
                    writer.staging / BUNDLE_FOLDER,
                    config.output_dir / BUNDLE_FOLDER,
                    cache_dir if cache else None,
                    last.search_documents if last else None,
                    HeldBundle(writer.staged) if writer.staged else None,
                    early,
                    last.search_contexts if last else None,
                )
                with _timed(report, "search"):
                    search.begin()
            with _timed(report, "analyse"):
                diffs = cached_diffs(grouped.archive, cache, article_keys)  # after Pagefind starts
                if search:
                    search.advance()
                archive = related.archive()
                if search:
                    search.advance()
                del grouped
                if not related.beside:  # its features and fingerprints were made here:
                    release_memory()  # the render's workers fork from a smaller process
            with _timed(report, "render"):
                # a new memo of facts: an article's include its related articles
                data = dataclasses.replace(
                    data,
                    archive=archive,
                    diffs=diffs,
                    facts={},
                    memos=_MemoStore(cache_dir) if cache else None,
                )
                if last:
                    data = dataclasses.replace(data, recorded=last.key_for_inputs)
                rendering = _render(data, theme, writer, jobs, cache, last, progress)
                writer.remove_unclaimed()
                writer.start_mirror()  # a build into a new folder: the next one's spare
                report.pages = rendering.count
                report.site = data if keep_site else None
                del diffs, data
            if search:
                if not related.beside:  # an edit's Pagefind runs are done or small: no need
                    release_memory()  # Pagefind runs beside this process
                with _timed(report, "search"):
                    indexed = search.finish(functools.partial(_step, progress, "search"))
                    report.searchable, report.search_shards = indexed.pages, indexed.shards
                    report.search_reindexed = indexed.reindexed
                    report.search_read = indexed.documents
            files = rendering.files
            if search:
                files.update(
                    (f"{BUNDLE_FOLDER}/{path}", stat) for path, stat in indexed.files.items()
                )
            with _timed(report, "write"):
                for folder in carried:
                    files.update(writer.carry_over(folder))
                stats = writer.commit()
        except BaseException:
            if search:
                search.abandon()
            writer.abandon()
            raise
        report.written, report.unchanged = stats.written, stats.unchanged
        if cache:
            started = time.perf_counter()
            counts = {name: getattr(report, name) for name in _COUNTS}
            problems = [asdict(p) for p in report.problems]
            documents = search.documents if search else {}
            record = manifest.Manifest(
                inputs,
                files,
                counts,
                problems,
                rendering.keys,
                rendering.inputs,
                documents,
                search.contexts if search else {},
            )
            manifest.save(cache_dir, record)
            report.timings["manifest"] = time.perf_counter() - started
        if keep_heap is not None:
            keep_heap.append(locals())  # every object of the build, left for the exit to drop
        return report
    finally:
        related.close()
        if early:
            early.stop()  # the runs the search step did not adopt


def _find_related(
    grouped: Grouped,
    config: SiteConfig,
    store: MemoStore | None,
    *,
    jobs: int,
    step: Callable[[str], None],
    keys: Mapping[str, str] | None,
) -> Archive:
    """`find_related` as `RelatedJob` calls it: (grouped, config, store), the rest given."""
    return find_related(grouped, config, jobs, step, store, keys)


class RelatedJob:
    """The archive's related articles, found beside the build (`beside`: on a process forked
    before the stories are grouped, which loads scipy and the last index meanwhile, is then
    given the grouped archive's order and stories, and gives back positions, compact to
    pickle; it writes its memo after) or here when asked for. `find(grouped, config, store)`."""

    def __init__(
        self,
        articles: Sequence[Article],
        features: Mapping[str, ArticleFeatures],
        config: SiteConfig,
        find: Callable[[Grouped, SiteConfig, MemoStore | None], Archive],
        store: MemoStore | None,
        beside: bool,
    ) -> None:
        self.beside, self.config, self.store, self.find = beside, config, store, find
        self.grouped: Grouped | None = None
        self._job: Forked[list[tuple[int, tuple[int, ...]]]] | None = None
        if beside:
            later = _SavedAfter(store) if store else None
            work = functools.partial(_related_when_grouped, find, articles, features, config, later)
            self._job = Forked(work, then=later.write if later else None, awaits=True)

    def give(self, grouped: Grouped) -> None:
        """The grouped archive, once `group_stories` has made it."""
        self.grouped = grouped
        if self._job is not None:
            self._job.give(
                ([a.id for a in grouped.archive.articles], dict(grouped.archive.story_of))
            )

    def archive(self) -> Archive:
        """The grouped archive with its related articles (the job's grouped archive is let go:
        its features are no longer needed)."""
        grouped = self.grouped
        assert grouped is not None, "give() comes first"
        if self._job is None:
            found = self.find(grouped, self.config, self.store)
        else:
            articles = grouped.archive.articles
            places = self._job.result()
            related = {articles[i].id: tuple(articles[j].id for j in js) for i, js in places}
            found = dataclasses.replace(grouped.archive, related=related)
        self.grouped = None
        return found

    def close(self) -> None:
        """Wait for the memo to be written, or stop the job if the build failed first."""
        if self._job is not None:
            self._job.close()


def _related_when_grouped(
    find: Callable[[Grouped, SiteConfig, MemoStore | None], Archive],
    articles: Sequence[Article],
    features: Mapping[str, ArticleFeatures],
    config: SiteConfig,
    store: _SavedAfter | None,
    receive: Callable[[], tuple[list[str], dict[str, str]]],
) -> list[tuple[int, tuple[int, ...]]]:
    """The related job, on its forked process: what `find` starts with (scipy's import, 0.25 s,
    and the last index) is loaded while the build groups the stories; then the grouped
    archive, as its articles' order and stories, comes through `receive`."""
    prepare_related()
    if store:
        store.keep("related")
    ids, story_of = receive()
    by_id = {a.id: a for a in articles}
    archive = Archive(tuple(by_id[i] for i in ids), (), story_of, {})
    return _related_places(functools.partial(find, Grouped(archive, features), config, store))


class _SavedAfter:
    """A memo store whose saves wait for `write`: the related articles go back to the build
    before their 50 MB memo is pickled."""

    def __init__(self, store: MemoStore) -> None:
        self.store = store
        self.saved: list[tuple[str, object]] = []
        self.kept: dict[str, object | None] = {}

    def keep(self, name: str) -> None:
        """Load a memo ahead of its `load`."""
        self.kept[name] = self.store.load(name)

    def load(self, name: str) -> object | None:
        return self.kept.pop(name) if name in self.kept else self.store.load(name)

    def save(self, name: str, memo: object) -> None:
        self.saved.append((name, memo))

    def write(self) -> None:
        for name, memo in self.saved:
            self.store.save(name, memo)


def _related_places(find: Callable[[], Archive]) -> list[tuple[int, tuple[int, ...]]]:
    """find()'s related articles as places in its archive's articles, in its order."""
    archive = find()
    place = {a.id: i for i, a in enumerate(archive.articles)}
    return [(place[k], tuple(place[x] for x in v)) for k, v in archive.related.items()]


def cached_features(
    articles: list[Article],
    config: SiteConfig,
    cache: Cache | None,
    jobs: int = 1,
    article_keys: Mapping[str, str] | None = None,
) -> Mapping[str, ArticleFeatures]:
    """Per-article analysis features (fingerprints, term counts) by article id: computed on
    `jobs` processes (and cached) where the cache has none, else read from the cache when the
    analysis asks for them (see `CachedFeatures`). An article is known by its source's key
    where `article_keys` has it (hashing 11,000 articles' text again took 0.3 s), else by its
    text."""
    if not cache or not (config.versions.enabled or config.related.enabled):
        return {}
    size = config.versions.shingle_size
    known_sources = article_keys or {}
    published = [a for a in articles if not a.draft]
    # A source's key is already a digest of Broadsheet's code and the file: the features of
    # its article are named after it, not hashed again (0.13 s at 11,000 articles).
    keys = [
        f"features:{size}:{known_sources[a.id]}"
        if a.id in known_sources
        else entry_key("features", CODE, features_key(a, size))
        for a in published
    ]
    held = cache.has_many(keys)
    missing = [i for i, key in enumerate(keys) if key not in held]
    made: dict[str, ArticleFeatures] = {}
    if missing:
        store = _FeatureStore(cache, [keys[i] for i in missing])
        values = compute_features_in_parallel([published[i] for i in missing], size, jobs, store)
        made = {published[i].id: value for i, value in zip(missing, values, strict=True)}
    by_id = {a.id: key for a, key in zip(published, keys, strict=True)}
    return CachedFeatures(cache, by_id, {a.id: a for a in published}, size, made)


class CachedFeatures(Mapping[str, ArticleFeatures]):
    """Features by article id, read from the cache when first asked for (`load` reads many at
    once): an edit's analysis reads only those of the articles it changed and of the candidate
    pairs they are in, not all 11,000 (0.3-0.5 s). `keys` holds each article's features key,
    by which the analysis memos know an unchanged text."""

    def __init__(
        self,
        cache: Cache,
        keys: dict[str, str],
        articles: dict[str, Article],
        shingle_size: int,
        made: dict[str, ArticleFeatures],
    ) -> None:
        self.cache, self.keys, self.articles = cache, keys, articles
        self.shingle_size = shingle_size
        self.loaded = dict(made)
        self.parent = os.getpid()

    def __getitem__(self, article_id: str) -> ArticleFeatures:
        found = self.loaded.get(article_id)
        return found if found is not None else self.load([article_id])[article_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self.keys

    def load(self, ids: Iterable[str]) -> dict[str, ArticleFeatures]:
        wanted = list(dict.fromkeys(ids))
        unread = [i for i in wanted if i not in self.loaded]
        if unread:
            # a forked worker opens its own connection (an SQLite connection does not survive fork)
            cache = self.cache if os.getpid() == self.parent else _worker_cache(self.cache.folder)
            found = cache.get_many(self.keys[i] for i in unread)
            lost = [i for i in unread if self.keys[i] not in found]  # damaged since checked
            remade = compute_features([self.articles[i] for i in lost], self.shingle_size)
            self.loaded.update((i, found[self.keys[i]]) for i in unread if i not in lost)
            self.loaded.update(zip(lost, remade, strict=True))
        return {i: self.loaded[i] for i in wanted}


def cached_urls(
    articles: Sequence[Article], config: SiteConfig, store: _MemoStore | None
) -> tuple[UrlMap, list[Problem]]:
    """`assign_urls`, with the permalinks the last build worked out for the same settings
    (a memo, "urls"): written again only when one is new or no longer used."""
    settings = repr((config.permalink, config.timezone))
    last = store.load("urls") if store else None
    known = last[1] if isinstance(last, tuple) and len(last) == 2 and last[0] == settings else {}
    made: dict[PathFields, str] = {}
    found = assign_urls(articles, config, known, made)
    if store and made != known:
        store.save("urls", (settings, made))
    return found


def cached_taxonomies(
    articles: Sequence[Article], config: SiteConfig, cache: Cache | None
) -> Taxonomies:
    """The archive's authors, publications, topics and dates: from the cache when no article's
    id, path, date, bylines, publication or topics changed (an edit of a text changes none)."""
    if not cache:
        return build_taxonomies(articles, config.timezone, config.content_dir.name)
    inputs = hashlib.blake2b(repr((config.timezone, config.content_dir.name)).encode())
    for a in articles:  # newest first: their order is an input too
        inputs.update(
            repr((a.id, a.source_path, a.date, a.authors, a.publication, a.tags)).encode()
        )
    key = entry_key("taxonomies", CODE, inputs.hexdigest())
    found = cache.get_many([key]).get(key)
    if isinstance(found, Taxonomies):
        return found
    made = build_taxonomies(articles, config.timezone, config.content_dir.name)
    cache.put_many([(key, made)])
    return made


class _MemoStore:
    """The last analysis memos (see analysis.archive.MemoStore), one file each in the cache
    folder (written whole, then renamed: a killed build leaves the old one or the new one)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load(self, name: str) -> object | None:
        try:
            with (self.folder / f"{name}.pickle").open("rb") as file:
                code, memo = pickle.load(file)
        except Exception:  # missing or damaged: it only saves time
            return None
        return memo if code == CODE else None

    def save(self, name: str, memo: object) -> None:
        path = self.folder / f"{name}.pickle"
        partial = path.with_name(f"{path.name}.partial")
        with contextlib.suppress(OSError):  # a failure costs the next build the shortcut
            with partial.open("wb") as file:
                pickle.dump((CODE, memo), file, protocol=pickle.HIGHEST_PROTOCOL)
            partial.replace(path)


class _FeatureStore:
    """Puts computed features in the cache from whichever process computed them: a forked worker
    opens its own connection (an SQLite connection does not survive fork)."""

    def __init__(self, cache: Cache, keys: list[str]) -> None:
        self.cache, self.keys, self.parent = cache, keys, os.getpid()

    def __call__(self, start: int, values: list[ArticleFeatures]) -> None:
        cache = self.cache if os.getpid() == self.parent else _worker_cache(self.cache.folder)
        cache.put_many(zip(self.keys[start : start + len(values)], values, strict=True))


def cached_diffs(
    archive: Archive, cache: Cache | None, article_keys: Mapping[str, str] | None = None
) -> dict[tuple[str, str], VersionDiff]:
    """The diffs the story pages show, by (old, new) article id, read from the cache as a page
    asks for one (`CachedDiffs`): an edit makes one story's pages, and the other thousand
    diffs are not even read. A text is known by its source's key where `article_keys` has it
    (reading 2,000 texts to key them took 0.1 s of an edit)."""
    if not cache:
        return {}
    by_id = {a.id: a for a in archive.articles}
    sources = article_keys or {}

    def text_of(article_id: str) -> str:
        known = sources.get(article_id)
        return f"source {known}" if known else _diff_input(by_id[article_id])

    pairs = {
        (story.versions[old - 1].article_id, story.versions[new - 1].article_id)
        for story in archive.stories
        for old, new in diff_pairs(story)
    }
    keys = {(a, b): entry_key("diff", CODE, text_of(a), text_of(b)) for a, b in sorted(pairs)}
    cache.keep(keys.values())  # in use, read or not
    return CachedDiffs(cache, keys)


class CachedDiffs(dict[tuple[str, str], VersionDiff]):
    """Diffs by (old, new) article id, as a dict of those read or made so far: `get` reads one
    from the cache by its key, and a diff stored here (made where the cache had none) is
    stored in the cache too, from whichever process made it (a render worker opens its own
    connection)."""

    def __init__(self, cache: Cache, keys: dict[tuple[str, str], str]) -> None:
        super().__init__()
        self.cache, self.keys, self.parent = cache, keys, os.getpid()

    def _cache(self) -> Cache:
        return self.cache if os.getpid() == self.parent else _worker_cache(self.cache.folder)

    def get(self, pair: tuple[str, str], default: VersionDiff | None = None) -> VersionDiff | None:  # type: ignore[override]
        found = super().get(pair)
        key = self.keys.get(pair)
        if found is None and key is not None:
            found = self._cache().get_many([key]).get(key)
            if isinstance(found, VersionDiff):
                super().__setitem__(pair, found)
            else:
                found = None
        return default if found is None else found

    def __setitem__(self, pair: tuple[str, str], diff: VersionDiff) -> None:
        super().__setitem__(pair, diff)
        key = self.keys.get(pair)
        if key is not None:
            self._cache().put_many([(key, diff)])


def _diff_input(article: Article) -> str:
    """What a diff reads of an article."""
    return repr((article.title, article.paragraphs))


_COUNTS = ("articles", "drafts", "stories", "pages", "searchable", "search_shards")


def _unchanged(report: BuildReport, last: manifest.Manifest, strict: bool) -> BuildReport:
    """The output already is this build's result: report it as the last build did."""
    for name, value in last.counts.items():
        setattr(report, name, value)
    report.problems.extend(last.problem_objects())
    if strict and report.problems:
        raise ContentError(
            f"--strict: {len(report.problems)} problem(s) in the content", report.problems
        )
    report.unchanged = report.pages
    return report
