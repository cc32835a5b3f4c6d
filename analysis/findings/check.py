"""Read a rendered report as an editor would: internal ids and the other language.

:func:`report_texts` pulls every visible text out of ``findings.md``, ``findings.html``
and ``findings.docx`` (headings, sentences, captions, every table header and cell);
:func:`language_problems` lists what an editor would send back:

* snake_case identifiers (``social_worker``, ``alpha_ci_low``) and raw category
  codes of ``config/vocabulary.yaml``;
* in a Finnish report, English labels of the vocabulary; in an English report, Finnish
  labels and Finnish letters (ä, ö, å) outside quotations, proper names and verbatim
  text (lemmas, keywords).

File paths (``surveys/alkukartoitus_2024.xlsx``) and hashes are not identifiers.
Quotations are verbatim and stay in their language.

Examples
--------
>>> problems = language_problems(["Osuus oli 12 % (social_worker)."], "fi")
>>> [p["token"] for p in problems]
['social_worker']
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from analysis.vocabulary import vocabulary

_SNAKE = re.compile(r"(?<![\w/.\-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/.\-])")
_FINNISH_LETTERS = re.compile(r"[äöåÄÖÅ]")
_PATHLIKE = re.compile(r"\S*[/\\]\S*|\S+\.(?:xlsx|csv|docx|txt|vtt|sav|yaml|json|ipynb|parquet|png|svg)\b")
_QUOTED = re.compile(r"[”“].*[”“]", re.S)

#: Words with ä/ö/å an English text may contain: proper names of the project and places.
PROPER_NAMES = ("Jäkälä", "Kemi", "Keminmaa", "Simo", "Tervola", "Tornio", "Ylitornio", "Lapin", "Kokemusasiantuntija")


def report_texts(path: str | Path) -> list[str]:
    """Every visible text of a rendered report (.md, .html or .docx), one string per paragraph or cell."""
    path = Path(path)
    if path.suffix == ".docx":
        import docx

        document = docx.Document(path)
        texts = []
        for block in document.iter_inner_content():
            if isinstance(block, docx.table.Table):
                for row in block.rows:
                    texts.extend(cell.text for cell in row.cells)
            else:
                texts.append(block.text)
        return [t for t in texts if t.strip()]
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        text = re.sub(r"<style>.*?</style>", " ", text, flags=re.S)
        text = re.sub(r'<img[^>]*alt="([^"]*)"[^>]*>', r"\n\1\n", text)
        text = re.sub(r"<blockquote>.*?</blockquote>", " ", text, flags=re.S)
        text = re.sub(r"<[^>]+>", "\n", text)
        return [html.unescape(t) for t in text.split("\n") if t.strip()]
    lines = []
    for line in text.splitlines():
        if line.startswith(">"):  # quotations
            continue
        line = re.sub(r"\]\([^)]*\)", "]", line)  # link targets
        lines.extend(cell.strip() for cell in line.split("|") if cell.strip())
    return lines


def _strip(text: str) -> str:
    text = _QUOTED.sub(" ", text)
    return _PATHLIKE.sub(" ", text)


def language_problems(texts: list[str], language: str, verbatim: tuple[str, ...] = ()) -> list[dict]:
    """Internal ids and other-language words in ``texts`` (see the module docstring).

    Parameters
    ----------
    texts : list of str
        From :func:`report_texts`.
    language : {"fi", "en"}
        The report's language.
    verbatim : tuple of str
        Texts allowed as they are (quotations, lemmas, keywords of the data).

    Returns
    -------
    list of dict
        ``{"token", "kind", "text"}`` per problem; empty when the report reads clean.
    """
    vocab = vocabulary()
    codes = {key for group in vocab.groups.values() for key in group if "_" in key}
    other = "en" if language == "fi" else "fi"
    foreign = set()
    for group in vocab.groups.values():
        for entry in group.values():
            if entry[other].lower() != entry[language].lower() and len(entry[other]) > 6 and (
                " " in entry[other] or other == "fi"
            ):
                foreign.add(entry[other])
    for text in vocab.columns.values():
        if text[other] != text[language] and len(text[other]) > 8 and " " in text[other]:
            foreign.add(text[other])
    plain_codes = set()
    if language == "fi":  # English-looking codes of the vocabulary (pratt, increasing, succeeded)
        for group in vocab.groups.values():
            for key, entry in group.items():
                if "_" not in key and len(key) > 3 and key.islower() and key != entry["fi"].lower():
                    plain_codes.add(key)
    problems = []
    allowed = set(verbatim)
    for raw in texts:
        if raw in allowed:
            continue
        text = _strip(raw)
        for token in _SNAKE.findall(text):
            problems.append({"token": token, "kind": "code" if token in codes else "identifier", "text": raw[:120]})
        for token in re.findall(r"(?<![\w-])[a-z]+(?![\w-])", text):
            if token in plain_codes:
                problems.append({"token": token, "kind": "code", "text": raw[:120]})
        for phrase in foreign:
            if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text):
                problems.append({"token": phrase, "kind": "other language", "text": raw[:120]})
        if language == "en":
            words = [w for w in re.findall(r"[\wäöåÄÖÅ-]+", text) if _FINNISH_LETTERS.search(w)]
            words = [w for w in words if not any(w.startswith(name) for name in PROPER_NAMES) and w not in allowed]
            for word in words:
                problems.append({"token": word, "kind": "Finnish", "text": raw[:120]})
    return problems
