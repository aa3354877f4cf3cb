"""Broadsheet: a static-site generator for news archives.

The public surface: `load_config`, `build`, the data types and the errors. `build` and
`BuildReport` are imported when first asked for: the `broadsheet` command starts work on the
other core before it imports the pipeline (see cli.py).
"""

from typing import TYPE_CHECKING, Any

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
from .model import Archive, Article, Body, Story, Version

if TYPE_CHECKING:
    from .pipeline import BuildReport, build

__all__ = [
    "Archive",
    "Article",
    "Body",
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


def __getattr__(name: str) -> Any:
    """`build` and `BuildReport` from the pipeline, and `__version__`, looked up when asked for:
    importlib.metadata takes 15-20 ms to import and search, which every build would pay at
    start."""
    if name in ("build", "BuildReport"):
        from . import pipeline

        return getattr(pipeline, name)
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("broadsheet")
    except PackageNotFoundError:  # running from a checkout that is not installed
        return "0.0.0+local"
