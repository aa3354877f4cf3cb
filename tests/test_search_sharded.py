"""The demo archive with its search index in shards: an edit re-indexes only its own shard, in a
build and in serve's background refresh, and the bundles are the same bytes build after build."""

from __future__ import annotations

import contextlib
import gzip
import importlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from generator import search as search_module
from generator import serve as serve_module
from generator.errors import SearchIndexError
from generator.search_farm import load_farm
from generator.serve import rebuild, refresh_search_index
from tests.browser.harness import copy_demo
from tests.helpers import BuiltSite, articles_passed_to, build_site, differences, snapshot

EDITED = "content/clippings/courier-2025-03-19-port-selwyn-timber-debris.txt"


def bundles(out: Path) -> dict[str, dict[str, tuple[int, bytes]]]:
    """Each shard bundle (folder under pagefind/, "" the main one) -> its files' (inode, bytes);
    the lists of all shards (shards.json, sort-*.json) are left out."""
    root = out / "pagefind"
    found: dict[str, dict[str, tuple[int, bytes]]] = {}
    for path in root.rglob("*"):
        if path.is_file() and not (path.parent == root and path.suffix == ".json"):
            parts = path.relative_to(root).parts
            folder = parts[0] if parts[0].startswith("shard-") else ""
            found.setdefault(folder, {})[path.as_posix()] = (path.stat().st_ino, path.read_bytes())
    return found


def urls_in(out: Path, folder: str) -> set[str]:
    fragments = (out / "pagefind" / folder / "fragment").glob("*.pf_fragment")
    return {json.loads(gzip.decompress(f.read_bytes())[12:])["url"] for f in fragments}


def fragment_texts(out: Path) -> list[str]:
    """The text of every page the search bundle holds, from its fragments."""
    fragments = (out / "pagefind").rglob("*.pf_fragment")
    return [json.loads(gzip.decompress(f.read_bytes())[12:])["content"] for f in fragments]


@pytest.fixture(params=[None, 2], ids=["whole-shards", "shards-in-parts"])
def sharded(tmp_path: Path, request: pytest.FixtureRequest) -> BuiltSite:
    """The demo in 4 shards, each indexed in one run or in parts (search_merge.py)."""
    root = copy_demo(tmp_path / "demo", shard_size=4, part_size=request.param)
    return build_site(root, search=True)


def test_a_small_shard_size_splits_the_index_into_bundles_merged_by_the_search_page(
    sharded: BuiltSite,
) -> None:
    assert sharded.report.search_shards == 4
    assert sharded.report.search_reindexed == 4
    listing = json.loads((sharded.out / "pagefind" / "shards.json").read_text())
    folders = sorted(bundles(sharded.out))
    assert [f"{f}/" for f in folders if f] == listing["bundles"]
    indexed = [urls_in(sharded.out, folder) for folder in folders]
    assert sum(len(u) for u in indexed) == sharded.report.searchable == 14
    assert all(indexed)
    assert not list((sharded.out / "pagefind" / listing["bundles"][0]).glob("*.js"))
    order = json.loads((sharded.out / "pagefind" / listing["sorts"]["date"]).read_text())
    assert len(order) == len(set(order)) >= 12  # every dated article once


def test_an_edit_reindexes_only_the_shard_of_the_edited_article(sharded: BuiltSite) -> None:
    before = bundles(sharded.out)
    edited = sharded.root / EDITED
    edited.write_text(edited.read_text() + "\nThe harbourmaster counted nine barges.\n")
    again = build_site(sharded.root, search=True)
    after = bundles(again.out)
    assert again.report.search_reindexed == 1
    changed = [folder for folder in before if before[folder] != after[folder]]
    assert len(changed) == 1
    url = next(a["url"] for a in again.catalog()["articles"] if "timber debris" in a["title"])
    assert url in urls_in(again.out, changed[0])
    for folder in before.keys() - changed:  # the very same files: linked, not written again
        assert after[folder] == before[folder]


