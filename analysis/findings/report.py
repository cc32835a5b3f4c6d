"""Assemble the publication draft from every run's registry and write it in four formats.

:func:`build_report` reads the registries (:func:`analysis.findings.load_registries`),
numbers figures and tables consecutively across runs (``Kuvio 1.``, ``Taulukko 1.``),
quotes the key numbers in text, adds the quotations, a methods section generated from
what was run (:mod:`analysis.findings.methods`), the joint displays
(:mod:`analysis.findings.joint`) and a provenance appendix from
``reports/provenance.json``. The writers turn that one document into

* ``findings.html`` – self-contained: images as base64 data URIs, inline CSS;
* ``findings.md`` – figures referenced by relative path;
* ``findings.docx`` – Word captions (``Caption`` style + ``SEQ`` field), table style,
  figures at print size (16 cm / 8 cm);
* ``tables.xlsx`` – one sheet per numbered table, the caption in the first row.

All four are written through temporary files and :func:`os.replace`; the docx and
xlsx files have fixed dates so that two runs give the same bytes.

Examples
--------
>>> paths = write_report("/path/to/workspace", language="en")   # doctest: +SKIP
>>> sorted(paths)                                              # doctest: +SKIP
['docx', 'html', 'md', 'xlsx']
"""

from __future__ import annotations

import base64
import datetime as _dt
import fnmatch
import html
import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.config import load_yaml
from analysis.errors import ConfigError
from analysis.findings import style
from analysis.findings._files import atomic_write_bytes, normalise_zip
from analysis.findings.joint import TEXT as JOINT_TEXT
from analysis.findings.joint import build_joint_display, load_joint_config
from analysis.findings.methods import build_methods
from analysis.findings.registry import RunFindings, load_registries, read_provenance, read_published_table
from analysis.workspace import Workspace

#: Date written into the docx/xlsx properties (no run timestamps: reproducible files).
FIXED_DATE = _dt.datetime(2024, 3, 1, 0, 0, 0)

#: Word language tags of the report languages.
DOCX_LANGUAGES = {"fi": "fi-FI", "en": "en-GB"}

#: Word styles of the report (a publisher's template restyles them by name).
TABLE_STYLE = "Light Grid Accent 1"
NOTE_STYLE = "Taulukon huomautus"
SOURCE_STYLE = "Kuvion lähde"

#: Fallback texts when ``config/report.yaml`` lacks a key.
DEFAULTS: dict = {
    "title": {"fi": "Tulokset", "en": "Findings"},
    "subtitle": None,
    "authors": [],
    "organisations": [],
    "language": "fi",
    "labels": {
        "figure": {"fi": "Kuvio", "en": "Figure"},
        "table": {"fi": "Taulukko", "en": "Table"},
        "source": {"fi": "Lähde", "en": "Source"},
        "notes": {"fi": "Huom.", "en": "Note"},
        "no_data": {"fi": "ei aineistoa", "en": "no data"},
        "failed_run": {
            "fi": "Ajo {run} epäonnistui; sen tuloksia ei ole otettu mukaan.",
            "en": "Run {run} failed; its findings are not included.",
        },
        "suppressed": {"fi": "Peitetyt solut: alle {k} havaintoa (<{k}).", "en": "Suppressed cells: fewer than {k} observations (<{k})."},
        "not_suppressed": {"fi": "Lukuja ei ole peitetty.", "en": "Counts are not suppressed."},
    },
    "sections": {
        "methods": {"fi": "Menetelmät", "en": "Methods"},
        "results": {"fi": "Tulokset", "en": "Findings"},
        "joint": {"fi": "Yhdistetty tarkastelu", "en": "Joint displays"},
        "appendix": {"fi": "Liite: jäljitettävyys", "en": "Appendix: provenance"},
    },
    "exclude_runs": ["findings*"],
    "runs": {},
    "columns": {},
    "value_columns": ["role", "speaker_role", "writer_role", "wave"],
    "hide_other_language_columns": True,
}

#: Texts of the provenance appendix.
APPENDIX = {
    "no_manifest": {
        "fi": "Jäljitettävyystietoja (reports/provenance.json) ei löytynyt: raportti on koottu ilman eräajoa.",
        "en": "No provenance record (reports/provenance.json) was found: the report was assembled outside the batch.",
    },
    "commit": {"fi": "Koodin versio (git)", "en": "Code version (git)"},
    "dirty": {"fi": "sisältää tallentamattomia muutoksia", "en": "with uncommitted changes"},
    "runs": {"fi": "Ajot", "en": "Runs"},
    "inputs": {"fi": "Syötetiedostot", "en": "Input files"},
    "run": {"fi": "Ajo", "en": "Run"},
    "notebook": {"fi": "Muistikirja", "en": "Notebook"},
    "status": {"fi": "Tila", "en": "Status"},
    "parameters": {"fi": "Parametrit", "en": "Parameters"},
    "fingerprint": {"fi": "Tunniste (SHA-256)", "en": "Fingerprint (SHA-256)"},
    "file": {"fi": "Tiedosto", "en": "File"},
    "sha256": {"fi": "SHA-256", "en": "SHA-256"},
    "inputs_in_xlsx": {
        "fi": "Ajojen parametrit ja kaikki {n} syötetiedostoa SHA-256-tarkisteineen ovat tiedostossa tables.xlsx.",
        "en": "The runs' parameters and all {n} input files with their SHA-256 are in the file tables.xlsx.",
    },
}

_INT = re.compile(r"^-?\d+$")
_FLOAT = re.compile(r"^-?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][-+]?\d+)$")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


# ---------------------------------------------------------------------------- config
def _merge(default: object, value: object) -> object:
    if isinstance(default, dict) and isinstance(value, dict):
        return {**default, **{k: _merge(default.get(k), v) for k, v in value.items()}}
    return default if value is None else value


def load_report_config(path: str | Path | None = None) -> dict:
    """Read ``config/report.yaml`` merged over :data:`DEFAULTS`.

    Raises
    ------
    ConfigError
        When the file is not a mapping, the language is unknown or a text lacks fi/en.
    """
    if path is None:
        return json.loads(json.dumps(DEFAULTS))
    path = Path(path)
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping at the top level", file=path, hint="See the comments in the file.")
    config = _merge(json.loads(json.dumps(DEFAULTS)), data)
    if config["language"] not in style.LANGUAGES:
        raise ConfigError(f"unknown language {config['language']!r}", file=path, location="language", hint="Use fi or en.")
    for group in ("labels", "sections", "runs", "columns"):
        if not isinstance(config[group], dict):
            raise ConfigError(f"'{group}' must be a mapping", file=path, location=group)
        for key, text in config[group].items():
            if not isinstance(text, dict) or not all(isinstance(text.get(l), str) for l in style.LANGUAGES):
                raise ConfigError(
                    "expected Finnish and English texts", file=path, location=f"{group}.{key}", hint="Write {fi: ..., en: ...}."
                )
    for key in ("title",):
        if not isinstance(config[key], dict) or not all(isinstance(config[key].get(l), str) for l in style.LANGUAGES):
            raise ConfigError("expected Finnish and English texts", file=path, location=key, hint="Write {fi: ..., en: ...}.")
    for key in ("authors", "organisations", "exclude_runs", "value_columns"):
        if not isinstance(config[key], list):
            raise ConfigError(f"'{key}' must be a list", file=path, location=key)
    return config


