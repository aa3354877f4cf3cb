"""The demo archive in a real browser, served from a sub-path (/archive/): search and its filters,
story, diff and article pages, keyboard use, screenshots and an axe-core accessibility audit."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import ServedSite, Tab, axe_script, in_ci
from tests.browser.harness import ARTIFACTS

HONEY = "Beekeepers report best heather honey harvest in a decade"
SCREENSHOTS = ARTIFACTS / "screenshots"


def article_entry(site: ServedSite, title: str) -> dict[str, Any]:
    return next(a for a in site.catalog()["articles"] if a["title"] == title)


def story_url(site: ServedSite) -> str:
    stories = site.catalog()["stories"]
    assert stories, "the demo should hold the flood-barrier story"
    return site.origin + stories[0]["url"]


def wait_for_results(page: Any) -> str:
    """Wait for Pagefind to answer, load every result and return its message ("7 results…")."""
    page.wait_for_function(
        "() => /result/.test(document.querySelector('.pagefind-ui__message')?.textContent || '')"
    )
    more = page.locator(".pagefind-ui__button", has_text="Load more")
    while more.count() and more.first.is_visible():
        more.first.click()
    page.wait_for_function(
        "() => !document.querySelector('.pagefind-ui__result .pagefind-ui__loading')"
    )
    return page.locator(".pagefind-ui__message").inner_text()


def result_titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator(".pagefind-ui__result-link").all_inner_texts()]


def search(page: Any, site: ServedSite, query: str) -> list[str]:
    page.goto(site.url(f"search/?q={query}"))
    wait_for_results(page)
    return result_titles(page)


def test_header_search_box_submits_to_the_search_page_which_finds_a_word_of_a_body(
    demo: ServedSite, tab: Tab
) -> None:
    page = tab.page
    page.goto(demo.url(""))
    page.fill("#site-search", "hairbrush")  # only in the heather honey article's body
    page.press("#site-search", "Enter")
    page.wait_for_url(demo.url("search/?q=hairbrush"))
    message = wait_for_results(page)
    assert result_titles(page) == [HONEY], message
    assert tab.problems() == []


def test_a_search_result_link_opens_the_article(demo: ServedSite, tab: Tab) -> None:
    page = tab.page
    assert search(page, demo, "hairbrush") == [HONEY]
    page.locator(".pagefind-ui__result-link", has_text=HONEY).click()
    page.wait_for_url(demo.origin + article_entry(demo, HONEY)["url"])
    assert page.locator("h1").inner_text() == HONEY
    assert "hairbrush" in page.locator(".article__body").inner_text()
    assert tab.problems() == []


FILTERS: dict[str, tuple[str, Callable[[dict[str, Any]], bool]]] = {
    "publication": ("Northfield Courier", lambda a: a["publication"] == "Northfield Courier"),
    "author": ("Zoë Brennan", lambda a: "Zoë Brennan" in a["authors"]),
    "year": ("2024", lambda a: (a["date_published"] or "").startswith("2024")),
}


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_a_filter_narrows_the_results_to_matching_articles(
    demo: ServedSite, tab: Tab, name: str
) -> None:
    value, matches = FILTERS[name]
    page = tab.page
    everything = search(page, demo, "barrier")
    by_title = {a["title"]: a for a in demo.catalog()["articles"]}
    expected = sorted(t for t in everything if matches(by_title[t]))
    assert 0 < len(expected) < len(everything), (everything, expected)

    before = page.locator(".pagefind-ui__message").inner_text()
    page.locator(f'input.pagefind-ui__filter-checkbox[name="{name}"][value="{value}"]').check()
    page.wait_for_function(
        "before => document.querySelector('.pagefind-ui__message')?.textContent.trim() !== before",
        arg=before.strip(),
    )
    wait_for_results(page)
    assert sorted(result_titles(page)) == expected
    assert tab.problems() == []


def test_search_page_offers_the_four_filters(demo: ServedSite, tab: Tab) -> None:
    search(tab.page, demo, "barrier")
    names = {
        n.strip().lower() for n in tab.page.locator(".pagefind-ui__filter-name").all_inner_texts()
    }
    assert {"publication", "author", "year", "tag"} <= names


@pytest.mark.parametrize("held_back", [0, 1, 2, 3])
def test_every_filter_shows_when_a_filter_chunk_loads_slowly(
    demo: ServedSite, tab: Tab, held_back: int
) -> None:
    """A search opened with ?q= raced Pagefind's load of the filters: the first result counted
    only the filter chunks loaded by then, and a filter whose chunk came late never appeared
    (seen in CI under load). One chunk of the four is held back here; the server is real."""
    requested: list[str] = []

    def slowly(route: Any) -> None:
        requested.append(route.request.url)
        if len(requested) - 1 == held_back:
            time.sleep(0.6)
        route.continue_()

    tab.page.route("**/*.pf_filter", slowly)
    search(tab.page, demo, "barrier")
    tab.page.wait_for_timeout(800)
    names = {
        n.strip().lower() for n in tab.page.locator(".pagefind-ui__filter-name").all_inner_texts()
    }
    assert len(requested) > held_back, requested
    assert {"publication", "author", "year", "tag"} <= names
    assert tab.problems() == []


def test_story_page_lists_its_three_versions(demo: ServedSite, tab: Tab) -> None:
    page = tab.page
    page.goto(story_url(demo))
    rows = page.locator("table.versions tbody tr")
    assert rows.count() == 3
    catalog = demo.catalog()
    titles = {a["id"]: a["title"] for a in catalog["articles"]}
    expected = [titles[v["id"]] for v in catalog["stories"][0]["versions"]]
    assert [t.strip() for t in rows.locator("td:nth-child(2) a").all_inner_texts()] == expected
    assert page.locator("h1").is_visible()
    assert page.locator("ul.diffs a").count() == 3
    assert tab.problems() == []


def test_diff_page_shows_insertions_and_deletions(demo: ServedSite, tab: Tab) -> None:
    page = tab.page
    page.goto(story_url(demo) + "diff/1-2/")
    assert page.locator("h1").inner_text() == "Changes from version 1 to version 2"
    inserted, deleted = page.locator(".diff ins"), page.locator(".diff del")
    assert inserted.count() > 0 and deleted.count() > 0
    assert inserted.first.is_visible() and deleted.first.is_visible()
    style = "(e, p) => getComputedStyle(e).textDecorationLine"
    assert "underline" in inserted.first.evaluate(style, None)
    assert "line-through" in deleted.first.evaluate(style, None)
    assert tab.problems() == []


def test_article_page_shows_headline_byline_date_and_body(demo: ServedSite, tab: Tab) -> None:
    page = tab.page
    page.goto(demo.origin + article_entry(demo, HONEY)["url"])
    assert page.locator("h1").inner_text() == HONEY
    assert "Declan Achterberg" in page.locator(".byline").inner_text()
    assert page.locator(".byline time").inner_text() == "22 August 2024"
    assert page.locator(".article__body p").count() >= 8
    assert page.locator(".article__body h2").first.is_visible()
    assert tab.problems() == []


FOCUSED = """() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  const r = e.getBoundingClientRect();
  return {
    tag: e.tagName.toLowerCase(), id: e.id, cls: e.className, text: e.textContent.trim(),
    href: e.getAttribute('href'), focusVisible: e.matches(':focus-visible'),
    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
    shadow: s.boxShadow !== 'none',
    onScreen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0
      && r.top < innerHeight && r.left < innerWidth,
  };
}"""


def test_keyboard_alone_reaches_skip_link_search_box_and_main_nav_with_visible_focus(
    demo: ServedSite, tab: Tab
) -> None:
    page = tab.page
    page.goto(demo.url(""))
    nav = [
        a.get_attribute("href") for a in page.locator("nav.masthead__nav a").all()
    ]  # Latest, Archive, Stories, …
    assert len(nav) >= 5
    stops = []
    for _ in range(len(nav) + 8):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED))
    assert "skip-link" in stops[0]["cls"], f"the first Tab should reach the skip link: {stops[0]}"
    search_box = next((s for s in stops if s["id"] == "site-search"), None)
    assert search_box, [s["text"] or s["id"] for s in stops]
    reached = [s["href"] for s in stops if s["tag"] == "a"]
    assert all(href in reached for href in nav), (nav, reached)
    wanted = [stops[0], search_box, *(s for s in stops if s["href"] in nav)]
    for stop in wanted:
        assert stop["focusVisible"], stop
        assert stop["outline"] or stop["shadow"], f"no visible focus ring on {stop}"
        assert stop["onScreen"], f"focused but off screen: {stop}"

    page.goto(demo.url(""))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    assert tab.problems() == []


def _pages(site: ServedSite) -> dict[str, str]:
    return {
        "home": site.url(""),
        "article": site.origin + article_entry(site, HONEY)["url"],
        "story": story_url(site),
        "diff": story_url(site) + "diff/1-2/",
        "search": site.url("search/?q=barrier"),
    }


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", ["home", "article", "story", "diff", "search"])
def test_page_is_screenshotted_and_has_no_accessibility_violations(
    demo: ServedSite, tab: Tab, name: str, scheme: str
) -> None:
    """axe-core on each page in the light and the dark colour scheme (contrast differs)."""
    page = tab.page
    page.emulate_media(color_scheme=scheme)
    page.goto(_pages(demo)[name])
    if name == "search":
        wait_for_results(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if scheme == "light" else "-dark"
    page.screenshot(path=str(SCREENSHOTS / f"{name}{suffix}.png"), full_page=True)
    assert tab.problems() == []
    assert page.evaluate(f"() => matchMedia('(prefers-color-scheme: {scheme})').matches")

    axe = axe_script()
    if axe is None:
        message = "axe-core not found: npm install --prefix /tmp/axe axe-core@4 (or AXE_CORE_JS)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    page.add_script_tag(path=str(axe))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    violations = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [
                {"target": n["target"], "html": n["html"][:200], "why": n["failureSummary"]}
                for n in v["nodes"][:5]
            ],
        }
        for v in result["violations"]
    ]
    assert violations == [], json.dumps(violations, indent=1, ensure_ascii=False)


def test_a_hit_on_a_version_says_it_is_one_of_three_and_links_the_story(
    demo: ServedSite, tab: Tab
) -> None:
    page = tab.page
    syndicated = "Port Selwyn flood: timber debris blamed as estuary barrier fails"
    assert syndicated in search(page, demo, "Carrigdoo")  # the Courier's spelling
    hit = page.locator(".pagefind-ui__result", has_text=syndicated)
    note = hit.locator(".search-note")
    assert "One of 3 versions" in note.inner_text()
    assert note.locator("a").get_attribute("href") == demo.catalog()["stories"][0]["url"]
    assert "Story_url" not in hit.inner_text()
    assert tab.problems() == []


def test_results_can_be_ordered_by_date(demo: ServedSite, tab: Tab) -> None:
    page = tab.page
    dates = {a["title"]: a["date_published"] or "" for a in demo.catalog()["articles"]}
    page.goto(demo.url("search/?q=barrier&sort=desc"))
    wait_for_results(page)
    newest_first = [dates[t] for t in result_titles(page)]
    assert newest_first == sorted(newest_first, reverse=True) and len(newest_first) > 3
    page.select_option("#search-sort", "asc")
    page.wait_for_url(demo.url("search/?q=barrier&sort=asc"))
    wait_for_results(page)
    oldest_first = [dates[t] for t in result_titles(page)]
    assert oldest_first == sorted(oldest_first)
    assert tab.problems() == []


PAGEFIND_SEARCH = """async ([base, word]) => {
    const pagefind = await import(base + 'static/search/pagefind.js');  // every shard
    const search = await pagefind.search(word);
    const texts = [];
    for (const result of search.results) texts.push((await result.data()).content);
    return texts;
}"""
"""The indexed text of every page a word finds (Pagefind also finds near words: "tops" for
"topics", "at" for "atom")."""


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]{4,}", text)}


def test_a_word_only_in_the_navigation_or_footer_finds_nothing(demo: ServedSite, tab: Tab) -> None:
    """Pagefind indexes article bodies and titles only: words of the masthead, the menu and the
    footer that no article uses are on every page, yet no page is found by them, and the
    indexed text of the pages that near words find holds none of them."""
    home = (demo.built.out / "index.html").read_text(encoding="utf-8")
    parts = re.findall(r"<(?:header|footer)\b.*?</(?:header|footer)>", home, re.S)
    chrome = _words(re.sub(r"<[^>]*>", " ", " ".join(parts)))  # their text, not their tags
    sources = (demo.built.root / "content").rglob("*")
    content = " ".join(p.read_text(encoding="utf-8") for p in sources if p.is_file())
    only_chrome = sorted(chrome - _words(content))
    assert {"broadsheet", "catalog", "topics", "atom"} <= set(only_chrome), only_chrome
    page = tab.page
    page.goto(demo.url(""))
    assert len(page.evaluate(PAGEFIND_SEARCH, [demo.base, "hairbrush"])) == 1  # a body's word
    for word in only_chrome:
        for text in page.evaluate(PAGEFIND_SEARCH, [demo.base, word]):
            assert word not in _words(text), (word, text[:300])
            assert "Built with Broadsheet" not in text
    assert tab.problems() == []
