"""Reading workshop transcripts: ``.txt``, ``.docx``, ``.vtt`` (Teams, Zoom) and ``.srt``.

:func:`read_transcript` returns a :class:`RawTranscript`: one row per speaker turn with
the speaker label as written, the start time when the transcript has one, the text with
its transcription marks (``[naurua]``, ``(.)``, ``--``) kept, and the line (``.txt``,
``.vtt``, ``.srt``) or paragraph (``.docx``) where the turn starts.

Speaker labels
--------------
A line starts a new turn when it begins with a label followed by a colon:
``Fasilitaattori:``, ``H:``, ``H1:``, ``ST1:``, ``SO 2:``, ``Nuori 3:``, ``N3:``,
``KA:``, ``Haastattelija:``, ``**ST1:**`` (markdown bold), a bold label in Word (also
without colon), or a first and last name (``Aino Korhonen:``). A time stamp may come
before the label, after it, or on the line before: ``[00:12:31]``, ``(12:31)``,
``00:12:31``. Lines without a label continue the previous turn (joined with a line
break). Prefixes such as ``Huom:``, ``Esim:``, ``klo 12:30`` never start a turn.

When a ``speaker_map`` (label → role, from the manifest's ``speakers:``) is given, its
labels are recognised as written (case and spaces are ignored, ``SO 2`` = ``so2``) and
returned spelled as in the map; every label-like prefix not in the map is collected
into ONE :class:`DataError` listing each unknown label with its line numbers.

Metadata
--------
``Key: value`` lines before the first turn (or a two-column table in ``.docx``) with
known keys become ``metadata`` under English keys: ``date``, ``workshop``, ``place``,
``method``, ``work_package``, ``transcriber``, ``duration``, ``participants``,
``speakers``, ``facilitator``, ``title``, ``transcription_style``, ``recording``. Other text before the first turn is kept in
``metadata["preamble"]``. Values are strings as written.

Examples
--------
>>> import tempfile
>>> p = Path(tempfile.mkdtemp()) / "tyopaja.txt"
>>> _ = p.write_text("Päivämäärä: 14.5.2024\\n[00:00:05] Fasilitaattori: Tervetuloa.\\nST1: Kiitos [naurua]\\n", encoding="utf-8")
>>> t = read_transcript(p)
>>> t.metadata["date"], t.turns["label"].tolist(), t.turns["start_time"].tolist()[0]
('14.5.2024', ['Fasilitaattori', 'ST1'], 5.0)
"""

from __future__ import annotations

import html
import re
import unicodedata
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.io.detect import check_file, read_text

__all__ = ["RawTranscript", "TRANSCRIPT_EXTENSIONS", "parse_timestamp", "read_transcript"]

TRANSCRIPT_EXTENSIONS = (".txt", ".md", ".docx", ".vtt", ".srt")
TURN_COLUMNS = ["turn", "label", "start_time", "text", "source_line"]

#: Metadata keys (normalised: lower case, no punctuation) → canonical English key.
METADATA_KEYS: dict[str, str] = {
    "päivämäärä": "date", "pvm": "date", "päiväys": "date", "date": "date", "aika": "date",
    "ajankohta": "date",
    "työpaja": "workshop", "työpajan nimi": "workshop", "tilaisuus": "workshop", "workshop": "workshop",
    "aihe": "title", "otsikko": "title", "title": "title", "teema": "title",
    "paikka": "place", "place": "place", "sijainti": "place", "location": "place",
    "menetelmä": "method", "method": "method", "työtapa": "method",
    "työpaketti": "work_package", "tp": "work_package", "work package": "work_package",
    "workpackage": "work_package",
    "litteroija": "transcriber", "litteroinut": "transcriber", "transcriber": "transcriber",
    "kesto": "duration", "duration": "duration", "nauhoitteen kesto": "duration",
    "osallistujat": "participants", "läsnä": "participants", "participants": "participants",
    "fasilitaattorit": "facilitator", "vetäjä": "facilitator", "vetäjät": "facilitator",
    "litterointitapa": "transcription_style", "litterointitarkkuus": "transcription_style",
    "litteroinnin tarkkuus": "transcription_style", "tarkkuustaso": "transcription_style",
    "puhujat": "speakers", "speakers": "speakers",
    "tiedosto": "recording", "nauhoite": "recording", "äänite": "recording",
}
#: Role words that, with an optional number, make a speaker label.
ROLE_WORDS = {
    "fasilitaattori", "haastattelija", "haastateltava", "nuori", "ohjaaja", "sosiaalityöntekijä",
    "sosiaaliohjaaja", "kokemusasiantuntija", "kehittäjäasiakas", "tutkija", "kumppani",
    "osallistuja", "vastaaja", "puhuja", "työntekijä", "ammattilainen", "asiantuntija",
    "moderaattori", "kouluttaja", "vetäjä", "sihteeri", "speaker", "interviewer", "facilitator",
    "participant", "moderator", "researcher", "respondent", "tuntematon", "useampi", "useat",
    "kaikki", "joku", "nainen", "mies",
}
#: Prefixes that look like labels but are not speakers.
NOT_SPEAKERS = {
    "huom", "huomio", "huomautus", "esim", "esimerkiksi", "ks", "katso", "klo", "kello", "lisäys",
    "kommentti", "note", "tauko", "kysymys", "vastaus", "linkki", "url", "http", "https", "www",
    "ps", "tehtävä", "taulukko", "kuva", "liite", "lähde", "yhteenveto", "tiivistelmä", "muistiinpano",
    "muistiinpanot", "tulos", "tulokset", "teema", "aihe", "vaihe", "osa", "sivu", "eli", "siis",
    "mutta", "ja", "että", "no", "niin", "joo", "okei", "ok", "kyllä", "ei", "sitten", "tässä",
    "näin", "mm", "yms", "jne", "tms", "nb", "todo", "info", "otsikko", "keskustelu",
}

