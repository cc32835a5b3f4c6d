"""``config/report.yaml``: the one source of the report's titles, texts and layout rules.

The file is read with :func:`analysis.config.load_config` and validated against
``analysis/schemas/report.schema.yaml``. Every key is required and the code holds no
fallback values: what the file says is what the draft shows, and a missing or misspelt
key is a :class:`~analysis.errors.ConfigError` naming the file, the line and the key. A
workspace without its own ``config/report.yaml`` uses the one the package ships
(:meth:`analysis.workspace.Workspace.config_path`).

Examples
--------
>>> config = load_report_config()
>>> config["language"], config["labels"]["figure"]["en"]
('fi', 'Figure')
>>> del config["body"]["max_rows"]
>>> check_report_config(config, file="config/report.yaml")
Traceback (most recent call last):
...
analysis.errors.ConfigError: config/report.yaml, body: missing required key 'max_rows'. Add 'max_rows:' there.
"""

from __future__ import annotations

import copy
from pathlib import Path

from analysis.config import load_config, validate
from analysis.workspace import Workspace

#: The schema of ``config/report.yaml`` (``analysis/schemas/report.schema.yaml``).
SCHEMA = "report"


def load_report_config(path: str | Path | None = None) -> dict:
    """Read and validate ``config/report.yaml``.

    Parameters
    ----------
    path : str or Path, optional
        The file; default ``config/report.yaml`` of the discovered workspace (the shipped
        one when the workspace has none).

    Returns
    -------
    dict
        The configuration, every key present.

    Raises
    ------
    ConfigError
        When the file is missing, is not YAML or does not match the schema: names the
        file, the line and the key.
    """
    if path is None:
        path = Workspace.discover().config_path("report.yaml")
    return load_config(path, SCHEMA)


def check_report_config(config: object, file: str | Path = "report_config") -> dict:
    """Validate a report configuration given as a mapping (e.g. read and edited in a notebook).

    Parameters
    ----------
    config : dict
        The contents of a ``config/report.yaml``.
    file : str or Path
        Where it came from, for the messages.

    Returns
    -------
    dict
        A copy of ``config`` (the caller's mapping is never changed).

    Raises
    ------
    ConfigError
        Naming the key that is missing or wrong.
    """
    validate(config, SCHEMA, file=file)
    return copy.deepcopy(config)


def resolve_report_config(workspace: Workspace, report_config: str | Path | dict | None) -> dict:
    """The configuration :func:`~analysis.findings.report.assemble.build_report` uses.

    ``None`` reads ``config/report.yaml`` of ``workspace``, a path is resolved as
    :meth:`~analysis.workspace.Workspace.resolve_config` does, a mapping is validated as it is.
    """
    if isinstance(report_config, dict):
        return check_report_config(report_config)
    if report_config is None:
        return load_report_config(workspace.config_path("report.yaml"))
    return load_report_config(workspace.resolve_config(report_config))
