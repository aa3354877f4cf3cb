"""The Pagefind step: the articles' search documents in, a search bundle out, using the real
Pagefind binary shipped by the `pagefind[bin]` package.

Each article is indexed from its search document (search_shards.py: the headline, standfirst,
body, filters, metadata and sort value, rendered from the theme's `search-record.html` at the
path of the article's page), not from the page itself: a page also shows what other articles
say of it (related stories, the other versions' titles), and a change there must not cost a
re-index. The documents are indexed in shards (a document's shard depends on its path alone),
each into its own Pagefind bundle, which the search page merges in the browser with Pagefind's
mergeIndex:

    pagefind/                 the main bundle: the first shard, Pagefind's JS, WASM and UI
    pagefind/shard-N/         each further shard: its index, filters and fragments only
    pagefind/shards.json      {"bundles": ["shard-N/", ...], "sorts": {"date": "sort-date.json"}}
    pagefind/sort-date.json   every page's fragment in date order (written with two shards or
                              more: Pagefind orders sorted results within a bundle, not across)

Why shards: Pagefind holds the whole index in memory (2 GB at 11,000 articles), and one edit
re-indexed everything. A shard is a bounded run, indexed by the CLI on a folder of its rendered
documents (the CLI takes less time than the Python API's service: 4.4 s against 6.0 s of CPU
for 2,900 pages), two at a time on two cores. A shard whose key (its documents' keys, the
Pagefind version, the language) is the one the current site's bundle was written with is
neither rendered nor indexed again: its files are hard-linked from the current site, after
checking that they are still the files written then. Keys live in `.broadsheet-cache/`
(search_state.py).

A shard larger than `[search] part_size` is indexed in parts, each by its own Pagefind run and
kept in the cache (search_parts.py), and its bundle is merged from them (search_merge.py): an
edit re-indexes its part, not its shard.

Each bundle must be the same bytes for the same pages: Pagefind writes some of it in random or
file-system order, so `search_canonical` rewrites it into a canonical form.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import search_state
from .analysis.parallel import Forked, can_fork, default_jobs, map_inherited
from .config import SearchSettings
from .errors import SearchIndexError
from .output import FileStat, Staged, file_stat, place_link, replace_file, write_new_file
from .render.urls import SEARCH_BUNDLE
from .search_canonical import canonicalise_bundle
from .search_farm import (
    FARM_FOLDER,
    documents_written,
    farm_file,
    farm_name,
    fill_farm,
    lay_out,
    put_documents,
    remove_other_farms,
)
from .search_merge import MergeRefused, PartIndex, merge_parts, read_part
from .search_parts import (
    PARTS_FOLDER,
    KeptPart,
    PartRecord,
    keep_made_part,
    keep_part,
    part_name,
    read_part_record,
    remove_other_parts,
)
from .search_shards import Part, SearchPage, Shard, page_url, part_count, plan_shards, shard_count
from .search_splice import OLD_FOLDER, read_fragments, splice_part
from .search_state import BundleRecord, SearchState

if TYPE_CHECKING:
    from .search_early import EarlySearch

PARTS_AT_ONCE = 1
"""Pagefind runs at a time on one shard's parts: shards already run `PAGEFIND_AT_ONCE` at a
time. Started all at once, a first build at 100,000 articles ran 32 Pagefind processes of 50
threads each on two cores."""

SPLICE_MOST = 8
"""The most edited documents of one part indexed on their own and spliced into it
(search_splice.py); more, and the part is indexed whole."""

PAGEFIND_AT_ONCE = 2
"""Pagefind runs at a time. Pagefind uses about one core: the 11,000-article archive in 8
shards took 38 s (peak 0.6 GB, this process included) two at a time against 52 s (0.36 GB) one
at a time on two busy cores; one bundle of the whole took 54 s and 2.0 GB."""

SHARDS_FILE = "shards.json"
BUNDLE_FOLDER = SEARCH_BUNDLE
_DATA = ("pagefind-entry.json", "index", "filter", "fragment")
"""What a merged bundle needs besides its meta file: Pagefind's JS and WASM come from the main
bundle only."""


@dataclass(frozen=True, slots=True)
class SearchStats:
    pages: int
    """Search documents indexed: one per published article."""
    shards: int
    """Pagefind bundles the index is split into."""
    reindexed: int
    """Shards Pagefind indexed in this run; the others were kept from the current site."""
    files: dict[str, FileStat] = field(default_factory=dict)
    """Each file of the bundle (relative to it) with its stat."""
    documents: int = 0
    """Documents Pagefind read in this run: an edit's whole part, or, where its edited
    documents were spliced into the part as kept (search_splice.py), their two versions."""


Render = Callable[[str], bytes]
"""render(path): the bytes of the search document of the article page at `path`."""


def index_site(
    pages: Sequence[SearchPage],
    render: Render,
    output: Path,
    language: str,
    settings: SearchSettings | None = None,
    *,
    previous: Path | None = None,
    state_dir: Path | None = None,
    step: Callable[[str], None] | None = None,
) -> SearchStats:
    """Write the search bundle for the documents `pages` into `output` (the site's pagefind/
    folder, where the search page looks for it), which must not exist yet. An archive with no
    article gets no bundle (the search page says so).

    `previous` is the bundle the site serves now and `state_dir` the folder of the state that
    describes it: shards whose documents are unchanged are linked from it instead of indexed.
    `step(name)` is told as each part begins: Pagefind reports no counts on the way."""
    plan = plan_search(pages, language, settings, previous=previous, state_dir=state_dir)
    if step:
        step(plan.describe())
    return plan.run(render, output)


@dataclass
class SearchPlan:
    """Which shards a search step indexes anew, decided before any is: a build can then index
    one edited shard beside its page rendering, and many only after it."""

    pages: int
    language: str
    shards: list[Shard]
    folders: list[str]
    """Each shard's folder in the bundle ("" for the main one)."""
    state: SearchState
    previous: Path | None
    state_dir: Path | None

    @property
    def todo(self) -> list[tuple[Shard, str]]:
        """The shards whose bundle cannot be kept: not in the state under their key."""
        kept = {(record.key, old == "") for old, record in self.state.bundles.items()}
        return [
            (shard, folder)
            for shard, folder in zip(self.shards, self.folders, strict=True)
            if self.previous is None or (shard.key, folder == "") not in kept
        ]

    def describe(self) -> str:
        return f"indexing {len(self.todo)} of {len(self.shards)} shard(s) (the rest are unchanged)"

    def run(self, render: Render, output: Path, held: HeldBundle | None = None) -> SearchStats:
        """Link the kept shards' bundles and index the others into `output`: a new folder, or
        the bundle of a reused staging folder (`held` says what it held: files that are already
        the ones to link stay, the rest are replaced, and files no shard claims are removed)."""
        return self.start(render, output, held).finish()

    def start(
        self,
        render: Render,
        output: Path,
        held: HeldBundle | None = None,
        early: EarlySearch | None = None,
    ) -> SearchRun:
        """`run`, begun: when no more shards changed than Pagefind runs at a time (an edit),
        Pagefind starts on them now and indexes while the caller goes on (the build finds
        related stories and renders meanwhile). More (a first build) are indexed one at a time
        as the caller calls `SearchRun.advance`, and the rest two at a time by
        `SearchRun.finish`. A run of `early` that indexes exactly a shard to index is adopted;
        the others are stopped."""
        bundle = output.resolve()
        search = SearchRun(self, render, bundle, held)
        try:
            todo = self.todo
            if early:
                for shard, folder in todo:
                    adopted = early.adopt(shard, folder)
                    if adopted:
                        search.started[folder] = adopted
                early.stop()  # before their farm is filled again
            if self.shards:
                bundle.mkdir(parents=True, exist_ok=held is not None)
                search.queue = [job for job in todo if job[1] not in search.started]
                search.forks = len(todo) <= PAGEFIND_AT_ONCE
                if search.forks:
                    while search.queue:
                        search.start_next()
                else:
                    search.advance()
        except BaseException:
            search.abandon()
            if early:
                early.stop()
            raise
        return search


