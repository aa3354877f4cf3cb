"""Build whole sample sites for tests, and find the shared material beside the checkout."""

from __future__ import annotations

import json
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generator.config import SiteConfig, load_config
from generator.pipeline import BuildReport, build

REPO = Path(__file__).resolve().parent.parent
SITES = Path(__file__).resolve().parent / "sites"
SHARED = REPO.parent / "shared"
CLIPPINGS = SHARED / "samples" / "clippings"
CORPUS = SHARED / "corpus"


def shared_or_skip(path: Path) -> Path:
    if not path.exists():
        pytest.skip(
            f"{path.relative_to(REPO.parent)} not found: "
            "the shared material sits beside the checkout"
        )
    return path


@dataclass
class BuiltSite:
    config: SiteConfig
    report: BuildReport
    root: Path
    out: Path

    def page(self, path: str) -> str:
        """A built page by site path ("/2024/05/x/") or file path ("feed.xml")."""
        relative = path.lstrip("/")
        target = self.out / relative
        if path.endswith("/") or not relative:
            target = target / "index.html"
        return target.read_text(encoding="utf-8")

    def catalog(self) -> dict[str, Any]:
        return json.loads((self.out / "catalog.json").read_text(encoding="utf-8"))

    def article(self, id: str) -> dict[str, Any]:
        return next(a for a in self.catalog()["articles"] if a["id"] == id)

    def article_page(self, id: str) -> str:
        url = self.article(id)["url"]
        base = self.config.absolute_base or self.config.base_path
        return self.page("/" + url[len(base) :])


def copy_site(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(SITES / name, root)
    return root


def build_site(root: Path, search: bool = False, **overrides: Any) -> BuiltSite:
    """Build the site at `root` (a copy, never the repository's own files)."""
    config = load_config(root / "site.toml", overrides)
    report = build(config, search=search)
    return BuiltSite(config, report, root, config.output_dir)


def json_ld(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD in the page"
    return json.loads(match.group(1))


def generate_archive(
    root: Path, count: int, seed: int = 2025, title: str = "Generated Archive"
) -> Path:
    """`count` Markdown articles of made-up words, with authors, publications, dates and tags."""
    rng = random.Random(seed)
    syllables = [
        "ka",
        "lo",
        "mi",
        "ren",
        "tas",
        "vo",
        "dun",
        "bel",
        "sar",
        "qui",
        "mor",
        "lin",
        "est",
        "han",
        "pel",
        "gor",
        "ath",
        "wy",
        "fen",
        "tor",
    ]
    vocab = ["".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(800)]
    people = [f"{rng.choice(vocab).title()} {rng.choice(vocab).title()}" for _ in range(40)]
    papers = [f"The {rng.choice(vocab).title()} {k}" for k in ("Gazette", "Herald", "Post")]

    def words(n: int) -> str:
        return " ".join(rng.choices(vocab, k=n))

    (root / "content").mkdir(parents=True)
    (root / "site.toml").write_text(f'title = "{title}"\nper_page = 20\n', encoding="utf-8")
    for i in range(count):
        body = "\n\n".join(words(rng.randint(40, 90)).capitalize() + "." for _ in range(6))
        folder = root / "content" / f"{i % 20:02d}"
        folder.mkdir(exist_ok=True)
        (folder / f"article-{i:05d}.md").write_text(
            "---\n"
            f"title: {words(rng.randint(5, 10)).capitalize()}\n"
            f"authors: [{rng.choice(people)}]\n"
            f"publication: {rng.choice(papers)}\n"
            f"date: {rng.randint(2001, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}\n"
            f"tags: [{rng.choice(vocab[:30])}, {rng.choice(vocab[30:60])}]\n"
            f"---\n{body}\n",
            encoding="utf-8",
        )
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a site, by relative path, with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def differences(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    changed = sorted(k for k in a.keys() & b.keys() if a[k] != b[k])
    return (
        [f"only in the first: {k}" for k in sorted(a.keys() - b.keys())]
        + [f"only in the second: {k}" for k in sorted(b.keys() - a.keys())]
        + [f"different bytes: {k}" for k in changed]
    )[:20]


def articles_passed_to(monkeypatch: Any, module: Any, name: str) -> list[str]:
    """Replace module.name(data, article, ...) with a wrapper noting each article's id; the list it
    returns fills as the function is called."""
    seen: list[str] = []
    original = getattr(module, name)

    def noted(data: Any, article: Any, *more: Any) -> Any:
        seen.append(article.id)
        return original(data, article, *more)

    monkeypatch.setattr(module, name, noted)
    return seen
