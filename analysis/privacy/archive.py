"""Anonymised data package for deposit in the Finnish Social Science Data Archive (FSD).

:func:`write_archive` writes::

    OUT/
      README.md            how the data were pseudonymised, what was removed (fi + en)
      variables.csv        table, name, label, label_en, type, values
      data/<table>.csv     every processed table (UTF-8, comma-separated)
      data/<table>.parquet
      documentation/       the instrument and codebook YAML files given

The package is built in a temporary folder next to ``OUT``, scanned with the leak gate
(:func:`analysis.privacy.scan.scan_paths`, with the pseudonym key's names) and moved into
place only if nothing is found; otherwise nothing is left behind and
:class:`~analysis.errors.LeakError` names the file and location (identifier masked).
The pseudonym key is never read into or written to the package.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Iterable

import pandas as pd
import yaml

from analysis.errors import ConfigError, DataError, LeakError
from analysis.privacy.keys import PseudonymKey
from analysis.privacy.redact import LABELS
from analysis.privacy.scan import SCAN_KINDS, format_findings, scan_paths

__all__ = ["write_archive", "variables_table", "COLUMN_LABELS"]

#: Labels (fi, en) of the processed-table columns (docs/architecture.md).
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "source_id": ("Lähdeaineiston tunnus", "Source data id"),
    "source_file": ("Lähdetiedosto", "Source file"),
    "source_row": ("Rivi lähdetiedostossa", "Row in the source file"),
    "source_line": ("Rivi lähdetiedostossa", "Line in the source file"),
    "survey_id": ("Kyselyn tunnus", "Survey id"),
    "instrument": ("Kyselylomake", "Instrument"),
    "wave": ("Mittauskerta", "Wave (baseline/follow-up)"),
    "respondent": ("Vastaajan pseudonyymi", "Respondent pseudonym"),
    "role": ("Ammattinimike", "Role"),
    "municipality": ("Kunta", "Municipality"),
    "experience_years": ("Työkokemus jälkihuollossa (vuotta)", "Experience in aftercare (years)"),
    "age": ("Ikä", "Age"),
    "living_situation": ("Asumismuoto", "Living situation"),
    "item": ("Kysymyksen tunnus", "Item id"),
    "value": ("Vastaus numerona", "Answer as number"),
    "label": ("Vastaus sanallisena", "Answer as written"),
    "missing": ("Puuttuvan tiedon syy", "Reason for missing value"),
    "text": ("Teksti (pseudonymisoitu)", "Text (pseudonymised)"),
    "workshop_id": ("Työpajan tunnus", "Workshop id"),
    "date": ("Päivämäärä", "Date"),
    "work_package": ("Työpaketti", "Work package"),
    "method": ("Menetelmä", "Method"),
    "place": ("Paikka", "Place"),
    "n_turns": ("Puheenvuorojen määrä", "Number of turns"),
    "n_speakers": ("Puhujien määrä", "Number of speakers"),
    "turn": ("Puheenvuoron numero", "Turn number"),
    "speaker": ("Puhujan pseudonyymi", "Speaker pseudonym"),
    "speaker_role": ("Puhujan rooli", "Speaker role"),
    "start_time": ("Alkuaika (s)", "Start time (s)"),
    "entry_id": ("Merkinnän tunnus", "Entry id"),
    "writer": ("Kirjoittajan pseudonyymi", "Writer pseudonym"),
    "writer_role": ("Kirjoittajan rooli", "Writer role"),
    "happened": ("Mitä tapahtui", "What happened"),
    "worked": ("Mikä toimi", "What worked"),
    "did_not_work": ("Mikä ei toiminut", "What did not work"),
    "next_steps": ("Seuraavat askeleet", "Next steps"),
    "segment_id": ("Segmentin tunnus", "Segment id"),
    "unit": ("Segmentin yksikkö", "Segment unit"),
    "doc_id": ("Dokumentin tunnus", "Document id"),
    "doc_type": ("Dokumentin tyyppi", "Document type"),
    "start": ("Alkukohta (merkki)", "Start offset (characters)"),
    "end": ("Loppukohta (merkki)", "End offset (characters)"),
    "position": ("Sanan järjestysnumero", "Token position"),
    "token": ("Sane", "Token"),
    "normalised": ("Normalisoitu muoto", "Normalised form"),
    "lemma": ("Perusmuoto", "Lemma"),
    "is_stopword": ("Hukkasana", "Stop word"),
    "location": ("Kohta lähteessä", "Location in source"),
    "reason": ("Syy", "Reason"),
    "content": ("Sisältö (pseudonymisoitu)", "Content (pseudonymised)"),
}

_FREE_TEXT = {"text", "happened", "worked", "did_not_work", "next_steps", "content", "token",
              "normalised", "lemma", "label"}
_PSEUDONYM_COLUMNS = {"respondent", "speaker", "writer"}
_MAX_LISTED_VALUES = 40


def _unlinked_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in an order that says nothing about the export: by (random) pseudonym, date, text.

    Survey rows are sorted by respondent pseudonym (random, so the order of the export
    is lost), diary entries by date, writer pseudonym and text; transcripts keep their
    turn order, which is the content.
    """
    if "respondent" in frame.columns:
        keys = [c for c in ("survey_id", "instrument", "respondent", "wave", "item") if c in frame.columns]
    elif "writer" in frame.columns:
        keys = [c for c in ("date", "writer", "text") if c in frame.columns]
    else:
        return frame
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def _type_name(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        return "decimal"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    if isinstance(series.dtype, pd.CategoricalDtype):
        return "category"
    return "text"


def _values(table: str, name: str, series: pd.Series) -> str:
    kind = _type_name(series)
    present = series.dropna()
    if present.empty:
        return "(tyhjä / empty)"
    if name in _FREE_TEXT or name.endswith("_other"):
        return "vapaa teksti, pseudonymisoitu / free text, pseudonymised"
    if name in _PSEUDONYM_COLUMNS:
        return f"pseudonyymi, {present.nunique()} eri / pseudonym, {present.nunique()} distinct"
    if kind in ("integer", "decimal"):
        low, high = present.min(), present.max()
        fmt = (lambda v: f"{v:g}") if kind == "decimal" else str
        return f"{fmt(low)}–{fmt(high)}"
    if kind == "date":
        return f"{present.min():%Y-%m-%d}–{present.max():%Y-%m-%d}"
    if kind == "boolean":
        return "True; False"
    unique = sorted({str(v) for v in present.tolist()})
    if len(unique) <= _MAX_LISTED_VALUES:
        return "; ".join(unique)
    return f"{len(unique)} eri arvoa / distinct values"


def variables_table(tables: dict[str, pd.DataFrame],
                    instruments: Iterable[dict] = ()) -> pd.DataFrame:
    """Describe every variable: one row per table column, plus one per instrument item.

    Parameters
    ----------
    tables : dict of str → DataFrame
        Table name → table, as written to the package.
    instruments : iterable of dict
        Parsed instrument YAMLs (``id``, ``items``, ``answer_sets``).

    Returns
    -------
    DataFrame
        Columns ``table, name, label, label_en, type, values``, in table order.

    Examples
    --------
    >>> variables_table({"workshops": pd.DataFrame({"place": ["Kemi", "Teams"]})}).iloc[0].tolist()
    ['workshops', 'place', 'Paikka', 'Place', 'text', 'Kemi; Teams']
    """
    rows = []
    for table, frame in tables.items():
        for name in frame.columns:
            label_fi, label_en = COLUMN_LABELS.get(str(name), ("", ""))
            rows.append({"table": table, "name": str(name), "label": label_fi,
                         "label_en": label_en, "type": _type_name(frame[name]),
                         "values": _values(table, str(name), frame[name])})
    for instrument in instruments:
        answer_sets = instrument.get("answer_sets") or {}
        for section in ("items", "open_items"):
            for item in instrument.get(section) or []:
                if not isinstance(item, dict) or "id" not in item:
                    continue
                text = item.get("text") or {}
                answers = answer_sets.get(item.get("answers"), {}) if section == "items" else {}
                labels = answers.get("labels") or {}
                codes = {}
                for answer_label, code in labels.items():
                    codes.setdefault(code, str(answer_label))
                values = ("; ".join(f"{code}={lab}" for code, lab in sorted(
                    codes.items(), key=lambda kv: str(kv[0])))
                          if codes else "vapaa teksti, pseudonymisoitu / free text, pseudonymised")
                if item.get("reverse"):
                    values += " (käänteinen / reverse-coded)"
                rows.append({"table": f"instrument:{instrument.get('id', '?')}",
                             "name": str(item["id"]), "label": str(text.get("fi", "")),
                             "label_en": str(text.get("en", "")),
                             "type": "Likert" if section == "items" else "text", "values": values})
    return pd.DataFrame(rows, columns=["table", "name", "label", "label_en", "type", "values"])


def _load_yaml(path: Path) -> dict:
    if not path.is_file():
        raise ConfigError("file not found", file=path, hint="Give an existing instrument or "
                          "codebook YAML file.")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError("not valid YAML", file=path,
                          location=f"line {mark.line + 1}" if mark is not None else None,
                          hint="Fix the YAML syntax.") from None
    return data if isinstance(data, dict) else {}


def _marker_counts(tables: dict[str, pd.DataFrame]) -> dict[str, int]:
    counts = {label: 0 for label in LABELS.values()}
    pattern = re.compile(r"\[(" + "|".join(re.escape(v) for v in LABELS.values()) + r")\]")
    pseudonym_mark = re.compile(r"\[(?:Fasilitaattori|ST|SO|Nuori|KA|Kumppani|Tutkija) \d+\]")
    counts["pseudonym"] = 0
    for frame in tables.values():
        for column in frame.columns:
            if str(column) not in _FREE_TEXT - {"token", "normalised", "lemma", "label"}:
                continue
            for value in frame[column].dropna().astype(str):
                for found in pattern.findall(value):
                    counts[found] += 1
                counts["pseudonym"] += len(pseudonym_mark.findall(value))
    return counts


def _readme(tables: dict[str, pd.DataFrame], documents: list[str], dropped: list[str],
            excluded: list[str], markers: dict[str, int], k_note: str) -> str:
    table_lines = "\n".join(f"| `{name}` | {len(frame)} | {len(frame.columns)} |"
                            for name, frame in tables.items())
    docs = "\n".join(f"- `documentation/{d}`" for d in documents) or "- –"
    dropped_txt = ", ".join(f"`{c}`" for c in dropped) or "–"
    excluded_txt = ", ".join(f"`{t}`" for t in excluded) or "–"
    m = markers
    return f"""# Jäkälä – jälkihuoltopalvelujen kehittäminen Lapissa: anonymisoitu aineistopaketti

*English below.*

## Sisältö

| taulu | rivejä | muuttujia |
|---|---|---|
{table_lines}

Jokainen taulu on kahdessa muodossa: `data/<taulu>.csv` (UTF-8, pilkuin erotettu) ja
`data/<taulu>.parquet`. Muuttujien kuvaus on tiedostossa `variables.csv` (taulu, nimi,
selite, tyyppi, arvot). Kyselylomakkeet ja koodikirjat:

{docs}

## Miten aineisto on pseudonymisoitu

- Puhujat (myös Teams/Zoom-nimet) on korvattu roolin mukaisilla pseudonyymeillä
  (`Fasilitaattori`, `ST` = sosiaalityöntekijä, `SO` = sosiaaliohjaaja, `Nuori`,
  `KA` = kokemusasiantuntija, `Kumppani`, `Tutkija` ja satunnainen numero, esim.
  `ST 27`), kyselyn vastaajatunnukset satunnaisilla tunnuksilla muodolla `R4821` ja
  päiväkirjojen kirjoittajat muodolla `K517`. Numerot eivät liity alkuperäisiin
  tunnuksiin eivätkä rivien järjestykseen. Sama henkilö on saanut saman pseudonyymin
  kaikissa aineistoissa.
- Teksteistä (litteroinnit, päiväkirjat, avoimet vastaukset) on poistettu tunnisteet ja
  korvaukset on merkitty hakasulkeisiin Tietoarkiston suosituksen mukaisesti
  (korvausten määrä paketissa):
  - henkilöiden nimet taivutusmuotoineen → henkilön pseudonyymi, esim. `[Nuori 2]`: {m.get('pseudonym', 0)}
  - muut nimet → `[nimi]`: {m['nimi']}
  - henkilötunnukset → `[henkilötunnus]`: {m['henkilötunnus']}
  - puhelinnumerot → `[puhelinnumero]`: {m['puhelinnumero']}
  - sähköpostiosoitteet → `[sähköposti]`: {m['sähköposti']}
  - katuosoitteet → `[osoite]`: {m['osoite']}

  Litteroijan omat merkinnät (esim. `[nimi poistettu]`, `[naurua]`) on säilytetty.
- Poistetut muuttujat: {dropped_txt}. Pois jätetyt taulut: {excluded_txt}
  (virheellisten rivien karanteeni).
- Pseudonyymiavain (alkuperäiset tunnisteet → pseudonyymit) ei ole paketissa. Se
  säilytetään erillään ja hävitetään hankkeen päättyessä, minkä jälkeen aineisto on
  anonyymi.
- Paketti on tarkistettu automaattisesti: siitä ei löytynyt henkilötunnuksia,
  puhelinnumeroita, sähköpostiosoitteita eikä avaimen nimiä.
- Paketti sisältää yksilötason tietoja. Pienten solujen suojaus ({k_note}) koskee
  julkaistavia taulukoita; pienten kuntien ja ammattiryhmien yhdistelmät voivat silti
  olla tunnistettavia, joten aineisto luovutetaan vain tutkimuskäyttöön
  käyttöehdoin.

# Jäkälä – developing aftercare services in Lapland: anonymised data package

## Contents

The tables above are given as `data/<table>.csv` (UTF-8, comma-separated) and
`data/<table>.parquet`. `variables.csv` describes every variable (table, name, label,
type, values). Instruments and codebooks are in `documentation/`.

## How the data were pseudonymised

- Speakers (including Teams/Zoom voice names) were replaced by role-based pseudonyms
  with a random number (`Fasilitaattori` facilitator, `ST` social worker, `SO` social
  counsellor, `Nuori` young person, `KA` expert by experience, `Kumppani` partner,
  `Tutkija` researcher, e.g. `ST 27`); survey respondent codes by random codes such as
  `R4821`, diary writers by `K517`. The numbers are unrelated to the original codes
  and to the order of the rows. The same person has the same pseudonym across all
  sources.
- Identifiers in free text (transcripts, diaries, open answers) were replaced and the
  replacements marked in square brackets as the Finnish Social Science Data Archive
  recommends (number of replacements in the package):
  - names of persons in the key, inflected forms included → the person's pseudonym,
    e.g. `[Nuori 2]`: {m.get('pseudonym', 0)}
  - other names → `[nimi]`: {m['nimi']}
  - personal identity codes → `[henkilötunnus]`: {m['henkilötunnus']}
  - phone numbers → `[puhelinnumero]`: {m['puhelinnumero']}
  - e-mail addresses → `[sähköposti]`: {m['sähköposti']}
  - street addresses → `[osoite]`: {m['osoite']}

  Transcription marks such as `[nimi poistettu]` or `[naurua]` were kept.
- Removed variables: {dropped_txt}. Excluded tables: {excluded_txt} (quarantine of
  invalid rows).
- The pseudonym key (originals → pseudonyms) is not part of the package. It is kept
  apart and destroyed at the end of the project, after which the data are anonymous.
- The package was scanned automatically: no personal identity codes, phone numbers,
  e-mail addresses or names from the key were found.
- The package holds record-level data. Small-cell suppression ({k_note}) applies to
  published tables; combinations of small municipalities and professions may still
  identify people, so the data are for research use under access conditions only.
"""


def write_archive(
    workspace,
    out_dir: str | Path,
    *,
    instruments: Iterable[str | Path] = (),
    codebooks: Iterable[str | Path] = (),
    config_files: Iterable[str | Path] = (),
    key: PseudonymKey | None = None,
    exclude_tables: Iterable[str] = ("quarantine",),
    drop_columns: Iterable[str] = ("source_file", "source_row", "source_line"),
    min_cell_size: int = 5,
    overwrite: bool = False,
) -> Path:
    """Write an anonymised data package for the Finnish Social Science Data Archive.

    Parameters
    ----------
    workspace : Workspace
        Processed tables are read from ``workspace.processed/*.parquet``; the key (for
        the final scan) from ``workspace.keys`` unless ``key`` is given.
    out_dir : path
        Package folder to create.
    instruments, codebooks : iterable of path
        Instrument and codebook YAML files to include (relative paths are resolved
        with ``workspace.resolve_config``).
    config_files : iterable of path
        YAML files of either kind: a file with ``items`` and ``answer_sets`` is taken as
        an instrument (its items go into ``variables.csv``), any other as a codebook.
    key : PseudonymKey, optional
        The key whose names the final scan looks for.
    exclude_tables : iterable of str, default ("quarantine",)
        Processed tables not to deposit.
    drop_columns : iterable of str, default ("source_file", "source_row", "source_line")
        Columns removed from every table (raw file names can carry names).
    min_cell_size : int, default 5
        The project's small-cell threshold, mentioned in the README.
    overwrite : bool, default False
        Replace an existing non-empty ``out_dir``.

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    DataError
        No processed tables, ``out_dir`` inside the data folders, or not empty.
    ConfigError
        An instrument or codebook file is missing or not valid YAML.
    LeakError
        The scan found an identifier in the package; nothing is written.
    """
    out_dir = Path(out_dir).resolve()
    for protected in (workspace.keys, workspace.raw, workspace.processed):
        protected = Path(protected).resolve()
        if out_dir == protected or protected in out_dir.parents:
            raise DataError("the archive cannot be written inside the data folders",
                            file=out_dir, hint="Choose a folder outside data/.")
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise DataError("the archive folder exists and is not empty", file=out_dir,
                        hint="Choose a new folder or pass overwrite=True.")
    processed = Path(workspace.processed)
    excluded = set(exclude_tables)
    files = sorted(processed.glob("*.parquet")) if processed.is_dir() else []
    if not files:
        raise DataError("no processed tables to archive", file=processed,
                        hint="Run the ingestion first (jakala ingest).")
    if key is None:
        key = PseudonymKey.load(workspace.keys)

    instruments, codebooks = list(instruments), list(codebooks)
    for raw_path in config_files:
        parsed = _load_yaml(Path(workspace.resolve_config(raw_path)))
        (instruments if "items" in parsed and "answer_sets" in parsed else codebooks).append(raw_path)
    docs: list[tuple[str, Path]] = []
    for group, paths in (("", instruments), ("codebooks/", codebooks)):
        for raw_path in paths:
            path = Path(workspace.resolve_config(raw_path))
            _load_yaml(path)
            docs.append((f"{group}{path.name}", path))
    parsed_instruments = [_load_yaml(Path(workspace.resolve_config(p))) for p in instruments]

    tables: dict[str, pd.DataFrame] = {}
    dropped: set[str] = set()
    for file in files:
        if file.stem in excluded:
            continue
        try:
            frame = pd.read_parquet(file)
        except Exception as exc:  # pyarrow raises several error types
            raise DataError(f"cannot read processed table ({exc.__class__.__name__})",
                            file=file, hint="Re-run the ingestion.") from None
        drop = [c for c in drop_columns if c in frame.columns]
        dropped |= set(drop)
        tables[file.stem] = _unlinked_order(frame.drop(columns=drop))

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        (staging / "data").mkdir()
        for name, frame in tables.items():
            frame.to_csv(staging / "data" / f"{name}.csv", index=False, encoding="utf-8")
            frame.to_parquet(staging / "data" / f"{name}.parquet", index=False)
        for target, source in docs:
            destination = staging / "documentation" / target
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
        variables_table(tables, parsed_instruments).to_csv(
            staging / "variables.csv", index=False, encoding="utf-8")
        k_note = f"k = {min_cell_size}"
        (staging / "README.md").write_text(
            _readme(tables, [t for t, _ in docs], sorted(dropped),
                    sorted(excluded & {f.stem for f in files}), _marker_counts(tables), k_note),
            encoding="utf-8")
        findings = scan_paths([staging], key, kinds=SCAN_KINDS)
        if findings:
            shown = [type(f)(str(out_dir / Path(f.file).relative_to(staging)), f.location,
                             f.kind, f.masked) for f in findings]
            raise LeakError(f"the archive would contain {len(shown)} identifier(s); nothing "
                            f"was written", file=shown[0].file, location=shown[0].location,
                            hint="Fix the redaction (names.yaml, re-ingest) and try again.\n"
                                 + format_findings(shown))
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(staging, out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return out_dir