@dataclass
class SearchRun:
    """A search step under way (see `SearchPlan.start`): the shards Pagefind is indexing
    already, by folder."""

    plan: SearchPlan
    render: Render
    bundle: Path
    held: HeldBundle | None
    started: dict[str, ShardRun] = field(default_factory=dict)
    queue: list[tuple[Shard, str]] = field(default_factory=list)
    """The shards to index that Pagefind has not started on, in order."""
    done: dict[str, BundleRecord] = field(default_factory=dict)
    """The shards indexed and put in place before `finish`, by folder."""
    documents: int = 0
    """The documents Pagefind read for them."""
    completing: Forked[SearchStats] | None = None
    """An edit's whole `finish`, on a forked process begun as soon as Pagefind is done with
    its shards: their bundles made canonical or merged, the kept shards linked, the shard list
    and the state written (0.1-0.3 s) while the building process renders the pages."""
    forks: bool = False
    """Whether to finish on a forked process: for an edit's few shards only. A first build's
    process is gigabytes at 100,000 articles, and the pages it changes while a fork lives are
    copied (the build's peak memory grew by 1 GB)."""

    @property
    def farms(self) -> Path | None:
        return self.plan.state_dir / FARM_FOLDER if self.plan.state_dir else None

    def start_next(self) -> None:
        job = self.queue.pop(0)
        self.started[job[1]] = start_shard(
            self.render, self.bundle, self.plan.language, self.farms, job
        )

    def advance(self) -> None:
        """Put in place the shards Pagefind has finished, and start it on the next one if none
        is under way: called between the steps of a first build, which leave a core idle for
        seconds (one shard indexed in the 3 s the diffs and related stories take at 11,000
        articles); it never waits. An edit's runs, once all are done, are finished on a forked
        process (`completing`)."""
        if self.forks:
            done = all(running.finished() for running in self.started.values())  # reaped here
            if done and not self.queue and self.completing is None and can_fork():
                self.completing = Forked(self._finish_here)
            return
        for folder, running in list(self.started.items()):
            if running.finished():
                del self.started[folder]
                self.done[folder] = _finish_shard(running, self.bundle, self.plan.previous)
                self.documents += running.documents
        if not self.started and self.queue:
            self.start_next()

    def finish(self) -> SearchStats:
        """Link the kept shards, wait for the ones started, index the rest, and write the
        shard list and the state (or take what the forked process that did it gives)."""
        if self.completing is None:
            return self._finish_here()
        job, self.completing = self.completing, None
        try:
            return job.result()
        finally:
            job.close()
            self.abandon()

    def _finish_here(self) -> SearchStats:
        plan, bundle, held = self.plan, self.bundle, self.held
        if not plan.shards:
            search_state.save(plan.state_dir, SearchState())
            if held:
                shutil.rmtree(bundle, ignore_errors=True)
            return SearchStats(pages=0, shards=0, reindexed=0)
        try:
            records = dict(self.done)
            todo: list[tuple[Shard, str]] = []
            waiting = {folder for _, folder in self.queue} | set(self.started) | set(records)
            for shard, folder in zip(plan.shards, plan.folders, strict=True):
                if folder in waiting:
                    continue
                record = _reuse(shard, folder, plan.state, plan.previous, bundle, held)
                if record:
                    records[folder] = record
                else:
                    todo.append((shard, folder))
            started = list(self.started.values())
            rest = [*self.queue, *todo]
            self.queue = []
            reindexed = len(self.done) + len(started) + len(rest)
            documents = self.documents
            state = (self.render, bundle, plan.language, self.farms, plan.previous)
            forked = len(rest) > 1 and can_fork()
            finish = functools.partial(_finish_shard, bundle=bundle, live=plan.previous)
            with ThreadPoolExecutor(PAGEFIND_AT_ONCE) as pool:
                try:
                    # the runs under way take the first places: the others start as they end
                    finished = [pool.submit(finish, running) for running in started]
                    threaded = [] if forked else rest
                    indexed = [pool.submit(_index_job, state, job) for job in threaded]
                    for running, future in zip(started, finished, strict=True):
                        records[running.folder] = future.result()
                        documents += running.documents
                    for (_, folder), future in zip(threaded, indexed, strict=True):
                        records[folder], read = future.result()
                        documents += read
                except BaseException:
                    pool.shutdown(cancel_futures=True)
                    raise
            if forked:  # the threads are gone: the workers fork from this thread alone
                made = map_inherited(_index_job, state, rest, PAGEFIND_AT_ONCE)
                for (_, folder), (record, read) in zip(rest, made, strict=True):
                    records[folder] = record
                    documents += read
        finally:
            self.abandon()
        listed = _write_shard_list(bundle, plan.shards, plan.folders, records)
        if held:
            claimed = {_in(folder, f) for folder, record in records.items() for f in record.files}
            held.remove_unclaimed(bundle, claimed | set(listed))
        if self.farms:
            remove_other_farms(self.farms, _farm_names(plan.shards))
            remove_other_parts(
                self.farms.parent / PARTS_FOLDER,
                {
                    farm_name(shard.number): {part_name(part.number) for part in shard.parts}
                    for shard in plan.shards
                    if shard.parts
                },
            )
        search_state.save(plan.state_dir, SearchState(dict(sorted(records.items()))))
        files = {
            _in(f, path): stat
            for f, record in records.items()
            for path, stat in record.files.items()
        }
        files.update((name, file_stat(os.stat(bundle / name))) for name in listed)
        return SearchStats(plan.pages, len(plan.shards), reindexed, files, documents)

    def abandon(self) -> None:
        """Stop the Pagefind runs still under way (a failed build) and remove their work."""
        if self.completing is not None:
            self.completing.close()
            self.completing = None
        while self.started:
            _, running = self.started.popitem()
            running.stop()


