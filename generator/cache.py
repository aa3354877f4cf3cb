"""A content-hash cache of per-file work, in `.broadsheet-cache/` beside site.toml.

Reading a file (decoding, parsing, Markdown rendering, sanitising) is the expensive per-file step,
and its result depends only on the file's bytes, its path, a few settings and Broadsheet's own
code. So the key is a hash of exactly those; a changed file, setting or Broadsheet version simply
misses. Entries live in one SQLite database (atomic, survives kill -9). A value that fails its
checksum or will not unpickle is dropped and recomputed; a database that will not open is deleted
and started afresh. The folder is never part of the site and is safe to delete.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import pickle
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CACHE_DIR = ".broadsheet-cache"
_SCHEMA = "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, checksum TEXT, value BLOB)"


def code_fingerprint(*packages: Path) -> str:
    """A hash of Broadsheet's own source for the given folders, so any code change misses."""
    digest = hashlib.sha256()
    for folder in packages:
        for path in sorted(folder.rglob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def entry_key(namespace: str, *parts: bytes | str) -> str:
    digest = hashlib.sha256(namespace.encode())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


class Cache:
    """get/put of picklable values by key; every failure degrades to a miss."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / "cache.sqlite3"
        self.hits = 0
        self.misses = 0
        self.touched: set[str] = set()
        """Keys asked for or stored in this build; everything else is stale."""
        self._db = self._open()

    def _open(self) -> sqlite3.Connection | None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            return self._connect()
        except sqlite3.DatabaseError as exc:
            log.warning("cache %s is unreadable (%s); starting afresh", self.path, exc)
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            try:
                return self._connect()
            except sqlite3.DatabaseError:
                return None
        except OSError as exc:
            log.warning(
                "cache folder %s cannot be used (%s); building without it", self.folder, exc
            )
            return None

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(_SCHEMA)
        db.execute("SELECT count(*) FROM entries").fetchone()
        return db

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The cached values of those keys that are present and sound."""
        found: dict[str, Any] = {}
        wanted = list(keys)
        self.touched.update(wanted)
        if self._db is None:
            self.misses += len(wanted)
            return found
        for chunk in _chunks(wanted, 500):
            marks = ",".join("?" * len(chunk))
            try:
                rows = self._db.execute(
                    f"SELECT key, checksum, value FROM entries WHERE key IN ({marks})", chunk
                ).fetchall()
            except sqlite3.DatabaseError as exc:
                log.warning("cache read failed (%s); recomputing", exc)
                rows = []
            for key, checksum, value in rows:
                if hashlib.sha256(value).hexdigest() != checksum:
                    continue
                try:
                    found[key] = pickle.loads(value)
                except Exception:  # a damaged value is a miss, whatever pickle says
                    continue
        self.hits += len(found)
        self.misses += len(wanted) - len(found)
        return found

    def put_many(self, items: Iterable[tuple[str, Any]]) -> None:
        if self._db is None:
            return
        rows = []
        for key, value in items:
            self.touched.add(key)
            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            rows.append((key, hashlib.sha256(data).hexdigest(), data))
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", rows)
        except sqlite3.DatabaseError as exc:
            log.warning("cache write failed (%s); continuing without caching", exc)

    def prune(self) -> None:
        """Forget entries this build did not use (old versions of files, deleted files)."""
        if self._db is None:
            return
        try:
            with self._db:
                self._db.execute("CREATE TEMP TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY)")
                self._db.execute("DELETE FROM used")
                self._db.executemany(
                    "INSERT OR IGNORE INTO used VALUES (?)", ((k,) for k in self.touched)
                )
                self._db.execute("DELETE FROM entries WHERE key NOT IN (SELECT key FROM used)")
        except sqlite3.DatabaseError as exc:
            log.warning("cache prune failed (%s)", exc)

    def close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.DatabaseError):
                self._db.close()
            self._db = None


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
