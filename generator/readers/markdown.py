"""Markdown with TOML (+++) or YAML (---) front matter -> Article, body sanitised.

Front matter is checked field by field: a wrong value is reported and ignored, so one typo never
costs the whole article; only front matter that cannot be parsed at all skips the file.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import nh3
import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..model import Article, Body, When
from ..text import article_id, slugify, word_count
from .fields import (
    Finding,
    check_slug,
    clean_text,
    coerce_when,
    is_web_url,
    localise,
    split_authors,
    split_list,
    unique,
)

_MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_URL_SCHEMES = {"http", "https", "mailto"}
_FENCES = {"---": "YAML", "+++": "TOML"}
_ALIASES = {
    "summary": "dek",
    "description": "dek",
    "subtitle": "dek",
    "author": "authors",
}
_TEXT_FIELDS = ("title", "dek", "publication", "section", "story")
_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """The split of a Markdown file: its metadata, body and where each starts."""

    values: Mapping[str, Any] = field(default_factory=dict)
    body: str = ""
    body_line: int = 1
    """1-based line of the file where the body starts."""
    lines: tuple[str, ...] = ()
    """The front matter's own lines, to point at a field's line (line 2 is lines[0])."""


def split_front_matter(text: str) -> FrontMatter | Finding:
    """Front matter and body, or the error that makes the file unreadable. Pure."""
    lines = text.split("\n")
    fence = lines[0].strip()
    if fence not in _FENCES:
        return FrontMatter(body=text)
    close = next((i for i in range(1, len(lines)) if lines[i].rstrip() == fence), None)
    if close is None:
        return Finding(
            f"the {_FENCES[fence]} front matter opened on line 1 is never closed",
            f"Did you forget the closing `{fence}`? Put it on its own line after the last field.",
            1,
            "error",
        )
    raw = "\n".join(lines[1:close])
    try:
        values = _load(raw, fence)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_LINE.search(str(exc))
        line = int(match[1]) + 1 if match else close
        message = _TOML_LINE.sub("", str(exc)).replace("(at end of document)", "").strip()
        return Finding(
            f"front matter is not valid TOML: {message}",
            'check this line: TOML needs key = "value", with strings in quotes',
            line,
            "error",
        )
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return Finding(
            f"front matter is not valid YAML: {problem}",
            "check this line: YAML needs `key: value`; quote values containing ': ' or '#'",
            line,
            "error",
        )
    except (RecursionError, ValueError, TypeError, OverflowError) as exc:
        message = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        return Finding(
            f"front matter could not be read: {message}", "use simple key: value fields", 1, "error"
        )
    if values is None:
        values = {}
    if not isinstance(values, dict):
        return Finding(
            "front matter must be a set of fields, one `key: value` per line",
            f"Did you forget the closing `{fence}`?",
            2,
            "error",
        )
    return FrontMatter(
        {str(k): v for k, v in values.items()},
        "\n".join(lines[close + 1 :]),
        close + 2,
        tuple(lines[1:close]),
    )


class _YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader that leaves timestamps as text: `date: 2025-13-45` then becomes a warning on
    one field (through parse_when) instead of an exception from deep inside PyYAML. LibYAML's
    parser where PyYAML has it: the pure-Python one took half of the time to read a file."""


_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load(raw: str, fence: str) -> Any:
    if fence == "+++":
        return tomllib.loads(raw)
    return yaml.load(raw, Loader=_YamlLoader)  # a SafeLoader: no arbitrary objects


def _field_line(front: FrontMatter, key: str) -> int | None:
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[:=]")
    return next((i + 2 for i, line in enumerate(front.lines) if pattern.match(line)), None)


