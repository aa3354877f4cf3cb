"""Build one archive with Broadsheet, Hugo (+ Pagefind) and Pelican; print time and memory.

    python bench/make_corpus.py /tmp/broadsheet-bench          # once: 11,125 articles, 3 ways
    python bench/compare.py /tmp/broadsheet-bench --json /tmp/bench.json
    python bench/compare.py /tmp/broadsheet-bench --scenarios noop,edit --only broadsheet

Scenarios, run in this order for each tool:
- cold: the tool's output and caches moved aside (deleted when the run ends: see `clean`),
  then a build;
- noop: a rebuild with nothing changed;
- edit: one sentence appended to one article (the same article in every tree; named in
  corpus.json), then a rebuild. Each run appends a new sentence, so it is always a real change.
A noop or edit run with no earlier output first makes one untimed build.

Tools (each run as a child process in its own tree under the corpus folder; logs in DIR/logs/):
- broadsheet: `python -m generator build -q` from this checkout (versions, related and the
  Pagefind index included), its bytecode compiled first (`python -m compileall generator`) as
  `pip install` compiles it: a machine that sets PYTHONDONTWRITEBYTECODE, as this VM does,
  would otherwise compile Broadsheet's modules on every run (0.07 s);
- hugo: `hugo --quiet`, and "hugo + pagefind": Hugo, then `python -m pagefind --site public`
  (Pagefind from the `pagefind[bin]` package Broadsheet depends on), timed as one figure;
- pelican: `pelican content -o output -s pelicanconf.py` (default theme, no plugins, its
  content cache on).

Nothing is installed by this script; a missing tool is reported as "not installed":

    apt-get install -y hugo            # Debian's Hugo
    pip install pelican markdown       # Pelican with Markdown support
    pip install 'pagefind[bin]'        # already a Broadsheet dependency

Wall time is measured around each child, and CPU time (user + system, from wait4's rusage, children
included) beside it: on a loaded machine wall time includes waiting for a core. Peak memory is the
larger of two figures: the biggest single process's maximum RSS in the child's tree (from wait4's
rusage) and the largest sum of RSS over the tree sampled from /proc every 0.2 s (so that parallel
workers count together; shared pages are then counted once per process). Ratios (time, CPU, memory)
are peer / Broadsheet for the same scenario: above 1 the peer is slower or bigger. The OS file
cache is left warm. Before each timed build the bench waits until the machine is quiet (writes
flushed, CPUs 90% idle for two seconds: see `settle`). This bench prints figures and never
asserts; it exits 0 whatever it measured.

`--half-speed` times every build beside one busy loop pinned to each CPU, so that each core gives
the build about half its time: a stand-in for a slower machine with as many cores. VMs of the
same kind differ twofold in speed from one day to the next; Hugo + Pagefind's cold build in the
same table says how fast the machine was (about 100 s for 11,125 articles on the machine issue 4
set its targets on; on this VM on 1 December 2026, 83 s at half speed and 48 s at full speed).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIR = Path("/tmp/broadsheet-bench")
SCENARIOS = ("cold", "noop", "edit")
TOOLS = ("broadsheet", "hugo", "pelican")
ASIDE = "set-aside"
"""The folder, under the corpus folder, where cold runs move the last outputs (see `clean`)."""
SAMPLE_SECONDS = 0.2
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass
class Measure:
    """One child process run to its end."""

    seconds: float
    cpu_seconds: float
    """User + system time of the child and its waited-for descendants."""
    peak_kib: int
    returncode: int


@dataclass
class Result:
    """One row of the table: a tool in a scenario (median time and highest peak over repeats)."""

    tool: str
    scenario: str
    status: str
    """"ok", "not installed", or "failed: ..."."""
    seconds: float | None = None
    cpu_seconds: float | None = None
    """User + system seconds of the tool's processes (median): less sensitive to other load."""
    peak_mib: float | None = None
    runs: list[float] = field(default_factory=list)
    """Seconds of every repeat."""
    pages: int | None = None
    """HTML files in the output after the build (cold only)."""
    steps: dict[str, float] = field(default_factory=dict)
    """Seconds per step, where a tool has several (hugo, pagefind): medians over repeats."""
    step_cpu: dict[str, float] = field(default_factory=dict)
    step_peaks_mib: dict[str, float] = field(default_factory=dict)
    """Peak memory per step: the highest over repeats."""
    time_ratio: float | None = None
    cpu_ratio: float | None = None
    memory_ratio: float | None = None


