"""Error types of the workspace: one per boundary, each naming file, location and fix.

Every error a user can meet is a :class:`JakalaError`. The command line turns it into
one readable line (no traceback unless ``--debug``) and a non-zero exit code.

Examples
--------
>>> err = DataError("Likert value 7 is out of range 1-5", file="kysely.xlsx",
...                 location="row 12, column 'Q3'", hint="Correct the value or mark it missing.")
>>> print(err)
kysely.xlsx, row 12, column 'Q3': Likert value 7 is out of range 1-5. Correct the value or mark it missing.
"""

from __future__ import annotations

from pathlib import Path


class JakalaError(Exception):
    """Base class: a message plus the file, the location in it and what to do.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file : str or Path, optional
        The file the problem is in.
    location : str, optional
        Where in the file: ``"row 12"``, ``"line 40"``, ``"key 'scales[0].items'"``.
    hint : str, optional
        What the user should do about it.
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        location: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message.rstrip(".")
        self.file = str(file) if file is not None else None
        self.location = location
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ", ".join(part for part in (self.file, self.location) if part)
        text = f"{where}: {self.message}." if where else f"{self.message}."
        if self.hint:
            text += f" {self.hint}"
        return text


class DataError(JakalaError):
    """Input data that cannot be read or does not match its description."""

    exit_code = 3


class ConfigError(JakalaError):
    """A YAML configuration file (manifest, instrument, codebook, pipeline) is invalid."""

    exit_code = 4


class PipelineError(JakalaError):
    """The batch could not run or a run failed."""

    exit_code = 5


class LeakError(JakalaError):
    """The leak gate found an identifier in an output."""

    exit_code = 6