@dataclass
class _Fields:
    """Front-matter fields after checking; a scratch record, turned into an Article at once."""

    text: dict[str, str] = field(default_factory=dict)
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    date: When | None = None
    updated: When | None = None
    source_url: str = ""
    slug: str = ""
    draft: bool = False
    standalone: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def check_fields(front: FrontMatter, findings: list[Finding]) -> _Fields:
    """Check every front-matter field; report and ignore the wrong ones."""
    result = _Fields()
    for key, value in front.values.items():
        name = _ALIASES.get(key.lower(), key.lower())
        line = _field_line(front, key)

        def wrong(
            expected: str, *, _key: str = key, _value: Any = value, _line: int | None = line
        ) -> None:
            findings.append(
                Finding(
                    f"{_key} must be {expected}, not {_short(_value)}; it is ignored",
                    f"write e.g. {_example(_key)}",
                    _line,
                )
            )

        if name in _TEXT_FIELDS:
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                if name not in result.text:
                    result.text[name] = clean_text(str(value))
            else:
                wrong("text")
        elif name == "authors":
            names = _text_list(value, split_authors)
            result.authors = names if names is not None else result.authors
            if names is None:
                wrong("a name or a list of names")
        elif name == "tags":
            tags = _text_list(value, split_list)
            result.tags = tags if tags is not None else ()
            if tags is None:
                wrong("a list of tags")
        elif name in ("date", "updated"):
            when = None if isinstance(value, bool) else coerce_when(value)
            if when is None:
                findings.append(
                    Finding(
                        f"{key} {_short(value)} is not a date I can read; it is left empty",
                        f'write e.g. {key} = 2025-03-19 or {key}: "March 19, 2025"',
                        line,
                    )
                )
            setattr(result, name, when)
        elif name == "source_url":
            url = clean_text(value) if isinstance(value, str) else ""
            if is_web_url(url):
                result.source_url = url
            else:
                wrong("an http:// or https:// address")
        elif name == "slug":
            if isinstance(value, str | int) and not isinstance(value, bool):
                result.slug = clean_text(str(value))
            else:
                wrong("text")
        elif name in ("draft", "versions"):
            if not isinstance(value, bool):
                wrong("true or false")
            elif name == "draft":
                result.draft = value
            else:
                result.standalone = not value
        else:
            text = _extra_text(value)
            if text is None:
                wrong("text, a number, a date or a list of those")
            else:
                result.extra[key] = text
    return result


def _text_list(value: Any, split: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return split(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return unique(clean_text(v) for v in value)
    return None


def _extra_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float | dt.date | dt.time):
        return clean_text(str(value))
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(clean_text(str(v)) for v in value)
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _example(key: str) -> str:
    examples = {
        "authors": 'authors = ["Jane Doe", "John Roe"]',
        "author": 'author = "Jane Doe"',
        "tags": 'tags = ["ukraine", "diplomacy"]',
        "source_url": 'source_url = "https://example.com/story"',
        "draft": "draft = true",
        "versions": "versions = false",
    }
    return examples.get(key, f'{key} = "..."')


# --- body ------------------------------------------------------------------------------------


def render_body(body: str) -> tuple[str, tuple[str, ...]]:
    """The body as sanitised HTML (no scripts, handlers or unsafe URLs) and as plain paragraphs."""
    prose = plain_prose(body)
    if prose is None:
        return render_markdown(body)
    html = "".join("<p>" + _escape("\n".join(lines)) + "</p>\n" for lines in prose)
    paragraphs = (clean_text(" ".join(lines)) for lines in prose)
    return _sanitise(html), tuple(text for text in paragraphs if text)


def render_markdown(body: str) -> tuple[str, tuple[str, ...]]:
    """`render_body` by markdown-it, whatever the body holds."""
    tokens = _MD.parse(body)
    _headings_from_h2(tokens)
    return _sanitise(_MD.renderer.render(tokens, _MD.options, {})), paragraphs_of(tokens)


def _sanitise(html: str) -> str:
    safe = nh3.clean(html, url_schemes=_URL_SCHEMES, link_rel="noopener noreferrer")
    return _HREFLESS_REL.sub("<a>", safe)  # a link whose unsafe href was dropped keeps no rel


_HREFLESS_REL = re.compile(r'<a rel="noopener noreferrer">')

_NOT_PROSE = re.compile(r"[\\`*_\[\]<>~|\t\r\x00]|&[#A-Za-z0-9]+;")
"""What may be Markdown anywhere in a line (emphasis, code, links, HTML, strikethrough, tables,
escapes, entities), or what markdown-it rewrites (tabs, CRs, NULs)."""
_BLOCK_START = re.compile(r"[#>\-+*=_`~<|]|\d{1,9}[.)]")
"""What may begin a block other than a paragraph: a heading, quote, list, rule or fence."""


def plain_prose(body: str) -> list[list[str]] | None:
    """The lines of each paragraph of a body that is plain prose, where Markdown could mean
    nothing but paragraphs; None where it could mean more. Most news text is plain prose, and
    markdown-it took 0.13 ms a BBC article where this and the sanitiser take 0.03 ms: a
    first build at 11,000 articles saves about a second of CPU. The tests check that both
    give the same for any text."""
    if _NOT_PROSE.search(body):
        return None
    paragraphs: list[list[str]] = []
    lines: list[str] = []
    for line in body.split("\n"):
        if not line.strip(" "):  # a blank line
            if lines:
                paragraphs.append(lines)
                lines = []
        elif line != line.strip() or _BLOCK_START.match(line):
            return None
        else:
            lines.append(line)
    if lines:
        paragraphs.append(lines)
    return paragraphs


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;")


def _headings_from_h2(tokens: list[Token]) -> None:
    """Shift body headings so the highest is <h2>: the page's <h1> is the headline, and headings
    must not skip levels (a body that starts at ### would otherwise jump from h1 to h3)."""
    levels = [int(t.tag[1]) for t in tokens if t.type in ("heading_open", "heading_close")]
    if not levels:
        return
    shift = 2 - min(levels)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + shift)}"