# --- measuring a child ------------------------------------------------------------------------


def _tree_rss_kib(root_pid: int) -> int:
    """Sum of RSS over root_pid and its descendants, from /proc (0 where /proc is missing)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0
    for name in entries:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(name)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * PAGE_SIZE // 1024
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, ()))
    return total


def measure(
    command: Sequence[str], cwd: Path, log: Path, env: dict[str, str], timeout: float | None
) -> Measure:
    """Run command in cwd, output appended to log; wall time and peak memory of its tree."""
    with log.open("a", encoding="utf-8") as out:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        out.write(f"\n$ cd {cwd} && {' '.join(command)}\n")
        out.flush()
        started = time.perf_counter()
        proc = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        sampled = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal sampled
            while not done.wait(SAMPLE_SECONDS):
                sampled = max(sampled, _tree_rss_kib(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        timer = None
        if timeout:
            timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        done.set()
        if timer:
            timer.cancel()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        # Linux gives ru_maxrss in KiB: the max over the child and its waited-for descendants.
        peak = max(usage.ru_maxrss, sampled)
        cpu = usage.ru_utime + usage.ru_stime
        out.write(
            f"# exit {proc.returncode}, {seconds:.2f}s wall, {cpu:.2f}s CPU, "
            f"peak {peak / 1024:.0f} MiB, load average before {load}\n"
        )
    return Measure(seconds, cpu, peak, proc.returncode)


# --- the tools --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tool:
    """How to build, clean and edit one tree."""

    name: str
    tree: str
    """Folder under the corpus folder."""
    steps: tuple[tuple[str, tuple[str, ...]], ...]
    """(step name, command) in order; all steps together are the tool's figure."""
    output: str
    clean: tuple[str, ...]
    """Paths removed for a cold build (output and caches)."""
    env: dict[str, str] = field(default_factory=dict)
    version: tuple[str, ...] = ()
    """The command that prints the tool's version."""


def _python_ok(code: str, env: dict[str, str] | None = None) -> bool:
    try:
        return (
            subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, timeout=60
            ).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


def _version(command: Sequence[str], env: dict[str, str] | None = None) -> str | None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if done.returncode == 0 and text else None


