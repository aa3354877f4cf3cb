from pathlib import Path

import pytest

from generator.config import ConfigWarning, load_config, parse_config
from generator.errors import ConfigError


def test_a_title_alone_is_a_valid_site(tmp_path: Path) -> None:
    (tmp_path / "site.toml").write_text('title = "My archive"\n')
    config = load_config(tmp_path / "site.toml")
    assert config.title == "My archive"
    assert config.output_dir == tmp_path / "public"
    assert config.content_dir == tmp_path / "content"
    assert config.permalink == "/{year}/{month}/{slug}/"
    assert config.base_path == "/"


def test_every_invalid_value_is_listed_at_once(tmp_path: Path) -> None:
    raw = {
        "title": "T",
        "per_page": "ten",
        "timezone": "Mars/Olympus",
        "permalink": "/{year}/",
        "related": {"count": "x"},
    }
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, tmp_path)
    message = str(caught.value)
    assert "per_page must be a whole number" in message
    assert "timezone 'Mars/Olympus' is not a known zone" in message
    assert "permalink must contain {slug} or {id}" in message
    assert "related.count must be a whole number" in message


def test_unknown_keys_warn_but_do_not_fail(tmp_path: Path) -> None:
    with pytest.warns(ConfigWarning, match="unknown key 'colour'"):
        config = parse_config({"title": "T", "colour": "red"}, tmp_path)
    assert config.title == "T"


def test_missing_title_and_missing_file_are_explained(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="title is required"):
        parse_config({}, tmp_path)
    with pytest.raises(ConfigError, match='create one with `title = "My archive"`'):
        load_config(tmp_path / "site.toml")


def test_broken_toml_names_the_problem(tmp_path: Path) -> None:
    (tmp_path / "site.toml").write_text('title = "unclosed\n')
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "site.toml")


def test_base_url_with_a_host_gives_absolute_links(tmp_path: Path) -> None:
    config = parse_config({"title": "T", "base_url": "https://example.org/archive"}, tmp_path)
    assert config.base_path == "/archive/"
    assert config.absolute_base == "https://example.org/archive/"


def test_base_url_must_be_a_path_or_http_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="base_url"):
        parse_config({"title": "T", "base_url": "ftp://example.org/"}, tmp_path)


def test_output_dir_may_not_be_the_content_dir(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="output_dir must differ from content_dir"):
        parse_config({"title": "T", "output_dir": "content", "content_dir": "content"}, tmp_path)


def test_search_shard_settings_are_read_and_checked(tmp_path: Path) -> None:
    config = parse_config({"title": "T", "search": {"shard_size": 500, "max_shards": 8}}, tmp_path)
    assert (config.search.shard_size, config.search.max_shards) == (500, 8)
    assert parse_config({"title": "T"}, tmp_path).search.shard_size == 1000
    with pytest.raises(ConfigError) as raised:
        parse_config({"title": "T", "search": {"shard_size": 0, "max_shards": 1000}}, tmp_path)
    assert "search.shard_size must be at least 1" in str(raised.value)
    assert "search.max_shards must be between 1 and 256" in str(raised.value)
