"""`python -m generator` runs the broadsheet command."""

from .cli import run

run()
