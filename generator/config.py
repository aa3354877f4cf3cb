"""site.toml -> SiteConfig: defaults for all but the title, every problem reported at once."""

from __future__ import annotations

import dataclasses
import functools
import tomllib
import types
import typing
import warnings
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError

PERMALINK_FIELDS = ("year", "month", "day", "slug", "id", "publication", "section")


@dataclass(frozen=True, slots=True)
class VersionSettings:
    """[versions]: when two articles count as versions of one story."""

    enabled: bool = True
    """Group articles into stories at all."""
    shingle_size: int = 5
    """Words per shingle used to fingerprint text (after spelling and typography are normalised)."""
    sample_every: int = 4
    """Candidate search keeps one shingle in this many (the same ones in every article)."""
    max_shared_sample: int = 64
    """A sampled shingle found in more articles than this is boilerplate and ignored."""
    candidate_threshold: float = 0.2
    """Share of the smaller article's sampled shingles another must share to be compared in full."""
    containment_threshold: float = 0.6
    """Share of the shorter text found in the other (its words in paragraphs found, or its
    shingles) for the two to be versions of one story."""
    paragraph_similarity: float = 0.5
    """Share of a paragraph's shingles found in the other text for it to count as found."""
    min_shared_shingles: int = 8
    """Fewer shared shingles than this is never a version, however short the texts."""
    short_text_shingles: int = 60
    """Texts sharing fewer shingles than this must agree on every number to be versions."""
    strong_link: float = 0.9
    """Coverage that joins two groups without checking each against the other group's anchor."""
    chain_threshold: float = 0.3
    """A weaker link joins two groups only if each side has this much in common with the other
    group's anchor (its earliest version): no chaining of unrelated texts through a round-up."""
    max_days_apart: int = 14
    """Dated versions further apart than this are never one story."""


@dataclass(frozen=True, slots=True)
class RelatedSettings:
    """[related]: which other stories an article links to."""

    enabled: bool = True
    count: int = 5
    """At most this many related stories per article."""
    min_score: float = 0.1
    """Cosine similarity below which nothing is shown (no noise for lonely articles)."""
    max_df: float = 0.3
    """Terms in more than this share of articles are too common to relate anything."""


@dataclass(frozen=True, slots=True)
class SearchSettings:
    """[search]: the Pagefind index, built in shards (see generator/search.py)."""

    enabled: bool = True
    shard_size: int = 1000
    """Article pages per search shard, at most, until `max_shards` is reached. Each shard is its
    own Pagefind bundle, ranking by its own pages: an edit re-indexes only its shard's part
    (`part_size`), while a first search fetches about seven files from every shard. At 11,000
    articles: 16 shards, whose first search took 1.62 s against 2.03 s at 32 (`shard_size =
    500`) in `bench/search_shards.py` (README, "Search in shards")."""
    max_shards: int = 64
    """The most shards an archive is split into, however large; more pages per shard beyond it.
    64 keeps the browser's first search at about 400 small requests at 100,000 articles."""
    part_size: int = 256
    """Article pages per part of a shard, at most: a larger shard is indexed in parts, kept in
    the cache, and merged into its one bundle (search_merge.py), so an edit re-indexes a part,
    not its shard (at 11,000 articles, 174 documents instead of 695). Readers see no
    difference: the merged bundle holds what one run over the shard writes. Each part costs a
    first build a Pagefind run and a merge's input: at 11,000 articles, parts of 256 took a
    first build no longer than parts of 512 and an edit 16% less time; parts of 128 a first
    build 6-12% longer for no faster an edit (README, "Search in shards")."""


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """A site, as configured by site.toml. Paths are absolute; everything else is plain data."""

    title: str
    root: Path
    """The folder holding site.toml."""
    base_url: str = "/"
    """Where the site will live, e.g. "https://example.org/archive/" or "/"; links use its path."""
    language: str = "en"
    description: str = ""
    content_dir: Path = Path("content")
    output_dir: Path = Path("public")
    theme: str = "default"
    """A theme name under the site's `themes/` folder or Broadsheet's own, or a path."""
    per_page: int = 20
    """Articles per page on the home page and every archive list."""
    permalink: str = "/{year}/{month}/{slug}/"
    timezone: str = "UTC"
    """Zone for dates given without one, and for archive years and months."""
    feed_size: int = 50
    versions: VersionSettings = field(default_factory=VersionSettings)
    related: RelatedSettings = field(default_factory=RelatedSettings)
    search: SearchSettings = field(default_factory=SearchSettings)

    @property
    def base_path(self) -> str:
        """The path part of base_url, always starting and ending with "/"."""
        return _base_path(self.base_url)

    @property
    def absolute_base(self) -> str:
        """base_url when it names a host (for feeds, sitemap, canonical links), else ""."""
        parts = urlsplit(self.base_url)
        if parts.scheme and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}{self.base_path}"
        return ""


@functools.lru_cache(maxsize=16)
def _base_path(base_url: str) -> str:
    path = urlsplit(base_url).path or "/"
    return path if path.endswith("/") else path + "/"


_SECTIONS = {"versions": VersionSettings, "related": RelatedSettings, "search": SearchSettings}
_PATH_KEYS = {"content_dir", "output_dir"}


def load_config(
    path: Path | str = "site.toml", overrides: dict[str, Any] | None = None
) -> SiteConfig:
    """Read and validate site.toml. Raises ConfigError listing every problem."""
    path = Path(path).resolve()
    shown = path.name
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            shown,
            [f'no {shown} in {path.parent.name or "."}: create one with `title = "My archive"`'],
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(shown, [f"not valid TOML: {exc}"]) from None
    raw.update(overrides or {})
    return parse_config(raw, path.parent, shown)


