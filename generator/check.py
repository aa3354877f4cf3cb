"""Link checking of a built site: every internal link, image, script and stylesheet must resolve
to a file of the site. Used by the tests and by `broadsheet check`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class BrokenLink:
    page: str
    """The page holding the link, relative to the site folder."""
    target: str
    """The link as written."""

    def __str__(self) -> str:
        return f"{self.page}: broken link to {self.target}"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = _LINK_ATTRIBUTES.get(tag)
        for name, value in attrs:
            if value and (name == wanted or name == "data-versionurl"):
                self.links.append(value)


def page_links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def resolves(site: Path, path: str) -> bool:
    """Does a site path (already without the base path) name a file a static server would serve?"""
    relative = unquote(path).lstrip("/")
    target = site / relative
    if path.endswith("/") or not relative:
        return (target / "index.html").is_file()
    return target.is_file() or (target / "index.html").is_file()


def broken_links(site: Path, base_url: str = "/") -> Iterator[BrokenLink]:
    """Every internal link in every HTML page of `site` that points at nothing.

    `base_url` is where the site is served: a path ("/archive/") or a URL; links to other hosts
    are not followed (they are not ours to check)."""
    parts = urlsplit(base_url)
    base_path = parts.path if parts.path.endswith("/") else parts.path + "/"
    host = parts.netloc
    for page in sorted(site.rglob("*.html")):
        relative = page.relative_to(site).as_posix()
        if relative.startswith("pagefind/"):
            continue
        page_url = base_path + (
            relative[: -len("index.html")] if relative.endswith("index.html") else relative
        )
        for link in page_links(page.read_text(encoding="utf-8")):
            url, _ = urldefrag(link)
            split = urlsplit(url)
            if not url or split.scheme in ("mailto", "tel", "data"):
                continue
            if split.netloc and split.netloc != host:
                continue  # another site's page: not ours to check
            absolute = urljoin(page_url, split.path) if not split.netloc else split.path
            if not absolute.startswith(base_path):
                if not split.netloc:
                    yield BrokenLink(relative, link)
                continue  # our host but outside the site, e.g. where an article was clipped from
            if not resolves(site, absolute[len(base_path) :]):
                yield BrokenLink(relative, link)
