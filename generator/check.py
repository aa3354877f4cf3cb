"""Link checking of a built site: every internal link, image (`src` and each `srcset` entry),
script, stylesheet and CSS `url()` must resolve to a file of the site, and a `#fragment` of an
internal link must name an id (or an `<a name>`) of the page it points at. Used by the tests and
by `broadsheet check`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

_LINK_ATTRIBUTES = {
    "a": "href",
    "link": "href",
    "script": "src",
    "img": "src",
    "source": "src",
    "form": "action",
}
_OTHER_SCHEMES = ("mailto", "tel", "data", "javascript", "ftp")
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)""")
_CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""")
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_SEPARATORS = re.compile(r"[\s,]*")
_NON_SPACE = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class BrokenLink:
    page: str
    """The page or stylesheet holding the link, relative to the site folder."""
    target: str
    """The link as written."""
    reason: str = ""
    """What is missing, where the file itself exists (a fragment's target)."""

    def __str__(self) -> str:
        text = f"{self.page}: broken link to {self.target}"
        return f"{text} ({self.reason})" if self.reason else text


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = _LINK_ATTRIBUTES.get(tag)
        for name, value in attrs:
            if value and (name == wanted or name == "data-versionurl"):
                self.links.append(value)
            elif value and name == "srcset" and tag in ("img", "source"):
                self.links.extend(srcset_urls(value))


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.names: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is not None and (name == "id" or (name == "name" and tag == "a")):
                self.names.add(value)


def page_links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def srcset_urls(srcset: str) -> list[str]:
    """The URLs of a `srcset` ("a.jpg 1x, b.jpg 2x"): each candidate's first run of non-space,
    without the commas that end it (the HTML standard's parsing, short of its error cases)."""
    urls: list[str] = []
    position = 0
    while True:
        position = _SEPARATORS.match(srcset, position).end()  # type: ignore[union-attr]
        if position >= len(srcset):
            return urls
        url_match = _NON_SPACE.match(srcset, position)
        assert url_match is not None
        url, position = url_match.group(), url_match.end()
        if url.endswith(","):
            url = url.rstrip(",")
        else:  # descriptors ("2x", "640w") run to the next comma
            comma = srcset.find(",", position)
            position = len(srcset) if comma < 0 else comma + 1
        if url:
            urls.append(url)


def css_links(css: str) -> list[str]:
    """Every `url(...)` and `@import "..."` of a stylesheet, comments aside."""
    text = _CSS_COMMENT.sub("", css)
    found = [next(g for g in m.groups() if g is not None) for m in _CSS_URL.finditer(text)]
    found += [m.group(1) or m.group(2) for m in _CSS_IMPORT.finditer(text)]
    return [link.strip() for link in found if link.strip()]


def anchors(html: str) -> set[str]:
    """The fragments a page can be linked at: its ids, and the names of its `<a name>`s."""
    parser = _Anchors()
    parser.feed(html)
    return parser.names


def target_file(site: Path, path: str) -> Path | None:
    """The file a static server would send for a site path (already without the base path)."""
    relative = unquote(path).lstrip("/")
    target = site / relative
    if path.endswith("/") or not relative:
        return target / "index.html" if (target / "index.html").is_file() else None
    if target.is_file():
        return target
    return target / "index.html" if (target / "index.html").is_file() else None


def resolves(site: Path, path: str) -> bool:
    """Does a site path (already without the base path) name a file a static server would serve?"""
    return target_file(site, path) is not None


@dataclass
class _Checker:
    """Checks links found in the files of one site, reading each linked page's anchors once."""

    site: Path
    base_path: str
    host: str
    anchors_of: dict[Path, set[str]] = field(default_factory=dict)

    def url_of(self, relative: str) -> str:
        """The site path (with the base path) a file is served at."""
        served = relative[: -len("index.html")] if relative.endswith("index.html") else relative
        return self.base_path + served

    def check(self, relative: str, link: str) -> BrokenLink | None:
        """None if `link`, found in the file `relative`, resolves; else what is broken."""
        url, fragment = urldefrag(link)
        split = urlsplit(url)
        if split.scheme in _OTHER_SCHEMES:
            return None
        if split.netloc and split.netloc != self.host:
            return None  # another site's page: not ours to check
        if not url:  # "#part": a place in this very file
            target: Path | None = self.site / relative
        else:
            here = self.url_of(relative)
            absolute = urljoin(here, split.path) if not split.netloc else split.path
            if not absolute.startswith(self.base_path):
                # our host but outside the site (e.g. where an article was clipped from)
                return None if split.netloc else BrokenLink(relative, link)
            target = target_file(self.site, absolute[len(self.base_path) :])
            if target is None:
                return BrokenLink(relative, link)
        assert target is not None
        name = unquote(fragment)
        if not name or name.lower() == "top" or target.suffix != ".html":
            return None  # "#top" is the top of any page (HTML standard)
        if target not in self.anchors_of:
            self.anchors_of[target] = anchors(target.read_text(encoding="utf-8"))
        if name in self.anchors_of[target]:
            return None
        shown = target.relative_to(self.site).as_posix()
        return BrokenLink(relative, link, f"no id or name {name!r} in {shown}")


def broken_links(site: Path, base_url: str = "/") -> Iterator[BrokenLink]:
    """Every internal link in every HTML page and stylesheet of `site` that points at nothing.

    `base_url` is where the site is served: a path ("/archive/") or a URL; links to other hosts
    are not followed (they are not ours to check). Pagefind's own files are not checked."""
    parts = urlsplit(base_url)
    base_path = parts.path if parts.path.endswith("/") else parts.path + "/"
    checker = _Checker(site, base_path, parts.netloc)
    for file in sorted([*site.rglob("*.html"), *site.rglob("*.css")]):
        relative = file.relative_to(site).as_posix()
        if relative.startswith("pagefind/"):
            continue
        text = file.read_text(encoding="utf-8")
        for link in page_links(text) if file.suffix == ".html" else css_links(text):
            broken = checker.check(relative, link)
            if broken is not None:
                yield broken
