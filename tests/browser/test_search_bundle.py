"""The canonicalised search bundle, searched with filters in a real browser (the shared chromium
of the browser tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.search_canonical import canonicalise_bundle
from tests.browser.harness import serve
from tests.test_search_canonical import PUBLICATIONS, SEARCH, index_in_new_process, write_site


@pytest.fixture
def served_site(tmp_path: Path) -> Iterator[str]:
    """A canonicalised site served on 127.0.0.1 (a free port), stopped after the test."""
    site = write_site(tmp_path / "site")
    index_in_new_process(site, site / "pagefind")
    canonicalise_bundle(site / "pagefind")
    with serve(site) as origin:
        yield origin


def test_filtered_search_works_in_a_real_browser(served_site: str, chromium: Any) -> None:
    page = chromium.new_page()
    try:
        page.goto(f"{served_site}/story-0/")
        everything = page.evaluate(SEARCH, ["barrier", {}])
        courier = page.evaluate(SEARCH, ["barrier", {"publication": "Northfield Courier"}])
        tagged = page.evaluate(
            SEARCH, ["barrier", {"publication": "Northfield Courier", "tag": "theatre"}]
        )
    finally:
        page.close()
    assert everything["urls"] == [f"/story-{i}/" for i in range(8)]
    assert courier["urls"] == ["/story-0/", "/story-3/", "/story-6/"]
    assert tagged["urls"] == ["/story-0/", "/story-6/"]
    assert everything["filters"]["publication"] == {
        name: 3 if i < 2 else 2 for i, name in enumerate(PUBLICATIONS)
    }
