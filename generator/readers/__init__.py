"""The reading stage: content files -> Articles, one module per kind of file.

    find_sources(content_dir)        which files are content (I/O: lists the folder)
    read_source(path, config)        bytes -> text (decode.py) -> parse_source (I/O edge)
    parse_source(text, path, config) pure: dispatch on the extension

A bad file never stops the build: it becomes Problems in the ReadResult, and an Article
when anything useful could be read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..config import SiteConfig
from ..errors import Problem
from ..model import Article, pickled_by_fields
from ..source_files import READ_EXTENSIONS, find_source_paths, is_editor_temp
from .decode import decode
from .fields import Finding
from .markdown import markdown_article

__all__ = [
    "READ_EXTENSIONS",
    "ReadResult",
    "find_source_paths",
    "find_sources",
    "is_editor_temp",
    "load_source",
    "parse_bytes",
    "parse_source",
    "read_source",
]


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ReadResult:
    """One file, read: its Article (None when it could not be read at all) and its problems."""

    article: Article | None
    problems: tuple[Problem, ...]


_Parser = Callable[[str, str, str], tuple[Article | None, list[Finding]]]


def _markdown(text: str, source_path: str, timezone: str) -> tuple[Article | None, list[Finding]]:
    return markdown_article(text, source_path, timezone)


def _clipping(text: str, source_path: str, timezone: str) -> tuple[Article | None, list[Finding]]:
    # imported when a clipping is first read: an edit of a Markdown file never needs it
    from .clipping import clipping_article

    return clipping_article(text, source_path, timezone)


def _html(text: str, source_path: str, timezone: str) -> tuple[Article | None, list[Finding]]:
    from .html_page import html_article

    return html_article(text, source_path, timezone)


_PARSERS: dict[str, _Parser] = {
    ".md": _markdown,
    ".markdown": _markdown,
    ".txt": _clipping,
    ".text": _clipping,
    ".html": _html,
    ".htm": _html,
}
MAX_BYTES = 20 * 1024 * 1024
"""Larger files are refused: no article is that long, and reading one would stall the build."""


def find_sources(content_dir: Path) -> list[Path]:
    """Every content file under content_dir (sub-folders too), sorted by relative posix path.

    Skips hidden files and folders, editor temp files and extensions we do not read.
    """
    return [Path(path) for _, path in find_source_paths(content_dir)]


def shown_path(source_path: str, config: SiteConfig) -> str:
    """The file as the user names it from the site folder: "content/world/a.txt"."""
    return f"{config.content_dir.name}/{source_path}"


def read_source(path: Path, config: SiteConfig) -> ReadResult:
    """I/O edge: read, decode, parse. Never raises for bad content or an unreadable file."""
    loaded = load_source(path, config)
    if isinstance(loaded, ReadResult):
        return loaded
    return parse_bytes(loaded[1], loaded[0], config)


def load_source(path: Path, config: SiteConfig) -> tuple[str, bytes] | ReadResult:
    """I/O edge: (content-relative path, bytes) of a file, or the ReadResult saying why not."""
    try:
        source_path = path.relative_to(config.content_dir).as_posix()
    except ValueError:
        source_path = path.name
    shown = shown_path(source_path, config)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            message = f"file is too large to be an article ({size // (1024 * 1024)} MB)"
            limit = MAX_BYTES // (1024 * 1024)
            hint = (
                f"split it or move it out of {config.content_dir.name}/ (the limit is {limit} MB)"
            )
            return ReadResult(None, (Problem(shown, message, hint, severity="error"),))
        return source_path, path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        problem = Problem(
            shown,
            f"could not read the file: {reason}",
            "check that it exists and is readable",
            severity="error",
        )
        return ReadResult(None, (problem,))


def parse_bytes(data: bytes, source_path: str, config: SiteConfig) -> ReadResult:
    """Pure: decode a file's bytes and parse them (what the build caches by content hash)."""
    shown = shown_path(source_path, config)
    decoded = decode(data)
    noted = tuple(f.at(shown) for f in decoded.findings)
    if decoded.text is None:
        return ReadResult(None, noted)
    result = parse_source(decoded.text, source_path, config)
    return ReadResult(result.article, noted + result.problems)


def parse_source(text: str, source_path: str, config: SiteConfig) -> ReadResult:
    """Pure: parse decoded text by the extension of source_path (content-relative, posix)."""
    shown = shown_path(source_path, config)
    suffix = PurePosixPath(source_path).suffix.lower()
    parser = _PARSERS.get(suffix)
    if parser is None:
        known = " ".join(sorted(READ_EXTENSIONS))
        problem = Problem(
            shown,
            f"Broadsheet does not read {suffix or 'extension-less'} files",
            f"use one of {known}",
            severity="error",
        )
        return ReadResult(None, (problem,))
    try:
        article, findings = parser(text, source_path, config.timezone)
    except RecursionError:
        problem = Problem(
            shown,
            "the file is nested too deeply to read",
            "simplify its structure",
            severity="error",
        )
        return ReadResult(None, (problem,))
    return ReadResult(article, tuple(f.at(shown) for f in findings))
