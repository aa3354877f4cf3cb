"""The data passed between the stages of a build: complete when made, never mutated.

readers -> Article; analysis -> Story, Archive; render reads them all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import marshal
import operator
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

SourceFormat = Literal["markdown", "clipping", "text", "html"]
VersionKind = Literal["original", "update", "syndicated", "version"]

#: A publication date: a whole day when the source gives no time, else an aware datetime.
When = dt.date | dt.datetime


def when_sort_key(when: When | None) -> str:
    """A string that sorts dates and datetimes together, undated last when sorted descending."""
    if when is None:
        return ""
    if isinstance(when, dt.datetime):  # isoformat: a third of strftime's cost, and years
        return when.astimezone(dt.UTC).isoformat(timespec="seconds")[:19]  # < 1000 get 4 digits
    return f"{when.isoformat()}T00:00:00"


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_DAY = dt.date(1970, 1, 1).toordinal()
_SECOND = dt.timedelta(seconds=1)
UNDATED = -(2**62)
"""`when_order` of no date: below every date."""


def when_order(when: When | None) -> int:
    """Whole seconds since 1970 in UTC (a date at its UTC midnight; undated lowest): sorts
    exactly as `when_sort_key`, ties included, in a fifth of its time (grouping 100,000
    articles sorted them 225,000 times). Integer arithmetic: a float timestamp of year 9999
    cannot hold the microseconds that decide its second."""
    if when is None:
        return UNDATED
    if isinstance(when, dt.datetime):
        if when.tzinfo is None:  # naive: local time, as astimezone reads it
            when = when.astimezone()
        return (when - _EPOCH) // _SECOND
    return (when.toordinal() - _EPOCH_DAY) * 86400


def when_iso(when: When | None) -> str | None:
    """ISO 8601 text for JSON-LD, feeds and catalog.json."""
    return None if when is None else when.isoformat()


_Class = TypeVar("_Class", bound=type)


def pickled_by_fields(cls: _Class) -> _Class:
    """Pickle a frozen dataclass as a call of the class with its field values: unpickling then
    goes through __init__, not dataclasses' __setstate__, which looks the fields up again for
    every object (11,000 cached articles unpickled in 0.12 s instead of 0.19 s)."""
    values = operator.attrgetter(*(f.name for f in dataclasses.fields(cls)))

    def __reduce__(self: Any) -> tuple[type, tuple[Any, ...]]:
        found = values(self)
        return cls, found if isinstance(found, tuple) else (found,)

    cls.__reduce__ = __reduce__  # type: ignore[method-assign]
    return cls


class Body:
    """An article's body: its sanitised HTML, and the same text as plain paragraphs. Pickled
    packed (marshal, then zlib: at 11,000 articles 50 MB of text is 14 MB) and unpacked when
    first read. An edit loads every article from the cache but reads a few bodies: unpacked,
    the 11,000 others cost 0.74 s of CPU, in unpickling and in the memory that the build and
    every process it forks touched."""

    __slots__ = ("_html", "_packed", "_paragraphs")

    def __init__(self, html: str = "", paragraphs: tuple[str, ...] = ()) -> None:
        self._html: str | None = html
        self._paragraphs: tuple[str, ...] | None = tuple(paragraphs)
        self._packed: bytes | None = None

    @property
    def html(self) -> str:
        """Sanitised HTML, ready to place in a page."""
        if self._html is None:
            self._unpack()
        assert self._html is not None
        return self._html

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """Plain-text paragraphs, for analysis (versions, related, diffs, word count)."""
        if self._paragraphs is None:
            self._unpack()
        assert self._paragraphs is not None
        return self._paragraphs

    def packed(self) -> bytes:
        """The body as pickled (made once, then kept)."""
        if self._packed is None:
            self._packed = zlib.compress(marshal.dumps((self.html, self.paragraphs), 4), 1)
        return self._packed

    def _unpack(self) -> None:
        assert self._packed is not None
        html, paragraphs = marshal.loads(zlib.decompress(self._packed))
        self._html, self._paragraphs = html, tuple(paragraphs)

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        return _unpacked_later, (self.packed(),)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Body):
            return NotImplemented
        return (self.html, self.paragraphs) == (other.html, other.paragraphs)

    def __hash__(self) -> int:
        return hash((self.html, self.paragraphs))

    def __repr__(self) -> str:
        return f"Body(html={self.html!r}, paragraphs={self.paragraphs!r})"


def _unpacked_later(packed: bytes) -> Body:
    """A pickled Body, unpacked when first read."""
    body = Body.__new__(Body)
    body._html = body._paragraphs = None
    body._packed = packed
    return body


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Article:
    """One input file, read and cleaned: what the reader sees on its page."""

    id: str
    """Stable id derived from the source path (e.g. "world/2025/ceasefire-talks"); never changes
    between builds while the file keeps its path."""
    source_path: str
    """Path of the source file relative to content_dir, with forward slashes."""
    format: SourceFormat
    """How the file was written: Markdown, a pasted clipping, plain text, or a saved page."""
    title: str
    """The headline; never empty (falls back to the file name, with a warning)."""
    slug: str
    """URL-safe name used in the permalink; from front matter or made from the title."""
    body: Body
    """The body, as HTML and as plain-text paragraphs (`body_html`, `paragraphs`)."""
    dek: str = ""
    """The standfirst/summary under the headline."""
    authors: tuple[str, ...] = ()
    """Author names in byline order, without "By" or "&"."""
    publication: str = ""
    """Where it was published, e.g. "The Washington Post"."""
    section: str = ""
    """The section of the publication, e.g. "World Review"."""
    date: When | None = None
    """When it was first published; None when the source does not say (never invented)."""
    updated: When | None = None
    """When it was last updated, if the source says."""
    source_url: str = ""
    """Where the original lives on the web."""
    tags: tuple[str, ...] = ()
    """Topics, as written by the user."""
    draft: bool = False
    """Drafts are read (and reported) but not published."""
    story: str | None = None
    """A story key forced by front matter (`story = "..."`); articles sharing it are versions."""
    standalone: bool = False
    """Front matter `versions = false`: never group this article with others."""
    word_count: int = 0
    """Words in the body."""
    source_line_offset: int = 0
    """Line in the source file where the body starts (for messages)."""
    extra: Mapping[str, str] = field(default_factory=dict)
    """Other front-matter keys, as text, kept for themes (not used by Broadsheet itself)."""

    @property
    def body_html(self) -> str:
        """The body as sanitised HTML, ready to place in a page."""
        return self.body.html

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """The body as plain-text paragraphs, for analysis (versions, related, diffs, words)."""
        return self.body.paragraphs

    @property
    def text(self) -> str:
        """The body as plain text, paragraphs separated by blank lines."""
        return "\n\n".join(self.paragraphs)

    @property
    def sort_key(self) -> tuple[int, str]:
        """Newest first when sorted in reverse; ties broken by id so order is stable."""
        return (when_order(self.date), self.id)


@dataclass(frozen=True, slots=True)
class Version:
    """One article's place in its story."""

    article_id: str
    kind: VersionKind
    """original, update (same publication, later), syndicated (other publication), or version."""
    based_on: str | None
    """The id of the version this one derives from (JSON-LD isBasedOn); None for the first."""


@dataclass(frozen=True, slots=True)
class Story:
    """Articles that are versions of one piece of journalism."""

    id: str
    """Stable id: the id of its earliest version."""
    versions: tuple[Version, ...]
    """In order: by date (undated last), then id."""
    main_id: str
    """The version shown as the story's main text (the earliest dated original)."""

    @property
    def article_ids(self) -> tuple[str, ...]:
        return tuple(v.article_id for v in self.versions)


@dataclass(frozen=True, slots=True)
class Archive:
    """Everything analysis learned about the whole archive; input to rendering."""

    articles: tuple[Article, ...]
    """Published articles, newest first."""
    stories: tuple[Story, ...]
    """Every story with two or more versions, ordered by id."""
    story_of: Mapping[str, str]
    """Article id -> story id, for articles that belong to a multi-version story."""
    related: Mapping[str, tuple[str, ...]]
    """Article id -> related article ids (other stories), best first."""
