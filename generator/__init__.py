"""Broadsheet: a static-site generator for news archives.

The public surface: `load_config`, `build`, the data types and the errors.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("broadsheet")
except PackageNotFoundError:  # running from a checkout that is not installed
    __version__ = "0.0.0+local"

from .build import BuildReport, build
from .config import SiteConfig, load_config
from .errors import (
    BroadsheetError,
    ConfigError,
    ContentError,
    OutputError,
    Problem,
    SearchIndexError,
    ThemeError,
)
from .model import Archive, Article, Story, Version

__all__ = [
    "Archive",
    "Article",
    "BroadsheetError",
    "BuildReport",
    "ConfigError",
    "ContentError",
    "OutputError",
    "Problem",
    "SearchIndexError",
    "SiteConfig",
    "Story",
    "ThemeError",
    "Version",
    "__version__",
    "build",
    "load_config",
]
