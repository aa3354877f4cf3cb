"""Writing the site: built whole beside the old one, then swapped in, so a failed or killed build
never leaves a half-written site. Files whose bytes did not change keep their timestamps.

The replaced site is kept beside the new one as a spare (`.public.spare`) and becomes the next
build's staging folder: making 10,000 folders again costs seconds on some file systems, while
bringing a tree that differs by a few files up to date costs almost nothing. Nothing in a spare
is trusted: a file stays only where it is the very file (same inode) the current site holds
with the wanted bytes; every other file is replaced, never written over (it may be a hard link
to a file of the live site), and files no page claims are removed."""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import multiprocessing
import multiprocessing.connection
import multiprocessing.process
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def lock_file(output_dir: Path) -> Path:
    """The file a build holds locked while it writes beside and into the output folder."""
    return output_dir.with_name(f".{output_dir.name}.lock")


@contextlib.contextmanager
def build_lock(output_dir: Path) -> Iterator[None]:
    """Hold the output folder for one build: a second build of the same site, from another
    process, would share the staging folders and the cache and fail half-way. Where the lock
    is held, stop at once and say by whom. (Without `fcntl`, as on Windows: no lock.)"""
    try:
        import fcntl
    except ImportError:
        yield
        return
    path = lock_file(output_dir)
    try:
        _make_parent(path)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise OutputError(f"Cannot create the build lock {path}: {exc}") from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise OutputError(
                f"Another build of this site is writing {output_dir.name}/ ({holder}): wait "
                "for it to finish (or stop it) and build again."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def search_folder(output_dir: Path) -> Path:
    """Where builds before the bundle was built in the staging folder made it: a build of
    theirs killed midway may have left it, and `recover` deletes it."""
    return output_dir.with_name(f".{output_dir.name}.search")


def fresh_bundle_folder(output_dir: Path) -> Path:
    """Where serve makes the next search bundle before it swaps it in: beside the site, not in
    it, as a page rebuild that lands meanwhile puts another folder in the site's place."""
    return output_dir.with_name(f".{output_dir.name}.search-new")


def retired_folder(output_dir: Path) -> Path:
    return output_dir.with_name(f".{output_dir.name}.previous")


def spare_folder(output_dir: Path) -> Path:
    """The site before the current one, kept to become the next staging folder."""
    return output_dir.with_name(f".{output_dir.name}.spare")


def mirror_folder(output_dir: Path) -> Path:
    """Where a build into a new folder makes the next build's spare (see `SiteWriter`)."""
    return output_dir.with_name(f".{output_dir.name}.mirror")


def discarded_folder(output_dir: Path) -> Path:
    """Where a replaced site waits to be deleted (a new name each time)."""
    return output_dir.with_name(f".{output_dir.name}.discarded-{time.time_ns()}")


def recover(output_dir: Path) -> None:
    """Undo what a killed build left: a swap cut in the middle is completed backwards, a
    half-built staging folder becomes the spare (it is checked file by file when reused); and
    finish deleting replaced sites that a detached process did not get to."""
    retired = retired_folder(output_dir)
    if retired.exists() and not output_dir.exists():
        retired.rename(output_dir)
    for leftover in (staging_folder(output_dir), retired, mirror_folder(output_dir)):
        if leftover.exists():
            keep_as_spare(leftover, output_dir)
    if search_folder(output_dir).exists():
        discard(search_folder(output_dir), output_dir)
    for discarded in output_dir.parent.glob(f".{output_dir.name}.discarded-*"):
        _delete_detached(discarded)


def keep_as_spare(folder: Path, output_dir: Path) -> None:
    """Make `folder` the spare, or delete it if there is one already."""
    spare = spare_folder(output_dir)
    if spare.exists():
        discard(folder, output_dir)
        return
    try:
        folder.rename(spare)
    except OSError:
        discard(folder, output_dir)


def discard(folder: Path, output_dir: Path) -> None:
    """Delete a site folder no longer wanted: renamed aside and deleted by a detached process
    (removing 20,000 folders takes seconds, and the build need not wait for it)."""
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
    check_relative(relative)
    return root.joinpath(relative)


def check_relative(relative: str) -> None:
    """Refuse a page path that would leave the output folder (absolute, empty parts, "..").
    Between slashes added at both ends, an empty, "." or ".." part shows as "//", "/./" or
    "/../" (substring tests: every page of every build comes through here)."""
    wrapped = f"/{relative}/"
    if "//" in wrapped or "/./" in wrapped or "/../" in wrapped or "\0" in relative:
        raise OutputError(f"refusing to write {relative!r}: it would leave the output folder")


FileStat = list[int]
"""[size, mtime_ns, inode] of a file: while a file has them, it holds the bytes it had."""


def file_stat(stat: os.stat_result) -> FileStat:
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino]


