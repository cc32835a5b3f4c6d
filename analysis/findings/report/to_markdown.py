"""Render the document as Markdown (``findings.md``); figures are linked by relative path.

Examples
--------
>>> from analysis.findings.report.document import ReportDocument
>>> doc = ReportDocument(language="en", title="Findings", subtitle=None, authors=["The team"])
>>> doc.blocks += [{"type": "heading", "level": 2, "text": "1 Data"},
...                {"type": "table", "label": "Table 1.", "caption": "Sources", "header": ["file", "rows"],
...                 "rows": [["a|b.csv", "12"]], "notes": None}]
>>> print(render_markdown(doc, "reports"))
# Findings
<BLANKLINE>
The team
<BLANKLINE>
## 1 Data
<BLANKLINE>
**Table 1.** Sources
<BLANKLINE>
| file | rows |
|---|---|
| a\\|b.csv | 12 |
<BLANKLINE>
"""

from __future__ import annotations

import os
from pathlib import Path

from analysis.findings.report.document import ReportDocument, quoted


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
            lines += [f"> {quoted(block['text'], doc.language)}", ">", f"> — {block['attribution']}", ""]
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
