"""Raw text pasted from a news site -> headline, dek, byline, date and clean body paragraphs.

A clipping has no markup, only habits: header clutter (weekday, date, section), the headline,
perhaps a dek, a byline ("By A, B and C" + publication), "Published ..." stamps, then paragraphs
with site clutter mixed in (the headline repeated, promo lines, navigation at the end). The parser
reads those habits conservatively: when unsure, a line stays in the body, because losing a real
paragraph is worse than keeping a stray one. Missing fields stay empty; a date is never invented.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from ..model import Article, Body, When
from ..text import article_id, slugify, word_count
from .fields import Finding, check_slug, clean_name, clean_text, localise, parse_when, unique


@dataclass(frozen=True, slots=True)
class Clipping:
    """What a pasted clipping says about itself; empty strings where it says nothing."""

    title: str
    dek: str
    authors: tuple[str, ...]
    publication: str
    section: str
    date: When | None
    updated: When | None
    paragraphs: tuple[str, ...]
    body_line: int
    """1-based line where the body starts (0 when there is no body)."""
    warnings: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True)
class _Block:
    """Lines between blank lines, stripped, with the number of the first one."""

    line: int
    lines: tuple[str, ...]


# --- line kinds ------------------------------------------------------------------------------

_WEEKDAY = re.compile(r"(mon|tues|wednes|thurs|fri|satur|sun)day,?", re.IGNORECASE)
_MONTH = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d|\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}"
    r"|\d{1,2}(st|nd|rd|th)?\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)",
    re.IGNORECASE,
)
_STAMP = re.compile(
    r"^(?P<kind>(?:first\s+)?published|posted|(?:last\s+)?updated|modified)\b\s*(?:on\b)?\s*:?\s*"
    r"(?P<rest>.*)$",
    re.IGNORECASE,
)
_UPDATED_INSIDE = re.compile(
    r"[|·•,;]?\s*\b(?:last\s+)?updated\b\s*(?:on\b)?\s*:?\s*", re.IGNORECASE
)
_BYLINE = re.compile(r"^by\s+(?=[A-Z])", re.IGNORECASE)
_DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z.'’ -]+?)(?:,\s*(?P<where>[^()—–-]*?))?\s*(?:\((?P<agency>[^)]{2,40})\))?"
    r"\s*[—–-]+\s*$"
)
_NAME_WORD = re.compile(
    r"^(?:[A-Z][\w'’.-]*|[A-Z]\.|(?:de|da|del|della|der|den|van|von|bin|al|la|le|di|du|dos|y|ter|ten)|[A-Z]\w*-\w+)$"
)
_ORG_WORDS = frozenset(
    [
        "post",
        "times",
        "news",
        "press",
        "reuters",
        "journal",
        "guardian",
        "telegraph",
        "tribune",
        "herald",
        "bloomberg",
        "afp",
        "ap",
        "bbc",
        "cnn",
        "npr",
        "agency",
        "agence",
        "service",
        "wire",
        "magazine",
        "daily",
        "gazette",
        "chronicle",
        "review",
        "observer",
        "independent",
        "economist",
        "associated",
        "politico",
        "axios",
        "insider",
        "mail",
        "star",
        "sun",
        "globe",
        "bulletin",
        "dispatch",
        "examiner",
        "courier",
        "register",
        "inquirer",
        "standard",
        "mirror",
        "express",
        "monitor",
        "network",
        "media",
        "radio",
        "tv",
        "television",
        "broadcasting",
        "staff",
        "correspondent",
        "report",
    ]
)
_SMALL_WORDS = frozenset(
    ["a", "an", "and", "&", "of", "the", "in", "on", "at", "to", "for", "by", "with", "de"]
)
_PROMO_START = re.compile(
    r"^(sign\s+up\b|subscribe\b|click here|tap here|read more\b|read next\b|related:|more from\b"
    r"|follow us\b|download (the|our) app|share this\b|story continues below|continue reading\b"
    r"|advertisement\s*$|ad\s*$|sponsored\s*$)",
    re.IGNORECASE,
)
_PROMO_ANYWHERE = re.compile(r"\b(click here|tap here|no spam)\b", re.IGNORECASE)
_CALL_TO_ACTION = re.compile(
    r"\b(sign up|subscribe|click|newsletter|free|download|follow us|read more|donate|register)\b",
    re.IGNORECASE,
)
_END_OF_SENTENCE = re.compile(r"[.!?\"”’')\]:;…]$")
_MAX_PROMO_WORDS = 30
_MAX_DEK_WORDS = 80
_BYLINE_LOOKAHEAD = 4
"""Blocks after the headline in which a byline may still turn up (deks are one or two blocks)."""


def _words(line: str) -> list[str]:
    return line.split()


def _plain(line: str) -> str:
    """A line without Markdown emphasis or heading marks that pasting may bring along."""
    return clean_text(line.strip().lstrip("#").strip().strip("*_").strip())


def _key(line: str) -> str:
    """A comparison key: case, punctuation and spacing ignored."""
    return " ".join(re.sub(r"[^\w\s]", " ", line.casefold()).split())


def _is_weekday(line: str) -> bool:
    return bool(_WEEKDAY.fullmatch(line.strip()))


def _date_line(line: str) -> When | None:
    """The date of a line that is only a date ("March 19th, 2025", "Wednesday, 19 March 2025")."""
    if len(_words(line)) > 9 or not _MONTH.search(line):
        return None
    return parse_when(line)


def _stamp(line: str) -> tuple[When | None, When | None] | None:
    """("Published X", "Updated Y") dates of a stamp line; None when the line is not a stamp."""
    match = _STAMP.match(line)
    if not match or len(_words(line)) > 14:
        return None
    kind, rest = match["kind"].lower(), match["rest"]
    parts = _UPDATED_INSIDE.split(rest, maxsplit=1)
    first = parse_when(parts[0])
    second = parse_when(parts[1]) if len(parts) > 1 else None
    if "updated" in kind or "modified" in kind:
        return None, first
    return first, second


def _is_title_case(line: str) -> bool:
    words = _words(line)
    return (
        bool(words)
        and words[0][:1].isupper()
        and all(w[:1].isupper() or w.lower() in _SMALL_WORDS for w in words)
    )


def _is_name(part: str) -> bool:
    words = _words(part)
    return 1 <= len(words) <= 5 and all(_NAME_WORD.match(w) for w in words)


def _is_org(part: str) -> bool:
    words = [w.lower().strip(".,") for w in _words(part)]
    if not words:
        return False
    return words[-1] in _ORG_WORDS or (words[0] == "the" and any(w in _ORG_WORDS for w in words))


def is_promo(line: str) -> bool:
    """A call to action or ad marker that a site put between paragraphs."""
    if len(_words(line)) > _MAX_PROMO_WORDS:
        return False
    if _PROMO_START.match(line) or _PROMO_ANYWHERE.search(line):
        return True
    letters = [c for c in line if c.isalpha()]
    shouting = len(letters) >= 8 and sum(c.isupper() for c in letters) > 0.7 * len(letters)
    return shouting and bool(_CALL_TO_ACTION.search(line))


_NAV_WORD = re.compile(r"[^\W\d_][\w&'’-]{2,}|&")
_NAV_ALONE = frozenset(
    [
        "share",
        "comments",
        "comment",
        "print",
        "email",
        "tweet",
        "columnists",
        "toons",
        "cartoons",
        "related",
        "more",
        "home",
        "menu",
        "newsletter",
        "newsletters",
        "tags",
        "topics",
        "subscribe",
        "advertisement",
        "top",
        "next",
        "previous",
    ]
)


def _is_nav(line: str) -> bool:
    """One or two words, no digits, no sentence end: "Columnists", "Toons", "Share"."""
    words = _words(line)
    return (
        1 <= len(words) <= 2
        and all(_NAV_WORD.fullmatch(w) for w in words)
        and not _END_OF_SENTENCE.search(line)
    )


def _trailing_nav(lines: list[str]) -> int:
    """How many lines at the end are site navigation: a run of two or more nav lines, or one
    line that is a well-known nav word. A lone short line ("Howard Webb") may be the article's."""
    run = 0
    while run < len(lines) and _is_nav(lines[-1 - run]):
        run += 1
    if run == 1 and lines[-1].casefold() not in _NAV_ALONE:
        return 0
    return run


