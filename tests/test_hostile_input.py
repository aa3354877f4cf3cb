"""tests/sites/hostile: markup, scripts, javascript: URLs and path tricks in every field a writer
controls. Nothing live reaches a page, nothing is written outside the output folder, every
warning names its file, and --strict fails the build on them."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest

from tests.browser.harness import Built, build_with_cli, copy_sample, nu_check, run_cli

# What the theme itself may put in a page; anything else that can run is an injection.
ALLOWED_SCRIPT_SOURCES = ("/pagefind/pagefind-ui.js", "/static/search.js")
FORBIDDEN_ELEMENTS = {
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
    "base",
    "style",
    "template",
}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "poster",
    "background",
    "xlink:href",
    "srcset",
    "cite",
    "longdesc",
    "manifest",
    "ping",
}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:text/html", "livescript:")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")


class _LiveMarkup(HTMLParser):
    """Finds anything in a page that a browser would run."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script: str | None = None  # the JSON-LD being read, if inside one

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script":
            kind, src = values.get("type", ""), values.get("src", "")
            if kind == "application/ld+json" and not src:
                self._script = ""
            elif not src.endswith(ALLOWED_SCRIPT_SOURCES):
                self.found.append(f"<script {values}>")
        elif tag in FORBIDDEN_ELEMENTS:
            self.found.append(f"<{tag}> element")
        elif tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self.found.append("<meta http-equiv=refresh>")
        elif tag == "form" and not (
            values.get("role") == "search" and values.get("action", "").endswith("/search/")
        ):
            self.found.append(f"<form {values}>")
        for name, value in values.items():
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES or name == "style":
                flat = _INVISIBLE.sub("", value).lower()
                if flat.startswith(BAD_SCHEMES) or (
                    name == "style" and ("javascript:" in flat or "expression(" in flat)
                ):
                    self.found.append(f"<{tag} {name}={value!r}>")

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            try:
                json.loads(self._script)
            except ValueError:
                self.found.append(f"JSON-LD that does not parse (broken out of?): {self._script!r}")
            self._script = None


def live_markup(html: str) -> list[str]:
    parser = _LiveMarkup()
    parser.feed(html)
    parser.close()
    return parser.found


