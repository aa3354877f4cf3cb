"""The kept folders of search documents (search_farm.py): after filling, a folder holds exactly
its shard's documents, whatever stood in the way."""

from __future__ import annotations

from pathlib import Path

from generator.output import walk
from generator.search_farm import fill_farm
from generator.search_shards import SearchPage


def _render(path: str) -> bytes:
    return f"<html><body data-pagefind-body><h1>{path}</h1></body></html>".encode()


def _held(folder: Path) -> dict[str, bytes]:
    return {
        relative: Path(entry.path).read_bytes()
        for relative, entry in walk(folder)
        if entry.is_file(follow_symlinks=False)
    }


def test_a_filled_farm_holds_its_documents_whatever_stood_in_their_way(tmp_path: Path) -> None:
    farm = tmp_path / "shard-0"
    pages = [SearchPage("2024/05/02/quay/index.html", "k1"), SearchPage("about/index.html", "k2")]
    # A folder where a document goes, a file where a folder goes, a stray document.
    (farm / "about" / "index.html").mkdir(parents=True)
    (farm / "2024").mkdir(parents=True)
    (farm / "2024" / "05").write_text("in the way")
    (farm / "old" / "index.html").parent.mkdir(parents=True)
    (farm / "old" / "index.html").write_text("stray")

    fill_farm(farm, pages, _render)

    assert _held(farm) == {page.path: _render(page.path) for page in pages}


def test_a_kept_document_is_not_rendered_again_unless_its_file_changed(tmp_path: Path) -> None:
    farm = tmp_path / "shard-0"
    pages = [SearchPage("a/index.html", "k1"), SearchPage("b/index.html", "k2")]
    fill_farm(farm, pages, _render)
    (farm / "b" / "index.html").write_text("changed behind the build's back")
    rendered: list[str] = []

    def counting(path: str) -> bytes:
        rendered.append(path)
        return _render(path)

    fill_farm(farm, pages, counting)

    assert rendered == ["b/index.html"]
    assert _held(farm) == {page.path: _render(page.path) for page in pages}
