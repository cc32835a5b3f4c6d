"""The findings registry: what a notebook publishes, recorded in one place.

A notebook never writes output files itself. It hands each finding to a
:class:`Registry`: a figure, a table (small cells suppressed here), a key number with a
sentence template, a pseudonymised quotation, a methods paragraph or a note. The
registry writes the files below the workspace root and, on :meth:`Registry.save`, an
ordered JSON record ``reports/registry/<run>.json`` that the ``90_findings`` notebook
assembles into the publication draft.

::

    figures/<run>/<id>.png, .svg        reg.figure(...)
    reports/tables/<run>/<id>.csv       reg.table(...)
    reports/registry/<run>.json         reg.save()

Every file is written through a temporary file and :func:`os.replace`, so a failing
run never leaves a half-written file. Captions and texts are stored in Finnish and
English; the report chooses the language.

**Scratch runs.** A run whose name starts with ``lab-`` (the default ``run_name`` of every
notebook opened in JupyterLab, e.g. ``lab-10_survey``) is an interactive exploration: it
writes everything below ``scratch/<run>/`` and never touches ``figures/`` or
``reports/``, which belong to the batch (``jakala run`` passes the batch's run names).
In an interactive kernel a scratch run also *shows* each figure and published table
inline, under its caption; the batch's executed notebooks keep no image previews (the
published files are the one copy, and the leak gate can read every text output of an
executed notebook but not the pixels of an embedded image).

::

    scratch/<run>/figures/<id>.png, .svg
    scratch/<run>/tables/<id>.csv
    scratch/<run>/registry.json

Examples
--------
>>> import matplotlib; matplotlib.use("Agg")
>>> import tempfile, pandas as pd
>>> from analysis.findings import Registry, style
>>> reg = Registry.for_run("demo", root=tempfile.mkdtemp())
>>> fig, ax = style.new_figure("half")
>>> _ = ax.bar(["a", "b"], [3, 4])
>>> paths = reg.figure("bars", fig, caption={"fi": "Pylväät", "en": "Bars"})
>>> reg.number("n_total", 118, template={"fi": "Vastaajia oli {value}.", "en": "There were {value} respondents."})
'Vastaajia oli 118.'
>>> reg.save().name
'demo.json'
"""

from analysis.findings.registry._common import (
    KINDS,
    SCHEMA_VERSION,
    SCRATCH_DIR,
    SCRATCH_PREFIX,
    is_scratch_run,
    scratch_dir,
)
from analysis.findings.registry.read import (
    RunFindings,
    UnrecordedRunWarning,
    load_registries,
    read_provenance,
    read_published_table,
    read_registry,
)
from analysis.findings.registry.write import (
    COUNT_COLUMN_PATTERN,
    FLOAT_FORMAT,
    ID_PATTERN,
    PREVIEW_DPI,
    PREVIEW_ROWS,
    PSEUDONYM_PATTERN,
    QUOTE_ROLES,
    Registry,
    detect_count_columns,
    format_value,
    in_interactive_kernel,
)

__all__ = [
    "COUNT_COLUMN_PATTERN",
    "FLOAT_FORMAT",
    "ID_PATTERN",
    "KINDS",
    "PREVIEW_DPI",
    "PREVIEW_ROWS",
    "PSEUDONYM_PATTERN",
    "QUOTE_ROLES",
    "Registry",
    "RunFindings",
    "SCHEMA_VERSION",
    "SCRATCH_DIR",
    "SCRATCH_PREFIX",
    "UnrecordedRunWarning",
    "detect_count_columns",
    "format_value",
    "in_interactive_kernel",
    "is_scratch_run",
    "load_registries",
    "read_provenance",
    "read_published_table",
    "read_registry",
    "scratch_dir",
]
