"""Assemble the publication draft from every run's registry and write it in four formats.

:func:`build_report` reads the registries (:func:`analysis.findings.load_registries`),
numbers figures and tables consecutively across runs (``Kuvio 1.``, ``Taulukko 1.``),
quotes the key numbers in text, adds the quotations, a methods section generated from
what was run (:mod:`analysis.findings.methods`), the joint displays
(:mod:`analysis.findings.joint`) and a provenance appendix from
``reports/manifest.json``. The writers turn that one document into

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
from analysis.findings.registry import RunFindings, load_registries, read_manifest, read_published_table
from analysis.workspace import Workspace

#: Date written into the docx/xlsx properties (no run timestamps: reproducible files).
FIXED_DATE = _dt.datetime(2024, 3, 1, 0, 0, 0)

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
        "fi": "Jäljitettävyystietoja (reports/manifest.json) ei löytynyt: raportti on koottu ilman eräajoa.",
        "en": "No provenance manifest (reports/manifest.json) was found: the report was assembled outside the batch.",
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

    def numbered(self, block_type: str) -> list[dict]:
        """Numbered figure or table blocks, in order."""
        return [b for b in self.blocks if b["type"] == block_type and b.get("number") is not None]

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


def _table_block(df: pd.DataFrame, item: dict, config: dict, language: str) -> tuple[list[str], list[list[str]], list[list[object]]]:
    columns = list(df.columns)
    if config.get("hide_other_language_columns", True):
        other = "en" if language == "fi" else "fi"
        columns = [c for c in columns if not (c.endswith(f"_{other}") and f"{c[: -len(other)]}{language}" in df.columns)]
    labels = item.get("column_labels") or {}
    header = [
        (labels.get(c) or config["columns"].get(c) or {}).get(language, c) for c in columns
    ]
    value_columns = set(config.get("value_columns") or [])
    rows, values = [], []
    for record in df[columns].itertuples(index=False, name=None):
        shown, typed = [], []
        for column, cell in zip(columns, record):
            if column in value_columns and cell in style.ROLE_LABELS:
                label = style.role_label(cell, language)
                shown.append(label)
                typed.append(label)
            else:
                shown.append(_display_cell(cell, language))
                typed.append(_typed_cell(cell))
        rows.append(shown)
        values.append(typed)
    return header, rows, values


def _run_excluded(run: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(run, str(p)) for p in patterns)


def _quoted(text: str, language: str) -> str:
    """Put quotation marks around ``text``: ”…” in Finnish, “…” in English."""
    return f"”{text}”" if language == "fi" else f"“{text}”"


def _quote_attribution(item: dict, language: str) -> str:
    return f"{item['speaker']} ({style.role_label(item['role'], language)}), {item['source']}"


def _provenance_blocks(manifest: dict, language: str) -> list[dict]:
    t = {k: v[language] for k, v in APPENDIX.items()}
    if not manifest:
        return [{"type": "paragraph", "text": t["no_manifest"]}]
    blocks = []
    git = manifest.get("git") or {}
    commit = git.get("commit") or "–"
    blocks.append({"type": "paragraph", "text": f"{t['commit']}: {commit}" + (f" ({t['dirty']})." if git.get("dirty") else ".")})
    runs = manifest.get("runs") or {}
    run_rows, input_rows, seen = [], [], set()
    for name, info in runs.items():
        if not isinstance(info, dict):
            continue
        params = json.dumps(info.get("parameters") or {}, ensure_ascii=False, sort_keys=True)
        run_rows.append([name, str(info.get("notebook", "")), str(info.get("status", "")), params, str(info.get("fingerprint") or "")])
        for path, digest in sorted((info.get("inputs") or {}).items()):
            if (path, digest) not in seen:
                seen.add((path, digest))
                input_rows.append([path, str(digest)])
    if run_rows:
        blocks.append({"type": "heading", "level": 3, "text": t["runs"]})
        header = [t["run"], t["notebook"], t["status"], t["parameters"], t["fingerprint"]]
        blocks.append({"type": "table", "number": None, "label": None, "caption": None, "header": header,
                       "rows": run_rows, "values": run_rows, "notes": None, "key": None, "small": True})
    if input_rows:
        blocks.append({"type": "heading", "level": 3, "text": t["inputs"]})
        blocks.append({"type": "table", "number": None, "label": None, "caption": None, "header": [t["file"], t["sha256"]],
                       "rows": input_rows, "values": input_rows, "notes": None, "key": None, "small": True})
    return blocks


def build_report(
    root: str | Path | None = None,
    language: str | None = None,
    report_config: str | Path | dict | None = None,
    joint_config: str | Path | dict | None = None,
    runs: list[RunFindings] | None = None,
) -> ReportDocument:
    """Assemble the publication draft from every run's registry.

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
    if not isinstance(joint_config, dict):
        joint_path = workspace.resolve_config(joint_config or "config/joint_displays.yaml")
        joint_config = load_joint_config(joint_path) if (joint_config or joint_path.is_file()) else None
    if runs is None:
        runs = load_registries(workspace.root)
    runs = [r for r in runs if not _run_excluded(r.run, config["exclude_runs"])]
    manifest = read_manifest(workspace.root)
    if not manifest.get("runs"):
        # No batch manifest: use the order of the runs in report.yaml, then the file order.
        order = {name: i for i, name in enumerate(config["runs"])}
        runs = sorted(runs, key=lambda r: order.get(r.run, len(order)))
    labels = {k: v[language] if isinstance(v, dict) else v for k, v in config["labels"].items()}
    sections = {k: v[language] for k, v in config["sections"].items()}
    doc = ReportDocument(
        language=language,
        title=config["title"][language],
        subtitle=(config.get("subtitle") or {}).get(language) if isinstance(config.get("subtitle"), dict) else config.get("subtitle"),
        authors=list(config["authors"]) + list(config["organisations"]),
    )
    counters = {"figure": 0, "table": 0}

    def numbered(kind: str) -> tuple[int, str]:
        counters[kind] += 1
        return counters[kind], f"{labels[kind]} {counters[kind]}."

    # Joint displays first (in memory), so their quotations are not repeated in the results.
    joint = None
    claimed: set[tuple[str, str]] = set()
    if joint_config is not None:
        joint = build_joint_display(runs, workspace.root, joint_config)
        for quotes in joint["quotes"]:
            claimed.update(quotes)

    # --- methods
    doc.blocks.append({"type": "heading", "level": 2, "text": sections["methods"]})
    doc.blocks.extend(build_methods(runs, workspace.root, language, manifest))

    # --- results, run by run
    doc.blocks.append({"type": "heading", "level": 2, "text": sections["results"]})
    quotes_by_key: dict[tuple[str, str], dict] = {}
    for findings in runs:
        title = (config["runs"].get(findings.run) or {}).get(language, findings.run)
        doc.blocks.append({"type": "heading", "level": 3, "text": title})
        if findings.status == "failed":
            doc.blocks.append({"type": "paragraph", "style": "note", "text": labels["failed_run"].format(run=findings.run)})
            continue
        for item in findings.items:
            key = (findings.run, item["kind"], item["id"])
            kind = item["kind"]
            if kind == "figure":
                number, label = numbered("figure")
                source = item.get("source")
                doc.blocks.append(
                    {
                        "type": "figure",
                        "number": number,
                        "label": label,
                        "word": labels["figure"],
                        "caption": item["caption"][language],
                        "source": f"{labels['source']}: {source[language]}" if source else None,
                        "png": workspace.root / item["files"]["png"],
                        "width": item.get("width", "full"),
                        "key": key,
                    }
                )
            elif kind == "table":
                number, label = numbered("table")
                df = read_published_table(workspace.root, item)
                header, rows, values = _table_block(df, item, config, language)
                notes = [item["notes"][language]] if item.get("notes") else []
                if item.get("suppressed") and any((item.get("n_suppressed") or {"primary": 1}).values()):
                    note = (item.get("suppression_note") or {}).get(language)
                    notes.append(note or labels["suppressed"].format(k=item.get("min_cell_size", findings.min_cell_size)))
                elif item.get("count_columns"):
                    notes.append(labels["not_suppressed"])
                doc.blocks.append(
                    {
                        "type": "table",
                        "number": number,
                        "label": label,
                        "word": labels["table"],
                        "caption": item["caption"][language],
                        "header": header,
                        "rows": rows,
                        "values": values,
                        "notes": " ".join(notes) or None,
                        "key": key,
                        "sheet_id": item["id"],
                    }
                )
            elif kind == "number":
                doc.blocks.append({"type": "paragraph", "text": item["text"][language], "key": key})
            elif kind == "quote":
                quotes_by_key[(findings.run, item["id"])] = item
                if (findings.run, item["id"]) in claimed:
                    continue
                doc.blocks.append(
                    {"type": "quote", "text": item["text"], "attribution": _quote_attribution(item, language), "key": key}
                )
            elif kind == "note":
                doc.blocks.append({"type": "paragraph", "style": "note", "text": item["text"][language], "key": key})
            # methods paragraphs are in the methods section

    # --- joint displays
    if joint is not None:
        doc.blocks.append({"type": "heading", "level": 2, "text": sections["joint"]})
        t = {k: v[language] for k, v in JOINT_TEXT.items()}
        header = [t["theme"], t["work_package"], t["survey"], t["prevalence"], t["trend"], t["quotes"]]
        rows = []
        for row in joint.itertuples(index=False):
            quote_texts = []
            for run, quote_id in row.quotes:
                item = quotes_by_key.get((run, quote_id))
                if item is not None:
                    quote_texts.append(f"{_quoted(item['text'], language)} — {_quote_attribution(item, language)}")
            rows.append(
                [
                    getattr(row, f"label_{language}"),
                    row.work_package,
                    getattr(row, f"survey_{language}"),
                    getattr(row, f"prevalence_{language}"),
                    getattr(row, f"trend_{language}"),
                    "\n".join(quote_texts) or labels["no_data"],
                ]
            )
        number, label = numbered("table")
        doc.blocks.append(
            {
                "type": "table",
                "number": number,
                "label": label,
                "word": labels["table"],
                "caption": joint_config["caption"][language],
                "header": header,
                "rows": rows,
                "values": rows,
                "notes": (joint_config.get("notes") or {}).get(language),
                "key": ("joint", "table", "joint_display"),
                "sheet_id": "joint_display",
                "wide": True,
            }
        )

    # --- appendix
    doc.blocks.append({"type": "heading", "level": 2, "text": sections["appendix"]})
    doc.blocks.extend(_provenance_blocks(manifest, language))
    return doc


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
            lines += [f"![{block['label'].rstrip('.')}]({rel})", "", f"**{block['label']}** {block['caption']}", ""]
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


