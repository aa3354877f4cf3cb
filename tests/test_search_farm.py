"""The kept search documents (search_farm.py): a shard's documents are rendered once for their
key, kept in one file, and laid out as files only for Pagefind."""

from __future__ import annotations

from pathlib import Path

from generator.output import walk
from generator.search_farm import farm_file, fill_farm, lay_out, remove_other_farms
from generator.search_shards import SearchPage

PAGES = [SearchPage("2024/05/02/quay/index.html", "k1"), SearchPage("about/index.html", "k2")]


def _render(path: str) -> bytes:
    return f"<html><body data-pagefind-body><h1>{path}</h1></body></html>".encode()


def _counting(rendered: list[str]):
    def render(path: str) -> bytes:
        rendered.append(path)
        return _render(path)

    return render


def _held(folder: Path) -> dict[str, bytes]:
    return {
        relative: Path(entry.path).read_bytes()
        for relative, entry in walk(folder)
        if entry.is_file(follow_symlinks=False)
    }


def test_a_kept_document_is_rendered_again_only_when_its_key_changes(tmp_path: Path) -> None:
    farm = farm_file(tmp_path, "shard-0")
    assert fill_farm(farm, PAGES, _render) == {page.path: _render(page.path) for page in PAGES}
    rendered: list[str] = []
    changed = [PAGES[0], SearchPage("about/index.html", "k2, edited")]

    documents = fill_farm(farm, changed, _counting(rendered))

    assert rendered == ["about/index.html"]
    assert documents == {page.path: _render(page.path) for page in PAGES}
    assert fill_farm(farm, changed, _counting(rendered)) == documents
    assert rendered == ["about/index.html"]  # nothing more


def test_a_damaged_or_missing_farm_file_only_costs_a_render(tmp_path: Path) -> None:
    farm = farm_file(tmp_path, "shard-0")
    fill_farm(farm, PAGES, _render)
    farm.write_bytes(farm.read_bytes()[:20])
    rendered: list[str] = []

    assert fill_farm(farm, PAGES, _counting(rendered)) == {p.path: _render(p.path) for p in PAGES}
    assert rendered == [page.path for page in PAGES]
    assert fill_farm(None, PAGES, _render) == {page.path: _render(page.path) for page in PAGES}


def test_laid_out_documents_are_files_at_their_paths(tmp_path: Path) -> None:
    documents = {page.path: _render(page.path) for page in PAGES}
    lay_out(tmp_path / "site", documents)
    assert _held(tmp_path / "site") == documents


def test_farms_of_shards_that_are_gone_and_older_folders_of_documents_are_removed(
    tmp_path: Path,
) -> None:
    for name in ("shard-0", "shard-1"):
        fill_farm(farm_file(tmp_path, name), PAGES, _render)
    old_folder = tmp_path / "shard-0" / "about" / "index.html"  # an older Broadsheet's layout
    old_folder.parent.mkdir(parents=True)
    old_folder.write_text("old")
    (tmp_path / "shard-0.json").write_text("{}")
    (tmp_path / "shard-0.pickle.tmp").write_text("a killed build's")

    remove_other_farms(tmp_path, {"shard-0"})

    assert sorted(p.name for p in tmp_path.iterdir()) == ["shard-0.pickle"]
