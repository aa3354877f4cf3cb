"""The canonicalised search bundle, searched with filters in a real browser (the shared chromium
of the browser tests)."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from generator.search_canonical import canonicalise_bundle
from tests.browser.conftest import ServedSite, Tab
from tests.browser.harness import build_with_cli, copy_demo, serve
from tests.browser.test_demo_in_browser import wait_for_results
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


# --- the demo in shards, against the demo in one bundle ----------------------------------------

UI_STATE = """() => ({
    message: document.querySelector('.pagefind-ui__message')?.textContent.trim(),
    titles: [...document.querySelectorAll('.pagefind-ui__result-link')].map(
        a => a.textContent.trim()),
    filters: [...document.querySelectorAll('.pagefind-ui__filter-value')].map(
        v => v.textContent.replace(/\\s+/g, ' ').trim()),
})"""


@pytest.fixture(scope="module")
def one_bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedSite]:
    """The demo archive with its search index in one bundle (the default at its size)."""
    tmp = tmp_path_factory.mktemp("one-bundle")
    built = build_with_cli(copy_demo(tmp / "src"), tmp / "www" / "archive", "/archive/")
    assert not (built.out / "pagefind" / "shard-1").exists()
    with serve(tmp / "www") as origin:
        yield ServedSite(built, origin, origin + "/archive/")


def ui_answer(tab: Tab, site: ServedSite, query: str) -> dict[str, Any]:
    """What the search page shows for ?q=...: the message, every result, every filter value."""
    page = tab.page
    page.goto(site.url(f"search/?{query}"))
    wait_for_results(page)
    return page.evaluate(UI_STATE)


QUERIES = ["q=barrier", "q=barrier&sort=desc", "q=barrier&sort=asc", "q=the&sort=desc", "q=honey"]


@pytest.mark.parametrize("query", QUERIES)
def test_the_sharded_index_shows_what_one_bundle_shows(
    demo: ServedSite, one_bundle: ServedSite, tab: Tab, query: str
) -> None:
    """Same results, in the same date order across shards, and the same filters and counts.
    Ranked by relevance, the order may differ: each shard weighs words by its own pages."""
    assert len(list((demo.built.out / "pagefind").glob("shard-*"))) == 3
    sharded = ui_answer(tab, demo, query)
    single = ui_answer(tab, one_bundle, query)
    if "sort=" not in query:
        sharded["titles"].sort()
        single["titles"].sort()
    assert sharded == single
    assert sharded["titles"] and len(sharded["filters"]) > 4
    assert tab.problems() == []


def test_an_article_of_every_shard_is_found(demo: ServedSite, tab: Tab) -> None:
    bundle = demo.built.out / "pagefind"
    folders = [bundle, *sorted(bundle.glob("shard-*"))]
    assert len(folders) == 4
    titles = {a["url"].removeprefix("/archive"): a["title"] for a in demo.catalog()["articles"]}
    for folder in folders:
        fragment = sorted((folder / "fragment").glob("*.pf_fragment"))[0]
        url = json.loads(gzip.decompress(fragment.read_bytes())[12:])["url"]
        title = titles[url]
        answer = ui_answer(tab, demo, "q=" + quote(title))
        assert title in answer["titles"], (folder.name, title, answer)
    assert tab.problems() == []


def test_filter_counts_are_summed_over_every_shard(demo: ServedSite, tab: Tab) -> None:
    page = tab.page
    page.goto(demo.url("search/"))
    counts = page.evaluate(
        "async () => { const pf = await import('/archive/static/search/pagefind.js');"
        " return await pf.filters(); }"
    )
    articles = demo.catalog()["articles"]
    expected = Counter(a["publication"] for a in articles if a["publication"])
    assert counts["publication"] == dict(expected)
    assert tab.problems() == []
