"""The writer of the findings registry: :class:`Registry`, through which a notebook publishes.

See :mod:`analysis.findings.registry` for the files it writes and the scratch runs.
"""

from __future__ import annotations

import io
import json
import math
import numbers
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from analysis import background
from analysis.errors import DataError, PipelineError
from analysis.findings import style
from analysis.findings._files import atomic_write_bytes, atomic_write_text, sha256_bytes
from analysis.findings.registry._common import KINDS, SCHEMA_VERSION, SCRATCH_DIR, SCRATCH_PREFIX, is_scratch_run
from analysis.workspace import Workspace


#: Float format of published CSV tables (deterministic, no spurious digits).
FLOAT_FORMAT = "%.10g"

#: Ids are used as file names: letters, digits, ``_ . -``.
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")

#: A pseudonym is a label followed by a number: ``"ST 1"``, ``"Nuori 3"``, ``"R001"``.
PSEUDONYM_PATTERN = re.compile(r"^[A-ZÅÄÖ][A-Za-zÅÄÖåäö]*\s?\d+$")

#: Roles a quotation's speaker can have (see docs/architecture.md).
QUOTE_ROLES = (
    "facilitator",
    "social_worker",
    "social_counsellor",
    "young_person",
    "expert_by_experience",
    "partner",
    "researcher",
    "other",
)

#: Resolution of the inline previews of a scratch run (the published PNG has 300 dpi).
PREVIEW_DPI = 110

#: Rows of a published table shown inline.
PREVIEW_ROWS = 25

_PREVIEW_LABEL = {"figure": {"fi": "Kuvio", "en": "Figure"}, "table": {"fi": "Taulukko", "en": "Table"}}

def in_interactive_kernel() -> bool:
    """Whether the code runs in an IPython kernel (JupyterLab, nbclient, papermill)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


#: Column names treated as counts when ``table(count_columns=None)``.
COUNT_COLUMN_PATTERN = re.compile(r"^(n|count|frequency|freq)$|^n_|_n$|^count_|_count$")


def _where(run: str, kind: str, item_id: str | None) -> str:
    return f"run '{run}', {kind} '{item_id}'" if item_id else f"run '{run}', {kind}"


def _bilingual(value: Any, what: str, *, run: str, kind: str, item_id: str | None, required: bool = True) -> dict | None:
    """Check a ``{"fi": ..., "en": ...}`` text and return a clean copy."""
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise DataError(
            f"{what} must be a dict with Finnish and English text, got {type(value).__name__}",
            location=_where(run, kind, item_id),
            hint=f'Write {what}={{"fi": "...", "en": "..."}}.',
        )
    unknown = sorted(set(value) - set(style.LANGUAGES))
    if unknown:
        raise DataError(
            f"{what} has unknown language key(s) {unknown}",
            location=_where(run, kind, item_id),
            hint="Use the keys 'fi' and 'en'.",
        )
    clean = {}
    for language in style.LANGUAGES:
        text = value.get(language)
        if not isinstance(text, str) or not text.strip():
            raise DataError(
                f"{what} has no {'Finnish' if language == 'fi' else 'English'} text ('{language}')",
                location=_where(run, kind, item_id),
                hint=f"Add the '{language}' text: the report is published in both languages.",
            )
        clean[language] = text.strip()
    return clean


def _plain(value: Any) -> Any:
    """Turn numpy/pandas scalars into JSON-friendly Python values."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def format_value(value: Any, language: str, fmt: str | None = None) -> str:
    """Format a key number for a sentence in ``language``.

    Parameters
    ----------
    value : number or str
    language : {"fi", "en"}
    fmt : str, optional
        A Python format spec (``".1f"``, ``",d"``, ``".0%"``); default: formatted from
        the value: whole numbers without decimals, others with at most two decimals
        and no trailing zeros (``69.2`` → ``69,2``, ``5.0`` → ``5``). Finnish output uses a decimal comma, a
        non-breaking space as thousands separator and before ``%``.

    Examples
    --------
    >>> format_value(0.375, "fi", ".1%")
    '37,5\\xa0%'
    >>> format_value(1234, "en", ",d")
    '1,234'
    >>> format_value(round(100 * 9 / 13, 1), "fi")
    '69,2'
    >>> format_value(47.0, "fi")
    '47'
    """
    value = _plain(value)
    if value is None:
        return "–"
    if isinstance(value, str) or not isinstance(value, numbers.Real):
        return str(value)
    if fmt is None:
        if isinstance(value, numbers.Integral) or float(value).is_integer():
            return style.format_number(int(round(float(value))), language)
        # From the value: at most two decimals, no trailing zeros (69.2 -> "69,2", not "69,20").
        decimals = len(f"{round(float(value), 2):.2f}".rstrip("0").split(".")[1])
        return style.format_number(float(value), language, decimals)
    text = format(value, fmt)
    if language == "fi":
        text = text.replace(",", "\u00a0").replace(".", ",")
        if text.endswith("%"):
            text = text[:-1] + "\u00a0%"
    return text


def _csv_bytes(df: pd.DataFrame) -> bytes:
    """Write a table as deterministic UTF-8 CSV (``\\n`` line ends, fixed float format)."""
    out = df.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(
                lambda v: (FLOAT_FORMAT % v) if isinstance(v, float) and not math.isnan(v) else v
            )
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, lineterminator="\n", float_format=FLOAT_FORMAT)
    return buffer.getvalue().encode("utf-8")


def _withhold_small_statistics(table: pd.DataFrame, k: int) -> pd.DataFrame:
    """No statistic of fewer than k persons: results of few pairs/group members withheld, n<k in text."""
    from analysis.privacy.suppress import N_COLUMNS, mask_small_n_text, suppress_small_statistics

    if "groups" in table.columns or any(c in table.columns for c in N_COLUMNS[:3]):
        table = suppress_small_statistics(table, k, n_columns=[c for c in N_COLUMNS[:3] if c in table.columns])
        table = table.drop(columns="withheld")
    for column in table.columns:
        if table[column].dtype == object:
            table[column] = table[column].map(lambda v: mask_small_n_text(v, k) if isinstance(v, str) else v)
    return table


