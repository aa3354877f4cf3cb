"""Whatever is in a content file, reading it never raises and every problem names the file."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.readers import ReadResult, parse_source, read_source
from generator.readers.clipping import parse_clipping

EXTENSIONS = st.sampled_from(["md", "markdown", "txt", "text", "html", "htm"])
QUIET = [HealthCheck.function_scoped_fixture]  # tmp files are simply overwritten per example
FAST = settings(max_examples=150, deadline=None, suppress_health_check=QUIET)
BROKEN = ["title: [", "date: 2025-13-45", 'title = "x', "---", "+++", "a: *ref", "- x", "{"]
BROKEN += ["slug: ../../etc", "date = 1979-05-27T07:32:00Z", "authors: {a: 1}", "tags: [[[]]]"]
BROKEN += ["draft: maybe", "title:", "date: 12:30", "title = 1979-05-27", "a: &x [*x]"]
FRONT_LINE = st.one_of(st.text(alphabet=string.printable, max_size=40), st.sampled_from(BROKEN))
CLIPPING_CHARS = list("By, &and\n *Published March 19 2025 WASHINGTON—.")


def _check(result: ReadResult, shown: str) -> None:
    assert result.problems or result.article is not None
    for problem in result.problems:
        assert problem.path == shown
        assert problem.severity in ("error", "warning")
    if result.article is not None:
        slug = result.article.slug
        assert result.article.title
        assert slug and "/" not in slug and ".." not in slug
        assert "<script" not in result.article.body_html.lower()


@FAST
@given(text=st.text(), ext=EXTENSIONS)
def test_parse_source_never_raises_on_random_text(config, text, ext):
    _check(parse_source(text, f"dir/file.{ext}", config), f"content/dir/file.{ext}")


@FAST
@given(data=st.binary(max_size=2000), ext=EXTENSIONS)
def test_read_source_never_raises_on_random_bytes(config, data, ext):
    path = config.content_dir / f"file.{ext}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    _check(read_source(path, config), f"content/file.{ext}")


@FAST
@given(
    fence=st.sampled_from(["---", "+++"]),
    lines=st.lists(FRONT_LINE, max_size=8),
    closed=st.booleans(),
)
def test_broken_front_matter_never_raises(config, fence, lines, closed):
    text = "\n".join([fence, *lines, *([fence] if closed else []), "Body text."])
    _check(parse_source(text, "a.md", config), "content/a.md")


@settings(max_examples=10, deadline=None, suppress_health_check=QUIET)
@given(
    char=st.sampled_from(["a", " ", "#", "*", ">", "-", "[", "<", "é", "\u200b"]), ext=EXTENSIONS
)
def test_huge_lines_never_raise(config, char, ext):
    text = "Headline\n\n" + char * 200_000 + "\n" + "[" * 5000 + ">" * 5000
    _check(parse_source(text, f"big.{ext}", config), f"content/big.{ext}")


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(CLIPPING_CHARS)))
def test_parse_clipping_never_raises_and_never_makes_empty_paragraphs_or_dirty_names(text):
    clip = parse_clipping(text)
    assert all(p and p.strip() == p for p in clip.paragraphs)
    assert all(a and "&" not in a and not a.lower().startswith("by ") for a in clip.authors)


SPACES_AND_INVISIBLES = [chr(c) for c in range(0x3000 + 1) if chr(c).isspace()] + ["\u200b", "\x85"]


@settings(max_examples=300, deadline=None)
@given(text=st.text(st.one_of(st.characters(), st.sampled_from(SPACES_AND_INVISIBLES))))
def test_clean_text_is_one_line_without_control_characters(text):
    """Every kind of Unicode whitespace (no-break, ideographic, line separators) collapses to
    one space, and control and invisible characters go, as the regular expressions say."""
    import re

    from generator.readers.fields import _CONTROL, clean_text

    cleaned = clean_text(text)
    assert cleaned == re.sub(r"\s+", " ", _CONTROL.sub(" ", text)).strip()
    assert not _CONTROL.search(cleaned)
    assert "  " not in cleaned and cleaned == cleaned.strip()
