"""Assemble the publication draft (a :class:`~analysis.findings.report.document.ReportDocument`) from every run's registry.

:func:`build_report` reads the registries (:func:`analysis.findings.load_registries`),
numbers figures and tables consecutively across runs (``Kuvio 1.``, ``Taulukko 1.``),
quotes the key numbers in text, adds the quotations, a methods section generated from
what was run (:mod:`analysis.findings.methods`), the joint displays
(:mod:`analysis.findings.joint`) and a provenance appendix from ``reports/provenance.json``
(:mod:`~analysis.findings.report.provenance`). Titles, texts and the layout rules come
from ``config/report.yaml`` (:mod:`~analysis.findings.report.config`).

Examples
--------
>>> doc = build_report("/path/to/workspace", "en")   # doctest: +SKIP
>>> doc.summary().head(2)                             # doctest: +SKIP
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

from analysis.errors import ConfigError
from analysis.findings import style
from analysis.findings.joint import TEXT as JOINT_TEXT
from analysis.findings.joint import build_joint_display, load_joint_config
from analysis.findings.methods import build_methods
from analysis.findings.registry import RunFindings, load_registries, read_provenance, read_published_table
from analysis.findings.report.cells import (
    EXTRA_LABELS,
    display_columns,
    header_text,
    load_extra_labels,
    project_vocabulary,
    reading_vocabulary_once,
    table_block,
    translate_value,
    translate_words,
    typed_cell,
)
from analysis.findings.report.config import resolve_report_config
from analysis.findings.report.document import ReportDocument, quoted
from analysis.findings.report.provenance import provenance_blocks, provenance_sheets
from analysis.workspace import Workspace


def _run_excluded(run: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(run, str(p)) for p in patterns)


def _quote_attribution(item: dict, language: str) -> str:
    return f"{item['speaker']} ({style.role_label(item['role'], language)}), {item['source']}"


def _matches(key: str, patterns) -> bool:
    return any(fnmatch.fnmatchcase(key, str(p)) for p in (patterns or []))


def _pattern_value(key: str, mapping: dict):
    for pattern, value in (mapping or {}).items():
        if fnmatch.fnmatchcase(key, str(pattern)):
            return value
    return None


def _numbers_text(numbers: list[int], language: str, and_word: str) -> str:
    """``[1, 2, 3, 5]`` → ``"1–3 ja 5"``.

    Examples
    --------
    >>> _numbers_text([1, 2, 3, 5], "fi", "ja"), _numbers_text([4, 5], "en", "and"), _numbers_text([7], "fi", "ja")
    ('1–3 ja 5', '4, 5', '7')
    """
    spans, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            spans.append(f"{start}–{n}" if n > start + 1 else (f"{start}, {n}" if n == start + 1 else str(n)))
            start = None
    return spans[0] if len(spans) == 1 else ", ".join(spans[:-1]) + f" {and_word} " + spans[-1]


def _number_headings(blocks: list[dict]) -> list[dict]:
    """Number the headings of levels 2–4 (``1``, ``1.2``, ``1.2.3``); appendix headings keep their names.

    Changes the headings in place and returns the table of contents (levels 2–3).

    Examples
    --------
    >>> blocks = [{"type": "heading", "level": 2, "text": "Menetelmät"}, {"type": "heading", "level": 3, "text": "Aineistot"},
    ...           {"type": "paragraph", "text": "..."}, {"type": "heading", "level": 2, "text": "Liitteet", "appendix": True}]
    >>> [entry["text"] for entry in _number_headings(blocks)]
    ['1 Menetelmät', '1.1 Aineistot', 'Liitteet']
    """
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


@dataclass
class _Assembly:
    """What the blocks of every run share while one draft is assembled.

    The texts in the report's language, the running numbers of figures, tables and
    appendix tables, and what goes elsewhere: the detailed tables of Appendix 1, the
    tables published only in ``tables.xlsx`` and the quotations (for the joint display).
    """

    workspace: Workspace
    config: dict
    language: str
    doc: ReportDocument
    claimed: set[tuple[str, str]] = field(default_factory=set)
    counters: dict[str, int] = field(default_factory=lambda: {"figure": 0, "table": 0, "appendix": 0})
    appendix_blocks: list[dict] = field(default_factory=list)
    xlsx_blocks: list[dict] = field(default_factory=list)
    quotes_by_key: dict[tuple[str, str], dict] = field(default_factory=dict)
    labels: dict[str, str] = field(init=False)
    run_titles: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.labels = {k: v[self.language] for k, v in self.config["labels"].items()}
        self.run_titles = {name: text[self.language] for name, text in self.config["runs"].items()}

    def numbered(self, kind: str) -> tuple[int, str]:
        """The next number of a ``"figure"``, ``"table"`` or ``"appendix"`` table, and its label."""
        self.counters[kind] += 1
        word = self.labels["appendix_table"] if kind == "appendix" else self.labels[kind]
        return self.counters[kind], f"{word} {self.counters[kind]}."

    def run_blocks(self, findings: RunFindings) -> list[dict]:
        """The blocks of one run's findings, with tables split into body and appendix."""
        labels, language = self.labels, self.language
        out: list[dict] = []
        if findings.status == "failed":
            out.append({"type": "paragraph", "style": "note", "text": labels["failed_run"].format(run=self.run_titles.get(findings.run, findings.run))})
            return out
        shown_quotes: dict[str, int] = {}
        for item in findings.items:
            key = (findings.run, item["kind"], item["id"])
            kind = item["kind"]
            item_key = f"{findings.run}/{item['id']}"
            if kind == "figure":
                if _matches(item_key, self.config["xlsx_only"]):
                    continue
                out.append(self._figure_block(item, key))
            elif kind == "table":
                out.extend(self._table_blocks(findings, item, key))
            elif kind == "number":
                out.append({"type": "paragraph", "text": item["text"][language], "key": key})
            elif kind == "quote":
                self.quotes_by_key[(findings.run, item["id"])] = item
                if (findings.run, item["id"]) in self.claimed:
                    continue
                theme = item.get("code") or item["id"].rsplit("_", 1)[0]
                shown_quotes[theme] = shown_quotes.get(theme, 0) + 1
                quotes_per_theme = self.config["quotes_per_theme"]
                if quotes_per_theme is not None and shown_quotes[theme] > quotes_per_theme:
                    continue
                out.append({"type": "quote", "text": item["text"], "attribution": _quote_attribution(item, language), "key": key})
            elif kind == "note":
                out.append({"type": "paragraph", "style": "note", "text": item["text"][language], "key": key})
            elif kind == "methods" and _matches(f"{findings.run}/{item['id']}", self.config["results_paragraphs"]):
                out.append({"type": "paragraph", "text": item["text"][language], "key": (findings.run, "methods", item["id"])})
        return _with_references(out, labels, language)

    def _figure_block(self, item: dict, key: tuple[str, str, str]) -> dict:
        labels, language = self.labels, self.language
        number, label = self.numbered("figure")
        source = item.get("source")
        caption = item["caption"][language]
        return {
            "type": "figure", "number": number, "label": label, "word": labels["figure"],
            "caption": caption, "alt": f"{label} {caption}",
            "source": f"{labels['source']}: {source[language]}" if source else None,
            "png": self.workspace.root / _figure_file(item, language), "width": item.get("width", "full"),
            "key": key,
        }

    def _table_blocks(self, findings: RunFindings, item: dict, key: tuple[str, str, str]) -> list[dict]:
        """A published table: in the body (compact or whole), in Appendix 1 or only in ``tables.xlsx``.

        Returns the blocks for the run's text; the appendix and workbook copies are
        collected in :attr:`appendix_blocks` and :attr:`xlsx_blocks`.
        """
        config, labels, language = self.config, self.labels, self.language
        body = config["body"]
        max_rows, max_columns, appendix_max_rows = body["max_rows"], body["max_columns"], body["appendix_max_rows"]
        item_key = f"{findings.run}/{item['id']}"
        df = read_published_table(self.workspace.root, item)
        notes = [item["notes"][language]] if item.get("notes") else []
        if item.get("suppressed") and any((item.get("n_suppressed") or {"primary": 1}).values()):
            note = (item.get("suppression_note") or {}).get(language)
            notes.append(note or labels["suppressed"].format(k=item.get("min_cell_size", findings.min_cell_size)))
        elif item.get("count_columns") and not item.get("suppressed"):  # suppression found nothing to hide: no note
            notes.append(labels["not_suppressed"])
        caption = item["caption"][language]
        base = {"caption": caption, "key": key, "sheet_id": item["id"], "notes": " ".join(notes) or None}
        for column in set(config["verbatim_columns"]) & set(df.columns):
            self.doc.verbatim.update(str(v) for v in df[column].dropna())
        full_header, full_rows, full_values = table_block(df, item, config, language, item_key)
        if len(full_header) > max_columns:  # wide detailed tables: the statistics without the sentence columns
            slim = [c for c in display_columns(df, config, language, None) if not re.match(r"^apa_(fi|en)$", c)]
            full_header, full_rows, full_values = table_block(df, item, config, language, item_key, columns=slim)
        xlsx_header = [header_text(c, item_key, item, config, language, False) for c in df.columns]
        xlsx_values = [[typed_cell(c) if isinstance(typed_cell(c), (int, float)) else
                        (translate_value(str(c), language) if c is not None and str(c) != "" else None) for c in row]
                       for row in df.itertuples(index=False, name=None)]
        if _matches(item_key, config["xlsx_only"]):
            self.xlsx_blocks.append({**base, "type": "table", "header": xlsx_header, "rows": xlsx_values, "values": xlsx_values})
            return []
        compact = _pattern_value(item_key, body["columns"])
        fits = len(full_rows) <= max_rows and len(full_header) <= max_columns
        appendix_number = None
        if not fits and not compact and len(full_rows) > appendix_max_rows:
            self.xlsx_blocks.append({**base, "type": "table", "header": xlsx_header, "rows": xlsx_values, "values": xlsx_values})
            return [{"type": "xlsx_ref", "caption": caption}]
        if compact or not fits:
            appendix_number, appendix_label = self.numbered("appendix")
            self.appendix_blocks.append(
                {**base, "type": "table", "number": appendix_number, "label": appendix_label,
                 "word": labels["appendix_table"], "appendix_table": True, "header": full_header, "rows": full_rows, "values": full_values,
                 "xlsx_header": xlsx_header, "xlsx_values": xlsx_values, "key": key if not compact else None,
                 "wide": len(full_header) > max_columns, "small": len(full_header) > max_columns}
            )
        if compact and len(full_rows) <= 4 * max_rows:
            header, rows, values = table_block(df, item, config, language, item_key, columns=list(compact))
            number, label = self.numbered("table")
            body_notes = " ".join(n for n in [base["notes"], labels["full_table"].format(n=appendix_number)] if n)
            return [
                {**base, "type": "table", "number": number, "label": label, "word": labels["table"],
                 "header": header, "rows": rows, "values": values, "notes": body_notes,
                 "xlsx_header": xlsx_header, "xlsx_values": xlsx_values}
            ]
        if fits:
            number, label = self.numbered("table")
            return [
                {**base, "type": "table", "number": number, "label": label, "word": labels["table"],
                 "header": full_header, "rows": full_rows, "values": full_values,
                 "xlsx_header": xlsx_header, "xlsx_values": xlsx_values}
            ]
        return [{"type": "appendix_ref", "number": appendix_number}]