def _blank_hidden_shares(table: pd.DataFrame, shares: list[dict]) -> bool:
    """Blank shares whose numerator or denominator is hidden (in place); True if any changed."""
    changed = False
    for spec in shares:
        column = spec["share"]
        for position in range(len(table)):
            hidden = any(isinstance(table.iloc[position][c], str) for c in (spec["numerator"], spec["denominator"]))
            value = table.iloc[position][column]
            if hidden and not (value is None or (isinstance(value, float) and math.isnan(value))):
                series = table[column].astype(float) if pd.api.types.is_numeric_dtype(table[column]) else table[column].astype(object)
                series.iloc[position] = math.nan
                table[column] = series
                changed = True
    return changed


def _public_audit(record: dict | None) -> dict | None:
    """The audit record as stored in the registry JSON: without the true values."""
    if record is None:
        return None
    # a hidden cell's flag says "below k" only for cells published as "x" that are small
    return {"cells": [[*cell[:4], bool(cell[5]) and cell[1] == "x"] for cell in record["cells"]],
            "relations": record["relations"],
            "equations": record["equations"]}


def _drawn_in(draw: Any, languages: list[str]) -> dict[str, tuple[dict[str, bytes], list[str]]]:
    """``draw(lang)`` rendered in each of ``languages``: ``{lang: (files, problems)}``.

    What :meth:`Registry.figure` writes for its other language, computed in the kernel or
    in a forked copy of it (:mod:`analysis.background`); writes no file.
    """
    import matplotlib.pyplot as plt

    rendered = {}
    for lang in languages:
        other = draw(lang)
        try:
            style.finnish_numbers(other, lang)
            rendered[lang] = style.render_and_check(other, lang)
        finally:
            plt.close(other)
    return rendered


def detect_count_columns(df: pd.DataFrame) -> list[str]:
    """Return the columns that look like counts of people or units.

    A count column has a count-like name (``n``, ``n_*``, ``*_n``, ``count``,
    ``*_count``, ``frequency``) and whole-number values.

    Examples
    --------
    >>> detect_count_columns(pd.DataFrame({"group": ["a"], "n": [4], "n_pairs": [3], "mean": [2.5]}))
    ['n', 'n_pairs']
    """
    found = []
    for column in df.columns:
        if not COUNT_COLUMN_PATTERN.search(str(column)):
            continue
        values = pd.to_numeric(df[column], errors="coerce").dropna()
        if pd.api.types.is_numeric_dtype(df[column]) and bool((values == values.round()).all()):
            found.append(column)
    return found