# ---------------------------------------------------------------------------- document
@dataclass
class ReportDocument:
    """The assembled publication draft in one language, ready for the writers.

    Attributes
    ----------
    language : {"fi", "en"}
    title, subtitle : str
    authors : list of str
    blocks : list of dict
        ``heading``, ``paragraph``, ``list``, ``figure``, ``table`` and ``quote``
        blocks in document order; findings carry ``key = (run, kind, id)``.
    """

    language: str
    title: str
    subtitle: str | None
    authors: list[str]
    blocks: list[dict] = field(default_factory=list)
    period: str | None = None
    toc: list[dict] = field(default_factory=list)
    toc_title: str = "Sisällys"
    xlsx_only: list[dict] = field(default_factory=list)
    verbatim: set = field(default_factory=set)
    word_template: Path | None = None

    def numbered(self, block_type: str) -> list[dict]:
        """Numbered blocks in order: ``"figure"``, ``"table"`` (the body's) or ``"appendix_table"``."""
        if block_type == "appendix_table":
            return [b for b in self.blocks if b["type"] == "table" and b.get("appendix_table") and b.get("number") is not None]
        return [b for b in self.blocks if b["type"] == block_type and b.get("number") is not None and not b.get("appendix_table")]

    def summary(self) -> pd.DataFrame:
        """What was assembled: one row per finding (label, kind, run, id, text)."""
        rows = []
        for block in self.blocks:
            key = block.get("key")
            if not key:
                continue
            text = block.get("caption") or block.get("text") or ""
            rows.append(
                {
                    "label": (block.get("label") or "").rstrip("."),
                    "kind": key[1],
                    "run": key[0],
                    "id": key[2],
                    "text": text if len(text) <= 80 else text[:77] + "...",
                }
            )
        return pd.DataFrame(rows, columns=["label", "kind", "run", "id", "text"])


def _display_cell(text: str, language: str) -> str:
    """Show a published cell: decimal comma in Finnish, at most three decimals."""
    text = "" if text is None else str(text)
    stripped = text.strip()
    if not _FLOAT.match(stripped):
        return text
    value = float(stripped)
    if value != 0 and abs(value) < 0.001:
        shown = f"{value:.2g}"
    else:
        decimals = len(stripped.split(".")[1]) if "." in stripped and "e" not in stripped.lower() else 3
        shown = f"{value:.{min(decimals, 3)}f}"
    return shown.replace(".", ",") if language == "fi" else shown


def _typed_cell(text: str) -> object:
    """A published cell as a spreadsheet value: int, float, text or empty."""
    stripped = "" if text is None else str(text).strip()
    if stripped == "":
        return None
    if _INT.match(stripped) and len(stripped.lstrip("-")) <= 15:
        return int(stripped)
    if _FLOAT.match(stripped):
        return float(stripped)
    return text


def _run_excluded(run: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(run, str(p)) for p in patterns)


def _quoted(text: str, language: str) -> str:
    """Put quotation marks around ``text``: ”…” in Finnish, “…” in English."""
    return f"”{text}”" if language == "fi" else f"“{text}”"


def _quote_attribution(item: dict, language: str) -> str:
    return f"{item['speaker']} ({style.role_label(item['role'], language)}), {item['source']}"


def _provenance_blocks(manifest: dict, language: str, run_titles: dict | None = None) -> list[dict]:
    t = {k: v[language] for k, v in APPENDIX.items()}
    run_titles = run_titles or {}
    if not manifest:
        return [{"type": "paragraph", "text": t["no_manifest"]}]
    blocks = []
    git = manifest.get("git") or {}
    commit = git.get("commit") or "–"
    blocks.append({"type": "paragraph", "text": f"{t['commit']}: {commit}" + (f" ({t['dirty']})." if git.get("dirty") else ".")})
    runs = manifest.get("runs") or {}
    run_rows, input_rows, seen = [], [], set()
    for name, info in runs.items():
        if not isinstance(info, dict) or fnmatch.fnmatchcase(name, "findings*"):
            continue  # the assembling run itself: its record is being written (and would make the files differ)
        status = str(info.get("status", ""))
        fingerprint = str(info.get("fingerprint") or "")
        title = run_titles.get(name, name)
        run_rows.append([title, str(info.get("notebook", "")), _vocab().label(status, language) if status else "–",
                         fingerprint[:12] + ("…" if len(fingerprint) > 12 else "")])
        for path, digest in sorted((info.get("inputs") or {}).items()):
            if (path, digest) not in seen:
                seen.add((path, digest))
                input_rows.append([path, str(digest)])
    if run_rows:
        blocks.append({"type": "heading", "level": 4, "text": t["runs"]})
        header = [t["run"], t["notebook"], t["status"], t["fingerprint"]]
        blocks.append({"type": "table", "number": None, "label": None, "caption": None, "header": header,
                       "rows": run_rows, "values": run_rows, "notes": None, "key": None, "small": True})
    if input_rows:
        blocks.append({"type": "paragraph", "text": t["inputs_in_xlsx"].format(n=len(input_rows))})
    return blocks


def _provenance_sheets(manifest: dict, language: str) -> list[dict]:
    """The full provenance (parameters, every input file with its SHA-256) for tables.xlsx."""
    t = {k: v[language] for k, v in APPENDIX.items()}
    runs = (manifest or {}).get("runs") or {}
    run_rows, input_rows, seen = [], [], set()
    for name, info in runs.items():
        if not isinstance(info, dict) or fnmatch.fnmatchcase(name, "findings*"):
            continue  # the assembling run itself: its record is being written (and would make the files differ)
        params = json.dumps(info.get("parameters") or {}, ensure_ascii=False, sort_keys=True)
        run_rows.append([name, str(info.get("notebook", "")), str(info.get("status", "")), params, str(info.get("fingerprint") or "")])
        for path, digest in sorted((info.get("inputs") or {}).items()):
            if (path, digest) not in seen:
                seen.add((path, digest))
                input_rows.append([path, str(digest)])
    sheets = []
    if run_rows:
        sheets.append({"caption": t["runs"], "sheet_id": "runs", "header": [t["run"], t["notebook"], t["status"], t["parameters"], t["fingerprint"]],
                       "rows": run_rows, "values": run_rows})
    if input_rows:
        sheets.append({"caption": t["inputs"], "sheet_id": "inputs", "header": [t["file"], t["sha256"]], "rows": input_rows, "values": input_rows})
    return sheets


def _vocab():
    from analysis.vocabulary import vocabulary

    return vocabulary()


def _matches(key: str, patterns) -> bool:
    return any(fnmatch.fnmatchcase(key, str(p)) for p in (patterns or []))


def _pattern_value(key: str, mapping: dict):
    for pattern, value in (mapping or {}).items():
        if fnmatch.fnmatchcase(key, str(pattern)):
            return value
    return None


_PARTS = re.compile(r"^(?P<code>[A-Za-z][A-Za-z0-9_]*)(?P<rest>\s*\(n\s*=\s*\d+\))?$")
_P_COLUMNS = re.compile(r"^p$|^p_|_p$")
_SHARE_COLUMNS = re.compile(r"^share|^prevalence$|^percent_agreement$")
_CI_OF_SHARE = {"ci_low", "ci_high"}
_NUMERIC_TEXT = re.compile(r"^[<>≥≤−\-–]?\s?[\d\u00a0 ]*[\d][\d\u00a0 ,.]*\s?%?$|^–$|^x$")


#: Labels of the codebook's themes and the instruments' scales, read by :func:`build_report`.
_EXTRA_LABELS: dict[str, dict[str, str]] = {}


def _load_extra_labels(workspace: Workspace) -> dict[str, dict[str, str]]:
    """Theme ids of the codebook and scale ids of the instruments → their fi/en names."""
    labels: dict[str, dict[str, str]] = {}

    def add(key, text):
        if isinstance(key, str) and isinstance(text, dict) and all(isinstance(text.get(l), str) for l in style.LANGUAGES):
            labels.setdefault(key, {l: text[l] for l in style.LANGUAGES})

    path = workspace.resolve_config("config/codebook.yaml")
    try:
        codebook = load_yaml(path) if path.is_file() else {}
    except ConfigError:
        codebook = {}
    stack = list((codebook or {}).get("themes") or []) if isinstance(codebook, dict) else []
    while stack:
        theme = stack.pop(0)
        if isinstance(theme, dict):
            add(theme.get("id"), theme.get("name") or theme.get("label"))
            stack.extend(theme.get("children") or [])
    for path in sorted(workspace.config.glob("instrument_*.yaml")):
        try:
            spec = load_yaml(path)
        except ConfigError:
            continue
        for scale in (spec.get("scales") or []) if isinstance(spec, dict) else []:
            if isinstance(scale, dict):
                add(scale.get("id"), scale.get("label"))
    return labels


