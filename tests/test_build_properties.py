"""Whole builds with one random file among good ones: the rest of the archive always builds, and
a --strict build fails exactly when that file gave a problem, leaving no site behind."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from generator.config import parse_config
from generator.errors import ContentError
from generator.pipeline import build
from tests.helpers import snapshot

GOOD = '+++\ntitle = "A good article"\ndate = 2024-01-02\n+++\nIt always builds.\n'
ENCODINGS = ["utf-8", "utf-16", "latin-1", "cp1252", "utf-8-sig", "shift_jis", "koi8-r"]

odd_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=400)
odd_files = st.one_of(
    st.binary(max_size=600),
    st.tuples(odd_text, st.sampled_from(ENCODINGS)).map(
        lambda pair: pair[0].encode(pair[1], errors="replace")
    ),
    st.tuples(st.sampled_from(["---", "+++"]), odd_text).map(
        lambda pair: f"{pair[0]}\n{pair[1]}\n".encode("utf-8", errors="replace")
    ),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=odd_files, name=st.sampled_from(["odd.md", "odd.txt", "odd.html"]))
def test_one_odd_file_never_stops_the_rest_of_the_archive(data: bytes, name: str) -> None:
    root = Path(tempfile.mkdtemp())
    try:
        (root / "content").mkdir()
        (root / "content" / "good.md").write_text(GOOD)
        (root / "content" / name).write_bytes(data)
        config = parse_config({"title": "T", "search": {"enabled": False}}, root)
        report = build(config, use_cache=False)
        assert (root / "public" / "2024" / "01" / "a-good-article" / "index.html").is_file()
        assert all(
            p.path in ("content/odd.md", "content/odd.txt", "content/odd.html", "content/good.md")
            for p in report.problems
        )
        assert not any(str(root) in str(p) for p in report.problems)
        _strict_fails_exactly_when_there_are_problems(root, [str(p) for p in report.problems])
    finally:
        shutil.rmtree(root)


def _strict_fails_exactly_when_there_are_problems(root: Path, problems: list[str]) -> None:
    """--strict, into a new folder and over the site just built: with problems it raises
    ContentError listing them, creates nothing (no folder, no staging tree: only the lock file
    every build holds) and leaves the built site as it was; without problems it builds."""
    event("the odd file gave a problem" if problems else "the odd file built cleanly")
    before = snapshot(root / "public")

    def entries() -> list[str]:
        return sorted(p.name for p in root.iterdir() if not p.name.endswith(".lock"))

    made = entries()
    for output in ("strict-public", "public"):
        config = parse_config(
            {"title": "T", "search": {"enabled": False}, "output_dir": output}, root
        )
        if problems:
            with pytest.raises(ContentError) as failure:
                build(config, strict=True, use_cache=False)
            assert [str(p) for p in failure.value.problems] == problems
            assert entries() == made
            assert snapshot(root / "public") == before
        else:
            report = build(config, strict=True, use_cache=False)
            assert report.problems == []
            assert (root / output / "2024" / "01" / "a-good-article" / "index.html").is_file()
