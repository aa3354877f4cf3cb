"""One way to share work out: forked processes that inherit what they read.

The analysis works on large in-memory structures (100,000 articles' features, sparse matrices).
Pickling them to worker processes would cost more than the work saved; a forked worker inherits
them for free. Results go back pickled, so tasks should return compact arrays.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.process
import os
import pickle
import sys
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")

_inherited: tuple[Callable[[Any, Any], Any], Any] | None = None
"""The function and state the forked workers of the running `map_inherited` read."""


def can_fork() -> bool:
    return sys.platform != "win32"


def default_jobs() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def map_inherited(
    function: Callable[[Any, Task], Result], state: Any, tasks: Iterable[Task], jobs: int
) -> list[Result]:
    """`[function(state, task) for task in tasks]`, on `jobs` forked processes that inherit
    `state` (never pickled); in this process when jobs <= 1 or where fork is missing."""
    return list(imap_inherited(function, state, tasks, jobs))


def imap_inherited(
    function: Callable[[Any, Task], Result], state: Any, tasks: Iterable[Task], jobs: int
) -> Iterator[Result]:
    """`map_inherited`, each result given as soon as it and those before it are done: the
    caller works on them (stores them, say) while the workers go on."""
    if jobs <= 1 or not can_fork():
        yield from (function(state, task) for task in tasks)
        return
    global _inherited
    _inherited = (function, state)
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            yield from pool.imap(_call, tasks, chunksize=1)
    finally:
        _inherited = None


def _call(task: Any) -> Any:
    assert _inherited is not None
    function, state = _inherited
    return function(state, task)


class Forked(Generic[Result]):
    """`function()` on a forked process while this one goes on; `result()` waits for it and
    gives its value (pickled back: keep it compact) or raises what it raised. `then()` runs
    there after the value is sent (what the caller need not wait for: writing a memo); `close`
    waits for it, or stops the process if its value was never taken. Where fork is missing,
    both run at `result()`. Fork before starting any thread: a fork beside a running thread
    could copy a lock that thread held.

    With `awaits`, the function is called as `function(receive)`: `receive()` waits for the
    value this process passes to `give` (pickled over). The job then does what it can first
    (imports, loading a memo) while this process works out the rest of its input."""

    def __init__(
        self,
        function: Callable[..., Result],
        then: Callable[[], None] | None = None,
        *,
        awaits: bool = False,
    ) -> None:
        self._function: Callable[..., Result] | None = function
        self._then = then
        self._awaits = awaits
        self._given: tuple[Any] | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._inbox: Connection | None = None
        self._taken = False
        if not can_fork():
            return
        context = multiprocessing.get_context("fork")
        self._reader, sender = context.Pipe(duplex=False)
        receiver = None
        if awaits:
            receiver, self._inbox = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_send_result,
            args=(function, then, sender, receiver, self._inbox),
            daemon=True,
        )
        self._process.start()
        sender.close()
        if receiver is not None:
            receiver.close()
        self._function = self._then = None

    def give(self, value: Any) -> None:
        """The value the function's `receive()` gives (once, with `awaits`)."""
        assert self._awaits and self._given is None, "give() is for a job that awaits, once"
        self._given = (value,)
        if self._inbox is not None:
            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            _widen(self._inbox.fileno(), len(data) + 4096)
            self._inbox.send_bytes(data)  # `receive` (Connection.recv) unpickles it
            self._inbox.close()
            self._inbox = None

    def result(self) -> Result:
        if self._process is None:
            assert self._function is not None, "result() was already given"
            function, self._function = self._function, None
            if self._awaits:
                assert self._given is not None, "give() comes before result()"
                given = self._given[0]
                value = function(lambda: given)
            else:
                value = function()
            if self._then:
                self._then()
            return value
        try:
            ok, value = self._reader.recv()
        except (EOFError, OSError):
            code = self._process.exitcode
            ok, value = False, RuntimeError(f"a forked process ended early (exit code {code})")
            self.close()
        self._taken = True
        if not ok:
            self.close()
            raise value
        return value

    def close(self) -> None:
        """Wait for the process to end (its `then` done), or stop it if its value was never
        taken (no longer wanted)."""
        if self._process is not None:
            if not self._taken and self._process.exitcode is None:
                self._process.terminate()  # before its pipes close: it sees no broken pipe
            self._process.join()
            self._process = None
            self._reader.close()
        if self._inbox is not None:
            self._inbox.close()
            self._inbox = None


def _widen(pipe: int, size: int) -> None:
    """Linux: let the pipe hold `size` bytes (as far as the system allows), so that writing
    them does not wait for the reader. The related job reads what `give` sends only once it
    has imported scipy and loaded its memo: through a pipe of 64 KB, the 0.8 MB of an
    archive of 11,000 articles held the build up 0.16 s."""
    try:
        import fcntl
    except ImportError:  # Windows: there is no fork, and no such pipe, either
        return
    setting = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setting is None:
        return
    for wanted in (size, 1 << 20):
        with contextlib.suppress(OSError):
            fcntl.fcntl(pipe, setting, wanted)
            return


def _send_result(
    function: Callable[..., Any],
    then: Callable[[], None] | None,
    sender: Connection,
    receiver: Connection | None = None,
    parents_end: Connection | None = None,
) -> None:
    if parents_end is not None:
        parents_end.close()  # else `receive` would never see the parent end
    try:
        result = function() if receiver is None else function(receiver.recv)
        outcome: tuple[bool, Any] = (True, result)
    except BaseException as exc:  # handed to the parent, which raises it
        outcome = (False, exc)
    try:
        sender.send(outcome)
    except Exception as exc:  # an exception that does not pickle: its text, then
        sender.send((False, RuntimeError(f"{type(exc).__name__}: {outcome[1]!r}")))
    sender.close()
    if outcome[0] and then is not None:
        then()