def _known(text: str) -> bool:
    return _vocab().has(text) or text in _EXTRA_LABELS


def _label_of(text: str, language: str) -> str:
    if _vocab().has(text):
        return _vocab().label(text, language)
    return _EXTRA_LABELS[text][language] if text in _EXTRA_LABELS else text


def _translate_value(text: str, language: str) -> str:
    """A coded cell value in words (``social_worker`` → ``sosiaalityöntekijä``).

    Lists such as ``"other (n=8), social_worker (n=15)"`` are translated part by part.
    """
    if _known(text):
        return _label_of(text, language)
    if "," in text:
        parts = [p.strip() for p in text.split(",")]
        shown = []
        for part in parts:
            m = _PARTS.match(part)
            if not m or not _known(m.group("code")):
                return text
            shown.append(_label_of(m.group("code"), language) + (m.group("rest") or ""))
        return ", ".join(shown)
    m = _PARTS.match(text)
    if m and m.group("rest") and _known(m.group("code")):
        return _label_of(m.group("code"), language) + m.group("rest")
    return text


def _format_cell(column: str, text: str, language: str, share_table: bool) -> str:
    """A published cell for reading: rounded, decimal comma in Finnish, codes in words."""
    text = "" if text is None else str(text)
    stripped = text.strip()
    if stripped == "":
        return ""
    if _INT.match(stripped):
        return style.format_number(int(stripped), language)
    if _FLOAT.match(stripped):
        value = float(stripped)
        if _P_COLUMNS.search(column):
            if value < 0.001:
                return "< " + style.format_number(0.001, language, 3)
            return style.format_number(value, language, 3)
        if _SHARE_COLUMNS.search(column) or (share_table and column in _CI_OF_SHARE):
            return style.format_percent(value, language, 1)
        if value.is_integer() and abs(value) >= 1:
            return style.format_number(int(value), language)
        return style.format_number(value, language, 2).replace("-", "−")
    return _translate_value(text, language)


def _header_text(column: str, table_key: str, item: dict, config: dict, language: str, share_table: bool) -> str:
    labels = item.get("column_labels") or {}
    if column in labels:
        return labels[column][language]
    if column in (config.get("columns") or {}):
        return config["columns"][column][language]
    vocab = _vocab()
    base = re.sub(r"_(fi|en)$", "", column)
    run, table_id = table_key.split("/", 1)
    for key in (f"{run}/{table_id}", f"*/{table_id}"):
        text = vocab.column(column, language, table=key) if key in vocab.tables else None
        if text:
            break
    else:
        text = vocab.column(column, language) or vocab.column(base, language)
    if text is None:  # a column the vocabulary lacks: readable, and the scanner of the tests reports it
        text = column.replace("_", " ")
    return text


def _display_columns(df: pd.DataFrame, config: dict, language: str, wanted: list[str] | None) -> list[str]:
    columns = list(df.columns)
    if config.get("hide_other_language_columns", True):
        other = "en" if language == "fi" else "fi"
        columns = [c for c in columns if not (c.endswith(f"_{other}") and f"{c[: -len(other)]}{language}" in df.columns)]
    # an id column is shown through its label column (scale -> label_fi)
    replaced: dict[str, str] = {}
    for id_column, prefix in (config.get("label_columns") or {}).items():
        label = f"{prefix}_{language}"
        if id_column in columns and label in columns:
            replaced[id_column] = label
    if wanted:
        chosen = []
        for c in wanted:
            c = replaced.get(c, c)
            if c in df.columns and c not in chosen:
                chosen.append(c)
        return chosen
    hidden = set(config.get("hide_columns") or [])
    out = []
    for c in columns:
        if c in hidden:
            continue
        if c in replaced:
            c = replaced[c]
        elif c in replaced.values():
            continue
        if c not in out:
            out.append(c)
    return out


def _table_block(df: pd.DataFrame, item: dict, config: dict, language: str, table_key: str = "run/table",
                 columns: list[str] | None = None) -> tuple[list[str], list[list[str]], list[list[object]]]:
    """Headers, shown rows and typed values of a published table in ``language``."""
    columns = _display_columns(df, config, language, columns)
    share_table = any(_SHARE_COLUMNS.search(c) for c in columns)
    # a label column shown for its id column keeps the id column's header (label_fi for scale: "Summamuuttuja")
    header_of = {f"{prefix}_{language}": id_column for id_column, prefix in (config.get("label_columns") or {}).items()
                 if id_column in df.columns}
    header = [_header_text(header_of.get(c, c), table_key, item, config, language, share_table) for c in columns]
    rows, values = [], []
    for record in df[columns].itertuples(index=False, name=None):
        shown, typed = [], []
        for column, cell in zip(columns, record):
            text = _format_cell(column, cell, language, share_table)
            shown.append(text)
            value = _typed_cell(cell)
            typed.append(value if isinstance(value, (int, float)) else (text if text != "" else None))
        rows.append(shown)
        values.append(typed)
    return header, rows, values


def _numbers_text(numbers: list[int], language: str, and_word: str) -> str:
    """``[1, 2, 3, 5]`` → ``"1–3 ja 5"``."""
    spans, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            spans.append(f"{start}–{n}" if n > start + 1 else (f"{start}, {n}" if n == start + 1 else str(n)))
            start = None
    return spans[0] if len(spans) == 1 else ", ".join(spans[:-1]) + f" {and_word} " + spans[-1]


def _number_headings(blocks: list[dict]) -> list[dict]:
    """Number the headings of levels 2–4 (``1``, ``1.2``, ``1.2.3``); appendix headings keep their names."""
    counters = [0, 0, 0]
    toc = []
    numbering = True
    for block in blocks:
        if block["type"] != "heading":
            continue
        if block.get("appendix"):
            numbering = False
        level = block["level"]
        if numbering and 2 <= level <= 4 and not block.get("unnumbered"):
            i = level - 2
            counters[i] += 1
            for j in range(i + 1, 3):
                counters[j] = 0
            block["number"] = ".".join(str(c) for c in counters[: i + 1])
            block["text"] = f"{block['number']} {block['text']}"
        block.setdefault("anchor", f"s{len(toc) + 1}")
        if level <= 3:
            toc.append({"level": level, "text": block["text"], "anchor": block["anchor"]})
    return toc


