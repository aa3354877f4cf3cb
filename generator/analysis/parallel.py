"""One way to share work out: forked processes that inherit what they read.

The analysis works on large in-memory structures (100,000 articles' features, sparse matrices).
Pickling them to worker processes would cost more than the work saved; a forked worker inherits
them for free. Results go back pickled, so tasks should return compact arrays.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")

_inherited: tuple[Callable[[Any, Any], Any], Any] | None = None
"""The function and state the forked workers of the running `map_inherited` read."""


def can_fork() -> bool:
    return sys.platform != "win32"


def map_inherited(
    function: Callable[[Any, Task], Result], state: Any, tasks: Iterable[Task], jobs: int
) -> list[Result]:
    """`[function(state, task) for task in tasks]`, on `jobs` forked processes that inherit
    `state` (never pickled); in this process when jobs <= 1 or where fork is missing."""
    if jobs <= 1 or not can_fork():
        return [function(state, task) for task in tasks]
    global _inherited
    _inherited = (function, state)
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            return pool.map(_call, tasks, chunksize=1)
    finally:
        _inherited = None


def _call(task: Any) -> Any:
    assert _inherited is not None
    function, state = _inherited
    return function(state, task)
