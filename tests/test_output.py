import os
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import load_config, pipeline
from generator.errors import OutputError
from generator.output import (
    SiteWriter,
    check_relative,
    discarded_folder,
    link_tree,
    list_spare,
    lock_file,
    mirror_folder,
    recover,
    retired_folder,
    spare_folder,
    staging_folder,
    write_file,
    write_new_file,
)
from tests import helpers
from tests.helpers import copy_site


def build_site(out: Path, pages: dict[str, bytes]) -> SiteWriter:
    writer = SiteWriter(out)
    for path, data in pages.items():
        writer.write(path, data)
    writer.commit()
    return writer


def test_the_new_site_replaces_the_old_one_whole(tmp_path: Path) -> None:
    out = tmp_path / "public"
    build_site(out, {"index.html": b"one", "old/index.html": b"gone soon"})
    build_site(out, {"index.html": b"two"})
    assert (out / "index.html").read_bytes() == b"two"
    assert not (out / "old").exists()
    assert not staging_folder(out).exists()


def test_unchanged_files_keep_their_timestamps(tmp_path: Path) -> None:
    out = tmp_path / "public"
    build_site(out, {"same.html": b"same", "changed.html": b"v1"})
    os.utime(out / "same.html", (1_000_000, 1_000_000))
    writer = build_site(out, {"same.html": b"same", "changed.html": b"v2"})
    assert (out / "same.html").stat().st_mtime == 1_000_000
    assert (writer.written, writer.unchanged) == (1, 1)


def test_an_abandoned_build_leaves_the_previous_site(tmp_path: Path) -> None:
    out = tmp_path / "public"
    build_site(out, {"index.html": b"good"})
    writer = SiteWriter(out)
    writer.write("index.html", b"half")
    writer.abandon()
    assert (out / "index.html").read_bytes() == b"good"


def test_leftovers_of_a_killed_build_are_cleaned_up(tmp_path: Path) -> None:
    out = tmp_path / "public"
    build_site(out, {"index.html": b"good"})
    staging_folder(out).mkdir()
    (staging_folder(out) / "partial.html").write_bytes(b"x")
    recover(out)
    assert not staging_folder(out).exists()
    assert (out / "index.html").read_bytes() == b"good"


def test_a_swap_cut_in_the_middle_is_undone(tmp_path: Path) -> None:
    out = tmp_path / "public"
    build_site(out, {"index.html": b"good"})
    out.rename(retired_folder(out))
    recover(out)
    assert (out / "index.html").read_bytes() == b"good"


@pytest.mark.parametrize("path", ["../escape.html", "/etc/passwd", "a/../../b"])
def test_no_path_escapes_the_output_folder(tmp_path: Path, path: str) -> None:
    writer = SiteWriter(tmp_path / "public")
    with pytest.raises(OutputError, match="leave the output folder"):
        writer.write(path, b"x")
    writer.abandon()
    assert not (tmp_path / "escape.html").exists()


def _siblings(out: Path) -> list[str]:
    """What stands beside the output folder but the lock file every build holds."""
    return sorted(
        p.name for p in out.parent.iterdir() if p.name not in (out.name, lock_file(out).name)
    )


def test_the_replaced_site_is_kept_aside_and_reused_by_the_next_build(tmp_path: Path) -> None:
    """The next build brings the spare up to date instead of making every folder again."""
    out = tmp_path / "public"
    build_site(out, {"index.html": b"one", "a/index.html": b"a", "gone/index.html": b"g"})
    build_site(out, {"index.html": b"two", "a/index.html": b"a", "gone/index.html": b"g"})
    assert _siblings(out) == [spare_folder(out).name]
    kept_folder = (spare_folder(out) / "a").stat().st_ino
    writer = build_site(out, {"index.html": b"three", "a/index.html": b"a", "new/x.html": b"n"})
    assert writer.staged is not None
    assert (out / "a").stat().st_ino == kept_folder  # the folder was reused, not made again
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == [
        "a",
        "a/index.html",
        "index.html",
        "new",
        "new/x.html",
    ]
    assert (out / "index.html").read_bytes() == b"three"


def test_a_reused_staging_folder_never_writes_through_to_the_live_site(tmp_path: Path) -> None:
    """Files of the spare can be hard links to the live site's: they are replaced, not written."""
    out = tmp_path / "public"
    build_site(out, {"page.html": b"one", "other.html": b"o"})
    build_site(out, {"page.html": b"one", "other.html": b"o2"})  # page.html is linked
    writer = SiteWriter(out)
    assert writer.staged is not None
    writer.write("page.html", b"changed")
    writer.abandon()
    assert (out / "page.html").read_bytes() == b"one"
    assert (out / "other.html").read_bytes() == b"o2"


