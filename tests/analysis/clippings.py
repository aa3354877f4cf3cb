"""The two real clippings in ../shared/samples/clippings, read crudely for analysis tests.

The real clipping reader does better; here a block (text between blank lines) is body text when
it comes after the byline and "Published" lines, has five words or more and is not a promo line.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from generator.model import Article
from tests.factories import make_article

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CLIPPINGS = SHARED / "samples" / "clippings"


def clipping_paths() -> list[Path]:
    """The sample clippings, in name order; [] when ../shared is absent."""
    return sorted(CLIPPINGS.glob("*.txt")) if CLIPPINGS.is_dir() else []


def read_clipping(path: Path, *, date: dt.date | None = None, publication: str = "") -> Article:
    """An Article from a pasted clipping: headline = first block of four words or more."""
    blocks = [b.strip() for b in path.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    title_at = next(i for i, b in enumerate(blocks) if len(b.split()) >= 4)
    title = blocks[title_at]
    start = title_at + 1
    for i, block in enumerate(blocks[: title_at + 8]):
        if block.lstrip("*").startswith(("By ", "Published")):
            start = max(start, i + 1)
    body = [
        " ".join(b.split())
        for b in blocks[start:]
        if len(b.split()) >= 5 and "SIGN UP" not in b and not b.startswith(title)
    ]
    return make_article(
        id=path.stem.split("_")[0],
        title=title,
        paragraphs=body,
        date=date,
        publication=publication,
        format="clipping",
    )
