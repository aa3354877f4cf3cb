"""Archive -> pages: every file of the site, as (path, bytes), in a stable order.

Pages are yielded one at a time so a 100,000-article archive never sits in memory as HTML.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from ..analysis.diff import VersionDiff, diff_versions
from ..analysis.taxonomy import Taxonomies, Term, build_taxonomies
from ..cache import entry_key
from ..config import SiteConfig
from ..errors import ThemeError
from ..model import Archive, Article, Story, when_sort_key
from ..search_shards import SearchPage
from ..text import slugify
from . import catalog, feeds, jsonld, stories
from .theme import Theme, make_environment, static_files
from .urls import UrlMap, absolute, href, output_file
from .views import (
    Link,
    Pagination,
    SiteView,
    Summary,
    format_when,
    reading_minutes,
    site_view,
    summary,
)

if TYPE_CHECKING:
    from ..analysis.archive import MemoStore


@dataclass(frozen=True, slots=True)
class Rendered:
    """A templated page, rendered only when needed: `key` digests the template set, the template
    name and every value passed to it, so an unchanged key means unchanged bytes."""

    key: str
    make: Callable[[], bytes]


@dataclass(frozen=True, slots=True)
class Deferred:
    """A template value made only if its page is rendered; `key` stands for it in the page's
    key and, with the page's other values, must name everything it is made of."""

    key: str
    make: Callable[[], Any]


@dataclass(frozen=True, slots=True)
class Page:
    path: str
    """File path relative to the output folder, with forward slashes."""
    data: bytes | Rendered
    inputs: str = ""
    """A digest of everything the page is made of, where one is known without making it (see
    `SiteData.known_page`): recorded by the build for the next one."""


