"""Deterministic synthetic raw data for the Jäkälä workspace (``jakala demo-data``).

:func:`generate` writes, into ``out_dir`` (normally ``data/raw/``), files in the real
formats of the project's three data sources, plus ``manifest.yaml`` describing them:

==========================================  ===============================================
``surveys/alkukartoitus_2024.xlsx``          Webropol export, baseline, 60 × scale respondents
``surveys/loppukartoitus_2026.xlsx``         Webropol export, follow-up, 60 × scale (half linked)
``surveys/nuorten_tarvekysely.csv``          needs survey, 40 × scale, ``;``, UTF-8 with BOM
``workshops/W01_tp1_tyopaja_2024-05-14.txt`` 7 × scale transcripts: .txt (one cp1252 + CRLF),
                                             two .docx, one Teams .vtt per 7
``diaries/hankepaivakirja.xlsx``             form export, 120 × scale entries 3/2024–2/2027
``diaries/entries/2025-04-10_tp2c.md``       4 × scale one-document-per-entry diaries
``codings/koodaus_K1_K2.csv``                two coders' codes for the turns of W01, W02, W04
==========================================  ===============================================

Header texts, answer labels and categories come from ``config/instrument_*.yaml``; the
sentences from the YAML banks in ``analysis/synthetic/data/``. Two runs with the same
``seed`` and ``scale`` give byte-identical files.

Planted signal (what the analyses should find)
----------------------------------------------
(a) **Professionals' survey** (latent means on the positively keyed 1–5 metric, see
    :data:`analysis.synthetic.surveys.SCALE_MEANS`): *role clarity* rises from baseline
    to follow-up by **+0.8 for social counsellors** (2.8 → 3.6) and **+0.3 for social
    workers** (3.3 → 3.6), +0.3 for others; *collaboration* and *service paths* rise
    by +0.5; *participation* +0.2; *competence* is stable (±0). Rounding to the
    answer scale and clipping at 1 and 5 shrink the observed changes by roughly 10 %.
    Item = mean + 0.7 × (trait + N(0, 0.8²)); one trait per scale and respondent, so
    Cronbach's alpha is typically .75–.88 (with ≈ 50 complete answers per wave a seed
    can land between .67 and .90);
    reverse-coded items (rc3, co4, sp3) are answered as 6 − value. Linked respondents
    (half of the follow-up reuse their baseline code; one typed it in CAPITALS) keep
    their trait with correlation 0.8, so paired tests have power: with seed 2024 at
    scale 1 the paired role-clarity change is large (r ≈ .74, Holm p < .01; larger for
    social counsellors than social workers) and collaboration rises (r ≈ .56, Holm
    p ≈ .03). Service paths (≈ 22 complete pairs) and participation (≈ 20) are below
    what the paired test can detect at scale 1; at scale 10 they are recovered too. About 4 % "En osaa sanoa", 2 % empty cells, 3 % of respondents stop after
    the background questions; a few experience answers are text with a decimal comma.
(b) **Workshops**: young people's share of the *turns* grows linearly with the
    workshop date from 11 % (first workshop) to 35 % (last); their share of the *words*
    grows from about **10 % to about 33 %** (facilitator turns are short).
(c) **Diaries**: in TP2C entries, housing worries (asuminen, vuokra, tukiasunto,
    asunnon saaminen, häätö, vuokravakuus) appear with probability **0.15 in 2024** and
    **0.75 in 2025** (0.45 in 2026–27); other TP2C sentences avoid these words.
(d) **Needs survey**: housing (≈ 62 %) and money (≈ 60 %) are the most common needs;
    the others are ≤ 35 %. Peer support is needed by ≈ 55 % of those in supported
    housing against ≈ 18 % of the others.

Codings
-------
``codings/koodaus_K1_K2.csv`` (columns ``segment_id, coder, code``; UTF-8) holds the
top-level theme ids of the shared codebook for every non-facilitator turn of W01, W02
and W04 that carries theme content. Segment ids are ``<workshop_id>-t<turn:04d>`` with
turns numbered 1.. in file order (every labelled paragraph/line/cue is a turn; a line
without a label continues the previous turn; header lines before the first label are
not turns). Both coders start from the generator's ground truth (the bank each sentence
came from); for about 12 % of the (segment, code) pairs one coder deviates: a
confusable code instead, the code left out, or an extra confusable code. A segment a
coder left without codes has no row for that coder.

Planted identifiers
-------------------
All three sources carry invented but realistic identifiers that the ingestion must
remove: valid henkilötunnus codes, phone numbers, e-mail addresses, street addresses
and names in inflected forms ("Ainolle", "Jeren", "Korhosen"). Names inside texts are
either speakers (the voice names of the Teams .vtt, listed under ``speakers:``) or
listed under the source's ``known_names:`` in the manifest (full names, nominative), a
manifest field the ingestion passes to the pseudonym key. :func:`planted_identifiers`
returns every planted string for a seed and scale. Nothing is written outside
``out_dir`` and no key is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pandas as pd
import yaml

from analysis.errors import ConfigError, DataError
from analysis.synthetic import diaries as _diaries
from analysis.synthetic import surveys as _surveys
from analysis.synthetic import workshops as _workshops
from analysis.synthetic.identifiers import PlantLog
from analysis.synthetic.text_bank import stream
from analysis.synthetic.writers import write_xlsx
from analysis.workspace import PACKAGE_PROJECT_DIR, Workspace

MANIFEST_MARKER = "# Synthetic demo data written by analysis.synthetic"
PROFESSIONALS_INSTRUMENT = "config/instrument_professionals.yaml"
NEEDS_INSTRUMENT = "config/instrument_needs.yaml"
SURVEY_FILES = {"professionals_baseline": "surveys/alkukartoitus_2024.xlsx",
                "professionals_followup": "surveys/loppukartoitus_2026.xlsx",
                "needs": "surveys/nuorten_tarvekysely.csv"}
DIARY_FORM_FILE, DIARY_FOLDER = "diaries/hankepaivakirja.xlsx", "diaries/entries/"
CODING_FILE = "codings/koodaus_K1_K2.csv"
CODED_WORKSHOPS = ("W01", "W02", "W04")
DISAGREEMENT_RATE = 0.12
#: Codes a coder plausibly confuses with each other.
CONFUSABLE = {"roles": ("collaboration", "competence"), "collaboration": ("service_paths", "roles"),
              "service_paths": ("collaboration", "housing"), "peer_support": ("participation",),
              "participation": ("peer_support", "roles"), "housing": ("money", "service_paths"),
              "money": ("housing", "competence"), "competence": ("roles",), "mental_health": ("service_paths",),
              "distances_digital": ("collaboration",)}


def _check_args(seed: int, scale: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, not {seed!r}", location="--seed",
                          hint="Pass for example --seed 2024.")
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ConfigError(f"scale must be a positive integer, not {scale!r}", location="--scale",
                          hint="Pass for example --scale 1 (normal) or --scale 10 (benchmarks).")


def _config_dir(config_dir: Path | None) -> Path:
    if config_dir is not None:
        return Path(config_dir)
    found = Workspace.discover().config_path("instrument_professionals.yaml")
    if found.is_file():
        return found.parent
    raise ConfigError("the instrument files were not found", file=PACKAGE_PROJECT_DIR / PROFESSIONALS_INSTRUMENT,
                      hint="Run from the project folder or pass config_dir=.")


def _plan(seed: int, scale: int, config: Path, log: PlantLog):
    """Build everything except the workshops (which are built one by one when written)."""
    ids = ("professionals_baseline", "professionals_followup")
    base, follow = _surveys.professionals_surveys(config / "instrument_professionals.yaml", seed=seed, scale=scale,
                                                  log=log, files=(SURVEY_FILES[ids[0]], SURVEY_FILES[ids[1]]),
                                                  source_ids=ids)
    needs = _surveys.needs_survey(config / "instrument_needs.yaml", seed=seed, scale=scale, log=log,
                                  file=SURVEY_FILES["needs"], source_id="needs")
    form = _diaries.form_entries(seed, scale, log, DIARY_FORM_FILE, "diary_form")
    folder = _diaries.folder_entries(seed, scale, log, "diary_docs")
    return base, follow, needs, form, folder


def _workshops_iter(seed: int, scale: int, log: PlantLog):
    schedule = _workshops.workshop_schedule(scale)
    order = sorted(range(len(schedule)), key=lambda i: (schedule[i][2], schedule[i][0]))
    rank = {i: r for r, i in enumerate(order)}
    for i, (wid, plan, date) in enumerate(schedule):
        share = _workshops.youth_turn_share(rank[i], len(schedule))
        yield _workshops.build_workshop(seed, wid, plan, date, share, log, replica=i // len(_workshops.BASE_PLANS))


def coding_rows(workshops: list[_workshops.Workshop], seed: int) -> pd.DataFrame:
    """Simulated codings of two coders (K1, K2) with deterministic disagreements.

    Parameters
    ----------
    workshops : list of Workshop
        The coded workshops (their turns carry the ground-truth themes).
    seed : int
        Generator seed.

    Returns
    -------
    pandas.DataFrame
        Columns ``segment_id``, ``coder``, ``code``; sorted.
    """
    rng = stream(seed, "codings")
    rows: list[tuple[str, str, str]] = []
    for ws in workshops:
        for turn in ws.turns:
            if turn.role == _workshops.FACILITATOR or not turn.themes:
                continue
            segment = f"{ws.workshop_id}-t{turn.number:04d}"
            codes = {"K1": set(turn.themes), "K2": set(turn.themes)}
            for code in turn.themes:
                if rng.random() >= DISAGREEMENT_RATE:
                    continue
                coder, u = rng.choice(["K1", "K2"]), rng.random()
                other = rng.choice(CONFUSABLE.get(code, ("collaboration",)))
                if u < 0.6:
                    codes[coder].discard(code)
                    codes[coder].add(other)
                elif u < 0.85:
                    codes[coder].discard(code)
                else:
                    codes[coder].add(other)
            rows += [(segment, coder, code) for coder in ("K1", "K2") for code in sorted(codes[coder])]
    frame = pd.DataFrame(rows, columns=["segment_id", "coder", "code"])
    return frame.sort_values(["segment_id", "coder", "code"], kind="stable").reset_index(drop=True)


def _write_codings(frame: pd.DataFrame, path: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(frame.columns)
    writer.writerows(frame.itertuples(index=False, name=None))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    return path


def _clean_previous(out_dir: Path) -> None:
    """Remove the files of an earlier synthetic run; refuse to touch real data."""
    manifest = out_dir / "manifest.yaml"
    if not manifest.exists():
        return
    text = manifest.read_text(encoding="utf-8", errors="replace")
    if not text.startswith(MANIFEST_MARKER):
        raise DataError("the folder already holds a data manifest that the generator did not write",
                        file=manifest, hint="Generate the demo data into an empty folder (--out) so real data are never overwritten.")
    data = yaml.safe_load(text) or {}
    for section in ("surveys", "workshops", "diaries", "codings"):
        for entry in data.get(section) or []:
            target = out_dir / str(entry.get("file", ""))
            if entry.get("kind") == "folder" and target.is_dir():
                for doc in target.iterdir():
                    if re.match(r"^\d{4}-\d{2}-\d{2}_tp\w+(-\d+)?\.(md|txt|docx)$", doc.name):
                        doc.unlink()
            elif target.is_file():
                target.unlink()


def generate(out_dir: Path, *, seed: int = 2024, scale: int = 1, config_dir: Path | None = None) -> Path:
    """Write the synthetic raw data and its manifest into ``out_dir``.

    Parameters
    ----------
    out_dir : Path
        Target folder (normally ``data/raw``); created if missing. Files of an earlier
        synthetic run there are replaced; a folder holding a manifest not written by the
        generator is refused (:class:`DataError`).
    seed : int, default 2024
        Random seed; the same seed and scale give byte-identical files.
    scale : int, default 1
        Multiplies respondents, transcripts and diary entries (benchmarks).
    config_dir : Path, optional
        Folder of ``instrument_professionals.yaml`` and ``instrument_needs.yaml``; the
        project's ``config/`` by default.

    Returns
    -------
    Path
        ``out_dir / "manifest.yaml"``.

    Examples
    --------
    >>> from pathlib import Path
    >>> import tempfile
    >>> manifest = generate(Path(tempfile.mkdtemp()), seed=1)
    >>> manifest.name
    'manifest.yaml'
    """
    _check_args(seed, scale)
    config = _config_dir(config_dir)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clean_previous(out_dir)
    log = PlantLog()
    base, follow, needs, form, folder = _plan(seed, scale, config, log)

    number_formats = {0: "dd.mm.yyyy hh:mm"}
    for table, key, when in ((base, "professionals_baseline", dt.datetime(2024, 10, 16, 9)),
                             (follow, "professionals_followup", dt.datetime(2026, 11, 17, 9))):
        rows = [[table.title], [], table.header, *table.rows]
        write_xlsx(out_dir / SURVEY_FILES[key], rows, when=when, sheet="Vastaukset", bold_rows=(0, 2),
                   number_formats=number_formats, title=table.title)
    _surveys.write_needs_csv(needs, out_dir / SURVEY_FILES["needs"])

    workshop_entries, coded = [], []
    for ws in _workshops_iter(seed, scale, log):
        _workshops.write_workshop(ws, out_dir, seed)
        workshop_entries.append(ws)
        if ws.workshop_id in CODED_WORKSHOPS:
            coded.append(ws)
        else:
            ws.turns = []  # keep memory flat at large scales

    _diaries.write_form(form, out_dir / DIARY_FORM_FILE)
    (out_dir / DIARY_FOLDER).mkdir(parents=True, exist_ok=True)
    for name, entry in folder:
        _diaries.write_folder_entry(name, entry, out_dir)
    _write_codings(coding_rows(coded, seed), out_dir / CODING_FILE)
    return _write_manifest(out_dir, workshop_entries, log, seed, scale)


def _write_manifest(out_dir: Path, workshops: list[_workshops.Workshop], log: PlantLog, seed: int, scale: int) -> Path:
    def with_names(entry: dict, source_id: str) -> dict:
        names = log.known_names(source_id)
        if names:
            entry["known_names"] = names
        return entry

    surveys = [
        with_names({"id": "professionals_baseline", "file": SURVEY_FILES["professionals_baseline"],
                    "instrument": PROFESSIONALS_INSTRUMENT, "wave": "baseline", "sheet": None, "header_row": 3},
                   "professionals_baseline"),
        with_names({"id": "professionals_followup", "file": SURVEY_FILES["professionals_followup"],
                    "instrument": PROFESSIONALS_INSTRUMENT, "wave": "followup", "sheet": None, "header_row": 3},
                   "professionals_followup"),
        with_names({"id": "needs", "file": SURVEY_FILES["needs"], "instrument": NEEDS_INSTRUMENT, "wave": "single"}, "needs"),
    ]
    workshops_out = [with_names({"id": ws.workshop_id, "file": ws.file, "date": ws.date, "work_package": ws.plan.work_package,
                                 "method": ws.plan.method, "place": ws.plan.place, "speakers": dict(ws.speakers)},
                                ws.workshop_id) for ws in workshops]
    diaries = [with_names({"id": "diary_form", "file": DIARY_FORM_FILE, "kind": "form"}, "diary_form"),
               with_names({"id": "diary_docs", "file": DIARY_FOLDER, "kind": "folder", "work_package": "TP2C"}, "diary_docs")]
    codings = [{"id": "codings_k1_k2", "file": CODING_FILE, "coders": ["K1", "K2"], "unit": "turn",
                "workshops": list(CODED_WORKSHOPS), "codebook": "config/codebook.yaml"}]
    data = {"description": {"fi": f"Jäkälä-hankkeen synteettinen demoaineisto (siemen {seed}, mittakaava {scale})",
                            "en": f"Synthetic demo data of the Jäkälä project (seed {seed}, scale {scale})"},
            "synthetic": True,
            "surveys": surveys, "workshops": workshops_out, "diaries": diaries, "codings": codings}
    header = (f"{MANIFEST_MARKER} (seed {seed}, scale {scale}).\n"
              "# Paths are relative to this folder; config paths relative to the project folder.\n"
              "# known_names: invented names that occur inside a source's texts; ingestion adds them to the pseudonym key.\n")
    path = out_dir / "manifest.yaml"
    path.write_text(header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
    return path


def planted_identifiers(seed: int = 2024, scale: int = 1, config_dir: Path | None = None) -> pd.DataFrame:
    """Every identifier planted by :func:`generate` for a seed and scale (nothing is written).

    Parameters
    ----------
    seed, scale : int
        As given to :func:`generate`.
    config_dir : Path, optional
        As given to :func:`generate`.

    Returns
    -------
    pandas.DataFrame
        Columns ``kind`` (``hetu``, ``phone``, ``email``, ``address``, ``name`` = a name
        form as it occurs in a text, ``key_name`` = full name listed in the manifest's
        ``known_names`` and expected in the pseudonym key), ``value``, ``source_id``,
        ``file`` (relative to ``out_dir``). None of the values except ``key_name`` may
        survive ingestion; ``key_name`` values must end up in the key.

    Examples
    --------
    >>> planted = planted_identifiers(2024, 1)
    >>> sorted(planted["kind"].unique())
    ['address', 'email', 'hetu', 'key_name', 'name', 'phone']
    """
    _check_args(seed, scale)
    log = PlantLog()
    _plan(seed, scale, _config_dir(config_dir), log)
    for _ in _workshops_iter(seed, scale, log):
        pass
    return log.to_frame()


#: Alias named in the team's contract: ``PLANTED_IDENTIFIERS(seed, scale)``.
PLANTED_IDENTIFIERS = planted_identifiers
