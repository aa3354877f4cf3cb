"""The content-hash cache never makes a build wrong."""

from __future__ import annotations

import importlib
import logging
import os
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from generator import manifest, read_snapshot
from generator.cache import CACHE_DIR, Cache
from tests.browser.harness import copy_demo
from tests.helpers import (
    BuiltSite,
    articles_passed_to,
    build_site,
    copy_site,
    differences,
    generate_archive,
    json_ld,
    snapshot,
)


@pytest.fixture
def site_root(tmp_path: Path) -> Path:
    return copy_site("basic", tmp_path)


def test_a_second_build_reads_every_file_from_the_cache(site_root: Path) -> None:
    first = build_site(site_root)
    shutil.rmtree(site_root / "public")  # the site must be made again from unchanged files
    second = build_site(site_root)
    assert first.report.cache_hits == 0
    assert (second.report.cache_hits, second.report.cache_misses) == (5, 0)  # all five files
    third = build_site(site_root)
    assert third.report.written == 0  # nothing changed, nothing rewritten


def test_an_edited_file_is_read_again(site_root: Path) -> None:
    build_site(site_root)
    article = site_root / "content" / "news" / "lighthouse.md"
    article.write_text(article.read_text().replace("forty years", "forty-one years"))
    site = build_site(site_root)
    assert site.report.cache_misses == 1
    assert "forty-one years" in site.article_page("news/lighthouse")


def test_a_changed_setting_is_not_served_from_the_cache(site_root: Path) -> None:
    build_site(site_root)
    config = site_root / "site.toml"
    config.write_text(config.read_text() + 'timezone = "Asia/Tokyo"\n')
    site = build_site(site_root)
    assert site.report.cache_hits == 0


@pytest.mark.parametrize(
    "setting", ['permalink = "/{publication}/{slug}/"', 'timezone = "Pacific/Kiritimati"']
)
def test_permalinks_follow_a_new_pattern_or_time_zone(site_root: Path, setting: str) -> None:
    """The permalinks the last build worked out stand only for the same settings: a late
    evening article moves to the next month's folder in a zone 14 hours ahead."""
    late = site_root / "content" / "news" / "harbour-fees.md"
    late.write_text(late.read_text().replace("2024-06-11T08:15:00+01:00", "2024-06-30T20:00:00Z"))
    before = {a["id"]: a["url"] for a in build_site(site_root).catalog()["articles"]}
    config = site_root / "site.toml"
    config.write_text(f"{setting}\n{config.read_text()}")
    after = {a["id"]: a["url"] for a in build_site(site_root).catalog()["articles"]}
    fresh = copy_site("basic", site_root.parent / "fresh")
    shutil.copy(config, fresh / "site.toml")
    shutil.copy(late, fresh / "content" / "news" / "harbour-fees.md")
    assert after == {a["id"]: a["url"] for a in build_site(fresh).catalog()["articles"]}
    assert after != before


@pytest.mark.parametrize("damage", [b"", b"garbage" * 100, b"SQLite format 3\x00" + b"\xff" * 5000])
def test_a_broken_cache_file_is_detected_and_rebuilt(site_root: Path, damage: bytes) -> None:
    good = build_site(site_root)
    expected = good.article_page("news/lighthouse")
    (site_root / CACHE_DIR / "cache.sqlite3").write_bytes(damage)
    for suffix in ("-wal", "-shm"):
        (site_root / CACHE_DIR / f"cache.sqlite3{suffix}").unlink(missing_ok=True)
    site = build_site(site_root)
    assert site.article_page("news/lighthouse") == expected
    assert site.report.cache_hits == 0


