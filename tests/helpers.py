"""Build whole sample sites for tests, and find the shared material beside the checkout."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generator.build import BuildReport, build
from generator.config import SiteConfig, load_config

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
