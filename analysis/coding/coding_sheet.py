"""Coding sheets (CSV/XLSX) for teams without a QDA tool, the folder of manual codings, and
simulated human coders for the synthetic data.

A coding sheet has one row per segment and coder with the columns ``segment_id``,
``coder`` and ``code``; the template also shows ``doc_id``, ``speaker`` and ``text`` so
the coder can read the segment. Several codes go in one cell separated by ``;``. A row
with a coder and an empty code means *"I read this segment and no code applies"*; rows
without a coder are not coded yet and are skipped. Codes may be written as ids
(``housing``) or as names (``Asuminen``). Finnish headers (``segmentti``, ``koodaaja``,
``koodi``) are accepted.

CSV sheets are written as UTF-8 with a BOM and ``;`` separators (what Excel in a
Finnish locale opens directly); when reading, the separator and the encoding (UTF-8,
UTF-16, cp1252) are detected.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import DataError

__all__ = [
    "SHEET_COLUMNS",
    "read_coding_sheet",
    "write_coding_sheet",
    "read_codings_folder",
    "simulate_human_codings",
]

#: Columns of a coding sheet, in order.
SHEET_COLUMNS = ["segment_id", "doc_id", "speaker", "text", "coder", "code"]
_ALIASES = {
    "segment_id": {"segment_id", "segment", "segmentti", "segmentin tunnus", "segment id", "id"},
    "coder": {"coder", "koodaaja", "coder_id"},
    "code": {"code", "codes", "koodi", "koodit"},
}
_SPLIT = re.compile(r"[;\n]")
_SHEET_NAMES = {"fi": ("koodaus", "koodikirja"), "en": ("coding", "codebook")}
_HEADERS = {
    "fi": {"segment_id": "segment_id", "doc_id": "doc_id", "speaker": "puhuja", "text": "teksti",
           "coder": "koodaaja", "code": "koodi"},
    "en": {c: c for c in SHEET_COLUMNS},
}


# ----------------------------------------------------------------------------- reading


def _read_csv(path: Path) -> pd.DataFrame:
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252")
    sample = text[:4096]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=";,\t").delimiter
    except csv.Error:
        delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    return pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, index_col=False)


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False, engine="openpyxl")
            wanted = [n for n in sheets if n.strip().lower() in ("koodaus", "coding")]
            return sheets[wanted[0]] if wanted else next(iter(sheets.values()))
        if suffix in (".csv", ".txt", ".tsv"):
            return _read_csv(path)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"the coding sheet cannot be read ({exc})", file=str(path),
                        hint="Save it again as .xlsx or as UTF-8 .csv.") from exc
    raise DataError(f"unsupported coding-sheet format '{suffix}'", file=str(path),
                    hint="Use .xlsx or .csv with columns segment_id, coder, code.")


def _code_lookup(codebook_table: pd.DataFrame | None) -> dict[str, str] | None:
    if codebook_table is None:
        return None
    lookup: dict[str, str] = {}
    for column in ("name_en", "name_fi", "code"):
        if column in codebook_table.columns:
            for code, name in zip(codebook_table["code"].astype(str), codebook_table[column]):
                if isinstance(name, str) and name.strip():
                    lookup[name.strip().casefold()] = code
    return lookup


def read_coding_sheet(
    path: str | Path,
    *,
    segments: pd.DataFrame | None = None,
    codebook_table: pd.DataFrame | None = None,
    coder: str | None = None,
) -> pd.DataFrame:
    """Read a filled coding sheet (CSV or XLSX) into tidy codings.

    Parameters
    ----------
    path : str or Path
        ``.xlsx`` (sheet ``koodaus``/``coding`` or the first sheet) or ``.csv``.
    segments : DataFrame, optional
        The segments table; every ``segment_id`` must be in it.
    codebook_table : DataFrame, optional
        The codes (``code, name_fi, name_en``, e.g. :attr:`Codebook.codes
        <analysis.coding.codebook.Codebook.codes>`); every code must be in it (ids or names).
    coder : str, optional
        Coder id for a sheet without a ``coder`` column.

    Returns
    -------
    DataFrame
        ``segment_id, coder, code, source_file, source_row``; ``code`` is missing (``None``)
        on rows meaning "judged, no code"; ``source_row`` is the row as Excel shows it.

    Raises
    ------
    DataError
        Missing columns, an unknown segment or an unknown code (naming the file and row).

    Examples
    --------
    >>> sheet = read_coding_sheet("data/raw/codings/koodaus_K1.xlsx", segments=segs, codebook_table=cb.codes)  # doctest: +SKIP
    """
    path = Path(path)
    raw = _read_table(path)
    columns = {}
    for column in raw.columns:
        key = str(column).strip().casefold()
        for target, aliases in _ALIASES.items():
            if key in aliases and target not in columns:
                columns[target] = column
    if "coder" not in columns and coder is None:
        raise DataError("the coding sheet has no column 'coder' (koodaaja)", file=str(path), location="row 1",
                        hint="Add a coder column or pass coder='K1'.")
    missing = [c for c in ("segment_id", "code") if c not in columns]
    if missing:
        raise DataError(f"the coding sheet has no column(s) {', '.join(missing)}", file=str(path), location="row 1",
                        hint="The header row must name segment_id, coder and code (segmentti, koodaaja, koodi).")
    known_segments = set(segments["segment_id"].astype(str)) if segments is not None else None
    lookup = _code_lookup(codebook_table)
    rows = []
    for index, record in raw.iterrows():
        excel_row = int(index) + 2
        segment_id = str(record[columns["segment_id"]]).strip()
        who = str(record[columns["coder"]]).strip() if "coder" in columns else str(coder)
        cell = str(record[columns["code"]]).strip()
        if not segment_id:
            if cell:
                raise DataError("a row has codes but no segment_id", file=str(path), location=f"row {excel_row}",
                                hint="Fill in the segment_id or delete the row.")
            continue
        if not who:
            continue
        if known_segments is not None and segment_id not in known_segments:
            raise DataError(f"segment '{segment_id}' is not in the segments table", file=str(path),
                            location=f"row {excel_row}",
                            hint="Use the segment ids of the template (write_coding_sheet); do not edit them.")
        parts = [p.strip() for p in _SPLIT.split(cell) if p.strip()] if cell else []
        if lookup is not None:  # "housing, money" typed with commas: split only if whole parts are unknown
            parts = [q.strip() for p in parts for q in ([p] if p.casefold() in lookup else p.split(",")) if q.strip()]
        if not parts:
            rows.append({"segment_id": segment_id, "coder": who, "code": None, "source_row": excel_row})
        for part in parts:
            code = part
            if lookup is not None:
                code = lookup.get(part.casefold())
                if code is None:
                    known = ", ".join(list(codebook_table["code"].astype(str))[:12])
                    raise DataError(f"code '{part}' is not in the codebook", file=str(path),
                                    location=f"row {excel_row}, column '{columns['code']}'",
                                    hint=f"Use a code id or name of the codebook ({known}, …); separate codes with ';'.")
            rows.append({"segment_id": segment_id, "coder": who, "code": code, "source_row": excel_row})
    out = pd.DataFrame(rows, columns=["segment_id", "coder", "code", "source_row"])
    out = out.drop_duplicates(["segment_id", "coder", "code"]).reset_index(drop=True)
    out.insert(3, "source_file", path.name)
    out["code"] = out["code"].astype(object).where(out["code"].notna(), None)
    return out


# ----------------------------------------------------------------------------- writing


def write_coding_sheet(
    path: str | Path,
    segments: pd.DataFrame,
    codebook_table: pd.DataFrame,
    *,
    coders: Sequence[str] = ("",),
    codings: pd.DataFrame | None = None,
    language: str = "fi",
) -> Path:
    """Write a coding sheet: a blank template, or filled with given codings.

    Parameters
    ----------
    path : str or Path
        ``.xlsx`` (a ``koodaus`` sheet with a drop-down of code ids, and a ``koodikirja``
        sheet with names and definitions) or ``.csv`` (``;``-separated, UTF-8 with BOM).
    segments : DataFrame
        The segments to code (``segment_id, doc_id, speaker, text``), in the order to show.
    codebook_table : DataFrame
        The codes: ``code, name_fi, name_en, definition`` (:attr:`Codebook.codes
        <analysis.coding.codebook.Codebook.codes>`).
    coders : sequence of str
        One block of rows per coder; ``("",)`` leaves the coder column for the coder to fill.
    codings : DataFrame, optional
        ``segment_id, code, coder`` to fill in (e.g. :func:`simulate_human_codings`).
    language : {"fi", "en"}
        Language of headers and sheet names.

    Returns
    -------
    Path

    Examples
    --------
    >>> write_coding_sheet("koodaus.xlsx", segs, cb.codes, coders=["K1", "K2"])  # doctest: +SKIP
    """
    if language not in _HEADERS:
        raise DataError(f"unknown language '{language}'", file=str(path), hint="Use 'fi' or 'en'.")
    if "segment_id" not in segments.columns:
        raise DataError("the segments table has no column 'segment_id'", file="segments",
                        hint="Pass data/processed/segments.parquet.")
    path = Path(path)
    seg = segments.copy()
    for column in ("doc_id", "speaker", "text"):
        if column not in seg.columns:
            seg[column] = ""
    filled: dict[tuple[str, str], list[str]] = {}
    if codings is not None:
        order = {c: i for i, c in enumerate(codebook_table["code"].astype(str))}
        for (segment_id, coder), group in codings.groupby(["segment_id", "coder"], sort=False):
            codes = sorted({c for c in group["code"] if isinstance(c, str)}, key=lambda c: (order.get(c, 1e9), c))
            filled[(str(segment_id), str(coder))] = codes
    rows = []
    for coder in coders:
        for record in seg.itertuples(index=False):
            codes = filled.get((str(record.segment_id), str(coder)), [])
            rows.append({"segment_id": str(record.segment_id), "doc_id": record.doc_id,
                         "speaker": record.speaker if isinstance(record.speaker, str) else "",
                         "text": record.text, "coder": coder, "code": "; ".join(codes)})
    sheet = pd.DataFrame(rows, columns=SHEET_COLUMNS).rename(columns=_HEADERS[language])
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        sheet.to_csv(path, sep=";", index=False, encoding="utf-8-sig", lineterminator="\r\n")
        return path
    if suffix != ".xlsx":
        raise DataError(f"unsupported coding-sheet format '{suffix}'", file=str(path), hint="Use .xlsx or .csv.")
    _write_xlsx(path, sheet, codebook_table, language)
    return path


def _write_xlsx(path: Path, sheet: pd.DataFrame, codebook_table: pd.DataFrame, language: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    coding_name, codebook_name = _SHEET_NAMES[language]
    wb = Workbook()
    ws = wb.active
    ws.title = coding_name
    ws.append(list(sheet.columns))
    for row in sheet.itertuples(index=False):
        ws.append(["" if (v is None or (isinstance(v, float) and np.isnan(v))) else v for v in row])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = {"A": 16, "B": 10, "C": 14, "D": 80, "E": 12, "F": 30}
    for column, width in widths.items():
        ws.column_dimensions[column].width = width
    for cells in ws.iter_rows(min_row=2, min_col=4, max_col=4):
        cells[0].alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    cb_sheet = wb.create_sheet(codebook_name)
    cb_columns = [c for c in ("code", "parent", "name_fi", "name_en", "definition") if c in codebook_table.columns]
    cb_sheet.append(cb_columns)
    for record in codebook_table[cb_columns].itertuples(index=False):
        cb_sheet.append(["" if (v is None or (isinstance(v, float) and np.isnan(v))) else str(v) for v in record])
    for cell in cb_sheet[1]:
        cell.font = Font(bold=True)
    cb_sheet.column_dimensions["A"].width = 22
    cb_sheet.column_dimensions["E"].width = 80
    if len(codebook_table) and len(sheet):
        validation = DataValidation(type="list", formula1=f"'{codebook_name}'!$A$2:$A${len(codebook_table) + 1}",
                                    allow_blank=True, showErrorMessage=False)
        validation.add(f"F2:F{len(sheet) + 1}")
        ws.add_data_validation(validation)
    wb.properties.creator = "Jäkälä analysis workspace"
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(buffer.getvalue())


# ----------------------------------------------------------------------------- a folder of codings


def read_codings_folder(
    folder: str | Path,
    segments: pd.DataFrame,
    codebook_table: pd.DataFrame,
    *,
    documents: Mapping[str, str] | pd.Series | None = None,
    exclude_coders: Sequence[str] = ("auto",),
    coder_names: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read every manual coding in a folder: ``*.qdpx``/``*.qde`` projects and coding sheets.

    Parameters
    ----------
    folder : str or Path
        E.g. ``data/raw/codings/``; a missing folder gives empty tables.
    segments : DataFrame
        Segments of the unit under study (``segment_id, doc_id, start, end, text``).
    codebook_table : DataFrame
        The workspace codebook's codes (:attr:`Codebook.codes <analysis.coding.codebook.Codebook.codes>`).
    documents : dict or Series, optional
        ``doc_id`` → document text, to check QDA sources against the workspace texts.
    exclude_coders : sequence of str
        Coders dropped (the auto-codings travel inside exported projects).
    coder_names : mapping, optional
        Display name → coder id, for QDA tools that drop the REFI-QDA user id (see
        :func:`analysis.coding.refi.load_coders`, ``config/coders.yaml``); applied to
        coding sheets too. ``load_coders(...).as_kwargs()`` gives both arguments.

    Returns
    -------
    (codings, coverage, unmapped)
        ``codings``: ``segment_id, code, coder, source_file``; ``coverage``: ``segment_id,
        coder`` (sheets: the rows; projects: every segment of a document the coder coded
        in); ``unmapped``: selections of projects that could not be mapped, with ``file``.
    """
    from analysis.coding.agreement import coverage_table
    from analysis.coding.refi import coder_id, import_qdpx, map_codings_to_segments

    folder = Path(folder)
    frames, coverages, unmapped_frames = [], [], []
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))) \
        if folder.is_dir() else []
    units = segments["segment_id"].astype(str).tolist()
    for file in files:
        suffix = file.suffix.lower()
        if suffix in (".qdpx", ".qde"):
            project = import_qdpx(file, codebook_table=codebook_table, coder_names=coder_names)
            mapped, unmapped = map_codings_to_segments(project, segments, documents, codebook_table=codebook_table)
            mapped = mapped[~mapped["coder"].isin(exclude_coders)]
            unmapped_frames.append(unmapped.assign(file=file.name))
            coders = sorted(mapped["coder"].unique())
            coverages.append(coverage_table(mapped, units, coders=coders, how="document", segments=segments))
        elif suffix in (".csv", ".xlsx", ".xlsm"):
            mapped = read_coding_sheet(file, segments=segments, codebook_table=codebook_table)
            mapped = mapped.assign(coder=[coder_id(c, coder_names) for c in mapped["coder"]])
            mapped = mapped[~mapped["coder"].isin(exclude_coders)]
            coverages.append(mapped[["segment_id", "coder"]])
        else:
            continue
        frames.append(mapped[["segment_id", "code", "coder"]].assign(source_file=file.name))
    codings = pd.concat(frames, ignore_index=True) if frames else \
        pd.DataFrame(columns=["segment_id", "code", "coder", "source_file"])
    coverage = pd.concat(coverages, ignore_index=True).drop_duplicates().reset_index(drop=True) if coverages else \
        pd.DataFrame(columns=["segment_id", "coder"])
    unmapped = pd.concat(unmapped_frames, ignore_index=True) if unmapped_frames else pd.DataFrame()
    return codings.drop_duplicates(["segment_id", "code", "coder"]).reset_index(drop=True), coverage, unmapped