def test_the_cache_file_is_checked_when_it_is_not_as_the_last_build_left_it(
    site_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's check of the whole file (0.08 s at 11,000 articles) runs when anything but a
    build has touched the file since, or a build was stopped before it closed it."""
    checked: list[bool] = []
    connect = Cache._connect

    def noted(self: Cache, check: bool = False) -> sqlite3.Connection:
        checked.append(check)
        return connect(self, check)

    monkeypatch.setattr(Cache, "_connect", noted)
    build_site(site_root)
    article = site_root / "content" / "news" / "lighthouse.md"
    article.write_text(article.read_text() + "\nOne more line.\n")
    build_site(site_root)
    assert checked == [True, False]  # a new file, then the file as that build left it
    database = site_root / CACHE_DIR / "cache.sqlite3"
    stat = database.stat()
    os.utime(database, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # touched
    build_site(site_root)
    (site_root / CACHE_DIR / "cache.sqlite3-wal").write_bytes(b"")  # a build stopped
    build_site(site_root)
    assert checked == [True, False, True, True]


def test_a_damaged_entry_is_a_miss_not_a_wrong_result(tmp_path: Path) -> None:
    cache = Cache(tmp_path / CACHE_DIR)
    cache.put_many([("k", {"value": 1})])
    cache.close()
    db = sqlite3.connect(tmp_path / CACHE_DIR / "cache.sqlite3")
    with db:
        db.execute("UPDATE entries SET value = ?", (b"\x80\x05truncated",))
    db.close()
    reopened = Cache(tmp_path / CACHE_DIR)
    assert reopened.get_many(["k"]) == {}
    reopened.close()


def test_the_cache_is_never_part_of_the_site(site_root: Path) -> None:
    site = build_site(site_root)
    assert (site_root / CACHE_DIR).is_dir()
    assert not any(CACHE_DIR in str(p) for p in site.out.rglob("*"))


def test_an_unchanged_archive_skips_the_build_and_reports_the_same(site_root: Path) -> None:
    first = build_site(site_root)
    second = build_site(site_root)
    assert "render" not in second.report.timings  # nothing to do: the output is this build's
    assert (second.report.articles, second.report.pages) == (
        first.report.articles,
        first.report.pages,
    )
    assert [str(p) for p in second.report.problems] == [str(p) for p in first.report.problems]


@pytest.mark.parametrize("tamper", ["delete", "edit", "add"])
def test_a_touched_output_folder_is_rebuilt(site_root: Path, tamper: str) -> None:
    first = build_site(site_root)
    page = first.out / "index.html"
    expected = page.read_bytes()
    if tamper == "delete":
        page.unlink()
    elif tamper == "edit":
        page.write_bytes(b"changed by hand")
    else:
        (first.out / "stray.html").write_text("not ours")
    second = build_site(site_root)
    assert "render" in second.report.timings
    assert page.read_bytes() == expected
    assert not (second.out / "stray.html").exists()


def test_a_changed_template_is_not_skipped(site_root: Path) -> None:
    build_site(site_root)
    (site_root / "templates").mkdir()
    (site_root / "templates" / "404.html").write_text(
        "{% extends 'base.html' %}{% block main %}Lost{% endblock %}"
    )
    site = build_site(site_root)
    assert "Lost" in (site.out / "404.html").read_text()


def test_a_changed_article_template_rerenders_every_article(site_root: Path) -> None:
    build_site(site_root)
    (site_root / "templates").mkdir()
    (site_root / "templates" / "article.html").write_text(
        "{% extends 'base.html' %}"
        "{% block main %}<h1>{{ article.title }}</h1>Reprinted{% endblock %}"
    )
    site = build_site(site_root)
    assert "Reprinted" in site.article_page("news/lighthouse")
    assert "Reprinted" in site.article_page("clips/ferry")


def test_an_edit_rewrites_only_the_pages_that_show_it(site_root: Path) -> None:
    build_site(site_root)
    article = site_root / "content" / "news" / "lighthouse.md"
    article.write_text(article.read_text().replace("small crowd", "large crowd"))
    site = build_site(site_root)
    assert "large crowd" in site.article_page("news/lighthouse")
    assert 1 <= site.report.written <= 4  # the article, the feed, the catalog, the sitemap at most


def test_the_sitemap_follows_an_article_s_new_update_date(site_root: Path) -> None:
    """The sitemap is made again only when what it lists changes: a date it shows does."""
    build_site(site_root)
    article = site_root / "content" / "news" / "lighthouse.md"
    article.write_text(
        article.read_text().replace("date = 2024-05-03", "date = 2024-05-03\nupdated = 2024-06-09")
    )
    site = build_site(site_root)
    assert "2024-06-09" in site.page("sitemap.xml")
    article.write_text(article.read_text().replace("updated = 2024-06-09\n", ""))
    assert "2024-06-09" not in build_site(site_root).page("sitemap.xml")


def test_a_list_page_whose_articles_stay_follows_a_new_page_count(
    site_root: Path, tmp_path: Path
) -> None:
    """An older article by an author of two (two to a page) leaves the first page of the
    author's list showing the same articles, but that page must now link a second one."""
    build_site(site_root)
    older = site_root / "content" / "news" / "older.md"
    older.write_text(
        "---\ntitle: Chess congress opens\nauthors: Nia Castell\ndate: 2023-02-01\n---\n"
        "Sixty players sat down to the first round of the county chess congress.\n"
    )
    site = build_site(site_root)
    first = (site.out / "authors" / "nia-castell" / "index.html").read_text()
    assert 'rel="next" href="/archive/authors/nia-castell/page/2/"' in first
    _same_as_from_nothing(site_root, tmp_path / "fresh")


def test_a_new_base_url_reaches_every_line_of_the_catalog(site_root: Path, tmp_path: Path) -> None:
    """The catalog's lines are kept between builds by what they show: the site's address is
    part of every one."""
    build_site(site_root)
    config = site_root / "site.toml"
    config.write_text(config.read_text().replace("example.org/archive/", "example.net/papers/"))
    site = build_site(site_root)
    urls = [article["url"] for article in site.catalog()["articles"]]
    assert urls and all(url.startswith("https://example.net/papers/") for url in urls)
    _same_as_from_nothing(site_root, tmp_path / "fresh")


def test_a_skipped_build_keeps_the_cache_for_the_next_edit(site_root: Path) -> None:
    build_site(site_root)
    build_site(site_root)  # unchanged: skipped
    article = site_root / "content" / "news" / "lighthouse.md"
    article.write_text(article.read_text().replace("small crowd", "large crowd"))
    site = build_site(site_root)
    assert (site.report.cache_hits, site.report.cache_misses) == (4, 1)


def _cache_keys(root: Path) -> set[str]:
    db = sqlite3.connect(root / CACHE_DIR / "cache.sqlite3")
    try:
        return {key for (key,) in db.execute("SELECT key FROM entries")}
    finally:
        db.close()


def test_stale_entries_stay_until_they_could_be_a_tenth_of_the_cache(tmp_path: Path) -> None:
    """Pruning costs a pass over every key; a few stale entries cost only space."""
    cache = Cache(tmp_path / CACHE_DIR)
    cache.put_many((f"k{i}", i) for i in range(100))
    cache.close()
    for used, kept in ((95, 100), (85, 85)):
        cache = Cache(tmp_path / CACHE_DIR)
        assert len(cache.get_many(f"k{i}" for i in range(used))) == used
        cache.prune()
        cache.close()
        assert len(_cache_keys(tmp_path)) == kept


def test_a_cache_that_pruned_most_of_itself_gives_the_space_back(tmp_path: Path) -> None:
    """SQLite keeps freed pages: after most entries went stale at once (a new Broadsheet), the
    file is rewritten at the size of what is left; a prune of a few leaves it as it is."""
    path = tmp_path / CACHE_DIR / "cache.sqlite3"
    cache = Cache(tmp_path / CACHE_DIR)
    cache.put_many((f"k{i}", os.urandom(20_000)) for i in range(1_500))  # 30 MB
    cache.close()
    full = path.stat().st_size

    def build_using(count: int) -> int:
        cache = Cache(tmp_path / CACHE_DIR)
        assert len(cache.get_many(f"k{i}" for i in range(count))) == count
        cache.prune()
        cache.close()
        assert len(_cache_keys(tmp_path)) == count
        return path.stat().st_size

    assert build_using(1_300) == full  # 13% pruned: its pages are reused by later entries
    assert build_using(300) < full // 4  # 77% pruned: given back
    assert not Path(f"{path}-wal").exists()


def test_a_cache_mostly_gone_stale_is_pruned_to_what_a_fresh_build_keeps(tmp_path: Path) -> None:
    root = generate_archive(tmp_path / "site", 40)
    build_site(root)
    for source in sorted((root / "content").rglob("*.md"))[:12]:
        source.write_text(source.read_text() + "\nOne more sentence.\n")
    build_site(root)
    kept = _cache_keys(root)
    shutil.rmtree(root / CACHE_DIR)
    build_site(root)  # from nothing (keys hold the site's folder: it must be the same)
    assert kept == _cache_keys(root)


def test_features_made_on_worker_processes_are_cached(
    site_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers store the features they compute; the next build computes none of them again."""
    from generator import sources
    from generator.analysis import features
    from generator.config import load_config

    build_module = importlib.import_module("generator.pipeline")

    monkeypatch.setattr(features, "_PARALLEL_ARTICLES", 1)
    monkeypatch.setattr(features, "_TASK", 2)
    config = load_config(site_root / "site.toml")
    build_module.build(config, search=False, jobs=2)
    found = sources.survey(config)
    articles, _ = sources.read(found, config)
    keys = sources.article_keys(found, articles)

    def no_computing(*args: object, **kwargs: object) -> None:
        raise AssertionError("features were computed again")

    monkeypatch.setattr(build_module, "compute_features_in_parallel", no_computing)
    cache = Cache(site_root / CACHE_DIR)
    cached = build_module.cached_features(articles, config, cache, jobs=2, article_keys=keys)
    assert sorted(cached) == sorted(a.id for a in articles if not a.draft)


GENERATED = 60
"""Articles in the generated site: enough for a cache with interior, leaf and overflow pages."""
PAGE_KINDS = {2: "index interior", 5: "table interior", 10: "index leaf", 13: "table leaf"}


@pytest.fixture(scope="module")
def cached_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """A generated site built once from nothing: its folder (cache included) and output."""
    root = generate_archive(tmp_path_factory.mktemp("damage") / "site", GENERATED)
    built = build_site(root)
    assert built.report.cache_misses == GENERATED
    return root, snapshot(built.out)


def _page_of_kind(database: bytes, kind: str, page_size: int = 4096) -> int:
    """The middle one of the database's pages of a kind (b-tree pages by their type byte;
    "overflow" is any other page: the middle of a stored value)."""
    pages = [
        number
        for number in range(1, len(database) // page_size)  # page 0 holds the file header
        if PAGE_KINDS.get(database[number * page_size], "overflow") == kind
    ]
    assert pages, f"no {kind} page in a cache of {len(database)} bytes"
    return pages[len(pages) // 2]


@pytest.mark.parametrize(
    ("where", "offset_in_page"),
    [
        ("index interior", 0),
        ("table interior", 0),
        ("index leaf", 0),
        ("index leaf", 1500),
        ("table leaf", 0),
        ("overflow", 100),
        ("middle of the file", 0),
    ],
)
def test_a_cache_damaged_inside_the_file_is_replaced_and_the_next_build_hits_it(
    cached_site: tuple[Path, dict[str, bytes]],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    where: str,
    offset_in_page: int,
) -> None:
    """Bytes flipped inside a real cache (past its header): the build says so once, starts a
    new cache and builds the same site; the build after it reads every file from the cache."""
    original, clean = cached_site
    root = tmp_path / "site"
    shutil.copytree(original, root)
    database = root / CACHE_DIR / "cache.sqlite3"
    data = bytearray(database.read_bytes())
    if where == "middle of the file":
        start = len(data) // 2 + offset_in_page
    else:
        start = _page_of_kind(bytes(data), where) * 4096 + offset_in_page
    data[start : start + 64] = bytes(b ^ 0xFF for b in data[start : start + 64])
    database.write_bytes(data)

    shutil.rmtree(root / "public")  # both builds below render every page
    with caplog.at_level(logging.WARNING, logger="generator.cache"):
        damaged = build_site(root)
    assert differences(snapshot(damaged.out), clean) == []
    warnings = [r.getMessage() for r in caplog.records if r.name == "generator.cache"]
    assert len(warnings) <= 1, warnings
    if damaged.report.cache_hits < GENERATED - 1:  # more than one value lost: SQLite said so
        assert len(warnings) == 1 and "is damaged" in warnings[0], warnings
        assert "started a new one" in warnings[0]

    shutil.rmtree(root / "public")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="generator.cache"):
        after = build_site(root)
    assert (after.report.cache_hits, after.report.cache_misses) == (GENERATED, 0)
    assert [r.getMessage() for r in caplog.records] == []
    assert differences(snapshot(after.out), clean) == []


def test_pages_of_unchanged_articles_follow_a_new_earlier_version(
    site_root: Path, tmp_path: Path
) -> None:
    """An article's page is keyed by its source and by what the archive says of it: a new
    earlier copy of it, in another file, makes it a later version (isBasedOn, the versions
    note) though its own file is untouched; the rebuild must equal a build from scratch."""
    build_site(site_root)
    lighthouse = site_root / "content" / "news" / "lighthouse.md"
    earlier = lighthouse.read_text(encoding="utf-8").replace("2024-05-03", "2024-05-02")
    (site_root / "content" / "news" / "lighthouse-first.md").write_text(
        earlier.replace("The Coastal Post", "The Gull Rock Gazette"), encoding="utf-8"
    )
    site = build_site(site_root)
    page = site.article_page("news/lighthouse")
    assert "isBasedOn" in json_ld(page)
    assert "2 versions" in page
    fresh = copy_site("basic", tmp_path / "fresh")
    shutil.copy(site_root / "content" / "news" / "lighthouse-first.md", fresh / "content" / "news")
    shutil.rmtree(fresh / CACHE_DIR, ignore_errors=True)
    build_site(fresh)
    assert differences(snapshot(site_root / "public"), snapshot(fresh / "public")) == []


def test_an_edit_scores_related_stories_again_only_where_it_can_change_them(
    site_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.analysis import related

    monkeypatch.setattr(related, "_UPDATE_SHARE", 1.0)  # the demo is too small to be worth it
    build_site(site_root)
    calls: list[int] = []
    compute = related._compute

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return compute(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(related, "_compute", counted)
    article = site_root / "content" / "news" / "lighthouse.md"
    article.write_text(article.read_text().replace('"Gull Rock"]', '"Gull Rock", "retirements"]'))
    site = build_site(site_root)
    assert "retirements" in site.article_page("news/lighthouse")
    assert calls == []  # a new topic changes no article's words: the related stories stand
    article.write_text(article.read_text().replace("small crowd", "large crowd"))
    build_site(site_root)
    assert calls == []  # new words: the last index updated, not made again
    assert (site_root / CACHE_DIR / "related.pickle").is_file()
    fresh = copy_site("basic", tmp_path / "fresh")
    shutil.copy(article, fresh / "content" / "news" / "lighthouse.md")
    build_site(fresh)
    assert differences(snapshot(site_root / "public"), snapshot(fresh / "public")) == []


def test_an_edit_makes_again_only_the_article_pages_that_show_the_edited_article(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An article page whose inputs (its article, its story's versions, its related articles,
    the site) are what the last build recorded is not made or even keyed again; every page
    that shows the edited article is, and the site equals a build from nothing."""
    building = importlib.import_module("generator.pipeline")
    root = generate_archive(tmp_path / "site", 60)
    catalog = _catalog(build_site(root))
    edited = next(i for i, a in catalog.items() if any(i in b["related"] for b in catalog.values()))
    source = root / "content" / catalog[edited]["source_path"]
    made = articles_passed_to(monkeypatch, building, "article_page")
    edits = [
        # a new date: no word changes, so the related links stand, but the lists show it
        lambda text: re.sub(r"date: \d{4}", "date: 1999", text, count=1),
        lambda text: text + "\nA last paragraph, added by an editor.\n",
        # shown on its own page only: no link, list or word changes
        lambda text: text.replace("\ntags:", "\nupdated: 2030-01-02\ntags:", 1),
    ]
    for number, edit in enumerate(edits):
        showing = {i for i, a in catalog.items() if edited in a["related"]} | {edited}
        assert len(showing) > 1 or number > 0
        made.clear()
        source.write_text(edit(source.read_text()))
        site = build_site(root)
        assert set(made) >= showing  # the edited article and every page listing it as related
        assert len(made) < len(catalog) / 2  # and not the archive
        _same_as_from_nothing(root, tmp_path / f"fresh-{number}")
        catalog = _catalog(site)
    assert "A last paragraph, added by an editor." in site.article_page(edited)
    assert "2030" in site.article_page(edited)


def test_an_edit_makes_again_the_pages_of_its_own_story_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A story's pages (versions table, diffs, TimeMaps) show only its versions: an edit of one
    makes its story's pages again, an edit elsewhere makes no story's, and the site equals a
    build from nothing either way (the catalog, sitemap and feed included)."""
    stories = importlib.import_module("generator.render.stories")
    root = copy_demo(tmp_path / "demo")
    catalog = _catalog(build_site(root))
    made: list[str] = []
    original = stories._made_story_pages

    def noted(data: Any, story: Any, inputs: str) -> Any:
        made.append(story.id)
        return original(data, story, inputs)

    monkeypatch.setattr(stories, "_made_story_pages", noted)
    versioned = next(a for a in catalog.values() if a["story"] and a["format"] == "markdown")
    alone = next(a for a in catalog.values() if not a["story"] and a["format"] == "markdown")
    for number, (article, story) in enumerate([(versioned, versioned["story"]), (alone, None)]):
        made.clear()
        source = root / "content" / article["source_path"]
        title = article["title"]
        source.write_text(source.read_text().replace(title, f"{title}, revised", 1))
        site = build_site(root)
        assert made == ([story] if story else [])
        _same_as_from_nothing(root, tmp_path / f"fresh-{number}")
    story_pages = (site.out / "stories").glob("*/index.html")
    assert any(f"{versioned['title']}, revised" in page.read_text() for page in story_pages)


def test_diffs_made_by_render_workers_are_cached_for_the_next_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The story pages' diffs are made as the pages are, on the render's worker processes,
    and stored: a new site title makes every page again, and no diff is made again."""
    build_module = importlib.import_module("generator.pipeline")
    site_module = importlib.import_module("generator.render.site")
    monkeypatch.setattr(build_module, "RENDER_CHUNK", 2)  # the demo, rendered on 2 workers
    from generator.config import load_config

    def build_on_two(root: Path) -> Path:
        config = load_config(root / "site.toml")
        build_module.build(config, search=False, jobs=2)
        return config.output_dir

    root = copy_demo(tmp_path / "demo")
    build_on_two(root)
    made = tmp_path / "diffs-made"  # a file: the workers are other processes
    made.touch()
    original = site_module.diff_versions

    def noted(old: Any, new: Any) -> Any:
        with made.open("a") as file:
            file.write(f"{old.id} -> {new.id}\n")
        return original(old, new)

    monkeypatch.setattr(site_module, "diff_versions", noted)
    settings = root / "site.toml"
    settings.write_text(settings.read_text().replace('title = "', 'title = "The New ', 1))
    out = build_on_two(root)
    assert made.read_text() == ""
    stories = sorted((out / "stories").glob("*/index.html"))
    assert stories and all("The New " in page.read_text() for page in stories)
    fresh = copy_demo(tmp_path / "fresh")
    shutil.copy(settings, fresh / "site.toml")
    assert differences(snapshot(out), snapshot(build_on_two(fresh))) == []


def test_an_edit_of_a_large_archive_renders_shared_out_as_one_process_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From RENDER_FORKED_ARTICLES articles, an edit's render is shared out between the
    building process and a forked one (each takes the next part as it is free) though it
    makes only a few pages: the site is the one a build from nothing makes."""
    build_module = importlib.import_module("generator.pipeline")
    # 14 published articles in chunks of 7: the edit's one page to make would not call for
    # workers, but the demo counts as large
    monkeypatch.setattr(build_module, "RENDER_CHUNK", 7)
    monkeypatch.setattr(build_module, "RENDER_FORKED_ARTICLES", 14)
    from generator.config import load_config

    root = copy_demo(tmp_path / "demo")
    build_module.build(load_config(root / "site.toml"), search=False, jobs=2)
    tasks = tmp_path / "render-tasks"  # a file: the workers are other processes
    tasks.touch()
    original = build_module.write_pages

    def noted(pages: list[Any], *args: Any) -> Any:
        with tasks.open("a") as file:
            file.write(f"{os.getpid()} {len(pages)}\n")
        return original(pages, *args)

    monkeypatch.setattr(build_module, "write_pages", noted)  # forked workers inherit it
    edited = root / "content" / "wire" / "2024-08-22-heather-honey-harvest.md"
    edited.write_text(edited.read_text() + "\nA sentence added on the workers.\n")
    out = load_config(root / "site.toml").output_dir
    report = build_module.build(load_config(root / "site.toml"), search=False, jobs=2)
    assert report.written < report.pages // 4  # an edit: most pages are the last build's
    parts = [line.split() for line in tasks.read_text().splitlines()]
    assert sum(int(pages) for _, pages in parts) == report.pages  # each part once, by one
    assert any(b"A sentence added on the workers." in page for page in snapshot(out).values())
    fresh = copy_demo(tmp_path / "fresh")
    shutil.copy(edited, fresh / edited.relative_to(root))
    build_module.build(load_config(fresh / "site.toml"), search=False, jobs=2)
    assert differences(snapshot(out), snapshot(fresh / "public")) == []


def test_the_record_of_the_output_is_the_output_as_left(tmp_path: Path) -> None:
    """The build records each file it leaves (from what it wrote, not by walking the folder):
    the record must be the folder exactly, or a build that changes nothing is not skipped, and
    a page's file is not trusted when it could be."""
    serve = importlib.import_module("generator.serve")
    root = copy_demo(tmp_path / "demo", shard_size=4)
    config = build_site(root, search=True).config  # from nothing
    edited = root / "content" / "gazette" / "2025-03-18-barrier-debris-found.md"
    edited.write_text(edited.read_text() + "\nOne more line.\n")
    builds: list[Any] = [
        lambda: build_site(root, search=True).report,  # an edit: one shard indexed again
        lambda: serve.rebuild(config, search=True),  # pages only, the bundle carried over
        lambda: build_site(root, search=False).report,  # the bundle goes
    ]
    for number, build in enumerate(builds):
        build()
        recorded = manifest.load(root / CACHE_DIR)
        assert recorded is not None
        assert recorded.files == manifest.snapshot(root / "public"), number
        assert "render" not in build().timings, number  # the same again: skipped


def _catalog(site: BuiltSite) -> dict[str, dict[str, Any]]:
    return {a["id"]: a for a in site.catalog()["articles"]}


def _same_as_from_nothing(root: Path, fresh: Path) -> None:
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns("public", ".*"))
    build_site(fresh)
    assert differences(snapshot(root / "public"), snapshot(fresh / "public")) == []


