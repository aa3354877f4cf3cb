import os
import time
from pathlib import Path

import pytest

from generator import output
from generator.errors import OutputError
from generator.output import (
    SiteWriter,
    discarded_folder,
    recover,
    retired_folder,
    staging_folder,
)


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
    return sorted(p.name for p in out.parent.iterdir() if p.name != out.name)


def test_a_large_replaced_site_is_deleted_after_the_new_one_is_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big old tree is removed by a detached process, so the build does not wait for it."""
    monkeypatch.setattr(output, "_DISCARD_IN_BACKGROUND", 1)
    out = tmp_path / "public"
    build_site(out, {f"page-{i}/index.html": b"old" for i in range(50)})
    build_site(out, {"index.html": b"new", "page-1/index.html": b"old"})
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "page-1"]
    deadline = time.monotonic() + 20
    while _siblings(out) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _siblings(out) == []


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
