"""Typed views handed to templates: plain data, already linked, already formatted.

Templates never see internals such as the URL map; they get these and `site`.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass

from ..config import SiteConfig
from ..model import Article, When, when_iso

WORDS_PER_MINUTE = 230


@dataclass(frozen=True, slots=True)
class Link:
    text: str
    url: str


@dataclass(frozen=True, slots=True)
class DateView:
    iso: str
    """For <time datetime> and JSON."""
    text: str
    """For people: "19 March 2025" or "19 March 2025, 09:30"."""


@dataclass(frozen=True, slots=True)
class SiteView:
    """What every page knows about the site."""

    title: str
    description: str
    language: str
    base: str
    """The base path, ending in "/": prefix of every internal link."""
    home: str
    search: str
    feed: str
    stylesheet: str
    nav: tuple[Link, ...]
    search_enabled: bool


@dataclass(frozen=True, slots=True)
class Summary:
    """An article in a list."""

    id: str
    title: str
    url: str
    dek: str
    date: DateView | None
    authors: tuple[Link, ...]
    publication: Link | None
    word_count: int
    versions: int
    """How many versions its story has (1 when it stands alone)."""


@dataclass(frozen=True, slots=True)
class Pagination:
    number: int
    count: int
    previous: str | None
    next: str | None
    pages: tuple[Link, ...]


def format_when(when: When | None, zone: str) -> DateView | None:
    if when is None:
        return None
    if isinstance(when, dt.datetime):
        local = when.astimezone(zoneinfo.ZoneInfo(zone))
        return DateView(when_iso(when) or "", f"{local.day} {local:%B %Y, %H:%M}")
    return DateView(when.isoformat(), f"{when.day} {when:%B %Y}")


def reading_minutes(words: int) -> int:
    return max(1, math.ceil(words / WORDS_PER_MINUTE))


def site_view(config: SiteConfig, href: Callable[[str], str]) -> SiteView:
    nav = (
        Link("Latest", href("/")),
        Link("Archive", href("/archive/")),
        Link("Stories", href("/stories/")),
        Link("Authors", href("/authors/")),
        Link("Publications", href("/publications/")),
        Link("Topics", href("/tags/")),
    )
    return SiteView(
        title=config.title,
        description=config.description,
        language=config.language,
        base=config.base_path,
        home=href("/"),
        search=href("/search/"),
        feed=href("/feed.xml"),
        stylesheet=href("/static/style.css"),
        nav=nav,
        search_enabled=config.search.enabled,
    )


def summary(
    article: Article,
    url: str,
    authors: tuple[Link, ...],
    publication: Link | None,
    versions: int,
    zone: str,
) -> Summary:
    return Summary(
        id=article.id,
        title=article.title,
        url=url,
        dek=article.dek,
        date=format_when(article.date, zone),
        authors=authors,
        publication=publication,
        word_count=article.word_count,
        versions=versions,
    )