@dataclass
class Registry:
    """Findings of one run, written below the workspace root.

    Build it with :meth:`Registry.for_run`. Methods :meth:`figure`, :meth:`table`,
    :meth:`number`, :meth:`quote`, :meth:`methods` and :meth:`note` record findings in
    the order they are called; registering the same kind and id again (re-running a
    cell) replaces the earlier item in place. :meth:`save` writes the record.

    Parameters
    ----------
    run : str
        The run name (file-name safe), e.g. ``"survey"``.
    root : Path
        Workspace root (``figures/`` and ``reports/`` below it).
    language : {"fi", "en"}
        Language of the run's own display (captions are stored in both).
    min_cell_size : int
        ``k`` of the small-cell rule: counts 1..k-1 are suppressed in tables.
    preview : bool
        Show each figure and published table inline (set by :meth:`for_run` for scratch
        runs in an interactive kernel).
    """

    run: str
    root: Path
    language: str = "fi"
    preview: bool = field(default=False, kw_only=True)
    min_cell_size: int = 5
    items: list[dict] = field(default_factory=list)
    #: audit records of this run's tables (with the true values, never written) and the
    #: published tables, for the disclosure audit of later tables and numbers
    _audit: dict[str, dict] = field(default_factory=dict, repr=False)
    _published: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    #: figures being drawn in a forked process (:mod:`analysis.background`): (record, job)
    _pending: list[tuple[dict, Any]] = field(default_factory=list, repr=False)

    # ------------------------------------------------------------------ building
    @classmethod
    def for_run(
        cls,
        run_name: str,
        root: str | Path | None = None,
        language: str = "fi",
        min_cell_size: int = 5,
        preview: bool | None = None,
    ) -> "Registry":
        """Start an empty registry for ``run_name`` below the workspace ``root``.

        Parameters
        ----------
        run_name : str
            Letters, digits, ``_ . -``; names the output folders and the JSON file.
        root : str or Path, optional
            Workspace root; default from :meth:`Workspace.discover` (``$JAKALA_ROOT``
            or the project folder).
        language : {"fi", "en"}
        min_cell_size : int
            Small-cell threshold k (at least 2).
        preview : bool, optional
            Show figures and tables inline. Default: for a scratch run (``lab-…``) in an
            interactive kernel, never for a batch run.

        Returns
        -------
        Registry

        Warns
        -----
        UserWarning
            When a batch run name is used from a JupyterLab session: that overwrites
            the batch's published outputs (``jakala report`` then refuses them).
        """
        if not isinstance(run_name, str) or not ID_PATTERN.match(run_name):
            raise DataError(
                f"invalid run name {run_name!r}",
                location="Registry.for_run",
                hint="Use letters, digits, '_', '.' or '-' (e.g. 'survey' or 'survey_kemi').",
            )
        if language not in style.LANGUAGES:
            raise DataError(f"unknown language {language!r}", location="Registry.for_run", hint="Use 'fi' or 'en'.")
        if isinstance(min_cell_size, bool) or not isinstance(min_cell_size, numbers.Integral) or min_cell_size < 2:
            raise DataError(
                f"min_cell_size must be a whole number of at least 2, got {min_cell_size!r}",
                location="Registry.for_run",
                hint="Use the project's rule (default 5).",
            )
        workspace = Workspace.discover(root=root)
        scratch = is_scratch_run(run_name)
        if not scratch and os.environ.get("JPY_SESSION_NAME"):
            warnings.warn(
                f"run_name '{run_name}' is a batch run: this interactive session overwrites its published "
                f"figures and tables, and `jakala report` refuses them until `jakala run` re-runs it. "
                f"Use run_name = '{SCRATCH_PREFIX}…' to explore.",
                UserWarning,
                stacklevel=2,
            )
        if preview is None:
            preview = scratch and in_interactive_kernel()
        return cls(run=run_name, root=workspace.root, language=language, min_cell_size=int(min_cell_size),
                   preview=bool(preview))  # fmt: skip

    @property
    def scratch(self) -> bool:
        """Whether this is a scratch run (``lab-…``), written below ``scratch/<run>/``."""
        return is_scratch_run(self.run)

    @property
    def path(self) -> Path:
        """The registry file ``reports/registry/<run>.json`` (scratch: ``scratch/<run>/registry.json``)."""
        if self.scratch:
            return self.root / SCRATCH_DIR / self.run / "registry.json"
        return self.root / "reports" / "registry" / f"{self.run}.json"

    @property
    def figure_dir(self) -> Path:
        if self.scratch:
            return self.root / SCRATCH_DIR / self.run / "figures"
        return self.root / "figures" / self.run

    @property
    def table_dir(self) -> Path:
        if self.scratch:
            return self.root / SCRATCH_DIR / self.run / "tables"
        return self.root / "reports" / "tables" / self.run

    def _show(self, kind: str, item_id: str, caption: dict, files: dict[str, str], content: Any) -> None:
        """Display a finding inline: caption, where it was saved, then the image or table."""
        from IPython.display import Markdown, display

        label = _PREVIEW_LABEL[kind][self.language]
        where = ", ".join(f"`{rel}`" for rel in files.values())
        display(Markdown(f"**{label} {item_id}.** {caption[self.language]}  \n<small>{where}</small>"))
        display(content)

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        kinds = {k: sum(1 for i in self.items if i["kind"] == k) for k in KINDS}
        summary = ", ".join(f"{v} {k}" for k, v in kinds.items() if v)
        return f"Registry(run={self.run!r}, root={str(self.root)!r}, {summary or 'empty'})"

    def _rel(self, path: Path) -> str:
        return path.resolve().relative_to(self.root).as_posix()

    def _check_id(self, kind: str, item_id: Any) -> str:
        if not isinstance(item_id, str) or not ID_PATTERN.match(item_id):
            raise DataError(
                f"invalid {kind} id {item_id!r}",
                location=_where(self.run, kind, None),
                hint="Use letters, digits, '_', '.' or '-', e.g. 'scale_change'.",
            )
        for item in self.items:
            if item["id"] == item_id and item["kind"] != kind:
                raise DataError(
                    f"id '{item_id}' is already used by a {item['kind']}",
                    location=_where(self.run, kind, item_id),
                    hint="Give every finding of a run its own id.",
                )
        return item_id

    def _add(self, item: dict) -> dict:
        for i, existing in enumerate(self.items):
            if existing["kind"] == item["kind"] and existing["id"] == item["id"]:
                self.items[i] = item
                return item
        self.items.append(item)
        return item

    # ------------------------------------------------------------------ findings
    def figure(
        self,
        id: str,
        fig: Figure,
        caption: dict,
        source: dict | None = None,
        width: str = "full",
        data: pd.DataFrame | str | None = None,
        count_columns: list[str] | None = None,
        cell_ids: dict[str, str] | None = None,
        additive: list[dict] | None = None,
        sums: list[dict] | None = None,
        no_counts: str | None = None,
    ) -> dict[str, Path]:
        """Publish a figure: ``figures/<run>/<id>.png`` (300 dpi) and ``.svg``.

        The figure is drawn once per language at 300 dpi
        (:func:`analysis.findings.style.render_and_check`: the PNG, the SVG and the layout
        check of :func:`~analysis.findings.style.figure_problems` from that one draw) and
        then closed. The run's language is drawn and written here; the other language is
        drawn in a forked copy of the kernel at the same time when a core is idle
        (:mod:`analysis.background`: up to ``JAKALA_RENDER_PROCESSES`` copies at
        once; ``0`` draws it here), and its files are written when :meth:`wait` or
        :meth:`save` collects them: the same bytes either way.

        Parameters
        ----------
        id : str
            Unique within the run, file-name safe.
        fig : matplotlib Figure, or a function ``language -> Figure``
            With a function the figure is drawn in both languages: ``<id>.png`` in the
            run's language and ``<id>.<other>.png`` (``files["png_<other>"]``), so the
            English report shows a figure drawn in English.
        caption : dict
            ``{"fi": ..., "en": ...}``, without the "Kuvio N." prefix.
        source : dict, optional
            Source note ``{"fi": ..., "en": ...}`` printed under the figure.
        width : {"full", "half"}
            Print width in the Word report (16 cm or 8 cm).
        data : DataFrame or str
            What the figure draws, for the disclosure audit: a reader can read counts
            (and shares with their n) off a figure as off a table. A DataFrame is
            audited with the run's tables (:meth:`_audit_figure_data`): no drawn count
            may be below the small-cell limit, and no cell a table hides may be drawn.
            A string names a table this run has published whose values, as published
            (with its ``"<k"`` and ``"x"`` cells not drawn), are what the figure shows.
        count_columns, cell_ids, additive, sums
            The structure of ``data``, as for :meth:`table`.
        no_counts : str
            Instead of ``data``: why the figure draws no counts of people or units
            (e.g. "test statistics of groups of at least k"); recorded in the registry.
            With neither, the figure is recorded as not audited, and the batch lists it.

        Returns
        -------
        dict
            ``{"png": Path, "svg": Path}`` (the run's language).
        """
        item_id = self._check_id("figure", id)
        data_record = self._figure_data(item_id, data, count_columns, cell_ids, additive, sums, no_counts)
        draw = fig if callable(fig) and not isinstance(fig, Figure) else None
        if draw is not None:
            fig = draw(self.language)
        if not isinstance(fig, Figure):
            raise DataError(
                f"expected a matplotlib Figure, got {type(fig).__name__}",
                location=_where(self.run, "figure", item_id),
                hint="Pass the Figure returned by the plotting function (or ax.figure).",
            )
        if width not in style.WIDTH_CM:
            raise DataError(
                f"width must be 'full' or 'half', got {width!r}", location=_where(self.run, "figure", item_id)
            )
        caption = _bilingual(caption, "caption", run=self.run, kind="figure", item_id=item_id)
        source = _bilingual(source, "source", run=self.run, kind="figure", item_id=item_id, required=False)
        item = {
            "kind": "figure",
            "id": item_id,
            "caption": caption,
            "source": source,
            "width": width,
            "files": {},
            "sha256": {},
            "layout_problems": {},
            **data_record,
        }
        others = [lang for lang in style.LANGUAGES if draw is not None and lang != self.language]
        paths = {fmt: self.figure_dir / f"{item_id}.{fmt}" for fmt in ("png", "svg")}
        self._collect(item_id)  # a figure registered again: the earlier drawing is written first
        job = None
        preview = None
        try:
            if others and background.may_start(sum(pending.running() for _, pending in self._pending)):
                # the other language is drawn in a copy of this process, on an idle core, while this
                # one renders its own
                job = background.start(lambda: _drawn_in(draw, others), _where(self.run, "figure", item_id))
                self._pending.append((item, job))
            style.finnish_numbers(fig, self.language)
            self._write_figure(item, {self.language: style.render_and_check(fig, self.language)})
            if job is None and others:
                self._write_figure(item, _drawn_in(draw, others))
            if self.preview:
                buffer = io.BytesIO()
                fig.savefig(buffer, format="png", dpi=PREVIEW_DPI, facecolor="white")
                preview = buffer.getvalue()
        except BaseException:
            if job is not None:
                job.abandon()
                self._pending[:] = [pending for pending in self._pending if pending[1] is not job]
            raise
        finally:
            import matplotlib.pyplot as plt

            plt.close(fig)
        self._add(item)
        if preview is not None:
            from IPython.display import Image

            self._show("figure", item_id, caption, {"png": self._rel(paths["png"])}, Image(data=preview, format="png"))
        return paths

    def _write_figure(self, item: dict, rendered: dict[str, tuple[dict[str, bytes], list[str]]]) -> None:
        """Write the rendered files of a figure record (run's language first) and fill in the record."""
        for lang, (files, found) in rendered.items():
            suffix = "" if lang == self.language else f".{lang}"
            key = "" if lang == self.language else f"_{lang}"
            for fmt, data in files.items():
                path = atomic_write_bytes(self.figure_dir / f"{item['id']}{suffix}.{fmt}", data)
                item["files"][f"{fmt}{key}"] = self._rel(path)
                item["sha256"][f"{fmt}{key}"] = sha256_bytes(data)
            if found:
                item["layout_problems"][lang] = found

    def _collect(self, item_id: str | None = None) -> None:
        """Wait for the figures drawn in the background (all, or the one ``item_id``) and write them.

        A drawing that failed raises here (after the other pending ones were ended: a
        failed run publishes none of them).
        """
        keep = []
        for item, job in self._pending:
            if item_id is not None and item["id"] != item_id:
                keep.append((item, job))
                continue
            if job.done:
                continue
            try:
                rendered = job.result()
            except BaseException:
                for _, other in self._pending:
                    other.abandon()
                self._pending.clear()
                raise
            self._write_figure(item, rendered)
        self._pending[:] = keep

    def __del__(self) -> None:
        # a registry dropped unsaved (a cell re-run in Lab makes a new one): its drawings are ended,
        # and the memory holding their results is freed
        try:
            for _, job in self._pending:
                job.abandon()
        except Exception:  # noqa: BLE001 - never raise from a finaliser (e.g. at interpreter exit)
            pass

    def wait(self) -> "Registry":
        """Write every figure still being drawn in the background; :meth:`save` calls it.

        Returns
        -------
        Registry
            ``self``.
        """
        self._collect()
        return self

    def _figure_data(self, item_id: str, data: pd.DataFrame | str | None, count_columns: list[str] | None,
                     cell_ids: dict[str, str] | None, additive: list[dict] | None, sums: list[dict] | None,
                     no_counts: str | None) -> dict:
        """Check and audit what a figure draws; return the registry fields that record it.

        A drawn count below the small-cell limit, or a drawn cell that a table of the run
        hides (or that the run's numbers and tables together pin down), is an error: a
        figure cannot hide a cell afterwards, so the figure must draw the published table
        (``data="<table id>"``) or merge the small groups.
        """
        where = _where(self.run, "figure", item_id)
        if data is not None and no_counts is not None:
            raise DataError("give data= or no_counts=, not both", location=where)
        if data is None and no_counts is None:
            # recorded: the batch lists the figures whose drawn counts the audit has not seen
            return {"data": {"audited": False}, "audit": None}
        if no_counts is not None:
            if not isinstance(no_counts, str) or not no_counts.strip():
                raise DataError("no_counts must say why the figure draws no counts", location=where)
            return {"data": {"no_counts": no_counts.strip()}, "audit": None}
        if isinstance(data, str):
            if data not in self._published:
                raise DataError(f"data names table {data!r}, which this run has not published", location=where,
                                hint="Publish the table first and draw the figure from the table reg.table returns.")
            return {"data": {"table": data}, "audit": None}
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"data must be a DataFrame or a table id, got {type(data).__name__}", location=where)
        from analysis.privacy.audit import problem_from_structures, table_structure

        table = data.reset_index() if any(n is not None for n in data.index.names) else data.reset_index(drop=True)
        table.columns = [str(c) for c in table.columns]
        counts = detect_count_columns(table) if count_columns is None else list(count_columns)
        missing = [c for c in counts if c not in table.columns]
        if missing:
            raise DataError(f"count_columns {missing} are not columns of the figure's data", location=where,
                            hint=f"The data has the columns {list(table.columns)}.")
        k = self.min_cell_size
        for column in counts:
            values = pd.to_numeric(table[column], errors="coerce")
            small = [i for i, v in enumerate(values.tolist()) if v == v and 0 < v < k]
            if small:
                raise DataError(
                    f"the figure draws {len(small)} count(s) below the small-cell limit {k} in column {column!r} "
                    f"(first in row {small[0] + 1})", location=where,
                    hint="Draw the figure from the published table (reg.table returns it, small cells hidden) "
                         "or merge the small groups.")
        key = f"figure:{item_id}"
        record = table_structure(f"{self.run}/{key}", table, table, counts, additive=additive, cell_ids=cell_ids,
                                 k=k, sums=sums)
        structures = [(f"{self.run}/{i}", r) for i, r in self._audit.items() if i != key]
        result = problem_from_structures([*structures, (f"{self.run}/{key}", record)], k).audit()
        if not result.ok:
            listed = "; ".join(str(e) for e in result.exposed[:5])
            raise PipelineError(
                f"disclosure audit: the figure lets a reader recover {len(result.exposed)} suppressed cell(s): "
                f"{listed}", location=where,
                hint="Draw the figure from the published table (data='<table id>') so hidden cells are not drawn.")
        self._audit[key] = record
        return {"data": {"audited": True, "count_columns": counts}, "audit": _public_audit(record)}

    def table(
        self,
        id: str,
        df: pd.DataFrame,
        caption: dict,
        notes: dict | None = None,
        count_columns: list[str] | None = None,
        derived_columns: list[str] | dict[str, str | list[str]] | None = None,
        suppress: bool = True,
        column_labels: dict[str, dict] | None = None,
        totals_by: list[str] | None = None,
        secondary: bool | str = "columns",
        additive: list[dict] | None = None,
        cell_ids: dict[str, str] | None = None,
        sums: list[dict] | None = None,
    ) -> pd.DataFrame:
        """Publish a table as ``reports/tables/<run>/<id>.csv`` with small cells suppressed.

        Suppression is done by
        :func:`analysis.privacy.suppress.suppress_small_cells` with
        ``k=min_cell_size``: counts 1..k-1 become ``"<k"``, the derived columns of those
        rows are blanked, and secondary suppression protects the margins.

        Parameters
        ----------
        id : str
            Unique within the run.
        df : DataFrame
            Tidy table; a named index is turned into columns.
        caption : dict
            ``{"fi": ..., "en": ...}``, without the "Taulukko N." prefix.
        notes : dict, optional
            Table notes ``{"fi": ..., "en": ...}``.
        count_columns : list of str, optional
            Columns holding counts of people or units. ``None`` detects them by name
            (:func:`detect_count_columns`); ``[]`` declares that the table has none.
        derived_columns : list of str or dict, optional
            Columns computed from the counts (shares, means, tests) that are blanked
            with a suppressed count: a list is blanked when any count of its row is
            hidden; a dict ``{derived: count column(s)}`` only when its own source
            count is hidden (e.g. statistics computed from ``n_pairs``).
        suppress : bool
            ``False`` publishes the counts as they are; recorded in the registry and
            shown in the table notes. Use only for counts that are not about people.
        totals_by : list of str, optional
            Columns whose groups have published totals (e.g. ``["wave"]`` when the
            number of respondents per wave is given in the text). Within each group no
            suppressed count can be recovered from the group's total. Without it, the
            total of each count column is taken as public, the cautious default.
        secondary : bool or {"rows", "columns", "both"}
            Which totals are taken as public when ``totals_by`` is not given (see
            :func:`analysis.privacy.suppress.suppress_small_cells`); ``"both"`` for a
            crosstab whose row totals are public too.
        column_labels : dict, optional
            ``{column: {"fi": ..., "en": ...}}`` headers for the report; columns not
            listed use the labels of ``config/report.yaml`` or the column id.
        additive : list of dict, optional
            Additive relations within each row that are not visible in the numbers,
            ``[{"total": "n", "parts": ["n_valid", "n_dont_know", ...]}]``. Relations that
            hold in every row of the data and shares of two count columns are found by
            themselves (:func:`analysis.privacy.audit.infer_row_relations`).
        cell_ids : dict, optional
            ``{count column: id template}``, e.g. ``{"n_segments": "segments/{speaker_role}"}``:
            cells of different tables of the run with the same id are the same quantity
            (the audit then knows that a count hidden here and shown there is exposed).
        sums : list of dict, optional
            Sums over rows equal to a quantity of another table, e.g.
            ``[{"column": "n_segments", "by": ["code"], "total": "segments/code/{code}"}]``:
            the rows of each code add up to that code's count in the frequency table.

        After suppression the table goes through the disclosure audit
        (:mod:`analysis.privacy.audit`) together with the run's earlier tables and
        numbers: while a ``"<k"`` cell can be narrowed down by linear programming, the
        smallest shown count in a relation with it is hidden as well (``"x"``). When no
        cell of this table can help, a :class:`PipelineError` names table, row and cell.

        Returns
        -------
        DataFrame
            The published (suppressed) table, exactly as written to the CSV.
        """
        item_id = self._check_id("table", id)
        where = _where(self.run, "table", item_id)
        if not isinstance(df, pd.DataFrame):
            raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}", location=where)
        caption = _bilingual(caption, "caption", run=self.run, kind="table", item_id=item_id)
        notes = _bilingual(notes, "notes", run=self.run, kind="table", item_id=item_id, required=False)
        table = df.copy()
        if any(name is not None for name in table.index.names):
            table = table.reset_index()
        else:
            table = table.reset_index(drop=True)
        if isinstance(table.columns, pd.MultiIndex):
            raise DataError(
                "the table has multi-level column headers", location=where, hint="Publish a tidy (long) table instead."
            )
        table.columns = [str(c) for c in table.columns]
        if len(set(table.columns)) != len(table.columns):
            raise DataError("the table has duplicate column names", location=where, hint="Rename the columns.")
        if count_columns is None:
            count_columns = detect_count_columns(table)
        derived_spec = dict(derived_columns) if isinstance(derived_columns, dict) else list(derived_columns or [])
        derived_columns = list(derived_spec)
        for label, columns in (("count_columns", count_columns), ("derived_columns", derived_columns)):
            missing = [c for c in columns if c not in table.columns]
            if missing:
                raise DataError(
                    f"{label} {missing} are not columns of the table",
                    location=where,
                    hint=f"The table has the columns {list(table.columns)}.",
                )
        labels = {}
        for column, text in (column_labels or {}).items():
            if column not in table.columns:
                raise DataError(f"column_labels names an unknown column {column!r}", location=where)
            labels[column] = _bilingual(text, f"column_labels[{column!r}]", run=self.run, kind="table", item_id=item_id)
        suppressed = bool(suppress and count_columns)
        if suppress:
            table = _withhold_small_statistics(table, self.min_cell_size)
        raw_table = table.copy()
        if suppressed:
            try:
                from analysis.privacy.suppress import suppress_small_cells
            except ImportError as exc:  # never publish unsuppressed counts silently
                raise PipelineError(
                    f"small-cell suppression is not available ({exc})",
                    location=where,
                    hint="Install the analysis.privacy package; tables with counts cannot be published without it.",
                ) from None
            options = {"k": self.min_cell_size, "count_columns": list(count_columns),
                       "derived_columns": derived_spec}  # fmt: skip
            if totals_by:
                unknown = [c for c in totals_by if c not in table.columns]
                if unknown:
                    raise DataError(f"totals_by {unknown} are not columns of the table", location=where)
                parts = [suppress_small_cells(group, secondary="columns", **options)
                         for _, group in table.groupby(list(totals_by), sort=False, dropna=False)]  # fmt: skip
                records = [part.attrs.get("suppression") or {} for part in parts]
                table = pd.concat(parts).loc[table.index] if parts else table
                record = {key: [cell for r in records for cell in r.get(key, [])] for key in ("primary", "secondary")}
            else:
                table = suppress_small_cells(table, secondary=secondary, **options)
                record = table.attrs.get("suppression") or {}
            if not isinstance(table, pd.DataFrame):
                raise PipelineError("suppress_small_cells did not return a DataFrame", location=where)
            n_primary, n_secondary = len(record.get("primary", [])), len(record.get("secondary", []))
            try:
                from analysis.privacy.suppress import suppression_note

                suppression_text = suppression_note(self.min_cell_size)
            except ImportError:
                suppression_text = None
        else:
            n_primary = n_secondary = 0
            suppression_text = None
        audit_record = None
        n_audit, audit_cost = 0, 0.0
        if count_columns:  # tables published unsuppressed are audited too (no secondary cells then)
            table, audit_record, n_audit, audit_cost = self._audit_table(
                item_id, raw_table, table, list(count_columns), derived_spec, additive, cell_ids,
                allow_secondary=suppressed, totals_by=list(totals_by) if totals_by else None, secondary=secondary,
                sums=sums)
        self._published[item_id] = table
        data = _csv_bytes(table)
        path = atomic_write_bytes(self.table_dir / f"{item_id}.csv", data)
        self._add(
            {
                "kind": "table",
                "id": item_id,
                "caption": caption,
                "notes": notes,
                "columns": list(table.columns),
                "column_labels": labels,
                "n_rows": int(len(table)),
                "count_columns": list(count_columns),
                "derived_columns": derived_columns,
                "suppressed": suppressed,
                "min_cell_size": self.min_cell_size,
                "n_suppressed": {"primary": n_primary, "secondary": n_secondary + n_audit,
                                 "audit_secondary": n_audit, "audit_cost": audit_cost},
                "suppression_note": suppression_text,
                "audit": _public_audit(audit_record),
                "files": {"csv": self._rel(path)},
                "sha256": {"csv": sha256_bytes(data)},
            }
        )
        if self.preview:
            self._show("table", item_id, caption, {"csv": self._rel(path)}, table.head(PREVIEW_ROWS))
        return table

    def _audit_table(self, item_id: str, raw: pd.DataFrame, table: pd.DataFrame, counts: list[str],
                     derived_spec: Any, additive: list[dict] | None,
                     cell_ids: dict[str, str] | None,
                     allow_secondary: bool = True, totals_by: list[str] | None = None,
                     secondary: bool | str = "columns",
                     sums: list[dict] | None = None) -> tuple[pd.DataFrame, dict, int, float]:
        """Disclosure audit of a new table with the run's earlier ones; add secondary cells.

        The group totals declared published with ``totals_by`` are constraints too. The
        column totals that ``secondary="columns"`` only *assumes* public are not: the
        audit checks what is published (the margin heuristic still protects them).
        """
        public_totals = list(counts) if totals_by else []
        from analysis.privacy.audit import (INFINITE, joint_record, problem_from_structures, recheck_exposure,
                                            record_cells, table_structure)
        from analysis.privacy.suppress import SECONDARY_MARKER, suppress_small_cells

        where = _where(self.run, "table", item_id)
        table_key = f"{self.run}/{item_id}"
        self._audit.pop(item_id, None)  # registering the table again replaces it
        added, cost = 0, 0.0
        ever_remarked: set[str] = set()
        while True:
            record = table_structure(table_key, raw, table, counts, additive=additive, cell_ids=cell_ids,
                                     public_totals=public_totals, totals_by=totals_by, k=self.min_cell_size,
                                     sums=sums)
            if _blank_hidden_shares(table, record["shares"]):
                continue  # a share shown next to a hidden count gives it away: blanked, audit again
            structures = [(f"{self.run}/{i}", r) for i, r in self._audit.items()] + [(table_key, record)]
            new = record_cells(record)  # what this table adds; the rest was audited with the earlier tables
            # the totals the methods text prints from the data that this table's own cells add up to
            # (the batch audit adds them too); a later table showing some of the same cells again is
            # audited as before
            earlier = {c[0] for i, r in self._audit.items() for c in r.get("cells", [])}
            structures += [(name, r) for name, r in self._methods_records(structures)
                           if any((set(parts) & new) - earlier for _, parts in r["relations"])]
            joint = self._joint_context()  # a thesis subset run: audited with the main run it filters
            if joint is not None:
                with_main = joint_record(joint, item_id, record, self.min_cell_size)
                structures += joint.structures + [(f"{table_key} (with {joint.main})", with_main)]
                new |= record_cells(with_main)
            problem = problem_from_structures(structures, self.min_cell_size)
            # the components this table's cells enter (the others keep the intervals audited before)
            result = problem.audit(around=new)
            relaxed = True  # hiding cells has only widened bounds since `result` (its intervals are reached)
            if result.ok:
                break
            # cells of this table only: hiding a cell another table shows gains nothing
            candidates = ({cid: true for cid, shown, _, _, true, _ in record["cells"]
                           if isinstance(shown, float) and true is not None
                           and problem.cells[cid].shown_in <= {table_key}}
                          if allow_secondary else {})
            chosen: list[str] = []
            remarked: list[str] = []
            # one pass over the exposed cells: each gets the cheapest cell that frees it
            for exposure in result.exposed:
                ids = [cid for cid, c in problem.cells.items() if c.state == "primary"
                       and (exposure.table, exposure.row, exposure.column) in c.where]
                if not ids:
                    continue
                still, choice = recheck_exposure(problem, exposure, candidates, ids,
                                                 within=result.intervals if relaxed else None)
                if not still:
                    continue
                if choice is None:
                    # no shown cell can help: a "<k" of this table pinned by a sum of small cells
                    # ("<5" total of three "<5") is published as "x", which does not say it is small
                    own = {cid for cid, shown, *_ in record["cells"]
                           if cid in ids and isinstance(shown, str) and shown.startswith("<")}
                    if not own:  # another run's cell pinned by this table's small cells (main = Σ subsets)
                        linked = {c for coefficients, _, _ in problem.relations if set(ids) & set(coefficients)
                                  for c in coefficients}
                        own = {cid for cid, shown, *_ in record["cells"]
                               if cid in linked and isinstance(shown, str) and shown.startswith("<")}
                    for cid in sorted(own - ever_remarked) if allow_secondary else []:
                        cell = problem.cells[cid]
                        relaxed = relaxed and cell.low >= 0.0 and cell.high <= INFINITE
                        cell.low, cell.high = 0.0, float(10**7)
                        remarked.append(cid)
                        ever_remarked.add(cid)
                    continue
                cell = problem.cells[choice]
                relaxed = relaxed and cell.low >= 0.0 and cell.high <= INFINITE
                cell.state, cell.low, cell.high = "secondary", 0.0, float(10**7)
                chosen.append(choice)
                candidates_cost = candidates.pop(choice)
                cost += candidates_cost
            if not chosen and not remarked:
                listed = "; ".join(str(e) for e in result.exposed[:5])
                raise PipelineError(
                    f"disclosure audit: {len(result.exposed)} suppressed cell(s) can be recovered from what the "
                    f"run publishes: {listed}", location=where,
                    hint="Declare the table's structure (additive=, cell_ids=), publish fewer margins, or merge "
                         "small groups; see README 'Data protection'.")
            for cid, _, row, column, _, _ in record["cells"]:
                if cid in chosen or cid in remarked:
                    position = int(str(row).split()[0]) - 1
                    series = table[column].astype(object)
                    series.iloc[position] = SECONDARY_MARKER
                    table[column] = series
            added += len(chosen)
            table = suppress_small_cells(table, self.min_cell_size, count_columns=counts,
                                         derived_columns=derived_spec or None, secondary=False)
        self._audit[item_id] = record
        return table, record, added, cost

    def _methods_records(self, structures: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
        """Audit records of the methods text's numbers that are sums of this run's cells.

        The methods section prints totals of the data (``diary_entries``: every entry of
        ``data/processed``), each the sum of cells this run publishes
        (:func:`analysis.findings.methods.methods_numbers`, ``reveals``). The batch's audit
        adds them to the run's tables (:func:`analysis.privacy.audit.audit_registries`); the
        run's own audit does too, once the run's cells add up to the total (all its parts
        published), so its secondary suppression protects the small cells against it (at
        scale 10 the diary total gave away the sum of two "<5" cells of a quarter, and only
        the batch found it).
        """
        if "_methods_cache" not in self.__dict__:
            numbers = []
            if not self.scratch:
                from analysis.findings.methods import methods_numbers
                from analysis.provenance.reads import not_recorded

                try:
                    with not_recorded():  # what the methods text reads is the batch's business
                        numbers = [n for n in methods_numbers(self.root, self.min_cell_size)
                                   if n.get("reveals") and n["reveals"][0] == self.run]
                except Exception:  # noqa: BLE001 - no processed data (a test workspace): nothing printed
                    numbers = []
            self.__dict__["_methods_cache"] = numbers
        if not self.__dict__["_methods_cache"]:
            return []
        from analysis.privacy.audit import _methods_records

        records, _ = _methods_records(self.__dict__["_methods_cache"], {self.run: structures}, self.min_cell_size)
        true: dict[str, float] = {}
        for _, record in structures:
            for cell in record.get("cells", []):
                if len(cell) > 4 and isinstance(cell[4], (int, float)):
                    true.setdefault(str(cell[0]), float(cell[4]))
        # a total joins once the run has published all its parts (before, the sum of the parts
        # published so far is less than the total: not yet a relation of what is published)
        return [(name, record) for name, record in records.get(self.run, [])
                if all(abs(sum(true.get(part, float("nan")) for part in parts) - float(record["cells"][0][1])) < 1e-9
                       for _, parts in record["relations"])
                and isinstance(record["cells"][0][1], (int, float))]

    def _joint_context(self):
        """The main run (and earlier subset runs) this run filters, for the audit; None if none."""
        if "_joint_cache" not in self.__dict__:
            from analysis.privacy.audit import joint_context

            self.__dict__["_joint_cache"] = None if self.scratch else joint_context(self.root, self.run)
        return self.__dict__["_joint_cache"]

    def _number_equation(self, reveals: dict, value: Any, where: str) -> tuple[dict[str, float], float, float]:
        """The linear equation a number reveals about a published table's cells."""
        if not isinstance(reveals, dict) or "table" not in reveals:
            raise DataError("reveals must be a dict with 'table', 'row' and 'cell' or 'share'/'of'", location=where,
                            hint='E.g. reveals={"table": "by_year", "row": {"year": 1}, "share": "n_worries", '
                                 '"of": "n_entries", "scale": 100}.')
        table_id = reveals["table"]
        if table_id not in self._published or table_id not in self._audit:
            raise DataError(f"reveals names table {table_id!r}, which this run has not published (with counts)",
                            location=where, hint="Register the table before the number.")
        published = self._published[table_id]
        row = reveals.get("row", 0)
        if isinstance(row, dict):
            mask = pd.Series(True, index=published.index)
            for column, wanted in row.items():
                if column not in published.columns:
                    raise DataError(f"reveals row names an unknown column {column!r}", location=where)
                mask &= published[column].astype(str) == str(wanted)
            hits = [i for i, hit in enumerate(mask.tolist()) if hit]
            if len(hits) != 1:
                raise DataError(f"reveals row {row!r} matches {len(hits)} rows of {table_id!r}, expected one",
                                location=where)
            position = hits[0]
        else:
            position = int(row)
        ids = {(int(str(r).split()[0]) - 1, c): cid for cid, _, r, c, *_ in self._audit[table_id]["cells"]}

        def cell(column: str) -> str:
            if (position, column) not in ids:
                raise DataError(f"reveals names {column!r}, which is not a count column of {table_id!r}",
                                location=where)
            return ids[(position, column)]

        number = float(value)
        text = repr(number)
        decimals = 0 if number.is_integer() else len(text.split(".")[-1]) if "." in text else 0
        half = 0.5 * 10 ** (-decimals)  # the number is rounded: it is known to ± half its last digit
        if "cell" in reveals:
            return {cell(reveals["cell"]): 1.0}, number, 0.0
        if "share" in reveals and "of" in reveals:
            scale = float(reveals.get("scale", 1))
            factor = number / scale
            true = {cid: t for cid, _, _, _, t, *_ in self._audit[table_id]["cells"]}
            denominator = true.get(cell(reveals["of"])) or 0.0
            return ({cell(reveals["share"]): 1.0, cell(reveals["of"]): -factor}, 0.0,
                    half / scale * float(denominator) + 1e-9)
        raise DataError("reveals needs 'cell', or 'share' and 'of'", location=where)

    def number(self, id: str, value: Any, template: dict, fmt: str | None = None,
               reveals: dict | None = None, count: bool | None = None) -> str:
        """Publish a key number quoted in the text.

        Parameters
        ----------
        id : str
        value : number or str
        template : dict
            ``{"fi": "Kyselyyn vastasi {value} ammattilaista.", "en": ...}``; each must
            contain ``{value}``.
        fmt : str, optional
            Python format spec, e.g. ``".1f"`` or ``".0%"`` (see :func:`format_value`).
        reveals : dict, optional
            What the number says about a count of a table of this run, for the
            disclosure audit: ``{"table": id, "row": {column: value} or position,
            "cell": count column}`` (the number is that count) or ``{"table": id, "row":
            ..., "share": count column, "of": count column, "scale": 100}`` (a percentage
            of the row's ``of`` count). A number that would expose a suppressed cell is
            published as ``–``.
        count : bool, optional
            The number counts persons or units: ``1 … k-1`` is published as "fewer than
            k". Default: ids starting with ``n_`` holding a whole number.

        Returns
        -------
        str
            The sentence in the registry's language.
        """
        item_id = self._check_id("number", id)
        where = _where(self.run, "number", item_id)
        template = _bilingual(template, "template", run=self.run, kind="number", item_id=item_id)
        value = _plain(value)
        if value is not None and not isinstance(value, (str, numbers.Real)):
            raise DataError(f"value must be a number or text, got {type(value).__name__}", location=where)
        withheld = None
        if count is None:
            count = item_id.startswith("n_") and isinstance(value, numbers.Real) and float(value).is_integer()
        if count and isinstance(value, numbers.Real) and 1 <= value < self.min_cell_size:
            value, withheld = f"<{self.min_cell_size}", "fewer than k"
        audit = None
        if reveals is not None and isinstance(value, numbers.Real):
            from analysis.privacy.audit import problem_from_structures

            coefficients, rhs, tolerance = self._number_equation(reveals, value, where)
            record = {"cells": [], "relations": [], "equations": [[coefficients, rhs, tolerance]]}
            structures = [(f"{self.run}/{i}", r) for i, r in self._audit.items()]
            structures.append((f"{self.run}/number {item_id}", record))
            if problem_from_structures(structures, self.min_cell_size).audit().ok:
                audit = record
                self._audit[f"number:{item_id}"] = record
            else:
                value, withheld = None, "would expose a suppressed cell"
        formatted, text = {}, {}
        for language, sentence in template.items():
            if "{value}" not in sentence:
                raise DataError(
                    f"the {language} template has no '{{value}}' placeholder", location=where,
                    hint="Write the sentence with {value} where the number goes.",
                )
            try:
                formatted[language] = format_value(value, language, fmt)
                text[language] = sentence.format(value=formatted[language])
            except (KeyError, IndexError, ValueError) as exc:
                raise DataError(
                    f"cannot fill the {language} template or format ({exc})", location=where,
                    hint="Use only {value} in the template (double other braces: {{ }}) and a valid format spec.",
                ) from None
        self._add(
            {
                "kind": "number",
                "id": item_id,
                "value": value,
                "fmt": fmt,
                "template": template,
                "formatted": formatted,
                "text": text,
                "withheld": withheld,
                "audit": audit,
            }
        )
        return text[self.language]

    def quote(self, id: str, text: str, speaker: str, role: str, source: str, code: str | None = None) -> dict:
        """Publish a pseudonymised quotation.

        Parameters
        ----------
        id : str
        text : str
            The (redacted) quotation as spoken or written, in its original language.
        speaker : str
            The pseudonym: a label and a number (``"Nuori 3"``, ``"ST 1"``); names are
            refused.
        role : str
            One of :data:`QUOTE_ROLES`.
        source : str
            Workshop and date (``"W03, 14.5.2024"``) or the diary date.
        code : str, optional
            Codebook theme id, used to pick quotations for the joint displays.

        Returns
        -------
        dict
            The recorded item.
        """
        item_id = self._check_id("quote", id)
        where = _where(self.run, "quote", item_id)
        if not isinstance(text, str) or not text.strip():
            raise DataError("the quotation text is empty", location=where)
        if not isinstance(speaker, str) or not PSEUDONYM_PATTERN.match(speaker.strip()):
            raise DataError(
                f"speaker {speaker!r} is not a pseudonym",
                location=where,
                hint="Use the pseudonym from the processed data, e.g. 'Nuori 3' or 'ST 1', never a name.",
            )
        if role not in QUOTE_ROLES:
            raise DataError(f"unknown role {role!r}", location=where, hint=f"Use one of: {', '.join(QUOTE_ROLES)}.")
        if not isinstance(source, str) or not source.strip():
            raise DataError("the quotation has no source", location=where, hint="Give e.g. 'W03, 14.5.2024'.")
        if code is not None and (not isinstance(code, str) or not code.strip()):
            raise DataError(f"code must be a codebook id, got {code!r}", location=where)
        return self._add(
            {
                "kind": "quote",
                "id": item_id,
                "text": " ".join(text.split()),
                "speaker": " ".join(speaker.split()),
                "role": role,
                "source": source.strip(),
                "code": code,
            }
        )

    def methods(self, id: str, text: dict) -> dict:
        """Publish a methods paragraph ``{"fi": ..., "en": ...}`` for the methods section."""
        from analysis.privacy.suppress import mask_small_n_text

        item_id = self._check_id("methods", id)
        text = _bilingual(text, "text", run=self.run, kind="methods", item_id=item_id)
        text = {lang: mask_small_n_text(t, self.min_cell_size) for lang, t in text.items()}
        return self._add({"kind": "methods", "id": item_id, "text": text})

    def note(self, text: dict) -> dict:
        """Publish a note, e.g. why a plot of a suppressed group was not drawn.

        Notes get the ids ``note_1``, ``note_2``, … in order.
        """
        number = 1 + sum(1 for item in self.items if item["kind"] == "note")
        item_id = f"note_{number}"
        text = _bilingual(text, "text", run=self.run, kind="note", item_id=item_id)
        from analysis.privacy.suppress import mask_small_n_text

        text = {lang: mask_small_n_text(t, self.min_cell_size) for lang, t in text.items()}
        return self._add({"kind": "note", "id": item_id, "text": text})

    # ------------------------------------------------------------------ saving
    def to_dict(self) -> dict:
        """The registry record as written to JSON (no timestamps: reproducible)."""
        self.wait()
        return {
            "schema": SCHEMA_VERSION,
            "run": self.run,
            "language": self.language,
            "min_cell_size": self.min_cell_size,
            "items": self.items,
        }

    def save(self) -> Path:
        """Write ``reports/registry/<run>.json`` atomically and return its path."""
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"
        return atomic_write_text(self.path, text)
