"""Markdown files: front matter fields, broken front matter, the body and its sanitising."""

from __future__ import annotations

import datetime as dt

from generator.readers import parse_source


def _read(config, text: str, path: str = "world/post.md"):
    return parse_source(text, path, config)


def test_yaml_front_matter_fields_and_aliases_reach_the_article(config):
    text = (
        "---\ntitle: Talks begin\nsummary: A first call\nauthor: Jane Doe, John Roe and Ann Poe\n"
        "publication: The Post\nsection: World\ndate: March 19, 2025\ntags: ukraine, talks\n"
        "source_url: https://example.com/a\nstory: ceasefire\nversions: false\ncolour: red\n"
        "---\n\nBody.\n"
    )
    result = _read(config, text)
    article = result.article
    assert result.problems == ()
    assert article.title == "Talks begin"
    assert article.dek == "A first call"
    assert article.authors == ("Jane Doe", "John Roe", "Ann Poe")
    assert (article.publication, article.section) == ("The Post", "World")
    assert article.date == dt.date(2025, 3, 19)
    assert article.tags == ("ukraine", "talks")
    assert article.source_url == "https://example.com/a"
    assert article.story == "ceasefire"
    assert article.standalone is True
    assert article.extra == {"colour": "red"}
    assert (article.id, article.slug, article.format) == ("world/post", "talks-begin", "markdown")
    assert article.source_line_offset == 14


def test_toml_front_matter_dates_keep_their_kind(config):
    text = '+++\ntitle = "T"\ndate = 2025-03-19\nupdated = 2025-03-20T10:00:00+02:00\n'
    text += "draft = true\n+++\nx"
    article = _read(config, text).article
    assert article.date == dt.date(2025, 3, 19)
    assert article.updated == dt.datetime(2025, 3, 20, 8, 0, tzinfo=dt.UTC)
    assert article.draft is True


def test_naive_datetime_gets_the_site_timezone(config):
    article = _read(config, "---\ntitle: T\ndate: 2025-03-19 10:00:00\n---\nx").article
    assert article.date.tzinfo is not None and article.date.utcoffset() == dt.timedelta(0)


def test_unreadable_date_is_a_warning_on_its_line_and_stays_empty(config):
    result = _read(config, "---\ntitle: T\ndate: next Tuesday-ish\n---\nx")
    assert result.article.date is None
    [problem] = result.problems
    assert (problem.line, problem.severity) == (3, "warning")
    assert "date" in problem.message


def test_date_without_a_year_is_never_completed(config):
    assert _read(config, "---\ntitle: T\ndate: March 19\n---\nx").article.date is None


def test_wrong_type_is_a_warning_and_the_field_is_ignored(config):
    result = _read(config, "---\ntitle: [1, 2]\n---\n# From heading\n")
    assert result.article.title == "From heading"
    assert result.problems[0].line == 2
    assert "title must be text" in result.problems[0].message


def test_unclosed_front_matter_is_an_error_with_a_hint(config):
    result = _read(config, "---\ntitle: T\n\nBody text")
    assert result.article is None
    [problem] = result.problems
    assert (problem.severity, problem.line) == ("error", 1)
    assert "Did you forget the closing `---`?" in problem.hint


def test_bad_yaml_is_an_error_with_the_parsers_line(config):
    [problem] = _read(config, "---\ntitle: T\ntags: [a, b\n---\nx").problems
    assert problem.severity == "error"
    assert problem.line in (3, 4)
    assert problem.path == f"{config.content_dir.name}/world/post.md"


def test_bad_toml_is_an_error_with_the_parsers_line(config):
    [problem] = _read(config, '+++\ntitle = "T"\ndate = \n+++\nx').problems
    assert (problem.severity, problem.line) == ("error", 3)


def test_file_without_front_matter_takes_its_title_from_the_first_h1(config):
    result = _read(config, "Intro.\n\n# The headline\n\nMore.")
    assert result.article.title == "The headline"
    assert result.article.paragraphs == ("Intro.", "More.")
    assert result.problems == ()


def test_file_without_any_title_uses_the_file_name_with_a_warning(config):
    result = _read(config, "Just text.", "world/ceasefire-talks.md")
    assert result.article.title == "ceasefire talks"
    assert [p.severity for p in result.problems] == ["warning"]


def test_unsafe_slug_is_replaced_with_a_warning(config):
    result = _read(config, "---\ntitle: T\nslug: ../x\n---\nx")
    assert result.article.slug == "x"
    assert "slug '../x' is not allowed" in result.problems[0].message


def test_slug_with_a_slash_is_slugified(config):
    assert _read(config, "---\ntitle: T\nslug: a/b\n---\nx").article.slug == "a-b"


def test_non_web_source_url_is_dropped_with_a_warning(config):
    result = _read(config, "---\ntitle: T\nsource_url: javascript:alert(1)\n---\nx")
    assert result.article.source_url == ""
    assert result.problems[0].line == 3


def test_text_fields_lose_control_characters_and_outer_space(config):
    article = _read(config, '+++\ntitle = "  Big\\u0007 news \\t "\n+++\nx').article
    assert article.title == "Big news"


def test_body_is_sanitised(config):
    body = (
        '<script>alert(1)</script><style>p{}</style><iframe src="https://x"></iframe>\n\n'
        '[a](javascript:alert(1)) [b](https://example.com) <img src="data:image/png;base64,AA" '
        'onerror="alert(1)"> <a href="vbscript:x" onclick="y">c</a>\n\n<form><input></form>'
        "<object></object><embed src=x>"
    )
    html = _read(config, "---\ntitle: T\n---\n" + body).article.body_html
    unsafe = ["<script", "<style", "<iframe", "<form", "<object", "<embed", "onerror", "onclick"]
    unsafe += ['="javascript:', '="data:', '="vbscript:', "alert(1)</"]
    assert [bad for bad in unsafe if bad in html] == []
    assert '<a href="https://example.com" rel="noopener noreferrer">b</a>' in html


def test_tables_and_strikethrough_render(config):
    html = _read(config, "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~").article.body_html
    assert "<table>" in html and "<s>old</s>" in html


def test_paragraphs_are_plain_text_of_blocks(config):
    text = "---\ntitle: T\n---\n## Sub *head*\n\nA **bold** `code` para\nwrapped.\n\n"
    text += "- one\n- two\n\n> quoted\n"
    article = _read(config, text).article
    assert article.paragraphs == ("Sub head", "A bold code para wrapped.", "one", "two", "quoted")
    assert article.word_count == 10


def test_inline_script_text_is_not_a_paragraph_word(config):
    article = _read(config, "A <script>evil()</script> b").article
    assert article.paragraphs == ("A b",)


def test_body_headings_start_at_h2_below_the_headline() -> None:
    from generator.readers.markdown import render_body

    html, _ = render_body("### Reaction\n\nText.\n\n#### Detail\n\nMore.")
    assert "<h2>Reaction</h2>" in html and "<h3>Detail</h3>" in html