@dataclass(frozen=True, slots=True)
class HeldBundle:
    """What a reused staging folder's search bundle held when the build began (see
    output.Staged). Building the bundle in place, a kept shard's 700 files need no new link
    where the staging folder has them already, and nothing is deleted wholesale."""

    staged: Staged
    prefix: str = BUNDLE_FOLDER + "/"

    def holds(self, relative: str, current: os.stat_result) -> bool:
        return self.staged.holds(self.prefix + relative, current)

    def remove_unclaimed(self, bundle: Path, claimed: set[str]) -> None:
        """Remove the files it held that are not `claimed` (bundle-relative), and folders
        left empty."""
        kept = {self.prefix + path for path in claimed}
        self.staged.remove_unclaimed(bundle.parent, self.prefix.rstrip("/"), kept)


def _farm_names(shards: list[Shard]) -> set[str]:
    """The kept documents' files the shards use (see `_farm`): one per shard, or per part."""
    return {_farm_stem(shard, part) for shard in shards for part in (shard.parts or (None,))}


def _farm_stem(shard: Shard, part: Part | None) -> str:
    return farm_name(shard.number) + (f"-part-{part.number}" if part else "")


def _in(folder: str, relative: str) -> str:
    return f"{folder}/{relative}" if folder else relative


def plan_search(
    pages: Sequence[SearchPage],
    language: str,
    settings: SearchSettings | None = None,
    *,
    previous: Path | None = None,
    state_dir: Path | None = None,
) -> SearchPlan:
    """The shards of `pages` and the state that says which of them `previous` holds already."""
    settings = settings or SearchSettings()
    if not pages:
        return SearchPlan(0, language, [], [], SearchState(), previous, state_dir)
    count = shard_count(len(pages), settings.shard_size, settings.max_shards)
    parts = part_count(len(pages), count, settings.part_size)
    shards = plan_shards(sorted(pages, key=lambda page: page.path), count, _salt(language), parts)
    folders = ["" if i == 0 else f"shard-{shard.number}" for i, shard in enumerate(shards)]
    state = search_state.load(state_dir)
    return SearchPlan(len(pages), language, shards, folders, state, previous, state_dir)


