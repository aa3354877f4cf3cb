"""Fixtures for the reader tests: a site config, and the shared sample texts (never copied here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config import SiteConfig, parse_config

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CLIPPINGS = SHARED / "samples" / "clippings"
BBC = SHARED / "corpus" / "bbc-news-2005"


@pytest.fixture
def config(tmp_path: Path) -> SiteConfig:
    return parse_config({"title": "T"}, tmp_path)


def clipping_text(prefix: str) -> str:
    """The text of a shared sample clipping, skipping the test when the samples are absent."""
    found = sorted(CLIPPINGS.glob(f"{prefix}_*.txt")) if CLIPPINGS.is_dir() else []
    if not found:
        pytest.skip(f"../shared/samples/clippings not found: {CLIPPINGS}")
    return found[0].read_text(encoding="utf-8")


def bbc_path(relative: str) -> Path:
    path = BBC / relative
    if not path.is_file():
        pytest.skip(f"../shared/corpus/bbc-news-2005 not found: {path}")
    return path