_TS = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_TS_BRACKET = re.compile(rf"^\s*(?:\[(?P<a>{_TS})\]|\((?P<b>{_TS})\)|(?P<c>{_TS})(?=\s|$))\s*[-–]?\s*")
_TS_ALONE = re.compile(rf"^\s*(?:\[{_TS}\]|\({_TS}\)|{_TS})\s*$")
_LABEL_RE = re.compile(
    r"^\s*(?:[-–•]\s*)?(?P<open>\*\*|__)?\s*(?P<label>[^\W\d_][^:\n]{0,40}?)\s*(?P<close1>\*\*|__)?\s*:"
    r"(?!\d)(?P<close2>\*\*|__)?\s*(?P<rest>.*)$",
    re.S,
)
_LABEL_TS_RE = re.compile(
    rf"^\s*(?:\*\*)?(?P<label>[^\W\d_][^:\n\[\(]{{0,40}}?)\s*(?:\[(?P<a>{_TS})\]|\((?P<b>{_TS})\))"
    r"\s*(?:\*\*)?\s*:?(?:\*\*)?\s*(?P<rest>.*)$",
    re.S,
)
_LABEL_THEN_TIME = re.compile(rf"^\s*(?P<label>[^\W\d_][^:\n\[\(]{{0,60}}?)\s+(?P<ts>{_TS})\s*$")
_ARROW = re.compile(rf"^\s*(?P<start>{_TS}|\d+:\d+:\d+(?:\.\d+)?)\s*-->\s*\S+\s*$")
_CODE_LABEL = re.compile(r"^[A-ZÅÄÖ]{1,4}\s?\d{0,3}[a-zåäö]?$")
_ROLE_LABEL = re.compile(r"^(?P<word>[^\W\d_]+)(?:\s?(?P<num>\d{1,3}))?$")
_NAME_LABEL = re.compile(r"^[A-ZÅÄÖ][a-zåäöéü'\-]+(?:\s+[A-ZÅÄÖ][a-zåäöéü'\-]+){1,2}$")


@dataclass
class RawTranscript:
    """One transcript as read from a file.

    Attributes
    ----------
    turns : DataFrame
        ``turn`` (1-based int), ``label`` (str), ``start_time`` (float seconds, NaN if
        none), ``text`` (str), ``source_line`` (1-based line, or paragraph in ``.docx``).
    metadata : dict
        Header metadata under English keys (see module docstring), values as written.
    format : str
        ``"txt"``, ``"docx"``, ``"vtt"`` or ``"srt"``.
    file : str
        The path that was read.
    encoding : str or None
        Text encoding (text formats).
    notes : list of str
        What the reader noticed (cues without speaker, …).
    """

    turns: pd.DataFrame
    metadata: dict[str, Any]
    format: str
    file: str = ""
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- helpers
def parse_timestamp(text: str) -> float:
    """Convert ``hh:mm:ss``, ``mm:ss``, ``hh:mm:ss.mmm`` or ``hh:mm:ss,mmm`` to seconds.

    Examples
    --------
    >>> parse_timestamp("00:12:31"), parse_timestamp("12:31"), parse_timestamp("01:00:00,500")
    (751.0, 751.0, 3600.5)
    """
    text = text.strip().strip("[]()").replace(",", ".")
    parts = text.split(":")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return seconds


