"""Work handed to a forked process: its value comes back, its failure is raised here."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from generator.analysis.parallel import Forked, can_fork

pytestmark = pytest.mark.skipif(not can_fork(), reason="fork is missing on this platform")


def test_a_forked_job_gives_back_what_it_computed_in_another_process() -> None:
    job = Forked(lambda: (os.getpid(), sum(range(1000))))
    pid, total = job.result()
    assert total == 499500
    assert pid != os.getpid()


def test_a_forked_job_raises_here_what_it_raised_there() -> None:
    def broken() -> int:
        raise ValueError("no such story")

    with pytest.raises(ValueError, match="no such story"):
        Forked(broken).result()


def test_a_job_that_dies_without_a_result_is_an_error_not_a_hang() -> None:
    with pytest.raises(RuntimeError, match="ended early"):
        Forked(lambda: os._exit(3)).result()


def test_a_job_closed_before_its_value_is_taken_is_stopped() -> None:
    job: Forked[None] = Forked(lambda: time.sleep(60))
    process = job._process
    assert process is not None
    job.close()
    assert process.exitcode is not None  # stopped and reaped, long before its minute


def test_what_a_job_does_after_its_value_is_sent_is_waited_for_by_close(tmp_path: Path) -> None:
    """The value comes back at once; the work after it (a memo written) is done by `close`."""
    memo = tmp_path / "memo"

    def write_later() -> None:
        time.sleep(0.5)
        memo.write_text("kept")

    job = Forked(lambda: 42, then=write_later)
    assert job.result() == 42
    assert not memo.exists()
    job.close()
    assert memo.read_text() == "kept"


def test_a_job_that_awaits_its_input_starts_before_it_is_given() -> None:
    """It does its own part first (here: notes when it began), then works on what it is
    given."""

    def job(receive) -> tuple[float, list[int]]:
        began = time.monotonic()
        return began, [n * 2 for n in receive()]

    forked: Forked[tuple[float, list[int]]] = Forked(job, awaits=True)
    time.sleep(0.5)
    given_at = time.monotonic()
    forked.give([1, 2, 3])
    began, doubled = forked.result()
    assert doubled == [2, 4, 6]
    assert began < given_at  # it began before the value was given
    forked.close()


def test_a_job_that_awaits_an_input_never_given_is_stopped_by_close() -> None:
    forked: Forked[int] = Forked(lambda receive: len(receive()), awaits=True)
    process = forked._process
    assert process is not None
    forked.close()
    assert process.exitcode is not None


def test_a_job_that_awaits_its_input_runs_here_where_fork_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import generator.analysis.parallel as parallel

    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    forked: Forked[int] = Forked(lambda receive: sum(receive()), awaits=True)
    forked.give([4, 5])
    assert forked.result() == 9
