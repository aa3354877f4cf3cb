"""A build killed with SIGKILL at any moment leaves the previous site whole, and the next build
succeeds; two builds of the same input give the same bytes.

The archive is generated here (seeded nonsense words, so nothing is copied from anywhere), large
enough that a build takes several seconds and each kill lands inside a real stage."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser.harness import build_with_cli, cli_command, cli_env, copy_demo, run_cli
from tests.helpers import differences, generate_archive, snapshot

ARTICLES = 600
TITLE = "Generated Archive"  # generate_archive's site title
RETITLED = "Generated Archive, rebuilt"


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, name) of the processes whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
            found.append((int(entry.name), name))
    return found


def _in_search_step(process: subprocess.Popen[str]) -> bool:
    """True once the build has started the Pagefind binary (the search step)."""
    return any("pagefind" in name for _, name in _children(process.pid))


@dataclass(frozen=True)
class Kill:
    label: str
    when: Callable[[subprocess.Popen[str], float], bool]
    """Given the build and the seconds since it started: kill now?"""

    def sooner(self, factor: float) -> Kill:
        """The same kill, its time scaled by `factor`."""
        return Kill(f"{self.label} (x{factor})", lambda p, t: self.when(p, t / factor))


def _swap_title(config: Path, title: str) -> str:
    """Give the site the other title (every page changes); returns the new one."""
    other = TITLE if title == RETITLED else RETITLED
    text = config.read_text()
    config.write_text(text.replace(f'"{title}"', f'"{other}"', 1))
    return other


def _kills(rebuild_seconds: float) -> list[Kill]:
    """Kills spread over a rebuild that takes `rebuild_seconds` when left alone (fixed times
    would let a faster build finish first), and one once Pagefind runs."""

    def after(share: float) -> Kill:
        return Kill(f"after {share:.0%} of a rebuild", lambda _p, t: t >= share * rebuild_seconds)

    return [
        *(after(share) for share in (0.05, 0.2, 0.45, 0.75)),
        Kill("during the search step", lambda p, _t: _in_search_step(p)),
    ]


def _kill_build(root: Path, out: Path, kill: Kill) -> str:
    """Start a build and SIGKILL it (and its Pagefind child, one process group) when `kill`
    says; returns what happened."""
    process = subprocess.Popen(
        cli_command("build", "-q", "-o", str(out)),
        cwd=root,
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    started = time.monotonic()
    try:
        while process.poll() is None:
            if kill.when(process, time.monotonic() - started):
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
                return f"killed {kill.label} at {time.monotonic() - started:.2f} s"
            time.sleep(0.01)
        return f"finished before it could be killed {kill.label} (exit {process.returncode})"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_archive(tmp_path_factory.mktemp("crash") / "site", ARTICLES)


def test_a_killed_build_leaves_the_previous_site_whole_and_the_next_build_succeeds(
    generated: Path,
) -> None:
    out = generated.parent / "public"
    started = time.monotonic()
    build_with_cli(generated, out)
    good_seconds = time.monotonic() - started
    good = snapshot(out)
    assert len(good) > ARTICLES and all(TITLE.encode() in good[k] for k in ("index.html",))

    # The next build changes every page, so a half-swapped site could not pass for the old one.
    config = generated / "site.toml"
    config.write_text(config.read_text().replace(TITLE, RETITLED))
    started = time.monotonic()
    timed = build_with_cli(generated, generated.parent / "timed")  # how long such a rebuild takes
    rebuild_seconds = time.monotonic() - started
    whole_sites = {TITLE: good, RETITLED: snapshot(timed.out)}
    outcomes, expected, title = [], good, RETITLED
    for kill in _kills(rebuild_seconds):
        outcome = _kill_build(generated, out, kill)
        for sooner in (0.5, 0.25):
            if outcome.startswith("killed"):
                break
            # It finished first (builds after a kill find more in the cache): its site is the
            # one to keep now, and the next try, killed sooner, changes every page back.
            expected, title = snapshot(out), _swap_title(config, title)
            outcome = _kill_build(generated, out, kill.sooner(sooner))
        outcomes.append(outcome)
        assert outcome.startswith("killed"), f"{outcome}; a rebuild took {rebuild_seconds:.1f} s"
        site = snapshot(out)
        if differences(site, expected) and not differences(site, whole_sites[title]):
            # Killed after it swapped its site in (while it saved its record): the new site is
            # whole, and the one to keep now; the next try changes every page back.
            outcome += ", after its site was swapped in"
            expected, title = site, _swap_title(config, title)
        assert differences(site, expected) == [], outcome

    final = run_cli("build", "-o", str(out), cwd=generated)
    assert final.returncode == 0, final.stdout + final.stderr
    rebuilt = snapshot(out)
    assert sorted(rebuilt) == sorted(good)
    assert title.encode() in rebuilt["index.html"]
    # the replaced site, kept for the next build; sites replaced before it are deleted by a
    # background process, which may still be at work
    assert _leftovers(out, settle=30) == [f".{out.name}.lock", f".{out.name}.spare"]
    # Neither the cache nor the spare the killed builds left made a difference: a clean build
    # agrees byte for byte.
    clean = generated.parent / "clean"
    uncached = run_cli("build", "--no-cache", "-o", str(clean), cwd=generated)
    assert uncached.returncode == 0, uncached.stdout + uncached.stderr
    assert differences(rebuilt, snapshot(clean)) == []
    print(f"good build {good_seconds:.1f} s;", "; ".join(outcomes))


def _leftovers(out: Path, settle: float) -> list[str]:
    """The folders a build left beside `out`, once background deletions are done (or `settle`
    seconds have passed)."""
    deadline = time.monotonic() + settle
    while True:
        found = sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))
        if not any(".discarded-" in name for name in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_two_builds_of_the_same_input_in_different_folders_are_byte_identical(
    tmp_path: Path,
) -> None:
    one, two = copy_demo(tmp_path / "one", shard_size=4), copy_demo(tmp_path / "two", shard_size=4)
    first = build_with_cli(one, tmp_path / "one-site", "/archive/")
    second = build_with_cli(two, tmp_path / "two-site", "/archive/")
    a, b = snapshot(first.out), snapshot(second.out)  # pagefind/ included, in 4 shards
    assert any(k.startswith("pagefind/shard-") for k in a)
    assert differences(a, b) == []


HOLD_THE_LOCK = """
import sys, time
from pathlib import Path
from generator.output import build_lock
with build_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_second_build_of_a_site_being_built_stops_at_once_and_names_the_first(
    tmp_path: Path,
) -> None:
    """Two builds of one site would share its staging folders and cache: the second stops
    before touching either, says which process holds the site, and the site stays whole."""
    root = copy_demo(tmp_path / "demo")
    first = run_cli("build", "--no-search", cwd=root)
    assert first.returncode == 0, first.stderr
    before = snapshot(root / "public")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, str(root / "public")],
        stdout=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        (root / "content" / "new.md").write_text("---\ntitle: A late story\n---\nIts text.\n")
        second = run_cli("build", "--no-search", cwd=root)
        assert second.returncode != 0
        assert f"Another build of this site is writing public/ (process {holder.pid})" in (
            second.stderr
        )
        assert "Traceback" not in second.stderr
        assert differences(snapshot(root / "public"), before) == []
        assert not (root / ".public.building").exists()
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout:
            holder.stdout.close()
    third = run_cli("build", "--no-search", cwd=root)  # the lock went with its process
    assert third.returncode == 0, third.stderr
    assert "A late story" in (root / "public" / "catalog.json").read_text(encoding="utf-8")