def _fold(label: str) -> str:
    """Key for tolerant label matching: case and spaces ignored."""
    return "".join(unicodedata.normalize("NFC", label).casefold().split())


def _clean_label(label: str) -> str:
    label = label.strip().strip("*_").strip()
    label = re.sub(r"\s+", " ", label)
    return label.rstrip(":").strip()


def _looks_like_speaker(label: str) -> bool:
    """Heuristic for labels when no speaker map says otherwise."""
    if not label or len(label) > 40:
        return False
    first = label.split()[0].casefold().strip(".")
    if first in NOT_SPEAKERS:
        return False
    if _CODE_LABEL.match(label):
        return True
    m = _ROLE_LABEL.match(label)
    if m and m["word"].casefold() in ROLE_WORDS:
        return True
    return bool(_NAME_LABEL.match(label))


class _Resolver:
    """Decides whether a label-like prefix is a speaker, and collects unknown labels."""

    def __init__(self, speaker_map: Mapping[str, Any] | None, *, loose: bool = False) -> None:
        self.map = None
        if speaker_map is not None:
            self.map = {}
            for key in speaker_map:
                self.map.setdefault(_fold(_clean_label(str(key))), str(key))
        self.loose = loose
        self.unknown: "OrderedDict[str, list[int]]" = OrderedDict()

    def resolve(self, label: str, line: int, *, bold: bool = False) -> str | None:
        label = _clean_label(label)
        if not label:
            return None
        if self.map is not None and _fold(label) in self.map:
            return self.map[_fold(label)]
        plausible = _looks_like_speaker(label) or (bold and label.split()[0].casefold() not in NOT_SPEAKERS)
        if not plausible and self.loose:
            plausible = (len(label) <= 60 and len(label.split()) <= 6 and not re.search(r"[.?!]\s", label)
                         and label.split()[0].casefold().strip(".") not in NOT_SPEAKERS)
        if not plausible:
            return None
        if self.map is not None:
            self.unknown.setdefault(label, []).append(line)
        return label

    def knows(self, text: str) -> bool:
        """True when ``text`` starts with a label of the speaker map."""
        if self.map is None:
            return False
        m = _LABEL_RE.match(_split_time(text)[1])
        return bool(m) and _fold(_clean_label(m["label"])) in self.map

    def check(self, file: Path) -> None:
        if not self.unknown:
            return
        parts = []
        for label, lines in self.unknown.items():
            shown = ", ".join(map(str, lines[:10])) + (" …" if len(lines) > 10 else "")
            parts.append(f"'{label}' (line{'s' if len(lines) > 1 else ''} {shown})")
        raise DataError(
            f"{len(self.unknown)} speaker label(s) not in the speaker map: " + "; ".join(parts),
            file=file,
            location="line " + str(next(iter(self.unknown.values()))[0]),
            hint="Add each label to the `speakers:` map of this workshop in data/raw/manifest.yaml "
            "(label: role, e.g. `ST3: social_worker`), or correct the label in the transcript.",
        )


def _split_time(text: str) -> tuple[float | None, str]:
    m = _TS_BRACKET.match(text)
    if not m:
        return None, text
    stamp = m["a"] or m["b"] or m["c"]
    return parse_timestamp(stamp), text[m.end():]


def _parse_turn_line(text: str, line: int, resolver: _Resolver, *, bold_label: str | None = None):
    """Return ``(label, start, rest)`` when ``text`` starts a turn, else ``None``."""
    start, body = _split_time(text)
    if bold_label is not None:
        label = resolver.resolve(bold_label, line, bold=True)
        if label is not None:
            rest = text.split(bold_label, 1)[1] if bold_label in text else body
            rest = re.sub(r"^\s*[*_]*\s*:?\s*[*_]*", "", rest, count=1)
            t2, rest = _split_time(rest)
            return label, start if start is not None else t2, rest.strip()
    m = _LABEL_THEN_TIME.match(body)
    if m:  # Teams .docx transcript: "Aino Korhonen   0:03" on its own line, text below
        label = resolver.resolve(m["label"], line)
        if label is not None:
            return label, parse_timestamp(m["ts"]), ""
    m = _LABEL_TS_RE.match(body)
    if m:  # "ST1 [00:12:31]: ..." / "ST1 (12:31) ..."
        label = resolver.resolve(m["label"], line)
        if label is not None:
            stamp = parse_timestamp(m["a"] or m["b"])
            return label, start if start is not None else stamp, m["rest"].strip()
    m = _LABEL_RE.match(body)
    if not m or (m["open"] and not (m["close1"] or m["close2"])):
        return None
    label = resolver.resolve(m["label"], line)
    if label is None:
        return None
    rest = m["rest"]
    # "ST1 [00:12:31]: ..." or "ST1: [00:12:31] ..."
    t2, rest = _split_time(rest)
    if start is None:
        start = t2
    return label, start, rest.strip()


