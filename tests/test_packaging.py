"""The built wheel holds the package, py.typed and the whole default theme, and Broadsheet
unpacked from it (no repository beside it) builds a site with that theme."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built by pip from a copy of the project's files (pip leaves build/ and
    *.egg-info/ behind in the folder it builds)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    for folder in ("generator", "themes"):
        shutil.copytree(
            REPO / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    process = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert process.returncode == 0, process.stdout + process.stderr
    (built,) = (tmp / "dist").glob("broadsheet-*.whl")
    return built


def test_the_wheel_holds_every_file_of_the_default_theme(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    theme = REPO / "themes" / "default"
    expected = {
        "generator/themes/default/" + p.relative_to(theme).as_posix()
        for p in theme.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert "generator/themes/default/templates/article.html" in expected
    assert sorted(expected - names) == []
    assert {"generator/py.typed", "generator/cli.py", "generator/livereload.html"} <= names


def test_broadsheet_unpacked_from_the_wheel_builds_with_its_own_theme(
    wheel: Path, tmp_path: Path
) -> None:
    installed = tmp_path / "site-packages"
    zipfile.ZipFile(wheel).extractall(installed)
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "site.toml").write_text('title = "From the wheel"\n', encoding="utf-8")
    (site / "content" / "one.md").write_text(
        '---\ntitle: "Packed and shipped"\ndate: 2024-02-03\n---\nIt builds.\n', encoding="utf-8"
    )
    env = {**os.environ, "PYTHONPATH": str(installed)}  # not the repository: only the wheel
    process = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--no-search", "--no-cache"],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert process.returncode == 0, process.stdout + process.stderr
    page = (site / "public" / "2024" / "02" / "packed-and-shipped" / "index.html").read_text()
    assert "Packed and shipped" in page
    assert (site / "public" / "static" / "style.css").read_bytes() == (
        REPO / "themes" / "default" / "static" / "style.css"
    ).read_bytes()
