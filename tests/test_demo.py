"""The repository's own demo archive (site.toml + content/) shows every feature."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.helpers import REPO, BuiltSite, build_site, json_ld

ORIGINAL = "gazette/2025-03-18-barrier-gates-jam"
UPDATE = "gazette/2025-03-18-barrier-debris-found"
SYNDICATED = "clippings/courier-2025-03-19-port-selwyn-timber-debris"
BARRIER_CLUSTER = {
    "gazette/2024-11-26-storm-bronwen-quay",
    "wire/2025-01-14-halima-osei-profile",
    "gazette/2025-02-20-barrier-funding-row",
    "courier/2025-03-25-councils-back-barrier-repairs",
    ORIGINAL,
}
THEATRE_CLUSTER = {
    "courier/2024-09-14-tidemark-theatre-reopens",
    "clippings/wire-2024-10-21-estuary-fringe-record",
    "gazette/2025-05-02-salt-wife-village-tour",
}
LONERS = [
    "courier/2024-06-10-hartwell-chess-congress",
    "wire/2024-08-22-heather-honey-harvest",
    "clippings/gazette-2025-06-13-dunlin-cross-bakery",
    "clippings/courier-undated-library-of-things",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    root = tmp_path_factory.mktemp("demo")
    shutil.copy(REPO / "site.toml", root / "site.toml")
    shutil.copytree(REPO / "content", root / "content")
    return build_site(root, search=True, base_url="/archive/")


def story(demo: BuiltSite) -> dict:
    stories = demo.catalog()["stories"]
    assert len(stories) == 1
    return stories[0]


def test_demo_has_what_the_readme_promises(demo: BuiltSite) -> None:
    articles = demo.catalog()["articles"]
    assert len(articles) >= 12
    assert len({a["publication"] for a in articles}) >= 3
    assert len({name for a in articles for name in a["authors"]}) >= 6
    assert {a["date_published"][:4] for a in articles if a["date_published"]} >= {"2024", "2025"}
    assert {a["format"] for a in articles} >= {"markdown", "clipping"}
    assert demo.report.errors == [] and demo.report.warnings == []


def test_the_three_versions_are_one_story_with_their_kinds(demo: BuiltSite) -> None:
    versions = [(v["id"], v["kind"], v["based_on"]) for v in story(demo)["versions"]]
    assert versions == [
        (ORIGINAL, "original", None),
        (UPDATE, "update", ORIGINAL),
        (SYNDICATED, "syndicated", UPDATE),
    ]
    assert story(demo)["main"] == ORIGINAL
    for id in (ORIGINAL, UPDATE, SYNDICATED):
        assert demo.article(id)["story"] == story(demo)["id"]


def test_each_version_says_which_of_the_three_it_is(demo: BuiltSite) -> None:
    for position, id in enumerate((ORIGINAL, UPDATE, SYNDICATED), start=1):
        html = demo.article_page(id)
        assert f"{position} of 3 versions" in html
        assert "Compare all versions" in html


def test_links_to_versions_carry_robust_link_attributes(demo: BuiltSite) -> None:
    html = demo.article_page(ORIGINAL)
    assert re.search(
        r'data-versionurl="/archive/2025/03/divers-find[^"]+" data-versiondate="2025-03-18T19:40',
        html,
    )


def test_story_page_lists_every_version_and_the_diffs(demo: BuiltSite) -> None:
    path = story(demo)["url"][len("/archive") :]
    html = demo.page(path)
    assert "This story exists in 3 versions" in html
    for label in ("Original", "Update", "Syndicated copy"):
        assert f"<td>{label}</td>" in html
    assert "Northfield Courier" in html and "The Harbour Gazette" in html
    assert "Version 1 → version 2" in html and "Version 2 → version 3" in html
    assert "paragraphs added" in html
    assert 'rel="timemap"' in html


def test_diff_page_shows_what_the_update_added_and_the_copy_changed(demo: BuiltSite) -> None:
    base = story(demo)["url"][len("/archive") :]
    update = demo.page(base + "diff/1-2/")
    assert "headline changed" in update
    assert '<div class="diff-para diff-para--added">' in update
    assert "Divers working for the authority" in update
    syndicated = demo.page(base + "diff/2-3/")
    assert "<del>Carrig Dhu</del><ins>Carrigdoo</ins>" in syndicated.replace("\n", "")
    assert '<div class="diff-para diff-para--removed">' in syndicated


def test_timemaps_in_link_format_and_json(demo: BuiltSite) -> None:
    base = story(demo)["url"][len("/archive") :]
    link_format = demo.page(base + "timemap.link")
    assert 'rel="original"' in link_format
    assert link_format.count("memento") == 3 and 'rel="first memento"' in link_format
    assert 'datetime="Tue, 18 Mar 2025 07:10:00 GMT"' in link_format
    timemap = json.loads(demo.page(base + "timemap.json"))
    assert len(timemap["mementos"]["list"]) == 3


def test_json_ld_of_derived_versions_points_to_their_source(demo: BuiltSite) -> None:
    assert "isBasedOn" not in json_ld(demo.article_page(ORIGINAL))
    assert json_ld(demo.article_page(UPDATE))["isBasedOn"] == demo.article(ORIGINAL)["url"]
    assert json_ld(demo.article_page(SYNDICATED))["isBasedOn"] == demo.article(UPDATE)["url"]


def test_related_stories_stay_on_their_subject(demo: BuiltSite) -> None:
    for id in BARRIER_CLUSTER - {ORIGINAL}:
        related = set(demo.article(id)["related"])
        assert related and related <= BARRIER_CLUSTER, id
    for id in THEATRE_CLUSTER:
        related = set(demo.article(id)["related"])
        assert related and related <= THEATRE_CLUSTER, id


def test_related_never_links_an_articles_own_versions(demo: BuiltSite) -> None:
    for id in (ORIGINAL, UPDATE, SYNDICATED):
        assert not {UPDATE, SYNDICATED} & set(demo.article(id)["related"])


def test_articles_with_nothing_related_show_nothing(demo: BuiltSite) -> None:
    for id in LONERS:
        assert demo.article(id)["related"] == []
        assert "Related stories" not in demo.article_page(id)


def test_the_undated_clipping_gets_no_invented_date(demo: BuiltSite) -> None:
    entry = demo.article("clippings/courier-undated-library-of-things")
    assert entry["date_published"] is None
    assert "/undated/" in entry["url"]
    assert "datePublished" not in json_ld(demo.article_page(entry["id"]))


def test_the_draft_is_not_published(demo: BuiltSite) -> None:
    assert demo.report.drafts == 1
    assert not any("draft" in a["id"] for a in demo.catalog()["articles"])


def test_raw_html_in_the_profile_survives_sanitising(demo: BuiltSite) -> None:
    html = demo.article_page("wire/2025-01-14-halima-osei-profile")
    assert '<abbr title="Estuary Flood Authority">EFA</abbr>' in html
    assert "<figure" in html


def test_search_index_covers_every_article(demo: BuiltSite) -> None:
    assert demo.report.searchable == len(demo.catalog()["articles"])


def test_demo_output_has_no_build_machine_path(demo: BuiltSite) -> None:
    for path in Path(demo.out).rglob("*"):
        if path.is_file() and path.suffix in {".html", ".json", ".xml", ".txt", ".link"}:
            assert str(demo.root) not in path.read_text(encoding="utf-8"), path
