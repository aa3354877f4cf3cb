"""Story pages, version diffs and Memento TimeMaps (RFC 7089) for stories with several versions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..cache import entry_key
from ..model import Story, When
from ..text import slugify
from .urls import absolute, output_file
from .views import DateView, Link, format_when

if TYPE_CHECKING:
    from .site import Page, SiteData

KIND_LABELS = {
    "original": "Original",
    "update": "Update",
    "syndicated": "Syndicated copy",
    "version": "Version",
}


@dataclass(frozen=True, slots=True)
class VersionView:
    number: int
    title: str
    url: str
    date: DateView | None
    publication: str
    word_count: int
    kind: str
    kind_label: str
    is_main: bool
    is_current: bool


@dataclass(frozen=True, slots=True)
class StoryView:
    title: str
    url: str
    versions: tuple[VersionView, ...]
    position: int
    """1-based position of the current article among the versions (0 on the story page)."""
    diffs: tuple[tuple[Link, str], ...]
    """(link to the diff page, its summary line)."""
    timemap_link: str
    timemap_json: str


def story_path(story: Story) -> str:
    return f"/stories/{slugify(story.id.replace('/', '-'), max_length=120)}/"


def diff_pairs(story: Story) -> list[tuple[int, int]]:
    """Consecutive versions, then each other version against the main one (1-based numbers)."""
    count = len(story.versions)
    main = story.article_ids.index(story.main_id) + 1
    pairs = [(n, n + 1) for n in range(1, count)]
    for n in range(1, count + 1):
        pair = (min(n, main), max(n, main))
        if n != main and pair not in pairs:
            pairs.append(pair)
    return pairs


def diff_path(story: Story, old: int, new: int) -> str:
    return f"{story_path(story)}diff/{old}-{new}/"


def story_context(data: SiteData, story: Story, current_id: str | None) -> StoryView:
    versions = []
    for n, version in enumerate(story.versions, start=1):
        article = data.by_id[version.article_id]
        versions.append(
            VersionView(
                number=n,
                title=article.title,
                url=data.article_url(article.id),
                date=format_when(article.date, data.config.timezone),
                publication=article.publication,
                word_count=article.word_count,
                kind=version.kind,
                kind_label=KIND_LABELS.get(version.kind, version.kind.title()),
                is_main=version.article_id == story.main_id,
                is_current=version.article_id == current_id,
            )
        )
    position = story.article_ids.index(current_id) + 1 if current_id in story.article_ids else 0
    diffs = tuple(
        (Link(f"Version {a} → version {b}", data.href(diff_path(story, a, b))), "")
        for a, b in diff_pairs(story)
    )
    base = story_path(story)
    return StoryView(
        title=data.by_id[story.main_id].title,
        url=data.href(base),
        versions=tuple(versions),
        position=position,
        diffs=diffs,
        timemap_link=data.href(base + "timemap.link"),
        timemap_json=data.href(base + "timemap.json"),
    )


def story_pages(data: SiteData) -> Iterator[Page]:
    from .site import Page

    index = []
    for story in data.archive.stories:
        yield from one_story_pages(data, story)
        index.append(story_entry(data, story))
    yield Page(
        "stories/index.html",
        data.render(
            "stories.html", page_title="Stories with several versions", stories=tuple(index)
        ),
    )


def story_entry(data: SiteData, story: Story) -> tuple[Link, int, DateView | None]:
    """The story as the list of stories shows it: its title, its number of versions and the
    first version's date."""
    first = data.by_id[story.versions[0].article_id]
    return (
        Link(data.by_id[story.main_id].title, data.href(story_path(story))),
        len(story.versions),
        format_when(first.date, data.config.timezone),
    )


def story_files(story: Story) -> list[str]:
    """The files of a story's pages: its diff pages, its page and its TimeMaps."""
    base = story_path(story)
    files = [output_file(diff_path(story, old, new)) for old, new in diff_pairs(story)]
    return [*files, *(output_file(base + name) for name in ("", "timemap.link", "timemap.json"))]