def _methods_blocks(assembly: _Assembly, runs: list[RunFindings], method_runs: list[RunFindings], provenance: dict,
                    subset: bool) -> list[dict]:
    """The Methods: generated from what was run, with the data-quality and coding-reliability runs inside."""
    workspace, language = assembly.workspace, assembly.language
    methods_blocks = build_methods(runs, workspace.root, language, provenance, skip=assembly.config["results_paragraphs"],
                                   description=_data_description(workspace, language), subset=subset)
    # the data-quality run after the data, the coding reliability after the text processing
    for findings in method_runs:
        blocks = [{"type": "heading", "level": 3, "text": assembly.run_titles.get(findings.run, findings.run)}] + assembly.run_blocks(findings)
        anchor = "instruments" if findings.run.startswith("data_quality") else "text"
        at = next((i for i, b in enumerate(methods_blocks) if b.get("section") == anchor), None)
        if at is None:
            methods_blocks.extend(blocks)
        else:
            end = next((j for j in range(at + 1, len(methods_blocks)) if methods_blocks[j]["type"] == "heading"), len(methods_blocks))
            methods_blocks[end:end] = blocks
    return methods_blocks


def _results_blocks(assembly: _Assembly, result_runs: list[RunFindings], subset: bool) -> list[dict]:
    """The Results, by the publication's questions (``results`` of the config); other runs after them."""
    out: list[dict] = []
    placed: set[str] = set()
    for spec in ([] if subset else assembly.config["results"]):
        members = [r for r in result_runs if r.run not in placed and _run_excluded(r.run, spec["runs"])]
        if not members:
            continue
        out.append({"type": "heading", "level": 3, "text": spec["title"][assembly.language]})
        for findings in members:
            placed.add(findings.run)
            out.extend(assembly.run_blocks(findings))
    for findings in result_runs:
        if findings.run in placed:
            continue
        out.append({"type": "heading", "level": 3, "text": assembly.run_titles.get(findings.run, findings.run)})
        out.extend(assembly.run_blocks(findings))
    return out


