"""What a notebook analyses: the instrument from the data manifest, and selections that must not be empty.

Notebooks take their instrument from the ingested data (each survey source of the
manifest names its instrument; the ingestion records it in
``data/processed/surveys.json``), not from a default of their own, so a user's
own instrument needs no notebook parameter. A run whose selection leaves no data stops
with a message naming the parameter instead of publishing "0 respondents".

Examples
--------
>>> import pandas as pd
>>> people = pd.DataFrame({"municipality": ["Kemi", "Simo"], "wave": ["baseline", "baseline"]})
>>> check_selection(people, people.iloc[0:0], {"municipalities": ["Tornio"]}, what="respondents")
Traceback (most recent call last):
...
analysis.errors.DataError: parameter municipalities = ['Tornio'] leaves no respondents (values in the data: Kemi, Simo). Change the parameter (pipeline.yaml or --set) to values that exist in the data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from analysis.errors import DataError
from analysis.workspace import Workspace

#: Parameter name → column of the respondents table it filters.
PARAMETER_COLUMNS = {"waves": "wave", "roles": "role", "municipalities": "municipality"}

#: The analyses a survey instrument can feed: scale analyses (instruments with scales) and needs.
ANALYSES = ("scales", "needs")


def survey_instrument(ws: Workspace, instrument: str = "", *, analysis: str) -> Path:
    """The instrument file a survey notebook analyses.

    Parameters
    ----------
    ws : Workspace
    instrument : str
        The notebook's ``instrument`` parameter. Empty: the instrument of the manifest's
        survey sources that fits ``analysis``. A path: it must be the instrument of at
        least one ingested survey source.
    analysis : {"scales", "needs"}
        ``scales``: instruments with scales (summamuuttujat); ``needs``: instruments
        without scales (a needs checklist).

    Raises
    ------
    DataError
        No ingested survey has a fitting instrument, several do and the parameter does
        not choose, or the parameter names an instrument no survey uses.
    """
    from analysis.ingest import survey_instruments

    if analysis not in ANALYSES:
        raise ValueError(f"analysis must be one of {ANALYSES}")
    sources = survey_instruments(ws)
    by_path: dict[str, list[str]] = {}
    for s in sources:
        if s.get("instrument"):
            by_path.setdefault(str(s["instrument"]), []).append(str(s["id"]))
    listed = "; ".join(f"{path} ({', '.join(ids)})" for path, ids in by_path.items()) or "none"
    if instrument:
        wanted = ws.resolve_config(instrument).resolve()
        for path in by_path:
            if ws.resolve_config(path).resolve() == wanted:
                return ws.resolve_config(path)
        raise DataError(
            f"parameter instrument = {instrument!r}: no survey of the data manifest uses this instrument",
            location="parameters",
            hint=f"The manifest's survey instruments: {listed}. Leave the parameter empty to use them, "
            "or ingest a survey with this instrument.",
        )
    with_scales = {str(s["instrument"]) for s in sources if s.get("scales")}
    fitting = [path for path in by_path if (analysis == "scales") == (path in with_scales)]
    kind = "with scales (summamuuttujat)" if analysis == "scales" else "without scales (a needs survey)"
    if not fitting:
        raise DataError(
            f"no survey of the data manifest has an instrument {kind}",
            location="parameters",
            hint=f"The manifest's survey instruments: {listed}. Add such a survey to data/raw/manifest.yaml and "
            "run `jakala ingest`, or remove this run from pipeline.yaml.",
        )
    if len(fitting) > 1:
        raise DataError(
            f"the data manifest has {len(fitting)} instruments {kind}: {', '.join(fitting)}",
            location="parameters",
            hint="Choose one with the parameter 'instrument' (parameters: or grid: in pipeline.yaml).",
        )
    return ws.resolve_config(fitting[0])


def check_selection(
    everything: pd.DataFrame,
    selected: pd.DataFrame,
    parameters: Mapping[str, Any],
    *,
    what: str = "respondents",
) -> None:
    """Raise when a selection leaves no rows, naming the parameter that emptied it.

    Parameters
    ----------
    everything : DataFrame
        The rows before the selection (e.g. the instrument's respondents).
    selected : DataFrame
        The rows after it.
    parameters : mapping
        Parameter name → value; names in :data:`PARAMETER_COLUMNS` are matched to
        their columns, others (``instrument``, ``work_packages``) are named as given.
    what : str
        What the rows are, for the message.

    Raises
    ------
    DataError
    """
    if len(selected):
        return
    active = {k: v for k, v in parameters.items() if v not in (None, "", [], ())}
    if everything.empty or not active:
        named = ", ".join(f"{k} = {v!r}" for k, v in parameters.items()) or "(none)"
        raise DataError(f"there are no {what} to analyse (parameters: {named})", location="parameters",
                        hint="Check data/raw/manifest.yaml and run `jakala ingest`; see notebooks/00_data_quality.ipynb "
                        "for what was quarantined.")  # fmt: skip
    culprits = []
    for name, value in active.items():
        column = PARAMETER_COLUMNS.get(name, name)
        if column not in everything.columns:
            continue
        values = list(value) if isinstance(value, (list, tuple, set)) else [value]
        present = sorted(map(str, everything[column].dropna().unique()))
        if not everything[column].isin(values).any():
            culprits.append(f"parameter {name} = {value!r} leaves no {what} (values in the data: {', '.join(present)})")
    if not culprits:
        named = ", ".join(f"{k} = {v!r}" for k, v in active.items())
        culprits.append(f"the parameters {named} together leave no {what}")
    raise DataError("; ".join(culprits), hint="Change the parameter (pipeline.yaml or --set) to values that exist in the data.")


__all__ = ["check_selection", "survey_instrument"]