def one_story_pages(data: SiteData, story: Story) -> Iterator[Page]:
    """A story's pages (see `story_files`). They show only its versions (and the site): where
    their facts are what the last build made the pages from, the pages are not even keyed."""
    inputs = data.facts_key(story.article_ids)
    known = [
        data.known_page(path, inputs, functools.partial(_story_file, data, story, path))
        for path in story_files(story)
    ]
    if all(known):
        yield from (page for page in known if page)
        return
    for page in _made_story_pages(data, story, inputs):
        yield dataclasses.replace(page, inputs=inputs)


def _story_file(data: SiteData, story: Story, path: str) -> bytes:
    from .site import Rendered

    page = next(p for p in _made_story_pages(data, story, "") if p.path == path)
    return page.data.make() if isinstance(page.data, Rendered) else page.data


def _made_story_pages(data: SiteData, story: Story, inputs: str) -> Iterator[Page]:
    from .site import Page, Rendered

    view = story_context(data, story, None)
    pairs = diff_pairs(story)
    summaries = []
    for (old, new), (link, _) in zip(pairs, view.diffs, strict=True):
        old_article = data.by_id[story.versions[old - 1].article_id]
        new_article = data.by_id[story.versions[new - 1].article_id]
        result = data.diff(old_article, new_article)
        summaries.append((link, result.summary))
        yield Page(
            output_file(diff_path(story, old, new)),
            data.render(
                "diff.html",
                page_title=f"Changes from version {old} to {new}: {view.title}",
                story=view,
                old=view.versions[old - 1],
                new=view.versions[new - 1],
                summary=result.summary,
                title_segments=result.title_segments,
                paragraphs=result.paragraphs,
            ),
        )
    view = StoryView(**{**_fields(view), "diffs": tuple(summaries)})
    base = story_path(story)
    yield Page(
        output_file(base),
        data.render("story.html", page_title=f"Story: {view.title}", story=view),
    )
    for name, make in (("timemap.link", timemap_link_format), ("timemap.json", timemap_json)):
        path = output_file(base + name)
        key = entry_key("timemap", path, inputs)  # TimeMaps show only the versions
        yield Page(path, Rendered(key, functools.partial(make, data, story)))


def _fields(view: StoryView) -> dict[str, Any]:
    return {name: getattr(view, name) for name in StoryView.__slots__}


def _http_date(when: When) -> str:
    moment = (
        when
        if isinstance(when, dt.datetime)
        else dt.datetime(when.year, when.month, when.day, tzinfo=dt.UTC)
    )
    return email.utils.format_datetime(moment.astimezone(dt.UTC), usegmt=True)


def _mementos(data: SiteData, story: Story) -> list[tuple[str, When]]:
    return [
        (absolute(data.config, data.urls.by_id[v.article_id]), data.by_id[v.article_id].date)  # type: ignore[misc]
        for v in story.versions
        if data.by_id[v.article_id].date is not None
    ]


def timemap_link_format(data: SiteData, story: Story) -> bytes:
    """application/link-format TimeMap: the story page is the original resource (URI-R)."""
    base = story_path(story)
    original = absolute(data.config, base)
    mementos = _mementos(data, story)
    lines = [f'<{original}>;rel="original"']
    timemap = absolute(data.config, base + "timemap.link")
    self_line = f'<{timemap}>;rel="self";type="application/link-format"'
    if mementos:
        self_line += f';from="{_http_date(mementos[0][1])}";until="{_http_date(mementos[-1][1])}"'
    lines.append(self_line)
    for i, (url, when) in enumerate(mementos):
        rel = "memento"
        if i == 0:
            rel = "first memento" if len(mementos) > 1 else "first last memento"
        elif i == len(mementos) - 1:
            rel = "last memento"
        lines.append(f'<{url}>;rel="{rel}";datetime="{_http_date(when)}"')
    return (",\n".join(lines) + "\n").encode("utf-8")


def timemap_json(data: SiteData, story: Story) -> bytes:
    base = story_path(story)
    mementos = [{"datetime": _http_date(w), "uri": u} for u, w in _mementos(data, story)]
    document: dict[str, Any] = {
        "original_uri": absolute(data.config, base),
        "timemap_uri": {
            "link_format": absolute(data.config, base + "timemap.link"),
            "json_format": absolute(data.config, base + "timemap.json"),
        },
        "mementos": {"list": mementos},
    }
    if mementos:
        document["mementos"]["first"] = mementos[0]
        document["mementos"]["last"] = mementos[-1]
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