def _joint_blocks(assembly: _Assembly, joint, joint_config: dict, heading: str) -> list[dict]:
    """The joint display: a landscape page with its heading, a sentence and one wide table."""
    labels, language = assembly.labels, assembly.language
    out: list[dict] = [{"type": "heading", "level": 2, "text": heading, "landscape": True}]
    t = {k: v[language] for k, v in JOINT_TEXT.items()}
    header = [t["theme"], t["work_package"], t["survey"], t["prevalence"], t["trend"], t["quotes"]]
    rows = []
    for row in joint.itertuples(index=False):
        quote_texts = []
        for run, quote_id in list(row.quotes)[:1]:  # one quotation per theme keeps the table readable
            item = assembly.quotes_by_key.get((run, quote_id))
            if item is not None:
                quote_texts.append(f"{quoted(item['text'], language)} — {_quote_attribution(item, language)}")
        package = row.work_package
        rows.append(
            [
                getattr(row, f"label_{language}"),
                project_vocabulary().label(package, language) if isinstance(package, str) and package else "–",
                translate_words(getattr(row, f"survey_{language}"), language),
                getattr(row, f"prevalence_{language}"),
                translate_words(getattr(row, f"trend_{language}"), language),
                "\n".join(quote_texts) or labels["no_data"],
            ]
        )
    number, label = assembly.numbered("table")
    out.append({"type": "paragraph", "text": labels["refer_only_table"].format(numbers=number) + ".", "landscape": True})
    out.append(
        {
            "type": "table", "number": number, "label": label, "word": labels["table"],
            "caption": joint_config["caption"][language], "header": header, "rows": rows, "values": rows,
            "notes": (joint_config.get("notes") or {}).get(language), "key": ("joint", "table", "joint_display"),
            "sheet_id": "joint_display", "wide": True,
        }
    )
    return out