def write_file(
    staging: Path, output_dir: Path, relative: str, data: bytes
) -> tuple[bool, FileStat]:
    """Write one page into the staging folder; a page whose bytes equal the current site's is
    hard-linked instead (same inode, same timestamp). Returns whether new bytes were written,
    and the file's stat."""
    target = safe_join(staging, relative)
    previous = safe_join(output_dir, relative)
    try:
        now = previous.stat()
        if now.st_size == len(data) and previous.read_bytes() == data:
            place_link(previous, now, target)
            return False, file_stat(now)
    except OSError:
        pass
    return True, file_stat(write_new_file(os.fspath(target), data))  # never through a link


def link_if_unchanged(
    staging: Path,
    output_dir: Path,
    relative: str,
    digest: str | None,
    stat: list[int] | None = None,
    staged: Staged | None = None,
) -> FileStat | None:
    """Hard-link the current site's file into the staging folder if it still holds the bytes
    whose SHA-256 is `digest`, and return its stat (else None). `stat` is the file's when the
    last build wrote those very bytes: if the file still has it, it is trusted without being
    read. `staged` is what the staging folder held when the build began (see `Staged`)."""
    check_relative(relative)
    previous = f"{os.fspath(output_dir)}/{relative}"
    try:
        now = os.stat(previous)
        trusted = stat is not None and [now.st_size, now.st_mtime_ns, now.st_ino] == stat
        if not trusted:
            if digest is None:
                return None
            with open(previous, "rb") as handle:
                if hashlib.sha256(handle.read()).hexdigest() != digest:
                    return None
        if staged is None or not staged.holds(relative, now):
            place_link(previous, now, f"{os.fspath(staging)}/{relative}")
    except OSError:
        return None
    return file_stat(now)


@dataclass(frozen=True, slots=True)
class Staged:
    """What a reused staging folder held when the build began: each file's inode, every folder,
    and the file system. A file that is already the very file of the current site (same inode on
    the same device) needs no link, and is not stat'ed again to find that out."""

    device: int
    files: dict[str, int]
    """Relative path -> inode."""
    folders: list[str]
    """Relative paths of the folders, parents before their children."""

    def holds(self, relative: str, current: os.stat_result) -> bool:
        return current.st_dev == self.device and self.files.get(relative) == current.st_ino

    def remove_unclaimed(self, root: Path, folder: str, claimed: Collection[str]) -> None:
        """Remove from `root` (the folder this lists) the files it held under `folder` that are
        not `claimed` (paths relative to root), and the folders there left empty."""
        base, inside = os.fspath(root), folder + "/"
        for path in self.files:
            if path.startswith(inside) and path not in claimed:
                _remove_file(f"{base}/{path}")
        for path in reversed(self.folders):  # children before their parents
            if path.startswith(inside):
                with contextlib.suppress(OSError):  # not empty: still used
                    os.rmdir(f"{base}/{path}")

    @classmethod
    def of(cls, root: Path) -> Staged:
        files: dict[str, int] = {}
        folders: list[str] = []
        for relative, entry in walk(root):
            if entry.is_dir(follow_symlinks=False):
                folders.append(relative)
            elif entry.is_file(follow_symlinks=False):
                files[relative] = entry.inode()
            else:
                files[relative] = -1  # a link or a special file: always replaced
        return cls(os.stat(root).st_dev, files, folders)