def test_the_checker_finds_what_it_looks_for() -> None:
    """A checker that finds nothing proves nothing: it must catch each kind of injection."""
    for html in (
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href=" JaVa&#115;cript:alert(1)">x</a>',
        '<a href="data:text/html,<script>alert(1)</script>">x</a>',
        "<svg onload=alert(1)>",
        '<div style="background:url(javascript:alert(1))">',
        '<script type="application/ld+json">{"a": "</script><script>alert(1)</script>',
        '<form action="javascript:alert(1)"><button>x</button></form>',
        '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    ):
        assert live_markup(html), html
    assert (
        live_markup('<script type="application/ld+json">{"a": "\\u003c/script\\u003e"}</script>')
        == []
    )
    assert live_markup('<script src="/archive/pagefind/pagefind-ui.js"></script>') == []


@dataclass(frozen=True)
class HostileBuild:
    built: Built
    tmp: Path
    before: dict[str, bytes]
    """Every file under tmp (the site's copy) before the build, with its bytes."""

    @property
    def out(self) -> Path:
        return self.built.out

    @property
    def warnings(self) -> list[str]:
        return self.built.process.stderr.splitlines()

    def catalog(self) -> dict:
        return json.loads((self.out / "catalog.json").read_text(encoding="utf-8"))

    def page_of(self, article_id: str) -> str:
        url = next(a["url"] for a in self.catalog()["articles"] if a["id"] == article_id)
        return (self.out / url.strip("/") / "index.html").read_text(encoding="utf-8")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


CACHE = "site/.broadsheet-cache/"
"""The build's own cache of per-file work, kept in the site folder (and git-ignored)."""
SPARE = "site/.public.spare/"
"""The next build's staging folder, beside the site: hard links to the site's own files."""
LOCK = "site/.public.lock"
"""The file a build holds locked (output.build_lock), beside the site."""

# Where a permalink that climbed six folders out of the output folder would land.
ESCAPED = Path("/tmp/general/an-article-that-climbs")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> HostileBuild:
    assert not ESCAPED.exists(), f"{ESCAPED} exists before the build: clear it away first"
    tmp = tmp_path_factory.mktemp("hostile")
    root = copy_sample("hostile", tmp / "site")
    before = _snapshot(tmp)
    built = build_with_cli(root, tmp / "site" / "public", "/")
    return HostileBuild(built, tmp, before)


def test_no_live_markup_reaches_any_page(hostile: HostileBuild) -> None:
    pages = sorted(p for p in hostile.out.rglob("*.html") if "pagefind" not in p.parts)
    assert len(pages) > 30
    found = {
        page.relative_to(hostile.out).as_posix(): problems
        for page in pages
        if (problems := live_markup(page.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_hostile_pages_are_still_valid_html(hostile: HostileBuild) -> None:
    valid, report, _ = nu_check(hostile.out)
    assert valid, report


def test_hostile_text_is_shown_as_text_not_dropped(hostile: HostileBuild) -> None:
    html = hostile.page_of("xss/front-matter")
    title = '</script><script>alert("title")</script> Harbour <b>bold</b>'
    escaped = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert escaped.replace('"', "&#34;") in html or escaped.replace('"', "&quot;") in html
    assert "Jane &#34;&gt;&lt;script&gt;" in html or "Jane &quot;&gt;&lt;script&gt;" in html


def test_json_ld_keeps_a_title_that_tries_to_close_the_script(hostile: HostileBuild) -> None:
    html = hostile.page_of("xss/front-matter")
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    data = json.loads(blocks[0])
    assert data["headline"].startswith('</script><script>alert("title")</script>')
    assert "sameAs" not in data, "a javascript: source_url must not become sameAs"


def test_javascript_source_url_is_dropped_with_a_warning(hostile: HostileBuild) -> None:
    entry = next(a for a in hostile.catalog()["articles"] if a["id"] == "xss/front-matter")
    assert entry["source_url"] is None
    assert any(
        "content/xss/front-matter.md" in line and "source_url" in line for line in hostile.warnings
    )


def test_the_feed_carries_no_live_markup(hostile: HostileBuild) -> None:
    text = (hostile.out / "feed.xml").read_text(encoding="utf-8")
    feed = feedparser.parse(text)
    assert not feed.bozo, feed.get("bozo_exception")
    atom = "{http://www.w3.org/2005/Atom}"
    for element in ET.fromstring(text).iter():
        if element.get("type") in ("html", "xhtml") and element.text:
            assert live_markup(element.text) == [], (element.tag, element.text)
        if element.tag == f"{atom}link":
            href = _INVISIBLE.sub("", element.get("href", "")).lower()
            assert not href.startswith(BAD_SCHEMES), href


def test_nothing_is_written_outside_the_output_folder(hostile: HostileBuild) -> None:
    after = _snapshot(hostile.tmp)
    outside = {
        path
        for path, data in after.items()
        if not path.startswith(("site/public/", CACHE, SPARE, LOCK))
        and hostile.before.get(path) != data
    }
    assert outside == set(), "files written or changed outside the output folder"
    spare = [path.removeprefix(SPARE) for path in after if path.startswith(SPARE)]
    assert spare, "a build into a new folder leaves the next one a spare"
    for path in spare:  # the very files of the site, linked: nothing new is written there
        linked = (hostile.tmp / SPARE / path).stat()
        assert os.path.samestat(linked, (hostile.out / path).stat()), path
    assert set(hostile.before) - set(after) == set(), "files removed outside the output folder"
    assert not ESCAPED.exists()
    for article in hostile.catalog()["articles"]:
        target = (hostile.out / article["url"].strip("/")).resolve()
        assert target.is_relative_to(hostile.out.resolve()), article["url"]
        assert ".." not in article["url"].split("/")


def test_a_slug_that_climbs_becomes_one_safe_segment_with_a_warning(
    hostile: HostileBuild,
) -> None:
    entry = next(a for a in hostile.catalog()["articles"] if a["id"] == "xss/front-matter")
    assert entry["url"].endswith("/etc-passwd/")
    assert any(
        "content/xss/front-matter.md" in line and "../../etc/passwd" in line
        for line in hostile.warnings
    )
    assert any(
        "content/xss/toml-front-matter.md" in line and "/absolute/slug" in line
        for line in hostile.warnings
    )


def test_the_same_explicit_slug_twice_publishes_both_and_names_both_files(
    hostile: HostileBuild,
) -> None:
    urls = {a["id"]: a["url"] for a in hostile.catalog()["articles"]}
    assert urls["dupes/one"] != urls["dupes/two"]
    assert "First file" in hostile.page_of("dupes/one")
    assert "Second file" in hostile.page_of("dupes/two")
    warning = [line for line in hostile.warnings if "same-slug" in line]
    assert warning, hostile.warnings
    assert "content/dupes/one.md" in warning[0] and "content/dupes/two.md" in warning[0]


def test_every_readable_file_is_published(hostile: HostileBuild) -> None:
    ids = sorted(a["id"] for a in hostile.catalog()["articles"])
    assert ids == [
        "dupes/one",
        "dupes/two",
        "escape/2e-2e-2fencoded",
        "escape/climb",
        "xss/clipping",
        "xss/front-matter",
        "xss/saved-page",
        "xss/story-twin",
        "xss/toml-front-matter",
    ]


def test_a_forced_story_key_that_climbs_stays_inside_the_site(hostile: HostileBuild) -> None:
    stories = hostile.catalog()["stories"]
    assert len(stories) == 1
    url = stories[0]["url"]
    assert url.startswith("/stories/") and ".." not in url
    assert (hostile.out / url.strip("/") / "index.html").is_file()


def test_strict_fails_the_build_on_the_warnings_and_keeps_no_site(tmp_path: Path) -> None:
    root = copy_sample("hostile", tmp_path / "site")
    process = run_cli("build", "--strict", "-o", str(tmp_path / "out"), cwd=root)
    assert process.returncode != 0
    assert "content/xss/front-matter.md" in process.stderr
    assert "content/dupes/two.md" in process.stderr
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == [".out.lock"]


@pytest.mark.parametrize(
    "permalink",
    [
        "/../../{slug}/",
        "/{year}/../../../{slug}/",
        pytest.param("/..\\..\\{slug}/", id="backslashes"),
    ],
)
def test_a_permalink_that_climbs_is_refused_as_a_config_error(
    tmp_path: Path, permalink: str
) -> None:
    root = copy_sample("hostile", tmp_path / "site")
    config = root / "site.toml"
    line = f"permalink = '{permalink}'"  # a TOML literal string: backslashes stay as written
    config.write_text(re.sub(r"(?m)^permalink = .*$", lambda _: line, config.read_text()))
    before = _snapshot(tmp_path)
    process = run_cli("build", "-o", str(tmp_path / "site" / "out"), cwd=root)
    assert not (tmp_path / "site" / "out").exists()
    after = {k: v for k, v in _snapshot(tmp_path).items() if not k.startswith(CACHE)}
    assert after == before
    assert "Traceback" not in process.stderr, process.stderr
    assert process.returncode == 2, process.stderr
    assert "permalink" in process.stderr


def test_an_output_folder_that_would_replace_the_site_is_refused(tmp_path: Path) -> None:
    root = copy_sample("hostile", tmp_path / "site")
    before = _snapshot(tmp_path)
    for output in (str(root), str(root / "content"), str(tmp_path)):
        process = run_cli("build", "-o", output, cwd=root)
        assert process.returncode != 0, output
        assert "output_dir" in process.stderr, process.stderr
    assert _snapshot(tmp_path) == before
