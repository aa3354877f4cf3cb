"""Which shard each article's search document belongs to, and when a shard must be indexed again.

The search indexes one document per article: its headline, standfirst, body, filters, metadata
and sort value, rendered from the theme's `search-record.html` at the path of the article's page
(so Pagefind gives it the page's URL). Each document is keyed like a page (render.site.Rendered):
the same key means the same bytes, so documents are rendered only for the shards that must be
indexed again, and a change that only moves other parts of a page (its related stories, the
titles of the other versions) re-indexes nothing.

Each document goes to a shard chosen by a hash of its path and the shard count alone: adding or
editing other articles never moves it. The count is the smallest power of two that keeps shards
at most `shard_size` documents, capped at `max_shards`; when an archive grows past a power of
two, every shard splits in two (one full re-index).

A shard's key is a digest of its documents' paths and keys plus what else shapes its bundle (the
Pagefind version, the language, Broadsheet's search code, its parts): the same key means the same
bundle.

A large shard is indexed in parts (search_merge.py): each of its documents goes to a part by the
same hash, finer (`part_of`), so a part too keeps its documents as the archive grows, and an edit
re-indexes one part of about `part_size` documents instead of the whole shard. Each part has its
own key, like a shard's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One article's search document, before it is rendered."""

    path: str
    """The article page's file, relative to the site folder, with "/" separators."""
    key: str
    """Digest of everything the document is rendered from."""
    sorts: tuple[tuple[str, str], ...] = ()
    """(name, value) of each sort the document gives Pagefind (`data-pagefind-sort`)."""


@dataclass(frozen=True, slots=True)
class Part:
    """Some of a shard's documents, indexed by one Pagefind run (see search_merge.py)."""

    number: int
    pages: tuple[SearchPage, ...]
    """In path order."""
    key: str


@dataclass(frozen=True, slots=True)
class Shard:
    """A group of documents indexed into one Pagefind bundle."""

    number: int
    pages: tuple[SearchPage, ...]
    """In path order."""
    key: str
    parts: tuple[Part, ...] = ()
    """Its parts, where it is indexed in more than one (none: in one run)."""


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


def part_count(pages: int, shards: int, part_size: int) -> int:
    """Parts per shard: a power of two that keeps parts at most `part_size` pages (1: the shard
    is indexed in one run), at most `MAX_PARTS`."""
    return min(MAX_PARTS, max(1, shard_count(pages, part_size, shards * MAX_PARTS) // shards))


MAX_PARTS = 64


def plan_shards(pages: list[SearchPage], count: int, salt: str, parts: int = 1) -> list[Shard]:
    """The non-empty shards, in number order, each keyed by its pages and `salt`, each in
    `parts` parts (where more than one)."""
    groups: dict[int, list[SearchPage]] = {}
    for page in pages:
        groups.setdefault(shard_of(page.path, count * parts), []).append(page)
    shards = []
    for number in sorted({fine // parts for fine in groups}):
        members: list[Part] = []
        for fine in range(number * parts, (number + 1) * parts):
            if fine in groups:
                held = tuple(sorted(groups[fine], key=lambda page: page.path))
                members.append(Part(fine - number * parts, held, _key(salt, held)))
        held = tuple(sorted((p for part in members for p in part.pages), key=lambda p: p.path))
        key = _key(f"{salt}\0parts={parts}", held)
        shards.append(Shard(number, held, key, tuple(members) if parts > 1 else ()))
    return shards


def _key(salt: str, pages: tuple[SearchPage, ...]) -> str:
    hasher = hashlib.sha256(salt.encode("utf-8"))
    for page in pages:
        hasher.update(f"\0{page.path}\0{page.key}".encode())
    return hasher.hexdigest()


def page_url(path: str) -> str:
    """The URL Pagefind gives a page file: "/" + its path, without a final index.html."""
    url = "/" + path
    return url[: -len("index.html")] if url.endswith("/index.html") else url
