"""The Pagefind step: one function, one input (a finished site folder), using the real Pagefind
binary shipped by the `pagefind[bin]` package through its Python API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from .errors import SearchIndexError


@dataclass(frozen=True, slots=True)
class SearchStats:
    pages: int
    """HTML pages Pagefind indexed (only those marked data-pagefind-body)."""


def index_site(site_dir: Path, language: str, output: Path | None = None) -> SearchStats:
    """Write the search bundle for every article page in site_dir into `output`
    (default site_dir/pagefind/, where the search page looks for it)."""
    try:
        return asyncio.run(
            _index(site_dir.resolve(), language, (output or site_dir / "pagefind").resolve())
        )
    except SearchIndexError:
        raise
    except Exception as exc:  # the service reports failures as assorted exceptions
        raise SearchIndexError(f"Pagefind could not index the site: {exc}") from exc


async def _index(site_dir: Path, language: str, output: Path) -> SearchStats:
    from pagefind.index import IndexConfig, PagefindIndex

    config = IndexConfig(
        force_language=language.split("-")[0].lower() or "en", output_path=str(output)
    )
    async with PagefindIndex(config=config) as index:  # writes the bundle on a clean exit
        result = await index.add_directory(str(site_dir))
        pages = int(result.get("page_count", 0))
    return SearchStats(pages=pages)
