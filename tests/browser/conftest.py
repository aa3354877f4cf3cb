"""Fixtures for the browser tests: Debian's chromium driven by Playwright, and the demo archive
built with `--base-url /archive/` and served by a real HTTP server at /archive/.

Without chromium or Playwright the tests skip, saying why; under CI (CI=true) they fail instead,
because there the browser is part of the machine (.ci/run installs it)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.browser.harness import Built, build_with_cli, copy_demo, copy_sample, serve

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_PATHS = (Path("/tmp/axe/node_modules/axe-core/axe.min.js"),)
"""Where .ci/run puts axe-core (npm install --prefix /tmp/axe axe-core@4); AXE_CORE_JS overrides."""


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def unavailable(reason: str) -> None:
    """Skip, or fail under CI, where a missing browser means a broken machine, not a laptop."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: the browser tests must run in CI)")
    pytest.skip(reason)


def chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


def axe_script() -> Path | None:
    configured = os.environ.get("AXE_CORE_JS")
    candidates = (Path(configured),) if configured else AXE_PATHS
    return next((p for p in candidates if p.is_file()), None)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """A headless chromium shared by the session (Debian's, never a downloaded one)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed: pip install '.[test]'")
    path = chromium_path()
    if path is None:
        unavailable("chromium not found: apt-get install chromium (or set CHROMIUM=/path)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Tab:
    """A fresh page, with every script error, console error and dialog it produced."""

    page: Any
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return self.errors + self.console + self.dialogs


def open_tab(browser: Any) -> Tab:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    tab = Tab(page)
    page.on("pageerror", lambda exc: tab.errors.append(f"script error: {exc}"))

    def on_console(message: Any) -> None:
        url = (message.location or {}).get("url", "")
        if message.type == "error" and not url.endswith("/favicon.ico"):
            tab.console.append(f"console error: {message.text} ({url})")

    def on_dialog(dialog: Any) -> None:
        tab.dialogs.append(f"{dialog.type} dialog: {dialog.message!r} on {page.url}")
        dialog.dismiss()

    page.on("console", on_console)
    page.on("dialog", on_dialog)
    return tab


@dataclass(frozen=True)
class ServedSite:
    built: Built
    origin: str
    """http://127.0.0.1:PORT"""
    base: str
    """The site's own address: origin + base path."""

    def url(self, site_path: str) -> str:
        """The address of a page given by its path inside the site ("stories/")."""
        return self.base + site_path.lstrip("/")

    def catalog(self) -> dict[str, Any]:
        return json.loads((self.built.out / "catalog.json").read_text(encoding="utf-8"))


DEMO_SHARD_SIZE = 4
"""The demo's 14 articles in 4 search shards: every search test runs across merged bundles."""


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedSite]:
    """The demo archive (a copy of site.toml + content/), its search index in shards, built for
    /archive/ and served there."""
    tmp = tmp_path_factory.mktemp("demo")
    source = copy_demo(tmp / "src", shard_size=DEMO_SHARD_SIZE)
    built = build_with_cli(source, tmp / "www" / "archive", "/archive/")
    with serve(tmp / "www") as origin:
        yield ServedSite(built, origin, origin + "/archive/")


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedSite]:
    """tests/sites/hostile built (warnings and all) and served at the root."""
    tmp = tmp_path_factory.mktemp("hostile-browser")
    built = build_with_cli(copy_sample("hostile", tmp / "src"), tmp / "www", "/")
    with serve(tmp / "www") as origin:
        yield ServedSite(built, origin, origin + "/")


@pytest.fixture
def tab(chromium: Any) -> Iterator[Tab]:
    tab = open_tab(chromium)
    try:
        yield tab
    finally:
        tab.page.context.close()
