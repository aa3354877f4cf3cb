"""The parts of large search shards, kept in `.broadsheet-cache/search-parts/` between builds.

A shard indexed in parts (search_shards.Part) is merged from them (search_merge.py). What a
merge needs of each part is kept under `search-parts/shard-N/part-M/`: the part read for
merging (`PartIndex`, pickled with the part's key), its fragments, and for the main bundle's
parts Pagefind's scripts. An edit then indexes only its own part again. A kept part is used
only under its key and while its files are the ones recorded (size, time, inode); anything else
is indexed again, so the folder is safe to delete.

A fragment of a newly indexed part whose bytes the live site has already is that file, linked:
the merged bundle links the kept files, so an unchanged page's fragment keeps its inode and
time in the site however often its part is indexed again.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path

from .output import walk
from .search_merge import PartIndex
from .search_shards import Part

PARTS_FOLDER = "search-parts"
_RECORD = "part.pickle"
_DATA = ("pagefind-entry.json", "index", "filter")
"""What a kept part does not need: the merge reads its `PartIndex` instead."""


@dataclass(frozen=True, slots=True)
class KeptPart:
    """A part's bundle as kept: its index, and its files (fragments, maybe scripts)."""

    index: PartIndex
    folder: Path
    files: dict[str, list[int]]
    """Relative path -> [size, mtime_ns, inode]."""


def part_name(number: int) -> str:
    return f"part-{number}"


def keep_part(
    shard_folder: Path,
    part: Part,
    out: Path,
    index: PartIndex,
    live: Path | None,
    with_scripts: bool,
) -> KeptPart:
    """Keep the bundle Pagefind wrote for `part` into `out` (read: `index`) in place of what
    `shard_folder` kept for the part. `live` is the live site's bundle of the shard;
    `with_scripts`: keep Pagefind's scripts (the main bundle's parts)."""
    name = part_name(part.number)
    new, old = shard_folder / f".{name}.new", shard_folder / f".{name}.old"
    for stale in (new, old):
        shutil.rmtree(stale, ignore_errors=True)
    new.mkdir(parents=True)
    for entry in os.scandir(out):
        data = entry.name in _DATA or entry.name.endswith(".pf_meta")
        if entry.name == "fragment" or (with_scripts and not data):
            shutil.move(entry.path, new / entry.name)  # renamed: `out` is beside it
    files: dict[str, list[int]] = {}
    for relative, entry in sorted(walk(new)):
        if entry.is_dir(follow_symlinks=False):
            continue
        path = entry.path
        if live is not None and relative.startswith("fragment/"):
            _link_if_same(os.fspath(live / relative), path)
        now = os.stat(path)
        files[relative] = [now.st_size, now.st_mtime_ns, now.st_ino]
    with open(new / _RECORD, "wb") as record:
        pickle.dump((part.key, index, files), record, protocol=pickle.HIGHEST_PROTOCOL)
    kept = shard_folder / name
    with contextlib.suppress(FileNotFoundError):
        os.replace(kept, old)
    os.replace(new, kept)
    shutil.rmtree(old, ignore_errors=True)
    return KeptPart(index, kept, files)


def _link_if_same(live: str, path: str) -> None:
    """Make `path` the live site's file where that holds the same bytes."""
    try:
        if os.path.getsize(live) != os.path.getsize(path):
            return
        with open(live, "rb") as a, open(path, "rb") as b:
            if a.read() != b.read():
                return
        os.link(live, f"{path}.link")
        os.replace(f"{path}.link", path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(f"{path}.link")


def read_kept_part(shard_folder: Path, part: Part) -> KeptPart | None:
    """The part as kept, if kept under its key with its files as recorded; else None."""
    folder = shard_folder / part_name(part.number)
    try:
        with open(folder / _RECORD, "rb") as record:
            key, index, files = pickle.load(record)
        if key != part.key or not isinstance(index, PartIndex):
            return None
        base = os.fspath(folder)
        for relative, stat in files.items():
            now = os.stat(f"{base}/{relative}")
            if [now.st_size, now.st_mtime_ns, now.st_ino] != stat:
                return None
    except (OSError, ValueError, TypeError, EOFError, pickle.UnpicklingError, AttributeError):
        return None
    return KeptPart(index, folder, files)


def remove_other_parts(parts_folder: Path, shards: dict[str, set[str]]) -> None:
    """Drop the kept parts of shards (folder name -> its parts' names) there no longer are."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(parts_folder):
            names = shards.get(entry.name)
            if names is None:
                shutil.rmtree(entry.path, ignore_errors=True)
                continue
            for inner in os.scandir(entry.path):
                if inner.name not in names:
                    shutil.rmtree(inner.path, ignore_errors=True)
