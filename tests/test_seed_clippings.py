"""The canonical input: two real clippings of one story, from ../shared/samples/clippings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import CLIPPINGS, BuiltSite, build_site, json_ld, shared_or_skip

ORIGINAL = "clippings/000-2ccac61eb28147a9"
SYNDICATED = "clippings/001-ddbf33e7e5bbaf55"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    source = shared_or_skip(CLIPPINGS)
    root = tmp_path_factory.mktemp("seed")
    (root / "site.toml").write_text('title = "Seed clippings"\nbase_url = "/seed/"\n')
    shutil.copytree(source, root / "content" / "clippings")
    for path in (root / "content").rglob("*"):
        path.chmod(0o644 if path.is_file() else 0o755)
    return build_site(root, search=True)


def test_both_clippings_build_without_errors(site: BuiltSite) -> None:
    assert site.report.articles == 2
    assert site.report.errors == []


def test_original_clipping_fields(site: BuiltSite) -> None:
    entry = site.article(ORIGINAL)
    assert (
        entry["title"] == "Trump, Putin agree to broader talks – but limited ceasefire in Ukraine"
    )
    assert entry["dek"].startswith("Trump's long call with Putin was an extraordinary olive branch")
    assert entry["authors"] == ["Michael Birnbaum", "Mary Ilyushina", "Cat Zakrzewski"]
    assert entry["publication"] == "Washington Post"
    assert entry["section"] == ""
    assert entry["date_published"] is None  # never invented
    assert entry["word_count"] > 1000
    assert entry["source_path"] == "clippings/000_2ccac61eb28147a9.txt"


def test_syndicated_clipping_fields(site: BuiltSite) -> None:
    entry = site.article(SYNDICATED)
    assert (
        entry["title"]
        == "Trump, Putin agree to partial ceasefire in Ukraine, but plan needs Kiev sign off"
    )
    assert entry["authors"] == ["Michael Birnbaum", "Cat Zakrzewski", "Mary Ilyushina"]
    assert entry["publication"] == "The Washington Post"
    assert entry["section"] == "World Review"
    assert entry["date_published"] == "2025-03-19"
    assert entry["dek"] == ""


def body_of(html: str) -> str:
    return html.split('<div class="article__body">', 1)[1].split("</div>", 1)[0]


def test_syndicated_page_has_the_clutter_removed(site: BuiltSite) -> None:
    body = body_of(site.article_page(SYNDICATED))
    assert body.count("<p>") >= 20
    assert "SIGN UP" not in body
    assert "<p>Columnists</p>" not in body and "<p>Toons</p>" not in body
    assert "<p>Trump, Putin agree to partial ceasefire" not in body  # the repeated headline
    assert body.split("<p>", 2)[1].startswith("Russian President Vladimir Putin agreed Tuesday")
    assert "On Tuesday, the Russian ruble strengthened" in body


def test_article_pages_carry_the_metadata_and_json_ld(site: BuiltSite) -> None:
    html = site.article_page(SYNDICATED)
    assert "World Review" in html and "19 March 2025" in html
    data = json_ld(html)
    assert data["@type"] == "NewsArticle"
    assert data["datePublished"] == "2025-03-19"
    assert data["publisher"]["name"] == "The Washington Post"
    assert [a["name"] for a in data["author"]] == [
        "Michael Birnbaum",
        "Cat Zakrzewski",
        "Mary Ilyushina",
    ]
    original = json_ld(site.article_page(ORIGINAL))
    assert "datePublished" not in original


def test_the_two_clippings_are_one_story_in_two_versions(site: BuiltSite) -> None:
    catalog = site.catalog()
    assert len(catalog["stories"]) == 1
    story = catalog["stories"][0]
    assert sorted(v["id"] for v in story["versions"]) == [ORIGINAL, SYNDICATED]
    assert site.article(ORIGINAL)["story"] == site.article(SYNDICATED)["story"] == story["id"]


def test_search_index_holds_both_articles(site: BuiltSite) -> None:
    assert site.report.searchable >= 2
    assert (site.out / "pagefind" / "pagefind-entry.json").is_file()
    assert list((site.out / "pagefind" / "fragment").glob("*.pf_fragment"))


def test_nothing_of_the_shared_folder_path_leaks(site: BuiltSite) -> None:
    for path in Path(site.out).rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert str(site.root) not in text and "/shared/" not in text
