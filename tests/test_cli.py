"""What `broadsheet build` prints: the closing summary, -q and -v, and progress bars only on a
terminal (a real pseudo-terminal here, sized like a window)."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import termios
from pathlib import Path

import pytest

from tests.browser.harness import cli_command, cli_env, copy_sample, run_cli
from tests.helpers import generate_archive

GOOD = '---\ntitle: "{title}"\ndate: 2024-05-0{day}\n---\nA plain, sound paragraph.\n'


@pytest.fixture
def clean_site(tmp_path: Path) -> Path:
    """Two sound articles and a site.toml with nothing unknown: a build with no warnings."""
    root = tmp_path / "clean"
    (root / "content").mkdir(parents=True)
    (root / "site.toml").write_text('title = "Clean"\n', encoding="utf-8")
    for day, title in ((1, "Harbour opens"), (2, "Harbour closes")):
        (root / "content" / f"{day}.md").write_text(GOOD.format(title=title, day=day))
    return root


def test_the_summary_counts_articles_pages_warnings_and_gives_seconds_per_stage(
    tmp_path: Path,
) -> None:
    root = copy_sample("basic", tmp_path / "basic")
    process = run_cli("build", "--no-search", cwd=root)
    assert process.returncode == 0, process.stderr
    built, counted, timed = process.stdout.splitlines()
    assert built.startswith("Built 3 articles (0 stories with several versions, 1 draft not")
    assert re.search(r"into public/: \d+ pages \(\d+ written, 0 unchanged\)\.$", built), built
    # broken.md is skipped, and named on stderr; the first build finds nothing in the cache
    assert counted == "0 warning(s), 1 file(s) skipped; 0 of 5 files from the cache."
    assert "content/news/broken.md:1: error:" in process.stderr
    assert re.fullmatch(
        r"\d+\.\d\ds: read \d+\.\d\ds, analyse \d+\.\d\ds, render \d+\.\d\ds, write \d+\.\d\ds, "
        r"manifest \d+\.\d\ds\.",
        timed,
    ), timed


def test_quiet_prints_nothing_for_a_clean_build(clean_site: Path) -> None:
    process = run_cli("build", "-q", "--no-search", cwd=clean_site)
    assert process.returncode == 0, process.stderr
    assert (process.stdout, process.stderr) == ("", "")
    assert (clean_site / "public" / "index.html").is_file()


def test_verbose_adds_the_peak_memory_of_each_stage(clean_site: Path) -> None:
    process = run_cli("build", "-v", "--no-search", cwd=clean_site)
    assert process.returncode == 0, process.stderr
    lines = process.stdout.splitlines()
    assert lines[1].startswith("0 warning(s), 0 file(s) skipped")
    assert re.fullmatch(
        r"Peak memory of the build process by the end of each stage: read \d+ MB, "
        r"analyse \d+ MB, render \d+ MB, write \d+ MB\.",
        lines[-1],
    ), lines


def test_unknown_keys_in_site_toml_are_counted_as_warnings(clean_site: Path) -> None:
    config = clean_site / "site.toml"
    config.write_text(config.read_text() + 'colour = "blue"\n[search]\nshards = 4\n')
    process = run_cli("build", "--no-search", cwd=clean_site)
    assert process.returncode == 0, process.stderr
    assert "unknown key 'colour' is ignored" in process.stderr
    assert "unknown key search.'shards' is ignored" in process.stderr
    assert process.stdout.splitlines()[1].startswith("2 warning(s), 0 file(s) skipped")


@pytest.mark.parametrize("jobs", [[], ["--jobs", "1"]], ids=["surveyed-ahead", "one-process"])
def test_an_edit_between_two_builds_shows_and_only_that_file_is_read_again(
    clean_site: Path, jobs: list[str]
) -> None:
    assert run_cli("build", "--no-search", *jobs, cwd=clean_site).returncode == 0
    article = clean_site / "content" / "2.md"
    article.write_text(article.read_text().replace("Harbour closes", "Harbour reopens"))
    process = run_cli("build", "--no-search", *jobs, cwd=clean_site)
    assert process.returncode == 0, process.stderr
    assert process.stdout.splitlines()[1].endswith("; 1 of 2 files from the cache.")
    page = clean_site / "public" / "2024" / "05" / "harbour-reopens" / "index.html"
    assert "Harbour reopens" in page.read_text(encoding="utf-8")


def run_on_a_terminal(*args: str, cwd: Path) -> tuple[int, str, str]:
    """Run the command with stderr on a pseudo-terminal 120 columns wide (a terminal with no
    size gets no bars from tqdm) and stdout on a pipe; returns (exit code, the terminal's
    text, stdout)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    process = subprocess.Popen(
        cli_command(*args), cwd=cwd, env=cli_env(), stdout=subprocess.PIPE, stderr=slave
    )
    os.close(slave)
    screen = b""
    try:
        while chunk := _read(master):
            screen += chunk
        stdout = process.stdout.read() if process.stdout else b""
        process.wait(timeout=300)
    finally:
        os.close(master)
        if process.stdout:
            process.stdout.close()
    return process.returncode, screen.decode(errors="replace"), stdout.decode()


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: the other end closed when the build ended
        return b""


STEPS = ["read:", "analyse: features", "analyse: grouping", "analyse: related", "render:"]
STEPS_OF_SEARCH = ["search: indexing 1 of 1 shard(s)"]


@pytest.fixture(scope="module")
def bigger_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough articles (200 and more) for the read and render bars."""
    return generate_archive(tmp_path_factory.mktemp("progress") / "site", 220)


def test_on_a_terminal_every_stage_shows_progress_and_stdout_keeps_only_the_summary(
    bigger_site: Path, tmp_path: Path
) -> None:
    code, screen, stdout = run_on_a_terminal(
        "build", "--no-cache", "-o", str(tmp_path / "out"), cwd=bigger_site
    )
    assert code == 0, screen
    for step in STEPS + STEPS_OF_SEARCH:
        assert step in screen, (step, screen)
    assert re.search(r"render: +\d+%\|", screen), screen
    assert "\r" not in stdout and "%|" not in stdout
    assert stdout.startswith("Built 220 articles")


def test_quiet_on_a_terminal_shows_no_progress(bigger_site: Path, tmp_path: Path) -> None:
    code, screen, stdout = run_on_a_terminal(
        "build", "-q", "--no-cache", "--no-search", "-o", str(tmp_path / "out"), cwd=bigger_site
    )
    assert code == 0, screen
    assert (screen.strip(), stdout) == ("", "")


def test_without_a_terminal_no_progress_is_printed(bigger_site: Path, tmp_path: Path) -> None:
    process = run_cli("build", "--no-cache", "-o", str(tmp_path / "out"), cwd=bigger_site)
    assert process.returncode == 0, process.stderr
    assert process.stderr == ""
    for step in STEPS + STEPS_OF_SEARCH:
        assert step not in process.stdout
    assert "\r" not in process.stdout and "%|" not in process.stdout
    assert process.stdout.startswith("Built 220 articles")