def build_report(
    root: str | Path | None = None,
    language: str | None = None,
    report_config: str | Path | dict | None = None,
    joint_config: str | Path | dict | None = None,
    runs: list[RunFindings] | None = None,
    include_runs: list[str] | None = None,
) -> ReportDocument:
    """Assemble the publication draft from every run's registry.

    The draft has a title page, a table of contents and numbered sections: the Methods
    (data, instruments, data quality, analyses, text processing, coding reliability,
    data protection, software), the Results ordered by the publication's questions
    (``results`` in ``config/report.yaml``), the joint displays and the appendices
    (detailed tables, provenance). Headers and coded values are shown in words from
    ``config/vocabulary.yaml``.

    Parameters
    ----------
    root : str or Path, optional
        Workspace root (default: discovered).
    language : {"fi", "en"}, optional
        Default: ``language`` of the report config.
    report_config, joint_config : path or dict, optional
        Default ``config/report.yaml`` and ``config/joint_displays.yaml`` of the project.
    runs : list of RunFindings, optional
        Already loaded registries (default: :func:`load_registries`).
    include_runs : list of str, optional
        A subset draft (e.g. a thesis on one municipality's survey run): only the runs
        matching these patterns, with their own methods text and no joint displays.
        ``exclude_runs`` of the config does not apply to them.

    Returns
    -------
    ReportDocument
    """
    workspace = Workspace.discover(root=root)
    if not isinstance(report_config, dict):
        path = workspace.resolve_config(report_config or "config/report.yaml")
        config = load_report_config(path if (report_config or path.is_file()) else None)
    else:
        config = _merge(json.loads(json.dumps(DEFAULTS)), report_config)
    language = language or config["language"]
    if language not in style.LANGUAGES:
        raise ConfigError(f"unknown language {language!r}", location="language", hint="Use fi or en.")
    subset = bool(include_runs)
    if subset:
        joint_config = None
    elif not isinstance(joint_config, dict):
        joint_path = workspace.resolve_config(joint_config or "config/joint_displays.yaml")
        joint_config = load_joint_config(joint_path) if (joint_config or joint_path.is_file()) else None
    if runs is None:
        runs = load_registries(workspace.root)
    if subset:
        runs = [r for r in runs if _run_excluded(r.run, include_runs)]
        if not runs:
            raise ConfigError(
                f"no run matches {include_runs}", location="--runs",
                hint="Name runs that have a registry in reports/registry/ (see `jakala list`).",
            )
    else:
        runs = [r for r in runs if not _run_excluded(r.run, config["exclude_runs"])]
    manifest = read_provenance(workspace.root)
    _EXTRA_LABELS.clear()
    _EXTRA_LABELS.update(_load_extra_labels(workspace))
    if not manifest.get("runs"):
        # No provenance record: use the order of the runs in report.yaml, then the file order.
        order = {name: i for i, name in enumerate(config["runs"])}
        runs = sorted(runs, key=lambda r: order.get(r.run, len(order)))
    labels = {k: v[language] if isinstance(v, dict) else v for k, v in config["labels"].items()}
    sections = {k: v[language] for k, v in config["sections"].items()}
    run_titles = {name: text[language] for name, text in config["runs"].items()}
    subtitle = (config.get("subtitle") or {}).get(language) if isinstance(config.get("subtitle"), dict) else config.get("subtitle")
    if subset:
        names = ", ".join(run_titles.get(r.run, r.run) if r.run in run_titles else r.run for r in runs)
        subtitle = labels.get("draft_of_subset", "{runs}").format(runs=names)
    doc = ReportDocument(
        language=language,
        title=config["title"][language],
        subtitle=subtitle,
        authors=[a.get(language, next(iter(a.values()))) if isinstance(a, dict) else str(a)
                 for a in list(config["authors"]) + list(config["organisations"])],
    )
    verbatim_columns = set(config.get("verbatim_columns") or [])
    if config.get("word_template"):
        template = workspace.resolve_config(config["word_template"])
        if not template.is_file():
            raise ConfigError("the Word template is missing", file=template, location="word_template",
                              hint="Point word_template at a .docx whose styles the draft should use, or remove the key.")
        doc.word_template = template
    project = _vocab().project
    if project.get("start") and project.get("end"):
        doc.period = f"{labels.get('period', '')}: {_month(project['start'], language)}–{_month(project['end'], language)}"
    counters = {"figure": 0, "table": 0, "appendix": 0}
    appendix_blocks: list[dict] = []
    xlsx_blocks: list[dict] = []

    def numbered(kind: str) -> tuple[int, str]:
        counters[kind] += 1
        word = labels["appendix_table"] if kind == "appendix" else labels[kind]
        return counters[kind], f"{word} {counters[kind]}."

    # Joint displays first (in memory), so their quotations are not repeated in the results.
    joint = None
    claimed: set[tuple[str, str]] = set()
    if joint_config is not None:
        joint = build_joint_display(runs, workspace.root, joint_config)
        for quotes in joint["quotes"]:
            claimed.update(quotes)

    results_patterns = config.get("results_paragraphs") or []
    xlsx_only = config.get("xlsx_only") or []
    body = config.get("body") or {}
    max_rows, max_columns = int(body.get("max_rows", 12)), int(body.get("max_columns", 7))
    appendix_max_rows = int(body.get("appendix_max_rows", 10**9))
    quotes_per_theme = config.get("quotes_per_theme")
    quotes_by_key: dict[tuple[str, str], dict] = {}

    def run_blocks(findings: RunFindings) -> list[dict]:
        """The blocks of one run's findings, with tables split into body and appendix."""
        out: list[dict] = []
        if findings.status == "failed":
            out.append({"type": "paragraph", "style": "note", "text": labels["failed_run"].format(run=run_titles.get(findings.run, findings.run))})
            return out
        shown_quotes: dict[str, int] = {}
        for item in findings.items:
            key = (findings.run, item["kind"], item["id"])
            kind = item["kind"]
            item_key = f"{findings.run}/{item['id']}"
            if kind == "figure":
                if _matches(item_key, xlsx_only):
                    continue
                number, label = numbered("figure")
                source = item.get("source")
                caption = item["caption"][language]
                out.append(
                    {
                        "type": "figure", "number": number, "label": label, "word": labels["figure"],
                        "caption": caption, "alt": f"{label} {caption}",
                        "source": f"{labels['source']}: {source[language]}" if source else None,
                        "png": workspace.root / _figure_file(item, language), "width": item.get("width", "full"),
                        "key": key,
                    }
                )
            elif kind == "table":
                df = read_published_table(workspace.root, item)
                notes = [item["notes"][language]] if item.get("notes") else []
                if item.get("suppressed") and any((item.get("n_suppressed") or {"primary": 1}).values()):
                    note = (item.get("suppression_note") or {}).get(language)
                    notes.append(note or labels["suppressed"].format(k=item.get("min_cell_size", findings.min_cell_size)))
                elif item.get("count_columns") and not item.get("suppressed"):  # suppression found nothing to hide: no note
                    notes.append(labels["not_suppressed"])
                caption = item["caption"][language]
                base = {"caption": caption, "key": key, "sheet_id": item["id"], "notes": " ".join(notes) or None}
                for column in verbatim_columns & set(df.columns):
                    doc.verbatim.update(str(v) for v in df[column].dropna())
                full_header, full_rows, full_values = _table_block(df, item, config, language, item_key)
                if len(full_header) > max_columns:  # wide detailed tables: the statistics without the sentence columns
                    slim = [c for c in _display_columns(df, config, language, None) if not re.match(r"^apa_(fi|en)$", c)]
                    full_header, full_rows, full_values = _table_block(df, item, config, language, item_key, columns=slim)
                xlsx_header = [_header_text(c, item_key, item, config, language, False) for c in df.columns]
                xlsx_values = [[_typed_cell(c) if isinstance(_typed_cell(c), (int, float)) else
                                (_translate_value(str(c), language) if c is not None and str(c) != "" else None) for c in row]
                               for row in df.itertuples(index=False, name=None)]
                if _matches(item_key, xlsx_only):
                    xlsx_blocks.append({**base, "type": "table", "header": xlsx_header, "rows": xlsx_values, "values": xlsx_values})
                    continue
                compact = _pattern_value(item_key, body.get("columns") or {})
                fits = len(full_rows) <= max_rows and len(full_header) <= max_columns
                appendix_number = None
                if not fits and not compact and len(full_rows) > appendix_max_rows:
                    xlsx_blocks.append({**base, "type": "table", "header": xlsx_header, "rows": xlsx_values, "values": xlsx_values})
                    out.append({"type": "xlsx_ref", "caption": caption})
                    continue
                if compact or not fits:
                    appendix_number, appendix_label = numbered("appendix")
                    appendix_blocks.append(
                        {**base, "type": "table", "number": appendix_number, "label": appendix_label,
                         "word": labels["appendix_table"], "appendix_table": True, "header": full_header, "rows": full_rows, "values": full_values,
                         "xlsx_header": xlsx_header, "xlsx_values": xlsx_values, "key": key if not compact else None,
                         "wide": len(full_header) > max_columns, "small": len(full_header) > max_columns}
                    )
                if compact and len(full_rows) <= 4 * max_rows:
                    header, rows, values = _table_block(df, item, config, language, item_key, columns=list(compact))
                    number, label = numbered("table")
                    body_notes = " ".join(n for n in [base["notes"], labels["full_table"].format(n=appendix_number)] if n)
                    out.append(
                        {**base, "type": "table", "number": number, "label": label, "word": labels["table"],
                         "header": header, "rows": rows, "values": values, "notes": body_notes,
                         "xlsx_header": xlsx_header, "xlsx_values": xlsx_values}
                    )
                elif fits:
                    number, label = numbered("table")
                    out.append(
                        {**base, "type": "table", "number": number, "label": label, "word": labels["table"],
                         "header": full_header, "rows": full_rows, "values": full_values,
                         "xlsx_header": xlsx_header, "xlsx_values": xlsx_values}
                    )
                else:
                    out.append({"type": "appendix_ref", "number": appendix_number})
            elif kind == "number":
                out.append({"type": "paragraph", "text": item["text"][language], "key": key})
            elif kind == "quote":
                quotes_by_key[(findings.run, item["id"])] = item
                if (findings.run, item["id"]) in claimed:
                    continue
                theme = item.get("code") or item["id"].rsplit("_", 1)[0]
                shown_quotes[theme] = shown_quotes.get(theme, 0) + 1
                if quotes_per_theme is not None and shown_quotes[theme] > int(quotes_per_theme):
                    continue
                out.append({"type": "quote", "text": item["text"], "attribution": _quote_attribution(item, language), "key": key})
            elif kind == "note":
                out.append({"type": "paragraph", "style": "note", "text": item["text"][language], "key": key})
            elif kind == "methods" and _matches(f"{findings.run}/{item['id']}", results_patterns):
                out.append({"type": "paragraph", "text": item["text"][language], "key": (findings.run, "methods", item["id"])})
        return _with_references(out, labels, language)

    # --- methods (data quality and coding reliability are part of them)
    method_runs = [] if subset else [r for r in runs if _run_excluded(r.run, config.get("methods_runs") or [])]
    result_runs = [r for r in runs if r not in method_runs]
    doc.blocks.append({"type": "heading", "level": 2, "text": sections["methods"]})
    methods_blocks = build_methods(runs, workspace.root, language, manifest, skip=results_patterns,
                                   description=_data_description(workspace, language), subset=subset)
    # the data-quality run after the data, the coding reliability after the text processing
    for findings in method_runs:
        blocks = [{"type": "heading", "level": 3, "text": run_titles.get(findings.run, findings.run)}] + run_blocks(findings)
        anchor = "instruments" if findings.run.startswith("data_quality") else "text"
        at = next((i for i, b in enumerate(methods_blocks) if b.get("section") == anchor), None)
        if at is None:
            methods_blocks.extend(blocks)
        else:
            end = next((j for j in range(at + 1, len(methods_blocks)) if methods_blocks[j]["type"] == "heading"), len(methods_blocks))
            methods_blocks[end:end] = blocks
    doc.blocks.extend(methods_blocks)

    # --- results, by the publication's questions
    doc.blocks.append({"type": "heading", "level": 2, "text": sections["results"]})
    placed: set[str] = set()
    for spec in ([] if subset else config.get("results") or []):
        members = [r for r in result_runs if r.run not in placed and _run_excluded(r.run, spec.get("runs") or [])]
        if not members:
            continue
        doc.blocks.append({"type": "heading", "level": 3, "text": spec["title"][language]})
        for findings in members:
            placed.add(findings.run)
            doc.blocks.extend(run_blocks(findings))
    for findings in result_runs:
        if findings.run in placed:
            continue
        doc.blocks.append({"type": "heading", "level": 3, "text": run_titles.get(findings.run, findings.run)})
        doc.blocks.extend(run_blocks(findings))

    # --- joint displays (a landscape page with its heading)
    if joint is not None:
        doc.blocks.append({"type": "heading", "level": 2, "text": sections["joint"], "landscape": True})
        t = {k: v[language] for k, v in JOINT_TEXT.items()}
        header = [t["theme"], t["work_package"], t["survey"], t["prevalence"], t["trend"], t["quotes"]]
        rows = []
        for row in joint.itertuples(index=False):
            quote_texts = []
            for run, quote_id in list(row.quotes)[:1]:  # one quotation per theme keeps the table readable
                item = quotes_by_key.get((run, quote_id))
                if item is not None:
                    quote_texts.append(f"{_quoted(item['text'], language)} — {_quote_attribution(item, language)}")
            package = row.work_package
            rows.append(
                [
                    getattr(row, f"label_{language}"),
                    _vocab().label(package, language) if isinstance(package, str) and package else "–",
                    _translate_words(getattr(row, f"survey_{language}"), language),
                    getattr(row, f"prevalence_{language}"),
                    _translate_words(getattr(row, f"trend_{language}"), language),
                    "\n".join(quote_texts) or labels["no_data"],
                ]
            )
        number, label = numbered("table")
        doc.blocks.append(
            {"type": "paragraph", "text": labels["refer_only_table"].format(numbers=number) + ".", "landscape": True}
        )
        doc.blocks.append(
            {
                "type": "table", "number": number, "label": label, "word": labels["table"],
                "caption": joint_config["caption"][language], "header": header, "rows": rows, "values": rows,
                "notes": (joint_config.get("notes") or {}).get(language), "key": ("joint", "table", "joint_display"),
                "sheet_id": "joint_display", "wide": True,
            }
        )

    # --- appendices (in landscape: the detailed tables are wide)
    first_appendix_block = len(doc.blocks)
    doc.blocks.append({"type": "heading", "level": 2, "text": sections["appendices"], "appendix": True})
    if appendix_blocks:
        doc.blocks.append({"type": "heading", "level": 3, "text": sections["appendix_tables"], "appendix": True})
        doc.blocks.extend(appendix_blocks)
    doc.blocks.append({"type": "heading", "level": 3, "text": sections["appendix"], "appendix": True})
    doc.blocks.extend(_provenance_blocks(manifest, language, run_titles))
    for block in doc.blocks[first_appendix_block:]:
        block["landscape"] = True
    for block in doc.blocks:
        for field_name in ("text", "caption", "alt", "notes"):
            if isinstance(block.get(field_name), str) and block["type"] != "quote":
                block[field_name] = _translate_words(block[field_name], language)
        if block["type"] == "list":
            block["items"] = [_translate_words(t, language) for t in block["items"]]
        if block["type"] == "table" and block.get("key") != ("joint", "table", "joint_display"):
            block["rows"] = [[_translate_words(c, language) if isinstance(c, str) else c for c in row] for row in block["rows"]]
    doc.xlsx_only = xlsx_blocks + _provenance_sheets(manifest, language)
    doc.toc_title = sections.get("contents", "Sisällys" if language == "fi" else "Contents")
    doc.toc = _number_headings(doc.blocks)
    return doc