def _metadata_line(text: str) -> tuple[str, str] | None:
    m = re.match(r"^\s*(?:[*_#]+\s*)?([^:]{1,40}?)\s*[*_]*\s*:\s*[*_]*\s*(.*)$", text)
    if not m:
        return None
    key = " ".join(re.sub(r"[^\w\s]", " ", m[1].casefold()).split())
    if key in METADATA_KEYS:
        return METADATA_KEYS[key], m[2].strip().strip("*_").strip()
    return None


def _build_turns(
    items: Iterable[tuple[int, str, str | None]],
    resolver: _Resolver,
    *,
    metadata: dict[str, Any],
) -> list[dict[str, Any]]:
    """Turn numbered lines/paragraphs into turns; lines before the first turn → metadata.

    ``items`` are ``(line, text, bold_label)``.
    """
    turns: list[dict[str, Any]] = []
    pending_time: float | None = None
    expect_name = False
    preamble: list[str] = []
    for line, raw, bold_label in items:
        text = raw.replace("\u00a0", " ").rstrip()
        if not text.strip():
            continue
        if _TS_ALONE.match(text):
            pending_time = parse_timestamp(text.strip())
            continue
        arrow = _ARROW.match(text)
        if arrow:  # older Teams .docx: "0:0:0.0 --> 0:0:3.640", then the name, then the text
            pending_time = parse_timestamp(arrow["start"])
            expect_name = True
            continue
        if expect_name:
            expect_name = False
            label = resolver.resolve(text, line, bold=True) if len(text.strip()) <= 60 else None
            if label is not None:
                turns.append({"label": label, "start_time": pending_time, "parts": [], "source_line": line})
                pending_time = None
                continue
        if not turns:
            meta = _metadata_line(text)
            if meta is not None and not resolver.knows(text):
                metadata.setdefault(meta[0], meta[1])
                continue
        parsed = _parse_turn_line(text, line, resolver, bold_label=bold_label)
        if parsed is not None:
            label, start, rest = parsed
            if start is None:
                start = pending_time
            turns.append({"label": label, "start_time": start, "parts": [rest] if rest else [],
                          "source_line": line})
            pending_time = None
            continue
        if turns:
            turns[-1]["parts"].append(text.strip())
        else:
            preamble.append(text.strip())
    if preamble:
        metadata["preamble"] = "\n".join(preamble)
    return turns


def _frame(turns: list[dict[str, Any]]) -> pd.DataFrame:
    rows = {
        "turn": list(range(1, len(turns) + 1)),
        "label": [t["label"] for t in turns],
        "start_time": [np.nan if t["start_time"] is None else float(t["start_time"]) for t in turns],
        "text": ["\n".join(t["parts"]) for t in turns],
        "source_line": [int(t["source_line"]) for t in turns],
    }
    frame = pd.DataFrame(rows, columns=TURN_COLUMNS)
    return frame.astype({"turn": "int64", "start_time": "float64", "source_line": "int64",
                         "label": object, "text": object})


def _no_turns(path: Path) -> DataError:
    return DataError(
        "no speaker turns found",
        file=path,
        hint="Each turn must start with a speaker label and a colon, e.g. 'ST1: …', "
        "'Fasilitaattori: …', 'Nuori 3: …' (see docs/bring_your_own_data.md); add the labels "
        "to the manifest's `speakers:` map if they are unusual.",
    )


