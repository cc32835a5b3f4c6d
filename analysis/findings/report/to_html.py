"""Render the document as one self-contained HTML page (``findings.html``).

Images are embedded as base64 data URIs and the CSS is inline, so the file can be
mailed or archived alone; headings carry anchors for the table of contents, numeric
columns are right-aligned.

Examples
--------
>>> from analysis.findings.report.document import ReportDocument
>>> doc = ReportDocument(language="fi", title="Tulokset", subtitle=None, authors=[])
>>> doc.blocks.append({"type": "quote", "text": "Ei me tiedetä", "attribution": "SO 2 (sosiaaliohjaaja), W01"})
>>> [line for line in render_html(doc).splitlines() if line.startswith("<blockquote>")]
['<blockquote><p>”Ei me tiedetä”</p><footer>— SO 2 (sosiaaliohjaaja), W01</footer></blockquote>']
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from analysis.findings import style
from analysis.findings.report.document import ReportDocument, numeric_columns, quoted

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
                f"<blockquote><p>{esc(quoted(block['text'], doc.language))}</p>"
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
            numeric = numeric_columns(block)
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