def test_an_edit_reads_the_other_articles_from_the_snapshot_and_leaves_it_alone(
    cached_site: tuple[Path, dict[str, bytes]], tmp_path: Path
) -> None:
    """The snapshot written by the first build gives an edit every other article (the edited
    one is read from its file), and is not written again for one file in sixty."""
    original, _ = cached_site
    root = tmp_path / "site"
    shutil.copytree(original, root)
    stored = root / CACHE_DIR / read_snapshot.SNAPSHOT_FILE
    before = stored.stat()
    edited = sorted((root / "content").rglob("*.md"))[7]
    edited.write_text(edited.read_text() + "\nA sentence added by the test.\n")
    (root / CACHE_DIR / "cache.sqlite3").unlink()  # so that only the snapshot can give them
    site = build_site(root)
    assert (site.report.cache_hits, site.report.cache_misses) == (GENERATED - 1, 1)
    assert any(b"A sentence added by the test." in page for page in snapshot(site.out).values())
    after = stored.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_articles_come_from_the_snapshot_when_the_cache_database_is_gone(
    cached_site: tuple[Path, dict[str, bytes]], tmp_path: Path
) -> None:
    original, clean = cached_site
    root = tmp_path / "site"
    shutil.copytree(original, root)
    (root / CACHE_DIR / "cache.sqlite3").unlink()
    shutil.rmtree(root / "public")
    site = build_site(root)
    assert (site.report.cache_hits, site.report.cache_misses) == (GENERATED, 0)
    assert differences(snapshot(site.out), clean) == []


