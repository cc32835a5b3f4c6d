"""Checks at the boundary of the public functions, with the project's own errors."""

from __future__ import annotations

from typing import Any, Iterable

import pandas as pd

from analysis.errors import DataError


def require_columns(frame: Any, columns: Iterable[str], what: str, *, hint: str | None = None) -> None:
    """Raise a :class:`DataError` unless ``frame`` is a DataFrame holding ``columns``.

    Parameters
    ----------
    frame : object
        The value passed in.
    columns : iterable of str
        Columns the function needs.
    what : str
        What the table is called in the message (``"tokens"``, ``"the respondents table"``).
    hint : str, optional
        What to pass instead; default: the columns that are present.

    Examples
    --------
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a"], "t")
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b"], "t")
    Traceback (most recent call last):
    ...
    analysis.errors.DataError: columns ['a']: t lacks column(s) b. Present columns: a.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{what} lacks column(s) {', '.join(missing)}", location=f"columns {list(frame.columns)}",
                        hint=hint or f"Present columns: {', '.join(map(str, frame.columns))}.")  # fmt: skip