# ---------------------------------------------------------------------------- html
_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;font-size:11pt;line-height:1.45;color:#222;max-width:17cm;margin:2em auto;padding:0 1em}
h1{font-size:18pt}h2{font-size:14pt;margin-top:1.6em}h3{font-size:12pt}
figure{margin:1.5em 0}figure img{max-width:100%;height:auto;display:block}
figcaption,caption{font-size:10pt;text-align:left;margin:.4em 0}
.label{font-weight:bold}.source,.note{font-size:9pt;font-style:italic;color:#444}
table{border-collapse:collapse;margin:1em 0;font-size:9.5pt}
th,td{border:1px solid #bbb;padding:.25em .5em;vertical-align:top;white-space:pre-line}
th{background:#eef3f8}table.small{font-size:8pt}td.num{text-align:right}
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
        f"<h1>{esc(doc.title)}</h1>",
    ]
    if doc.subtitle:
        out.append(f'<p class="note">{esc(doc.subtitle)}</p>')
    if doc.authors:
        out.append(f"<p>{esc(', '.join(doc.authors))}</p>")
    for block in doc.blocks:
        kind = block["type"]
        if kind == "heading":
            out.append(f"<h{block['level']}>{esc(block['text'])}</h{block['level']}>")
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
            out.append(f'<img src="data:image/png;base64,{data}" alt="{html.escape(block["label"].rstrip("."), quote=True)}" style="width:{width:g}cm">')
            out.append(f'<figcaption><span class="label">{esc(block["label"])}</span> {esc(block["caption"])}</figcaption>')
            if block.get("source"):
                out.append(f'<p class="source">{esc(block["source"])}</p>')
            out.append("</figure>")
        elif kind == "table":
            css = ' class="small"' if block.get("small") else ""
            anchor = f' id="tab-{block["number"]}"' if block.get("number") else ""
            out.append(f"<table{anchor}{css}>")
            if block.get("label"):
                out.append(f'<caption><span class="label">{esc(block["label"])}</span> {esc(block["caption"])}</caption>')
            out.append("<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in block["header"]) + "</tr></thead>")
            out.append("<tbody>")
            for row, values in zip(block["rows"], block["values"]):
                cells = []
                for shown, value in zip(row, values):
                    num = ' class="num"' if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
                    cells.append(f"<td{num}>{esc(str(shown))}</td>")
                out.append("<tr>" + "".join(cells) + "</tr>")
            out.append("</tbody></table>")
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


def render_docx(doc: ReportDocument) -> bytes:
    """Render the document as Word (.docx) bytes with real captions and table styles."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin = section.bottom_margin = Cm(2.5)
    props = document.core_properties
    props.title = doc.title
    props.author = ", ".join(doc.authors) or "Jäkälä"
    props.last_modified_by = "analysis.findings"
    props.language = doc.language
    props.created = props.modified = props.last_printed = FIXED_DATE
    props.revision = 1
    props.comments = doc.subtitle or ""

    document.add_heading(doc.title, level=0)
    if doc.subtitle:
        document.add_paragraph(doc.subtitle, style="Subtitle")
    if doc.authors:
        document.add_paragraph(", ".join(doc.authors))
    for block in doc.blocks:
        kind = block["type"]
        if kind == "heading":
            document.add_heading(block["text"], level=min(block["level"] - 1, 9) or 1)
        elif kind == "paragraph":
            paragraph = document.add_paragraph()
            run = paragraph.add_run(block["text"])
            if block.get("style") == "note":
                run.italic = True
        elif kind == "list":
            for entry in block["items"]:
                document.add_paragraph(entry, style="List Bullet")
        elif kind == "quote":
            document.add_paragraph(_quoted(block["text"], doc.language), style="Quote")
            document.add_paragraph(f"— {block['attribution']}", style="Quote")
        elif kind == "figure":
            width = Cm(style.WIDTH_CM[block.get("width", "full")])
            document.add_picture(io.BytesIO(Path(block["png"]).read_bytes()), width=width)
            _add_seq_caption(document, block["word"], block["number"], block["caption"])
            if block.get("source"):
                run = document.add_paragraph().add_run(block["source"])
                run.italic = True
                run.font.size = Pt(9)
        elif kind == "table":
            if block.get("label"):
                _add_seq_caption(document, block["word"], block["number"], block["caption"])
            table = document.add_table(rows=1 + len(block["rows"]), cols=len(block["header"]))
            try:
                table.style = document.styles["Light Grid Accent 1"]
            except KeyError:
                table.style = document.styles["Table Grid"]
            table.alignment = WD_TABLE_ALIGNMENT.LEFT
            size = Pt(7.5) if block.get("small") else Pt(9)
            for j, text in enumerate(block["header"]):
                cell = table.rows[0].cells[j]
                cell.text = str(text)
                for run in cell.paragraphs[0].runs:
                    run.bold = True
                    run.font.size = size
            _mark_header_row(table.rows[0])
            for i, row in enumerate(block["rows"], start=1):
                cells = table.rows[i].cells
                for j, text in enumerate(row):
                    cells[j].text = str(text)
                    for paragraph in cells[j].paragraphs:
                        for run in paragraph.runs:
                            run.font.size = size
            if block.get("notes"):
                run = document.add_paragraph().add_run(block["notes"])
                run.italic = True
                run.font.size = Pt(9)
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
    for block in doc.numbered("table"):
        sheet = workbook.create_sheet(_sheet_name(block["label"], block.get("sheet_id", ""), used))
        sheet.append([f"{block['label']} {block['caption']}"])
        sheet["A1"].font = Font(bold=True)
        sheet.append(list(block["header"]))
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for values in block["values"]:
            sheet.append(list(values))
        if block.get("notes"):
            sheet.append([])
            sheet.append([block["notes"]])
            sheet.cell(row=sheet.max_row, column=1).font = Font(italic=True)
        sheet.freeze_panes = "A3"
        for j, header in enumerate(block["header"], start=1):
            lengths = [len(str(header))] + [max((len(p) for p in str(r[j - 1]).split("\n")), default=0) for r in block["rows"]]
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
        document = build_report(workspace.root, language, report_config, joint_config)
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
