"""A content-hash cache of per-file work, in `.broadsheet-cache/` beside site.toml.

Reading a file (decoding, parsing, Markdown rendering, sanitising) is the expensive per-file step,
and its result depends only on the file's bytes, its path, a few settings and Broadsheet's own
code. So the key is a hash of exactly those; a changed file, setting or Broadsheet version simply
misses. Entries live in one SQLite database (atomic, survives kill -9). A value that fails its
checksum or will not unpickle is dropped and recomputed. A database that will not open, fails
SQLite's quick check when opened, or that SQLite calls damaged at any later read or write, is
deleted and started afresh: a damaged file left in place would fail every build after it.
The folder is never part of the site and is safe to delete.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import marshal
import pickle
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CACHE_DIR = ".broadsheet-cache"
PRUNE_SLACK = 0.1
"""The share of the database stale entries may take before a build prunes them."""
VACUUM_SHARE = 0.25
"""The share of the file that free pages may take after a prune before the file is rewritten
without them: SQLite reuses freed pages but never gives them back, so a cache whose entries
all went stale (a new version of Broadsheet, or of a setting every file's reading depends on)
would otherwise stay twice the size it needs (at 11,000 articles: 297 MB, 48% of it free)."""
VACUUM_MIN_BYTES = 16 << 20
"""Free space below this is never worth rewriting the file for."""
LEFT_FILE = "cache.sqlite3.left"
"""The database file's stamp as the last build closed it (see `Cache`)."""
_SCHEMA = "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, checksum TEXT, value BLOB)"


def code_fingerprint(*packages: Path) -> str:
    """A hash of Broadsheet's own source for the given folders, so any code change misses."""
    digest = hashlib.sha256()
    for folder in packages:
        for path in sorted(folder.rglob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


CODE = code_fingerprint(Path(__file__).resolve().parent)
"""Broadsheet's own code, part of every cache key: a new version never reuses old results."""


def write_state(cache_dir: Path, name: str, content: str | bytes) -> None:
    """Write a state file of the cache folder (the last build's manifest, sources, search
    shards) atomically; a failure only costs the next build the shortcut the file gives."""
    with contextlib.suppress(OSError):
        cache_dir.mkdir(parents=True, exist_ok=True)
        temporary = cache_dir / f"{name}.tmp"
        data = content.encode("utf-8") if isinstance(content, str) else content
        temporary.write_bytes(data)
        temporary.replace(cache_dir / name)


def marshalled(value: object) -> bytes:
    """`value` (plain str, bytes, int, float, bool, None, list, tuple and dict) marshalled:
    several times faster than a pickle or JSON for a state file of many small lists. Marshal
    takes exact types only: a str subclass in it (Markup, say) is written as plain text."""
    try:
        return marshal.dumps(value, 4)
    except ValueError:
        return marshal.dumps(_plain(value), 4)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return tuple(_plain(item) for item in value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    return value


def entry_key(namespace: str, *parts: bytes | str) -> str:
    digest = hashlib.sha256(namespace.encode())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def checksum_of(value: bytes) -> str:
    """What catches a stored value damaged on disk: CRC-32 (a build checks every value it
    reads, and SHA-256 of 11,000 articles' features alone took 0.15 s)."""
    return f"crc32:{zlib.crc32(value):08x}"


class Cache:
    """get/put of picklable values by key; every failure degrades to a miss.

    `verify` runs SQLite's quick check on opening (about 1 ms per MB of cache: 0.08 s at 11,000
    articles), unless the file is as the last build that checked it left it (its size, time
    and inode, noted as it closed the file): damage it finds costs one build its cache, where
    damage first met by a write would cost the next build too. Worker processes of a build
    skip it: the build checked the file moments before."""

    def __init__(self, folder: Path, verify: bool = True) -> None:
        self.folder = folder
        self.path = folder / "cache.sqlite3"
        self.verify = verify
        self.hits = 0
        self.misses = 0
        self.touched: set[str] = set()
        """Keys asked for or stored in this build; everything else is stale."""
        self.present: set[str] = set()
        """Keys this connection found or stored: entries the database holds for this build."""
        self.renewed = False
        """The database was found damaged during this build and started afresh."""
        self.held_at_open = 0
        """Entries the database held when this connection opened it: none, and nothing in it
        can be stale at the end of the build."""
        self._db: sqlite3.Connection | None = None
        self._db = self._open()

    def _open(self) -> sqlite3.Connection | None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            return self._connect(check=self.verify and not self._as_left())
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                return self._renew(exc)
            log.warning("cache %s cannot be opened (%s); building without it", self.path, exc)
            return None
        except OSError as exc:
            log.warning(
                "cache folder %s cannot be used (%s); building without it", self.folder, exc
            )
            return None

    def _connect(self, check: bool = False) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(_SCHEMA)
            if check:
                verdict = str(db.execute("PRAGMA quick_check(1)").fetchone()[0])
                if verdict != "ok":
                    found = verdict.replace("*** in database main ***", "").strip()
                    raise sqlite3.DatabaseError(f"quick check: {' '.join(found.split())}")
            self.held_at_open = int(db.execute("SELECT count(*) FROM entries").fetchone()[0])
        except BaseException:
            db.close()
            raise
        return db

    def _renew(self, exc: sqlite3.DatabaseError) -> sqlite3.Connection | None:
        """Delete a damaged database and start an empty one (once per build; after that, none)."""
        if self._db is not None:
            with contextlib.suppress(sqlite3.DatabaseError):
                self._db.close()
        self._db = None
        if self.renewed:
            log.warning("cache %s failed again (%s); building without it", self.path, exc)
            return None
        self.renewed = True
        log.warning("cache %s is damaged (%s); deleted it and started a new one", self.path, exc)
        try:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self._db = self._connect()
        except (OSError, sqlite3.DatabaseError) as again:
            log.warning("cache %s cannot be recreated (%s); building without it", self.path, again)
        return self._db

    def _failed(self, action: str, exc: sqlite3.DatabaseError) -> None:
        """A read or write failed: a damaged file is renewed, anything else (busy, full) is
        only reported, and the build goes on either way."""
        if is_damage(exc):
            self._renew(exc)
        else:
            log.warning("cache %s failed (%s); continuing without it", action, exc)

    def keep(self, keys: Iterable[str]) -> None:
        """Note keys this build uses without reading them (a page's digest, where its file
        still has the stat the last build recorded): they are not stale."""
        for key in keys:
            self.touched.add(key)
            self.present.add(key)

    def has_many(self, keys: Iterable[str]) -> set[str]:
        """Which of the keys the database holds (their values are neither read nor checked:
        a damaged one is found when it is read)."""
        wanted = list(keys)
        self.touched.update(wanted)
        held = {key for (key,) in self._select("key", wanted)}
        self.present.update(held)
        return held

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The cached values of those keys that are present and sound."""
        found: dict[str, Any] = {}
        wanted = list(keys)
        self.touched.update(wanted)
        for key, checksum, value in self._select("key, checksum, value", wanted):
            if checksum_of(value) != checksum:
                continue
            try:
                found[key] = pickle.loads(value)
            except Exception:  # a damaged value is a miss, whatever pickle says
                continue
        self.present.update(found)
        self.hits += len(found)
        self.misses += len(wanted) - len(found)
        return found

    def _select(self, columns: str, keys: list[str]) -> Iterator[tuple[Any, ...]]:
        """The rows of these keys, 500 keys a query (a query that fails yields no rows)."""
        for chunk in _chunks(keys, 500):
            if self._db is None:
                return
            marks = ",".join("?" * len(chunk))
            try:
                rows = self._db.execute(
                    f"SELECT {columns} FROM entries WHERE key IN ({marks})", chunk
                ).fetchall()
            except sqlite3.DatabaseError as exc:
                self._failed("read", exc)
                rows = []
            yield from rows

    def put_many(self, items: Iterable[tuple[str, Any]]) -> None:
        if self._db is None:
            return
        rows = []
        for key, value in items:
            self.touched.add(key)
            self.present.add(key)
            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            rows.append((key, checksum_of(data), data))
        for _ in range(2):  # a second try on a database renewed by the first
            if self._db is None:
                return
            try:
                with self._db:
                    self._db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", rows)
                return
            except sqlite3.DatabaseError as exc:
                self._failed("write", exc)
                if not self.renewed:
                    return

    def prune(self, slack: float = PRUNE_SLACK) -> None:
        """Forget entries this build did not use (old versions of files, deleted files), once
        they may be `slack` of the database: a stale entry costs only disk space, while pruning
        costs a pass over every key (0.25 s at 11,000 articles, on each edit). The entries this
        process did not find or store are counted stale: those other processes stored are too,
        so the estimate only errs towards pruning sooner."""
        if self._db is None or not self.held_at_open:  # a first build's are all of use
            return
        try:
            stored = int(self._db.execute("SELECT count(*) FROM entries").fetchone()[0])
            if stored - len(self.present) <= slack * stored:
                return
            with self._db:
                self._db.execute("CREATE TEMP TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY)")
                self._db.execute("DELETE FROM used")
                self._db.executemany(
                    "INSERT OR IGNORE INTO used VALUES (?)", ((k,) for k in self.touched)
                )
                self._db.execute("DELETE FROM entries WHERE key NOT IN (SELECT key FROM used)")
            self._vacuum_if_spare()
        except sqlite3.DatabaseError as exc:
            self._failed("prune", exc)

    def _vacuum_if_spare(self) -> None:
        """Rewrite the file without its free pages, where they are `VACUUM_SHARE` of it and at
        least `VACUUM_MIN_BYTES` (it copies the live entries: 0.8 s for 150 MB). Only a prune
        frees that much, after a quarter of the entries or more went stale at once."""
        assert self._db is not None
        pages = int(self._db.execute("PRAGMA page_count").fetchone()[0])
        free = int(self._db.execute("PRAGMA freelist_count").fetchone()[0])
        size = int(self._db.execute("PRAGMA page_size").fetchone()[0])
        if free > VACUUM_SHARE * pages and free * size >= VACUUM_MIN_BYTES:
            self._db.execute("VACUUM")

    def close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.DatabaseError):
                self._db.close()
            self._db = None
            if self.verify:
                self._note_left()

    def _stamp(self) -> str | None:
        """The database file's size, time and inode, where no write-ahead log is beside it
        (the last connection closed folds the log into the file and removes it)."""
        try:
            if Path(f"{self.path}-wal").exists():
                return None
            now = self.path.stat()
        except OSError:
            return None
        return f"{now.st_size} {now.st_mtime_ns} {now.st_ino}"

    def _note_left(self) -> None:
        stamp = self._stamp()
        if stamp is not None:
            write_state(self.folder, LEFT_FILE, stamp)

    def _as_left(self) -> bool:
        """Is the file as a checking build left it?"""
        try:
            noted = (self.folder / LEFT_FILE).read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            return False
        return noted == self._stamp()


_DAMAGE_CODES = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def is_damage(exc: sqlite3.DatabaseError) -> bool:
    """Does SQLite say the file itself is damaged (rather than busy, locked or full)?"""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _DAMAGE_CODES  # extended codes keep the primary in the low byte
    text = str(exc).lower()
    return any(word in text for word in ("malformed", "not a database", "quick check", "corrupt"))


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
