"""What the last search step left, kept in `.broadsheet-cache/` (never in the published site):
each shard bundle's key, files and pages. With it an edit re-indexes only the shards whose
documents changed; without it (deleted, unreadable, --no-cache) every shard is indexed again,
which gives the same bytes."""

from __future__ import annotations

import contextlib
import marshal
from dataclasses import dataclass, field
from pathlib import Path

from .cache import marshalled, write_state

STATE_FILE = "search-shards.marshal"
_VERSION = 4


@dataclass(frozen=True, slots=True)
class BundleRecord:
    """One shard bundle as written."""

    key: str
    """The shard's key (search_shards.plan_shards)."""
    files: dict[str, list[int]]
    """Each file of the bundle (relative to its folder) -> [size, mtime_ns, inode] when written:
    a file that still has them holds the bytes written."""
    pages: list[tuple[str, str]]
    """(URL, fragment name) of each page, in the bundle's canonical (URL) order."""


@dataclass(frozen=True, slots=True)
class SearchState:
    bundles: dict[str, BundleRecord] = field(default_factory=dict)
    """Shard bundles by folder, relative to the search bundle ("" for the main bundle)."""


def load(cache_dir: Path | None) -> SearchState:
    if cache_dir is None:
        return SearchState()
    try:
        raw = marshal.loads((cache_dir / STATE_FILE).read_bytes())
        if raw.get("version") != _VERSION:
            return SearchState()
        bundles = {
            folder: BundleRecord(record["key"], record["files"], _pairs(record["pages"]))
            for folder, record in raw["bundles"].items()
        }
    except (OSError, ValueError, KeyError, TypeError):
        return SearchState()
    return SearchState(bundles)


def _pairs(rows: list[list[str]]) -> list[tuple[str, str]]:
    return [(str(a), str(b)) for a, b in rows]


def save(cache_dir: Path | None, state: SearchState) -> None:
    """Write atomically; a failure only costs the next build its reuse of bundles."""
    if cache_dir is None:
        return
    raw = {
        "version": _VERSION,
        "bundles": {
            folder: {"key": r.key, "files": r.files, "pages": [list(p) for p in r.pages]}
            for folder, r in state.bundles.items()
        },
    }
    data = marshalled(raw)  # 4x faster than JSON both ways
    with contextlib.suppress(OSError):
        if (cache_dir / STATE_FILE).read_bytes() == data:
            return  # a build that changed no document: nothing to write
    write_state(cache_dir, STATE_FILE, data)
    with contextlib.suppress(OSError):
        (cache_dir / _FORMER_FILE).unlink(missing_ok=True)


_FORMER_FILE = "search-shards.json"
"""Where earlier versions of Broadsheet kept the state: removed once it is written."""
