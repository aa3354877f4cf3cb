"""A body of plain prose skips markdown-it: the page must not be able to tell."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.readers.markdown import plain_prose, render_body, render_markdown
from tests.helpers import CORPUS, shared_or_skip

PROSE = 'Kyiv talks, 12 May. "We\'ll see" & co; #1 2.5% a-b'
MARKUP = "#>-+*=_`~<|[]!\\&;.)\t\r\x00\u00a0\u2028 "
PROSE_LINE = st.one_of(st.text(alphabet=PROSE, max_size=40), st.sampled_from(["", " ", "   "]))
RISKY_LINE = st.one_of(
    st.text(alphabet=PROSE + MARKUP, max_size=12),
    st.sampled_from(["---", "===", "1. item", "2) item", "- item", "> quote", "    code", " a"]),
    st.sampled_from(["&amp;", "&#38;", "&copy", "a | b", "**bold**", "<b>x</b>", "end  ", "a\\"]),
)


@settings(max_examples=400, deadline=None)
@given(
    lines=st.lists(PROSE_LINE, max_size=8),
    risky=st.one_of(st.none(), RISKY_LINE),
    where=st.integers(min_value=0, max_value=8),
)
def test_a_body_read_as_plain_prose_is_what_markdown_it_makes_of_it(lines, risky, where):
    if risky is not None:
        lines.insert(where, risky)
    body = "\n".join(lines)
    assert render_body(body) == render_markdown(body)


def test_prose_with_quotes_and_ampersands_is_escaped_and_keeps_its_paragraphs():
    body = 'He said "no" & left.\nThen he came back.\n\n  \nA second paragraph.'
    html, paragraphs = render_body(body)
    assert plain_prose(body) is not None
    assert html == (
        '<p>He said "no" &amp; left.\nThen he came back.</p>\n<p>A second paragraph.</p>\n'
    )
    assert paragraphs == ('He said "no" & left. Then he came back.', "A second paragraph.")


def test_what_may_be_markdown_goes_to_markdown_it():
    for body in ["a\n\n# Heading", "a *b*", "a\n---", "1. one", "a &amp; b", "a  \nb", "[x]"]:
        assert plain_prose(body) is None, body


def test_every_bbc_article_reads_as_markdown_it_reads_it():
    corpus = shared_or_skip(CORPUS / "bbc-news-2005")
    plain = 0
    for path in sorted(corpus.glob("*/*.txt")):
        body = path.read_text(encoding="latin-1").split("\n", 1)[-1]
        plain += plain_prose(body) is not None
        assert render_body(body) == render_markdown(body), path.name
    assert plain > 1000  # the check above covers the plain path, not only markdown-it's
