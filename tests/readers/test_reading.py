"""The I/O edge: finding content files, decoding bytes, reading files that may be broken."""

from __future__ import annotations

from pathlib import Path

from generator.readers import find_sources, parse_source, read_source
from generator.readers.decode import decode

from .conftest import bbc_path


def test_find_sources_lists_readable_files_sorted_and_skips_hidden_and_temp_files(tmp_path):
    names = [
        "b.md", "a/z.txt", "a/b.html", "A.markdown", "c.text", "d.htm", "page.md~", "x.swp",
        ".hidden.md", ".git/config.md", "#auto.md#", ".#lock.md", "notes.tmp", "img.png",
        "a/.drafts/secret.md", "E.MD",
    ]  # fmt: skip
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found = [p.relative_to(tmp_path).as_posix() for p in find_sources(tmp_path)]
    assert found == ["A.markdown", "E.MD", "a/b.html", "a/z.txt", "b.md", "c.text", "d.htm"]


def test_utf8_with_bom_and_crlf_decodes_cleanly():
    decoded = decode("\ufeffTitle\r\n\r\nText é\r".encode())
    assert decoded.text == "Title\n\nText é\n"
    assert decoded.findings == ()


def test_latin1_bbc_file_is_read_with_a_warning_not_dropped(config):
    path = bbc_path("sport/199.txt")
    result = read_source(path, config)
    assert result.article is not None
    assert any("£" in p for p in result.article.paragraphs)
    [problem] = result.problems
    assert problem.severity == "warning"
    assert "not UTF-8; decoded as latin-1" in problem.message
    assert "re-save it as UTF-8" in problem.hint
    assert not problem.path.startswith("/")


def test_windows_1252_smart_quotes_decode(tmp_path):
    decoded = decode("“Quoted” — it’s fine".encode("cp1252"))
    assert decoded.text == "“Quoted” — it’s fine"
    assert "cp1252" in decoded.findings[0].message


def test_binary_file_is_an_error_not_a_crash(config):
    path = config.content_dir / "img.txt"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    result = read_source(path, config)
    assert result.article is None
    [problem] = result.problems
    assert problem.severity == "error"
    assert problem.path == "content/img.txt"


def test_unreadable_path_is_an_error_problem(config):
    result = read_source(config.content_dir / "missing.md", config)
    assert result.article is None
    assert result.problems[0].severity == "error"
    assert result.problems[0].path == "content/missing.md"


def test_read_source_names_the_file_relative_to_the_site(config):
    path = config.content_dir / "world" / "a.md"
    path.parent.mkdir(parents=True)
    path.write_text("---\ntitle: T\ndate: nope\n---\nx", encoding="utf-8")
    result = read_source(path, config)
    assert result.article.id == "world/a"
    assert result.article.source_path == "world/a.md"
    assert [p.path for p in result.problems] == ["content/world/a.md"]


def test_unknown_extension_is_an_error(config):
    result = parse_source("x", "notes.docx", config)
    assert result.article is None
    assert "use one of" in result.problems[0].hint


def test_text_extension_is_read_as_a_clipping(config, tmp_path: Path):
    assert parse_source("Head\n\nBody.", "a.text", config).article.format == "clipping"