@dataclass(frozen=True, slots=True)
class SiteData:
    """Everything the page functions share; built once per render."""

    config: SiteConfig
    archive: Archive
    urls: UrlMap
    taxonomies: Taxonomies
    by_id: dict[str, Article]
    story_by_id: dict[str, Story]
    site: SiteView
    env: jinja2.Environment
    fingerprint: str
    """Digest of the theme, Broadsheet's code and the site settings: part of every page key."""
    summaries: dict[str, Summary] = field(default_factory=dict)
    """Summaries made so far, by article id (a memo, not part of the site's data)."""
    diffs: dict[tuple[str, str], VersionDiff] = field(default_factory=dict)
    """Diffs between versions, by (old, new) article id, made earlier (e.g. by a cache); the
    rest are made as the story pages need them."""
    article_keys: Mapping[str, str] = field(default_factory=dict)
    """The cache key of each article's source (its bytes, path, reading settings and
    Broadsheet's code), by id: an article is a function of it, so page keys use it in place of
    the article's whole text. Articles not in it are keyed by their repr."""

    recorded: Callable[[str, str], str | None] | None = None
    """The last build's key of the page at a path, if it was made from these same inputs."""
    facts: dict[str, bytes] = field(default_factory=dict)
    """A memo of `_facts` by article id, and of the site-wide part of `article_inputs` ("")."""
    story_facts: dict[str, bytes] = field(default_factory=dict)
    """A memo of `_story_facts` by story id."""
    memos: MemoStore | None = None
    """Where what the last build made is kept, for pages made of many parts (catalog.json)."""

    def article_inputs(self, article_id: str) -> str:
        """A digest of everything the article's page is made of: the site (code, theme,
        settings, the slugs of authors, publications and topics), and the facts of the
        article, of its story's versions and of its related articles (each one's source key,
        URL, story and related articles). Computed without making the page: where it is what
        the last build recorded, the page's key is too (an edit of one text leaves 11,000 other
        pages alone without keying each of them again)."""
        story = self.story_by_id.get(self.archive.story_of.get(article_id, ""))
        versions = story.article_ids if story else ()
        return self.facts_key([article_id, *versions, *self.archive.related.get(article_id, ())])

    def search_inputs(self, article_id: str) -> str:
        """Like `article_inputs`, for the article's search document: the site, and the article
        (its source key and URL) and its story. Not its related articles, which the document
        does not show: the build keys the documents before it has found them."""
        article = self.by_id[article_id]
        story = self._story_facts(self.archive.story_of.get(article_id, ""))
        own = _digest(f"{self._key_text(article)}\0{self.urls.by_id[article_id]}", story)
        parts = [self._site_facts(), b"search", own]
        return hashlib.blake2b(b"".join(parts), digest_size=20).hexdigest()

    def _site_facts(self) -> bytes:
        """What every page shows of the site: code, theme, settings and every term's slug."""
        made = self.facts.get("")
        if made is None:
            slugs = sorted(
                (kind, sorted(names.items())) for kind, names in self.taxonomies.slugs.items()
            )
            made = self.facts[""] = _digest(repr((self.fingerprint, slugs)))
        return made

    def _facts(self, article_id: str) -> bytes:
        """What a page shows of an article, by its inputs: the article (its source key), its URL,
        its story (versions, kinds, main version) and its related articles."""
        made = self.facts.get(article_id)
        if made is None:
            story = self._story_facts(self.archive.story_of.get(article_id, ""))
            related = self.archive.related.get(article_id, ())
            key_text = self._key_text(self.by_id[article_id])
            # joined, not repr'd (0.03 s for 11,000 articles, not 0.08): a repr escapes NUL
            own = "\0".join([key_text, self.urls.by_id[article_id], *related])
            made = self.facts[article_id] = _digest(own, story)
        return made

    def line_facts(self, article_id: str) -> bytes:
        """The site's and the article's facts: what a line about the article is made of."""
        return self._site_facts() + self._facts(article_id)

    def _story_facts(self, story_id: str) -> bytes:
        """A story's versions, kinds and main version, once per story (not once per version)."""
        made = self.story_facts.get(story_id)
        if made is None:
            made = self.story_facts[story_id] = _digest(repr(self.story_by_id.get(story_id)))
        return made

    def facts_key(self, ids: Sequence[str]) -> str:
        """Stands, in a page's key, for what the page shows of these articles (in this order)
        and of the site's terms."""
        facts = self.facts
        try:  # the render makes every article's first (with each article page's inputs)
            parts = [self._site_facts(), *map(facts.__getitem__, ids)]
        except KeyError:
            parts = [self._site_facts(), *(self._facts(i) for i in ids)]
        return hashlib.blake2b(b"".join(parts), digest_size=20).hexdigest()

    def known_page(self, path: str, inputs: str, make: Callable[[], bytes]) -> Page | None:
        """The page at `path` as the last build made it from these same `inputs` (its key
        stands; `make` makes it again only if its file is no longer the one made then), or
        None: it must be made, or at least keyed, afresh."""
        key = self.recorded(path, inputs) if self.recorded else None
        return Page(path, Rendered(key, make), inputs) if key else None

    def diff(self, old: Article, new: Article) -> VersionDiff:
        made = self.diffs.get((old.id, new.id))
        if made is None:
            made = self.diffs[old.id, new.id] = diff_versions(old, new)
        return made

    def href(self, path: str) -> str:
        return href(self.config, path)

    def article_url(self, article_id: str) -> str:
        return self.href(self.urls.by_id[article_id])

    def term_path(self, kind: str, name: str) -> str:
        """The site path of an author's, publication's or tag's page."""
        return f"/{kind}/{self.taxonomies.slug(kind, name)}/"

    def author_link(self, name: str) -> Link:
        return Link(name, self.href(self.term_path("authors", name)))

    def publication_link(self, name: str) -> Link | None:
        if not slugify(name):
            return None
        return Link(name, self.href(self.term_path("publications", name)))

    def summary(self, article_id: str) -> Summary:
        """An article as lists show it; made once, as it appears on many list pages."""
        made = self.summaries.get(article_id)
        if made is None:
            made = self.summaries[article_id] = self._summary(article_id)
        return made

    def _summary(self, article_id: str) -> Summary:
        return summary(*self._summary_inputs(article_id), self.config.timezone)

    def _summary_inputs(
        self, article_id: str
    ) -> tuple[Article, str, tuple[Link, ...], Link | None, int]:
        """Everything an article's summary is made of (with the site's settings)."""
        article = self.by_id[article_id]
        story = self.story_by_id.get(self.archive.story_of.get(article_id, ""))
        return (
            article,
            self.article_url(article_id),
            tuple(self.author_link(a) for a in article.authors if slugify(a)),
            self.publication_link(article.publication),
            len(story.versions) if story else 1,
        )

    def summaries_of(self, ids: Sequence[str]) -> Deferred:
        """The summaries of these articles as a template value, made only if the page is. A
        summary is made of its article's facts and the site's terms (author and publication
        links), which key it: formatting 11,000 summaries' dates took a second of a rebuild."""
        return Deferred(
            f"summaries:{self.facts_key(ids)}", lambda: tuple(self.summary(i) for i in ids)
        )

    def render(self, template: str, **context: Any) -> Rendered:
        """The page `template` makes of `context`, keyed by the context's values (a deferred
        value by its key: it is made only if the page is rendered)."""
        values = ", ".join(f"{name}={self._key_text(context[name])}" for name in sorted(context))
        key = entry_key("page", self.fingerprint, template, values)
        return Rendered(key, functools.partial(self._render_context, template, context))

    def _render_context(self, template: str, context: dict[str, Any]) -> bytes:
        values = {
            name: value.make() if isinstance(value, Deferred) else value
            for name, value in context.items()
        }
        return self.render_now(template, **values)

    def _key_text(self, value: Any) -> str:
        """repr(value), but a deferred value by its key and an article by the key of its
        source where known."""
        if isinstance(value, Deferred):
            return value.key
        if isinstance(value, Article):
            source = self.article_keys.get(value.id)
            return f"Article({source})" if source else repr(value)
        return repr(value)

    def render_now(self, template: str, **context: Any) -> bytes:
        try:
            html = self.env.get_template(template).render(site=self.site, **context)
        except jinja2.TemplateNotFound as exc:
            raise ThemeError(
                f"template {exc.name!r} not found in the theme or the site's templates/"
            ) from exc
        except jinja2.TemplateError as exc:
            where = f"{getattr(exc, 'filename', None) or template}:{getattr(exc, 'lineno', '?')}"
            raise ThemeError(f"template error in {where}: {exc}") from exc
        return html.encode("utf-8")


