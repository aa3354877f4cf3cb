"""serve's quick update: an edited article's pages rewritten in the live site at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.config import load_config
from generator.pipeline import build
from generator.preview import edited_articles, quick_update
from generator.render.site import SiteData
from tests.helpers import REPO

UPDATE = REPO / "content" / "gazette" / "2025-03-18-barrier-debris-found.md"
SENTENCE = "Marnie Coyle, who runs the Anchor Café on Harbour Row"


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Path, SiteData]:
    root = tmp_path / "demo"
    root.mkdir()
    shutil.copy(REPO / "site.toml", root / "site.toml")
    shutil.copytree(REPO / "content", root / "content")
    config = load_config(root / "site.toml")
    report = build(config, search=False, keep_site=True)
    assert report.site is not None
    return root, report.site


def _edit(root: Path, old: str, new: str) -> Path:
    path = root / "content" / UPDATE.relative_to(REPO / "content")
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_an_edited_version_rewrites_its_page_and_its_storys_pages_only(
    demo: tuple[Path, SiteData],
) -> None:
    root, site = demo
    public = root / "public"
    before = {path: (public / path).stat().st_ino for path in _files(public)}
    edited = _edit(root, SENTENCE, "Marnie Coyle, who keeps the Anchor Café on Harbour Row")
    done = quick_update(site, [edited])
    assert done is not None
    _, written = done
    url = next(a for a in site.archive.articles if a.source_path.endswith(edited.name))
    page = site.urls.by_id[url.id].strip("/") + "/index.html"
    assert page in written
    assert "who keeps the Anchor Café" in (public / page).read_text(encoding="utf-8")
    story_pages = [p for p in written if p.startswith("stories/")]
    assert any("/diff/" in p for p in story_pages), written  # its diffs show the new text
    assert any(p.endswith("timemap.json") for p in story_pages), written
    diffs = "".join((public / p).read_text(encoding="utf-8") for p in story_pages if "/diff/" in p)
    assert "<ins>keeps </ins>" in diffs  # the word the edit brought in, marked as inserted
    after = {path: (public / path).stat().st_ino for path in _files(public)}
    untouched = [p for p in before if p not in written]
    assert all(before[p] == after[p] for p in untouched)  # nothing else was touched
    assert not [p for p in after if ".preview-" in p]  # no temporary file left behind


def test_the_full_rebuild_after_a_quick_update_equals_a_fresh_build(
    demo: tuple[Path, SiteData], tmp_path: Path
) -> None:
    root, site = demo
    edited = _edit(root, SENTENCE, "Marnie Coyle, who keeps the Anchor Café on Harbour Row")
    assert quick_update(site, [edited]) is not None
    build(load_config(root / "site.toml"), search=False)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copy(root / "site.toml", fresh / "site.toml")
    shutil.copytree(root / "content", fresh / "content")
    build(load_config(fresh / "site.toml"), search=False, use_cache=False)
    assert _files(root / "public") == _files(fresh / "public")


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        ('authors = ["Zoë Brennan", "Tomasz Okafor"]', 'authors = ["Zoë Brennan"]', "its byline"),
        (
            'title = "Divers find timber jammed',
            'slug = "a-new-address"\ntitle = "Divers find timber jammed',
            "its URL",
        ),
        ('tags = ["flood barrier",', 'tags = ["flood defences",', "its topics"),
    ],
)
def test_an_edit_that_moves_the_article_waits_for_the_full_rebuild(
    demo: tuple[Path, SiteData], old: str, new: str, why: str
) -> None:
    root, site = demo
    edited = _edit(root, old, new)
    assert edited_articles(site, [edited]) is None, f"a change of {why} needs the full rebuild"


def test_new_deleted_and_non_content_files_wait_for_the_full_rebuild(
    demo: tuple[Path, SiteData],
) -> None:
    root, site = demo
    new = root / "content" / "gazette" / "2025-07-01-new.md"
    new.write_text('+++\ntitle = "New"\ndate = 2025-07-01\n+++\nText.\n', encoding="utf-8")
    assert edited_articles(site, [new]) is None
    gone = root / "content" / "wire" / "2024-08-22-heather-honey-harvest.md"
    gone.unlink()
    assert edited_articles(site, [gone]) is None
    assert edited_articles(site, [root / "site.toml"]) is None