def _appendix_blocks(assembly: _Assembly, sections: dict, provenance: dict) -> list[dict]:
    """The appendices, in landscape (the detailed tables are wide): Appendix 1 tables, Appendix 2 provenance."""
    out: list[dict] = [{"type": "heading", "level": 2, "text": sections["appendices"], "appendix": True}]
    if assembly.appendix_blocks:
        out.append({"type": "heading", "level": 3, "text": sections["appendix_tables"], "appendix": True})
        out.extend(assembly.appendix_blocks)
    out.append({"type": "heading", "level": 3, "text": sections["appendix"], "appendix": True})
    out.extend(provenance_blocks(provenance, assembly.language, assembly.run_titles))
    for block in out:
        block["landscape"] = True
    return out


def _translate_blocks(blocks: list[dict], language: str) -> None:
    """Coded words left in the texts and table cells in the vocabulary's words (quotations stay as said)."""
    for block in blocks:
        for field_name in ("text", "caption", "alt", "notes"):
            if isinstance(block.get(field_name), str) and block["type"] != "quote":
                block[field_name] = translate_words(block[field_name], language)
        if block["type"] == "list":
            block["items"] = [translate_words(t, language) for t in block["items"]]
        if block["type"] == "table" and block.get("key") != ("joint", "table", "joint_display"):
            block["rows"] = [[translate_words(c, language) if isinstance(c, str) else c for c in row] for row in block["rows"]]


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
        A report configuration given as a mapping is validated like the file
        (:func:`~analysis.findings.report.config.check_report_config`): every key is required.
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
    with reading_vocabulary_once():  # every cell looks its labels up: read the vocabulary once
        return _build_report(root, language, report_config, joint_config, runs, include_runs)