def _with_references(blocks: list[dict], labels: dict, language: str) -> list[dict]:
    """Open a run's blocks with a sentence that names its figures and tables (the text refers to each)."""
    figures = [b["number"] for b in blocks if b["type"] == "figure"]
    tables = [b["number"] for b in blocks if b["type"] == "table" and b.get("number")]
    appendix = [b["number"] for b in blocks if b["type"] == "appendix_ref"]
    in_xlsx = [b["caption"] for b in blocks if b["type"] == "xlsx_ref"]
    blocks = [b for b in blocks if b["type"] not in ("appendix_ref", "xlsx_ref")]
    and_word = labels.get("and", "ja")
    parts = []
    if figures:
        parts.append(labels["refer_figures" if len(figures) > 1 else "refer_figure"].format(numbers=_numbers_text(figures, language, and_word)))
        if tables:
            parts.append(labels["refer_tables" if len(tables) > 1 else "refer_table"].format(numbers=_numbers_text(tables, language, and_word)))
        sentence = f" {and_word} ".join(parts) + "."
    elif tables:
        sentence = labels["refer_only_tables" if len(tables) > 1 else "refer_only_table"].format(numbers=_numbers_text(tables, language, and_word)) + "."
    else:
        sentence = ""
    if appendix:
        sentence = (sentence + " " if sentence else "") + labels["in_appendix"].format(numbers=_numbers_text(appendix, language, and_word))
    if in_xlsx:
        captions = "; ".join(c[0].lower() + c[1:] if c[:2] != c[:2].upper() else c for c in in_xlsx)
        sentence = (sentence + " " if sentence else "") + labels["in_xlsx"].format(captions=captions)
    if sentence:
        blocks.insert(0, {"type": "paragraph", "text": sentence})
    return blocks


