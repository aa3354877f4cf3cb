"""Run a command; print its wall time and the peak memory of its whole process tree.

    python bench/tree_memory.py broadsheet build -v

Peak PSS sums every process's proportional set size (a page shared by forked workers counts
once, split between them): the physical memory the build takes. Summed RSS counts shared pages
once per process, so it overstates forked trees; both are printed, with each process's PSS at
the moment of the peak (which process took it, and when). Sampled every 0.25 s from /proc
(Linux). `/usr/bin/time -v` gives the largest single process instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time


def main() -> None:
    started = time.perf_counter()
    process = subprocess.Popen(sys.argv[1:])
    peak_pss = peak_rss = 0
    at_peak: list[str] = []
    while process.poll() is None:
        pss = rss = 0
        each = []
        for pid in _tree(process.pid):
            p, r = _memory(pid)
            pss, rss = pss + p, rss + r
            each.append(f"{_name(pid)} ({pid}) {p / 2**20:.0f} MiB")
        if pss > peak_pss:
            at_peak = [f"at {time.perf_counter() - started:.1f} s:", *each]
        peak_pss, peak_rss = max(peak_pss, pss), max(peak_rss, rss)
        time.sleep(0.25)
    print(
        f"wall {time.perf_counter() - started:.1f} s, peak tree PSS {peak_pss / 2**20:.0f} MiB, "
        f"peak tree RSS {peak_rss / 2**20:.0f} MiB, exit {process.returncode}",
        file=sys.stderr,
    )
    print("PSS at the peak " + "; ".join(at_peak), file=sys.stderr)
    sys.exit(process.returncode)


def _name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as comm:
            return comm.read().strip()
    except OSError:
        return "?"


def _tree(root: int) -> list[int]:
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    stack += [int(child) for child in children.read().split()]
        except OSError:
            continue
    return found


def _memory(pid: int) -> tuple[int, int]:
    """(PSS, RSS) in bytes, 0 for a process that has gone."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1]) * 1024
    except OSError:
        pass
    return pss, rss


if __name__ == "__main__":
    main()
