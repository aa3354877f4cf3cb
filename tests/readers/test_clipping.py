"""Pasted clippings: the two real clippings of one story, BBC files, and made-up edge cases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from generator.readers import parse_source
from generator.readers.clipping import parse_byline, parse_clipping
from generator.readers.decode import decode

from .conftest import BBC, bbc_path, clipping_text

# --- the original (000): headline, dek, bold byline with publication, no date ---------------


@pytest.fixture(scope="module")
def original():
    return parse_clipping(clipping_text("000"))


@pytest.fixture(scope="module")
def syndicated():
    return parse_clipping(clipping_text("001"))


def test_original_clipping_headline_is_the_first_line(original):
    assert (
        original.title == "Trump, Putin agree to broader talks – but limited ceasefire in Ukraine"
    )


def test_original_clipping_dek_is_the_paragraph_between_headline_and_byline(original):
    assert original.dek.startswith("Trump's long call with Putin was an extraordinary olive branch")


def test_bold_byline_gives_authors_in_order_without_by_or_and(original):
    assert original.authors == ("Michael Birnbaum", "Mary Ilyushina", "Cat Zakrzewski")


def test_bold_byline_second_line_is_the_publication(original):
    assert original.publication == "Washington Post"


def test_original_clipping_without_a_date_gets_none(original):
    assert original.date is None
    assert original.updated is None


def test_original_clipping_body_runs_from_lede_to_last_paragraph(original):
    assert original.paragraphs[0].startswith("Russian President Vladimir Putin agreed Tuesday")
    assert original.paragraphs[-1].startswith("That effort would effectively spell the end")
    assert not any(p.startswith(("**By", "Washington Post")) for p in original.paragraphs)
    assert original.dek not in original.paragraphs


# --- the syndicated copy (001): dated header, section, byline + publication, clutter --------


def test_syndicated_clipping_headline_comes_after_header_clutter(syndicated):
    assert syndicated.title == (
        "Trump, Putin agree to partial ceasefire in Ukraine, but plan needs Kiev sign off"
    )


def test_syndicated_clipping_authors_are_deduplicated_in_byline_order(syndicated):
    assert syndicated.authors == ("Michael Birnbaum", "Cat Zakrzewski", "Mary Ilyushina")


def test_syndicated_clipping_byline_gives_publication(syndicated):
    assert syndicated.publication == "The Washington Post"


def test_syndicated_clipping_section_is_the_short_title_case_header_line(syndicated):
    assert syndicated.section == "World Review"


def test_syndicated_clipping_date_is_a_whole_day(syndicated):
    assert syndicated.date == dt.date(2025, 3, 19)
    assert type(syndicated.date) is dt.date


def test_syndicated_clipping_has_no_dek_because_the_author_line_follows_the_headline(syndicated):
    assert syndicated.dek == ""


def test_syndicated_clipping_drops_repeated_headline_and_promo_line(syndicated):
    assert syndicated.paragraphs[0].startswith("Russian President Vladimir Putin agreed Tuesday")
    assert syndicated.title not in syndicated.paragraphs
    assert not any("SIGN UP" in p for p in syndicated.paragraphs)


def test_syndicated_clipping_drops_trailing_site_navigation(syndicated):
    assert syndicated.paragraphs[-1].startswith("On Tuesday, the Russian ruble strengthened")
    assert not {"Columnists", "Toons"} & set(syndicated.paragraphs)


def test_syndicated_clipping_body_line_points_at_the_lede(syndicated):
    lines = clipping_text("001").split("\n")
    assert lines[syndicated.body_line - 1].startswith("Russian President Vladimir Putin")


# --- BBC files: line 1 is the headline, everything else is body -----------------------------


def _bbc(path: Path) -> tuple[str, list[str], str]:
    """Expected title and body of a BBC file (split at blank lines), and its text."""
    text = decode(path.read_bytes()).text or ""
    blocks = [" ".join(b.split()) for b in text.strip().split("\n\n") if b.strip()]
    return blocks[0], blocks[1:], text


@pytest.mark.parametrize(
    "relative",
    ["business/001.txt", "politics/084.txt", "sport/107.txt", "sport/179.txt", "sport/199.txt"],
)
def test_bbc_file_gives_title_from_line_one_and_every_other_paragraph_as_body(relative):
    title, body, text = _bbc(bbc_path(relative))
    clip = parse_clipping(text)
    assert clip.title == title
    assert list(clip.paragraphs) == body
    assert (clip.authors, clip.date, clip.dek, clip.publication) == ((), None, "", "")


def test_every_bbc_file_keeps_all_its_paragraphs_and_gains_no_fields():
    if not BBC.is_dir():
        pytest.skip(f"../shared/corpus/bbc-news-2005 not found: {BBC}")
    wrong = []
    for path in sorted(BBC.glob("*/*.txt")):
        title, body, text = _bbc(path)
        clip = parse_clipping(text)
        found = (clip.title, list(clip.paragraphs), clip.authors, clip.date, clip.dek, clip.section)
        if found != (title, body, (), None, "", ""):
            wrong.append(f"{path.parent.name}/{path.name}")
    assert wrong == []


# --- made-up clippings: bylines, dates, clutter ---------------------------------------------

LEDE = "The council approved the budget on Monday after a long debate about the city's parks."
SECOND = "Opponents said the plan would cut services, and promised to fight it at the next vote."


def _clip(*blocks: str) -> object:
    return parse_clipping("\n\n".join(blocks))


@pytest.mark.parametrize(
    ("line", "authors", "publication"),
    [
        ("By Jane Doe, John Roe and Ann Poe", ("Jane Doe", "John Roe", "Ann Poe"), ""),
        ("By Jane Doe, John Roe, and Ann Poe", ("Jane Doe", "John Roe", "Ann Poe"), ""),
        ("By Jane Doe & John Roe", ("Jane Doe", "John Roe"), ""),
        ("By Jane Doe, John Roe &, Ann Poe", ("Jane Doe", "John Roe", "Ann Poe"), ""),
        ("By Jane Doe", ("Jane Doe",), ""),
        ("BY JANE DOE", ("JANE DOE",), ""),
        ("By Jane Doe, Reuters", ("Jane Doe",), "Reuters"),
        (
            "By Jane Doe and John Roe The New York Times",
            ("Jane Doe", "John Roe"),
            "The New York Times",
        ),
        ("By Jane Doe | Associated Press", ("Jane Doe",), "Associated Press"),
        ("By Jane Doe, Jane Doe and John Roe.", ("Jane Doe", "John Roe"), ""),
    ],
)
def test_byline_forms_give_clean_authors_and_publication(line, authors, publication):
    assert parse_byline(line) == (authors, publication)


def test_sentence_starting_with_by_is_not_a_byline():
    assert parse_byline("By Tuesday, the talks had stalled over the question of troops.") is None


def test_single_author_byline_under_headline(config):
    clip = _clip("Council passes budget", "By Jane Doe", LEDE, SECOND)
    assert clip.authors == ("Jane Doe",)
    assert clip.paragraphs == (LEDE, SECOND)
    assert clip.dek == ""


def test_agency_byline_after_a_dek():
    clip = _clip(
        "Council passes budget",
        "A late-night vote ends a long fight.",
        "By Jane Doe, Reuters",
        LEDE,
    )
    assert clip.dek == "A late-night vote ends a long fight."
    assert clip.authors == ("Jane Doe",)
    assert clip.publication == "Reuters"
    assert clip.paragraphs == (LEDE,)


def test_without_byline_the_second_paragraph_is_the_lede_not_a_dek():
    clip = _clip("Council passes budget", LEDE, SECOND)
    assert clip.dek == ""
    assert clip.paragraphs == (LEDE, SECOND)


def test_dateline_line_gives_date_and_agency_and_is_not_body():
    clip = _clip("Council passes budget", "By Jane Doe", "LONDON, March 19, 2025 (Reuters) —", LEDE)
    assert clip.date == dt.date(2025, 3, 19)
    assert clip.publication == "Reuters"
    assert clip.paragraphs == (LEDE,)


def test_dateline_inside_the_first_paragraph_stays_in_the_body():
    lede = "WASHINGTON — " + LEDE
    assert _clip("Council passes budget", "By Jane Doe", lede).paragraphs == (lede,)


def test_updated_line_with_time_and_zone_gives_an_aware_updated_datetime():
    clip = _clip(
        "Council passes budget",
        "By Jane Doe",
        "Published March 19, 2025",
        "Updated March 20, 2025 at 10:15 a.m. EDT",
        LEDE,
    )
    assert clip.date == dt.date(2025, 3, 19)
    assert clip.updated == dt.datetime(2025, 3, 20, 14, 15, tzinfo=dt.UTC)
    assert clip.paragraphs == (LEDE,)


def test_weekday_and_date_header_lines_give_the_date():
    clip = _clip("Wednesday", "March 19th, 2025", "Council passes budget", LEDE)
    assert clip.title == "Council passes budget"
    assert clip.date == dt.date(2025, 3, 19)


def test_date_without_year_is_never_completed():
    clip = _clip("Council passes budget", "By Jane Doe", "Published March 19", LEDE)
    assert clip.date is None
    assert clip.warnings and clip.warnings[0].line == 5


def test_short_last_sentence_is_kept_as_body():
    clip = _clip("Council passes budget", LEDE, "It passed.")
    assert clip.paragraphs[-1] == "It passed."


def test_lone_short_last_line_that_is_not_a_nav_word_is_kept():
    clip = _clip("Match report", LEDE, "Howard Webb")
    assert clip.paragraphs[-1] == "Howard Webb"


def test_trailing_share_and_comments_links_are_dropped():
    clip = _clip("Council passes budget", LEDE, "Share", "Comments")
    assert clip.paragraphs == (LEDE,)


@pytest.mark.parametrize(
    "promo",
    [
        "Advertisement",
        "Sign up for our morning newsletter.",
        "SUBSCRIBE TODAY FOR FULL ACCESS",
        "Read more: Council leader quits",
        "To get the app, click here.",
    ],
)
def test_promo_lines_between_paragraphs_are_dropped(promo):
    assert _clip("Council passes budget", LEDE, promo, SECOND).paragraphs == (LEDE, SECOND)


def test_paragraph_mentioning_subscribers_is_not_a_promo():
    text = "Residents who subscribe to the alert service will be told of closures."
    assert text in _clip("Council passes budget", LEDE, text).paragraphs


def test_lines_are_joined_into_paragraphs_at_blank_lines():
    clip = parse_clipping("Headline here\n\nfirst line\nsecond line\n\nnext para.")
    assert clip.paragraphs == ("first line second line", "next para.")


def test_empty_clipping_has_no_fields():
    clip = parse_clipping("")
    assert (clip.title, clip.paragraphs, clip.date) == ("", (), None)


# --- the adapter --------------------------------------------------------------------------


def test_clipping_article_escapes_paragraphs_into_html(config):
    result = parse_source("Tom & Jerry <b>\n\nA <script>x</script> & b.", "news/tj.txt", config)
    article = result.article
    assert article is not None
    assert article.format == "clipping"
    assert article.id == "news/tj"
    assert article.slug == "tom-jerry-b"
    assert article.body_html == "<p>A &lt;script&gt;x&lt;/script&gt; &amp; b.</p>\n"
    assert article.word_count == 5  # A script x script b


def test_clipping_article_gives_naive_times_the_site_zone(tmp_path):
    from generator.config import parse_config

    config = parse_config({"title": "T", "timezone": "Europe/London"}, tmp_path)
    text = "Headline\n\nBy Jane Doe\n\nPublished March 19, 2025 at 9:00\n\n" + LEDE
    article = parse_source(text, "a.txt", config).article
    assert article is not None
    assert article.date.tzinfo is not None
    assert article.date.utcoffset() == dt.timedelta(0)


def test_empty_clipping_file_is_an_error_naming_the_file(config):
    result = parse_source("\n\n  \n", "world/empty.txt", config)
    assert result.article is None
    assert [(p.path, p.severity) for p in result.problems] == [
        (f"{config.content_dir.name}/world/empty.txt", "error")
    ]


def test_last_author_is_split_from_a_publication_without_the() -> None:
    from generator.readers.clipping import parse_byline

    byline = "By Ana Ruiz, Tom Okafor and Lee Chen Valley Wire Service"
    assert parse_byline(byline) == (("Ana Ruiz", "Tom Okafor", "Lee Chen"), "Valley Wire Service")
