"""The small sample site in tests/sites/basic, built end to end."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest

from generator.check import broken_links
from tests.helpers import BuiltSite, build_site, copy_site, json_ld


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    return build_site(copy_site("basic", tmp_path_factory.mktemp("basic")), search=True)


def test_every_readable_article_is_published(site: BuiltSite) -> None:
    ids = [a["id"] for a in site.catalog()["articles"]]
    assert ids == ["clips/ferry", "news/harbour-fees", "news/lighthouse"]


def test_a_broken_file_is_reported_with_its_path_and_the_rest_builds(site: BuiltSite) -> None:
    problems = [p for p in site.report.problems if p.path == "content/news/broken.md"]
    assert problems and problems[0].severity == "error"
    assert site.report.articles == 3


def test_drafts_are_not_published(site: BuiltSite) -> None:
    assert site.report.drafts == 1
    assert "unfinished draft" not in (site.out / "index.html").read_text()
    assert not any("draft" in a["id"] for a in site.catalog()["articles"])


def test_article_page_shows_its_metadata(site: BuiltSite) -> None:
    html = site.article_page("news/lighthouse")
    for text in (
        "Lighthouse keeper retires after forty years on Gull Rock",
        "Morwenna Trask climbed the 112 steps for the last time on Friday.",
        "Aled Pryce",
        "Nia Castell",
        "The Coastal Post",
        "People",
        '<time datetime="2024-05-03"',
        "3 May 2024",
        "min read",
        'href="https://example.org/coastal-post/lighthouse"',
        'href="/archive/tags/lighthouses/"',
        '<link rel="canonical" href="https://example.org/archive/2024/05/',
        '<meta property="og:type" content="article">',
    ):
        assert text in html, text


def test_article_json_ld_is_a_news_article(site: BuiltSite) -> None:
    data = json_ld(site.article_page("news/lighthouse"))
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Lighthouse keeper retires after forty years on Gull Rock"
    assert data["datePublished"] == "2024-05-03"
    assert [a["name"] for a in data["author"]] == ["Aled Pryce", "Nia Castell"]
    assert data["publisher"]["name"] == "The Coastal Post"
    assert data["url"].startswith("https://example.org/archive/")


def test_raw_html_in_content_is_sanitised(site: BuiltSite) -> None:
    html = site.article_page("news/harbour-fees")
    body = html.split('<div class="article__body">')[1].split("</div>")[0]
    assert "<script" not in body
    assert "javascript:" not in body
    assert "onclick" not in body
    assert "Read the minutes" in body


def test_clipping_becomes_a_clean_article(site: BuiltSite) -> None:
    entry = site.article("clips/ferry")
    assert entry["title"] == "Night ferry to the islands returns after two-year pause"
    assert entry["authors"] == ["Owen Rees", "Carys Bell"]
    assert entry["publication"] == "The Island Courier"
    assert entry["section"] == "Transport"
    assert entry["date_published"] == "2024-07-02"
    html = site.article_page("clips/ferry")
    assert "SIGN UP" not in html
    assert "Puzzles" not in html.split('<div class="article__body">')[1]


def test_home_page_is_paginated_newest_first(site: BuiltSite) -> None:
    first = site.page("/")
    assert first.index("Night ferry") < first.index("Harbour fees rise")
    assert "Lighthouse keeper" not in first
    assert 'href="/archive/page/2/"' in first
    assert "Lighthouse keeper" in site.page("/page/2/")


def test_archives_by_date_author_publication_and_tag(site: BuiltSite) -> None:
    assert "Lighthouse keeper" in site.page("/archive/2024/05/")
    assert "Lighthouse keeper" in site.page("/archive/2024/page/2/")  # per_page = 2
    assert "Harbour fees rise" in site.page("/authors/nia-castell/")
    assert "Night ferry" in site.page("/publications/the-island-courier/")
    assert "Harbour fees rise" in site.page("/tags/harbour/")
    assert "Nia Castell" in site.page("/authors/")


def test_atom_feed_parses_with_a_real_feed_parser(site: BuiltSite) -> None:
    feed = feedparser.parse(site.page("feed.xml"))
    assert not feed.bozo, feed.get("bozo_exception")
    titles = [e.title for e in feed.entries]
    assert titles[0] == "Night ferry to the islands returns after two-year pause"
    assert feed.entries[0].link.startswith("https://example.org/archive/2024/07/")
    assert [a.name for a in feed.entries[-1].authors] == ["Aled Pryce", "Nia Castell"]


def test_sitemap_and_robots(site: BuiltSite) -> None:
    tree = ET.fromstring(site.page("sitemap.xml"))
    locs = [e.text for e in tree.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "https://example.org/archive/" in locs
    assert len([loc for loc in locs if loc and "/2024/" in loc]) == 3
    assert "Sitemap: https://example.org/archive/sitemap.xml" in site.page("robots.txt")


def test_catalog_lists_every_documented_field(site: BuiltSite) -> None:
    entry = site.article("news/harbour-fees")
    assert (
        entry["url"] == "https://example.org/archive/2024/06/harbour-fees-rise-for-visiting-yachts/"
    )
    assert entry["date_published"] == "2024-06-11T08:15:00+01:00"
    assert entry["authors"] == ["Nia Castell"]
    assert entry["source_path"] == "news/harbour-fees.md"
    assert entry["word_count"] > 30
    for key in ("id", "title", "dek", "publication", "section", "tags", "story", "related"):
        assert key in entry


def test_no_internal_link_is_broken_under_a_sub_path(site: BuiltSite) -> None:
    broken = [b for b in broken_links(site.out, site.config.base_url)]
    assert [b for b in broken if "/pagefind/" not in b.target] == []  # built without search


def test_no_local_path_of_the_build_machine_appears_in_the_site(site: BuiltSite) -> None:
    local = str(site.root)
    for path in site.out.rglob("*"):
        if path.is_file():
            assert local.encode() not in path.read_bytes(), path


def test_same_input_gives_byte_identical_output(tmp_path: Path) -> None:
    first = build_site(copy_site("basic", tmp_path / "one"), search=True)
    second = build_site(copy_site("basic", tmp_path / "two"), search=True)
    files_one = sorted(p.relative_to(first.out) for p in first.out.rglob("*") if p.is_file())
    files_two = sorted(p.relative_to(second.out) for p in second.out.rglob("*") if p.is_file())
    assert files_one == files_two
    for relative in files_one:
        assert (first.out / relative).read_bytes() == (second.out / relative).read_bytes(), relative


def test_tags_that_make_one_url_get_a_page_each_and_a_warning(tmp_path: Path) -> None:
    root = copy_site("basic", tmp_path)
    for name, tag, day in (("cplusplus", "C++", 2), ("c", "C", 1)):
        (root / "content" / f"{name}.md").write_text(
            f'+++\ntitle = "Notes on {tag}"\ndate = 2024-03-0{day}\n'
            f'tags = ["{tag}"]\n+++\nA language.\n'
        )
    site = build_site(root)
    assert "<h1>Articles on C</h1>" in site.page("/tags/c/")
    assert "Notes on C<" in site.page("/tags/c/") and "Notes on C++" not in site.page("/tags/c/")
    assert "<h1>Articles on C++</h1>" in site.page("/tags/c-2/")
    assert "Notes on C++" in site.page("/tags/c-2/")
    assert "/tags/c-2/" in site.article_page("cplusplus")
    warnings = [str(p) for p in site.report.warnings if "same URL" in p.message]
    assert warnings == [
        "content/cplusplus.md: warning: tag 'C++' makes the same URL as tag 'C' (/tags/c/); its "
        "page is /tags/c-2/ instead (if they are one tag, write the name the same way everywhere)"
    ]
    again = build_site(root)  # unchanged: skipped, and reports the same warning
    assert [str(p) for p in again.report.warnings if "same URL" in p.message] == warnings
    broken = [b for b in broken_links(site.out, site.config.base_url)]
    assert [b for b in broken if "/pagefind/" not in b.target] == []  # built without search