def _digest(text: str, *more: bytes) -> bytes:
    hasher = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20)
    for part in more:
        hasher.update(part)
    return hasher.digest()


def prepare(
    archive: Archive,
    config: SiteConfig,
    theme: Theme,
    urls: UrlMap,
    fingerprint: str = "",
    diffs: Mapping[tuple[str, str], VersionDiff] | None = None,
    taxonomies: Taxonomies | None = None,
    article_keys: Mapping[str, str] | None = None,
    compiled_templates: Path | None = None,
) -> SiteData:
    """`fingerprint` names the code and theme; pages are keyed by it and by their values.
    `diffs` are diffs between versions made earlier (see `SiteData.diffs`); `taxonomies`, made
    earlier by the build (which reports their problems), are made here when not given;
    `article_keys` are the cache keys of the articles' sources (see `SiteData.article_keys`);
    `compiled_templates` a folder to keep the compiled templates in."""
    site = site_view(config, lambda path: href(config, path))
    return SiteData(
        config=config,
        archive=archive,
        urls=urls,
        taxonomies=taxonomies
        or build_taxonomies(archive.articles, config.timezone, config.content_dir.name),
        by_id={a.id: a for a in archive.articles},
        story_by_id={s.id: s for s in archive.stories},
        site=site,
        env=make_environment(theme, compiled_templates),
        fingerprint=entry_key("site", fingerprint, repr(config), repr(site)),
        diffs=dict(diffs or {}),
        article_keys=dict(article_keys or {}),
    )


def render_site(data: SiteData, theme: Theme, *, articles: bool = True) -> Iterator[Page]:
    """Every page of the site: article pages (the bulk; left out with articles=False when the
    caller renders them in parallel with `article_page`), then lists, then machine files."""
    if articles:
        for article in data.archive.articles:
            yield article_page(data, article)
    for part in LIST_PARTS:
        yield from list_pages(data, theme, part)


LIST_PARTS = ("home", "archive", "terms", "stories", "other")
"""The pages besides the articles' in parts of similar cost, which a parallel build renders on
separate processes (one part at 11,000 articles: 0.2-0.7 s)."""