_WORD = re.compile(r"(?<![\w/.])[a-z]+(?:_[a-z0-9]+)+(?![\w/.])|\b(?:increasing|decreasing|stable)\b")


def _translate_words(text: str, language: str) -> str:
    """Coded words inside a sentence (``increasing (p = 0,04)``, ``p_adj``) in the vocabulary's words."""
    return _WORD.sub(lambda m: _label_of(m.group(0), language) if _known(m.group(0)) else m.group(0), str(text))


_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")


def _month(date: str, language: str) -> str:
    year, month = str(date)[:4], int(str(date)[5:7])
    return f"{month}/{year}" if language == "fi" else f"{_MONTHS_EN[month - 1]} {year}"


def _figure_file(item: dict, language: str) -> str:
    """The figure drawn in ``language`` when the run saved one (``files_en``), else the run's figure."""
    files = item["files"]
    return files.get(f"png_{language}") or files["png"]


def _data_description(workspace: Workspace, language: str) -> str | None:
    """The data description of the manifest (``description:`` and ``synthetic: true``)."""
    from analysis.findings.methods import data_description

    if not (workspace.processed / "ingest_report.json").is_file():
        return None
    data = data_description(workspace.root)
    description = data["description"]
    if isinstance(description, dict):
        description = description.get(language) or next(iter(description.values()), None)
    synthetic = data["synthetic"]
    parts = []
    if isinstance(description, str) and description.strip():
        parts.append(description.strip().rstrip(".") + ".")
    if synthetic:
        parts.append(
            "Aineisto on synteettistä: se on tuotettu ohjelmallisesti, eikä se koske todellisia henkilöitä."
            if language == "fi"
            else "The data are synthetic: generated by a program, about no real persons."
        )
    return " ".join(parts) or None


# ---------------------------------------------------------------------------- markdown
def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", "<br>")


def render_markdown(doc: ReportDocument, out_dir: str | Path) -> str:
    """Render the document as Markdown; figures are linked relative to ``out_dir``."""
    out_dir = Path(out_dir)
    lines = [f"# {doc.title}", ""]
    if doc.subtitle:
        lines += [f"*{doc.subtitle}*", ""]
    if doc.authors:
        lines += [", ".join(doc.authors), ""]
    if doc.period:
        lines += [doc.period, ""]
    if doc.toc:
        lines += [f"**{doc.toc_title}**", ""]
        lines += ["  " * (entry["level"] - 2) + f"- {entry['text']}" for entry in doc.toc] + [""]
    for block in doc.blocks:
        kind = block["type"]
        if kind == "heading":
            lines += ["#" * block["level"] + " " + block["text"], ""]
        elif kind == "paragraph":
            text = block["text"]
            lines += [f"*{text}*" if block.get("style") == "note" else text, ""]
        elif kind == "list":
            lines += [f"- {entry}" for entry in block["items"]] + [""]
        elif kind == "quote":
            lines += [f"> {_quoted(block['text'], doc.language)}", ">", f"> — {block['attribution']}", ""]
        elif kind == "figure":
            rel = Path(os.path.relpath(block["png"], out_dir)).as_posix()
            alt = _md_escape(block.get("alt") or block["label"]).replace("[", "(").replace("]", ")")
            lines += [f"![{alt}]({rel})", "", f"**{block['label']}** {block['caption']}", ""]
            if block.get("source"):
                lines += [f"*{block['source']}*", ""]
        elif kind == "table":
            if block.get("label"):
                lines += [f"**{block['label']}** {block['caption']}", ""]
            lines.append("| " + " | ".join(_md_escape(h) for h in block["header"]) + " |")
            lines.append("|" + "|".join("---" for _ in block["header"]) + "|")
            for row in block["rows"]:
                lines.append("| " + " | ".join(_md_escape(c) for c in row) + " |")
            lines.append("")
            if block.get("notes"):
                lines += [f"*{block['notes']}*", ""]
    return "\n".join(lines).rstrip() + "\n"


def _numeric_columns(block: dict) -> list[bool]:
    """Columns whose shown cells are all numbers (or "<5", "–", empty): right-aligned."""
    width = len(block["header"])
    out = []
    for j in range(width):
        cells = [str(row[j]).strip() for row in block["rows"] if j < len(row)]
        cells = [c for c in cells if c and c != "–"]
        out.append(bool(cells) and all(_NUMERIC_TEXT.match(c) for c in cells))
    return out