def test_a_spare_holding_files_where_folders_go_is_put_right(tmp_path: Path) -> None:
    out = tmp_path / "public"
    build_site(out, {"x": b"file", "y/index.html": b"folder"})
    build_site(out, {"x": b"file", "y/index.html": b"folder"})
    site = build_site(out, {"x/index.html": b"now a folder", "y": b"now a file"})
    assert site.staged is not None
    assert (out / "x" / "index.html").read_bytes() == b"now a folder"
    assert (out / "y").read_bytes() == b"now a file"


def test_a_leftover_staging_folder_becomes_the_spare_or_is_deleted_in_the_background(
    tmp_path: Path,
) -> None:
    """A tree left by a killed build is removed by a detached process when a spare exists."""
    out = tmp_path / "public"
    build_site(out, {"index.html": b"one"})
    build_site(out, {"index.html": b"two"})
    for i in range(50):
        (staging_folder(out) / f"page-{i}").mkdir(parents=True)
    recover(out)
    deadline = time.monotonic() + 20
    while len(_siblings(out)) > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _siblings(out) == [spare_folder(out).name]
    assert (out / "index.html").read_bytes() == b"two"


def _same_files(site: Path, spare: Path) -> bool:
    """Whether `spare` holds exactly `site`'s files, each the very same file (a hard link)."""
    files = sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file())
    copies = sorted(p.relative_to(spare) for p in spare.rglob("*") if p.is_file())
    return files == copies and all(
        (site / path).stat().st_ino == (spare / path).stat().st_ino for path in files
    )


def test_a_first_build_leaves_the_next_a_spare_of_its_very_files(tmp_path: Path) -> None:
    """A build into a new folder mirrors its pages once they are written, and the folders it
    left to other writers (the search bundle) at the end: the next build's staging folder."""
    out = tmp_path / "public"
    writer = SiteWriter(out)
    writer.reserve("bundle")
    for i in range(30):
        writer.write(f"{i % 4}/page-{i}/index.html", f"page {i}".encode())
    writer.write("index.html", b"home")
    writer.start_mirror()
    writer.write("bundle/index.js", b"written after the pages")
    writer.commit()
    assert _siblings(out) == [spare_folder(out).name]
    assert _same_files(out, spare_folder(out))
    writer = build_site(out, {"index.html": b"home again", "0/page-0/index.html": b"page 0"})
    assert writer.staged is not None
    assert writer.staged.files.keys() >= {"index.html", "bundle/index.js", "3/page-7/index.html"}


def test_a_mirror_stopped_partway_is_made_whole_where_it_stopped(tmp_path: Path) -> None:
    """The mirror's thread runs at the lowest priority; the build, rather than wait on it,
    stops it and makes the rest: every folder and a link to every file, none twice."""
    site, mirror = tmp_path / "site", tmp_path / "mirror"
    for i in range(12):
        page = site / f"{i % 3}" / f"page-{i}" / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_bytes(f"page {i}".encode())
    mirror.mkdir()
    (mirror / "0" / "page-0").mkdir(parents=True)  # what a stopped run made
    os.link(site / "0" / "page-0" / "index.html", mirror / "0" / "page-0" / "index.html")
    with pytest.raises(FileExistsError):
        link_tree(site, mirror)
    link_tree(site, mirror, resume=True)
    assert _same_files(site, mirror)


def test_a_second_build_makes_no_mirror(tmp_path: Path) -> None:
    """Over a site, the site replaced is the next spare already."""
    out = tmp_path / "public"
    build_site(out, {"index.html": b"one"})
    writer = SiteWriter(out)
    writer.write("index.html", b"two")
    writer.start_mirror()
    assert not mirror_folder(out).exists()
    writer.commit()
    assert (spare_folder(out) / "index.html").read_bytes() == b"one"


def test_an_abandoned_first_build_leaves_no_mirror(tmp_path: Path) -> None:
    out = tmp_path / "public"
    writer = SiteWriter(out)
    writer.write("a/index.html", b"a")
    writer.start_mirror()
    writer.abandon()
    deadline = time.monotonic() + 20
    while len(_siblings(out)) > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not out.exists()
    assert _siblings(out) == [spare_folder(out).name]


def test_a_mirror_left_by_a_killed_build_is_never_shipped(tmp_path: Path) -> None:
    """It becomes the spare, or is deleted where there is one: its files never reach the site."""
    out = tmp_path / "public"
    for build in range(3):  # no site, no spare; a site, no spare; a site and a spare
        spares = min(build, 1)
        (mirror_folder(out) / "junk").mkdir(parents=True)
        (mirror_folder(out) / "junk" / "index.html").write_bytes(b"junk")
        build_site(out, {"index.html": f"build {build}".encode()})
        deadline = time.monotonic() + 20
        while len(_siblings(out)) > spares and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _siblings(out) == [spare_folder(out).name][:spares]
        assert sorted(p.name for p in out.iterdir()) == ["index.html"]