def list_pages(data: SiteData, theme: Theme, part: str) -> Iterator[Page]:
    """The pages of one of `LIST_PARTS`."""
    if part == "home":
        yield from home_pages(data)
    elif part == "archive":
        yield from archive_pages(data)
    elif part == "terms":
        for kind, title in (
            ("authors", "Authors"),
            ("publications", "Publications"),
            ("tags", "Topics"),
        ):
            yield from term_pages(data, kind, title, getattr(data.taxonomies, kind))
    elif part == "stories":
        yield from stories.story_pages(data)
    elif part == "other":
        yield Page("search/index.html", data.render("search.html", page_title="Search"))
        yield Page("404.html", data.render("404.html", page_title="Page not found"))
        yield from machine_pages(data)
        for path, source in static_files(theme):
            yield Page(path, source.read_bytes())
    else:
        raise ValueError(f"no such part of the site: {part}")


def article_page(data: SiteData, article: Article) -> Page:
    config = data.config
    path = data.urls.by_id[article.id]
    url = absolute(config, path)
    story = data.story_by_id.get(data.archive.story_of.get(article.id, ""))
    story_view = stories.story_context(data, story, article.id) if story else None
    based_on = None
    if story:
        version = next(v for v in story.versions if v.article_id == article.id)
        based_on = absolute(config, data.urls.by_id[version.based_on]) if version.based_on else None
    authors = tuple(data.author_link(a) for a in article.authors if slugify(a))
    author_urls = tuple(
        absolute(config, data.term_path("authors", a)) for a in article.authors if slugify(a)
    )
    story_url = absolute(config, stories.story_path(story)) if story else None
    linked = (author_urls, based_on, story_url)  # with the article, url and language

    def linked_data() -> Markup:
        structured = jsonld.news_article(
            article,
            url=url,
            author_urls=list(author_urls),
            language=config.language,
            based_on_url=based_on,
            story_url=story_url,
        )
        return Markup(jsonld.script_json(structured))

    day = format_when(article.date, config.timezone)
    html = data.render(
        "article.html",
        page_title=article.title,
        canonical=url,
        article=article,
        url=data.href(path),
        authors=authors,
        publication=data.publication_link(article.publication),
        tags=tuple(
            Link(t, data.href(data.term_path("tags", t))) for t in article.tags if slugify(t)
        ),
        date=day,
        updated=format_when(article.updated, config.timezone),
        reading_minutes=reading_minutes(article.word_count),
        story=story_view,
        related=data.summaries_of(
            [i for i in data.archive.related.get(article.id, ()) if i in data.by_id]
        ),
        body=_body(article),
        jsonld=Deferred(f"jsonld{linked!r}", linked_data),
    )
    return Page(output_file(path), html)


def _body(article: Article) -> Deferred:
    """The article's body as a page value: the article, keyed beside it, names it."""
    return Deferred("body", lambda: Markup(article.body_html))


def search_page(data: SiteData, article: Article) -> tuple[SearchPage, Rendered]:
    """The article's search document (search-record.html), at the path of its page: what the
    search indexes of it, with its key and sort values."""
    return search_document(data, article, *search_context(data, article.id))


SearchContext = tuple[str, int, str]
"""What an article's search document shows besides the article: (its page's site path, the
number of versions of its story, the story's URL or "")."""


def search_context(data: SiteData, article_id: str) -> SearchContext:
    story = data.story_by_id.get(data.archive.story_of.get(article_id, ""))
    return (
        data.urls.by_id[article_id],
        len(story.versions) if story else 1,
        data.href(stories.story_path(story)) if story else "",
    )


def search_document(
    data: SiteData, article: Article, path: str, versions: int, story_url: str
) -> tuple[SearchPage, Rendered]:
    """`search_page` from the article and its `SearchContext`: the build can guess an edited
    article's document from the context the last build recorded, before its stories are
    grouped (search_early.py)."""
    day = format_when(article.date, data.config.timezone)
    document = data.render(
        "search-record.html",
        article=article,
        body=_body(article),
        authors=tuple(a for a in article.authors if slugify(a)),
        publication=article.publication if data.publication_link(article.publication) else "",
        tags=tuple(t for t in article.tags if slugify(t)),
        date=day,
        year=day.iso[:4] if day else "",
        search_sort=_sort_value(article),
        versions=versions,
        story_url=story_url,
    )
    return SearchPage(output_file(path), document.key, search_sorts(article)), document


