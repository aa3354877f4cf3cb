"""What a search shard size costs the reader: the first search's time in Chromium and how far
the merged ranking strays from one bundle's.

Build the same archive with different `[search] shard_size` values, then give their output
folders, the reference first (one bundle: a `shard_size` above the archive's size):

    python bench/search_shards.py /tmp/one/public /tmp/s1000/public /tmp/s500/public

Each folder is served by `python -m http.server` (`--protocol`: HTTP/1.0 by default, one
connection per request; its HTTP/1.1 keeps connections, but served them slower and more
erratically in our runs) and opened in headless Chromium (Debian's `chromium`, driven by
Playwright). For each query, a fresh browser context (an empty cache) loads `/search/?q=...`
and the time to the first result shown is taken; then the top ten results are read through the
search page's own module (static/search/pagefind.js, the shards merged) and compared with the
reference's top ten: the share of the reference's results among them. `--same REGEX`: URLs that
are equal once the pattern is removed count as one (`-copy-[0-9]+` for make_corpus.py's copies,
whose equal texts tie in any order).

Printed per folder: its shards, the requests of a first search, the median and range of the
first-search times, and that share (median and range over the queries).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

QUERIES = [
    "oil", "election", "football", "barrier", "music", "bank", "film", "minister",
    "broadband", "tax", "champion", "strike",
]  # fmt: skip

TOP_TEN = """async (query) => {
    const search = await import("/static/search/pagefind.js");
    const found = await search.search(query);
    const top = await Promise.all(found.results.slice(0, 10).map((r) => r.data()));
    return top.map((d) => d.url);
}"""


def bundles_in(site: Path) -> int:
    """The Pagefind bundles of a built site: the main one and the shards it lists."""
    listing = site / "pagefind" / "shards.json"
    if not listing.is_file():
        return 1
    return 1 + len(json.loads(listing.read_text("utf-8"))["bundles"])


def first_search(browser: Any, port: int, query: str) -> tuple[float, int, list[str]]:
    """Seconds to the first result and requests made, in a fresh browser context, and the
    query's top ten URLs."""
    context = browser.new_context()
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    start = time.perf_counter()
    page.goto(f"http://127.0.0.1:{port}/search/?q={query}")
    page.wait_for_selector(".pagefind-ui__result", timeout=120_000)
    seconds, requests = time.perf_counter() - start, len(asked)
    top = page.evaluate(TOP_TEN, query)
    context.close()
    return seconds, requests, top


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sites", nargs="+", type=Path, help="built sites, the reference first")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--queries", default=",".join(QUERIES), help="comma-separated")
    parser.add_argument("--same", default="", help="regex removed from URLs before comparing")
    parser.add_argument("--protocol", default="HTTP/1.0", help="the server's HTTP version")
    args = parser.parse_args()
    queries = [q for q in args.queries.split(",") if q]
    from playwright.sync_api import sync_playwright

    servers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "http.server",
                str(8900 + i),
                "-d",
                str(site),
                "-p",
                args.protocol,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i, site in enumerate(args.sites)
    ]
    time.sleep(1)
    found: dict[tuple[int, str], tuple[float, int, list[str]]] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=args.chromium, args=["--no-sandbox"]
            )
            for query in queries:  # the sites take turns: the machine's speed drifts
                for i, _ in enumerate(args.sites):
                    found[i, query] = first_search(browser, 8900 + i, query)
            browser.close()
    finally:
        for server in servers:
            server.terminate()
    same = re.compile(args.same) if args.same else None

    def named(urls: list[str]) -> set[str]:
        return {same.sub("", url) for url in urls} if same else set(urls)

    print(f"{len(queries)} queries: {', '.join(queries)}")
    print("| site | shards | requests | first search (s) | top ten shared with the first's |")
    print("| --- | ---: | ---: | --- | --- |")
    for i, site in enumerate(args.sites):
        times = [found[i, q][0] for q in queries]
        requests = [found[i, q][1] for q in queries]
        shared = [
            100 * len(named(found[i, q][2]) & named(found[0, q][2])) / len(named(found[0, q][2]))
            for q in queries
        ]
        print(
            f"| {site} | {bundles_in(site)} | {statistics.median(requests):.0f} "
            f"| {statistics.median(times):.2f} ({min(times):.2f}-{max(times):.2f}) "
            f"| {statistics.median(shared):.0f}% ({min(shared):.0f}-{max(shared):.0f}%) |"
        )


if __name__ == "__main__":
    main()
