"""The parts of large search shards, kept in `.broadsheet-cache/search-parts/` between builds.

A shard indexed in parts (search_shards.Part) is merged from them (search_merge.py). What a
merge needs of each part is kept in one file, `search-parts/shard-N/part-M.pickle`: the part's
key, the part read for merging (`PartIndex`), the bytes of its fragments (and, for the main
bundle's parts, of Pagefind's scripts), and its documents' keys. An edit then indexes only its
own part again, or only its edited documents (search_splice.py). A kept
part is used only under its key; one that cannot be read is indexed again, so the folder is
safe to delete.

One file per part, not Pagefind's folder: a folder kept 130 files a part (the fragments, and
the scripts and index files Pagefind writes with them), and creating and deleting them on
ext4 cost a first build at 11,000 articles 4-5 s of kernel time on a busy VM.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path

from .output import walk
from .search_merge import PartIndex
from .search_shards import Part

PARTS_FOLDER = "search-parts"
_DATA = ("pagefind-entry.json", "index", "filter")
"""What a kept part does not need: the merge reads its `PartIndex` instead."""


@dataclass(frozen=True, slots=True)
class KeptPart:
    """A part's bundle as kept: its index, and its files' bytes by path in the bundle (its
    fragments; for the main bundle, Pagefind's scripts too)."""

    index: PartIndex
    files: dict[str, bytes]


def part_name(number: int) -> str:
    return f"part-{number}.pickle"


def keep_part(
    shard_folder: Path, part: Part, out: Path, index: PartIndex, with_scripts: bool
) -> KeptPart:
    """Keep what a merge needs of the bundle Pagefind wrote for `part` into `out` (read:
    `index`); `with_scripts`: Pagefind's scripts too (the main bundle's parts)."""
    files: dict[str, bytes] = {}
    for relative, entry in sorted(walk(out)):
        top = relative.split("/", 1)[0]
        data = top in _DATA or top.endswith(".pf_meta")
        if entry.is_file(follow_symlinks=False) and (
            top == "fragment" or (with_scripts and not data)
        ):
            files[relative] = Path(entry.path).read_bytes()
    return keep_made_part(shard_folder, part, index, files)


def keep_made_part(
    shard_folder: Path, part: Part, index: PartIndex, files: dict[str, bytes]
) -> KeptPart:
    """Keep a part's index and files, after its key and its documents' keys (an edit's
    splice finds the documents that changed by them: search_splice.py), each pickled on its
    own: what decides whether the part is of use is read without the rest. Written whole,
    then renamed: a killed build leaves the old file or the new one."""
    shard_folder.mkdir(parents=True, exist_ok=True)
    target = shard_folder / part_name(part.number)
    partial = target.with_name(f".{target.name}.partial")
    documents = {page.path: page.key for page in part.pages}
    with open(partial, "wb") as record:
        pickle.dump((part.key, documents), record, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump((index, files), record, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, target)
    return KeptPart(index, files)


@dataclass(frozen=True, slots=True)
class PartRecord:
    """A kept part's file, read: its key and its documents' keys by path; the part itself is
    unpickled only when asked for (`kept`)."""

    key: str
    documents: dict[str, str]
    data: bytes
    start: int
    """Where the part's own pickle begins in `data`."""

    def kept(self) -> KeptPart | None:
        """The part as kept, or None where its file is damaged."""
        try:
            index, files = pickle.loads(self.data[self.start :])
        except (ValueError, TypeError, EOFError, pickle.UnpicklingError, AttributeError):
            return None
        if not isinstance(index, PartIndex) or not isinstance(files, dict):
            return None
        return KeptPart(index, files)


def read_part_record(shard_folder: Path, number: int) -> PartRecord | None:
    """Part `number`'s file, whatever its key; None where it is missing or damaged."""
    try:
        data = (shard_folder / part_name(number)).read_bytes()
        head = io.BytesIO(data)
        key, documents = pickle.load(head)
    except (OSError, ValueError, TypeError, EOFError, pickle.UnpicklingError, AttributeError):
        return None
    if not isinstance(key, str) or not isinstance(documents, dict):
        return None
    return PartRecord(key, documents, data, head.tell())


def remove_other_parts(parts_folder: Path, shards: dict[str, set[str]]) -> None:
    """Drop the kept parts of shards (folder name -> its parts' file names) there no longer
    are, and what killed builds left."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(parts_folder):
            names = shards.get(entry.name)
            if names is None:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
                continue
            for inner in os.scandir(entry.path):
                if inner.name not in names:
                    if inner.is_dir(follow_symlinks=False):
                        shutil.rmtree(inner.path, ignore_errors=True)
                    else:
                        os.unlink(inner.path)