# ---------------------------------------------------------------------------- html
_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;font-size:11pt;line-height:1.45;color:#222;max-width:17cm;margin:2em auto;padding:0 1em}
h1{font-size:18pt}h2{font-size:14pt;margin-top:1.6em}h3{font-size:12pt}
figure{margin:1.5em 0}figure img{max-width:100%;height:auto;display:block}
figcaption,caption{font-size:10pt;text-align:left;margin:.4em 0}
.label{font-weight:bold}.source,.note{font-size:9pt;font-style:italic;color:#444}
table{border-collapse:collapse;margin:1em 0;font-size:9.5pt}
th,td{border:1px solid #bbb;padding:.25em .5em;vertical-align:top;white-space:pre-line}
th{background:#eef3f8}table.small{font-size:8pt}td.num,th.num{text-align:right}
.table-wrap{overflow-x:auto;max-width:100%}nav.toc ul{list-style:none;padding-left:1.2em}nav.toc>ul{padding-left:0}
.titlepage{margin-bottom:2em;border-bottom:1px solid #bbb}
blockquote{border-left:4px solid #56B4E9;margin:1em 0;padding:.2em 1em;background:#f6f9fc}
blockquote footer{font-size:9.5pt;color:#444}
""".strip()


def render_html(doc: ReportDocument) -> str:
    """Render a self-contained HTML page (images embedded, CSS inline, no external file)."""
    def esc(text: str) -> str:  # text nodes: & < > only, so apostrophes stay searchable
        return html.escape(str(text), quote=False)

    out = [
        "<!DOCTYPE html>",
        f'<html lang="{doc.language}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(doc.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        '<header class="titlepage">',
        f"<h1>{esc(doc.title)}</h1>",
    ]
    if doc.subtitle:
        out.append(f'<p class="note">{esc(doc.subtitle)}</p>')
    if doc.authors:
        out.append(f"<p>{esc(', '.join(doc.authors))}</p>")
    if doc.period:
        out.append(f"<p>{esc(doc.period)}</p>")
    out.append("</header>")
    if doc.toc:
        out.append(f'<nav class="toc"><h2>{esc(doc.toc_title)}</h2>')
        level = 1
        for entry in doc.toc:
            while level < entry["level"]:
                out.append("<ul>")
                level += 1
            while level > entry["level"]:
                out.append("</ul>")
                level -= 1
            out.append(f'<li><a href="#{entry["anchor"]}">{esc(entry["text"])}</a></li>')
        out.extend(["</ul>"] * (level - 1))
        out.append("</nav>")
    for block in doc.blocks:
        kind = block["type"]
        if kind == "heading":
            anchor = f' id="{block["anchor"]}"' if block.get("anchor") else ""
            out.append(f"<h{block['level']}{anchor}>{esc(block['text'])}</h{block['level']}>")
        elif kind == "paragraph":
            css = ' class="note"' if block.get("style") == "note" else ""
            out.append(f"<p{css}>{esc(block['text'])}</p>")
        elif kind == "list":
            out.append("<ul>" + "".join(f"<li>{esc(e)}</li>" for e in block["items"]) + "</ul>")
        elif kind == "quote":
            out.append(
                f"<blockquote><p>{esc(_quoted(block['text'], doc.language))}</p>"
                f"<footer>— {esc(block['attribution'])}</footer></blockquote>"
            )
        elif kind == "figure":
            data = base64.b64encode(Path(block["png"]).read_bytes()).decode("ascii")
            width = style.WIDTH_CM[block.get("width", "full")]
            anchor = f"fig-{block['number']}"
            out.append(f'<figure id="{anchor}">')
            alt = block.get("alt") or block["label"].rstrip(".")
            out.append(f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}" style="width:{width:g}cm;max-width:100%">')
            out.append(f'<figcaption><span class="label">{esc(block["label"])}</span> {esc(block["caption"])}</figcaption>')
            if block.get("source"):
                out.append(f'<p class="source">{esc(block["source"])}</p>')
            out.append("</figure>")
        elif kind == "table":
            css = ' class="small"' if block.get("small") else ""
            prefix = "app" if block.get("appendix_table") else "tab"
            anchor = f' id="{prefix}-{block["number"]}"' if block.get("number") else ""
            out.append('<div class="table-wrap">')
            out.append(f"<table{anchor}{css}>")
            if block.get("label"):
                out.append(f'<caption><span class="label">{esc(block["label"])}</span> {esc(block["caption"])}</caption>')
            numeric = _numeric_columns(block)
            num_class = ' class="num"'
            out.append("<thead><tr>" + "".join(f"<th{num_class if numeric[j] else ''}>{esc(h)}</th>"
                                               for j, h in enumerate(block["header"])) + "</tr></thead>")
            out.append("<tbody>")
            for row in block["rows"]:
                cells = []
                for j, shown in enumerate(row):
                    num = ' class="num"' if numeric[j] else ""
                    cells.append(f"<td{num}>{esc(str(shown))}</td>")
                out.append("<tr>" + "".join(cells) + "</tr>")
            out.append("</tbody></table></div>")
            if block.get("notes"):
                out.append(f'<p class="note">{esc(block["notes"])}</p>')
    out += ["</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------- docx
def _add_seq_caption(document, word: str, number: int, caption: str):
    """Add a Word caption: ``Caption`` style, ``{ SEQ word \\* ARABIC }`` field, text."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = document.add_paragraph(style="Caption")
    paragraph.add_run(f"{word} ")
    field_element = OxmlElement("w:fldSimple")
    field_element.set(qn("w:instr"), f" SEQ {word} \\* ARABIC ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = str(number)
    run.append(text)
    field_element.append(run)
    paragraph._p.append(field_element)
    paragraph.add_run(f". {caption}")
    return paragraph


def _mark_header_row(row) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _set_language(document, language: str) -> None:
    """Set the proofing language of the whole document (fi-FI or en-GB) in the style defaults."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tag = DOCX_LANGUAGES[language]
    styles = document.styles.element
    doc_defaults = styles.find(qn("w:docDefaults"))
    if doc_defaults is None:
        doc_defaults = OxmlElement("w:docDefaults")
        styles.insert(0, doc_defaults)
    rpr_default = doc_defaults.find(qn("w:rPrDefault"))
    if rpr_default is None:
        rpr_default = OxmlElement("w:rPrDefault")
        doc_defaults.insert(0, rpr_default)
    rpr = rpr_default.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        rpr_default.append(rpr)
    for old in rpr.findall(qn("w:lang")):
        rpr.remove(old)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), tag)
    lang.set(qn("w:eastAsia"), tag)
    lang.set(qn("w:bidi"), "ar-SA")
    rpr.append(lang)
    for style_obj in document.styles:
        element = getattr(style_obj, "element", None)
        if element is None:
            continue
        style_rpr = element.find(qn("w:rPr"))
        if style_rpr is not None:
            for old in style_rpr.findall(qn("w:lang")):
                style_rpr.remove(old)


def _page_layout(section, landscape: bool) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin = section.bottom_margin = Cm(2.5)


def _add_toc(document, doc: "ReportDocument") -> None:
    """A Word TOC field (updatable in Word: F9) whose shown text is the numbered headings."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    document.add_paragraph(doc.toc_title, style="TOC Heading" if "TOC Heading" in [s.name for s in document.styles] else "Heading 1")
    entries = [e for e in doc.toc if e["level"] <= 3]
    for i, entry in enumerate(entries):
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.left_indent = Cm(0.6 * (entry["level"] - 2))
        paragraph.paragraph_format.space_after = 0
        if i == 0:
            for kind, text in (("begin", None), ("instr", ' TOC \\o "1-2" \\h \\z \\u '), ("separate", None)):
                run = OxmlElement("w:r")
                if kind == "instr":
                    instr = OxmlElement("w:instrText")
                    instr.set(qn("xml:space"), "preserve")
                    instr.text = text
                    run.append(instr)
                else:
                    fld = OxmlElement("w:fldChar")
                    fld.set(qn("w:fldCharType"), kind)
                    run.append(fld)
                paragraph._p.append(run)
        paragraph.add_run(entry["text"])
        if i == len(entries) - 1:
            run = OxmlElement("w:r")
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), "end")
            run.append(fld)
            paragraph._p.append(run)


def _new_section(document, landscape: bool) -> None:
    from docx.enum.section import WD_SECTION

    section = document.add_section(WD_SECTION.NEW_PAGE)
    _page_layout(section, landscape)


def _docx_table(document, block: dict, width_cm: float) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    table = document.add_table(rows=1 + len(block["rows"]), cols=len(block["header"]))
    table.style = document.styles[TABLE_STYLE] if TABLE_STYLE in [s.name for s in document.styles] else document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    size = Pt(7.5) if block.get("small") else Pt(9)
    numeric = _numeric_columns(block)
    # column widths in proportion to the longest word / cell, within the text width
    # Every column is at least as wide as its longest word (so no word breaks letter by letter);
    # the rest of the text width goes to the columns with long texts (quotations, sentences).
    char_cm = (0.155 if block.get("small") else 0.19) * 1.05
    minimum, extra = [], []
    for j, head in enumerate(block["header"]):
        cells = [str(r[j]) for r in block["rows"]]
        longest = max([len(w) for c in cells + [str(head)] for w in c.split()] or [1])
        mean = sum(len(c) for c in cells) / max(len(cells), 1)
        minimum.append(longest * char_cm + 0.35)
        extra.append(max(min(mean, 200) - longest, 0) + 1)
    if sum(minimum) >= width_cm:
        widths = [Cm(width_cm * m / sum(minimum)) for m in minimum]
    else:
        spare = width_cm - sum(minimum)
        widths = [Cm(m + spare * e / sum(extra)) for m, e in zip(minimum, extra)]
    table.autofit = False
    for j, column in enumerate(table.columns):  # the grid (LibreOffice reads it) and every cell (Word reads those)
        column.width = widths[j]
    for i, row in enumerate([block["header"], *block["rows"]]):
        cells = table.rows[i].cells
        for j, text in enumerate(row):
            cell = cells[j]
            cell.width = widths[j]
            cell.text = str(text)
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.space_after = 0
                if numeric[j]:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                for run in paragraph.runs:
                    run.font.size = size
                    run.bold = True if i == 0 else None
    _mark_header_row(table.rows[0])
    if block.get("notes"):
        paragraph = document.add_paragraph(style=NOTE_STYLE)
        paragraph.add_run(block["notes"])


def _ensure_styles(document) -> None:
    """The report's own paragraph styles (a publisher's template can restyle them by name)."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.shared import Pt

    names = [s.name for s in document.styles]
    if NOTE_STYLE not in names:
        note = document.styles.add_style(NOTE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
        note.base_style = document.styles["Normal"]
        note.font.size = Pt(8.5)
        note.font.italic = True
    if SOURCE_STYLE not in names:
        source = document.styles.add_style(SOURCE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
        source.base_style = document.styles["Normal"]
        source.font.size = Pt(8.5)
        source.font.italic = True
    normal = document.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(11)


def render_docx(doc: ReportDocument) -> bytes:
    """Render the document as Word (.docx) bytes an editor can work in.

    Title page, a table of contents (a Word TOC field), numbered headings in the
    ``Heading 1–3`` styles, captions in ``Caption`` with ``SEQ`` fields, table notes and
    figure sources in the styles ``Taulukon huomautus`` / ``Kuvion lähde``, tables in
    one table style with a repeated header row and right-aligned numbers, wide tables
    in landscape sections, and the document language fi-FI (en-GB in English).
    """
    from docx import Document
    from docx.enum.text import WD_BREAK
    from docx.shared import Cm

    if doc.word_template:
        # a publisher's reference document (as pandoc's --reference-doc): its styles, none of its text
        document = Document(str(doc.word_template))
        body = document.element.body
        for child in list(body):
            if not child.tag.endswith("}sectPr"):
                body.remove(child)
    else:
        document = Document()
    _page_layout(document.sections[0], landscape=False)
    _ensure_styles(document)
    _set_language(document, doc.language)
    props = document.core_properties
    props.title = doc.title
    props.author = ", ".join(doc.authors) or "Jäkälä"
    props.last_modified_by = "analysis.findings"
    props.language = DOCX_LANGUAGES[doc.language]
    props.created = props.modified = props.last_printed = FIXED_DATE
    props.revision = 1
    props.comments = doc.subtitle or ""

    # title page
    document.add_paragraph(doc.title, style="Title")
    if doc.subtitle:
        document.add_paragraph(doc.subtitle, style="Subtitle")
    for line in doc.authors:
        document.add_paragraph(line)
    if doc.period:
        document.add_paragraph(doc.period)
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    if doc.toc:
        _add_toc(document, doc)
        document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    landscape = False
    text_width = {False: 16.0, True: 24.7}
    for block in doc.blocks:
        kind = block["type"]
        wide = bool(block.get("landscape")) or (kind == "table" and (block.get("wide") or len(block["header"]) > 8))
        if wide != landscape:
            _new_section(document, wide)
            landscape = wide
        if kind == "heading":
            level = max(1, min(block["level"] - 1, 9))
            if level == 1 and block is not doc.blocks[0] and not landscape:
                document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
            document.add_heading(block["text"], level=level)
        elif kind == "paragraph":
            document.add_paragraph(block["text"], style=NOTE_STYLE if block.get("style") == "note" else None)
        elif kind == "list":
            for entry in block["items"]:
                document.add_paragraph(entry, style="List Bullet")
        elif kind == "quote":
            document.add_paragraph(_quoted(block["text"], doc.language), style="Quote")
            document.add_paragraph(f"— {block['attribution']}", style="Quote")
        elif kind == "figure":
            width = Cm(style.WIDTH_CM[block.get("width", "full")])
            document.add_picture(io.BytesIO(Path(block["png"]).read_bytes()), width=width)
            shape = document.inline_shapes[-1]
            doc_pr = shape._inline.docPr
            doc_pr.set("descr", block.get("alt") or block["label"])
            doc_pr.set("title", block["label"].rstrip("."))
            document.paragraphs[-1].paragraph_format.keep_with_next = True
            _add_seq_caption(document, block["word"], block["number"], block["caption"])
            if block.get("source"):
                document.add_paragraph(block["source"], style=SOURCE_STYLE)
        elif kind == "table":
            if block.get("label"):
                caption = _add_seq_caption(document, block["word"], block["number"], block["caption"])
                caption.paragraph_format.keep_with_next = True
            _docx_table(document, block, text_width[landscape])
    buffer = io.BytesIO()
    document.save(buffer)
    return normalise_zip(buffer.getvalue())


# ---------------------------------------------------------------------------- xlsx
def _sheet_name(label: str, table_id: str, used: set[str]) -> str:
    base = _SHEET_BAD.sub("_", f"{label.rstrip('.')} {table_id}")[:31].strip() or "Sheet"
    name, i = base, 2
    while name.lower() in used:
        suffix = f" ({i})"
        name = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(name.lower())
    return name


def render_xlsx(doc: ReportDocument) -> bytes:
    """Render every numbered table on its own sheet (caption in row 1, headers in row 2)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    props = workbook.properties
    props.creator = ", ".join(doc.authors) or "Jäkälä"
    props.lastModifiedBy = "analysis.findings"
    props.title = doc.title
    props.language = doc.language
    props.created = props.modified = FIXED_DATE
    used: set[str] = set()
    extra = {"fi": "Lisätaulukko", "en": "Extra table"}[doc.language]
    sheets = doc.numbered("table") + [b for b in doc.numbered("appendix_table") if b.get("key") is not None]
    sheets += [{**b, "label": f"{extra} {i}.", "number": i} for i, b in enumerate(doc.xlsx_only, start=1)]
    for block in sheets:
        header = block.get("xlsx_header") or block["header"]
        values_rows = block.get("xlsx_values") or block["values"]
        sheet = workbook.create_sheet(_sheet_name(block["label"], block.get("sheet_id", ""), used))
        sheet.append([f"{block['label']} {block['caption']}"])
        sheet["A1"].font = Font(bold=True)
        sheet.append(list(header))
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for values in values_rows:
            sheet.append(list(values))
        if block.get("notes"):
            sheet.append([])
            sheet.append([block["notes"]])
            sheet.cell(row=sheet.max_row, column=1).font = Font(italic=True)
        sheet.freeze_panes = "A3"
        for j, head in enumerate(header, start=1):
            lengths = [len(str(head))] + [max((len(p) for p in str(r[j - 1]).split("\n")), default=0) for r in values_rows]
            sheet.column_dimensions[get_column_letter(j)].width = min(max(lengths) + 2, 60)
            if block.get("wide"):
                for row in sheet.iter_rows(min_row=3, min_col=j, max_col=j):
                    row[0].alignment = Alignment(wrap_text=True, vertical="top")
    if not workbook.sheetnames:
        sheet = workbook.create_sheet("-")
        sheet.append(["ei taulukoita" if doc.language == "fi" else "no tables"])
    # ExcelWriter directly: openpyxl's save_workbook() stamps the current time as "modified".
    import zipfile

    from openpyxl.writer.excel import ExcelWriter

    buffer = io.BytesIO()
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    return normalise_zip(buffer.getvalue())


# ---------------------------------------------------------------------------- writing
def write_report(
    root: str | Path | None = None,
    language: str | None = "fi",
    out_dir: str | Path | None = None,
    report_config: str | Path | dict | None = None,
    joint_config: str | Path | dict | None = None,
    document: ReportDocument | None = None,
    include_runs: list[str] | None = None,
) -> dict[str, Path]:
    """Write ``findings.md``, ``findings.html``, ``findings.docx`` and ``tables.xlsx``.

    Parameters
    ----------
    root : str or Path, optional
        Workspace root (default: discovered).
    language : {"fi", "en"}, optional
        Report language; ``None`` takes it from ``config/report.yaml``.
    out_dir : str or Path, optional
        Output folder; default ``<root>/reports``. Relative paths are below ``root``
        (e.g. ``"reports/en"`` for the English report).
    report_config, joint_config : path or dict, optional
        See :func:`build_report`.
    document : ReportDocument, optional
        An already assembled document (skips :func:`build_report`).
    include_runs : list of str, optional
        A subset draft of these runs only (see :func:`build_report`).

    Returns
    -------
    dict
        ``{"md": Path, "html": Path, "docx": Path, "xlsx": Path}``.
    """
    workspace = Workspace.discover(root=root)
    if out_dir is None:
        out = workspace.reports
    else:
        out = Path(out_dir)
        out = out if out.is_absolute() else workspace.root / out
    if document is None:
        document = build_report(workspace.root, language, report_config, joint_config, include_runs=include_runs)
    rendered = {
        "md": render_markdown(document, out).encode("utf-8"),
        "html": render_html(document).encode("utf-8"),
        "docx": render_docx(document),
        "xlsx": render_xlsx(document),
    }
    names = {"md": "findings.md", "html": "findings.html", "docx": "findings.docx", "xlsx": "tables.xlsx"}
    # written to a staging folder and scanned by the leak gate first: reports/ gets them only when clean
    from analysis.privacy.gate import publish_gated

    published = publish_gated({names[fmt]: data for fmt, data in rendered.items()}, out, workspace.keys)
    return {fmt: published[names[fmt]] for fmt in rendered}
