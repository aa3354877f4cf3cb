"""The `broadsheet` command: argument parsing and printing only; the work is in pipeline.py.

The pipeline is imported only once the command knows what to do: `build` first sets the
content folder's listing and stats going on another process (ahead.py)."""

from __future__ import annotations

import argparse
import dataclasses
import functools
import logging
import os
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .ahead import Ahead
from .cache import CACHE_DIR
from .config import ConfigWarning, SiteConfig, load_config
from .errors import BroadsheetError, ConfigError, ContentError
from .source_state import Stated, reading_settings, stat_sources

if TYPE_CHECKING:
    from .output import ListedSpare
    from .pipeline import BuildReport, Progress


class _ShowVersion(argparse.Action):
    """--version: the installed version, looked up only when asked for (`generator.__getattr__`)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(
            option_strings,
            argparse.SUPPRESS,
            nargs=0,
            default=argparse.SUPPRESS,
            help="show the version and exit",
        )

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from . import __version__

        parser.exit(message=f"broadsheet {__version__}\n")


_HEAP: list[object] | None = None
"""Under `run`, what a build leaves for the exit to drop with the process, unfreed (a `main`
called in a longer-lived process frees it as usual)."""


def run() -> None:
    """The `broadsheet` command: `main`, then exit at once. A build leaves a large heap (400 MB
    at 11,000 articles) that the interpreter would take 0.2 s to tear down; every file is
    written and closed by then, and the output streams are flushed here."""
    global _HEAP
    _HEAP = []
    code = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("generator").setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    try:
        return int(args.handler(args))
    except ConfigError as exc:
        _error(str(exc))
        return 2
    except ContentError as exc:
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        _error(str(exc))
        return 1
    except BroadsheetError as exc:
        if args.verbose:
            traceback.print_exc()
        _error(str(exc))
        return 1
    except KeyboardInterrupt:
        print("\nInterrupted; the previous site is untouched.", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="broadsheet",
        description="Build a static, searchable website from a folder of news articles.",
    )
    parser.add_argument("--version", action=_ShowVersion)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-c", "--config", default="site.toml", help="the site's config file (default: site.toml)"
    )
    common.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    common.add_argument(
        "-v", "--verbose", action="store_true", help="print more, with tracebacks on errors"
    )
    common.add_argument("--strict", action="store_true", help="fail the build on any warning")
    common.add_argument("-o", "--output", help="output folder (overrides output_dir)")
    common.add_argument(
        "--base-url", help="overrides base_url, e.g. /archive/ or https://example.org/archive/"
    )
    common.add_argument("--no-search", action="store_true", help="skip the Pagefind search index")
    common.add_argument(
        "-j", "--jobs", type=int, default=None, help="processes for reading (default: all cores)"
    )
    common.add_argument(
        "--no-cache", action="store_true", help="ignore and do not update .broadsheet-cache/"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    build_parser = sub.add_parser("build", parents=[common], help="build the site into output_dir")
    build_parser.set_defaults(handler=_build)
    serve_parser = sub.add_parser(
        "serve", parents=[common], help="build, serve on localhost and rebuild on every change"
    )
    serve_parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve_parser.add_argument(
        "-p", "--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)"
    )
    serve_parser.set_defaults(handler=_serve)
    check_parser = sub.add_parser(
        "check",
        parents=[common],
        help="check a built site: every internal link, image, asset and #fragment resolves",
    )
    check_parser.set_defaults(handler=_check)
    return parser


def _load(args: argparse.Namespace) -> SiteConfig:
    return _load_counting(args)[0]


def _load_counting(args: argparse.Namespace) -> tuple[SiteConfig, int]:
    """The site's config, after printing its warnings (unknown keys); also their number, which
    the build's summary counts with the content's."""
    overrides: dict[str, Any] = {}
    if args.output:
        overrides["output_dir"] = str(Path(args.output).resolve())
    if args.base_url:
        overrides["base_url"] = args.base_url
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConfigWarning)
        config = load_config(args.config, overrides)
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    if caught and args.strict:
        raise ConfigError(Path(args.config).name, [str(w.message) for w in caught])
    return config, len(caught)


def _build(args: argparse.Namespace) -> int:
    config, config_warnings = _load_counting(args)
    started = time.perf_counter()
    surveying, listing = _begin_ahead(config, args)
    try:
        from .pipeline import build  # while the content and spare folders are listed

        with _progress_bar(enabled=not args.quiet and sys.stderr.isatty()) as progress:
            report = build(
                config,
                strict=args.strict,
                search=False if args.no_search else None,
                jobs=args.jobs,
                use_cache=not args.no_cache,
                progress=progress,
                keep_heap=_HEAP,
                surveyed=surveying.result if surveying else None,
                listed_spare=listing.result if listing else None,
            )
    finally:
        for ahead in (surveying, listing):
            if ahead:
                ahead.close()
    for problem in report.problems:
        print(str(problem), file=sys.stderr)
    if not args.quiet:
        seconds = time.perf_counter() - started
        print(_summary(report, config.output_dir, seconds, config_warnings))
        if args.verbose and report.peak_mb:
            peaks = ", ".join(f"{name} {mb:,.0f} MB" for name, mb in report.peak_mb.items())
            print(f"Peak memory of the build process by the end of each stage: {peaks}.")
    return 1 if report.errors and args.strict else 0


def _begin_ahead(
    config: SiteConfig, args: argparse.Namespace
) -> tuple[Ahead[Stated] | None, Ahead[ListedSpare] | None]:
    """List and stat the content folder, and list the last site's spare folder, on other
    processes while this one imports the pipeline (half a second, on one core). At 11,125
    articles, an edit's rebuild took 2.93 s instead of 3.34 s with the content folder's begun
    early, then 2.42 s instead of 2.64 s with the spare's too (medians of 8 turns each). Not
    with --jobs 1 (one process)."""
    if args.jobs == 1:
        return None, None
    surveying = None
    if config.content_dir.is_dir():
        cache_dir = None if args.no_cache else config.root / CACHE_DIR
        settings = reading_settings(config)
        surveying = Ahead(functools.partial(stat_sources, config.content_dir, cache_dir, settings))
    from .output import list_spare, spare_folder

    listing: Ahead[ListedSpare] | None = None
    if spare_folder(config.output_dir).is_dir():
        listing = Ahead(functools.partial(list_spare, config.output_dir))
    return surveying, listing


def _serve(args: argparse.Namespace) -> int:
    from .serve import serve

    config = _load(args)
    if args.no_search:
        config = dataclasses.replace(
            config, search=dataclasses.replace(config.search, enabled=False)
        )
    serve(
        config,
        reload_config=lambda: _load(args),
        host=args.host,
        port=args.port,
        echo=(lambda _: None) if args.quiet else print,
    )
    return 0


def _check(args: argparse.Namespace) -> int:
    from .check import broken_links

    config = _load(args)
    if not config.output_dir.is_dir():
        _error(f"{config.output_dir.name}/ does not exist: run `broadsheet build` first")
        return 1
    broken = list(broken_links(config.output_dir, config.base_url))
    for link in broken:
        print(str(link))
    if not args.quiet:
        print(f"{len(broken)} broken link(s) in {config.output_dir.name}/")
    return 1 if broken else 0


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number:,} {one if number == 1 else many or one + 's'}"


def _summary(report: BuildReport, output: Path, seconds: float, config_warnings: int = 0) -> str:
    """The closing lines: what was built, the warnings (site.toml's and the content's), the
    files skipped, and the seconds each stage took."""
    warned = len(report.warnings) + config_warnings
    stages = ", ".join(f"{name} {secs:.2f}s" for name, secs in report.timings.items())
    search = (
        f", search index over {report.searchable} pages in "
        f"{_count(report.search_shards, 'shard')} ({report.search_reindexed} indexed anew, "
        f"{_count(report.search_read, 'document')} read by Pagefind)"
        if report.searchable
        else ""
    )
    cached = report.cache_hits + report.cache_misses
    cache = f"; {report.cache_hits} of {cached} files from the cache" if cached else ""
    return "\n".join(
        [
            f"Built {_count(report.articles, 'article')} "
            f"({_count(report.stories, 'story', 'stories')} with several versions, "
            f"{_count(report.drafts, 'draft')} not published) into {output.name}/: "
            f"{_count(report.pages, 'page')} "
            f"({report.written} written, {report.unchanged} unchanged){search}.",
            f"{warned} warning(s), {len(report.errors)} file(s) skipped{cache}.",
            f"{seconds:.2f}s: {stages}.",
        ]
    )


class _progress_bar:
    """On a terminal, one line at a time: a tqdm bar for a stage that counts its items (read,
    render: shown from 200 items), a line naming a step of unknown size (analyse: grouping,
    search: indexing). Nothing otherwise: logs and pipes get the summary only."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.stage = ""
        self.bar: Any = None

    def __enter__(self) -> Progress:
        return self.update

    def update(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if stage != self.stage:
            self._close()
            self.stage = stage
        if self.bar is None and total == 0:  # a step has begun; its size is unknown
            self.bar = self._tqdm(total=None, desc=stage, bar_format="{desc}…")
        elif total >= 200:
            if self.bar is None:
                unit = "page" if stage == "render" else "file"
                self.bar = self._tqdm(total=total, desc=stage, unit=unit)
            self.bar.update(done - self.bar.n)  # redraws at most ten times a second

    def _tqdm(self, **options: Any) -> Any:
        from tqdm import tqdm

        return tqdm(leave=False, file=sys.stderr, **options)

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __exit__(self, *exc: object) -> None:
        self._close()


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
