"""Every error the pipeline raises on purpose, in one place.

Each one carries a message that names where the trouble is (file, line, setting) and says the
fix; the CLI prints it as it is and exits non-zero. Anything else is a bug.
"""

from __future__ import annotations

from pathlib import Path


class FrameworkError(ValueError):
    """The framework file is unusable; the message names the file, the entry and the fix."""


class FileProblem(Exception):
    """A whole input file cannot be used. The build stops and the previous warehouse stays."""

    def __init__(self, file: Path | str, what: str, fix: str):
        self.file, self.what, self.fix = str(file), what, fix
        super().__init__(f"{file}: {what}. Fix: {fix}")


class BuildFailed(Exception):
    """The build stopped; the previous warehouse is untouched. The message says why."""


class ReadinessInputError(ValueError):
    """An input table holds something the framework cannot place; the message says the fix."""


class SourceError(RuntimeError):
    """A source (a column mapping or a Zendesk pull) cannot be turned into contract files.

    The message names where the trouble is (mapping file and line, source file, row and column,
    or the HTTP status of an API call) and says how to fix it.
    """


class FlagsError(ValueError):
    """A flags request cannot be answered; the message says what to do instead."""
