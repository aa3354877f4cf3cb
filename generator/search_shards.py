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
Pagefind version, the language, Broadsheet's search code): the same key means the same bundle.
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
class Shard:
    """A group of documents indexed into one Pagefind bundle."""

    number: int
    pages: tuple[SearchPage, ...]
    """In path order."""
    key: str


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


def plan_shards(pages: list[SearchPage], count: int, salt: str) -> list[Shard]:
    """The non-empty shards, in number order, each keyed by its pages and `salt`."""
    groups: dict[int, list[SearchPage]] = {}
    for page in pages:
        groups.setdefault(shard_of(page.path, count), []).append(page)
    shards = []
    for number in sorted(groups):
        members = tuple(sorted(groups[number], key=lambda page: page.path))
        hasher = hashlib.sha256(salt.encode("utf-8"))
        for page in members:
            hasher.update(f"\0{page.path}\0{page.key}".encode())
        shards.append(Shard(number, members, hasher.hexdigest()))
    return shards


def page_url(path: str) -> str:
    """The URL Pagefind gives a page file: "/" + its path, without a final index.html."""
    url = "/" + path
    return url[: -len("index.html")] if url.endswith("/index.html") else url
