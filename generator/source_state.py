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
import time
from dataclasses import dataclass
from pathlib import Path

from .cache import CODE, entry_key, write_state
from .config import SiteConfig
from .source_files import find_source_paths

SOURCES_FILE = "sources.marshal"
"""In the interpreter's marshal format: a tenth of JSON's cost at 11,000 files (a file it
cannot read, or of other code or settings, is not believed: every file is read again)."""
RACY_NS = 2_000_000_000
"""A file changed less than this before it was read is read again next time (coarse file
system clocks tick in up to 2 s steps)."""

Signature = tuple[int, int, int, int]
"""size, mtime_ns, ctime_ns, inode."""


@dataclass(frozen=True, slots=True)
class Stated:
    """The content files, and what `stat` alone tells of them (see `stat_sources`)."""

    content_dir: str
    settings: str
    """The reading settings (see `basis_of`)."""
    recorded_in: str | None
    """The cache folder whose record the keys come from; None: none were looked up."""
    surveyed_at: int
    """time.time_ns() before the first stat."""
    relative: list[str]
    """Content-relative posix path of each file, sorted."""
    paths: list[str]
    signs: list[Signature | None]
    """Each file's signature; None where it could not be stat'ed."""
    keys: dict[int, str]
    """The cache key of the bytes of each file (by index) whose signature is the one the last
    build recorded."""


def reading_settings(config: SiteConfig) -> str:
    """The settings every file's reading depends on: the timezone and the content folder's name."""
    return f"{config.timezone}\0{config.content_dir.name}"


def basis_of(settings: str) -> str:
    """What a record is valid for: Broadsheet's code and the reading settings."""
    return entry_key("sources", CODE, settings)


def stat_sources(content_dir: Path, cache_dir: Path | None, settings: str) -> Stated:
    """List the content files, stat each, and key those unchanged since the last build's record
    in `cache_dir` (none without one). I/O only, light: the `broadsheet` command runs it on
    another process while it imports the rest of Broadsheet."""
    surveyed_at = time.time_ns()
    found = find_source_paths(content_dir)
    relative = [name for name, _ in found]
    paths = [path for _, path in found]
    signs = [_signature(path) for path in paths]
    recorded = load(cache_dir, basis_of(settings))
    keys: dict[int, str] = {}
    for index, entry in enumerate(map(recorded.get, relative)):
        if entry is not None and entry[0] == signs[index]:
            keys[index] = entry[1]
    folder = os.fspath(cache_dir) if cache_dir is not None else None
    content = os.fspath(content_dir)
    return Stated(content, settings, folder, surveyed_at, relative, paths, signs, keys)


def signature(stat: os.stat_result) -> Signature:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


def _signature(path: str) -> Signature | None:
    try:
        return signature(os.stat(path))
    except OSError:
        return None


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
