"""Build one news archive three ways (Broadsheet, Hugo, Pelican) for bench/compare.py.

    python bench/make_corpus.py [DIR] [--articles N] [--reuters]

DIR (default /tmp/broadsheet-bench) gets:

    DIR/broadsheet/  site.toml + content/<category>/<slug>.md     (YAML front matter)
    DIR/hugo/        hugo.toml + layouts/ + content/posts/<slug>.md (the same Markdown files)
    DIR/pelican/     pelicanconf.py + content/<category>/<slug>.md (Pelican metadata)
    DIR/corpus.json  what was made, and which article each tree's "edit" scenario touches

Sources, read from ../shared/corpus at run time (nothing is copied into the repository):
- BBC News 2005 (`bbc-news-2005/<category>/NNN.txt`, 2,225 articles, line 1 = title). The
  archive is made of copies of it: copy 1 keeps the titles, copy k >= 2 adds " (copy k)" to each
  title and "-copy-k" to each slug, and every copy of every article gets its own date, drawn
  (seeded) from 2004-01-01 to 2005-12-31. The default, 11,125 articles, is 5 copies; with
  `--articles N` the last copy is partial.
- With `--reuters`, the Reuters-21578 stories that have a body (19,043; `reut2-*.sgm`, dated
  1987, tagged with their TOPICS) come first and BBC copies fill the rest, so
  `--reuters --articles 100000` makes a 100,000-article archive (19,043 + 80,957 BBC copies).

The same seed gives the same archive every run. Each copy of a BBC article has the same body, so
Broadsheet groups copies with close dates as versions of one story (with diffs) -- work that Hugo
and Pelican do not do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import random
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
BBC = CORPUS / "bbc-news-2005"
REUTERS = CORPUS / "reuters-21578"
DEFAULT_DIR = Path("/tmp/broadsheet-bench")
BBC_COPIES = 5
BBC_SIZE = 2225
SPAN_START = dt.datetime(2004, 1, 1, tzinfo=dt.UTC)
SPAN_SECONDS = int((dt.datetime(2006, 1, 1, tzinfo=dt.UTC) - SPAN_START).total_seconds())
MANIFEST = "corpus.json"
TREES = ("broadsheet", "hugo", "pelican")


@dataclass(frozen=True, slots=True)
class Source:
    """One article of a source corpus, before copies are made."""

    key: str
    """Unique within its corpus, e.g. "business/001" or "reuters/42"."""
    title: str
    paragraphs: tuple[str, ...]
    tags: tuple[str, ...]
    """Topics; the first is the Pelican category."""
    publication: str
    date: dt.datetime | None
    """The source's own date (Reuters); None for BBC, whose copies get drawn dates."""


@dataclass(frozen=True, slots=True)
class Item:
    """One article of the archive as written to disk."""

    slug: str
    title: str
    date: dt.datetime
    paragraphs: tuple[str, ...]
    tags: tuple[str, ...]
    publication: str

    @property
    def category(self) -> str:
        return self.tags[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR, help="output folder")
    parser.add_argument(
        "--articles",
        type=int,
        default=BBC_COPIES * BBC_SIZE,
        help=f"number of articles (default {BBC_COPIES * BBC_SIZE:,}: {BBC_COPIES} BBC copies)",
    )
    parser.add_argument(
        "--reuters", action="store_true", help="start with the Reuters-21578 stories"
    )
    parser.add_argument("--seed", type=int, default=2005, help="seed for the drawn dates")
    args = parser.parse_args(argv)
    if args.articles < 1:
        parser.error("--articles must be at least 1")
    if not BBC.is_dir():
        sys.exit(f"{BBC} not found: the bench needs ../shared/corpus beside the repository")
    made = make_corpus(args.dir, args.articles, reuters=args.reuters, seed=args.seed)
    print(
        f"{made['articles']:,} articles ({made['reuters']:,} Reuters, {made['bbc']:,} BBC in "
        f"{made['bbc_copies']} copies) written three ways into {args.dir}/"
    )
    return 0


