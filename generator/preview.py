"""serve's first answer to an edit: the edited articles' own pages, at once.

A full rebuild of a large archive takes seconds (11,000 articles: about ten), most of it for what
one edit barely touches: grouping, related stories, every list page. Someone who saved an article
wants to see that article. So serve first re-renders only the pages of the edited articles (the
article page, and its story's pages when it is a version) from the last build's analysis, puts
them in the live site and reloads the browser; the full rebuild runs next and brings everything
else (lists, related links, other stories) up to date, then reloads again. Hugo's server does the
same ("fast render mode").

Only an edit that leaves the article where it was qualifies: same file, same URL, same authors,
tags, publication and story settings, and not a draft. Anything else (a new or deleted file, a
template, site.toml) goes straight to the full rebuild.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from .model import Article
from .output import safe_join
from .readers import READ_EXTENSIONS, read_source
from .render.site import Page, Rendered, SiteData, article_page
from .render.stories import one_story_pages
from .render.urls import article_path

_SAME_PLACE = ("id", "authors", "tags", "publication", "draft", "story", "standalone")
"""Fields an edit must leave alone to be shown before the full rebuild: they decide where the
article is listed and linked from."""


def edited_articles(site: SiteData, changed: Iterable[Path]) -> list[Article] | None:
    """The new versions of the articles in the changed files; None if any change is not an
    edit that the quick update can show (see the module's doc)."""
    config = site.config
    by_source = {a.source_path: a for a in site.archive.articles}
    edited: list[Article] = []
    for path in changed:
        try:
            relative = path.resolve().relative_to(config.content_dir.resolve()).as_posix()
        except (ValueError, OSError):
            return None
        old = by_source.get(relative)
        if old is None or path.suffix.lower() not in READ_EXTENSIONS or not path.is_file():
            return None
        new = read_source(path, config).article
        if new is None or any(getattr(new, f) != getattr(old, f) for f in _SAME_PLACE):
            return None
        try:
            if article_path(new, config) != article_path(old, config):
                return None
        except ValueError:
            return None
        edited.append(new)
    return edited


def with_edits(site: SiteData, edited: list[Article]) -> SiteData:
    """The site's data with the edited articles in place of the old ones."""
    new = {a.id: a for a in edited}
    articles = tuple(new.get(a.id, a) for a in site.archive.articles)
    return dataclasses.replace(
        site,
        archive=dataclasses.replace(site.archive, articles=articles),
        by_id={**site.by_id, **new},
        summaries={k: v for k, v in site.summaries.items() if k not in new},
        facts={k: v for k, v in site.facts.items() if k not in new},
        diffs={pair: d for pair, d in site.diffs.items() if not new.keys() & set(pair)},
        article_keys={k: v for k, v in site.article_keys.items() if k not in new},
    )


def edited_pages(site: SiteData, edited: list[Article]) -> Iterator[Page]:
    """The article page of each edited article and the pages of the stories they belong to."""
    stories = []
    for article in edited:
        yield article_page(site, article)
        story = site.story_by_id.get(site.archive.story_of.get(article.id, ""))
        if story is not None and story not in stories:
            stories.append(story)
    for story in stories:
        yield from one_story_pages(site, story)


def write_live(output_dir: Path, pages: Iterable[Page]) -> list[str]:
    """Write pages straight into the live site, each by an atomic rename (a reader sees the old
    file or the new one, never half of one). Returns their paths."""
    written = []
    for page in pages:
        data = page.data.make() if isinstance(page.data, Rendered) else page.data
        target = safe_join(output_dir, page.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".preview-{os.getpid()}-{target.name}")
        try:
            with open(temporary, "wb") as file:  # a new file, as a build writes it
                file.write(data)
            os.replace(temporary, target)  # never through a hard link the spare site shares
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written.append(page.path)
    return written


def quick_update(site: SiteData, changed: Iterable[Path]) -> tuple[SiteData, list[str]] | None:
    """Show edits at once: (the site's data with them, the pages written), or None when the
    change needs the full rebuild first."""
    edited = edited_articles(site, changed)
    if not edited:
        return None
    updated = with_edits(site, edited)
    return updated, write_live(site.config.output_dir, edited_pages(updated, edited))
