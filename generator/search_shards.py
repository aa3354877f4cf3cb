"""Which pages the search indexes, and which shard each one belongs to.

Pagefind indexes only the pages marked `data-pagefind-body` (every HTML page when none is), so
the site is scanned for them. Each indexed page goes to a shard chosen by a hash of its path and
the shard count alone: adding or editing other articles never moves a page. The count is the
smallest power of two that keeps shards at most `shard_size` pages, capped at `max_shards`; when
an archive grows past a power of two, every shard splits in two (one full re-index).

A shard's key is a digest of its pages' paths and bytes plus what else shapes its bundle (the
Pagefind version, the language, Broadsheet's search code): the same key means the same bundle.

Scanning reads every HTML file once; after that a file whose [size, mtime_ns, inode] is what it
was is trusted without being read (unchanged pages are hard links of the last build's files).
"""

from __future__ import annotations

import hashlib
import html
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

MARKER = b"data-pagefind-body"
_SORT = re.compile(rb'data-pagefind-sort="([^"]*)"')
READ_THREADS = 16
"""Files read at once: a virtual disk serves small files one at a time otherwise."""

Stat = tuple[int, int, int]
"""[size, mtime_ns, inode] of a file."""


@dataclass(frozen=True, slots=True)
class PageScan:
    """One HTML page of the site, as the search sees it."""

    path: str
    """Relative to the site folder, with "/" separators."""
    stat: Stat
    marked: bool
    """Holds data-pagefind-body."""
    digest: str
    """SHA-256 of its bytes."""
    sorts: tuple[tuple[str, str], ...] = ()
    """(name, value) of each `data-pagefind-sort="name:value"` in it."""


@dataclass(frozen=True, slots=True)
class Shard:
    """A group of pages indexed into one Pagefind bundle."""

    number: int
    pages: tuple[PageScan, ...]
    """In path order."""
    key: str


def scan_site(site_dir: Path, known: dict[str, PageScan], skip: frozenset[str]) -> list[PageScan]:
    """Every HTML page under site_dir (but the top-level folders in `skip` and hidden ones), in
    path order; pages in `known` with the same stat are not read again."""
    found: list[tuple[str, str, Stat]] = []
    stack = [("", os.fspath(site_dir))]
    while stack:
        prefix, folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if not (prefix == "" and entry.name in skip):
                        stack.append((f"{prefix}{entry.name}/", entry.path))
                elif entry.name.endswith(".html") and entry.is_file(follow_symlinks=False):
                    stat = entry.stat(follow_symlinks=False)
                    found.append((prefix + entry.name, entry.path, _stat_tuple(stat)))
    found.sort()
    fresh = [(rel, full, stat) for rel, full, stat in found if _stale(known.get(rel), stat)]
    batches = [fresh[i : i + _BATCH] for i in range(0, len(fresh), _BATCH)]
    with ThreadPoolExecutor(READ_THREADS) as pool:
        scanned = {page.path: page for batch in pool.map(_scan_batch, batches) for page in batch}
    return [scanned.get(rel) or known[rel] for rel, _, _ in found]


_BATCH = 256
"""Pages per task: one task per page spent 2 s of 11,000 pages' scan handing tasks out."""


def _scan_batch(items: list[tuple[str, str, Stat]]) -> list[PageScan]:
    return [_scan_one(item) for item in items]


def _stat_tuple(stat: os.stat_result) -> Stat:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino)


def _stale(known: PageScan | None, stat: Stat) -> bool:
    return known is None or known.stat != stat


def _scan_one(item: tuple[str, str, Stat]) -> PageScan:
    relative, full, stat = item
    with open(full, "rb") as handle:
        data = handle.read()
    return scan_page(relative, data, stat)


def scan_page(relative: str, data: bytes, stat: Stat) -> PageScan:
    """What the search needs of one page's bytes."""
    sorts = []
    for match in _SORT.finditer(data):
        name, colon, value = html.unescape(match.group(1).decode("utf-8", "replace")).partition(":")
        if colon:  # "name" alone takes its value from the element's text: not read here
            sorts.append((name, value))
    return PageScan(relative, stat, MARKER in data, hashlib.sha256(data).hexdigest(), tuple(sorts))


def indexed_pages(pages: list[PageScan]) -> list[PageScan]:
    """The pages Pagefind indexes: the marked ones, or all when none is marked."""
    marked = [page for page in pages if page.marked]
    return marked or pages


def shard_count(pages: int, shard_size: int, max_shards: int) -> int:
    """The smallest power of two that keeps shards at most shard_size pages, at most max_shards."""
    count = 1
    while count * shard_size < pages and count * 2 <= max_shards:
        count *= 2
    return count


def shard_of(path: str, count: int) -> int:
    """The shard of a page: its path's hash scaled to [0, count). With count doubled, a page of
    shard s goes to 2s or 2s + 1."""
    head = int.from_bytes(hashlib.sha256(path.encode("utf-8")).digest()[:8], "big")
    return head * count >> 64


def plan_shards(pages: list[PageScan], count: int, salt: str) -> list[Shard]:
    """The non-empty shards, in number order, each keyed by its pages and `salt`."""
    groups: dict[int, list[PageScan]] = {}
    for page in pages:
        groups.setdefault(shard_of(page.path, count), []).append(page)
    shards = []
    for number in sorted(groups):
        members = tuple(sorted(groups[number], key=lambda page: page.path))
        hasher = hashlib.sha256(salt.encode("utf-8"))
        for page in members:
            hasher.update(f"\0{page.path}\0{page.digest}".encode())
        shards.append(Shard(number, members, hasher.hexdigest()))
    return shards


def page_url(path: str) -> str:
    """The URL Pagefind gives a page file: "/" + its path, without a final index.html."""
    url = "/" + path
    return url[: -len("index.html")] if url.endswith("/index.html") else url
