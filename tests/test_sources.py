"""The read stage parses files on worker processes as it does in one process."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from generator import sources
from generator.config import load_config
from tests.browser.harness import copy_demo


def test_files_parsed_on_worker_processes_give_what_one_process_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workers inherit the files' bytes (only their results come back): each file's
    article and problems must be the one it gives when parsed here, in the survey's order."""
    root = copy_demo(tmp_path / "demo")
    broken = root / "content" / "wire" / "broken.md"
    broken.write_text("---\ntitle: [unclosed\n---\nBody.\n", encoding="utf-8")
    config = load_config(root / "site.toml")
    monkeypatch.setattr(sources, "READ_CHUNK", 2)  # the demo's files, in 8 tasks or more

    here = sources.read(sources.survey(config), config, jobs=1)
    spawned: list[object] = []
    real_pool = multiprocessing.get_context

    def counted(method: str) -> object:
        spawned.append(method)
        return real_pool(method)

    monkeypatch.setattr(multiprocessing, "get_context", counted)
    on_workers = sources.read(sources.survey(config), config, jobs=2)

    assert spawned, "the files were not parsed on worker processes"
    assert [a.id for a in on_workers[0]] == [a.id for a in here[0]]
    assert on_workers == here
    assert any("broken.md" in problem.path for problem in on_workers[1])