def test_a_snapshot_changed_on_disk_is_not_believed(
    cached_site: tuple[Path, dict[str, bytes]], tmp_path: Path
) -> None:
    """One letter of an article changed inside the snapshot: its segment fails its checksum,
    and the articles are read from their files again (the database is gone too)."""
    original, clean = cached_site
    root = tmp_path / "site"
    shutil.copytree(original, root)
    stored = root / CACHE_DIR / read_snapshot.SNAPSHOT_FILE
    data = stored.read_bytes()
    first = sorted((original / "content").rglob("*.md"))[0].read_text()
    word = max(re.findall(r"[a-z]{5,}", first), key=len).encode()
    at = data.find(word)
    assert at > 0, "the words of an article are stored in the snapshot as they are"
    letter = b"q" if data[at : at + 1] != b"q" else b"z"
    stored.write_bytes(data[:at] + letter + data[at + 1 :])
    (root / CACHE_DIR / "cache.sqlite3").unlink()
    shutil.rmtree(root / "public")
    site = build_site(root)
    assert site.report.cache_misses == GENERATED
    assert differences(snapshot(site.out), clean) == []


@pytest.mark.parametrize(
    ("held", "used", "total", "write"),
    [
        (0, 0, 100, True),  # none yet
        (100, 100, 100, False),  # nothing changed
        (100, 99, 100, False),  # an edit: one lacking, one held in vain
        (100, 95, 100, False),  # ten out of a hundred: not more than a tenth
        (100, 94, 100, True),
        (5, 0, 0, True),  # the archive emptied
        (0, 0, 0, False),
    ],
)
def test_the_snapshot_is_written_again_once_a_tenth_of_it_is_stale(
    held: int, used: int, total: int, write: bool
) -> None:
    assert read_snapshot.worth_writing(held, used, total) is write