def walk(root: Path, skip: Collection[str] = ()) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Every entry under root (but root's entries named in `skip`), folders before what they
    hold, with its path relative to root (forward slashes). scandir only: no Path objects, no
    stat beyond what the entry carries."""
    stack = [("", os.fspath(root))]
    while stack:
        prefix, folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if not prefix and entry.name in skip:
                    continue
                relative = prefix + entry.name
                yield relative, entry
                if entry.is_dir(follow_symlinks=False):
                    stack.append((relative + "/", entry.path))


def link_tree(
    source: Path,
    target: Path,
    skip: Collection[str] = (),
    stopped: threading.Event | None = None,
    resume: bool = False,
) -> tuple[dict[str, int], list[str]]:
    """Make the folder `target` hold `source`'s folders and a hard link to each of its files
    (but source's entries named in `skip`); gives the files linked (relative path -> inode) and
    the folders made, parents first. Stops where `stopped` is set: a tree made partly is a
    spare like any other (nothing in a spare is trusted). With `resume`, what `target` holds
    already of a stopped run is left as it is."""
    base = os.fspath(target)
    files: dict[str, int] = {}
    folders: list[str] = []
    for relative, entry in walk(source, skip):
        if stopped is not None and stopped.is_set():
            break
        try:
            if entry.is_dir(follow_symlinks=False):
                os.mkdir(f"{base}/{relative}")
                folders.append(relative)
            elif entry.is_file(follow_symlinks=False):
                os.link(entry.path, f"{base}/{relative}")
                files[relative] = entry.inode()
        except FileExistsError:
            if not resume:
                raise
    return files, folders


def place_link(previous: str | Path, previous_stat: os.stat_result, target: str | Path) -> None:
    """Make `target` the very file `previous` is (whatever stood there is replaced, never
    written through); nothing to do where a reused staging folder has it already."""
    try:
        if os.path.samestat(os.stat(target, follow_symlinks=False), previous_stat):
            return
    except FileNotFoundError:
        pass
    _clear(Path(target))
    try:
        os.link(previous, target)
    except FileNotFoundError:
        _make_parent(Path(target))
        os.link(previous, target)


def _clear(target: Path) -> None:
    """Remove whatever a reused staging folder holds at `target` (a file, a link, a folder)."""
    try:
        target.unlink()
    except FileNotFoundError:
        pass
    except (IsADirectoryError, PermissionError):
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            raise
    except NotADirectoryError:  # a file stands where a parent folder should be
        _make_parent(target)


def replace_file(source: str, target: str) -> None:
    """Move a new file to `target` in place of whatever a reused staging folder holds there."""
    try:
        os.replace(source, target)
    except FileNotFoundError:
        _make_parent(Path(target))
        os.replace(source, target)
    except (IsADirectoryError, NotADirectoryError, PermissionError):
        _clear(Path(target))
        _make_parent(Path(target))
        os.replace(source, target)


def write_new_file(target: str, data: bytes) -> os.stat_result:
    """Write `target` as a new file, and give its stat: a reused staging folder may hold a hard
    link to the live site's file there, which must never be written through. Made exclusively
    (no temporary file and rename: a first build writes 11,000 search fragments this way);
    whatever stands in its place is removed first. Written with the OS's calls, not a Python
    file object: a first build writes 30,000 files, and `open` adds three system calls and
    the object to each (about 15 µs of 65 a page, measured on ext4)."""
    handle = _open_new_file(target)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view) :]
        return os.fstat(handle)
    finally:
        os.close(handle)


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
"""A file made for writing, never one that was there (and untranslated, on Windows)."""


def _open_new_file(target: str) -> int:
    """`target` opened as a new file (see `write_new_file`): straight away where its folder is
    there and nothing stands in its place, as for every page of a first build (no unlink and
    no stat of the folder first); else after clearing the place or making the folder."""
    try:
        return os.open(target, _NEW_FILE, 0o666)
    except FileExistsError:
        _clear(Path(target))
    except (FileNotFoundError, NotADirectoryError):
        _make_parent(Path(target))
    return os.open(target, _NEW_FILE, 0o666)


def _remove_file(path: str) -> None:
    """Remove a file the staging folder held, unless the build replaced it with a folder or
    removed it already (a page where a folder was, or the other way round)."""
    try:
        os.unlink(path)
    except (FileNotFoundError, NotADirectoryError):
        pass
    except (IsADirectoryError, PermissionError):
        if not os.path.isdir(path):
            raise


def _make_parent(target: Path) -> None:
    """mkdir -p of target's folder, replacing any file that stands where a folder should."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        for folder in reversed(target.parents):
            if folder.exists() and not folder.is_dir():
                folder.unlink()
                break
        target.parent.mkdir(parents=True, exist_ok=True)


@dataclass(frozen=True, slots=True)
class ListedSpare:
    """The spare folder's listing, made before the build took its lock (`list_spare`, on a
    process forked as the command started). It stands only for the very folder listed,
    untouched since: a build that takes the spare renames it, and a rename changes the
    folder's ctime."""

    identity: tuple[int, int, int]
    """The folder's device, inode and ctime when it was listed."""
    staged: Staged


def list_spare(output_dir: Path) -> ListedSpare | None:
    """What the spare folder holds, with its identity; None where there is none."""
    spare = spare_folder(output_dir)
    try:
        found = os.stat(spare, follow_symlinks=False)
        if not stat.S_ISDIR(found.st_mode):
            return None
        return ListedSpare(_identity(found), Staged.of(spare))
    except OSError:
        return None


def _identity(found: os.stat_result) -> tuple[int, int, int]:
    return (found.st_dev, found.st_ino, found.st_ctime_ns)


class SpareListing:
    """What the spare folder holds (`Staged.of`), listed by a forked process while the build
    reads and analyses on the other core: the walk of 30,000 entries took 0.26 s of an edit.
    Where there is no spare (the first build after one from nothing), the process makes one
    first: every folder of the live site, and a hard link to each of its files. The build then
    brings it up to date as it would the last site, where it would otherwise link 28,000
    files into an empty folder after its render (at 11,000 articles the first edit after a
    build from nothing took 5.8 s, the next ones 4.3 s). Made after `recover`, so that the
    spare listed is the one the writer will reuse. With `make=False` (a --strict build, which
    may stop before writing and must then leave nothing beside the site) none is made.
    `listed` gives the listing where it was begun already (`list_spare`, before the build's
    lock: it is checked to be of the same folder, untouched, when the writer asks for it)."""

    def __init__(
        self,
        output_dir: Path,
        make: bool = True,
        listed: Callable[[], ListedSpare | None] | None = None,
    ) -> None:
        recover(output_dir)
        self.spare = spare_folder(output_dir)
        self._process: multiprocessing.process.BaseProcess | None = None
        self._listed: Callable[[], ListedSpare | None] | None = None
        if sys.platform == "win32" or self.spare.is_symlink():
            return
        if self.spare.is_dir() and listed is not None:
            self._listed = listed
            return
        if self.spare.is_dir():
            target: Callable[..., None] = _send_listing
            args: tuple[Any, ...] = (self.spare,)
        elif (
            make and output_dir.is_dir() and not output_dir.is_symlink() and not self.spare.exists()
        ):
            self.spare.mkdir()  # before the fork: the writer, seeing it, waits for the rest
            target, args = _send_mirror, (output_dir, self.spare)
        else:
            return
        context = multiprocessing.get_context("fork")
        self._reader, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=target, args=(*args, sender), daemon=True)
        self._process.start()
        sender.close()
        # a build that stops before writing (a content error) never reads it: stop it then
        self._stop = weakref.finalize(self, _stop_listing, self._process, self._reader)

    def result(self) -> Staged | None:
        """The listing (None if it could not be made: the writer then lists the folder)."""
        if self._listed is not None:
            return self._checked(self._listed())
        if self._process is None:
            return None
        try:
            staged = self._reader.recv()
        except (EOFError, OSError):
            staged = None
        self.close()
        return staged if isinstance(staged, Staged) else None

    def _checked(self, found: ListedSpare | None) -> Staged | None:
        """The listing made before the lock, if the spare is still the very folder listed."""
        self._listed = None
        try:
            now = os.stat(self.spare, follow_symlinks=False)
        except OSError:
            return None
        return found.staged if found and found.identity == _identity(now) else None

    def close(self) -> None:
        self._listed = None
        if self._process is not None:
            self._stop()
            self._process = None


def _stop_listing(
    process: multiprocessing.process.BaseProcess, reader: multiprocessing.connection.Connection
) -> None:
    reader.close()
    process.terminate()
    process.join()


def _send_listing(root: Path, sender: multiprocessing.connection.Connection) -> None:
    with contextlib.suppress(OSError):
        sender.send(Staged.of(root))


def _send_mirror(site: Path, spare: Path, sender: multiprocessing.connection.Connection) -> None:
    """Make the (empty) `spare` hold the site's folders and a hard link to each of its files,
    and send what it holds; stopped midway, what it made is a spare like any other (nothing in
    a spare is trusted)."""
    with contextlib.suppress(OSError):
        files, folders = link_tree(site, spare)
        sender.send(Staged(os.stat(spare).st_dev, files, folders))


class SiteWriter:
    """Writes pages into the staging folder, reusing unchanged files of the current site.

    A build into a new folder leaves no old site to keep as the spare: the next build would
    make one, a hard link to each of 30,000 files on the other core (0.6 s of the first edit
    after a build from nothing, at 11,000 articles). It makes one itself instead
    (`start_mirror`), while the search index is made."""

    def __init__(self, output_dir: Path, listing: SpareListing | None = None) -> None:
        self.output_dir = output_dir
        self.staging = staging_folder(output_dir)
        recover(output_dir)
        self.new_folder = not output_dir.exists()
        self._mirror: _Mirror | None = None
        spare = spare_folder(output_dir)
        self.staged: Staged | None = None
        """What the reused spare held; None when the staging folder began empty."""
        if spare.is_dir() and not spare.is_symlink():
            listed = listing.result() if listing else None
            spare.rename(self.staging)
            self.staged = listed or Staged.of(self.staging)
        elif listing:
            listing.close()
        else:
            if spare.is_symlink() or spare.is_file():
                spare.unlink()
            self.staging.mkdir(parents=True)
        self.written = 0
        self.unchanged = 0
        self._seen: set[str] = set()
        self._reserved: set[str] = set()
        self._cleared = False

    def write(self, relative: str, data: bytes) -> None:
        if relative in self._seen:
            raise OutputError(
                f"two pages claim {relative!r}; this is a bug in Broadsheet or the theme"
            )
        self._seen.add(relative)
        if write_file(self.staging, self.output_dir, relative, data)[0]:
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

    def claim_written(self, paths: Iterable[str]) -> None:
        """Note pages that worker processes wrote with `write_file` or `link_if_unchanged`."""
        for path in paths:
            self.claim(path)

    def reserve(self, folder: str) -> None:
        """Leave a top folder of the staging folder to another writer (the search step keeps
        and cleans its own bundle there): `remove_unclaimed` does not touch it."""
        self._reserved.add(folder)

    def remove_unclaimed(self) -> None:
        """Remove what a reused staging folder holds that no page of this build claimed (pages
        of articles since deleted, an old search bundle), and folders left empty. Call once every
        page is written, before anything else (search) writes into the staging folder; `commit`
        calls it if nobody did."""
        if self.staged is None or self._cleared:
            return
        self._cleared = True
        tops = {path.split("/", 1)[0] for path in self._seen} | self._reserved
        needed = {path.rsplit("/", 1)[0] for path in self._seen if "/" in path}
        for folder in list(needed):
            while "/" in folder:
                folder = folder.rsplit("/", 1)[0]
                if folder in needed:
                    break
                needed.add(folder)
        root = os.fspath(self.staging)
        gone: set[str] = set()
        for folder in self.staged.folders:
            if "/" not in folder and folder not in tops:
                # nothing claimed inside (the last search bundle: 11,000 files at 11,000
                # articles): deleted in the background, not file by file
                discard(self.staging / folder, self.output_dir)
                gone.add(folder)
        left = gone | self._reserved
        for relative in self.staged.files:
            if relative not in self._seen and relative.split("/", 1)[0] not in left:
                _remove_file(f"{root}/{relative}")
        for folder in reversed(self.staged.folders):  # children before their parents
            if folder not in needed and folder.split("/", 1)[0] not in left:
                with contextlib.suppress(OSError):  # not empty
                    os.rmdir(f"{root}/{folder}")

    def start_mirror(self) -> None:
        """In a build into a new folder, once every page is written: start making the next
        build's spare, the pages' folders and a hard link to each page, on a thread (the
        search index is made meanwhile; its folder is mirrored at `commit`)."""
        if self.new_folder and self._mirror is None and sys.platform != "win32":
            later = frozenset(self._reserved)
            self._mirror = _Mirror.start(self.staging, mirror_folder(self.output_dir), later)

    def add_counts(self, written: int, unchanged: int) -> None:
        """Count pages that worker processes wrote with `write_file` directly."""
        self.written += written
        self.unchanged += unchanged

    def carry_over(self, folder: str) -> dict[str, FileStat]:
        """Keep a folder of the current site that this build does not make (serve keeps the old
        search bundle until the new one is ready), as hard links to its files: where a reused
        staging folder holds the very files already (a folder `reserve`d before the pages were
        written), they stay, and what it holds besides is removed. Returns each file's stat."""
        source = safe_join(self.output_dir, folder)
        target = safe_join(self.staging, folder)
        kept: dict[str, FileStat] = {}
        if source.is_dir() and not source.is_symlink():
            root = os.fspath(self.staging)
            for relative, entry in walk(source):
                path = f"{folder}/{relative}"
                if entry.is_dir(follow_symlinks=False):
                    os.makedirs(f"{root}/{path}", exist_ok=True)
                    continue
                now = entry.stat(follow_symlinks=False)
                if self.staged is None or not self.staged.holds(path, now):
                    place_link(entry.path, now, f"{root}/{path}")
                kept[path] = file_stat(now)
        elif target.exists():
            _clear(target)
        if self.staged is not None and folder in self._reserved:
            self.staged.remove_unclaimed(self.staging, folder, kept.keys())
        return kept

    def commit(self) -> WriteStats:
        """Swap the finished site in: atomically where the OS allows, else by two quick renames."""
        self.remove_unclaimed()
        mirror, self._mirror = self._mirror, None
        if mirror:
            mirror.finish()
        if self.output_dir.exists():
            if _exchange(self.staging, self.output_dir):
                keep_as_spare(self.staging, self.output_dir)  # now holds the old site
            else:
                retired = retired_folder(self.output_dir)
                self.output_dir.rename(retired)
                self.staging.rename(self.output_dir)
                keep_as_spare(retired, self.output_dir)
        else:
            self.staging.rename(self.output_dir)
        if mirror:
            keep_as_spare(mirror.folder, self.output_dir)
        return WriteStats(self.written, self.unchanged)

    def abandon(self) -> None:
        """Give up this build: the current site stays; the staging folder is kept as the spare."""
        mirror, self._mirror = self._mirror, None
        if mirror:
            mirror.stop()
            discard(mirror.folder, self.output_dir)
        if self.staging.exists():
            keep_as_spare(self.staging, self.output_dir)


class _Mirror:
    """A folder made to hold a site's folders and a hard link to each of its files, on a thread
    (the links and folders are system calls: the thread holds the GIL little). Made partly, it
    is a spare like any other: nothing in a spare is trusted.

    The thread runs at the lowest priority (Linux gives each thread its own nice value): it is
    made while Pagefind and the search workers keep both cores busy, and at equal priority its
    46,000 system calls (11,000 articles) competed with them for the cores and the file
    system. Niced, the cold build took 23.1 s against 26.9 s (4 each, taking turns; system time
    9 s against 16 s), and the spare is as whole when the build ends. On a busy machine the
    thread may have made little by then: `finish` never waits on it at its low priority (on
    a machine as busy as one of half the speed, that took the cold build from 42 s to 51 s),
    but stops it and makes the rest on the building thread."""

    def __init__(self, site: Path, folder: Path, later: Collection[str]) -> None:
        self.site, self.folder, self.later = site, folder, later
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mirror", daemon=True)

    @classmethod
    def start(cls, site: Path, folder: Path, later: Collection[str]) -> _Mirror | None:
        """Mirror `site` into the new `folder`, but for its top folders named in `later` (being
        written still), which `finish` mirrors. None where the folder cannot be made."""
        try:
            folder.mkdir()
        except OSError:
            return None
        mirror = cls(site, folder, later)
        mirror._thread.start()
        return mirror

    def _run(self) -> None:
        with contextlib.suppress(OSError, AttributeError):  # AttributeError: no setpriority
            os.setpriority(os.PRIO_PROCESS, 0, 19)  # this thread only, on Linux
        with contextlib.suppress(OSError):
            link_tree(self.site, self.folder, self.later, self._stopped)

    def finish(self) -> None:
        """Make what the thread has not made yet, then the folders it left for later."""
        if self._thread.is_alive():
            self.stop()
            with contextlib.suppress(OSError):
                link_tree(self.site, self.folder, self.later, resume=True)
        with contextlib.suppress(OSError):
            for name in sorted(self.later):
                source = self.site / name
                if source.is_dir() and not source.is_symlink():
                    (self.folder / name).mkdir()
                    link_tree(source, self.folder / name)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()


def swap_folder(new: Path, current: Path) -> Path | None:
    """Put folder `new` where `current` is, in one step where the OS allows (serve swaps the
    search bundle of the live site this way); gives where the old one is now, for the caller
    to delete (None where there was none)."""
    if current.exists() and _exchange(new, current):
        return new  # now holds the old folder
    retired = new.with_name(f"{new.name}.old")
    shutil.rmtree(retired, ignore_errors=True)
    if current.exists():
        current.rename(retired)
        new.rename(current)
        return retired
    new.rename(current)
    return None


def _exchange(a: Path, b: Path) -> bool:
    """Linux renameat2(RENAME_EXCHANGE): both folders swap names in one step. Looked up among
    the symbols the process has loaded, libc's among them (`ctypes.util.find_library` runs
    `ldconfig -p`, forked from the build's large process)."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError, TypeError):  # no such call, or no CDLL(None) (Windows)
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0
