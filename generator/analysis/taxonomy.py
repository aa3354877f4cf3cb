"""Authors, publications, tags and dates: the ways a reader browses the archive.

A name is one term however its case or accents are written ("Zoë Brennan", "zoe brennan").
Different names that make the same URL slug ("C" and "C++" both make "c") are kept apart: the
first by sorted name keeps the slug, the next gets "c-2", and a warning names both.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..errors import Problem
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
    slugs: Mapping[str, Mapping[str, str]]
    """By kind ("authors", "publications", "tags"), the slug of every name as written."""
    problems: tuple[Problem, ...] = ()
    """A warning for each name given a numbered slug because another name made its slug."""

    def slug(self, kind: str, name: str) -> str:
        """Where the page of an author, publication or tag lives: /{kind}/{slug}/."""
        return self.slugs[kind].get(name) or slugify(name)


_KINDS = {"authors": "author", "publications": "publication", "tags": "tag"}


def build_taxonomies(
    articles: Sequence[Article], timezone: str, content_dir: str = "content"
) -> Taxonomies:
    """Group articles (already newest first) by every browsable field. `content_dir` (its name)
    begins the paths the problems name."""

    days = {a.id: local_date(a.date, timezone) for a in articles}  # each used three times

    def day_of(article: Article):
        return days[article.id]

    def years(article: Article) -> Iterable[str]:
        day = day_of(article)
        return [f"{day.year:04d}"] if day else []

    def months(article: Article) -> Iterable[str]:
        day = day_of(article)
        return [f"{day.year:04d}/{day.month:02d}"] if day else []

    month_names = {
        f"{d.year:04d}/{d.month:02d}": d.strftime("%B %Y") for a in articles if (d := day_of(a))
    }
    grouped = {
        kind: _group(articles, names_of, kind, content_dir)
        for kind, names_of in (
            ("authors", lambda a: a.authors),
            ("publications", lambda a: [a.publication] if a.publication else []),
            ("tags", lambda a: a.tags),
        )
    }
    return Taxonomies(
        authors=grouped["authors"].terms,
        publications=grouped["publications"].terms,
        tags=grouped["tags"].terms,
        years=_dated(articles, years, {}),
        months=_dated(articles, months, month_names),
        slugs={kind: group.slugs for kind, group in grouped.items()},
        problems=tuple(p for group in grouped.values() for p in group.problems),
    )


def name_key(name: str) -> str:
    """What makes two written names one name: letters, case and accents aside, and spacing."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


@dataclass(frozen=True, slots=True)
class _Grouped:
    terms: tuple[Term, ...]
    slugs: dict[str, str]
    problems: tuple[Problem, ...]


def _group(
    articles: Sequence[Article],
    names_of: Callable[[Article], Iterable[str]],
    kind: str,
    content_dir: str,
) -> _Grouped:
    """Terms sorted by slug, shown under the name of their newest article."""
    members: dict[str, list[str]] = defaultdict(list)
    shown: dict[str, str] = {}
    first_file: dict[str, str] = {}
    key_of: dict[str, str] = {}
    for article in articles:
        for name in dict.fromkeys(names_of(article)):
            if not slugify(name):
                continue
            key = key_of.setdefault(name, name_key(name))
            if not members[key] or article.id not in members[key][-1:]:
                members[key].append(article.id)
            shown.setdefault(key, name)
            first_file.setdefault(key, f"{content_dir}/{article.source_path}")
    slug_of, problems = _unique_slugs(shown, first_file, kind)
    terms = sorted(
        (Term(slug_of[key], shown[key], tuple(ids)) for key, ids in members.items()),
        key=lambda t: t.slug,
    )
    slugs = {name: slug_of[key] for name, key in key_of.items()}
    return _Grouped(tuple(terms), slugs, tuple(problems))


def _unique_slugs(
    shown: Mapping[str, str], first_file: Mapping[str, str], kind: str
) -> tuple[dict[str, str], list[Problem]]:
    """A slug for every name (by key): of names making one slug, the first by sorted name keeps
    it and the others get the next free "-2", "-3"; each of them is a warning."""
    claims: dict[str, list[str]] = defaultdict(list)
    for key, name in shown.items():
        claims[slugify(name)].append(key)
    taken = set(claims)
    slug_of: dict[str, str] = {}
    problems: list[Problem] = []
    one = _KINDS[kind]
    for slug in sorted(claims):
        first, *others = sorted(claims[slug], key=lambda k: (shown[k], k))
        slug_of[first] = slug
        for key in others:
            number = 2
            while f"{slug}-{number}" in taken:
                number += 1
            slug_of[key] = own = f"{slug}-{number}"
            taken.add(own)
            problems.append(
                Problem(
                    path=first_file[key],
                    message=(
                        f"{one} {shown[key]!r} makes the same URL as {one} {shown[first]!r} "
                        f"(/{kind}/{slug}/); its page is /{kind}/{own}/ instead"
                    ),
                    hint=f"if they are one {one}, write the name the same way everywhere",
                )
            )
    return slug_of, problems


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