# --------------------------------------------------------------------------- readers
def read_transcript(path: str | Path, *, speaker_map: Mapping[str, Any] | None = None) -> RawTranscript:
    """Read a workshop transcript into speaker turns.

    Parameters
    ----------
    path : str or Path
        ``.txt``/``.md`` (UTF-8, UTF-8 BOM, UTF-16, cp1252; any line ends), ``.docx``,
        ``.vtt`` or ``.srt``.
    speaker_map : mapping, optional
        Label as written → role (the manifest's ``speakers:``). When given, every
        speaker label must be in it.

    Returns
    -------
    RawTranscript

    Raises
    ------
    DataError
        Missing/empty/corrupt/binary file, unsupported extension, no turns found, or
        labels missing from ``speaker_map`` (one error listing all of them).

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "teams.vtt"
    >>> _ = p.write_text("WEBVTT\\n\\n00:00:01.000 --> 00:00:03.000\\n<v Aino Korhonen>Hei kaikki.</v>\\n\\n"
    ...                  "00:00:03.000 --> 00:00:05.000\\n<v Aino Korhonen>Aloitetaan.</v>\\n", encoding="utf-8")
    >>> read_transcript(p).turns[["label", "start_time", "text"]].values.tolist()
    [['Aino Korhonen', 1.0, 'Hei kaikki. Aloitetaan.']]
    """
    path = check_file(path, TRANSCRIPT_EXTENSIONS)
    if speaker_map is not None and not isinstance(speaker_map, Mapping):
        raise DataError("the speaker map must be a mapping of label → role", file=path,
                        hint="Write `speakers:` in data/raw/manifest.yaml as `ST1: social_worker` lines.")
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return _read_docx(path, speaker_map)
    text, encoding = read_text(path)
    if suffix in (".vtt", ".srt"):
        return _read_subtitles(path, text, encoding, speaker_map, vtt=suffix == ".vtt")
    resolver = _Resolver(speaker_map)
    metadata: dict[str, Any] = {}
    items = ((i, line, None) for i, line in enumerate(text.split("\n"), start=1))
    turns = _build_turns(items, resolver, metadata=metadata)
    resolver.check(path)
    if not turns:
        raise _no_turns(path)
    return RawTranscript(_frame(turns), metadata, "txt", file=str(path), encoding=encoding)


def _read_docx(path: Path, speaker_map: Mapping[str, Any] | None) -> RawTranscript:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    if not zipfile.is_zipfile(path):
        raise DataError(
            "the file is not a valid .docx document (not a zip archive; truncated, damaged or "
            "another format renamed to .docx)",
            file=path,
            hint="Open it in Word and save it again as .docx, or export it again.",
        )
    try:
        document = docx.Document(str(path))
        blocks = list(document.iter_inner_content())
    except Exception as exc:  # python-docx raises PackageNotFoundError, KeyError, XMLSyntaxError, ...
        raise DataError(
            f"the document cannot be opened ({type(exc).__name__}: {str(exc)[:120]})",
            file=path,
            hint="The file is damaged or truncated; open it in Word and save it again as .docx.",
        ) from None
    metadata: dict[str, Any] = {}
    items: list[tuple[int, str, str | None]] = []
    notes: list[str] = []
    number = 0
    try:
        for block in blocks:
            if isinstance(block, Paragraph):
                number += 1
                text = block.text
                items.append((number, text, _bold_prefix(block)))
            elif isinstance(block, Table):
                rows = [[c.text.strip() for c in row.cells] for row in block.rows]
                for row in rows:
                    cells = [c for c in row if c]
                    if len(cells) >= 2:
                        key = " ".join(re.sub(r"[^\w\s]", " ", cells[0].casefold()).split())
                        if key in METADATA_KEYS:
                            metadata.setdefault(METADATA_KEYS[key], cells[1])
                            continue
                    if cells:
                        # A turn table (speaker | text) is read as "speaker: text" lines.
                        number += 1
                        joined = f"{cells[0]}: {' '.join(cells[1:])}" if len(cells) >= 2 else cells[0]
                        items.append((number, joined, None))
    except Exception as exc:
        raise DataError(
            f"the document cannot be read ({type(exc).__name__}: {str(exc)[:120]})",
            file=path,
            hint="The file is damaged; open it in Word and save it again as .docx.",
        ) from None
    resolver = _Resolver(speaker_map)
    turns = _build_turns(items, resolver, metadata=metadata)
    resolver.check(path)
    if not turns:
        raise _no_turns(path)
    notes.append("source_line counts paragraphs (and table rows) of the Word document")
    return RawTranscript(_frame(turns), metadata, "docx", file=str(path), notes=notes)


