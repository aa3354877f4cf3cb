"""The build, as the list of stages it is: read, analyse, render + write, index, swap in."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .analysis.archive import analyse
from .config import SiteConfig
from .errors import ContentError, Problem
from .model import Article
from .output import SiteWriter, check_output_dir
from .readers import find_sources, read_source
from .render.site import prepare, render_site
from .render.theme import find_theme
from .render.urls import assign_urls
from .search import index_site

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): called as long stages advance."""


@dataclass
class BuildReport:
    """What a build did: counts, problems and seconds per stage."""

    articles: int = 0
    drafts: int = 0
    stories: int = 0
    pages: int = 0
    written: int = 0
    unchanged: int = 0
    searchable: int = 0
    problems: list[Problem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


@contextmanager
def _timed(report: BuildReport, stage: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    report.timings[stage] = report.timings.get(stage, 0.0) + time.perf_counter() - start


def read_all(
    config: SiteConfig, progress: Progress = _no_progress
) -> tuple[list[Article], list[Problem]]:
    """Read every content file; problems are collected, never raised."""
    if not config.content_dir.is_dir():
        return [], [
            Problem(
                path=config.content_dir.name,
                message="the content folder does not exist",
                hint=f"create {config.content_dir.name}/ or set content_dir in site.toml",
                severity="error",
            )
        ]
    sources = find_sources(config.content_dir)
    articles: list[Article] = []
    problems: list[Problem] = []
    for done, path in enumerate(sources, start=1):
        result = read_source(path, config)
        problems.extend(result.problems)
        if result.article is not None:
            articles.append(result.article)
        progress("read", done, len(sources))
    return articles, problems


def build(
    config: SiteConfig,
    *,
    strict: bool = False,
    search: bool | None = None,
    carry_over: tuple[str, ...] = (),
    progress: Progress = _no_progress,
) -> BuildReport:
    """Build the site into config.output_dir. The previous site stays in place until the new one
    is complete; with `strict`, any problem fails the build before anything is swapped in.
    `search` overrides [search] enabled; `carry_over` names folders of the current site to keep."""
    report = BuildReport()
    check_output_dir(
        config.output_dir,
        [config.content_dir, config.root / "templates", config.root / "themes", config.root],
    )
    theme = find_theme(config)
    with _timed(report, "read"):
        articles, problems = read_all(config, progress)
    report.problems.extend(problems)
    report.drafts = sum(1 for a in articles if a.draft)
    with _timed(report, "analyse"):
        archive = analyse(articles, config)
        urls, url_problems = assign_urls(archive.articles, config)
    report.problems.extend(url_problems)
    report.articles = len(archive.articles)
    report.stories = len(archive.stories)
    if strict and report.problems:
        raise ContentError(
            f"--strict: {len(report.problems)} problem(s) in the content", report.problems
        )

    writer = SiteWriter(config.output_dir)
    try:
        with _timed(report, "render"):
            data = prepare(archive, config, theme, urls)
            total = len(archive.articles)
            for page in render_site(data, theme):
                writer.write(page.path, page.data)
                report.pages += 1
                if report.pages <= total:
                    progress("render", report.pages, total)
        if config.search.enabled if search is None else search:
            with _timed(report, "search"):
                report.searchable = index_site(writer.staging, config.language).pages
        with _timed(report, "write"):
            for folder in carry_over:
                writer.carry_over(folder)
            stats = writer.commit()
    except BaseException:
        writer.abandon()
        raise
    report.written, report.unchanged = stats.written, stats.unchanged
    return report


def site_relative(config: SiteConfig, path: Path) -> str:
    try:
        return path.resolve().relative_to(config.root).as_posix()
    except ValueError:
        return path.name