# --- bylines ---------------------------------------------------------------------------------

_NAME_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b)\s*", re.IGNORECASE)
_PUBLICATION_AFTER = re.compile(
    r"\s+(?:[|/]|[—–-]\s)\s*|\s+(?:of|for)\s+(?=[A-Z])|\s+(?=The\s+[A-Z])"
)


def parse_byline(line: str) -> tuple[tuple[str, ...], str] | None:
    """ "By A, B &, C The Washington Post" -> (("A", "B", "C"), "The Washington Post").

    Also bare author lines ("A, B and C"). None when the names do not look like names, so that
    a sentence such as "By Tuesday, the talks had..." is never taken for a byline.
    """
    text = _BYLINE.sub("", _plain(line)).rstrip(" .,;:")
    if not text or len(_words(text)) > 30:
        return None
    publication = ""
    pieces = _PUBLICATION_AFTER.split(text, maxsplit=1)
    if len(pieces) == 2 and _is_org(pieces[1]) and pieces[0]:
        text, publication = pieces[0], clean_name(pieces[1])
    parts = [clean_name(p) for p in _NAME_SPLIT.split(text)]
    parts = [p for p in parts if p]
    if not publication and len(parts) > 1 and _is_org(parts[-1]):
        name, org = _split_trailing_org(parts[-1])
        if org and _is_name(name):  # "... and Jonah Pellew Valley Wire Service"
            parts[-1], publication = name, org
        else:
            publication = parts.pop()
    if parts and not publication:
        parts[-1], publication = _split_trailing_org(parts[-1])
    if not parts or not all(_is_name(p) for p in parts):
        return None
    return unique(parts), publication


