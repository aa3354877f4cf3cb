"""Field parsing shared by every reader: plain text, dates, author lists, slugs, URLs.

Each reader finds the raw values its own way; what a valid title, date or slug is must not
depend on which kind of file it came from.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass
from urllib.parse import urlsplit

from dateutil import parser as dateparser

from ..errors import Problem, Severity
from ..model import When
from ..text import slugify


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem noticed by a pure parser, before it knows which file it is reading."""

    message: str
    hint: str = ""
    line: int | None = None
    severity: Severity = "warning"

    def at(self, shown_path: str, line_offset: int = 0) -> Problem:
        """The Problem for the file as the user names it; line_offset shifts relative lines."""
        line = None if self.line is None else self.line + line_offset
        return Problem(shown_path, self.message, self.hint, line, self.severity)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_SPACE = re.compile(r"\s+")
_NOT_IN_URLS = re.compile(r'["<>\\^`{|}]')
"""Characters RFC 3986 never allows in a URL: a source_url holding one is refused."""


def clean_text(value: str) -> str:
    """One line of plain text: control and invisible characters gone, whitespace collapsed.
    (`str.split` splits on what `\\s` matches, at a third of the cost of a regex: every
    paragraph of every article comes through here.)"""
    return " ".join(_CONTROL.sub(" ", value).split())


# --- dates -------------------------------------------------------------------------------------

_HOUR = dt.timedelta(hours=1)
#: Zone abbreviations seen in US/UK news datelines. Unknown ones leave the time naive (the site's
#: zone then applies) instead of guessing from the build machine's locale.
_ZONES: dict[str, dt.tzinfo] = {
    name: dt.timezone(hours * _HOUR, name)
    for name, hours in {
        "UTC": 0, "GMT": 0, "Z": 0, "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3,
        "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    }.items()
}  # fmt: skip
_DEFAULT_A = dt.datetime(2000, 1, 1, 0, 0, 0)
_DEFAULT_B = dt.datetime(2001, 2, 2, 1, 1, 1)
_MERIDIEM = re.compile(r"\b([ap])\.m\.?", re.IGNORECASE)
_AT = re.compile(r"\s+at\s+(?=\d)", re.IGNORECASE)
_MAX_DATE_TEXT = 80
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?[+-]\d{2}:\d{2})?")
"""A date, or a date-time to the minute or second with a numeric offset."""
_UTC = dt.timezone(dt.timedelta(0), "UTC")
"""A zero offset as dateutil names it (the name shows in reprs, and so in cache keys)."""


def _zone(name: str | None, offset: int | None) -> dt.tzinfo | None:
    if name:
        return _ZONES.get(name.upper())
    if offset is not None:
        return dt.timezone(dt.timedelta(seconds=offset))
    return None


def parse_when(value: str) -> When | None:
    """A full calendar date from text ("March 19th, 2025", "2025-03-19T10:00+01:00"), or None.

    A date without a time stays a `date`; a time without a zone stays naive (see `localise`).
    Text missing the year, month or day gives None: a date is never completed by guessing.
    """
    text = _AT.sub(" ", _MERIDIEM.sub(r"\1m", clean_text(value)))
    if not text or len(text) > _MAX_DATE_TEXT or not re.search(r"\d", text):
        return None
    if _ISO.fullmatch(text):  # the usual front-matter form: what dateutil gives, 20x sooner
        with contextlib.suppress(ValueError):
            if "T" not in text:
                return dt.date.fromisoformat(text)
            when = dt.datetime.fromisoformat(text)
            return when.replace(tzinfo=_UTC) if when.utcoffset() == dt.timedelta(0) else when
    try:
        first = dateparser.parse(text, default=_DEFAULT_A, tzinfos=_zone)
        second = dateparser.parse(text, default=_DEFAULT_B, tzinfos=_zone)
    except (ValueError, OverflowError, TypeError, ArithmeticError):
        return None
    if first.date() != second.date():
        return None  # some of year, month or day came from the defaults
    if first.time() == _DEFAULT_A.time() and second.time() == _DEFAULT_B.time():
        return first.date()
    return first


def coerce_when(value: object) -> When | None:
    """A front-matter value (date, datetime or text) as a When; None when it is not one."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return parse_when(value)
    return None


def localise(when: When | None, timezone: str) -> When | None:
    """Give a naive datetime the site's zone; dates and aware datetimes are left alone."""
    if isinstance(when, dt.datetime) and when.tzinfo is None:
        try:
            return when.replace(tzinfo=zoneinfo.ZoneInfo(timezone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return when.replace(tzinfo=dt.UTC)
    return when


# --- people, lists ---------------------------------------------------------------------------

_NAME_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b)\s*", re.IGNORECASE)
_BY = re.compile(r"^\s*by\s+", re.IGNORECASE)


def split_authors(value: str) -> tuple[str, ...]:
    """ "By A, B and C" / "A, B &, C" -> ("A", "B", "C"): no "By", no "&", no stray commas."""
    text = _BY.sub("", clean_text(value))
    return unique(clean_name(part) for part in _NAME_SPLIT.split(text))


def clean_name(value: str) -> str:
    return clean_text(value).strip(" ,;&*_-–—.:|")


def unique(values: object) -> tuple[str, ...]:
    """Non-empty strings, first occurrence kept (case-insensitive), order kept."""
    seen: set[str] = set()
    result = []
    for value in values:  # type: ignore[attr-defined]
        key = value.casefold()
        if value and key not in seen:
            seen.add(key)
            result.append(value)
    return tuple(result)


def split_list(value: str) -> tuple[str, ...]:
    """ "a, b, c" -> ("a", "b", "c")."""
    return unique(clean_text(part) for part in value.split(","))


# --- slugs, URLs -------------------------------------------------------------------------------


def check_slug(wanted: str, fallback: str) -> tuple[str, Finding | None]:
    """A slug that is one URL-safe path segment; anything else is replaced, with a finding."""
    if wanted and wanted == slugify(wanted) and wanted not in (".", ".."):
        return wanted, None
    safe = slugify(wanted) or fallback
    finding = Finding(
        f"slug {wanted!r} is not allowed; using {safe!r}",
        'use one URL segment of lowercase letters, digits and hyphens, e.g. slug = "talks"',
    )
    return safe, finding


def is_web_url(value: str) -> bool:
    """True for absolute http(s) URLs with a host: the only links we copy into pages."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not _SPACE.search(value)
        and not _NOT_IN_URLS.search(value)
    )