@functools.lru_cache(maxsize=1)
def _pagefind() -> tuple[str, str]:
    """The Pagefind binary and its version."""
    executable = _pagefind_executable()
    if executable is None:
        raise SearchIndexError("Pagefind's binary was not found: pip install 'pagefind[bin]~=1.5'")
    try:
        version = subprocess.run(
            [str(executable), "--version"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SearchIndexError(f"Pagefind's binary {executable} does not run: {exc}") from exc
    return str(executable), version


def _pagefind_executable() -> str | None:
    """Pagefind's binary, looked for as `pagefind.service.get_executable` looks (the
    PAGEFIND_BINARY_PATH variable, the extended then the plain binary package, the PATH),
    without importing that module: it loads asyncio (12 ms of an edit, before Pagefind starts)."""
    given = os.environ.get("PAGEFIND_BINARY_PATH")
    if given is not None:
        return given
    for package in ("pagefind_bin_extended", "pagefind_bin"):
        try:
            return str(importlib.import_module(package).get_executable())
        except ImportError:
            continue
    return shutil.which("pagefind_extended") or shutil.which("pagefind")


_CODE = hashlib.sha256(
    b"".join(
        (Path(__file__).parent / name).read_bytes()
        for name in ("search.py", "search_canonical.py", "search_shards.py", "search_merge.py")
    )
).hexdigest()[:16]
"""The code that shapes a bundle: a new version of it never reuses an old bundle."""


def _salt(language: str) -> str:
    return f"{_pagefind()[1]}\0{_force_language(language)}\0{_CODE}"


def _force_language(language: str) -> str:
    return language.split("-")[0].lower() or "en"


def _reuse(
    shard: Shard,
    folder: str,
    state: SearchState,
    previous: Path | None,
    bundle: Path,
    held: HeldBundle | None = None,
) -> BundleRecord | None:
    """Link the current site's bundle of this shard's key into bundle/folder, if it is intact
    and was the main bundle, or a merged one, as it is to be now (they hold different files).
    A file `held` has already (the very file) is left as it is."""
    if previous is None:
        return None
    found = [
        (old, record)
        for old, record in state.bundles.items()
        if record.key == shard.key and (old == "") == (folder == "")
    ]
    if not found:
        return None
    old, record = found[0]
    source, into = os.fspath(previous / old), os.fspath(bundle / folder)
    linked: list[str] = []
    try:
        current = []
        for relative, stat in record.files.items():
            now = os.stat(f"{source}/{relative}")
            if [now.st_size, now.st_mtime_ns, now.st_ino] != stat:
                return None
            current.append((relative, now))
        for parent in sorted({os.path.dirname(relative) for relative in record.files}):
            os.makedirs(f"{into}/{parent}", exist_ok=True)
        for relative, now in current:
            if held is None or not held.holds(_in(folder, relative), now):
                place_link(f"{source}/{relative}", now, f"{into}/{relative}")
                linked.append(relative)
    except OSError:
        for relative in linked:  # the shard is indexed again: none of these may stay
            with contextlib.suppress(OSError):
                os.unlink(f"{into}/{relative}")
        return None
    # the very files, so their stats are the recorded ones
    return BundleRecord(shard.key, dict(record.files), record.pages)


def _index_job(
    state: tuple[Render, Path, str, Path | None, Path | None], job: tuple[Shard, str]
) -> tuple[BundleRecord, int]:
    """`_index_shard` of one job, on a worker that inherited the rest (a first build's shards
    are indexed on forked processes: rendering their documents, making them canonical and
    merging their parts is Python's work, which threads did one at a time)."""
    return _index_shard(*state, job)


def _index_shard(
    render: Render,
    bundle: Path,
    language: str,
    farms: Path | None,
    live: Path | None,
    job: tuple[Shard, str],
) -> tuple[BundleRecord, int]:
    """Render one shard's documents, index them with the Pagefind CLI and put the canonical
    bundle in place (see `start_shard` and `_finish_shard`); also the documents Pagefind
    read."""
    running = start_shard(render, bundle, language, farms, job)
    return _finish_shard(running, bundle, live), running.documents


@dataclass
class PagefindRun:
    """Pagefind indexing one shard's or part's (`part`) documents into `out`: the documents
    laid out in a folder `site` beside it, both under `work` or a scratch folder in memory
    (see `_scratch_folder`); what Pagefind prints goes to `work`/pagefind.log."""

    part: Part | None
    work: Path
    process: subprocess.Popen[bytes]
    scratch: Path | None = None
    documents: int = 0
    splice: Splice | None = None
    """Where the run indexes only a part's edited documents (new and old versions)."""
    read: bool = False
    """Whether the shard's run has read what this run wrote."""

    @property
    def out(self) -> Path:
        return (self.scratch or self.work) / "out"

    def wait(self, shard: Shard) -> None:
        if self.process.wait() != 0:
            said = (self.work / "pagefind.log").read_text("utf-8", "replace").strip().splitlines()
            where = f"shard {shard.number}" + (f", part {self.part.number}" if self.part else "")
            raise SearchIndexError(
                f"Pagefind could not index the site ({where}): " + " ".join(said[-5:])
            )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)


@dataclass(frozen=True, slots=True)
class Splice:
    """A part's edited documents, indexed on their own to be spliced into the part as kept
    (search_splice.py): the part as last kept, and the documents' URLs and new versions."""

    last: KeptPart
    urls: list[str]
    documents: dict[str, tuple[str, bytes]]
    """Path -> key and bytes of each edited document's new version."""


@dataclass
class ShardRun:
    """One shard being indexed: a Pagefind run on the whole shard, or on those of its parts
    that the cache does not hold (`parts`: the folder of the shard's kept parts), whose
    bundles are then merged with the others (search_merge.py)."""

    shard: Shard
    folder: str
    work: Path
    runs: list[PagefindRun]
    language: str = "en"
    parts: Path | None = None
    """Where the shard's parts are kept (see search_parts.py)."""
    kept: dict[int, KeptPart] = field(default_factory=dict)
    """The shard's parts read so far, by number: those the cache held (not indexed again),
    and those Pagefind indexed, kept as each run ended."""
    render: Render | None = None
    farms: Path | None = None

    pending: list[Part] = field(default_factory=list)
    """Parts to index that Pagefind has not started on (see `PARTS_AT_ONCE`)."""
    filled: tuple[int, dict[str, bytes]] | None = None
    """The next pending part's number and documents, once they are made (`_fill`)."""
    refused: MergeRefused | None = None
    """Why a part Pagefind indexed cannot be merged, if one cannot (see `_merge_shard`)."""
    whole: set[int] = field(default_factory=set)
    """Parts whose splice was refused: indexed whole."""
    records: dict[int, PartRecord] = field(default_factory=dict)
    """The kept files of parts to index again, by number (see `_splice`)."""

    @property
    def documents(self) -> int:
        """Documents Pagefind read for the shard so far."""
        return sum(run.documents for run in self.runs)

    def pump(self) -> None:
        """Start Pagefind on the next parts while fewer than `PARTS_AT_ONCE` of this shard's
        runs are under way."""
        while self.pending and (
            sum(run.process.poll() is None for run in self.runs) < PARTS_AT_ONCE
        ):
            part = self.pending.pop(0)
            run = self._splice(part)
            if run is None:
                documents = self._fill(part)
                self.filled = None
                work = self.work / f"part-{part.number}"
                run = _run_pagefind(documents, work, self.language, part)
            self.runs.append(run)

    def _splice(self, part: Part) -> PagefindRun | None:
        """Pagefind started on the part's edited documents alone, new and old versions, where
        the part as last kept holds the same documents but a few (at most `SPLICE_MOST`) and
        its folder of documents still holds their old versions; else None. The folder is left
        as it is until the splice is made (`_keep_run`): an early run given up (search_early.py)
        leaves the old versions to the run that follows."""
        record = self.records.get(part.number)
        if record is None or self.farms is None or self.render is None or part.number in self.whole:
            return None
        keys = record.documents
        now = {page.path: page.key for page in part.pages}
        if now.keys() != keys.keys():
            return None
        edited = {path: keys[path] for path, key in now.items() if key != keys[path]}
        if not edited or len(edited) > SPLICE_MOST:
            return None
        old = documents_written(_farm(self.farms, self.shard, part), edited)
        last = record.kept() if old is not None else None
        if old is None or last is None:
            return None
        new = {path: (now[path], self.render(path)) for path in sorted(edited)}
        both = {f"{OLD_FOLDER}/{path}": data for path, data in old.items()}
        both.update((path, data) for path, (_, data) in new.items())
        work = self.work / f"part-{part.number}-spliced"
        run = _run_pagefind(both, work, self.language, part)
        run.splice = Splice(last, [page_url(path) for path in new], new)
        return run

    def finished(self) -> bool:
        self.pump()
        return not self.pending and all(run.process.poll() is not None for run in self.runs)

    def wait(self) -> None:
        """Wait for every run, starting the parts still to index; raise if one failed. While
        Pagefind indexes a part, the next part's documents are rendered and the parts it has
        indexed are read and kept (`_keep_run`): Python's work and Pagefind's overlap, where
        they took turns (at 11,000 articles, 23 ms and 30 ms a part of 128)."""
        while True:
            self.pump()
            if self.pending:
                self._fill(self.pending[0])
            under_way = [run for run in self.runs if run.process.poll() is None]
            for run in self.runs:
                if run not in under_way:
                    run.wait(self.shard)
                    if run.part is not None:
                        self._keep_run(run)
            if not under_way and not self.pending:
                return
            if under_way:
                under_way[0].wait(self.shard)

    def _keep_run(self, run: PagefindRun) -> None:
        """Read the part a finished run indexed and keep it in the cache (once), then free its
        bundle's scratch folder."""
        part = run.part
        assert part is not None and self.parts is not None
        if run.read or part.number in self.kept or self.refused:
            return
        run.read = True
        if run.splice:
            try:
                index, files = _spliced(run, part)
            except (MergeRefused, SearchIndexError, OSError, ValueError, KeyError):
                self.whole.add(part.number)  # indexed whole, next
                self.pending.insert(0, part)
            else:
                self.kept[part.number] = keep_made_part(self.parts, part, index, files)
                farm = _farm(self.farms, self.shard, part)
                if farm:  # after: a run given up leaves the old versions in place
                    put_documents(farm, run.splice.documents)
            if run.scratch:
                shutil.rmtree(run.scratch, ignore_errors=True)
                run.scratch = None
            return
        try:
            index, _ = read_part(run.out)
        except MergeRefused as refused:
            self.refused = refused  # the shard is indexed in one run (see `_finish_shard`)
            return
        self.kept[part.number] = keep_part(self.parts, part, run.out, index, self.folder == "")
        if run.scratch:
            shutil.rmtree(run.scratch, ignore_errors=True)
            run.scratch = None

    def _fill(self, part: Part) -> dict[str, bytes]:
        """The part's documents, by path (see `fill_farm`), made once."""
        if self.filled is None or self.filled[0] != part.number:
            assert self.render is not None
            farm = _farm(self.farms, self.shard, part)
            self.filled = part.number, fill_farm(farm, part.pages, self.render)
        return self.filled[1]

    def stop(self) -> None:
        self.pending.clear()
        for run in self.runs:
            run.stop()
        shutil.rmtree(self.work, ignore_errors=True)


MEMORY_FOLDER = Path("/dev/shm")
"""Linux's file system in memory, where Pagefind writes a shard's bundle when there is room."""

_SCRATCH_PREFIX = "broadsheet-pagefind-"


def _scratch_folder(documents: int) -> Path | None:
    """A new folder in memory for one Pagefind run's documents and output, or None (no such
    file system, or less room than 64 KB per document plus 64 MB, where a document and its
    share of the bundle take 10-15 KB: they are then written beside the site).
    Pagefind writes 770 files per shard from 50 threads; on ext4 their creation costs 0.6 s
    of kernel time that a memory file system does not (1.65 -> 1.3 s per shard on 2 cores).
    Folders left by killed builds (named by their process) are removed first."""
    if not MEMORY_FOLDER.is_dir():
        return None
    try:
        _remove_orphan_scratch()
        room = os.statvfs(MEMORY_FOLDER)
        if room.f_bavail * room.f_frsize < (documents << 16) + (64 << 20):
            return None
        return Path(tempfile.mkdtemp(prefix=f"{_SCRATCH_PREFIX}{os.getpid()}-", dir=MEMORY_FOLDER))
    except OSError:
        return None


def _remove_orphan_scratch() -> None:
    for entry in os.scandir(MEMORY_FOLDER):
        if not entry.name.startswith(_SCRATCH_PREFIX):
            continue
        pid = entry.name[len(_SCRATCH_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry.path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        pass
    return True


def start_shard(
    render: Render,
    bundle: Path,
    language: str,
    farms: Path | None,
    job: tuple[Shard, str],
) -> ShardRun:
    """Render one shard's documents (into its kept folders under `farms`, where only changed
    ones are written; else into a work folder) and start the Pagefind CLI on them: on the
    whole shard, or on each of its parts that the cache (beside `farms`) does not hold."""
    shard, folder = job
    work = bundle / f".shard-{shard.number}.work"
    shutil.rmtree(work, ignore_errors=True)  # what a killed build left in a reused staging folder
    running = ShardRun(shard, folder, work, [], language, render=render, farms=farms)
    try:
        if shard.parts:
            running.parts = (
                farms.parent / PARTS_FOLDER / farm_name(shard.number) if farms else work / "parts"
            )
            for part in shard.parts:
                record = read_part_record(running.parts, part.number)
                found = record.kept() if record and record.key == part.key else None
                if found:
                    running.kept[part.number] = found
                else:
                    running.pending.append(part)
                    if record:
                        running.records[part.number] = record
            running.pump()
        else:
            documents = fill_farm(_farm(farms, shard, None), shard.pages, render)
            running.runs.append(_run_pagefind(documents, work, language, None))
    except OSError as exc:
        running.stop()
        raise SearchIndexError(f"Could not index the search documents: {exc}") from exc
    except BaseException:
        running.stop()
        raise
    return running


def _spliced(run: PagefindRun, part: Part) -> tuple[PartIndex, dict[str, bytes]]:
    """The part as last kept with its edited documents' postings swapped for those the run
    gave their new versions (search_splice.py), and its files."""
    assert run.splice is not None
    last = run.splice.last
    mini, _ = read_part(run.out)
    fragments = {name: data for name, data in last.files.items() if name.startswith("fragment/")}
    sort_values = {page_url(page.path): dict(_first_values(page)) for page in part.pages}
    index, spliced = splice_part(
        last.index, fragments, mini, read_fragments(run.out, mini), run.splice.urls, sort_values
    )
    scripts = {name: data for name, data in last.files.items() if name not in fragments}
    return index, dict(sorted({**scripts, **spliced}.items()))


def _farm(farms: Path | None, shard: Shard, part: Part | None) -> Path | None:
    """The file a shard's (or part's) documents are kept in, if they are kept."""
    if farms is None:
        return None
    return farm_file(farms, _farm_stem(shard, part))


def _run_pagefind(
    documents: dict[str, bytes], work: Path, language: str, part: Part | None
) -> PagefindRun:
    """Start Pagefind on the documents (path -> bytes), laid out in a scratch folder in memory,
    or in `work`, and writing its bundle beside them."""
    scratch = _scratch_folder(len(documents))
    try:
        executable, _ = _pagefind()
        site, out = (scratch or work) / "site", (scratch or work) / "out"
        work.mkdir(parents=True, exist_ok=True)
        if not scratch:
            shutil.rmtree(site, ignore_errors=True)  # a run's before it, in a reused work folder
        lay_out(site, documents)
        command = [executable, "--site", str(site), "--output-path", str(out)]
        command += ["--force-language", _force_language(language), "--quiet"]
        with open(work / "pagefind.log", "wb") as log:  # a file, not a pipe: nothing to drain
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=_pagefind_env()
            )
    except BaseException:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
        raise
    return PagefindRun(part, work, process, scratch, len(documents))


@functools.lru_cache(maxsize=1)
def _pagefind_env() -> dict[str, str]:
    """The environment of a Pagefind run: its thread pools (Rayon's and Tokio's) sized to its
    share of the cores, `PAGEFIND_AT_ONCE` runs sharing them beside the Python that renders and
    reads their documents. With a pool per core each, two runs on two cores took 10% more CPU
    (0.99-1.10 s against 0.88-0.91 s for 700 documents) and a first build at 11,000 articles
    1.2-2.7 s longer (3 A/B pairs). A size the user set stays."""
    share = str(max(1, default_jobs() // PAGEFIND_AT_ONCE))
    return {"RAYON_NUM_THREADS": share, "TOKIO_WORKER_THREADS": share, **os.environ}


Made = dict[str, tuple[str | bytes, str]]
"""A bundle's files before they are put in place: relative path -> (where the file is, or its
bytes; how it may be placed: "move" (a new file beside the bundle), "copy" (one in memory) or
"bytes" (kept in the cache))."""


def _finish_shard(running: ShardRun, bundle: Path, live: Path | None = None) -> BundleRecord:
    """Wait for Pagefind, make its bundle canonical (or merge the shard's parts) and put it in
    place of what the bundle's folder held. A file with the very bytes of the live site's
    (`live`: its bundle) is that file, linked: an edit's shard changes a dozen of its 700
    files, and the rest keep their inodes and times (nothing new to copy for a deploy, no new
    inode to make)."""
    shard, folder = running.shard, running.folder
    live_folder = live / folder if live else None
    try:
        running.wait()
        if shard.parts:
            try:
                made, pages = _merge_shard(running)
            except MergeRefused:
                made, pages = _whole_shard(running, bundle)
        else:
            made, pages = _canonical_run(running.runs[0], folder, bundle)
        target = bundle / folder
        for relative, (source, how) in made.items():
            into = os.fspath(target / relative)
            live_file = os.fspath(live_folder / relative) if live_folder else None
            if isinstance(source, bytes):
                same = _same_bytes(source, live_file) if live_file else None
                if same:
                    place_link(same[0], same[1], into)
                else:
                    write_new_file(into, source)
                continue
            same = _same_file(source, live_file) if live_file else None
            if same:
                place_link(same[0], same[1], into)
            elif how == "copy":
                write_new_file(into, Path(source).read_bytes())  # maybe another file system
            else:
                replace_file(source, into)
    except (OSError, ValueError) as exc:
        raise SearchIndexError(f"Could not write the search bundle: {exc}") from exc
    finally:
        running.stop()
    return BundleRecord(shard.key, _stats(target, sorted(made)), pages)


def _canonical_run(
    run: PagefindRun, folder: str, bundle: Path
) -> tuple[Made, list[tuple[str, str]]]:
    """One run's bundle, made canonical; a merged bundle keeps only its data (the browser uses
    the main bundle's JS and WASM)."""
    out = run.out
    pages = canonicalise_bundle(out)
    if folder:
        for entry in out.iterdir():
            if entry.name not in _DATA and not entry.name.endswith(".pf_meta"):
                entry.unlink()
    how = "copy" if run.scratch or not run.work.is_relative_to(bundle) else "move"
    return {relative: (os.fspath(out / relative), how) for relative in _files(out)}, pages


def _merge_shard(running: ShardRun) -> tuple[Made, list[tuple[str, str]]]:
    """Merge all the shard's parts (those Pagefind indexed were kept as their runs ended: see
    `ShardRun.wait`)."""
    shard, main = running.shard, running.folder == ""
    if running.refused:
        raise running.refused
    kept = running.kept  # the cache's, and those Pagefind indexed (kept as each run ended)
    parts = []
    for part in shard.parts:
        found = kept.get(part.number)
        if found is None:
            raise MergeRefused(f"part {part.number} is no longer kept")
        parts.append(found)
    sort_values = {page_url(page.path): dict(_first_values(page)) for page in shard.pages}
    merged = merge_parts([part.index for part in parts], sort_values)
    made: Made = {relative: (data, "bytes") for relative, data in merged.files.items()}
    scripts = False
    for part in parts:
        for relative, data in part.files.items():
            if relative.startswith("fragment/") or not scripts:
                made[relative] = (data, "bytes")
        scripts = scripts or any(not r.startswith("fragment/") for r in part.files)
    if main and not scripts:
        raise MergeRefused("no kept part of the main bundle holds Pagefind's scripts")
    return dict(sorted(made.items())), merged.pages


def _whole_shard(running: ShardRun, bundle: Path) -> tuple[Made, list[tuple[str, str]]]:
    """The shard indexed by one run, where its parts cannot be merged exactly."""
    shard = running.shard
    assert running.render is not None
    documents: dict[str, bytes] = {}
    for part in shard.parts:
        farm = _farm(running.farms, shard, part)
        documents.update(fill_farm(farm, part.pages, running.render))
    run = _run_pagefind(documents, running.work / "whole-run", running.language, None)
    running.runs.append(run)
    run.wait(shard)
    return _canonical_run(run, running.folder, bundle)


def _same_bytes(data: bytes, live: str) -> tuple[str, os.stat_result] | None:
    """(`live`, its stat) if that file holds `data`, else None."""
    try:
        now = os.stat(live)
        if now.st_size != len(data):
            return None
        with open(live, "rb") as old:
            return (live, now) if old.read() == data else None
    except OSError:
        return None


def _same_file(made: str, live: str) -> tuple[str, os.stat_result] | None:
    """(`live`, its stat) if that file has the bytes of `made`, else None."""
    try:
        if os.stat(made).st_size != os.stat(live).st_size:  # read neither
            return None
        return _same_bytes(Path(made).read_bytes(), live)
    except OSError:
        return None


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _stats(folder: Path, files: list[str]) -> dict[str, list[int]]:
    stats, base = {}, os.fspath(folder)
    for relative in files:
        now = os.stat(f"{base}/{relative}")
        stats[relative] = [now.st_size, now.st_mtime_ns, now.st_ino]
    return stats


def _write_shard_list(
    bundle: Path, shards: list[Shard], folders: list[str], records: dict[str, BundleRecord]
) -> list[str]:
    """shards.json, and with several shards the order of every page for each sort; returns
    the names written."""
    sorts: dict[str, str] = {}
    if len(shards) > 1:
        for name, order in sort_orders(shards, folders, records).items():
            filename = f"sort-{_safe_name(name)}.json"
            sorts[name] = filename
            write_new_file(os.fspath(bundle / filename), _json(order).encode("utf-8"))
    listing = {"bundles": [f"{folder}/" for folder in folders if folder], "sorts": sorts}
    write_new_file(os.fspath(bundle / SHARDS_FILE), _json(listing).encode("utf-8"))
    return [SHARDS_FILE, *sorts.values()]


def sort_orders(
    shards: list[Shard], folders: list[str], records: dict[str, BundleRecord]
) -> dict[str, list[str]]:
    """For each sort, the fragment of every page that has it, by value then URL (Pagefind's
    order within one bundle, for the text values Broadsheet writes: ISO dates, then the id)."""
    keyed: dict[str, list[tuple[str, str, str]]] = {}
    for shard, folder in zip(shards, folders, strict=True):
        fragments = dict(records[folder].pages)
        for page in shard.pages:
            if not page.sorts:
                continue
            url = page_url(page.path)
            fragment = fragments.get(url)
            if fragment is None:
                continue
            if len(page.sorts) == 1:  # one sort (the date): no repeats to drop
                ((name, value),) = page.sorts
                keyed.setdefault(name, []).append((value, url, fragment))
                continue
            for name, value in _first_values(page):
                keyed.setdefault(name, []).append((value, url, fragment))
    return {name: [f for _, _, f in sorted(rows)] for name, rows in sorted(keyed.items())}


def _first_values(page: SearchPage) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for name, value in page.sorts:
        seen.setdefault(name, value)
    return list(seen.items())


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or "_"


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
