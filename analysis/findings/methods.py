"""The methods section, generated from what was actually run.

Nothing here is written by hand: the data sources and their n come from the processed
tables (``data/processed/*.parquet``), the instruments and scales from the instrument
files the respondents were read with, the tests and corrections from the methods
paragraphs the notebooks registered, the text processing from the codebook and the
software versions from the provenance record (``reports/provenance.json``).

The result is a list of simple blocks (``heading``, ``paragraph``, ``list``) that the
report writers render in every format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from analysis.config import load_yaml
from analysis.errors import ConfigError
from analysis.findings import style
from analysis.findings.registry import RunFindings
from analysis.workspace import Workspace

T = {
    "data": {"fi": "Aineistot", "en": "Data"},
    "instruments": {"fi": "Mittarit ja summamuuttujat", "en": "Instruments and scales"},
    "analyses": {"fi": "Analyysit, testit ja korjaukset", "en": "Analyses, tests and corrections"},
    "text": {"fi": "Tekstiaineiston käsittely", "en": "Text processing"},
    "software": {"fi": "Ohjelmistot", "en": "Software"},
    "privacy": {"fi": "Tietosuoja", "en": "Data protection"},
    "none": {"fi": "Käsiteltyjä aineistoja ei löytynyt.", "en": "No processed data were found."},
}


def _read(processed: Path, name: str, columns: list[str]) -> pd.DataFrame | None:
    """Read the columns of a processed table that exist; None when the table is absent."""
    path = processed / f"{name}.parquet"
    if not path.is_file():
        return None
    try:
        import pyarrow.parquet as pq

        available = set(pq.read_schema(path).names)
        return pd.read_parquet(path, columns=[c for c in columns if c in available])
    except Exception:  # an unreadable table is reported by the data-quality run, not here
        return None


def _date_range(values: pd.Series, language: str) -> str | None:
    dates = pd.to_datetime(values, errors="coerce").dropna()
    if dates.empty:
        return None
    first, last = dates.min(), dates.max()
    fmt = (lambda d: f"{d.day}.{d.month}.{d.year}") if language == "fi" else (lambda d: d.strftime("%Y-%m-%d"))
    return f"{fmt(first)}–{fmt(last)}"


#: What the numbers of the data description reveal about the cells the runs publish:
#: number id (a glob) → (run, glob of the cell ids whose sum the number is). The runs
#: declare these ids with ``Registry.table(cell_ids=...)``; see :func:`methods_numbers`.
REVEALS: dict[str, tuple[str, str]] = {
    "diary_entries": ("diaries", "entries/*/*"),              # Σ entries per quarter and work package
    "coding_units/workshop_segments": ("workshops", "segments/role/*"),   # Σ segments per speaker role
}


def data_sources(root: str | Path | None = None, language: str = "fi", k: int | None = None) -> list[str]:
    """Sentences describing each data source and its n, from the processed tables.

    With ``k``, a count of persons (respondents, pairs, diary writers) of ``1 … k-1`` is
    printed as ``<k`` (:func:`methods_numbers` lists every number printed here for the
    disclosure audit).
    """
    return _data_sources(root, language, k)[0]


def methods_numbers(root: str | Path | None = None, k: int = 5) -> list[dict]:
    """Every number the data description of the methods prints from the data, for the audit.

    Returns
    -------
    list of dict
        ``{"id", "value" (true), "published" (as printed: a number or "<k"), "persons"
        (a count of persons: below k it must not be printed), "reveals" (None or ``(run,
        cell id glob)``: the number is the sum of those published cells of the run)}``.
        :func:`analysis.privacy.audit.audit_registries` audits them with the runs' tables.

    Examples
    --------
    >>> import tempfile
    >>> methods_numbers(tempfile.mkdtemp())
    []
    """
    return _data_sources(root, "fi", k)[1]


def _data_sources(root: str | Path | None, language: str, k: int | None) -> tuple[list[str], list[dict]]:
    import fnmatch

    workspace = Workspace.discover(root=root)
    processed = workspace.processed
    numbers: list[dict] = []

    def count(number_id: str, value: Any, persons: bool = False) -> str:
        """Record a printed number; a count of persons below k is printed as <k."""
        value = int(value)
        published: int | str = value
        if persons and k is not None and 1 <= value < k:
            published = f"<{k}"
        reveals = next((spec for pattern, spec in REVEALS.items() if fnmatch.fnmatchcase(number_id, pattern)), None)
        numbers.append({"id": number_id, "value": value, "published": published, "persons": persons,
                        "reveals": reveals})
        return published if isinstance(published, str) else style.format_number(value, language)

    lines: list[str] = []
    respondents = _read(processed, "respondents", ["survey_id", "wave", "respondent"])
    if respondents is not None and not respondents.empty and "survey_id" in respondents:
        keys = ["survey_id", "wave"] if "wave" in respondents else ["survey_id"]
        counts = respondents.groupby(keys, sort=True).size()
        titles = _survey_titles(workspace, language)
        for key, size in counts.items():
            survey_id, wave = (key if isinstance(key, tuple) else (key, None))
            wave_text = _wave_label(wave, language) if wave else None
            title = titles.get(survey_id)
            if title and wave_text and wave_text.lower() not in title.lower():
                name = f"{title[0].upper()}{title[1:]} ({wave_text})"
            elif title:
                name = f"{title[0].upper()}{title[1:]}"
            elif language == "fi":
                name = f"Kysely {survey_id}{f' ({wave_text})' if wave_text else ''}"
            else:
                name = f"Survey {survey_id}{f' ({wave_text})' if wave_text else ''}"
            shown = count(f"respondents/{survey_id}/{wave or ''}", size, persons=True)
            lines.append(f"{name}: {shown} vastaajaa." if language == "fi" else f"{name}: {shown} respondents.")
        if "wave" in respondents and {"baseline", "followup"} <= set(respondents["wave"].dropna()):
            base = set(respondents.loc[respondents["wave"] == "baseline", "respondent"])
            follow = set(respondents.loc[respondents["wave"] == "followup", "respondent"])
            paired = count("respondent_pairs", len(base & follow), persons=True)
            lines.append(
                f"Alku- ja loppukartoitukseen vastanneita (parit): {paired}."
                if language == "fi"
                else f"Respondents in both baseline and follow-up (pairs): {paired}."
            )
    workshops = _read(processed, "workshops", ["workshop_id", "date", "work_package", "n_turns"])
    if workshops is not None and not workshops.empty:
        span = _date_range(workshops["date"], language) if "date" in workshops else None
        turns = int(pd.to_numeric(workshops.get("n_turns"), errors="coerce").fillna(0).sum()) if "n_turns" in workshops else None
        from analysis.vocabulary import vocabulary  # TP1 in Finnish, WP1 in English

        packages = (", ".join(vocabulary().label(p, language) for p in sorted(workshops["work_package"].dropna().astype(str).unique()))
                    if "work_package" in workshops else "")
        n_workshops = count("workshops", len(workshops))
        n_turns = count("turns", turns) if turns else None
        if language == "fi":
            text = f"Työpajat: {n_workshops} litteroitua työpajaa"
            text += f" ({span})" if span else ""
            text += f", yhteensä {n_turns} puheenvuoroa" if turns else ""
            text += f"; työpaketit {packages}." if packages else "."
        else:
            text = f"Workshops: {n_workshops} transcribed workshops"
            text += f" ({span})" if span else ""
            text += f", {n_turns} speaking turns in all" if turns else ""
            text += f"; work packages {packages}." if packages else "."
        lines.append(text)
    diaries = _read(processed, "diary_entries", ["entry_id", "date", "writer"])
    if diaries is not None and not diaries.empty:
        span = _date_range(diaries["date"], language) if "date" in diaries else None
        writers = diaries["writer"].nunique() if "writer" in diaries else None
        n_entries = count("diary_entries", len(diaries))
        n_writers = count("diary_writers", writers, persons=True) if writers else None
        if language == "fi":
            text = f"Hankepäiväkirjat: {n_entries} merkintää"
            text += f" ({span})" if span else ""
            text += f", {n_writers} kirjoittajaa." if writers else "."
        else:
            text = f"Project diaries: {n_entries} entries"
            text += f" ({span})" if span else ""
            text += f", {n_writers} writers." if writers else "."
        lines.append(text)
    for name in ("segments", "workshop_segments", "diary_segments"):
        segments = _read(processed, name, ["segment_id", "doc_type"])
        if segments is not None and not segments.empty:
            label = {"segments": "", "workshop_segments": " (työpajat)", "diary_segments": " (päiväkirjat)"}[name]
            if language == "en":
                label = {"segments": "", "workshop_segments": " (workshops)", "diary_segments": " (diaries)"}[name]
            units = count(f"coding_units/{name}", len(segments))
            lines.append(f"Koodausyksiköitä{label}: {units}." if language == "fi" else f"Coding units{label}: {units}.")
    return lines, numbers


def _wave_label(wave: str, language: str) -> str:
    from analysis.vocabulary import vocabulary

    return vocabulary().label(wave, language, "waves")  # waves of config/vocabulary.yaml; an unknown wave as written


def _survey_titles(workspace: Workspace, language: str) -> dict[str, str]:
    """Survey id → the title of its instrument (from the respondents table's ``instrument``)."""
    respondents = _read(workspace.processed, "respondents", ["survey_id", "instrument"])
    if respondents is None or "instrument" not in respondents or "survey_id" not in respondents:
        return {}
    titles = {}
    for survey_id, name in respondents[["survey_id", "instrument"]].drop_duplicates().itertuples(index=False):
        for path in (workspace.resolve_config(str(name)), workspace.config / f"instrument_{name}.yaml"):
            if path.is_file():
                try:
                    spec = load_yaml(path)
                except ConfigError:
                    break
                title = (spec.get("title") or {}).get(language) if isinstance(spec, dict) else None
                if title:
                    titles[str(survey_id)] = title
                break
    return titles


def subset_sentence(findings: RunFindings, language: str, provenance: dict | None) -> str | None:
    """How a subset run was chosen: its parameters from the provenance record."""
    from analysis.vocabulary import vocabulary

    info = ((provenance or {}).get("runs") or {}).get(findings.run) or {}
    params = info.get("parameters") or {}
    shown = []
    skip = {"project_root", "run_name", "language", "min_cell_size", "out_dir"}
    for key, value in sorted(params.items()):
        if key in skip or value in (None, "", [], {}):
            continue
        if isinstance(value, (list, tuple)):
            value = ", ".join(vocabulary().label(v, language) for v in value)
        elif isinstance(value, str) and vocabulary().has(value):
            value = vocabulary().label(value, language)
        elif isinstance(value, str) and ("/" in value or value.endswith((".yaml", ".parquet"))):
            continue
        label = vocabulary().column(key, language) or key.replace("_", " ")
        shown.append(f"{label}: {value}")
    if not shown:
        return None
    return (f"Osa-aineisto ({findings.run}): " if language == "fi" else f"Subset ({findings.run}): ") + "; ".join(shown) + "."


def data_description(root: str | Path | None = None) -> dict:
    """The data description the ingestion recorded from the data manifest.

    ``description:`` (a text, or texts by language) and ``synthetic:`` of
    ``data/raw/manifest.yaml``, as written to ``data/processed/ingest_report.json``;
    the notebooks read that file, never data/raw/.

    Returns
    -------
    dict
        ``{"description": str | dict | None, "synthetic": bool}``.

    Raises
    ------
    DataError
        When the ingestion has not run.
    """
    import json

    from analysis.errors import DataError

    workspace = Workspace.discover(root=root)
    report = workspace.processed / "ingest_report.json"
    if not report.is_file():
        raise DataError("no ingestion report: the data description comes from it", file=report,
                        hint="Run `jakala ingest` first.")  # fmt: skip
    data = json.loads(report.read_text(encoding="utf-8")).get("data") or {}
    return {"description": data.get("description"), "synthetic": data.get("synthetic") is True}


def source_note(text: dict, root: str | Path | None = None) -> dict:
    """A figure's source line with the data description of the manifest (synthetic or not).

    ``{"fi": "Jäkälä-kyselyt", "en": "Jäkälä surveys"}`` becomes
    ``"Jäkälä-kyselyt, synteettinen aineisto"`` when the data manifest says
    ``synthetic: true`` (see :func:`data_description`), and stays as it is for real data.
    """
    if not data_description(root)["synthetic"]:
        return dict(text)
    return {"fi": f"{text['fi']}, synteettinen aineisto", "en": f"{text['en']}, synthetic data"}


def _instrument_files(workspace: Workspace) -> list[Path]:
    """The instruments of the manifest's surveys (``data/processed/surveys.json``), else as before:
    instrument files named in the respondents table, else every config/instrument_*.yaml."""
    surveys = workspace.processed / "surveys.json"
    if surveys.is_file():
        import json

        listed = [str(s["instrument"]) for s in json.loads(surveys.read_text(encoding="utf-8")) if s.get("instrument")]
        return [workspace.resolve_config(p) for p in dict.fromkeys(listed) if workspace.resolve_config(p).is_file()]
    respondents = _read(workspace.processed, "respondents", ["instrument"])
    files: list[Path] = []
    candidates = sorted(workspace.config.glob("instrument_*.yaml"))
    if respondents is not None and "instrument" in respondents:
        for name in sorted(respondents["instrument"].dropna().astype(str).unique()):
            path = workspace.resolve_config(name)
            if path.is_file():
                files.append(path)
                continue
            for candidate in candidates:
                if candidate.stem == f"instrument_{name}" and candidate not in files:
                    files.append(candidate)
        if files:
            return files
    return candidates


def instruments(root: str | Path | None = None, language: str = "fi") -> list[str]:
    """One sentence per instrument: items, answer scale and scales with their items."""
    workspace = Workspace.discover(root=root)
    lines = []
    for path in _instrument_files(workspace):
        try:
            spec = load_yaml(path)
        except ConfigError:
            continue
        if not isinstance(spec, dict):
            continue
        title = (spec.get("title") or {}).get(language) or spec.get("id") or path.stem
        items = spec.get("items") or []
        reverse = {i.get("id") for i in items if isinstance(i, dict) and i.get("reverse")}
        answer_texts = []
        for answer_set in (spec.get("answer_sets") or {}).values():
            if not isinstance(answer_set, dict):
                continue
            low, high = answer_set.get("min"), answer_set.get("max")
            labels = answer_set.get("labels") if language == "fi" else answer_set.get("labels_en")
            if isinstance(labels, dict) and low is not None and high is not None:
                by_value = {v: k for k, v in labels.items()} if language == "fi" else {int(k): v for k, v in labels.items()}
                if low in by_value and high in by_value and high - low >= 2:
                    answer_texts.append(f"{low} = {by_value[low]} … {high} = {by_value[high]}")
        scales = []
        for scale in spec.get("scales") or []:
            label = (scale.get("label") or {}).get(language, scale.get("id"))
            scale_items = scale.get("items") or []
            rev = [i for i in scale_items if i in reverse]
            if language == "fi":
                text = f"{label} ({len(scale_items)} väittämää" + (f"; käännetty: {', '.join(rev)}" if rev else "") + ")"
            else:
                text = f"{label} ({len(scale_items)} items" + (f"; reverse-coded: {', '.join(rev)}" if rev else "") + ")"
            scales.append(text)
        if language == "fi":
            text = f"{title}: {len(items)} kysymystä"
            text += f", vastausasteikko {'; '.join(answer_texts)}" if answer_texts else ""
            text += f". Summamuuttujat: {', '.join(scales)}." if scales else "."
        else:
            text = f"{title}: {len(items)} items"
            text += f", answer scale {'; '.join(answer_texts)}" if answer_texts else ""
            text += f". Scales: {', '.join(scales)}." if scales else "."
        lines.append(text)
    return lines


def _lemmatiser_of_ingestion(workspace: Workspace) -> dict:
    """The lemmatiser backend and version the ingestion recorded (``ingest_report.json``), or {}."""
    import json

    report = workspace.processed / "ingest_report.json"
    if not report.is_file():
        return {}
    info = json.loads(report.read_text(encoding="utf-8")).get("lemmatiser")
    return info if isinstance(info, dict) else {}


def text_processing(root: str | Path | None = None, language: str = "fi", provenance: dict | None = None) -> list[str]:
    """Codebook version and size, and the text-processing libraries used."""
    workspace = Workspace.discover(root=root)
    lines = []
    path = workspace.resolve_config("config/codebook.yaml")
    if path.is_file():
        try:
            codebook = load_yaml(path)
        except ConfigError:
            codebook = {}
        themes = codebook.get("themes") or [] if isinstance(codebook, dict) else []
        n_sub = sum(len(t.get("children") or []) for t in themes if isinstance(t, dict))
        version = codebook.get("version", "–") if isinstance(codebook, dict) else "–"
        if language == "fi":
            lines.append(
                f"Deduktiivinen koodikirja, versio {version}: {len(themes)} pääteemaa ja {n_sub} alateemaa "
                "(config/codebook.yaml)."
            )
        else:
            lines.append(
                f"Deductive codebook, version {version}: {len(themes)} themes and {n_sub} sub-themes (config/codebook.yaml)."
            )
    lemmatiser = _lemmatiser_of_ingestion(workspace)
    if lemmatiser:
        name = lemmatiser.get("name", "–")
        parts = [lemmatiser[k] for k in ("analyser",) if lemmatiser.get(k)]
        parts += [f"simplemma {lemmatiser['simplemma']}"] if lemmatiser.get("simplemma") else []
        version = ", ".join(parts) or lemmatiser.get("version", "")
        lines.append(
            f"Sanat lemmattiin aineiston tuonnissa menetelmällä {name} ({version}; config/text/lemmatiser.yaml)."
            if language == "fi"
            else f"Words were lemmatised at ingestion with the {name} backend ({version}; config/text/lemmatiser.yaml)."
        )
    packages = (provenance or {}).get("packages") or {}
    tools = [f"{name} {packages[name]}" for name in ("simplemma", "nltk", "libvoikko", "krippendorff") if name in packages]
    if tools:
        lines.append(
            f"Tekstinkäsittelyn kirjastot: {', '.join(tools)}." if language == "fi" else f"Text-processing libraries: {', '.join(tools)}."
        )
    return lines


def software(provenance: dict | None, language: str = "fi") -> list[str]:
    """Python and package versions, and the code version, from the provenance record."""
    provenance = provenance or {}
    lines = []
    packages = provenance.get("packages") or {}
    python = provenance.get("python")
    listed = ", ".join(f"{name} {version}" for name, version in sorted(packages.items(), key=lambda kv: kv[0].lower()))
    if python or listed:
        head = f"Python {python}" if python else "Python"
        lines.append(f"{head}; {listed}." if listed else f"{head}.")
    git = provenance.get("git") or {}
    if git:
        commit = git.get("commit") or ("ei tiedossa" if language == "fi" else "unknown")
        dirty = git.get("dirty")
        if language == "fi":
            lines.append(f"Koodin versio (git): {commit}" + (" (sisältää tallentamattomia muutoksia)." if dirty else "."))
        else:
            lines.append(f"Code version (git): {commit}" + (" (with uncommitted changes)." if dirty else "."))
    return lines


def build_methods(
    runs: list[RunFindings],
    root: str | Path | None = None,
    language: str = "fi",
    provenance: dict | None = None,
    skip: list[str] | None = None,
    description: str | None = None,
    subset: bool = False,
) -> list[dict]:
    """Build the methods section as report blocks.

    Parameters
    ----------
    runs : list of RunFindings
        The registries; their ``methods`` paragraphs describe the tests and corrections.
    root : str or Path, optional
        Workspace root.
    language : {"fi", "en"}
    provenance : dict, optional
        The provenance record of the batch (``reports/provenance.json``).
    skip : list of str, optional
        ``"run/id"`` patterns of methods paragraphs that state results (shown in the
        Results instead).
    description : str, optional
        The data description of the data manifest (``description:``, ``synthetic:``).
    subset : bool
        A subset draft: the data are described by the runs' own paragraphs and
        parameters, not by every processed table of the workspace.

    Returns
    -------
    list of dict
        Blocks ``{"type": "heading", "level": 3, "text": ...}``,
        ``{"type": "paragraph", "text": ...}``, ``{"type": "list", "items": [...]}``;
        methods paragraphs carry ``"key": (run, id)``.
    """
    blocks: list[dict] = []

    import fnmatch

    def section(title: dict, lines: list[str], as_list: bool = True, name: str | None = None) -> None:
        if not lines:
            return
        blocks.append({"type": "heading", "level": 3, "text": title[language], "section": name})
        blocks.append({"type": "list", "items": lines} if as_list else {"type": "paragraph", "text": " ".join(lines)})

    k_values = sorted({f.min_cell_size for f in runs}) or [5]
    if subset:
        lines = [subset_sentence(f, language, provenance) for f in runs]
        section(T["data"], [line for line in lines if line] or [T["none"][language]], name="data")
    else:
        section(T["data"], data_sources(root, language, k=k_values[0]) or [T["none"][language]], name="data")
    if description:
        blocks.append({"type": "paragraph", "text": description})
    section(T["instruments"], instruments(root, language), name="instruments")
    analysis_blocks = []
    for findings in runs:
        for item in findings.of_kind("methods"):
            if any(fnmatch.fnmatchcase(f"{findings.run}/{item['id']}", p) for p in (skip or [])):
                continue
            analysis_blocks.append({"type": "paragraph", "text": item["text"][language], "key": (findings.run, "methods", item["id"])})
    k_text = "/".join(str(k) for k in k_values)
    privacy_text = (
        f"Taulukoissa alle {k_text} havainnon solut on peitetty (merkintä <{k_values[0]}) ja niistä johdetut luvut "
        "jätetty pois. Toissijainen peittäminen valittiin lineaarisen ohjelmoinnin tarkastuksella (intervallitarkastus) "
        "niin, ettei peitettyä lukua voi päätellä tarkemmin kuin 1–"
        f"{k_values[0] - 1} julkaistujen taulukoiden ja tekstin summista ja erotuksista. Sitaatit esitetään pseudonyymein."
        if language == "fi"
        else f"In the tables, cells with fewer than {k_text} observations are suppressed (shown as <{k_values[0]}) "
        "with the figures derived from them. Secondary suppression was chosen with an interval audit by linear "
        f"programming, so that no suppressed count can be narrowed below 1–{k_values[0] - 1} from the sums and "
        "differences of the published tables and text. Quotations carry pseudonyms only."
    )
    if analysis_blocks:
        blocks.append({"type": "heading", "level": 3, "text": T["analyses"][language], "section": "analyses"})
        blocks.extend(analysis_blocks)
    section(T["text"], text_processing(root, language, provenance), name="text")
    blocks.append({"type": "heading", "level": 3, "text": T["privacy"][language], "section": "privacy"})
    blocks.append({"type": "paragraph", "text": privacy_text})
    section(T["software"], software(provenance, language), name="software")
    return blocks