def parse_config(raw: dict[str, Any], root: Path, shown: str = "site.toml") -> SiteConfig:
    """Validate a parsed site.toml; pure apart from warnings about unknown keys."""
    problems: list[str] = []
    values: dict[str, Any] = {"root": root}
    known = {f.name for f in dataclasses.fields(SiteConfig)} - {"root"}
    for key, value in raw.items():
        if key not in known:
            warnings.warn(f"{shown}: unknown key {key!r} is ignored", ConfigWarning, stacklevel=2)
            continue
        if key in _SECTIONS:
            if not isinstance(value, dict):
                problems.append(f"[{key}] must be a table, e.g. [{key}] on its own line")
                continue
            values[key] = _section(_SECTIONS[key], value, key, problems, shown)
            continue
        checked = _check(SiteConfig, key, value, problems)
        if checked is not _INVALID:
            values[key] = checked
    if "title" not in raw:
        problems.append('title is required: add `title = "My archive"`')
    _check_values(values, problems)
    if problems:
        raise ConfigError(shown, problems)
    values["content_dir"] = (root / values.get("content_dir", "content")).resolve()
    values["output_dir"] = (root / values.get("output_dir", "public")).resolve()
    return SiteConfig(**values)


class ConfigWarning(UserWarning):
    """A site.toml key Broadsheet does not know; the build goes on."""


_INVALID = object()


def _section(cls: type, raw: dict[str, Any], name: str, problems: list[str], shown: str) -> Any:
    known = {f.name for f in dataclasses.fields(cls)}
    values = {}
    for key, value in raw.items():
        if key not in known:
            warnings.warn(
                f"{shown}: unknown key {name}.{key!r} is ignored", ConfigWarning, stacklevel=3
            )
            continue
        checked = _check(cls, key, value, problems, prefix=f"{name}.")
        if checked is not _INVALID:
            values[key] = checked
    return cls(**values)


def _check(cls: type, key: str, value: Any, problems: list[str], prefix: str = "") -> Any:
    """Check one value against the annotated type of field `key` of `cls`."""
    hints = typing.get_type_hints(cls)
    expected = hints[key]
    if expected is Path:
        expected = str
    kinds = typing.get_args(expected) if isinstance(expected, types.UnionType) else (expected,)
    ok = any(
        isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
        for kind in kinds
        if isinstance(kind, type)
    )
    if float in kinds and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if not ok:
        names = " or ".join(k.__name__ for k in kinds if isinstance(k, type))
        problems.append(f"{prefix}{key} must be {_article(names)}, not {value!r}")
        return _INVALID
    return value


def _article(name: str) -> str:
    words = {
        "str": "a string",
        "int": "a whole number",
        "float": "a number",
        "bool": "true or false",
    }
    return words.get(name, name)


def _check_values(values: dict[str, Any], problems: list[str]) -> None:
    """Checks beyond types: ranges, formats, known zones."""
    if "title" in values and not values["title"].strip():
        problems.append("title must not be empty")
    if values.get("per_page", 1) < 1:
        problems.append("per_page must be at least 1")
    if values.get("feed_size", 1) < 1:
        problems.append("feed_size must be at least 1")
    search = values.get("search")
    if search is not None:
        if search.shard_size < 1:
            problems.append("search.shard_size must be at least 1 (article pages per shard)")
        if not 1 <= search.max_shards <= 256:
            problems.append("search.max_shards must be between 1 and 256")
        if search.part_size < 1:
            problems.append("search.part_size must be at least 1 (article pages per part)")
    base = values.get("base_url")
    if base is not None:
        parts = urlsplit(base)
        if parts.scheme not in ("", "http", "https") or (parts.scheme and not parts.netloc):
            problems.append(
                f"base_url must be a path like /archive/ or an http(s) URL, not {base!r}"
            )
        elif not parts.scheme and not base.startswith("/"):
            problems.append(f"base_url must start with / or http(s)://, not {base!r}")
    zone = values.get("timezone")
    if zone is not None:
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            problems.append(
                f"timezone {zone!r} is not a known zone: use a name like 'Europe/London' or 'UTC'"
            )
    permalink = values.get("permalink")
    if permalink is not None:
        _check_permalink(permalink, problems)
    for key in _PATH_KEYS:
        if key in values and not str(values[key]).strip():
            problems.append(f"{key} must not be empty")
    same = Path(values.get("output_dir", "public")) == Path(values.get("content_dir", "content"))
    if same:
        problems.append("output_dir must differ from content_dir: each build replaces output_dir")


def _check_permalink(pattern: str, problems: list[str]) -> None:
    import string

    try:
        names = [name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None]
    except ValueError as exc:
        problems.append(f"permalink {pattern!r} is not a valid pattern: {exc}")
        return
    unknown = [n for n in names if n not in PERMALINK_FIELDS]
    if unknown:
        problems.append(
            f"permalink uses unknown field(s) {', '.join(unknown)}: "
            f"use {', '.join(PERMALINK_FIELDS)}"
        )
    if "slug" not in names and "id" not in names:
        problems.append(
            "permalink must contain {slug} or {id} so that every article has its own URL"
        )
    if not pattern.startswith("/") or not pattern.endswith("/"):
        problems.append(
            f"permalink must start and end with /, e.g. /{{year}}/{{slug}}/, not {pattern!r}"
        )
    if ".." in pattern.split("/") or "\\" in pattern or "\0" in pattern:
        problems.append("permalink must not contain '..', backslashes or NUL characters")
