"""The Pagefind step: one function, one input (a finished site folder), using the real Pagefind
binary shipped by the `pagefind[bin]` package through its Python API.

The bundle must be the same bytes for the same site: Pagefind writes some of it in random or
file-system order, so `search_canonical` rewrites it into a canonical form afterwards. (Adding
pages one by one in sorted order instead would cost 0.1 s a page: the Python API polls the
service's replies ten times a second.)"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import SearchIndexError
from .search_canonical import canonicalise_bundle


@dataclass(frozen=True, slots=True)
class SearchStats:
    pages: int
    """HTML pages Pagefind indexed (only those marked data-pagefind-body)."""


def index_site(
    site_dir: Path,
    language: str,
    output: Path | None = None,
    step: Callable[[str], None] | None = None,
) -> SearchStats:
    """Write the search bundle for every article page in site_dir into `output`
    (default site_dir/pagefind/, where the search page looks for it). `step(name)` is told as
    each part begins ("indexing", "canonical order"): Pagefind reports no counts on the way."""
    bundle = (output or site_dir / "pagefind").resolve()
    if _loop_running():  # called from code that runs an event loop: index on another thread
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(index_site, site_dir, language, output, step).result()
    began = step or (lambda name: None)
    try:
        began("indexing")
        asyncio.run(_index(site_dir.resolve(), language, bundle))
        entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    except SearchIndexError:
        raise
    except Exception as exc:  # the service reports failures as assorted exceptions
        raise SearchIndexError(f"Pagefind could not index the site: {exc}") from exc
    began("canonical order")
    canonicalise_bundle(bundle)
    return SearchStats(pages=sum(int(lang["page_count"]) for lang in entry["languages"].values()))


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def _index(site_dir: Path, language: str, output: Path) -> None:
    from pagefind.index import IndexConfig, PagefindIndex

    config = IndexConfig(
        force_language=language.split("-")[0].lower() or "en", output_path=str(output)
    )
    async with PagefindIndex(config=config) as index:  # writes the bundle on a clean exit
        await index.add_directory(str(site_dir))