def _split_trailing_org(part: str) -> tuple[str, str]:
    """ "Mary Ilyushina Washington Post" -> ("Mary Ilyushina", "Washington Post")."""
    words = _words(part)
    for cut in range(2, len(words) - 1):
        tail = " ".join(words[cut:])
        if _is_org(tail):
            return " ".join(words[:cut]), tail
    return part, ""


# --- the parser ------------------------------------------------------------------------------


def _blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    current: list[str] = []
    start = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if line:
            if not current:
                start = number
            current.append(line)
        elif current:
            blocks.append(_Block(start, tuple(current)))
            current = []
    if current:
        blocks.append(_Block(start, tuple(current)))
    return blocks


class _Header:
    """What the lines around the headline said; filled while walking the header, then frozen."""

    def __init__(self) -> None:
        self.authors: list[str] = []
        self.publication = ""
        self.section = ""
        self.date: When | None = None
        self.updated: When | None = None
        self.warnings: list[Finding] = []

    def take_dates(self, date: When | None, updated: When | None) -> None:
        self.date = self.date or date
        self.updated = self.updated or updated

    def take_line(self, line: str, number: int, title: str) -> bool:
        """Record a header line (date, stamp, byline, dateline, clutter); False if it is text."""
        plain = _plain(line)
        if not plain or _is_weekday(plain) or is_promo(plain):
            return True
        if title and _key(plain) == _key(title):
            return True
        if (when := _date_line(plain)) is not None:
            self.take_dates(when, None)
            return True
        if (stamp := _stamp(plain)) is not None:
            if stamp == (None, None):
                if len(_words(plain)) > 8:
                    return False
                self.warnings.append(
                    Finding(
                        f"could not read the date in {plain!r}",
                        "write it like 'Published March 19, 2025'",
                        number,
                    )
                )
            self.take_dates(*stamp)
            return True
        if (dateline := _DATELINE.match(plain)) is not None:
            self.take_dates(parse_when(dateline["where"] or ""), None)
            self.publication = self.publication or clean_name(dateline["agency"] or "")
            return True
        if (byline := parse_byline(plain)) is not None and (
            _BYLINE.match(plain) or (title and _is_bare_author_line(plain, byline[0]))
        ):
            self.authors.extend(byline[0])
            self.publication = self.publication or byline[1]
            return True
        return False

    def take_block(self, block: _Block, title: str) -> bool:
        """Record a block made only of header lines; a byline's next line may be its publication."""
        after_byline = False
        for offset, line in enumerate(block.lines):
            plain = _plain(line)
            if after_byline and not self.publication and _is_publication_line(plain):
                self.publication = clean_name(plain)
                continue
            if not self.take_line(line, block.line + offset, title):
                return False
            after_byline = bool(_BYLINE.match(plain))
        return True


def _is_bare_author_line(line: str, names: tuple[str, ...]) -> bool:
    """ "Michael Birnbaum, Cat Zakrzewski &, Mary Ilyushina": full names only, no sentence."""
    return (
        len(names) > 1
        and not _END_OF_SENTENCE.search(line)
        and all(len(_words(n)) >= 2 for n in names)
    )


def _is_publication_line(line: str) -> bool:
    return (
        1 <= len(_words(line)) <= 6 and not _END_OF_SENTENCE.search(line) and _is_title_case(line)
    )


def _is_header_block(block: _Block, title: str) -> bool:
    """Would this block be consumed as header? (Asked without recording anything.)"""
    return _Header().take_block(block, title)


def _is_byline_block(block: _Block) -> bool:
    first = _plain(block.lines[0])
    byline = parse_byline(first)
    if byline is None:
        return False
    return bool(_BYLINE.match(first)) or _is_bare_author_line(first, byline[0])


def _headline_like(block: _Block) -> bool:
    line = _plain(block.lines[0])
    return len(_words(line)) <= 30 and not line.endswith(".")


