"""What the last build made, and from what: lets an unchanged archive skip the whole build.

Builds are deterministic, so when every input (each file's content hash, the settings, the theme,
Broadsheet's code) is what it was and the output folder is exactly as the last build left it
(every file's size, mtime and inode, and no other file), the build's result is already in place.
The manifest lives in `.broadsheet-cache/`; if it is missing or unreadable, the build runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache import marshalled, write_state
from .errors import Problem
from .output import file_stat, walk

MANIFEST_FILE = "last-build.marshal"

Snapshot = dict[str, list[int]]
"""Output file (relative, posix) -> [size, mtime_ns, inode]."""


@dataclass(frozen=True, slots=True)
class Manifest:
    inputs: str
    """Digest of everything the build read."""
    files: Snapshot
    counts: dict[str, int]
    """The build report's counts (articles, stories, drafts, pages, searchable)."""
    problems: list[dict[str, Any]]
    """Problems found after reading (e.g. two files claiming one URL), to report again."""
    keys: dict[str, str] = field(default_factory=dict)
    """Output file -> the page key it was rendered from (see render.site.Rendered)."""
    page_inputs: dict[str, str] = field(default_factory=dict)
    """Page -> the digest of what it is made of, where known (render.site.Page.inputs)."""
    search_documents: dict[str, list[str]] = field(default_factory=dict)
    """Article page -> [inputs, key, sort name, sort value, ...] of its search document
    (search_step.search_documents)."""
    search_contexts: dict[str, tuple[str, str, int, str]] = field(default_factory=dict)
    """Article id -> its source key and search context when its document was made (what the
    next build guesses an edited article's document from: search_early.py)."""

    def unchanged_stat(self, relative: str, key: str) -> list[int] | None:
        """The file's stat at the last build if it was made from this same key, else None."""
        return self.files.get(relative) if self.keys.get(relative) == key else None

    def key_for_inputs(self, relative: str, inputs: str) -> str | None:
        """The key the last build rendered this page from, if its inputs are the same."""
        return self.keys.get(relative) if self.page_inputs.get(relative) == inputs else None

    def problem_objects(self) -> list[Problem]:
        return [Problem(**p) for p in self.problems]


def digest(*parts: str) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        hasher.update(len(data).to_bytes(8, "little"))
        hasher.update(data)
    return hasher.hexdigest()


def folder_digest(*folders: Path) -> str:
    """Digest of every file (path and bytes) under the folders that exist: the theme, templates."""
    hasher = hashlib.sha256()
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            hasher.update(path.relative_to(folder).as_posix().encode())
            hasher.update(hashlib.sha256(path.read_bytes()).digest())
    return hasher.hexdigest()


def snapshot(output_dir: Path, folder: str = "") -> Snapshot:
    """Every file under output_dir (or its `folder`) with its [size, mtime_ns, inode]."""
    files: Snapshot = {}
    prefix = f"{folder}/" if folder else ""
    if folder and not (output_dir / folder).is_dir():
        return files
    for relative, entry in walk(output_dir / folder if folder else output_dir):
        if not entry.is_dir(follow_symlinks=False):
            files[prefix + relative] = file_stat(entry.stat(follow_symlinks=False))
    return files


def load(cache_dir: Path) -> Manifest | None:
    try:
        raw = marshal.loads((cache_dir / MANIFEST_FILE).read_bytes())
        return Manifest(
            raw["inputs"],
            raw["files"],
            raw["counts"],
            raw["problems"],
            raw["keys"],
            raw["page_inputs"],
            raw["search_documents"],
            raw.get("search_contexts", {}),
        )
    except Exception:  # missing, damaged or of other code: it only saves time
        return None


def save(cache_dir: Path, manifest: Manifest) -> None:
    """Write atomically; a failure only costs the next build its shortcut. Plain dicts, lists
    and strings, marshalled: at 11,000 articles (10 MB) 0.015 s to write and 0.038 s to read,
    where a pickle took 0.065 s and 0.044 s (JSON 0.08 s and 0.04 s). Marshal's format is
    the Python version's: another version's file is not read, and the build starts afresh."""
    fields = {name: getattr(manifest, name) for name in Manifest.__dataclass_fields__}
    write_state(cache_dir, MANIFEST_FILE, marshalled(fields))
    for former in _FORMER_FILES:
        with contextlib.suppress(OSError):
            (cache_dir / former).unlink(missing_ok=True)


_FORMER_FILES = ("last-build.json", "last-build.pickle")
"""Where earlier versions of Broadsheet kept the manifest: removed once it is written."""


def forget(cache_dir: Path) -> None:
    (cache_dir / MANIFEST_FILE).unlink(missing_ok=True)


def still_built(manifest: Manifest | None, inputs: str, output_dir: Path) -> bool:
    """Is the output exactly what the last build made from these same inputs?"""
    if manifest is None or manifest.inputs != inputs or not output_dir.is_dir():
        return False
    try:
        return snapshot(output_dir) == manifest.files
    except OSError:
        return False