def search_sorts(article: Article) -> tuple[tuple[str, str], ...]:
    """The values the search sorts an article's document by: its date (unique: ties break by
    id), if it has one."""
    if article.date is None:
        return ()
    return (("date", _sort_value(article)),)


def _sort_value(article: Article) -> str:
    return f"{when_sort_key(article.date)} {article.id}"  # unique: ties break by id


def paginate(
    data: SiteData,
    ids: Sequence[str],
    base: str,
    render_page: Callable[[Deferred, Pagination], Rendered],
    shown_as: str,
) -> Iterator[Page]:
    """Split a list into pages: base, base/page/2/, ... (base is a site path ending in "/").
    `shown_as` names everything else `render_page` puts on a page (title, heading): with the
    articles listed and the page's number, it is what the page is made of, so a page whose
    inputs the last build recorded is not keyed again (an edit leaves 2,800 list pages)."""
    per_page = data.config.per_page
    count = max(1, -(-len(ids) // per_page))

    def path_of(n: int) -> str:
        return base if n == 1 else f"{base}page/{n}/"

    def page(n: int) -> Rendered:
        chunk = data.summaries_of(ids[(n - 1) * per_page : n * per_page])
        pagination = Pagination(
            number=n,
            count=count,
            previous=data.href(path_of(n - 1)) if n > 1 else None,
            next=data.href(path_of(n + 1)) if n < count else None,
            pages=tuple(
                Link(str(k), data.href(path_of(k))) if k else Link("…", "")
                for k in page_window(n, count)
            ),
        )
        return render_page(chunk, pagination)

    def made(n: int) -> bytes:
        return page(n).make()

    for n in range(1, count + 1):
        path = output_file(path_of(n))
        shown = data.facts_key(ids[(n - 1) * per_page : n * per_page])
        inputs = _digest(repr((shown_as, base, n, count)), shown.encode()).hex()
        known = data.known_page(path, inputs, functools.partial(made, n))
        yield known or Page(path, page(n), inputs)


def page_window(current: int, count: int, around: int = 2) -> list[int]:
    """Page numbers to link from page `current`: the first, the last and a few either side; 0
    marks a gap. Linking every page would make each of N pages O(N) long."""
    if count <= 1:
        return []
    wanted = {1, count, *range(max(1, current - around), min(count, current + around) + 1)}
    shown: list[int] = []
    for number in sorted(wanted):
        if shown and number > shown[-1] + 1:
            shown.append(0)
        shown.append(number)
    return shown


def home_pages(data: SiteData) -> Iterator[Page]:
    ids = [a.id for a in data.archive.articles]

    def page(items: Deferred, pagination: Pagination) -> Rendered:
        return data.render(
            "list.html",
            page_title="Latest" if pagination.number == 1 else f"Latest, page {pagination.number}",
            heading="Latest articles",
            description=data.config.description,
            items=items,
            pagination=pagination,
            is_home=pagination.number == 1,
        )

    yield from paginate(data, ids, "/", page, "home")


def archive_pages(data: SiteData) -> Iterator[Page]:
    tax = data.taxonomies
    undated = [a.id for a in data.archive.articles if a.date is None]
    years = tuple(
        (
            Link(t.name, data.href(f"/archive/{t.slug}/")),
            len(t.article_ids),
            tuple(
                Link(m.name, data.href(f"/archive/{m.slug}/"))
                for m in tax.months
                if m.slug.startswith(t.slug + "/")
            ),
        )
        for t in tax.years
    )
    yield Page(
        "archive/index.html",
        data.render(
            "archive.html",
            page_title="Archive",
            years=years,
            undated=(Link("Undated articles", data.href("/archive/undated/")), len(undated))
            if undated
            else None,
        ),
    )
    groups: list[tuple[str, str, Sequence[str]]] = [
        (t.slug, t.name, t.article_ids) for t in tax.years
    ]
    groups += [(m.slug, m.name, m.article_ids) for m in tax.months]
    if undated:
        groups.append(("undated", "Undated articles", undated))
    for slug, name, ids in groups:
        heading = f"Articles from {name}"
        yield from paginate(
            data,
            ids,
            f"/archive/{slug}/",
            _list_renderer(data, name, heading),
            repr((name, heading)),
        )


def term_pages(data: SiteData, kind: str, title: str, terms: tuple[Term, ...]) -> Iterator[Page]:
    entries = tuple(
        (Link(t.name, data.href(f"/{kind}/{t.slug}/")), len(t.article_ids)) for t in terms
    )
    yield Page(
        f"{kind}/index.html",
        data.render("terms.html", page_title=title, heading=title, terms=entries),
    )
    for term in terms:
        heading = {"authors": f"Articles by {term.name}", "tags": f"Articles on {term.name}"}.get(
            kind, f"Articles from {term.name}"
        )
        yield from paginate(
            data,
            term.article_ids,
            f"/{kind}/{term.slug}/",
            _list_renderer(data, term.name, heading),
            repr((term.name, heading)),
        )


def _list_renderer(
    data: SiteData, name: str, heading: str
) -> Callable[[Deferred, Pagination], Rendered]:
    def page(items: Deferred, pagination: Pagination) -> Rendered:
        suffix = f", page {pagination.number}" if pagination.number > 1 else ""
        return data.render(
            "list.html",
            page_title=name + suffix,
            heading=heading,
            description="",
            items=items,
            pagination=pagination,
            is_home=False,
        )

    return page


def machine_pages(data: SiteData) -> Iterator[Page]:
    """Feed, sitemap, robots.txt and catalog.json."""
    config = data.config
    latest = data.archive.articles[: config.feed_size]
    feed_id = (
        absolute(config, "/")
        if config.absolute_base
        else f"urn:broadsheet:{slugify(config.title) or 'site'}"
    )
    entries = [
        (
            a,
            absolute(config, data.urls.by_id[a.id]),
            absolute(config, data.urls.by_id[a.id])
            if config.absolute_base
            else f"{feed_id}:{a.id}",
        )
        for a in latest
    ]
    feed = functools.partial(
        feeds.atom_feed,
        title=config.title,
        site_url=absolute(config, "/"),
        feed_url=absolute(config, "/feed.xml"),
        feed_id=feed_id,
        entries=entries,
        language=config.language,
    )
    yield Page("feed.xml", _made_of(data, "feed.xml", latest, feed))
    yield Page("sitemap.xml", _sitemap(data))
    yield Page("robots.txt", feeds.robots(absolute(config, "/sitemap.xml")))
    every = data.archive.articles
    yield Page(
        "catalog.json",
        _made_of(data, "catalog.json", every, lambda: catalog.catalog_json(data, data.memos)),
    )


def _made_of(
    data: SiteData, name: str, articles: Sequence[Article], make: Callable[[], bytes]
) -> Rendered:
    """A machine-read file made of the site's settings and these articles' facts (with their
    stories and related articles), keyed by them: the whole-archive files (sitemap, catalog)
    are made only when an article's facts change."""
    return Rendered(entry_key(name, data.facts_key([a.id for a in articles])), make)


def _sitemap(data: SiteData) -> Rendered:
    """sitemap.xml, keyed by what it lists (each page's URL and date): an edit of an article's
    text leaves it alone, where keying it by every article's facts made it again each time."""
    config = data.config
    listed: list[tuple[str, Any]] = [(absolute(config, "/"), None)]
    listed += [
        (absolute(config, data.urls.by_id[a.id]), a.updated or a.date)
        for a in data.archive.articles
    ]
    listed += [(absolute(config, stories.story_path(s)), None) for s in data.archive.stories]
    return Rendered(
        entry_key("sitemap.xml", data.fingerprint, repr(listed)), lambda: feeds.sitemap(listed)
    )


__all__ = [
    "LIST_PARTS",
    "Page",
    "Rendered",
    "SiteData",
    "article_page",
    "list_pages",
    "prepare",
    "render_site",
    "search_context",
    "search_document",
    "search_page",
]
