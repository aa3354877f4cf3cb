"""Saved web pages: metadata and paragraph text, never the page's own HTML."""

from __future__ import annotations

import datetime as dt

from generator.readers import parse_source

PAGE = """<!doctype html><html><head><title>Talks | The Post</title>
<meta property="og:title" content="Talks begin &amp; end">
<meta property="og:site_name" content="The Post">
<meta name="description" content="A first call.">
<meta name="author" content="Jane Doe and John Roe">
<meta property="article:published_time" content="2025-03-19T10:00:00Z">
<script>var x = "<p>not text</p>";</script></head>
<body><nav><p>Home</p></nav><h1>Talks begin</h1>
<article><p>First <b>para</b> &lt;ok&gt;.</p><p onclick="x()">Second.</p></article>
<footer><p>Copyright</p></footer></body></html>"""


def test_saved_page_gives_metadata_and_article_paragraphs(config):
    result = parse_source(PAGE, "web/talks.html", config)
    article = result.article
    assert result.problems == ()
    assert article.title == "Talks begin & end"
    assert article.publication == "The Post"
    assert article.dek == "A first call."
    assert article.authors == ("Jane Doe", "John Roe")
    assert article.date == dt.datetime(2025, 3, 19, 10, 0, tzinfo=dt.UTC)
    assert article.paragraphs == ("First para <ok>.", "Second.")
    assert article.body_html == "<p>First para &lt;ok&gt;.</p>\n<p>Second.</p>\n"


def test_page_without_metadata_falls_back_to_h1_and_all_paragraphs(config):
    page = "<html><title>T</title><h1>Head</h1><p>One.</p><time datetime='2025-03-19'>x</time>"
    article = parse_source(page, "a.htm", config).article
    assert (article.title, article.paragraphs, article.date) == (
        "Head",
        ("One.",),
        dt.date(2025, 3, 19),
    )
