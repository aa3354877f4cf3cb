"""Work begun on a forked process as the command starts (ahead.py): its result comes back, and
a failure or a stop leaves the caller to do the work itself."""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path

from generator.ahead import Ahead


def test_the_work_runs_on_another_process_and_its_result_comes_back() -> None:
    ahead = Ahead(lambda: (os.getpid(), ["a list", ("of", 3)]))
    found = ahead.result()
    assert found is not None
    pid, value = found
    assert pid != os.getpid()
    assert value == ["a list", ("of", 3)]


def test_work_that_fails_gives_nothing_and_the_caller_goes_on() -> None:
    ahead: Ahead[float] = Ahead(lambda: 1 / 0)
    assert ahead.result() is None
    assert Ahead(lambda: 7).result() == 7  # and the next one still works


def _write_later(path: Path) -> None:
    time.sleep(1)
    path.write_text("done")


def test_work_whose_result_is_never_asked_for_is_stopped(tmp_path: Path) -> None:
    marker = tmp_path / "written"
    ahead = Ahead(functools.partial(_write_later, marker))
    ahead.close()
    time.sleep(1.5)
    assert not marker.exists()
    assert ahead.result() is None  # closed: nothing to wait for
