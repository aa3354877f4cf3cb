"""Story pages, version diffs and Memento TimeMaps (RFC 7089) for stories with several versions."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
        view = yield from one_story_pages(data, story)
        index.append((Link(view.title, view.url), len(story.versions), view.versions[0].date))
    yield Page(
        "stories/index.html",
        data.render(
            "stories.html", page_title="Stories with several versions", stories=tuple(index)
        ),
    )


def one_story_pages(data: SiteData, story: Story) -> Generator[Page, None, StoryView]:
    """A story's page, its diff pages and its TimeMaps; returns the story's view."""
    from .site import Page

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
    yield Page(output_file(base + "timemap.link"), timemap_link_format(data, story))
    yield Page(output_file(base + "timemap.json"), timemap_json(data, story))
    return view


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
