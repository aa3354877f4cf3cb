"""Reading trusts `stat` for files unchanged since the last build, and only then."""

from __future__ import annotations

import functools
import marshal
import os
import time
from pathlib import Path

import pytest

from generator import build, source_state, sources
from generator.ahead import Ahead
from generator.cache import CACHE_DIR, Cache
from generator.config import SiteConfig, load_config
from generator.source_state import SOURCES_FILE, reading_settings, stat_sources
from tests.helpers import build_site, copy_site

ARTICLE = "news/lighthouse.md"
PAGE = "/2024/05/lighthouse-keeper-retires-after-forty-years-on-gull-rock/"


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files copied a moment ago count as settled (their ctime cannot be set back)."""
    monkeypatch.setattr(source_state, "RACY_NS", -(10**18))


def _age(root: Path, seconds: float = 60) -> None:
    """Give every content file an old mtime, as files have between two edits."""
    past = time.time() - seconds
    for path in (root / "content").rglob("*"):
        if path.is_file():
            os.utime(path, (past, past))


def _recorded(root: Path) -> dict[str, list]:
    raw = marshal.loads((root / CACHE_DIR / SOURCES_FILE).read_bytes())
    return {row[0]: row for row in raw["files"]}


@pytest.mark.usefixtures("settled")
def test_a_file_rewritten_with_the_same_size_and_mtime_is_read_again(tmp_path: Path) -> None:
    root = copy_site("basic", tmp_path)
    _age(root)
    build_site(root)
    assert ARTICLE in _recorded(root)
    path = root / "content" / ARTICLE
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("patience", "PATIENCE"), encoding="utf-8")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the old mtime
    assert path.stat().st_size == before.st_size
    site = build_site(root)
    assert "The sea taught me PATIENCE" in site.page(PAGE)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of each content file the build opens, in order."""
    names: list[str] = []
    real = sources.load_source

    def load_source(path: Path, config: SiteConfig) -> object:
        names.append(path.name)
        return real(path, config)

    monkeypatch.setattr(sources, "load_source", load_source)
    return names


@pytest.mark.usefixtures("settled")
def test_only_the_edited_file_is_opened_again(tmp_path: Path, opened: list[str]) -> None:
    root = copy_site("basic", tmp_path)
    _age(root)
    build_site(root)
    opened.clear()
    path = root / "content" / ARTICLE
    path.write_text(path.read_text(encoding="utf-8").replace("patience", "calm"))
    site = build_site(root)
    assert opened == ["lighthouse.md"]
    assert "The sea taught me calm" in site.page(PAGE)


@pytest.mark.usefixtures("settled")
def test_a_survey_begun_on_another_process_opens_only_the_edited_file(
    tmp_path: Path, opened: list[str]
) -> None:
    """What `broadsheet build` does: the folder is listed and stat'ed on a forked process."""
    root = copy_site("basic", tmp_path)
    _age(root)
    build_site(root)
    path = root / "content" / ARTICLE
    path.write_text(path.read_text(encoding="utf-8").replace("patience", "calm"))
    opened.clear()
    config = load_config(root / "site.toml")
    work = functools.partial(
        stat_sources, config.content_dir, root / CACHE_DIR, reading_settings(config)
    )
    build(config, search=False, surveyed=Ahead(work).result)
    assert opened == ["lighthouse.md"]
    assert "The sea taught me calm" in (config.output_dir / PAGE[1:] / "index.html").read_text()


@pytest.mark.usefixtures("settled")
def test_a_survey_made_for_other_settings_or_without_the_cache_is_not_used(
    tmp_path: Path,
) -> None:
    root = copy_site("basic", tmp_path)
    _age(root)
    build_site(root)
    config = load_config(root / "site.toml")
    cache = Cache(root / CACHE_DIR)
    try:
        own = sources.survey(config, cache)
        assert own.keys  # the record vouches for the unchanged files
        for stated in (
            stat_sources(config.content_dir, root / CACHE_DIR, "Europe/Paris\0content"),
            stat_sources(config.content_dir, None, reading_settings(config)),
        ):
            found = sources.survey(config, cache, stated)
            assert (found.relative, found.keys, found.basis) == (own.relative, own.keys, own.basis)
    finally:
        cache.close()


def test_a_file_changed_just_before_the_build_read_it_is_not_vouched_for(tmp_path: Path) -> None:
    root = copy_site("basic", tmp_path)
    _age(root)  # an old mtime, but the change (copy, utime) is seconds old: ctime says so
    build_site(root)
    assert ARTICLE not in _recorded(root)  # its timestamps could hide a change in the same tick
    path = root / "content" / ARTICLE
    path.write_text(path.read_text(encoding="utf-8").replace("patience", "PATIENCE"))
    os.utime(path, (time.time() - 60, time.time() - 60))
    assert "The sea taught me PATIENCE" in build_site(root).page(PAGE)


@pytest.mark.usefixtures("settled")
def test_a_build_with_nothing_to_do_reads_nothing_and_reports_the_same_problems(
    tmp_path: Path,
) -> None:
    root = copy_site("basic", tmp_path)
    _age(root)
    first = build_site(root)
    again = build_site(root)
    assert first.report.problems  # the basic site has a broken file and a draft
    assert [str(p) for p in again.report.problems] == [str(p) for p in first.report.problems]
    assert again.report.cache_hits + again.report.cache_misses == 0  # no article was loaded
    assert again.report.articles == first.report.articles


def test_files_read_from_a_disk_on_threads_are_the_files_read_one_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The survey reads files one at a time where the first few came from memory, on threads
    where they were slow (a disk): either way every file is read, each with its own bytes and
    key, in the order found."""
    root = copy_site("basic", tmp_path)
    (root / "content" / "news" / "empty.md").write_bytes(b"")
    config = load_config(root / "site.toml", {})
    monkeypatch.setattr(sources, "PROBE_FILES", 2)
    monkeypatch.setattr(sources, "IN_MEMORY_SECONDS", float("inf"))
    one_at_a_time = sources.survey(config)
    monkeypatch.setattr(sources, "IN_MEMORY_SECONDS", 0.0)
    on_threads = sources.survey(config)
    assert len(one_at_a_time.paths) > 4
    assert one_at_a_time.keys == on_threads.keys
    assert one_at_a_time.data == on_threads.data
    assert len(on_threads.data) == len(on_threads.paths)
