"""The provenance appendix: code version, runs and input files from ``reports/provenance.json``.

In the draft, :func:`provenance_blocks` gives the git commit and one row per run (notebook,
status, fingerprint); the full record (every run's parameters, every input file with its
SHA-256) goes to ``tables.xlsx`` (:func:`provenance_sheets`). The assembling run
(``findings*``) is left out: its own record is being written while the report is built.

Examples
--------
>>> provenance_blocks({}, "en")[0]["text"]
'No provenance record (reports/provenance.json) was found: the report was assembled outside the batch.'
>>> provenance = {"git": {"commit": "0123abc", "dirty": True}, "runs": {"survey": {"notebook": "notebooks/10_survey.ipynb",
...             "status": "succeeded", "inputs": {"data/processed/survey.parquet": "ab" * 32}}}}
>>> [b["type"] for b in provenance_blocks(provenance, "en")]
['paragraph', 'heading', 'table', 'paragraph']
>>> provenance_blocks(provenance, "en")[0]["text"]
'Code version (git): 0123abc (with uncommitted changes).'
>>> [sheet["sheet_id"] for sheet in provenance_sheets(provenance, "en")]
['runs', 'inputs']
"""

from __future__ import annotations

import fnmatch
import json

from analysis.findings.report.cells import project_vocabulary

#: Texts of the provenance appendix.
APPENDIX = {
    "no_provenance": {
        "fi": "Jäljitettävyystietoja (reports/provenance.json) ei löytynyt: raportti on koottu ilman eräajoa.",
        "en": "No provenance record (reports/provenance.json) was found: the report was assembled outside the batch.",
    },
    "commit": {"fi": "Koodin versio (git)", "en": "Code version (git)"},
    "dirty": {"fi": "sisältää tallentamattomia muutoksia", "en": "with uncommitted changes"},
    "runs": {"fi": "Ajot", "en": "Runs"},
    "inputs": {"fi": "Syötetiedostot", "en": "Input files"},
    "run": {"fi": "Ajo", "en": "Run"},
    "notebook": {"fi": "Muistikirja", "en": "Notebook"},
    "status": {"fi": "Tila", "en": "Status"},
    "parameters": {"fi": "Parametrit", "en": "Parameters"},
    "fingerprint": {"fi": "Tunniste (SHA-256)", "en": "Fingerprint (SHA-256)"},
    "file": {"fi": "Tiedosto", "en": "File"},
    "sha256": {"fi": "SHA-256", "en": "SHA-256"},
    "inputs_in_xlsx": {
        "fi": "Ajojen parametrit ja kaikki {n} syötetiedostoa SHA-256-tarkisteineen ovat tiedostossa tables.xlsx.",
        "en": "The runs' parameters and all {n} input files with their SHA-256 are in the file tables.xlsx.",
    },
}


def _recorded_runs(provenance: dict | None) -> list[tuple[str, dict]]:
    """The runs of the provenance record in its order, without the assembling run (``findings*``).

    Its own record is being written while the report is built (and would make the files differ).
    """
    runs = (provenance or {}).get("runs") or {}
    return [(name, info) for name, info in runs.items() if isinstance(info, dict) and not fnmatch.fnmatchcase(name, "findings*")]


def _input_rows(runs: list[tuple[str, dict]]) -> list[list[str]]:
    """``[file, SHA-256]`` of every input of the runs, each once, in the order first read."""
    rows, seen = [], set()
    for _name, info in runs:
        for path, digest in sorted((info.get("inputs") or {}).items()):
            if (path, digest) not in seen:
                seen.add((path, digest))
                rows.append([path, str(digest)])
    return rows


def provenance_blocks(provenance: dict, language: str, run_titles: dict | None = None) -> list[dict]:
    """The provenance appendix of the draft: the code version, a table of the runs, where the inputs are listed."""
    t = {k: v[language] for k, v in APPENDIX.items()}
    run_titles = run_titles or {}
    if not provenance:
        return [{"type": "paragraph", "text": t["no_provenance"]}]
    blocks = []
    git = provenance.get("git") or {}
    commit = git.get("commit") or "–"
    blocks.append({"type": "paragraph", "text": f"{t['commit']}: {commit}" + (f" ({t['dirty']})." if git.get("dirty") else ".")})
    runs = _recorded_runs(provenance)
    run_rows = []
    for name, info in runs:
        status = str(info.get("status", ""))
        fingerprint = str(info.get("fingerprint") or "")
        title = run_titles.get(name, name)
        run_rows.append([title, str(info.get("notebook", "")), project_vocabulary().label(status, language) if status else "–",
                         fingerprint[:12] + ("…" if len(fingerprint) > 12 else "")])
    input_rows = _input_rows(runs)
    if run_rows:
        blocks.append({"type": "heading", "level": 4, "text": t["runs"]})
        header = [t["run"], t["notebook"], t["status"], t["fingerprint"]]
        blocks.append({"type": "table", "number": None, "label": None, "caption": None, "header": header,
                       "rows": run_rows, "values": run_rows, "notes": None, "key": None, "small": True})
    if input_rows:
        blocks.append({"type": "paragraph", "text": t["inputs_in_xlsx"].format(n=len(input_rows))})
    return blocks


def provenance_sheets(provenance: dict, language: str) -> list[dict]:
    """The full provenance (parameters, every input file with its SHA-256) for tables.xlsx."""
    t = {k: v[language] for k, v in APPENDIX.items()}
    runs = _recorded_runs(provenance)
    run_rows = []
    for name, info in runs:
        params = json.dumps(info.get("parameters") or {}, ensure_ascii=False, sort_keys=True)
        run_rows.append([name, str(info.get("notebook", "")), str(info.get("status", "")), params, str(info.get("fingerprint") or "")])
    input_rows = _input_rows(runs)
    sheets = []
    if run_rows:
        sheets.append({"caption": t["runs"], "sheet_id": "runs", "header": [t["run"], t["notebook"], t["status"], t["parameters"], t["fingerprint"]],
                       "rows": run_rows, "values": run_rows})
    if input_rows:
        sheets.append({"caption": t["inputs"], "sheet_id": "inputs", "header": [t["file"], t["sha256"]], "rows": input_rows, "values": input_rows})
    return sheets
