"""Time from saving an article to the browser's reload signal in `broadsheet serve`.

    python bench/serve_reload.py SITE_FOLDER [--edits 3] [--port 8765]

Starts `python -m generator serve` in SITE_FOLDER (a site with site.toml and content/, e.g. the
archive bench/make_corpus.py writes, at /tmp/broadsheet-bench/broadsheet), waits for the first
build, then edits one article (appends a sentence) `--edits` times. Each time it listens on the
server's event stream, as the page's reload script does, and prints the seconds from the file's
save to the first "reload" event (the debounce of 0.3 s included: serve's quick update of the
edited article's pages), then fetches the article page and checks the sentence is there; then
the seconds to the end of the full rebuild that follows ("Rebuilt" on serve's output), which it
waits for before the next edit. The edited file is restored at the end. Figures only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from generator.serve import EVENTS_PATH  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--edits", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--no-search", action="store_true", help="serve without the search index")
    parser.add_argument("--jobs", type=int, help="passed to serve --jobs")
    args = parser.parse_args()
    site = args.site.resolve()
    article = _an_article(site / "content")
    original = article.read_bytes()
    command = [sys.executable, "-m", "generator", "serve", "--port", str(args.port)]
    if args.no_search:
        command.append("--no-search")
    if args.jobs:
        command += ["--jobs", str(args.jobs)]
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    started = time.perf_counter()
    server = subprocess.Popen(
        command,
        cwd=site,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        base = _wait_until_serving(server)
        print(f"first build and serving: {time.perf_counter() - started:.1f} s ({base})")
        for edit in range(1, args.edits + 1):
            sentence = f"Serve bench edit number {edit} at {time.time_ns()}."
            REBUILT.clear()
            saved = time.perf_counter()
            seconds = _time_one_edit(base, article, sentence)
            if not REBUILT.wait(timeout=600):
                raise SystemExit("no full rebuild within 600 s")
            rebuilt = REBUILT_AT[-1] - saved
            print(
                f"edit {edit}: reload after {seconds:.2f} s, "
                f"full rebuild done after {rebuilt:.2f} s"
            )
    finally:
        article.write_bytes(original)
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def _an_article(content: Path) -> Path:
    return min(p for p in content.rglob("*") if p.suffix in (".md", ".txt") and p.is_file())


def _wait_until_serving(server: subprocess.Popen[str]) -> str:
    assert server.stdout is not None
    for line in server.stdout:
        print(f"  serve: {line.rstrip()}")
        if line.startswith("Serving "):
            threading.Thread(target=_drain, args=(server,), daemon=True).start()
            return line.split()[1]
    raise SystemExit(f"serve exited ({server.wait()}) before serving")


REBUILT = threading.Event()
REBUILT_AT: list[float] = []


def _drain(server: subprocess.Popen[str]) -> None:
    assert server.stdout is not None
    for line in server.stdout:
        if line.startswith(("Rebuilt", "Updated")) or "error" in line.lower():
            print(f"  serve: {line.rstrip()}")
        if line.startswith(("Rebuilt", "Rebuild failed")):
            REBUILT_AT.append(time.perf_counter())
            REBUILT.set()


def _time_one_edit(base: str, article: Path, sentence: str) -> float:
    host, port = base.split("//")[1].split("/")[0].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=600)
    connection.request("GET", EVENTS_PATH)
    stream = connection.getresponse()
    time.sleep(0.2)  # the server has taken the stream's starting generation
    with article.open("a", encoding="utf-8") as handle:
        handle.write(f"\n\n{sentence}\n")
    saved = time.perf_counter()
    while line := stream.readline():
        if line.startswith(b"event: reload"):
            reloaded = time.perf_counter() - saved
            break
        if line.startswith(b"event: failed"):
            raise SystemExit(f"rebuild failed: {stream.readline().decode()}")
    else:
        raise SystemExit("the event stream closed without a reload")
    connection.close()
    page = _fetch(base, _url_of(base, article))
    if sentence not in page:
        raise SystemExit(f"the reloaded page does not show the edit: {article}")
    return reloaded


def _url_of(base: str, article: Path) -> str:
    """The article's URL, from the site's catalog.json (by its path under content/)."""
    catalog = json.loads(_fetch(base, "catalog.json"))
    for entry in catalog["articles"]:
        if article.as_posix().endswith("/content/" + entry["source_path"]):
            return entry["url"]
    raise SystemExit(f"{article} is not in catalog.json")


def _fetch(base: str, path: str) -> str:
    origin = base.split("//")[0] + "//" + base.split("//")[1].split("/")[0]
    url = origin + path if path.startswith("/") else base + path
    with urllib.request.urlopen(url) as response:
        return response.read().decode("utf-8")


if __name__ == "__main__":
    main()
