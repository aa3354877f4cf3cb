"""Web pages saved from a browser -> Article, from their metadata and <p> text only.

The page's own HTML is never passed on (it carries scripts, trackers and site chrome): the body
is rebuilt from escaped paragraph text, like a clipping's.
"""

from __future__ import annotations

from html.parser import HTMLParser

from ..model import Article, Body
from ..text import article_id, slugify, word_count
from .clipping import paragraphs_html
from .fields import Finding, clean_text, is_web_url, localise, parse_when, split_authors

_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "nav", "footer", "aside"})
_META_KEYS = frozenset(
    {"og:title", "og:site_name", "og:description", "description", "author", "og:url"}
    | {"article:author", "article:published_time", "article:modified_time"}
)


class _Page(HTMLParser):
    """Collects metadata, the first <h1>, <title>, <time datetime> and <p> texts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self.h1 = ""
        self.times: list[str] = []
        self.in_article: list[str] = []
        self.everywhere: list[str] = []
        self._skip = 0
        self._article = 0
        self._open: str | None = None  # "p", "h1" or "title" while collecting text
        self._text: list[str] = []
        self._p_in_article = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): v or "" for k, v in attrs}
        if tag in _SKIP:
            self._skip += 1
        elif tag == "article":
            self._article += 1
        elif tag == "meta":
            key = (values.get("property") or values.get("name") or "").lower()
            if key in _META_KEYS and key not in self.meta:
                self.meta[key] = values.get("content", "")
        elif tag == "time" and values.get("datetime"):
            self.times.append(values["datetime"])
        elif tag in ("p", "h1", "title") and not self._skip:
            self._flush()
            self._open, self._text, self._p_in_article = tag, [], self._article > 0
        elif tag == "br" and self._open:
            self._text.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == "article":
            self._flush()
            self._article = max(0, self._article - 1)
        elif tag == self._open or tag in ("div", "section", "body"):
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._open and not self._skip:
            self._text.append(data)

    def _flush(self) -> None:
        text = clean_text("".join(self._text))
        if self._open == "p" and text:
            self.everywhere.append(text)
            if self._p_in_article:
                self.in_article.append(text)
        elif self._open == "h1" and not self.h1:
            self.h1 = text
        elif self._open == "title" and not self.title:
            self.title = text
        self._open, self._text = None, []

    def close(self) -> None:
        super().close()
        self._flush()


def html_article(
    text: str, source_path: str, timezone: str
) -> tuple[Article | None, list[Finding]]:
    """Build the Article for a saved web page; pure."""
    page = _Page()
    page.feed(text)
    page.close()
    meta = page.meta
    findings: list[Finding] = []
    paragraphs = tuple(page.in_article or page.everywhere)
    ident = article_id(source_path)
    title = clean_text(meta.get("og:title", "")) or page.h1 or page.title
    if not title and not paragraphs:
        return None, [
            Finding(
                "the page has no title or text", "save the article page itself", severity="error"
            )
        ]
    if not title:
        title = clean_text(ident.rsplit("/", 1)[-1].replace("-", " ")) or "Untitled"
        findings.append(
            Finding(f"no title in the page; using {title!r}", "save the article page itself")
        )
    names = meta.get("author", "") or meta.get("article:author", "")
    authors = () if is_web_url(names) else split_authors(names)
    published = meta.get("article:published_time") or (page.times[0] if page.times else "")
    url = clean_text(meta.get("og:url", ""))
    article = Article(
        id=ident,
        source_path=source_path,
        format="html",
        title=title,
        slug=slugify(title) or ident.rsplit("/", 1)[-1],
        body=Body(paragraphs_html(paragraphs), paragraphs),
        dek=clean_text(meta.get("description") or meta.get("og:description", "")),
        authors=authors,
        publication=clean_text(meta.get("og:site_name", "")),
        date=localise(parse_when(published), timezone),
        updated=localise(parse_when(meta.get("article:modified_time", "")), timezone),
        source_url=url if is_web_url(url) else "",
        word_count=word_count(paragraphs),
    )
    return article, findings