def broadsheet_env() -> dict[str, str]:
    """The environment for `python -m generator` from this checkout, wherever it runs."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def broadsheet_output(site: Path) -> str:
    try:
        config = tomllib.loads((site / "site.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return "public"
    return str(config.get("output_dir", "public"))


def available_tools(corpus: Path, broadsheet_args: Sequence[str]) -> dict[str, Tool | None]:
    """Each tool that can run here, or None where it is not installed."""
    tools: dict[str, Tool | None] = {}
    env = broadsheet_env()
    if _python_ok("import generator.cli", env):
        compiled = (sys.executable, "-m", "compileall", "-q", str(ROOT / "generator"))
        subprocess.run(compiled, env=env, capture_output=True, check=False)
        out = broadsheet_output(corpus / "broadsheet")
        command = (sys.executable, "-m", "generator", "build", "-q", *broadsheet_args)
        tools["broadsheet"] = Tool(
            "broadsheet",
            "broadsheet",
            (("broadsheet", command),),
            out,
            (out, f".{out}.building", f".{out}.spare", f".{out}.previous", ".broadsheet-cache"),
            env,
        )
    else:
        tools["broadsheet"] = None
    hugo = shutil.which("hugo")
    hugo_clean = ("public", "resources", ".hugo-cache", ".hugo_build.lock")
    # Hugo wants an absolute cacheDir; inside the site, so that a cold build removes it.
    hugo_cmd = (
        hugo or "hugo",
        "--quiet",
        "--cacheDir",
        str((corpus / "hugo/.hugo-cache").resolve()),
    )
    if hugo:
        tools["hugo"] = Tool("hugo", "hugo", (("hugo", hugo_cmd),), "public", hugo_clean)
    else:
        tools["hugo"] = None
    pagefind = (sys.executable, "-m", "pagefind", "--site", "public")
    if hugo and _version((sys.executable, "-m", "pagefind", "--version")):
        tools["hugo + pagefind"] = Tool(
            "hugo + pagefind",
            "hugo",
            (("hugo", hugo_cmd), ("pagefind", pagefind)),
            "public",
            hugo_clean,
        )
    else:
        tools["hugo + pagefind"] = None
    pelican = shutil.which("pelican")
    pelican_cmd: tuple[str, ...] | None = (pelican,) if pelican else None
    if pelican_cmd is None and _python_ok("import pelican, markdown"):
        pelican_cmd = (sys.executable, "-m", "pelican")
    if pelican_cmd and _python_ok("import markdown"):
        command = (*pelican_cmd, "content", "-o", "output", "-s", "pelicanconf.py", "-q")
        tools["pelican"] = Tool(
            "pelican",
            "pelican",
            (("pelican", command),),
            "output",
            ("output", "cache", "__pycache__"),
            version=(*pelican_cmd, "--version"),
        )
    else:
        tools["pelican"] = None
    return tools


def versions(tools: dict[str, Tool | None]) -> dict[str, str]:
    found: dict[str, str] = {"python": sys.version.split()[0]}
    if tools.get("broadsheet"):
        version = _version(
            (sys.executable, "-c", "import generator; print(generator.__version__)"),
            broadsheet_env(),
        )
        commit = _version(("git", "-C", str(ROOT), "rev-parse", "--short", "HEAD")) or "?"
        dirty = _version(
            ("git", "-C", str(ROOT), "status", "--porcelain", "--", "generator", "themes")
        )
        found["broadsheet"] = f"{version} at {commit}" + (
            " + uncommitted changes in generator/ or themes/" if dirty else ""
        )
    if tools.get("hugo"):
        found["hugo"] = _version(("hugo", "version")) or "?"
    if tools.get("hugo + pagefind"):
        found["pagefind"] = _version((sys.executable, "-m", "pagefind", "--version")) or "?"
    pelican = tools.get("pelican")
    if pelican:
        found["pelican"] = _version(pelican.version) or "?"
    return found


# --- scenarios --------------------------------------------------------------------------------


def clean(site: Path, tool: Tool, aside: Path) -> None:
    """Move the tool's output and caches into `aside` (deleted when the run ends), so the cold
    build starts without them. Moved, not deleted: on ext4 without a journal (this VM's disk)
    the kernel skips the inodes of files deleted in the last 30 s to 5 minutes each time it
    makes a file (`find_inode_bit`, `recently_deleted`), and a build that makes 60,000 files
    right after deleting 100,000 spent twice the kernel time (cold builds after a deletion,
    25.9 and 32.3 s; after a move, 25.0 and 25.5 s)."""
    aside.mkdir(parents=True, exist_ok=True)
    for name in tool.clean:
        path = site / name
        if path.exists() or path.is_symlink():
            path.rename(aside / f"{tool.tree}-{len(list(aside.iterdir()))}-{name}")


def settle(max_wait: float = 90.0) -> None:
    """Wait until the machine is quiet before a timed build: pending writes flushed and the CPUs
    at least 90% idle (I/O wait counts as busy) for two seconds running. Deleting the last
    build's tree, or a build's own background deletions, otherwise land in the next tool's time
    (a cold build measured 97 s wall for 68 s of CPU right after a cleanup)."""
    os.sync()
    deadline = time.monotonic() + max_wait
    quiet = 0
    while quiet < 2 and time.monotonic() < deadline:
        before = _cpu_ticks()
        time.sleep(1)
        after = _cpu_ticks()
        if before is None or after is None:
            return
        idle, total = after[0] - before[0], after[1] - before[1]
        quiet = quiet + 1 if total and idle / total >= 0.9 else 0


def _cpu_ticks() -> tuple[int, int] | None:
    """(idle, total) CPU ticks since boot from /proc/stat; None off Linux."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return fields[3], sum(fields[:8])


class BusyLoops:
    """One busy loop pinned to each CPU, for `--half-speed`: while they run, each core gives a
    build about half its time, as a machine of half this one's speed would (the scheduler shares
    a core equally between two busy tasks of the same niceness). Started after `settle`."""

    def __init__(self) -> None:
        self.loops: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> BusyLoops:
        for cpu in sorted(os.sched_getaffinity(0)):
            self.loops.append(
                subprocess.Popen(
                    [sys.executable, "-c", "while True: pass"],
                    preexec_fn=functools.partial(os.sched_setaffinity, 0, {cpu}),
                )
            )
        time.sleep(0.5)  # running on every core before the build starts
        return self

    def __exit__(self, *exc: object) -> None:
        for loop in self.loops:
            loop.kill()
            loop.wait()


def append_sentence(path: Path) -> None:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    with path.open("a", encoding="utf-8") as file:
        file.write(f"\nThis sentence was added by bench/compare.py at {stamp}.\n")


def count_pages(folder: Path) -> int:
    return sum(1 for _, _, files in os.walk(folder) for name in files if name.endswith(".html"))


def run_tools(
    tools: list[Tool],
    corpus: Path,
    scenario: str,
    edits: dict[str, str],
    repeat: int,
    logs: Path,
    timeout: float | None,
    half_speed: bool = False,
) -> list[Result]:
    """Each tool's result in one scenario. The repeats take turns (tool A, tool B, A, B, ...):
    a VM whose speed drifts over minutes then slows every tool alike, where one tool's repeats
    run back to back could all land in a slow spell."""
    repeats: dict[str, list[dict[str, Measure]]] = {tool.name: [] for tool in tools}
    errors: dict[str, str] = {}

    def build(tool: Tool) -> tuple[dict[str, Measure], str | None]:
        site, log = corpus / tool.tree, logs / f"{tool.name.replace(' + ', '+')}.log"
        env = {**os.environ, **tool.env}
        steps: dict[str, Measure] = {}
        for step, command in tool.steps:
            run = steps[step] = measure(command, site, log, env, timeout)
            if run.returncode != 0:
                return steps, f"failed: {step} exit {run.returncode} (see {log})"
        return steps, None

    for tool in tools:
        if scenario != "cold" and not (corpus / tool.tree / tool.output).is_dir():
            log = logs / f"{tool.name.replace(' + ', '+')}.log"
            with log.open("a", encoding="utf-8") as out:
                out.write(f"\n# no earlier output: one untimed build before {scenario}\n")
            _, error = build(tool)
            if error:
                errors[tool.name] = error
    for _ in range(repeat):
        for tool in tools:
            if tool.name in errors:
                continue
            site = corpus / tool.tree
            if scenario == "cold":
                clean(site, tool, corpus / ASIDE)
            elif scenario == "edit":
                append_sentence(site / edits[tool.tree])
            settle()
            with BusyLoops() if half_speed else contextlib.nullcontext():
                steps, error = build(tool)
            if error:
                errors[tool.name] = error
            else:
                repeats[tool.name].append(steps)
    return [
        Result(tool.name, scenario, errors[tool.name])
        if tool.name in errors
        else _result(tool, corpus, scenario, repeats[tool.name])
        for tool in tools
    ]


def _result(tool: Tool, corpus: Path, scenario: str, repeats: list[dict[str, Measure]]) -> Result:
    """One row: the median time and CPU over the repeats, the highest peak."""
    runs = [sum(m.seconds for m in steps.values()) for steps in repeats]
    names = list(repeats[0])
    result = Result(
        tool.name,
        scenario,
        "ok",
        seconds=statistics.median(runs),
        cpu_seconds=statistics.median(
            sum(m.cpu_seconds for m in steps.values()) for steps in repeats
        ),
        peak_mib=max(m.peak_kib for steps in repeats for m in steps.values()) / 1024,
        runs=runs,
        steps={n: statistics.median(steps[n].seconds for steps in repeats) for n in names},
        step_cpu={n: statistics.median(steps[n].cpu_seconds for steps in repeats) for n in names},
        step_peaks_mib={n: max(steps[n].peak_kib for steps in repeats) / 1024 for n in names},
    )
    if scenario == "cold":
        result.pages = count_pages(corpus / tool.tree / tool.output)
    return result


def add_ratios(results: list[Result]) -> None:
    base = {r.scenario: r for r in results if r.tool == "broadsheet" and r.status == "ok"}
    for r in results:
        b = base.get(r.scenario)
        if r.status != "ok" or b is None or not b.seconds or not b.peak_mib:
            continue
        assert r.seconds is not None and r.peak_mib is not None
        r.time_ratio = r.seconds / b.seconds
        if r.cpu_seconds is not None and b.cpu_seconds:
            r.cpu_ratio = r.cpu_seconds / b.cpu_seconds
        r.memory_ratio = r.peak_mib / b.peak_mib


# --- output -----------------------------------------------------------------------------------


def table(results: list[Result]) -> str:
    lines = [
        "| scenario | tool | time (s) | CPU (s) | peak RSS (MiB) | time ÷ Broadsheet "
        "| CPU ÷ Broadsheet | memory ÷ Broadsheet | HTML pages |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        if r.status != "ok":
            lines.append(f"| {r.scenario} | {r.tool} | {r.status} | | | | | | |")
            continue
        time_cell = f"{r.seconds:.2f}"
        if len(r.steps) > 1:
            time_cell += " (" + " + ".join(f"{k} {v:.2f}" for k, v in r.steps.items()) + ")"
        lines.append(
            f"| {r.scenario} | {r.tool} | {time_cell} | {r.cpu_seconds:.2f} | {r.peak_mib:.0f} "
            f"| {_ratio(r.time_ratio)} | {_ratio(r.cpu_ratio)} | {_ratio(r.memory_ratio)} "
            f"| {'' if r.pages is None else f'{r.pages:,}'} |"
        )
    return "\n".join(lines)


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _names(text: str, allowed: Sequence[str], flag: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in allowed]
    if unknown:
        sys.exit(f"{flag}: unknown {', '.join(unknown)}; choose from {', '.join(allowed)}")
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "corpus",
        nargs="?",
        type=Path,
        default=DEFAULT_DIR,
        help=f"folder made by bench/make_corpus.py (default {DEFAULT_DIR})",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help="comma-separated: cold,noop,edit"
    )
    parser.add_argument(
        "--only", default=",".join(TOOLS), help="comma-separated: broadsheet,hugo,pelican"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per scenario (median kept)")
    parser.add_argument("--timeout", type=float, help="kill a build step after this many seconds")
    parser.add_argument(
        "--broadsheet-arg",
        action="append",
        default=[],
        help="extra argument for `broadsheet build`, e.g. --broadsheet-arg=--no-search",
    )
    parser.add_argument(
        "--half-speed",
        action="store_true",
        help="time every build beside one busy loop pinned to each CPU (see BusyLoops)",
    )
    args = parser.parse_args(argv)
    scenarios = _names(args.scenarios, SCENARIOS, "--scenarios")
    only = _names(args.only, TOOLS, "--only")
    manifest_path = args.corpus / "corpus.json"
    if not manifest_path.is_file():
        sys.exit(f"{manifest_path} not found: run python bench/make_corpus.py {args.corpus}")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    logs = args.corpus / "logs"
    logs.mkdir(exist_ok=True)

    tools = available_tools(args.corpus, args.broadsheet_arg)
    rows = [name for name in tools if name.split(" ")[0] in only]
    found = versions(tools)
    print(
        f"{manifest['articles']:,} articles ({manifest['reuters']:,} Reuters, "
        f"{manifest['bbc']:,} BBC) in {args.corpus}; {os.cpu_count()} CPUs"
        + (" at half speed (--half-speed); " if args.half_speed else "; ")
        + "; ".join(f"{k} {v}" for k, v in found.items()),
        file=sys.stderr,
    )
    results: list[Result] = []
    running: list[Tool] = []
    for name in rows:
        tool = tools[name]
        # "hugo" alone is the first step of "hugo + pagefind": run it apart only if that is missing
        # or not asked for; otherwise take Hugo's own figure from the combined run.
        if name == "hugo" and tools.get("hugo + pagefind") is not None:
            continue
        if tool is None:
            results.extend(Result(name, scenario, "not installed") for scenario in scenarios)
        else:
            running.append(tool)
    for scenario in scenarios:
        names = ", ".join(tool.name for tool in running)
        print(f"  {scenario}: {names}, {args.repeat} turn(s) ...", file=sys.stderr, flush=True)
        done = run_tools(
            running,
            args.corpus,
            scenario,
            manifest["edit"],
            args.repeat,
            logs,
            args.timeout,
            args.half_speed,
        )
        for result in done:
            runs = " ".join(f"{seconds:.2f}" for seconds in result.runs)
            print(f"    {result.tool}: {result.status} {runs}", file=sys.stderr, flush=True)
        results.extend(done)
    shutil.rmtree(args.corpus / ASIDE, ignore_errors=True)
    results = split_hugo(results)
    add_ratios(results)
    order = {s: i for i, s in enumerate(SCENARIOS)}
    tool_order = {t: i for i, t in enumerate(tools)}
    results.sort(key=lambda r: (order[r.scenario], tool_order[r.tool]))

    print(table(results))
    print()
    print("Versions: " + "; ".join(f"{k} {v}" for k, v in found.items()))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "corpus": {**manifest, "folder": str(args.corpus)},
                    "machine": {
                        "cpus": os.cpu_count(),
                        "platform": platform.platform(),
                        "memory_gib": round(
                            os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1
                        ),
                    },
                    "versions": found,
                    "repeat": args.repeat,
                    "broadsheet_args": args.broadsheet_arg,
                    "half_speed": args.half_speed,
                    "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "results": [asdict(r) for r in results],
                },
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0


def split_hugo(results: list[Result]) -> list[Result]:
    """Add a "hugo" row, Hugo's own step, before each "hugo + pagefind" row."""
    out: list[Result] = []
    for r in results:
        if r.tool == "hugo + pagefind":
            if r.status == "ok":
                # The median of Hugo's step over repeats; with one repeat, exactly that run.
                hugo = Result(
                    "hugo",
                    r.scenario,
                    "ok",
                    seconds=r.steps["hugo"],
                    cpu_seconds=r.step_cpu["hugo"],
                    peak_mib=r.step_peaks_mib["hugo"],
                    pages=r.pages,
                )
            elif any(h.tool == "hugo" and h.scenario == r.scenario for h in results):
                hugo = None  # Hugo itself is missing: its row is there already
            else:
                hugo = Result("hugo", r.scenario, r.status)
            if hugo:
                out.append(hugo)
        out.append(r)
    return out


if __name__ == "__main__":
    sys.exit(main())