def parse_clipping(text: str) -> Clipping:
    """Read a pasted clipping. Pure; never raises."""
    blocks = _blocks(text)
    header = _Header()
    index = 0
    # Clutter above the headline: weekday, date, stamps, a section name.
    while index < len(blocks):
        block = blocks[index]
        if header.take_block(block, ""):
            index += 1
            continue
        line = _plain(block.lines[0])
        is_section = (
            len(block.lines) == 1
            and len(_words(line)) <= 4
            and _is_title_case(line)
            and not _END_OF_SENTENCE.search(line)
            and not re.search(r"\d", line)
            and index + 1 < len(blocks)
            and _headline_like(blocks[index + 1])
        )
        if not is_section:
            break
        header.section = header.section or line
        index += 1
    if index >= len(blocks):
        return Clipping("", "", (), header.publication, header.section, header.date,
                        header.updated, (), 0, tuple(header.warnings))  # fmt: skip

    head = blocks[index]
    title = _plain(head.lines[0])
    rest = blocks[index + 1 :]
    if len(head.lines) > 1:
        rest.insert(0, _Block(head.line + 1, head.lines[1:]))

    # A dek is text between the headline and a byline; without a byline it is the lede.
    dek_parts: list[str] = []
    window = rest[:_BYLINE_LOOKAHEAD]
    byline_at = next((i for i, b in enumerate(window) if _is_byline_block(b)), None)
    if byline_at is not None:
        candidates = [b for b in window[:byline_at] if not _is_header_block(b, title)]
        if len(candidates) <= 2 and all(
            len(_words(" ".join(b.lines))) <= _MAX_DEK_WORDS for b in candidates
        ):
            dek_parts = [clean_text(" ".join(_plain(x) for x in b.lines)) for b in candidates]
            rest = [b for b in rest if b not in candidates]

    body_start = 0
    while body_start < len(rest) and header.take_block(rest[body_start], title):
        body_start += 1
    body = rest[body_start:]
    paragraphs, body_line = _body(body, title, header)
    return Clipping(
        title=title,
        dek=" ".join(dek_parts),
        authors=unique(header.authors),
        publication=header.publication,
        section=header.section,
        date=header.date,
        updated=header.updated,
        paragraphs=paragraphs,
        body_line=body_line,
        warnings=tuple(header.warnings),
    )


def _body(blocks: list[_Block], title: str, header: _Header) -> tuple[tuple[str, ...], int]:
    """Body paragraphs with clutter lines removed, and the line where the first one starts."""
    kept: list[tuple[int, int, str]] = []  # (block index, line number, text)
    title_key = _key(title)
    for index, block in enumerate(blocks):
        for offset, line in enumerate(block.lines):
            if _key(line) == title_key or is_promo(line):
                continue
            stamp = _stamp(line)
            if stamp is not None and stamp != (None, None) and len(_words(line)) <= 12:
                header.take_dates(*stamp)
                continue
            kept.append((index, block.line + offset, line))
    nav = _trailing_nav([text for _, _, text in kept])
    if nav < len(kept):
        kept = kept[: len(kept) - nav]
    paragraphs: list[str] = []
    last_block = -1
    for index, _number, line in kept:
        if index == last_block:
            paragraphs[-1] += " " + line
        else:
            paragraphs.append(line)
        last_block = index
    cleaned = tuple(p for p in (clean_text(p) for p in paragraphs) if p)
    return cleaned, (kept[0][1] if kept else 0)


# --- the adapter -----------------------------------------------------------------------------


def clipping_article(
    text: str, source_path: str, timezone: str
) -> tuple[Article | None, list[Finding]]:
    """Build the Article for a clipping file; pure."""
    clip = parse_clipping(text)
    findings = list(clip.warnings)
    if not clip.title and not clip.paragraphs:
        findings.append(
            Finding(
                "the file has no text", "paste the article into it, or delete it", severity="error"
            )
        )
        return None, findings
    ident = article_id(source_path)
    title = clip.title
    if not title:
        title = _title_from_path(source_path)
        findings.append(
            Finding(
                f"no headline found; using the file name {title!r}",
                "put the headline on the first line",
            )
        )
    if not clip.paragraphs:
        findings.append(
            Finding("no body text after the headline", "paste the article text below the headline")
        )
    slug, _ = check_slug(slugify(title), ident.rsplit("/", 1)[-1])
    article = Article(
        id=ident,
        source_path=source_path,
        format="clipping",
        title=title,
        slug=slug,
        body=Body(paragraphs_html(clip.paragraphs), clip.paragraphs),
        dek=clip.dek,
        authors=clip.authors,
        publication=clip.publication,
        section=clip.section,
        date=localise(clip.date, timezone),
        updated=localise(clip.updated, timezone),
        word_count=word_count(clip.paragraphs),
        source_line_offset=clip.body_line,
    )
    return article, findings


def paragraphs_html(paragraphs: tuple[str, ...]) -> str:
    """Plain paragraphs as safe HTML: every one escaped, nothing else."""
    return "".join(f"<p>{html.escape(p)}</p>\n" for p in paragraphs)


def _title_from_path(source_path: str) -> str:
    stem = source_path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return clean_text(re.sub(r"[-_]+", " ", stem)) or "Untitled"
