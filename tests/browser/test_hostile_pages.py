"""tests/sites/hostile in a real browser: every page loads without running anything the writers
of the content put there (no dialog, no script error, no injected image fetched), and the search
page shows hostile titles from the index as text."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import ServedSite, Tab

# Every injected payload calls alert(), or requests the image "x"; the init script below also
# catches calls that would not open a dialog (e.g. from a detached context).
WATCH = """
window.__calls = [];
for (const name of ['alert', 'confirm', 'prompt', 'print']) {
  const original = window[name];
  window[name] = function (...args) { window.__calls.push(name + ': ' + args.join(' '));
    return original.apply(this, args); };
}
"""


def _watch(tab: Tab) -> list[str]:
    fetched: list[str] = []
    tab.page.add_init_script(WATCH)

    def on_request(request: Any) -> None:
        if request.url.rstrip("/").rsplit("/", 1)[-1] == "x":
            fetched.append(f"injected image fetched: {request.url}")

    tab.page.on("request", on_request)
    return fetched


def _pages(site: ServedSite) -> list[str]:
    out = site.built.out
    return sorted(
        "/" + p.relative_to(out).as_posix().removesuffix("index.html")
        for p in out.rglob("*.html")
        if "pagefind" not in p.parts
    )


def test_no_hostile_page_runs_injected_code(hostile: ServedSite, tab: Tab) -> None:
    fetched = _watch(tab)
    pages = _pages(hostile)
    assert len(pages) > 30
    calls = []
    for path in pages:
        tab.page.goto(hostile.origin + path, wait_until="load")
        calls += [f"{path}: {c}" for c in tab.page.evaluate("() => window.__calls")]
    assert tab.problems() == []
    assert calls == []
    assert fetched == []


def _search(tab: Tab, site: ServedSite) -> None:
    page = tab.page
    page.goto(site.url("search/?q=quokkafrisbee"))
    page.wait_for_function(
        "() => /result/.test(document.querySelector('.pagefind-ui__message')?.textContent || '')"
    )
    more = page.locator(".pagefind-ui__button", has_text="Load more")
    while more.count() and more.first.is_visible():
        more.first.click()
    page.wait_for_timeout(300)  # let every result's fragment load and render


LIVE = "script, svg, img, iframe, object, embed"


def test_search_results_show_hostile_titles_as_text(hostile: ServedSite, tab: Tab) -> None:
    _watch(tab)
    _search(tab, hostile)
    titles = tab.page.locator(".pagefind-ui__result-link").all_inner_texts()
    assert any('<script>alert("title")</script>' in t for t in titles), titles
    assert tab.page.locator(f".pagefind-ui__results :is({LIVE})").count() == 0


def test_search_page_runs_nothing_from_the_content(hostile: ServedSite, tab: Tab) -> None:
    """Pagefind's UI inserts filter values (author, publication, tag) as HTML: an author named
    <img src=x onerror=...> ran script here until b04c1a6 made filter values inert."""
    fetched = _watch(tab)
    _search(tab, hostile)
    injected = [
        e.evaluate("e => e.outerHTML") for e in tab.page.locator(f"#search :is({LIVE})").all()
    ]
    assert injected == []
    assert tab.page.evaluate("() => window.__calls") == []
    assert tab.problems() == []
    assert fetched == []


def _shown(text: str) -> str:
    """A filter label as a reader sees it: filter values are made inert for Pagefind's UI with
    look-alikes (‹ › for < >) and a zero-width space after &, which the eye does not tell apart."""
    return text.replace("\u200b", "").replace("‹", "<").replace("›", ">").strip()


@pytest.mark.parametrize("tag", ["Salt & Pepper", "fish > chips"])
def test_a_filter_value_with_markup_characters_is_shown_and_filters(
    hostile: ServedSite, tab: Tab, tag: str
) -> None:
    _search(tab, hostile)
    page = tab.page
    page.locator(".pagefind-ui__filter-name", has_text="Tag").click()  # tags start closed
    label = page.locator(".pagefind-ui__filter-label")
    labels = [_shown(t) for t in label.all_inner_texts()]
    assert f"{tag} (2)" in labels, labels
    before = page.locator(".pagefind-ui__message").inner_text().strip()
    label.nth(labels.index(f"{tag} (2)")).click()
    page.wait_for_function(
        "before => document.querySelector('.pagefind-ui__message')?.textContent.trim() !== before",
        arg=before,
    )
    page.wait_for_timeout(300)
    titles = sorted(page.locator(".pagefind-ui__result-link").all_inner_texts())
    assert titles == ["First file claiming the shared slug", "Second file claiming the shared slug"]
