"""Every file as the last build read it, in one file of the cache folder (`articles.pickle`).

An edit rebuild needs every other article too, unchanged: fetching 11,000 of them one by one
from the SQLite cache and unpickling each took 0.3 s of it, loading them from one file 0.1 s.
The snapshot is keyed like the cache (a read result by the key of its file's bytes, path,
settings and Broadsheet's code), so a snapshot of an older build is still right for every key
it has; what it lacks comes from the SQLite cache. It is written again only once what it lacks
or holds in vain is a tenth of the archive (an edit leaves it alone).

It is written in segments of a thousand results, each with its CRC-32: a damaged segment is
skipped (its results come from the SQLite cache), and neither reading nor writing holds more
than one segment's bytes at a time (100,000 articles are 500 MB of pickles).
"""

from __future__ import annotations

import contextlib
import pickle
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

from .cache import CODE
from .readers import ReadResult

SNAPSHOT_FILE = "articles.pickle"
SEGMENT = 1000
"""Read results per segment."""
STALE_SHARE = 0.1
"""The share of the archive the snapshot may lack or hold in vain before it is written again."""


def load(folder: Path) -> dict[str, ReadResult]:
    """The snapshot's read results by key; none where it is missing or of other code, and
    none of a damaged segment."""
    found: dict[str, ReadResult] = {}
    try:
        with (folder / SNAPSHOT_FILE).open("rb") as file:
            if pickle.load(file) != CODE:
                return {}
            for payload, checksum in _segments(file):
                if zlib.crc32(payload) == checksum:
                    with contextlib.suppress(Exception):  # damaged: its results are fetched
                        found.update(pickle.loads(payload))
    except Exception:  # missing or damaged beyond its segments: it only saves time
        return found
    return found


def _segments(file: IO[bytes]) -> Iterator[tuple[bytes, int]]:
    while True:
        try:
            payload, checksum = pickle.load(file)
        except EOFError:
            return
        if not isinstance(payload, bytes) or not isinstance(checksum, int):
            return
        yield payload, checksum


def worth_writing(held: int, used: int, total: int) -> bool:
    """Whether to write the snapshot again: it holds `held` results, of which this build
    used `used` of its `total`."""
    if total == 0:
        return held > 0
    return (held - used) + (total - used) > STALE_SHARE * total


def save(folder: Path, results: Mapping[str, ReadResult]) -> None:
    """Write the snapshot (whole, then renamed: a killed build leaves the old one or the new
    one); a failure only costs the next build the shortcut."""
    path = folder / SNAPSHOT_FILE
    partial = path.with_name(f"{path.name}.partial")
    items = list(results.items())
    with contextlib.suppress(OSError):
        with partial.open("wb") as file:
            pickle.dump(CODE, file, protocol=pickle.HIGHEST_PROTOCOL)
            for start in range(0, len(items), SEGMENT):
                payload = pickle.dumps(
                    dict(items[start : start + SEGMENT]), protocol=pickle.HIGHEST_PROTOCOL
                )
                pickle.dump((payload, zlib.crc32(payload)), file, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(path)
