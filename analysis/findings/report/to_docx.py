"""Render the document as Word (``findings.docx``) an editor can work in.

Captions in the ``Caption`` style with ``SEQ`` fields (Word can renumber them and build a
list of figures), a table of contents field, one table style with a repeated header row
and right-aligned numbers, figures at print size (16 cm / 8 cm), wide tables in landscape
sections, the proofing language fi-FI (en-GB in English), and fixed document dates
(:data:`~analysis.findings.report.document.FIXED_DATE`) so that two runs give the same bytes.
A publisher's reference document (``word_template`` in ``config/report.yaml``) restyles
the draft by style name.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from analysis.findings import style
from analysis.findings._files import normalise_zip
from analysis.findings.report.document import FIXED_DATE, ReportDocument, numeric_columns, quoted

#: Word language tags of the report languages.
DOCX_LANGUAGES = {"fi": "fi-FI", "en": "en-GB"}

#: Word styles of the report (a publisher's template restyles them by name).
TABLE_STYLE = "Light Grid Accent 1"
NOTE_STYLE = "Taulukon huomautus"
SOURCE_STYLE = "Kuvion lähde"

#: The smallest size of a table's header row (points) when its words would not fit otherwise.
HEADER_MIN_PT = 6.5


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


def _child(parent, tag: str, first: bool):
    """The child element ``tag`` of ``parent``; created (as the first or the last child) when missing."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    element = parent.find(qn(tag))
    if element is None:
        element = OxmlElement(tag)
        if first:
            parent.insert(0, element)
        else:
            parent.append(element)
    return element


def _set_language(document, language: str) -> None:
    """Set the proofing language of the whole document (fi-FI or en-GB) in the style defaults."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tag = DOCX_LANGUAGES[language]
    styles = document.styles.element
    doc_defaults = _child(styles, "w:docDefaults", first=True)
    rpr_default = _child(doc_defaults, "w:rPrDefault", first=True)
    rpr = _child(rpr_default, "w:rPr", first=False)
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


def _docx_table(document, block: dict, width_cm: float, *, copy_cells: bool = True) -> None:
    """Add ``block`` as a Word table; ``copy_cells=False`` formats every cell through python-docx (the tests compare)."""
    import copy

    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    table = document.add_table(rows=1 + len(block["rows"]), cols=len(block["header"]))
    table.style = document.styles[TABLE_STYLE] if TABLE_STYLE in [s.name for s in document.styles] else document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    size = Pt(7.5) if block.get("small") else Pt(9)
    numeric = numeric_columns(block)
    # column widths in proportion to the longest word / cell, within the text width
    # Every column is at least as wide as its longest word (so no word breaks letter by letter);
    # the rest of the text width goes to the columns with long texts (quotations, sentences).
    # A character is about 0.2 cm at 9 pt (digits 0.64 em), a bold header's about 15 % more; a
    # cell's side margins take 0.4 cm. Measured on the rendered draft: with less, "105" and
    # "Summamuuttuja" broke inside the word.
    char_cm = (0.155 if block.get("small") else 0.19) * 1.05
    # The body's words come first (a number never breaks); a header's longest word gets its
    # width when the text width allows, else its share of what is left (headers wrap first).
    body_cm, head_words, extra = [], [], []
    for j, head in enumerate(block["header"]):
        cells = [str(r[j]) for r in block["rows"]]
        body = max([len(w) for c in cells for w in c.split()] or [1])
        head_word = max([len(w) for w in str(head).split()] or [1])
        longest = max(body, head_word)
        mean = sum(len(c) for c in cells) / max(len(cells), 1)
        body_cm.append(body * char_cm + 0.5)
        head_words.append(head_word)
        extra.append(max(min(mean, 200) - longest, 0) + 1)
    # When the headers' longest words do not fit at the body's size, the header row is set
    # smaller (in half points, down to HEADER_MIN_PT) rather than breaking a word inside
    # ("Vaikutusko|o", "Parej|a"): an editor's choice; the body keeps its size.
    header_pt = size.pt
    while True:
        header_cm = [max(b - 0.5, w * char_cm * 1.15 * header_pt / size.pt) + 0.5 for b, w in zip(body_cm, head_words)]
        if sum(header_cm) < width_cm or header_pt - 0.5 < HEADER_MIN_PT:
            break
        header_pt -= 0.5
    header_size = Pt(header_pt)
    if sum(header_cm) < width_cm:
        spare = width_cm - sum(header_cm)
        widths = [Cm(m + spare * e / sum(extra)) for m, e in zip(header_cm, extra)]
    elif sum(body_cm) < width_cm:
        spare, wanted = width_cm - sum(body_cm), [h - b for h, b in zip(header_cm, body_cm)]
        widths = [Cm(b + spare * w / sum(wanted)) for b, w in zip(body_cm, wanted)]
    else:
        widths = [Cm(width_cm * m / sum(body_cm)) for m in body_cm]
    table.autofit = False
    for j, column in enumerate(table.columns):  # the grid (LibreOffice reads it) and every cell (Word reads those)
        column.width = widths[j]
    # Each column's first body cell (and header cell) is formatted through python-docx; the
    # column's other cells of one plain line of text are copies of it with their own text,
    # the same XML (a 2,800-row table of a national data set took 7 s cell by cell).
    formatted: dict[tuple[bool, int], Any] = {}
    # the rows in one pass: table.rows[i] walks every row before i (quadratic in a long table)
    for i, (table_row, row) in enumerate(zip(table.rows, [block["header"], *block["rows"]])):
        cells = table_row.cells
        for j, value in enumerate(row):
            cell, text, key = cells[j], str(value), (i == 0, j)
            plain = bool(text) and text == text.strip() and not any(c in text for c in "\t\n\r")
            if copy_cells and plain and key in formatted:
                tc = copy.deepcopy(formatted[key])
                next(tc.iter(qn("w:t"))).text = text
                cell._tc.getparent().replace(cell._tc, tc)
                continue
            cell.width = widths[j]
            cell.text = text
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.space_after = 0
                if numeric[j]:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                for run in paragraph.runs:
                    run.font.size = header_size if i == 0 else size
                    run.bold = True if i == 0 else None
            if plain and sum(1 for _ in cell._tc.iter(qn("w:t"))) == 1:
                formatted[key] = copy.deepcopy(cell._tc)
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
            document.add_paragraph(quoted(block["text"], doc.language), style="Quote")
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
