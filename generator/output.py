"""Writing the site: built whole beside the old one, then swapped in, so a failed or killed build
never leaves a half-written site. Files whose bytes did not change keep their timestamps."""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import OutputError

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@dataclass(frozen=True, slots=True)
class WriteStats:
    written: int
    """Files whose bytes are new or changed."""
    unchanged: int
    """Files carried over from the previous site (same bytes, same timestamp)."""


def staging_folder(output_dir: Path) -> Path:
    """Where the next site is built: beside the output folder, on the same file system."""
    return output_dir.with_name(f".{output_dir.name}.building")


def retired_folder(output_dir: Path) -> Path:
    return output_dir.with_name(f".{output_dir.name}.previous")


def discarded_folder(output_dir: Path) -> Path:
    """Where a replaced site waits to be deleted (a new name each time)."""
    return output_dir.with_name(f".{output_dir.name}.discarded-{time.time_ns()}")


#: Sites of more files than this are deleted by a detached process once replaced.
_DISCARD_IN_BACKGROUND = 2000


def recover(output_dir: Path) -> None:
    """Undo what a killed build left: a half-built staging folder, or a swap cut in the middle;
    and finish deleting replaced sites that a detached process did not get to."""
    retired = retired_folder(output_dir)
    if retired.exists() and not output_dir.exists():
        retired.rename(output_dir)
    for leftover in (staging_folder(output_dir), retired):
        if leftover.exists():
            shutil.rmtree(leftover)
    for discarded in output_dir.parent.glob(f".{output_dir.name}.discarded-*"):
        _delete_detached(discarded)


def discard(folder: Path, output_dir: Path, files: int) -> None:
    """Delete a replaced site. A large one is renamed aside and deleted by a detached process:
    removing 20,000 folders takes seconds, and the new site is already in place."""
    if files <= _DISCARD_IN_BACKGROUND:
        shutil.rmtree(folder, ignore_errors=True)
        return
    aside = discarded_folder(output_dir)
    try:
        folder.rename(aside)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        return
    _delete_detached(aside)


_deleting: list[subprocess.Popen[bytes]] = []
"""Deletions still running, kept so that finished ones are reaped (serve runs for hours)."""


def _delete_detached(folder: Path) -> None:
    """rm -r in a process of its own session: it finishes even after this one exits."""
    _deleting[:] = [p for p in _deleting if p.poll() is None]
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", _DELETE, str(folder)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        return
    _deleting.append(process)


_DELETE = "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)"


def check_output_dir(output_dir: Path, protected: Iterable[Path]) -> None:
    """Refuse to replace a folder that holds the user's own work."""
    resolved = output_dir.resolve()
    for folder in protected:
        folder = folder.resolve()
        if resolved == folder or folder.is_relative_to(resolved):
            raise OutputError(
                f"output_dir {output_dir.name!r} would replace {folder.name!r}, which holds "
                "your files; choose another output_dir in site.toml"
            )


def safe_join(root: Path, relative: str) -> Path:
    """root/relative, refusing any path that would leave root."""
    parts = relative.split("/")
    if relative.startswith("/") or any(p in ("", ".", "..") or "\0" in p for p in parts):
        raise OutputError(f"refusing to write {relative!r}: it would leave the output folder")
    return root.joinpath(relative)


def write_file(staging: Path, output_dir: Path, relative: str, data: bytes) -> bool:
    """Write one page into the staging folder; a page whose bytes equal the current site's is
    hard-linked instead (same inode, same timestamp). True when new bytes were written."""
    target = safe_join(staging, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    previous = safe_join(output_dir, relative)
    try:
        if previous.stat().st_size == len(data) and previous.read_bytes() == data:
            os.link(previous, target)
            return False
    except OSError:
        pass
    with open(target, "wb") as handle:
        handle.write(data)
    return True


def link_if_unchanged(
    staging: Path, output_dir: Path, relative: str, digest: str, stat: list[int] | None = None
) -> bool:
    """Hard-link the current site's file into the staging folder if it still holds the bytes
    whose SHA-256 is `digest`. `stat` is [size, mtime_ns, inode] of the file when the last build
    wrote those very bytes: if the file still has it, it is trusted without being read."""
    previous = safe_join(output_dir, relative)
    try:
        trusted = stat is not None and _stat_of(previous) == stat
        if not trusted and hashlib.sha256(previous.read_bytes()).hexdigest() != digest:
            return False
        target = safe_join(staging, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(previous, target)
    except OSError:
        return False
    return True


def _stat_of(path: Path) -> list[int]:
    now = path.stat()
    return [now.st_size, now.st_mtime_ns, now.st_ino]


class SiteWriter:
    """Writes pages into the staging folder, reusing unchanged files of the current site."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir
        self.staging = staging_folder(output_dir)
        recover(output_dir)
        self.staging.mkdir(parents=True)
        self.written = 0
        self.unchanged = 0
        self._seen: set[str] = set()

    def write(self, relative: str, data: bytes) -> None:
        if relative in self._seen:
            raise OutputError(
                f"two pages claim {relative!r}; this is a bug in Broadsheet or the theme"
            )
        self._seen.add(relative)
        if write_file(self.staging, self.output_dir, relative, data):
            self.written += 1
        else:
            self.unchanged += 1

    def claim(self, relative: str) -> None:
        """Note a page about to be written by `write_file`; two pages may never share a file."""
        if relative in self._seen:
            raise OutputError(
                f"two pages claim {relative!r}; this is a bug in Broadsheet or the theme"
            )
        self._seen.add(relative)

    def add_counts(self, written: int, unchanged: int) -> None:
        """Count pages that worker processes wrote with `write_file` directly."""
        self.written += written
        self.unchanged += unchanged

    def carry_over(self, folder: str) -> None:
        """Keep a folder of the current site that this build does not make (serve keeps the old
        search bundle until the new one is ready). Files are hard-linked, not copied."""
        source = safe_join(self.output_dir, folder)
        if not source.is_dir() or safe_join(self.staging, folder).exists():
            return
        shutil.copytree(source, safe_join(self.staging, folder), copy_function=os.link)

    def commit(self) -> WriteStats:
        """Swap the finished site in: atomically where the OS allows, else by two quick renames."""
        files = self.written + self.unchanged
        if self.output_dir.exists():
            if _exchange(self.staging, self.output_dir):
                discard(self.staging, self.output_dir, files)  # now holds the old site
            else:
                retired = retired_folder(self.output_dir)
                self.output_dir.rename(retired)
                self.staging.rename(self.output_dir)
                discard(retired, self.output_dir, files)
        else:
            self.staging.rename(self.output_dir)
        return WriteStats(self.written, self.unchanged)

    def abandon(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def replace_folder(new: Path, current: Path) -> None:
    """Put folder `new` where `current` is, in one step where the OS allows (serve swaps the
    search bundle of the live site this way), then delete the old one."""
    if current.exists() and _exchange(new, current):
        shutil.rmtree(new, ignore_errors=True)  # now holds the old folder
        return
    retired = current.with_name(f".{current.name}.old")
    shutil.rmtree(retired, ignore_errors=True)
    if current.exists():
        current.rename(retired)
    new.rename(current)
    shutil.rmtree(retired, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Linux renameat2(RENAME_EXCHANGE): both folders swap names in one step."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0