def _bold_prefix(paragraph) -> str | None:
    """The text of the leading bold runs of a Word paragraph (a bold speaker label)."""
    parts: list[str] = []
    for run in paragraph.runs:
        if not run.text:
            continue
        if run.bold:
            parts.append(run.text)
            continue
        break
    prefix = "".join(parts).strip()
    if not prefix or prefix == paragraph.text.strip():
        # A paragraph that is bold throughout is a heading, unless it is "Label: text".
        return None
    prefix = prefix.rstrip(":").strip()
    _, prefix = _split_time(prefix)
    prefix = prefix.strip().rstrip(":").strip()
    return prefix if 0 < len(prefix) <= 40 and "\n" not in prefix else None


# --------------------------------------------------------------------------- subtitles
_CUE_TIME = re.compile(
    r"^\s*(?P<start>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*(?P<end>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})"
)
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>(.*?)(?:</v>|(?=<v[\s.])|$)", re.S)
_TAG = re.compile(r"</?[a-zA-Z][^>]*>|<\d{1,2}:\d{2}(?::\d{2})?[.,]\d{3}>")


def _read_subtitles(path: Path, text: str, encoding: str, speaker_map, *, vtt: bool) -> RawTranscript:
    lines = text.split("\n")
    fmt = "vtt" if vtt else "srt"
    notes: list[str] = []
    metadata: dict[str, Any] = {}
    if vtt:
        first = lines[0].lstrip("\ufeff").strip() if lines else ""
        if not first.startswith("WEBVTT"):
            raise DataError(
                "a WebVTT file must start with the line 'WEBVTT'",
                file=path,
                location="line 1",
                hint="Check that this is the .vtt file downloaded from Teams/Zoom; do not edit its first line.",
            )
        title = first[6:].strip(" -\t")
        if title:
            metadata["title"] = title
    # Split into blocks of (first line number, lines).
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            current.append((number, line))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    resolver = _Resolver(speaker_map, loose=True)
    cues: list[tuple[str | None, float, str, int]] = []
    bad_timing: list[int] = []
    for block in blocks:
        head = block[0][1].strip()
        if vtt and (head.startswith(("WEBVTT", "NOTE", "STYLE", "REGION"))):
            continue
        timing = next((i for i, (_, line) in enumerate(block[:3]) if "-->" in line), None)
        if timing is None:
            bad_timing.append(block[0][0])
            continue
        m = _CUE_TIME.match(block[timing][1])
        if not m:
            bad_timing.append(block[timing][0])
            continue
        start = parse_timestamp(m["start"])
        payload = block[timing + 1:]
        if not payload:
            continue
        raw = "\n".join(line for _, line in payload)
        first_line = payload[0][0]
        voices = _VOICE.findall(raw)
        if voices:
            for name, said in voices:
                cues.append((resolver.resolve(name, first_line, bold=True) or _clean_label(name),
                             start, _clean_payload(said), first_line))
            continue
        body = _clean_payload(raw)
        m2 = re.match(r"^\s*(?:-\s*)?(?:\[(?P<br>[^\]\n]{1,60})\]\s*:?|(?P<lab>[^:\n]{1,60}):)\s*(?P<rest>.*)$", body, re.S)
        label = None
        if m2:
            candidate = m2["br"] or m2["lab"]
            label = resolver.resolve(candidate, first_line)
            if label is not None:
                body = m2["rest"].strip()
        cues.append((label, start, body, first_line))
    resolver.check(path)
    if bad_timing:
        raise DataError(
            f"{len(bad_timing)} cue(s) without a valid timing line ('00:00:01.000 --> 00:00:04.000')",
            file=path,
            location="line" + ("s " if len(bad_timing) > 1 else " ") + ", ".join(map(str, bad_timing[:10])),
            hint="The subtitle file is damaged or was edited by hand; download it again.",
        )
    turns: list[dict[str, Any]] = []
    unlabelled = 0
    for label, start, body, line in cues:
        if label is None:
            unlabelled += 1
            label = turns[-1]["label"] if turns else ""
        if not body:
            continue
        if turns and turns[-1]["label"] == label:
            turns[-1]["parts"].append(body)
            continue
        turns.append({"label": label, "start_time": start, "parts": [body], "source_line": line})
    if unlabelled:
        notes.append(f"{unlabelled} cue(s) without a speaker were joined to the previous speaker's turn"
                     " (or given an empty label at the start)")
    if not turns:
        raise _no_turns(path)
    for t in turns:
        t["parts"] = [" ".join(t["parts"])]
    return RawTranscript(_frame(turns), metadata, fmt, file=str(path), encoding=encoding, notes=notes)


def _clean_payload(text: str) -> str:
    text = _TAG.sub("", text)
    text = html.unescape(text)
    return " ".join(text.split())
