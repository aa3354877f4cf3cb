"""The read stage over the whole archive: which content files there are, what each holds, and
their Articles, through the cache.

It runs in two steps so that a build with nothing to do stops early. `survey` finds the files
and names each one's content by its cache key: from `stat` alone where the file is unchanged
since the last build (source_state.py), else by reading and hashing it. The survey's digest is
what the no-change check compares. `read` then turns the survey into Articles: from the cache
where a key is known, parsed on worker processes for the rest. Problems are collected, never
raised.
"""

from __future__ import annotations

import functools
import itertools
import os
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import manifest, read_snapshot, source_state
from .analysis.parallel import imap_inherited
from .cache import CODE, Cache, entry_key
from .config import SiteConfig
from .errors import Problem
from .model import Article
from .readers import ReadResult, load_source, parse_bytes

if TYPE_CHECKING:
    from .pipeline import Progress

READ_CHUNK = 64
"""Files handed to a worker process at a time: big enough to amortise the pipe, small enough
to keep both cores busy to the end."""
READ_THREADS = 2
"""Files read at once from a disk. Surveying 100,000 files took 20.8 s one at a time from a
virtual disk (the kernel's caches dropped), where reads in flight let it queue and merge them:
9.6 s with 2 threads, 10.7 s with 4, 13.3 s with 16. Files the kernel holds in memory are read
one at a time: there, threads only hand the interpreter's lock about (4.6 s with one thread,
6.1 s with 2, 12.2 s with 16)."""

PROBE_FILES = 256
"""Files read first, one at a time, to tell a disk from memory."""

IN_MEMORY_SECONDS = 60e-6
"""Per file, at most, when the files come from memory (about 20 us; from a disk, 200 us)."""


@dataclass
class Survey:
    """The content files and what each holds, before any is parsed."""

    paths: list[str]
    """Each file's path (a string: see `find_source_paths`)."""
    relative: list[str]
    """Content-relative posix path of each file."""
    signs: list[source_state.Signature | None]
    keys: dict[int, str]
    """Cache key of each file's content, by index (a file that could not be read has none)."""
    trusted: set[int]
    """Files known by `stat` alone: not opened."""
    data: dict[int, bytes]
    """Bytes of the files that were opened."""
    failed: dict[int, ReadResult]
    """Files that could not be read (missing, too large, no permission), with their problem."""
    settings: str
    basis: str
    surveyed_at: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def digest(self) -> str:
        """What was found: each file's key, or the problem that kept it from being read."""
        return manifest.digest(
            *(self.keys.get(i) or repr(self.failed.get(i)) for i in range(len(self.paths))),
            *(repr(p) for p in self.problems),
        )


def survey(
    config: SiteConfig, cache: Cache | None = None, stated: source_state.Stated | None = None
) -> Survey:
    """Find every content file and key its content (`stat` first, bytes where it cannot).
    `stated`: the listing and stats, made already (by `source_state.stat_sources` for this
    content folder, reading settings and cache)."""
    settings = source_state.reading_settings(config)
    basis = source_state.basis_of(settings)
    if not config.content_dir.is_dir():
        missing = Problem(
            path=config.content_dir.name,
            message="the content folder does not exist",
            hint=f"create {config.content_dir.name}/ or set content_dir in site.toml",
            severity="error",
        )
        return Survey([], [], [], {}, set(), {}, {}, settings, basis, time.time_ns(), [missing])
    folder = cache.folder if cache else None
    wanted = (os.fspath(config.content_dir), settings, os.fspath(folder) if folder else None)
    if stated is None or (stated.content_dir, stated.settings, stated.recorded_in) != wanted:
        stated = source_state.stat_sources(config.content_dir, folder, settings)
    keys = dict(stated.keys)
    result = Survey(
        stated.paths,
        stated.relative,
        stated.signs,
        keys,
        set(keys),
        {},
        {},
        settings,
        basis,
        stated.surveyed_at,
    )
    _open(result, [i for i in range(len(stated.paths)) if i not in keys], config)
    return result