def test_a_build_from_nothing_leaves_a_spare_of_the_sites_very_files(
    cached_site: tuple[Path, dict[str, bytes]],
) -> None:
    """A build into a new folder leaves the next build its staging folder, ready: every folder
    of the site, and each file as a hard link to the site's own (the first edit then need not
    make 30,000 links)."""
    root, built = cached_site
    out, spare = root / "public", root / ".public.spare"
    assert sorted(snapshot(spare)) == sorted(built)
    assert all((spare / path).stat().st_ino == (out / path).stat().st_ino for path in built)
    assert not (root / ".public.mirror").exists()


def test_the_first_edit_without_a_spare_reuses_a_copy_of_the_site_in_links(
    cached_site: tuple[Path, dict[str, bytes]], tmp_path: Path
) -> None:
    """With no spare beside the site (its user deleted it), the build makes one of hard links
    while it reads, and brings it up to date: the new site equals one built from nothing, its
    unchanged files are the old site's very files, and the old site (the spare now) still has
    the old page."""
    original, _ = cached_site
    root = tmp_path / "site"
    shutil.copytree(original, root)
    out = root / "public"
    shutil.rmtree(root / ".public.spare")
    edited = sorted((root / "content").rglob("*.md"))[3]
    edited.write_text(edited.read_text() + "\nA sentence added by the test.\n")
    before = {path: (out / path).stat().st_ino for path in snapshot(out)}
    old = {path: data for path, data in snapshot(out).items()}
    site = build_site(root)
    fresh = tmp_path / "fresh"
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns("public", ".public.*", CACHE_DIR))
    assert differences(snapshot(site.out), snapshot(build_site(fresh).out)) == []
    now = snapshot(site.out)
    changed = [path for path in now if old.get(path) != now[path]]
    assert 0 < len(changed) < len(now) / 4
    kept = [path for path in now if path in before and path not in changed]
    assert all((out / path).stat().st_ino == before[path] for path in kept)
    spare = root / ".public.spare"
    assert all((spare / path).read_bytes() == old[path] for path in changed if path in old)


def test_the_last_builds_record_keeps_text_of_any_kind_and_is_read_back(tmp_path: Path) -> None:
    """The record is marshalled, which takes exact types only: a value that is a str
    subclass (Markup from a template, say) is written as plain text, not lost."""
    from markupsafe import Markup

    record = manifest.Manifest(
        "inputs",
        {"index.html": [10, 20, 30]},
        {"articles": 1},
        [{"path": Markup("a.md"), "message": "m", "hint": "", "line": None, "severity": "x"}],
        {"index.html": "key"},
        {"index.html": "inputs"},
        {"a/index.html": ["i", "k", "date", Markup("2024")]},
        {"a": ("k", "c", 1, "s")},
    )
    manifest.save(tmp_path, record)
    assert manifest.load(tmp_path) == record