# ----------------------------------------------------------------------------- simulation


def simulate_human_codings(
    segments: pd.DataFrame,
    autocodes: pd.DataFrame,
    *,
    coders: Sequence[str] = ("K1", "K2"),
    seed: int = 20240301,
    codes: Sequence[str] | None = None,
    share_documents: float = 1.0,
    auto_false_positive: float = 0.15,
    auto_miss: float = 0.08,
    coder_miss: float = 0.08,
    coder_extra: float = 0.02,
) -> pd.DataFrame:
    """Plant the codings of human coders for the synthetic demo data.

    A latent "true" coding is drawn from the auto-codes: each auto-code is wrong with
    probability ``auto_false_positive``, and a segment holds a code the rules missed with
    probability ``auto_miss``. Each human coder then applies each true code with probability
    ``1 - coder_miss`` and, per segment, one wrong code with probability ``coder_extra``
    (more often one the auto-coder gave wrongly: the ambiguous cases). So the humans agree
    mostly with each other, a bit less with the auto-coder, and their disagreements are
    reproducible (fixed ``seed``).

    Parameters
    ----------
    segments : DataFrame
        The segments humans code (``segment_id``, ``doc_id``), e.g. turns.
    autocodes : DataFrame
        ``segment_id, code`` from the auto-coder.
    coders : sequence of str
        Coder ids (``K1``, ``K2``… = *koodaaja*).
    seed : int
    codes : sequence of str, optional
        Codes humans may use (default: the codes in ``autocodes``).
    share_documents : float
        Share of documents coded by the humans (whole documents, chosen with the seed),
        as in an inter-coder sample.
    auto_false_positive, auto_miss, coder_miss, coder_extra : float
        Error rates (see above).

    Returns
    -------
    DataFrame
        ``segment_id, code, coder``, with one row with ``code`` missing for each segment a
        coder judged without giving a code (the coding-sheet convention). Write it with
        :func:`write_coding_sheet` (``codings=``) or :func:`analysis.coding.refi.export_qdpx`.

    Examples
    --------
    >>> human = simulate_human_codings(segs, autocodes, coders=("K1", "K2"), seed=7)  # doctest: +SKIP
    """
    for column in ("segment_id",):
        if column not in segments.columns or column not in autocodes.columns:
            raise DataError(f"segments and autocodes need column '{column}'", file="simulate_human_codings",
                            hint="Pass data/processed/segments.parquet and autocodes.parquet.")
    if not 0 < share_documents <= 1:
        raise DataError(f"share_documents must be in (0, 1], got {share_documents}", file="simulate_human_codings",
                        hint="Use e.g. 0.3 for a 30 % inter-coder sample.")
    rng = np.random.default_rng(seed)
    seg = segments.reset_index(drop=True)
    seg_ids = seg["segment_id"].astype(str).tolist()
    if "doc_id" in seg.columns and share_documents < 1:
        docs = sorted(seg["doc_id"].astype(str).unique())
        n_docs = max(1, int(round(share_documents * len(docs))))
        chosen = set(rng.choice(docs, size=n_docs, replace=False).tolist())
        seg_ids = [s for s, d in zip(seg_ids, seg["doc_id"].astype(str)) if d in chosen]
    auto = autocodes.assign(segment_id=autocodes["segment_id"].astype(str), code=autocodes["code"].astype(str))
    all_codes = sorted(set(codes) if codes is not None else set(auto["code"]))
    if not all_codes:
        raise DataError("no codes to simulate", file="simulate_human_codings",
                        hint="Pass auto-codes or codes=[...].")
    auto_by_seg: dict[str, list[str]] = {}
    for segment_id, code in zip(auto["segment_id"], auto["code"]):
        if code in all_codes:
            auto_by_seg.setdefault(segment_id, []).append(code)
    truth: dict[str, set[str]] = {}
    ambiguous: dict[str, list[str]] = {}
    for segment_id in seg_ids:
        given = sorted(set(auto_by_seg.get(segment_id, [])))
        keep = rng.random(len(given)) >= auto_false_positive
        truth[segment_id] = {c for c, k in zip(given, keep) if k}
        ambiguous[segment_id] = [c for c, k in zip(given, keep) if not k]
        if rng.random() < auto_miss:
            others = [c for c in all_codes if c not in given]
            if others:
                truth[segment_id].add(others[int(rng.integers(len(others)))])
    rows = []
    for coder in coders:
        for segment_id in seg_ids:
            true_codes = sorted(truth[segment_id])
            applied = [c for c, r in zip(true_codes, rng.random(len(true_codes))) if r >= coder_miss]
            if rng.random() < coder_extra:
                pool = ambiguous[segment_id] or [c for c in all_codes if c not in true_codes]
                if pool:
                    applied.append(pool[int(rng.integers(len(pool)))])
            if applied:
                rows.extend({"segment_id": segment_id, "code": c, "coder": coder} for c in sorted(set(applied)))
            else:
                rows.append({"segment_id": segment_id, "code": None, "coder": coder})
    return pd.DataFrame(rows, columns=["segment_id", "code", "coder"])