def make_corpus(folder: Path, count: int, *, reuters: bool, seed: int) -> dict[str, object]:
    """Write the three trees and the manifest into folder; returns the manifest."""
    prepare_folder(folder)
    items = list(archive_items(count, reuters=reuters, seed=seed))
    for tree in TREES:
        (folder / tree).mkdir(parents=True)
    write_broadsheet_site(folder / "broadsheet")
    write_hugo_site(folder / "hugo")
    write_pelican_site(folder / "pelican")
    for item in items:
        text = markdown_file(item)
        for path in (
            folder / "broadsheet" / broadsheet_path(item),
            folder / "hugo" / hugo_path(item),
        ):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        path = folder / "pelican" / pelican_path(item)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(pelican_file(item), encoding="utf-8")
    n_reuters = sum(1 for i in items if i.publication == "Reuters")
    n_bbc = len(items) - n_reuters
    # The edit scenario touches the first BBC article if there is one (the first item otherwise).
    target = next((i for i in items if i.publication == "BBC News"), items[0])
    manifest: dict[str, object] = {
        "articles": len(items),
        "reuters": n_reuters,
        "bbc": n_bbc,
        "bbc_copies": -(-n_bbc // BBC_SIZE),
        "seed": seed,
        "edit": {
            "broadsheet": broadsheet_path(target).as_posix(),
            "hugo": hugo_path(target).as_posix(),
            "pelican": pelican_path(target).as_posix(),
        },
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def prepare_folder(folder: Path) -> None:
    """Empty a folder made by an earlier run; refuse to touch any other non-empty folder."""
    if folder.exists() and any(folder.iterdir()):
        if not (folder / MANIFEST).is_file():
            sys.exit(f"{folder} is not empty and holds no {MANIFEST}: pick another folder")
        for child in folder.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    folder.mkdir(parents=True, exist_ok=True)


# --- sources ---------------------------------------------------------------------------------


def archive_items(count: int, *, reuters: bool, seed: int) -> Iterator[Item]:
    """count articles: Reuters first (with --reuters), then BBC copy 1, copy 2, ..."""
    made = 0
    if reuters:
        for source in read_reuters():
            if made == count:
                return
            assert source.date is not None
            slug = f"{slugify(source.title)}-r{source.key.split('/')[1]}"
            yield Item(
                slug,
                source.title,
                source.date,
                source.paragraphs,
                source.tags,
                source.publication,
            )
            made += 1
    bbc = list(read_bbc())
    copy = 1
    while made < count:
        for source in bbc:
            if made == count:
                return
            yield bbc_copy(source, copy, seed)
            made += 1
        copy += 1


def bbc_copy(source: Source, copy: int, seed: int) -> Item:
    """Copy number `copy` of a BBC article: its own title, slug and drawn date."""
    category, number = source.key.split("/")
    title = source.title if copy == 1 else f"{source.title} (copy {copy})"
    slug = f"{slugify(source.title)}-{category}-{number}"
    if copy > 1:
        slug += f"-copy-{copy}"
    rng = random.Random(f"{seed}:{copy}:{source.key}")
    date = SPAN_START + dt.timedelta(seconds=rng.randrange(SPAN_SECONDS) // 60 * 60)
    return Item(slug, title, date, source.paragraphs, source.tags, source.publication)


def read_bbc() -> Iterator[Source]:
    """The BBC articles in path order. One file is Latin-1, not UTF-8: it is decoded as cp1252."""
    for path in sorted(BBC.glob("*/*.txt")):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
        lines = text.replace("\r\n", "\n").split("\n")
        title = lines[0].strip()
        body = "\n".join(lines[1:])
        paragraphs = tuple(" ".join(p.split()) for p in re.split(r"\n\s*\n", body) if p.strip())
        category = path.parent.name
        yield Source(f"{category}/{path.stem}", title, paragraphs, (category,), "BBC News", None)


_REUTERS_DOC = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
_NEWID = re.compile(r'NEWID="(\d+)"')
_REUTERS_DATE = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1
    )
}


def _tag(doc: str, name: str) -> str:
    match = re.search(rf"<{name}>(.*?)</{name}>", doc, re.S)
    return match[1] if match else ""


def read_reuters() -> Iterator[Source]:
    """The Reuters-21578 stories that have a title and a body, in file order."""
    for path in sorted(REUTERS.glob("reut2-*.sgm")):
        text = path.read_bytes().decode("latin-1")
        for attributes, doc in _REUTERS_DOC.findall(text):
            title = " ".join(html.unescape(_tag(doc, "TITLE")).split())
            body = _tag(doc, "BODY")
            date = _REUTERS_DATE.search(_tag(doc, "DATE"))
            newid = _NEWID.search(attributes)
            if not (title and body.strip() and date and newid):
                continue
            body = html.unescape(body).replace("\x03", "")
            body = re.sub(r"\s*Reuter\s*$", "", body.strip())
            # A paragraph starts on a line indented by spaces.
            paragraphs = tuple(
                " ".join(p.split()) for p in re.split(r"\n(?=\s)", body) if p.strip()
            )
            day, month, year, hour, minute, second = date.groups()
            when = dt.datetime(
                int(year), _MONTHS.get(month.upper(), 1), int(day),
                int(hour), int(minute), int(second), tzinfo=dt.UTC,
            )  # fmt: skip
            topics = tuple(re.findall(r"<D>(.*?)</D>", _tag(doc, "TOPICS"))) or ("reuters",)
            yield Source(f"reuters/{newid[1]}", title, paragraphs, topics, "Reuters", when)


def slugify(text: str, limit: int = 60) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", text.lower()).split()
    slug = ""
    for word in words:
        if slug and len(slug) + 1 + len(word) > limit:
            break
        slug = f"{slug}-{word}" if slug else word[:limit]
    return slug or "article"


# --- writers ---------------------------------------------------------------------------------


def markdown_body(item: Item) -> str:
    """The paragraphs as Markdown. `<` is written as an entity so Reuters tickers (`<BAC>`) stay
    text in every tool instead of being dropped as raw HTML."""
    return "\n\n".join(p.replace("<", "&lt;") for p in item.paragraphs) + "\n"


def markdown_file(item: Item) -> str:
    """Broadsheet's and Hugo's file: YAML front matter (JSON strings are YAML strings)."""
    tags = ", ".join(json.dumps(t) for t in item.tags)
    return (
        "---\n"
        f"title: {json.dumps(item.title, ensure_ascii=False)}\n"
        f"date: {item.date.isoformat()}\n"
        f"tags: [{tags}]\n"
        f"publication: {json.dumps(item.publication)}\n"
        f"slug: {item.slug}\n"
        "---\n"
        f"{markdown_body(item)}"
    )


def pelican_file(item: Item) -> str:
    """Pelican's Markdown metadata header (Python-Markdown's meta extension)."""
    return (
        f"Title: {item.title}\n"
        f"Date: {item.date:%Y-%m-%d %H:%M}\n"
        f"Category: {item.category}\n"
        f"Slug: {item.slug}\n"
        "\n"
        f"{markdown_body(item)}"
    )


def broadsheet_path(item: Item) -> Path:
    return Path("content", item.category, f"{item.slug}.md")


def hugo_path(item: Item) -> Path:
    return Path("content", "posts", f"{item.slug}.md")


def pelican_path(item: Item) -> Path:
    return Path("content", item.category, f"{item.slug}.md")


def write_broadsheet_site(site: Path) -> None:
    (site / "site.toml").write_text(
        'title = "BBC News archive (benchmark)"\n'
        'description = "The BBC News 2005 corpus, repeated, for bench/compare.py."\n'
        'base_url = "/"\n'
        'language = "en"\n'
        'timezone = "UTC"\n'
        "per_page = 20\n",
        encoding="utf-8",
    )


HUGO_CONFIG = """\
baseURL = "/"
title = "BBC News archive (benchmark)"
languageCode = "en"
paginate = 20
disableKinds = []

[permalinks]
  posts = "/:year/:month/:slug/"

[taxonomies]
  tag = "tags"

[services.rss]
  limit = 50

[related]
  includeNewer = true
  threshold = 80
  toLower = true

  [[related.indices]]
    name = "keywords"
    weight = 100

  [[related.indices]]
    name = "tags"
    weight = 80

  [[related.indices]]
    name = "date"
    weight = 10
"""

HUGO_HEAD = """\
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ .Title }} | {{ .Site.Title }}</title></head>
<body>
"""

HUGO_SINGLE = (
    HUGO_HEAD
    + """\
<article data-pagefind-body>
<h1>{{ .Title }}</h1>
<p data-pagefind-sort="date[datetime]" data-pagefind-filter="year:{{ .Date.Year }}">
<time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">
{{- .Date.Format "2 January 2006" }}</time>
 · <span data-pagefind-filter="publication">{{ .Params.publication }}</span>
 · {{ range .Params.tags -}}
<a data-pagefind-filter="topic" href="{{ printf "tags/%s/" (. | urlize) | relURL }}">{{ . }}</a>
{{ end }}</p>
{{ .Content }}
</article>
{{ with .Site.RegularPages.Related . | first 5 }}
<aside><h2>Related</h2><ul>
{{ range . }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>
{{ end }}</ul></aside>
{{ end }}
</body>
</html>
"""
)

HUGO_LIST = (
    HUGO_HEAD
    + """\
<h1>{{ .Title }}</h1>
<ul>
{{ range .Paginator.Pages -}}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}</li>
{{ end }}</ul>
{{ template "_internal/pagination.html" . }}
</body>
</html>
"""
)

HUGO_INDEX = (
    HUGO_HEAD
    + """\
<h1>{{ .Site.Title }}</h1>
<ul>
{{ range (.Paginate .Site.RegularPages).Pages -}}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}</li>
{{ end }}</ul>
{{ template "_internal/pagination.html" . }}
</body>
</html>
"""
)


def write_hugo_site(site: Path) -> None:
    (site / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    layouts = site / "layouts"
    (layouts / "_default").mkdir(parents=True)
    (layouts / "_default" / "single.html").write_text(HUGO_SINGLE, encoding="utf-8")
    (layouts / "_default" / "list.html").write_text(HUGO_LIST, encoding="utf-8")
    (layouts / "index.html").write_text(HUGO_INDEX, encoding="utf-8")


PELICAN_CONFIG = """\
# Pelican settings for bench/compare.py: the default theme, no plugins.
AUTHOR = "BBC News"
SITENAME = "BBC News archive (benchmark)"
SITEURL = ""
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
RELATIVE_URLS = True
DEFAULT_PAGINATION = 20
PLUGINS = []
ARTICLE_URL = "{date:%Y}/{date:%m}/{slug}/"
ARTICLE_SAVE_AS = "{date:%Y}/{date:%m}/{slug}/index.html"
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_MAX_ITEMS = 50
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
# Pelican's own content cache, so that its rebuilds are as fast as it can make them.
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CACHE_PATH = "cache"
"""


def write_pelican_site(site: Path) -> None:
    (site / "pelicanconf.py").write_text(PELICAN_CONFIG, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
