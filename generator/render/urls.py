"""Where every page lives: permalinks for articles and fixed paths for the archive pages.

A URL here is a site path ("/2025/03/some-slug/"); `href` adds the base path for links, and
`output_file` turns it into a file under the output folder. Paths never leave that folder.
"""

from __future__ import annotations

import datetime as dt
import functools
import posixpath
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..config import SiteConfig
from ..errors import Problem
from ..model import Article, When
from ..text import slugify

SEARCH_BUNDLE = "pagefind"
"""The search bundle's top folder: the search step owns it (no page may live under it)."""


@dataclass(frozen=True, slots=True)
class UrlMap:
    """Article id -> site path, decided once for the whole archive."""

    by_id: dict[str, str]


def local_date(when: When | None, zone: str) -> dt.date | None:
    """The calendar day of `when` in the site's time zone."""
    if when is None:
        return None
    if isinstance(when, dt.datetime):
        return when.astimezone(zoneinfo.ZoneInfo(zone)).date()
    return when


def article_path(article: Article, config: SiteConfig) -> str:
    """The permalink of one article, before collisions are resolved."""
    day = local_date(article.date, config.timezone)
    values = {
        "year": f"{day.year:04d}" if day else "undated",
        "month": f"{day.month:02d}" if day else "",
        "day": f"{day.day:02d}" if day else "",
        "slug": article.slug,
        "id": article.id,
        "publication": slugify(article.publication) or "unknown",
        "section": slugify(article.section) or "general",
    }
    return safe_path(config.permalink.format(**values))


def safe_path(path: str) -> str:
    """Normalise a site path, dropping empty segments, and refuse any that would leave the site."""
    segments = [s for s in path.split("/") if s not in ("", ".")]
    if any(s == ".." or "\\" in s or "\0" in s for s in segments):
        raise ValueError(f"path {path!r} would leave the output folder")
    return "/" + "/".join(segments) + ("/" if segments else "")


PathFields = tuple[object, ...]
"""What `article_path` reads of an article (see `path_fields`)."""


def path_fields(article: Article) -> PathFields:
    return (article.date, article.slug, article.id, article.publication, article.section)


def assign_urls(
    articles: Sequence[Article],
    config: SiteConfig,
    known: Mapping[PathFields, str] | None = None,
    made: dict[PathFields, str] | None = None,
) -> tuple[UrlMap, list[Problem]]:
    """Give every article its own URL. Two articles claiming one URL are both kept: the later
    one (by source path) gets a numbered URL and a warning names both files.
    `known` are permalinks worked out before, by `path_fields`, for these settings (a
    build's edit changes a text, not the fields of 11,000 permalinks: 0.15 s); every one
    worked out or used goes into `made`."""
    known = known or {}
    claimed: dict[str, Article] = {}
    by_id: dict[str, str] = {}
    problems: list[Problem] = []
    reserved = {
        "/search/",
        "/archive/",
        "/authors/",
        "/publications/",
        "/tags/",
        "/stories/",
        "/page/",
    }
    for article in sorted(articles, key=lambda a: a.source_path):
        fields = path_fields(article)
        try:
            base = known.get(fields) or article_path(article, config)
            if made is not None:
                made[fields] = base
        except ValueError:  # a field used by the permalink tries to leave the site
            base = safe_path(f"/{article.slug or 'untitled'}/")
            problems.append(
                Problem(
                    path=f"{config.content_dir.name}/{article.source_path}",
                    message=f"its permalink would leave the site; published at {base} instead",
                    hint="check the fields the permalink pattern uses (slug, section, publication)",
                )
            )
        if base.split("/")[1] == SEARCH_BUNDLE:
            moved = f"/{SEARCH_BUNDLE}-pages/{base.split('/', 2)[2]}"
            problems.append(
                Problem(
                    path=f"{config.content_dir.name}/{article.source_path}",
                    message=f"its URL {base} is inside the search bundle's folder; "
                    f"published at {moved} instead",
                    hint="change its permalink fields (slug, section) or the permalink pattern",
                )
            )
            base = moved
        path, n = base, 1
        while path in claimed or path in reserved:
            n += 1
            path = base.rstrip("/") + f"-{n}/"
        if path != base:
            first = claimed.get(base)
            owner = f"{config.content_dir.name}/{first.source_path}" if first else "a built-in page"
            problems.append(
                Problem(
                    path=f"{config.content_dir.name}/{article.source_path}",
                    message=f"its URL {base} is taken by {owner}; published at {path} instead",
                    hint="give one of them a different `slug` in its front matter",
                )
            )
        claimed[path] = article
        by_id[article.id] = path
    return UrlMap(by_id), problems


def href(config: SiteConfig, path: str) -> str:
    """A link to a site path, under the base path (works from a sub-path and from the root)."""
    return config.base_path + path.lstrip("/")


def absolute(config: SiteConfig, path: str) -> str:
    """A full URL where base_url names a host, else the base-path link."""
    base = config.absolute_base
    return base + path.lstrip("/") if base else href(config, path)


@functools.cache
def output_file(path: str) -> str:
    """The file, relative to the output folder, that serves a site path (remembered: a build
    asks for each article's 2-3 times, 40,000 times at 11,000 articles)."""
    clean = posixpath.normpath("/" + path).lstrip("/")
    if clean.startswith("..") or clean.startswith("/"):
        raise ValueError(f"path {path!r} would leave the output folder")
    if path.endswith("/") or clean == ".":
        return "index.html" if clean in ("", ".") else clean + "/index.html"
    return clean