def _open(found: Survey, indexes: list[int], config: SiteConfig) -> None:
    """Read the files at `indexes` and key their bytes: a few reads in flight where they come
    from a disk (disks queue them), one at a time where they come from memory."""
    paths = [Path(found.paths[i]) for i in indexes]
    started = time.perf_counter()
    loads = _load_chunk(paths[:PROBE_FILES], config)
    rest = paths[PROBE_FILES:]
    if time.perf_counter() - started <= IN_MEMORY_SECONDS * len(loads):
        loads += _load_chunk(rest, config)
    else:
        size = -(-len(rest) // (READ_THREADS * 8)) or 1
        chunks = [rest[i : i + size] for i in range(0, len(rest), size)]
        with ThreadPoolExecutor(READ_THREADS) as readers:
            for chunk in readers.map(functools.partial(_load_chunk, config=config), chunks):
                loads += chunk
    for index, loaded in zip(indexes, loads, strict=True):
        if isinstance(loaded, ReadResult):
            found.failed[index] = loaded
            found.keys.pop(index, None)
        else:
            source_path, data = loaded
            found.data[index] = data
            found.keys[index] = entry_key("read", CODE, found.settings, source_path, data)


def _load_chunk(paths: list[Path], config: SiteConfig) -> list[tuple[str, bytes] | ReadResult]:
    """`load_source` of each path: files go to the threads in chunks, not one task each."""
    return [load_source(path, config) for path in paths]


def read(
    found: Survey,
    config: SiteConfig,
    progress: Progress | None = None,
    *,
    jobs: int = 1,
    cache: Cache | None = None,
    parsed: Mapping[int, ReadResult] | None = None,
) -> tuple[list[Article], list[Problem]]:
    """The surveyed files' Articles and problems: from the cache by key, parsed for the rest on
    `jobs` processes (and cached). `parsed` are files parsed already, by index."""
    total = len(found.paths)
    progress = progress or _silent
    results: dict[int, ReadResult] = dict(found.failed)
    snapshot = read_snapshot.load(cache.folder) if cache else {}
    held = len(snapshot)
    for index, key in found.keys.items():
        if key in snapshot:
            results[index] = snapshot[key]
    from_snapshot = len(results) - len(found.failed)
    del snapshot
    if cache:
        cache.keep(found.keys[i] for i in results if i in found.keys)
        cache.hits += from_snapshot
        lacking = [key for index, key in found.keys.items() if index not in results]
        known = cache.get_many(lacking)
        for index, key in found.keys.items():
            if key in known:
                results[index] = known[key]
    unopened = [i for i in found.trusted if i not in results]  # vouched for, but not cached
    if unopened:
        found.trusted.difference_update(unopened)
        _open(found, sorted(unopened), config)
        results.update((i, found.failed[i]) for i in unopened if i in found.failed)
    misses = [
        (index, found.relative[index], found.data[index], found.keys[index])
        for index in sorted(found.keys)
        if index not in results
    ]
    done = total - len(misses)
    progress("read", done, total)
    parsed = parsed or {}
    ready = [(item, parsed[item[0]]) for item in misses if item[0] in parsed]
    misses = [item for item in misses if item[0] not in parsed]
    for batch in itertools.chain([ready] if ready else [], _parse_batches(misses, config, jobs)):
        for (index, _, _, _), result in batch:
            results[index] = result
        if cache:  # stored batch by batch: 100,000 pickles at once would double peak memory
            cache.put_many((key, result) for (_, _, _, key), result in batch)
        done += len(batch)
        progress("read", done, total)
    del misses
    found.data.clear()  # the files' bytes: no longer needed
    if cache and read_snapshot.worth_writing(held, from_snapshot, len(found.keys)):
        read_snapshot.save(cache.folder, {key: results[i] for i, key in found.keys.items()})
    if cache:
        source_state.save(
            cache.folder,
            found.basis,
            {
                found.relative[i]: (sign, found.keys[i])
                for i, sign in enumerate(found.signs)
                if sign is not None
                and i in found.keys
                and source_state.settled(sign, found.surveyed_at)
            },
        )
    articles: list[Article] = []
    problems: list[Problem] = list(found.problems)
    for index in range(total):
        result = results[index]
        problems.extend(result.problems)
        if result.article is not None:
            articles.append(result.article)
    return articles, problems


def article_keys(found: Survey, articles: list[Article]) -> dict[str, str]:
    """The cache key of each article's source by article id: an article is a function of it."""
    by_path = {found.relative[i]: key for i, key in found.keys.items()}
    return {a.id: by_path[a.source_path] for a in articles if a.source_path in by_path}


def _silent(stage: str, done: int, total: int) -> None:
    return None


def _parse_span(
    state: tuple[list[tuple[int, str, bytes, str]], SiteConfig], span: tuple[int, int]
) -> list[ReadResult]:
    """Parse files start..stop of those to parse, which forked workers inherit: only their
    results are pickled, not the files' bytes there and back (28 MB each way at 11,000
    articles)."""
    items, config = state
    return [parse_bytes(data, relative, config) for _, relative, data, _ in items[slice(*span)]]


def _parse_batches(
    items: list[tuple[int, str, bytes, str]], config: SiteConfig, jobs: int
) -> Iterator[list[tuple[tuple[int, str, bytes, str], ReadResult]]]:
    """Parse files in chunks, on worker processes when there is enough work to pay for them."""
    if len(items) < 2 * READ_CHUNK:
        jobs = 1
    spans = [(i, min(i + READ_CHUNK, len(items))) for i in range(0, len(items), READ_CHUNK)]
    parsed = imap_inherited(_parse_span, (items, config), spans, jobs)
    for (start, stop), results in zip(spans, parsed, strict=True):
        yield list(zip(items[start:stop], results, strict=True))
