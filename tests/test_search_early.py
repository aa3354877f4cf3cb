"""An edit's search shard is started on a guess right after the survey (search_early.py): adopted
when the guess is right, stopped when it is wrong, and the index is always the one a build from
nothing makes."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path
from typing import Any

import pytest

from generator import search as search_module
from generator import search_early, search_step, sources
from tests.browser.harness import copy_demo
from tests.helpers import BuiltSite, build_site, differences, snapshot
from tests.test_search_sharded import EDITED, child_commands

BARRIER = "content/gazette/2025-03-18-barrier-debris-found.md"
HONEY = "content/wire/2024-08-22-heather-honey-harvest.md"


@pytest.fixture(params=[None, 2], ids=["whole-shards", "shards-in-parts"])
def sharded(tmp_path: Path, request: pytest.FixtureRequest) -> BuiltSite:
    """The demo in 4 shards, each indexed in one run or in parts (search_merge.py)."""
    root = copy_demo(tmp_path / "demo", shard_size=4, part_size=request.param)
    return build_site(root, search=True)


def _watch(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Events in order: "guessed" (a Pagefind run started on a guess), "replanned" (the search
    step planning its shards itself, not taking the guess's plan), "planned" (a Pagefind run
    started by the search step's own plan), "read" (the articles read) and "grouped" (the
    stories grouped)."""
    events: list[str] = []
    build = importlib.import_module("generator.pipeline")

    def noting(module: Any, name: str, event: str) -> None:
        original = getattr(module, name)

        def noted(*args: Any, **kwargs: Any) -> Any:
            events.append(event)
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, noted)

    noting(search_early, "start_shard", "guessed")
    noting(search_step, "plan_search", "replanned")
    noting(search_module, "start_shard", "planned")
    noting(sources, "read", "read")
    noting(build, "group_stories", "grouped")
    return events


def left_in(folder: Path) -> list[Path]:
    """What a folder of work holds (nothing where it was never made: a shard in parts is
    indexed beside its kept parts)."""
    return list(folder.iterdir()) if folder.exists() else []


def _same_as_from_nothing(root: Path, fresh: Path) -> None:
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns("public", ".*"))
    built = build_site(fresh, search=True)
    assert differences(snapshot(root / "public"), snapshot(built.out)) == []


def test_an_edits_shard_is_indexed_from_before_the_articles_are_read(
    sharded: BuiltSite, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    events = _watch(monkeypatch)
    edited = sharded.root / EDITED
    edited.write_text(edited.read_text() + "\nThe harbourmaster counted nine barges.\n")
    again = build_site(sharded.root, search=True)
    assert events == ["guessed", "read", "grouped"]  # the guess was right: planned and
    # indexed once
    assert again.report.search_reindexed == 1
    assert not left_in(sharded.root / ".broadsheet-cache" / search_early.WORK_FOLDER)
    monkeypatch.undo()
    _same_as_from_nothing(sharded.root, tmp_path / "fresh")


def test_a_wrong_guess_is_stopped_and_the_shard_indexed_as_planned(
    sharded: BuiltSite, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The honey article becomes a copy, under a new headline, of a story's version: its
    document now names the story and one more version, which the guess could not know."""
    events = _watch(monkeypatch)
    honey = sharded.root / HONEY
    copy = (sharded.root / BARRIER).read_text()
    honey.write_text(copy.replace("Divers find timber jammed", "Timber found jammed", 1))
    again = build_site(sharded.root, search=True)
    assert events[:3] == ["guessed", "read", "grouped"]
    assert "replanned" in events and "planned" in events
    assert "pagefind" not in child_commands()
    assert not left_in(sharded.root / ".broadsheet-cache" / search_early.WORK_FOLDER)
    story = next(a for a in again.catalog()["articles"] if a["source_path"] in HONEY)["story"]
    assert story  # it did join the story
    monkeypatch.undo()
    _same_as_from_nothing(sharded.root, tmp_path / "fresh")


def test_no_guess_where_articles_came_or_went(
    sharded: BuiltSite, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    events = _watch(monkeypatch)
    (sharded.root / HONEY).unlink()
    build_site(sharded.root, search=True)
    assert "guessed" not in events
    monkeypatch.undo()
    _same_as_from_nothing(sharded.root, tmp_path / "fresh")


def test_a_draft_beside_the_edit_leaves_the_guess_and_the_edit_is_parsed_once(
    sharded: BuiltSite, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A draft has no search document, so the last build recorded no context for it: it must
    not read as a changed article. The files parsed for the guess are not parsed again by the
    read."""
    draft = sharded.root / "content" / "wire" / "2024-09-01-unfinished-notes.md"
    draft.write_text(
        "---\ntitle: Unfinished notes on the ferry timetable\ndate: 2024-09-01\n"
        "draft: true\n---\n\nThe ferry timetable changes next month.\n"
    )
    with_draft = build_site(sharded.root, search=True)
    events = _watch(monkeypatch)
    parsed: list[str] = []
    original = sources.parse_bytes

    def parse_bytes(data: bytes, source_path: str, config: Any) -> Any:
        parsed.append(source_path)
        return original(data, source_path, config)

    monkeypatch.setattr(sources, "parse_bytes", parse_bytes)
    monkeypatch.setattr(search_early, "parse_bytes", parse_bytes)
    edited = sharded.root / EDITED
    edited.write_text(edited.read_text() + "\nThe harbourmaster counted nine barges.\n")
    again = build_site(sharded.root, search=True)
    assert again.report.drafts == with_draft.report.drafts > sharded.report.drafts
    assert events == ["guessed", "read", "grouped"]
    assert EDITED.removeprefix("content/") in parsed
    assert len(parsed) == len(set(parsed))  # the drafts too: their files were just written
    monkeypatch.undo()
    _same_as_from_nothing(sharded.root, tmp_path / "fresh")