def paragraphs_of(tokens: list[Token]) -> tuple[str, ...]:
    """Plain text of each paragraph, heading, list item and quoted paragraph, in order."""
    found = []
    for before, token in itertools.pairwise(tokens):
        if token.type == "inline" and before.type in ("paragraph_open", "heading_open"):
            text = clean_text(_plain_inline(token.children or []))
            if text:
                found.append(text)
    return tuple(found)


_RAW_OPEN = re.compile(r"<(script|style)\b", re.IGNORECASE)
_RAW_CLOSE = re.compile(r"</(script|style)\s*>", re.IGNORECASE)


def _plain_inline(children: list[Token]) -> str:
    """Text of inline tokens: markup dropped, and nothing between inline <script>/<style> tags."""
    parts = []
    hidden = False
    for child in children:
        if child.type == "html_inline":
            hidden = bool(_RAW_OPEN.match(child.content)) or (
                hidden and not _RAW_CLOSE.match(child.content)
            )
        elif hidden:
            continue
        elif child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def _take_h1(body: str) -> tuple[str, str]:
    """The first level-1 heading's text, and the body without it."""
    tokens = _MD.parse(body)
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1" and token.map and token.level == 0:
            title = paragraphs_of(tokens[index : index + 2])
            lines = body.split("\n")
            start, end = token.map
            return (title[0] if title else ""), "\n".join(lines[:start] + lines[end:])
    return "", body


# --- the adapter -----------------------------------------------------------------------------


def markdown_article(
    text: str, source_path: str, timezone: str
) -> tuple[Article | None, list[Finding]]:
    """Build the Article for a Markdown file; pure."""
    front = split_front_matter(text)
    if isinstance(front, Finding):
        return None, [front]
    findings: list[Finding] = []
    fields = check_fields(front, findings)
    ident = article_id(source_path)
    title = fields.text.get("title", "")
    body = front.body
    if not title:
        title, body = _take_h1(body)
    if not title:
        title = _title_from_path(source_path)
        findings.append(
            Finding(
                f"no title; using the file name {title!r}",
                'add front matter with title = "..." or start the text with "# Headline"',
                1,
            )
        )
    fallback = slugify(title) or ident.rsplit("/", 1)[-1]
    slug = fallback
    if fields.slug:
        slug, problem = check_slug(fields.slug, fallback)
        if problem is not None:
            findings.append(Finding(problem.message, problem.hint, _field_line(front, "slug")))
    body_html, paragraphs = render_body(body)
    article = Article(
        id=ident,
        source_path=source_path,
        format="markdown",
        title=title,
        slug=slug,
        body=Body(body_html, paragraphs),
        dek=fields.text.get("dek", ""),
        authors=fields.authors,
        publication=fields.text.get("publication", ""),
        section=fields.text.get("section", ""),
        date=localise(fields.date, timezone),
        updated=localise(fields.updated, timezone),
        source_url=fields.source_url,
        tags=fields.tags,
        draft=fields.draft,
        story=fields.text.get("story") or None,
        standalone=fields.standalone,
        word_count=word_count(paragraphs),
        source_line_offset=front.body_line,
        extra=dict(sorted(fields.extra.items())),
    )
    return article, findings


def _title_from_path(source_path: str) -> str:
    stem = source_path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return clean_text(re.sub(r"[-_]+", " ", stem)) or "Untitled"
