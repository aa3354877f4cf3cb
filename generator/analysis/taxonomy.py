"""Authors, publications, tags and dates: the ways a reader browses the archive."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ..model import Article
from ..render.urls import local_date
from ..text import slugify


@dataclass(frozen=True, slots=True)
class Term:
    """One author, publication, tag, year or month, with its articles newest first."""

    slug: str
    name: str
    article_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Taxonomies:
    authors: tuple[Term, ...]
    publications: tuple[Term, ...]
    tags: tuple[Term, ...]
    years: tuple[Term, ...]
    """Newest year first; slug "2025"."""
    months: tuple[Term, ...]
    """Newest first; slug "2025/03", name "March 2025"."""


def build_taxonomies(articles: Sequence[Article], timezone: str) -> Taxonomies:
    """Group articles (already newest first) by every browsable field."""

    def day_of(article: Article):
        return local_date(article.date, timezone)

    def years(article: Article) -> Iterable[str]:
        day = day_of(article)
        return [f"{day.year:04d}"] if day else []

    def months(article: Article) -> Iterable[str]:
        day = day_of(article)
        return [f"{day.year:04d}/{day.month:02d}"] if day else []

    month_names = {
        f"{d.year:04d}/{d.month:02d}": d.strftime("%B %Y") for a in articles if (d := day_of(a))
    }
    return Taxonomies(
        authors=_group(articles, lambda a: a.authors),
        publications=_group(articles, lambda a: [a.publication] if a.publication else []),
        tags=_group(articles, lambda a: a.tags),
        years=_dated(articles, years, {}),
        months=_dated(articles, months, month_names),
    )


def _group(
    articles: Sequence[Article], names_of: Callable[[Article], Iterable[str]]
) -> tuple[Term, ...]:
    """Terms sorted by slug; names differing only in case or accents share one term."""
    members: dict[str, list[str]] = defaultdict(list)
    shown: dict[str, str] = {}
    for article in articles:
        for name in dict.fromkeys(names_of(article)):
            slug = slugify(name)
            if not slug:
                continue
            if not members[slug] or article.id not in members[slug][-1:]:
                members[slug].append(article.id)
            shown.setdefault(slug, name)
    return tuple(Term(slug, shown[slug], tuple(ids)) for slug, ids in sorted(members.items()))


def _dated(
    articles: Sequence[Article], keys_of: Callable[[Article], Iterable[str]], names: dict[str, str]
) -> tuple[Term, ...]:
    members: dict[str, list[str]] = defaultdict(list)
    for article in articles:
        for key in keys_of(article):
            members[key].append(article.id)
    return tuple(
        Term(key, names.get(key, key), tuple(ids))
        for key, ids in sorted(members.items(), reverse=True)
    )
