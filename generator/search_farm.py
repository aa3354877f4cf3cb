"""The rendered search documents of each shard (or part), kept between builds in one file each:
`.broadsheet-cache/search-documents/shard-N[-part-M].pickle`, every document's key and bytes
by path.

Rendering a shard's 700 documents took 0.3-0.8 s of an edit that changed one of them. Kept, a
shard needs only the documents whose key changed rendered again. Pagefind reads documents from a
folder, so they are laid out as files for each run, in a scratch folder in memory where there
is one (search.py): kept as a folder of files instead, 11,000 articles made 12,800 folders and
11,000 files in the cache, whose creation on ext4 cost a first build about 0.6 s of kernel
time, and as much again to delete. A file that cannot be read is rendered again, so the folder
is safe to delete.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from .cache import write_state
from .search_shards import SearchPage

FARM_FOLDER = "search-documents"

Documents = dict[str, tuple[str, bytes]]
"""Document path -> its key and bytes."""


def farm_name(number: int) -> str:
    return f"shard-{number}"


def fill_farm(
    farm: Path | None, pages: Sequence[SearchPage], render: Callable[[str], bytes]
) -> dict[str, bytes]:
    """The bytes of each document of `pages`, by path: kept ones as they are in the `farm` file
    under their key, the others rendered, and the file written again where anything changed
    (`farm` None: nothing is kept)."""
    known = load_farm(farm) if farm else {}
    documents: Documents = {}
    for page in pages:
        last = known.get(page.path)
        documents[page.path] = (
            last if last and last[0] == page.key else (page.key, render(page.path))
        )
    if farm and documents != known:
        _save(farm, documents)
    return {path: data for path, (_, data) in documents.items()}


def documents_written(farm: Path, keys: dict[str, str]) -> dict[str, bytes] | None:
    """The bytes of the documents at these paths, where the farm holds each under its key;
    else None."""
    known = load_farm(farm)
    found = {}
    for path, key in keys.items():
        last = known.get(path)
        if not last or last[0] != key:
            return None
        found[path] = last[1]
    return found


def put_documents(farm: Path, documents: Documents) -> None:
    """Keep these documents (path -> key, bytes) in the farm beside the others."""
    _save(farm, {**load_farm(farm), **documents})


def lay_out(folder: Path, documents: dict[str, bytes]) -> None:
    """Write the documents as files under the new `folder`, for Pagefind to read."""
    base = os.fspath(folder)
    made: set[str] = set()
    for path, data in documents.items():
        parent = path.rpartition("/")[0]
        if parent not in made:
            os.makedirs(f"{base}/{parent}", exist_ok=True)
            made.add(parent)
        with open(f"{base}/{path}", "xb") as handle:
            handle.write(data)


def load_farm(farm: Path) -> Documents:
    """What the farm file holds; empty where it is missing or damaged."""
    try:
        with open(farm, "rb") as handle:
            held = pickle.load(handle)
    except (OSError, ValueError, TypeError, EOFError, pickle.UnpicklingError, AttributeError):
        return {}
    return held if isinstance(held, dict) else {}


def _save(farm: Path, documents: Documents) -> None:
    write_state(farm.parent, farm.name, pickle.dumps(documents, pickle.HIGHEST_PROTOCOL))


def farm_file(farms: Path, name: str) -> Path:
    return farms / f"{name}.pickle"


def remove_other_farms(farms: Path, names: set[str]) -> None:
    """Drop the files of shards (and parts) there no longer are, and anything else: what a
    killed build left, or an older Broadsheet's folders of documents."""
    kept = {farm_file(farms, name).name for name in names}
    with contextlib.suppress(OSError):
        for entry in os.scandir(farms):
            if entry.name in kept and entry.is_file(follow_symlinks=False):
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
