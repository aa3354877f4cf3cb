"""Which content files are unchanged since the last build, known from `stat` alone.

Reading and hashing every file to find the one that changed cost 1.5-2.5 s at 11,000 articles.
The last build records each file's size, mtime, ctime and inode beside the cache key of its
bytes (`.broadsheet-cache/sources.marshal`); a file whose four values are the same is taken to
hold the same bytes, as git's index and rsync do. ctime and the inode catch what mtime can miss
(a file restored with its old mtime, an editor's save by rename). A file changed within the
file system's timestamp granularity of the last build's read could keep all four; so, like
git's "racily clean" entries, a file whose timestamps are that close to the moment it was read
is not recorded, and is read again next time.
"""

from __future__ import annotations

import contextlib
import marshal
import os
from pathlib import Path

from .cache import write_state

SOURCES_FILE = "sources.marshal"
"""In the interpreter's marshal format: a tenth of JSON's cost at 11,000 files (a file it
cannot read, or of other code or settings, is not believed: every file is read again)."""
RACY_NS = 2_000_000_000
"""A file changed less than this before it was read is read again next time (coarse file
system clocks tick in up to 2 s steps)."""

Signature = tuple[int, int, int, int]
"""size, mtime_ns, ctime_ns, inode."""


def signature(stat: os.stat_result) -> Signature:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


def settled(sign: Signature, read_at_ns: int) -> bool:
    """Was the file last changed long enough before `read_at_ns` for its stat to vouch for it?"""
    return max(sign[1], sign[2]) < read_at_ns - RACY_NS


def load(cache_dir: Path | None, basis: str) -> dict[str, tuple[Signature, str]]:
    """Content-relative path -> (signature, cache key) from the last build with this same
    `basis` (Broadsheet's code and the reading settings); empty when there is none."""
    if cache_dir is None:
        return {}
    try:
        raw = marshal.loads((cache_dir / SOURCES_FILE).read_bytes())
        if raw.get("basis") != basis:
            return {}
        return {path: ((a, b, c, d), key) for path, a, b, c, d, key in raw["files"]}
    except (OSError, ValueError, KeyError, TypeError, EOFError, AttributeError):
        return {}


def save(cache_dir: Path | None, basis: str, files: dict[str, tuple[Signature, str]]) -> None:
    """Write atomically; a failure only costs the next build a read of every file."""
    if cache_dir is None:
        return
    rows = [(path, *sign, key) for path, (sign, key) in sorted(files.items())]
    write_state(cache_dir, SOURCES_FILE, marshal.dumps({"basis": basis, "files": rows}))
    with contextlib.suppress(OSError):
        (cache_dir / "sources.json").unlink(missing_ok=True)  # what versions before wrote
