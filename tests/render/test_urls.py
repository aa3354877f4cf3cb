import datetime as dt
from pathlib import Path

import pytest

from generator.config import parse_config
from generator.render.urls import assign_urls, href, output_file, safe_path
from tests.factories import make_article


def test_permalink_uses_the_date_in_the_site_timezone(tmp_path: Path) -> None:
    config = parse_config({"title": "T", "timezone": "Asia/Tokyo"}, tmp_path)
    late_utc = dt.datetime(2025, 3, 31, 20, 0, tzinfo=dt.UTC)  # already 1 April in Tokyo
    urls, _ = assign_urls([make_article("a", "Late news", date=late_utc)], config)
    assert urls.by_id["a"] == "/2025/04/late-news/"


def test_undated_articles_get_an_undated_url(tmp_path: Path) -> None:
    config = parse_config({"title": "T"}, tmp_path)
    urls, _ = assign_urls([make_article("a", "No date", date=None)], config)
    assert urls.by_id["a"] == "/undated/no-date/"


def test_two_files_claiming_one_url_are_both_kept_and_reported(tmp_path: Path) -> None:
    config = parse_config({"title": "T"}, tmp_path)
    first = make_article("a", "Same headline", source_path="a.md")
    second = make_article("b", "Same headline", source_path="b.md")
    urls, problems = assign_urls([second, first], config)
    assert urls.by_id["a"] == "/2025/03/same-headline/"
    assert urls.by_id["b"] == "/2025/03/same-headline-2/"
    assert len(problems) == 1
    assert "content/b.md" in str(problems[0]) and "content/a.md" in str(problems[0])


def test_links_carry_the_base_path(tmp_path: Path) -> None:
    config = parse_config({"title": "T", "base_url": "/archive/"}, tmp_path)
    assert href(config, "/2025/03/x/") == "/archive/2025/03/x/"
    assert href(config, "/") == "/archive/"


@pytest.mark.parametrize("path", ["/../etc/", "/a/../../b/", "/a\\..\\b/"])
def test_paths_that_leave_the_site_are_refused(path: str) -> None:
    with pytest.raises(ValueError, match="leave the output folder"):
        safe_path(path)


def test_output_files_for_site_paths() -> None:
    assert output_file("/") == "index.html"
    assert output_file("/2025/03/x/") == "2025/03/x/index.html"
    assert output_file("/feed.xml") == "feed.xml"


def test_pagination_links_a_window_not_every_page() -> None:
    from generator.render.site import page_window

    assert page_window(1, 1) == []
    assert page_window(1, 3) == [1, 2, 3]
    assert page_window(50, 556) == [1, 0, 48, 49, 50, 51, 52, 0, 556]
    assert page_window(556, 556) == [1, 0, 554, 555, 556]


@pytest.mark.parametrize("slug", ["pagefind", "pagefind/guide"])
def test_no_article_is_published_inside_the_search_bundle(tmp_path: Path, slug: str) -> None:
    """The search step owns pagefind/: a page there would be lost, or break the build."""
    config = parse_config({"title": "T", "permalink": "/{slug}/"}, tmp_path)
    article = make_article("a", "Guide", slug=slug, source_path="guide.md")
    urls, problems = assign_urls([article], config)
    assert not urls.by_id["a"].startswith("/pagefind/")
    assert "search bundle" in str(problems[0]) and "content/guide.md" in str(problems[0])
