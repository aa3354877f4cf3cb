"""The errors Broadsheet raises, and the problems it collects.

    BroadsheetError              anything that stops a build
    ├── ConfigError              site.toml is missing or invalid (lists every problem at once)
    ├── ContentError             the content cannot be built as asked (e.g. --strict with problems)
    ├── ThemeError               the theme or a template is missing or broken
    ├── OutputError              the output folder cannot be written safely
    └── SearchIndexError         Pagefind failed to index the site

Problems with single input files are not raised: they become `Problem`s, collected into the
build report, and the rest of the archive still builds. `--strict` turns warnings into failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .model import pickled_by_fields

Severity = Literal["error", "warning"]


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one input file, phrased so the user can fix it."""

    path: str
    """The file, relative to the site folder (never an absolute path of the build machine)."""
    message: str
    """What is wrong."""
    hint: str = ""
    """How to fix it."""
    line: int | None = None
    """1-based line number, where known."""
    severity: Severity = "warning"
    """"error": the file was skipped; "warning": the file was built, perhaps imperfectly."""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        text = f"{where}: {self.severity}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class BroadsheetError(Exception):
    """Base of every error that stops a build."""


class ConfigError(BroadsheetError):
    """site.toml is missing or invalid; `problems` lists every problem found."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{path} is invalid:\n{listing}")


class ContentError(BroadsheetError):
    """The content as a whole cannot be built (for instance --strict with problems)."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        self.problems = problems or []
        super().__init__(message)


class ThemeError(BroadsheetError):
    """The theme or one of its templates is missing or broken."""


class OutputError(BroadsheetError):
    """The output folder cannot be written safely."""


class SearchIndexError(BroadsheetError):
    """Pagefind could not index the built site."""


class ServeError(BroadsheetError):
    """`broadsheet serve` cannot listen where it was asked to."""