def _build_report(root, language, report_config, joint_config, runs, include_runs) -> ReportDocument:
    """:func:`build_report`, with the vocabulary read once."""
    workspace = Workspace.discover(root=root)
    config = resolve_report_config(workspace, report_config)
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
    provenance = read_provenance(workspace.root)
    EXTRA_LABELS.clear()
    EXTRA_LABELS.update(load_extra_labels(workspace))
    if not provenance.get("runs"):
        # No provenance record: use the order of the runs in report.yaml, then the file order.
        order = {name: i for i, name in enumerate(config["runs"])}
        runs = sorted(runs, key=lambda r: order.get(r.run, len(order)))
    labels = {k: v[language] for k, v in config["labels"].items()}
    sections = {k: v[language] for k, v in config["sections"].items()}
    run_titles = {name: text[language] for name, text in config["runs"].items()}
    subtitle = config["subtitle"][language] if isinstance(config["subtitle"], dict) else config["subtitle"]
    if subset:
        names = ", ".join(run_titles.get(r.run, r.run) if r.run in run_titles else r.run for r in runs)
        subtitle = labels["draft_of_subset"].format(runs=names)
    doc = ReportDocument(
        language=language,
        title=config["title"][language],
        subtitle=subtitle,
        authors=[a.get(language, next(iter(a.values()))) if isinstance(a, dict) else str(a)
                 for a in list(config["authors"]) + list(config["organisations"])],
    )
    if config["word_template"]:
        template = workspace.resolve_config(config["word_template"])
        if not template.is_file():
            raise ConfigError("the Word template is missing", file=template, location="word_template",
                              hint="Point word_template at a .docx whose styles the draft should use, or remove the key.")
        doc.word_template = template
    project = project_vocabulary().project
    if project.get("start") and project.get("end"):
        doc.period = f"{labels['period']}: {_month(project['start'], language)}–{_month(project['end'], language)}"

    # Joint displays first (in memory), so their quotations are not repeated in the results.
    joint = None
    claimed: set[tuple[str, str]] = set()
    if joint_config is not None:
        joint = build_joint_display(runs, workspace.root, joint_config)
        for quotes in joint["quotes"]:
            claimed.update(quotes)
    assembly = _Assembly(workspace, config, language, doc, claimed)

    # --- methods (data quality and coding reliability are part of them)
    method_runs = [] if subset else [r for r in runs if _run_excluded(r.run, config["methods_runs"])]
    result_runs = [r for r in runs if r not in method_runs]
    doc.blocks.append({"type": "heading", "level": 2, "text": sections["methods"]})
    doc.blocks.extend(_methods_blocks(assembly, runs, method_runs, provenance, subset))
    # --- results, by the publication's questions
    doc.blocks.append({"type": "heading", "level": 2, "text": sections["results"]})
    doc.blocks.extend(_results_blocks(assembly, result_runs, subset))
    # --- joint displays (a landscape page with its heading)
    if joint is not None:
        doc.blocks.extend(_joint_blocks(assembly, joint, joint_config, sections["joint"]))
    # --- appendices
    doc.blocks.extend(_appendix_blocks(assembly, sections, provenance))
    _translate_blocks(doc.blocks, language)
    doc.xlsx_only = assembly.xlsx_blocks + provenance_sheets(provenance, language)
    doc.toc_title = sections["contents"]
    doc.toc = _number_headings(doc.blocks)
    return doc


def _with_references(blocks: list[dict], labels: dict, language: str) -> list[dict]:
    """Open a run's blocks with a sentence that names its figures and tables (the text refers to each).

    Examples
    --------
    >>> from analysis.findings.report.config import load_report_config
    >>> labels = {key: text["en"] for key, text in load_report_config()["labels"].items()}
    >>> blocks = [{"type": "figure", "number": 2}, {"type": "table", "number": 3}, {"type": "table", "number": 4}]
    >>> _with_references(blocks, labels, "en")[0]["text"]
    'The results are shown in Figure 2 and Tables 3, 4.'
    """
    figures = [b["number"] for b in blocks if b["type"] == "figure"]
    tables = [b["number"] for b in blocks if b["type"] == "table" and b.get("number")]
    appendix = [b["number"] for b in blocks if b["type"] == "appendix_ref"]
    in_xlsx = [b["caption"] for b in blocks if b["type"] == "xlsx_ref"]
    blocks = [b for b in blocks if b["type"] not in ("appendix_ref", "xlsx_ref")]
    and_word = labels["and"]
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


_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")


def _month(date: str, language: str) -> str:
    """A month as the title page shows it: ``3/2024`` in Finnish, ``March 2024`` in English.

    Examples
    --------
    >>> _month("2024-03-01", "fi"), _month("2024-03-01", "en")
    ('3/2024', 'March 2024')
    """
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
