"""The folders of rendered search documents Pagefind indexes the shards from, kept beside the
search state in `.broadsheet-cache/search-documents/` between builds.

Rendering a shard's 700 documents took 0.3-0.8 s of an edit that changed one of them. Kept, a
shard's folder needs only the documents whose key changed: a document stays where its file is
still the one written for its key (same size, mtime and inode), every other is rendered and
written over its file, and anything else in the folder is removed, so Pagefind reads exactly
the shard's documents. Each folder's record of what it holds sits beside it (shard-N.json),
read only when the shard is indexed again. The folders are safe to delete: the documents are
rendered again.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from .output import walk, write_new_file
from .search_shards import SearchPage

FARM_FOLDER = "search-documents"

Documents = dict[str, list[str | int]]
"""Document path -> [key, size, mtime_ns, inode] of the file written for it."""


def farm_name(number: int) -> str:
    return f"shard-{number}"


def fill_farm(folder: Path, pages: Sequence[SearchPage], render: Callable[[str], bytes]) -> None:
    """Make `folder` hold exactly the documents of `pages`, rendering only those whose file is
    not the one its record says was written for their key; then record it."""
    known = _load_record(_record_of(folder))
    wanted = {page.path: page.key for page in pages}
    record: Documents = {}
    folder.mkdir(parents=True, exist_ok=True)
    folders = {""}
    for relative, entry in walk(folder):
        if entry.is_dir(follow_symlinks=False):
            folders.add(relative)
            continue
        last = known.get(relative)
        if last and last[0] == wanted.get(relative) and entry.is_file(follow_symlinks=False):
            now = entry.stat(follow_symlinks=False)
            if [now.st_size, now.st_mtime_ns, now.st_ino] == last[1:]:
                record[relative] = last
                continue
        if relative not in wanted:  # an old document, or what a killed build left
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
    for path, key in wanted.items():
        if path not in record:
            target = f"{os.fspath(folder)}/{path}"
            now = _write_document(target, path, render(path), folders)
            record[path] = [key, now.st_size, now.st_mtime_ns, now.st_ino]
    write_new_file(os.fspath(_record_of(folder)), json.dumps(record).encode("utf-8"))


def documents_written(folder: Path, keys: dict[str, str]) -> dict[str, bytes] | None:
    """The bytes of the documents at these paths, if the folder still holds each as written
    for its key (by its record: size, time and inode); else None."""
    known = _load_record(_record_of(folder))
    found = {}
    for path, key in keys.items():
        last = known.get(path)
        target = f"{os.fspath(folder)}/{path}"
        try:
            now = os.stat(target, follow_symlinks=False)
            if not last or last[0] != key or [now.st_size, now.st_mtime_ns, now.st_ino] != last[1:]:
                return None
            with open(target, "rb") as handle:
                found[path] = handle.read()
        except OSError:
            return None
    return found


def put_documents(folder: Path, documents: dict[str, tuple[str, bytes]]) -> None:
    """Write these documents (path -> key, bytes) into the folder and its record, leaving the
    rest as it is (the next `fill_farm` checks it all)."""
    record = _load_record(_record_of(folder))
    folders: set[str] = set()
    for path, (key, data) in documents.items():
        now = _write_document(f"{os.fspath(folder)}/{path}", path, data, folders)
        record[path] = [key, now.st_size, now.st_mtime_ns, now.st_ino]
    write_new_file(os.fspath(_record_of(folder)), json.dumps(record).encode("utf-8"))


def _write_document(target: str, path: str, data: bytes, folders: set[str]) -> os.stat_result:
    """Write a document in place, making its folder only where the folder's walk did not meet
    it: the farm is Broadsheet's own (nothing links to its files) and its record, written after,
    vouches for each file by size, time and inode, so no temporary file and rename are needed
    (a first build writes 11,000 documents). A folder or a file in the way is cleared."""
    parent = path.rpartition("/")[0]
    try:
        if parent not in folders:
            os.makedirs(target.rpartition("/")[0], exist_ok=True)
            while parent not in folders:
                folders.add(parent)
                parent = parent.rpartition("/")[0]
        with open(target, "wb") as handle:
            handle.write(data)
            handle.flush()  # the size and time the record keeps are the written file's
            return os.fstat(handle.fileno())
    except OSError:
        write_new_file(target, data)
        return os.stat(target)


def remove_other_farms(farms: Path, names: set[str]) -> None:
    """Drop the folders of documents (and their records) of shards there no longer are."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(farms):
            if entry.name.split(".")[0] not in names:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)


def _record_of(folder: Path) -> Path:
    return folder.with_name(f"{folder.name}.json")


def _load_record(path: Path) -> Documents:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}