def test_a_replaced_site_left_behind_is_deleted_by_the_next_build(tmp_path: Path) -> None:
    out = tmp_path / "public"
    build_site(out, {"index.html": b"one"})
    left = discarded_folder(out)
    (left / "old").mkdir(parents=True)
    build_site(out, {"index.html": b"two"})
    deadline = time.monotonic() + 20
    while left.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left.exists()
    assert (out / "index.html").read_bytes() == b"two"


def test_a_new_file_replaces_what_stands_there_without_writing_through_it(tmp_path: Path) -> None:
    """A staging folder may hold a hard link to the live site's file, a folder where a file
    goes, or a file where a folder goes: the new file replaces each, the live file untouched."""
    live, staging = tmp_path / "live.json", tmp_path / "staging"
    live.write_bytes(b"live")
    staging.mkdir()
    os.link(live, staging / "linked.json")
    (staging / "folder.json").mkdir()
    (staging / "file").write_bytes(b"in the way")
    for relative in ("linked.json", "folder.json", "file/inside.json", "new/deep/one.json"):
        write_new_file(os.fspath(staging / relative), relative.encode())
        assert (staging / relative).read_bytes() == relative.encode()
    assert live.read_bytes() == b"live"
    assert live.stat().st_nlink == 1


def test_a_page_replaces_what_stands_in_its_place_without_writing_through_it(
    tmp_path: Path,
) -> None:
    """The same for a page written into a reused staging folder (`write_file`), which opens its
    file straight away and clears the place only where that fails."""
    site, staging = tmp_path / "site", tmp_path / "staging"
    site.mkdir()
    (site / "live.html").write_bytes(b"live")
    staging.mkdir()
    os.link(site / "live.html", staging / "linked.html")
    (staging / "folder.html").mkdir()
    (staging / "folder.html" / "inside").write_bytes(b"old")
    (staging / "file").write_bytes(b"in the way")
    os.symlink(site / "live.html", staging / "symlink.html")
    cases = ("linked.html", "folder.html", "file/inside.html", "new/deep/one.html", "symlink.html")
    for relative in cases:
        written, _ = write_file(staging, site, relative, relative.encode())
        assert written
        assert (staging / relative).read_bytes() == relative.encode()
        assert not (staging / relative).is_symlink()
    assert (site / "live.html").read_bytes() == b"live"
    assert (site / "live.html").stat().st_nlink == 1


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["", ".", "..", "a", "b.html", "...", ".x", "x.", "\0", "c\0d"])))
def test_a_page_path_that_could_leave_the_output_folder_is_refused(parts: list[str]) -> None:
    """Absolute paths, empty parts, "." and ".." and NUL bytes are refused wherever they are;
    every other path of plain parts is accepted."""
    relative = "/".join(parts)
    split = relative.split("/")
    leaves = relative.startswith("/") or any(p in ("", ".", "..") or "\0" in p for p in split)
    if leaves:
        with pytest.raises(OutputError):
            check_relative(relative)
    else:
        check_relative(relative)


def test_a_spare_listed_before_another_build_took_it_is_not_believed(tmp_path: Path) -> None:
    """`broadsheet build` lists the spare before it takes the build's lock. A build that ran in
    between (it takes the spare as its staging folder, writes there, and gives up, leaving it
    as the spare again) makes that listing wrong: the next build lists the folder anew."""
    root = copy_site("basic", tmp_path)
    helpers.build_site(root)
    helpers.build_site(root)  # the first build's site is the spare now
    config = load_config(root / "site.toml")
    out = config.output_dir
    page = out / "search" / "index.html"  # not made anew by the edit below
    relative = page.relative_to(out).as_posix()
    built = page.read_bytes()
    assert (spare_folder(out) / relative).stat().st_ino == page.stat().st_ino  # one file
    listed = list_spare(out)
    assert listed is not None and relative in listed.staged.files

    taken = spare_folder(out).rename(staging_folder(out))  # another build's staging folder
    (taken / relative).unlink()
    (taken / relative).write_bytes(b"half-written by a build that gave up")
    taken.rename(spare_folder(out))
    edited = root / "content" / "news" / "lighthouse.md"  # a build with work to do
    edited.write_text(edited.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")

    pipeline.build(config, search=False, listed_spare=lambda: listed)
    assert (out / relative).read_bytes() == built