def test_serve_refreshes_the_index_reusing_unchanged_shards(sharded: BuiltSite) -> None:
    before = bundles(sharded.out)
    edited = sharded.root / EDITED
    edited.write_text(edited.read_text() + "\nA second crane arrived on Tuesday.\n")
    report = rebuild(sharded.config, search=True)  # pages now, the old bundle carried over
    assert bundles(sharded.out) == before
    assert report.site is not None
    stats = refresh_search_index(sharded.config, report.site)
    assert (stats.shards, stats.reindexed) == (4, 1)
    after = bundles(sharded.out)
    assert sum(before[folder] != after[folder] for folder in before) == 1
    assert not list(sharded.out.glob(".pagefind*"))
    assert not list(sharded.out.parent.glob(f".{sharded.out.name}.search-new*"))


def test_a_page_rebuild_landing_while_serve_indexes_leaves_the_new_bundle_whole(
    sharded: BuiltSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """serve refreshes the index on a thread while the next edit's pages are built: a page
    rebuild that swaps the site in meanwhile must not take the bundle being made with it."""
    edited = sharded.root / EDITED
    edited.write_text(edited.read_text() + "\nA second crane arrived on Tuesday.\n")
    report = rebuild(sharded.config, search=True)
    assert report.site is not None
    real_index = serve_module.index_site

    def index_then_rebuild(*args: object, **kwargs: object) -> object:
        made = real_index(*args, **kwargs)
        rebuild(sharded.config, search=True)  # the next edit's pages land before the swap
        return made

    monkeypatch.setattr(serve_module, "index_site", index_then_rebuild)
    stats = refresh_search_index(sharded.config, report.site)
    assert (stats.shards, stats.reindexed) == (4, 1)
    listing = json.loads((sharded.out / "pagefind" / "shards.json").read_text())
    listed = ["", *(bundle.rstrip("/") for bundle in listing["bundles"])]
    assert sorted(bundles(sharded.out)) == sorted(listed)
    assert any("second crane" in text for text in fragment_texts(sharded.out))


def test_serve_swaps_the_new_bundle_in_only_between_page_rebuilds(sharded: BuiltSite) -> None:
    """The swap waits for the lock each page rebuild holds (a rebuild carries the live bundle
    over into its site file by file: swapped meanwhile, its files were gone)."""
    edited = sharded.root / EDITED
    edited.write_text(edited.read_text() + "\nA second crane arrived on Tuesday.\n")
    report = rebuild(sharded.config, search=True)
    assert report.site is not None
    before = bundles(sharded.out)
    rebuilding = threading.Lock()
    rebuilding.acquire()  # a page rebuild under way
    refresh = threading.Thread(
        target=refresh_search_index, args=(sharded.config, report.site, rebuilding)
    )
    refresh.start()
    fresh = sharded.out.with_name(f".{sharded.out.name}.search-new")
    deadline = time.monotonic() + 60
    while not (fresh / "shards.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # indexed: only the swap is left, and it waits
    refresh.join(timeout=0.5)
    assert refresh.is_alive() and bundles(sharded.out) == before
    rebuilding.release()
    refresh.join(timeout=60)
    assert not refresh.is_alive()
    assert any("second crane" in text for text in fragment_texts(sharded.out))


def test_a_bundle_changed_behind_the_builds_back_is_indexed_again(sharded: BuiltSite) -> None:
    meta = next((sharded.out / "pagefind").glob("*.pf_meta"))
    good = meta.read_bytes()
    meta.unlink()
    meta.write_bytes(good[:-1] + b"\0")
    (sharded.root / ".broadsheet-cache" / "last-build.marshal").unlink()  # no shortcut: build
    again = build_site(sharded.root, search=True)
    assert again.report.search_reindexed == 1
    assert meta.read_bytes() == good


@pytest.mark.parametrize("part_size", [None, 2], ids=["whole-shards", "shards-in-parts"])
def test_sharded_builds_of_one_input_are_byte_identical(
    tmp_path: Path, part_size: int | None
) -> None:
    first = build_site(copy_demo(tmp_path / "one", 4, part_size), search=True)
    second = build_site(copy_demo(tmp_path / "two", 4, part_size), search=True)
    files = sorted(p.relative_to(first.out) for p in first.out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second.out) for p in second.out.rglob("*") if p.is_file())
    assert len(bundles(first.out)) == 4
    for relative in files:
        assert (first.out / relative).read_bytes() == (second.out / relative).read_bytes()


def test_pagefind_writes_in_memory_what_it_would_write_beside_the_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where a memory file system has room, Pagefind writes each shard there: the bundle is the
    same bytes, nothing is left there after the build, and what killed builds left there (named
    by their process) is removed, but not what a running build uses."""
    memory = tmp_path / "memory"
    memory.mkdir()
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    orphan = memory / f"broadsheet-pagefind-{gone}-x1"
    running = memory / f"broadsheet-pagefind-{os.getpid()}-x2"
    for folder in (orphan, running):
        (folder / "out").mkdir(parents=True)
    record = tmp_path / "scratch-folders.txt"  # the shards are indexed on forked workers
    record.touch()
    scratch = search_module._scratch_folder

    def spy(documents: int) -> Path | None:
        made = scratch(documents)
        if made:
            with open(record, "a", encoding="utf-8") as noted:
                noted.write(f"{made}\n")
        return made

    def used() -> list[Path]:
        return [Path(line) for line in record.read_text(encoding="utf-8").splitlines()]

    monkeypatch.setattr(search_module, "MEMORY_FOLDER", memory)
    monkeypatch.setattr(search_module, "_scratch_folder", spy)
    in_memory = build_site(copy_demo(tmp_path / "one", 4), search=True)
    assert len(used()) == 4 and all(path.parent == memory for path in used())
    assert sorted(memory.iterdir()) == [running]
    monkeypatch.setattr(search_module, "MEMORY_FOLDER", tmp_path / "no such folder")
    beside = build_site(copy_demo(tmp_path / "two", 4), search=True)
    assert len(used()) == 4
    assert differences(snapshot(in_memory.out), snapshot(beside.out)) == []


def test_a_new_headline_reindexes_only_its_own_shard(sharded: BuiltSite) -> None:
    """The new headline shows on other pages too (the other versions' notes, related lists),
    but only the edited article's search document changes."""
    edited = sharded.root / "content" / "gazette" / "2025-03-18-barrier-debris-found.md"
    old = "Divers find timber jammed in barrier gates"
    edited.write_text(edited.read_text().replace(old, "Divers free timber jammed in barrier gates"))
    again = build_site(sharded.root, search=True)
    assert again.report.written > 3  # its page, its story's pages, other articles' pages
    assert again.report.search_reindexed == 1


def test_a_reindexed_shard_keeps_the_live_files_whose_bytes_did_not_change(
    sharded: BuiltSite,
) -> None:
    """Pagefind writes the whole shard anew, but a file with the bytes the live site has is
    that very file: a deploy sees only what changed, and its time stays put."""
    before = bundles(sharded.out)
    edited = sharded.root / EDITED
    edited.write_text(edited.read_text() + "\nThe harbourmaster counted nine barges.\n")
    again = build_site(sharded.root, search=True)
    assert again.report.search_reindexed == 1
    after = bundles(again.out)
    changed = [f for f in after if after[f] != before.get(f)]
    assert len(changed) == 1
    (folder,) = changed
    same = {
        path
        for path, (_, data) in after[folder].items()
        if before[folder].get(path, (0, b""))[1] == data
    }
    assert same and len(same) < len(after[folder])  # the edited document's files are new
    assert all(after[folder][path][0] == before[folder][path][0] for path in same)


def test_a_failed_search_index_keeps_the_last_good_site(
    sharded: BuiltSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pagefind indexes an edit's shard beside the render: its failure fails the build like
    any other, and the site served stays the last good one, with nothing left beside it."""
    good = snapshot(sharded.out)
    edited = sharded.root / EDITED
    edited.write_text(edited.read_text() + "\nThe harbourmaster counted nine barges.\n")
    broken = (sys.executable, "not pagefind")  # `python --site ...` exits with an error
    monkeypatch.setattr(search_module, "_pagefind", lambda: broken)
    with pytest.raises(SearchIndexError, match="Pagefind could not index"):
        build_site(sharded.root, search=True)
    assert differences(snapshot(sharded.out), good) == []
    beside = sorted(p.name for p in sharded.out.parent.iterdir() if p.name.startswith(".public"))
    assert beside == [".public.lock", ".public.spare"]
    monkeypatch.undo()
    again = build_site(sharded.root, search=True)
    assert again.report.search_reindexed == 1


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="lists child processes in /proc")
def test_a_build_failing_while_pagefind_indexes_stops_it_and_keeps_the_last_good_site(
    sharded: BuiltSite, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An edit's shard is indexed while the build goes on (the render): a failure there stops
    Pagefind (no process left running or unreaped) and removes its work, in memory too.
    Pagefind here waits a second before it starts: four documents take it less time than the
    build takes to reach its render."""
    memory = tmp_path / "memory"
    memory.mkdir()
    monkeypatch.setattr(search_module, "MEMORY_FOLDER", memory)
    real, version = search_module._pagefind()
    slow = tmp_path / "bin" / "pagefind"
    slow.parent.mkdir()
    slow.write_text(f'#!/bin/sh\nsleep 1\nexec {real} "$@"\n')
    slow.chmod(0o755)
    monkeypatch.setattr(search_module, "_pagefind", lambda: (str(slow), version))
    good = snapshot(sharded.out)
    edited = sharded.root / EDITED
    edited.write_text(edited.read_text() + "\nThe harbourmaster counted nine barges.\n")

    def fail(*args: object, **kwargs: object) -> None:
        # it had started (its name is the interpreter's for a moment after Popen returns)
        for _ in range(100):
            if "pagefind" in child_commands():
                break
            time.sleep(0.01)
        else:
            raise AssertionError(f"no Pagefind among the children: {child_commands()}")
        raise RuntimeError("the render failed")

    monkeypatch.setattr(importlib.import_module("generator.pipeline"), "_render", fail)
    with pytest.raises(RuntimeError, match="the render failed"):
        build_site(sharded.root, search=True)
    assert "pagefind" not in child_commands()
    assert differences(snapshot(sharded.out), good) == []
    spare = sharded.out.parent / ".public.spare" / "pagefind"
    assert not list(spare.glob(".shard-*"))
    assert not list(memory.iterdir())
    monkeypatch.undo()
    again = build_site(sharded.root, search=True)
    assert again.report.search_reindexed == 1
    fragments = (again.out / "pagefind").rglob("*.pf_fragment")
    assert any(b"nine barges" in gzip.decompress(f.read_bytes()) for f in fragments)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="lists child processes in /proc")
def test_a_first_build_indexes_one_shard_while_it_analyses_and_stops_it_when_it_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first build has more shards to index than run beside its render, but one is indexed
    while it finds diffs and related stories (on a core left idle): one Pagefind at a time
    before the render, stopped with its work when the build fails."""
    memory = tmp_path / "memory"
    memory.mkdir()
    monkeypatch.setattr(search_module, "MEMORY_FOLDER", memory)
    root = copy_demo(tmp_path / "demo", shard_size=4)
    started: list[object] = []
    running_at_render: list[int] = []
    original = search_module.start_shard

    def start_shard(*args: object, **kwargs: object) -> object:
        started.append(args[-1])
        return original(*args, **kwargs)  # type: ignore[arg-type]

    def fail(*args: object, **kwargs: object) -> None:
        running_at_render.append(child_commands().count("pagefind"))
        raise RuntimeError("the render failed")

    monkeypatch.setattr(search_module, "start_shard", start_shard)
    monkeypatch.setattr(importlib.import_module("generator.pipeline"), "_render", fail)
    with pytest.raises(RuntimeError, match="the render failed"):
        build_site(root, search=True)
    assert started, "no shard was indexed before the render"
    assert running_at_render[0] <= 1
    assert "pagefind" not in child_commands()
    assert not list(memory.iterdir())
    assert not (root / "public").exists()
    monkeypatch.undo()
    built = build_site(root, search=True)
    assert built.report.search_reindexed == built.report.search_shards == 4
    fresh = build_site(copy_demo(tmp_path / "fresh", shard_size=4), search=True)
    assert differences(snapshot(built.out), snapshot(fresh.out)) == []


def child_commands() -> list[str]:
    """The command names of this process's children, running or not yet reaped (Linux)."""
    commands = []
    for children in Path("/proc/self/task").glob("*/children"):
        for pid in children.read_text().split():
            with contextlib.suppress(OSError):
                commands.append(Path(f"/proc/{pid}/comm").read_text().strip())
    return commands


def test_an_edit_keys_again_only_the_search_documents_whose_inputs_changed(
    sharded: BuiltSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document whose inputs are the ones the last build recorded keeps its key without being
    keyed again; the index is the one a build from nothing makes."""
    from generator import search_step

    keyed = articles_passed_to(monkeypatch, search_step, "search_document")
    sentence = "\nThe harbourmaster counted nine barges.\n"
    edited = sharded.root / EDITED
    edited.write_text(edited.read_text() + sentence)
    again = build_site(sharded.root, search=True)
    article = next(a for a in again.catalog()["articles"] if "timber debris" in a["title"])
    assert article["id"] in keyed
    assert len(keyed) < again.report.searchable / 2
    monkeypatch.undo()
    fresh_root = copy_demo(
        tmp_path / "fresh", shard_size=4, part_size=sharded.config.search.part_size
    )
    (fresh_root / EDITED).write_text((fresh_root / EDITED).read_text() + sentence)
    fresh = build_site(fresh_root, search=True)
    assert differences(snapshot(again.out / "pagefind"), snapshot(fresh.out / "pagefind")) == []


def test_the_bundle_built_in_the_reused_staging_folder_is_the_one_built_from_nothing(
    sharded: BuiltSite, tmp_path: Path
) -> None:
    """Each build reuses the site before last as its staging folder, and builds the search
    bundle in it: shards that go away, kept shards and re-indexed ones all end up as a build
    from nothing makes them, and the live site is never written through a shared file."""
    root = sharded.root
    moved = tmp_path / "moved"
    moved.mkdir()
    sources = sorted(p for p in (root / "content").rglob("*") if p.is_file())
    steps = [
        lambda: [p.rename(moved / f"{n}-{p.name}") for n, p in enumerate(sources[:8])],  # 2 shards
        lambda: [(moved / f"{n}-{p.name}").rename(p) for n, p in enumerate(sources[:8])],  # 4
        lambda: (root / EDITED).write_text((root / EDITED).read_text() + "\nNine barges.\n"),
    ]
    for number, step in enumerate(steps):
        step()
        built = build_site(root, search=True)
        copy = tmp_path / f"fresh-{number}"
        shutil.copytree(root, copy, ignore=shutil.ignore_patterns("public", ".*"))
        fresh = build_site(copy, search=True)
        if number == 0:
            assert built.report.search_shards < sharded.report.search_shards
        assert differences(snapshot(built.out), snapshot(fresh.out)) == []


def test_an_edit_renders_only_its_own_search_document(
    sharded: BuiltSite, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The re-indexed shard's other documents are kept, rendered, in the cache folder; a
    damaged file of them, or one that does not belong there, costs renders, never a wrong
    index."""
    step = importlib.import_module("generator.search_step")
    made = articles_passed_to(monkeypatch, step, "search_page")
    guessed = articles_passed_to(
        monkeypatch, importlib.import_module("generator.search_early"), "search_document"
    )
    farm = sharded.root / ".broadsheet-cache" / "search-documents"
    kept = {path: load_farm(path) for path in farm.glob("*.pickle")}
    assert sum(len(documents) for documents in kept.values()) == 14  # every article's, once
    edited = sharded.root / EDITED
    edited.write_text(edited.read_text() + "\nThe harbourmaster counted nine barges.\n")
    again = build_site(sharded.root, search=True)
    edited_id = next(a["id"] for a in again.catalog()["articles"] if a["source_path"] in EDITED)
    assert set(made) | set(guessed) == {edited_id}

    shard = next(
        path
        for path in farm.glob("*.pickle")
        if any(b"nine barges" in data for _, data in load_farm(path).values())
    )
    shard.write_bytes(shard.read_bytes()[:-40])  # damaged
    (farm / "stray" / "index.html").parent.mkdir()
    (farm / "stray" / "index.html").write_text("<html><body>Not an article</body></html>")
    edited.write_text(edited.read_text() + "\nAnd a tenth.\n")
    built = build_site(sharded.root, search=True)
    copy = tmp_path / "fresh"
    shutil.copytree(sharded.root, copy, ignore=shutil.ignore_patterns("public", ".*"))
    fresh = build_site(copy, search=True)
    assert differences(snapshot(built.out), snapshot(fresh.out)) == []
    assert not (farm / "stray").exists()
    assert any(b"And a tenth" in data for _, data in load_farm(shard).values())
