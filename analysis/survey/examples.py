"""Small Webropol-like example exports built from an instrument (for tests and docs).

:func:`example_export` writes what a reader returns for a survey sheet: question-text
headers, Finnish Likert labels with the untidiness of real exports (odd case and
whitespace, numbers typed as ``"4,0"``, ``"En osaa sanoa"``, empty cells), a few
extra columns (start time, a consent question) and ``source_row``. A planted shift
(``shift``) raises the answers of chosen scales so that tests can check that the
analysis finds it. The full synthetic data set of the project is made by
``analysis.synthetic``; this is only a compact, deterministic fixture.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.survey.instrument import Instrument

__all__ = ["example_export"]


def _label_for(instrument: Instrument, item_id: str, value: int, rng: np.random.Generator, style: str) -> object:
    answers = instrument.answer_set_of(item_id)
    label = answers.labels_fi.get(float(value))
    if style == "codes" or label is None or label == str(value):
        return [value, str(value), f"{value},0", float(value)][int(rng.integers(0, 4))]
    variant = int(rng.integers(0, 10))
    if variant == 0:
        return f"  {label.upper()} "
    if variant == 1:
        return label.lower().replace(" ", "  ")
    if variant == 2:
        return value  # some exports mix codes and labels
    return label


def example_export(
    instrument: Instrument,
    n: int = 40,
    *,
    seed: int = 1,
    wave: str = "baseline",
    codes: Sequence[str] | None = None,
    shift: Mapping[str, float] | None = None,
    roles: Sequence[str] = ("Sosiaalityöntekijä", "Sosiaaliohjaaja", "Muu, mikä?"),
    style: str = "labels",
    missing_rate: float = 0.05,
) -> pd.DataFrame:
    """Build a Webropol-style raw export for ``instrument``.

    Parameters
    ----------
    instrument : Instrument
        Items must use ``header`` matches (positions and regexes are not inverted).
    n : int
        Respondents.
    seed : int
        Random seed (the export is deterministic).
    wave : str
        Only used to vary the start times.
    codes : list of str, optional
        Respondent codes (default ``K001…``).
    shift : dict, optional
        Scale id → mean shift on the answer scale (e.g. ``{"role_clarity": 1.0}``).
    roles : list of str
        Answers written into a background column named "Ammattinimike" if present.
    style : {"labels", "codes"}
        Finnish labels (with untidiness) or numeric codes.
    missing_rate : float
        Share of "En osaa sanoa" / empty answers.

    Returns
    -------
    DataFrame
        Headers as in the instrument, object cells, plus ``source_row`` (2..n+1).
    """
    rng = np.random.default_rng(seed)
    shift = dict(shift or {})
    codes = list(codes) if codes is not None else [f"K{i:03d}" for i in range(1, n + 1)]
    trait = rng.normal(0, 0.8, size=len(codes))
    item_shift = {}
    for scale in instrument.scales:
        for item_id in scale.items:
            item_shift[item_id] = shift.get(scale.id, 0.0)
    columns: dict[str, list] = {}
    columns["Aloitusaika"] = [f"2024-05-{1 + i % 27:02d} 09:{i % 60:02d}" if wave == "baseline"
                              else f"2026-01-{1 + i % 27:02d} 10:{i % 60:02d}" for i in range(len(codes))]
    if instrument.respondent_id is not None:
        columns[str(instrument.respondent_id.value)] = list(codes)
    for item in instrument.items:
        answers = instrument.answer_sets[item.answers]
        low, high = int(answers.min), int(answers.max)
        mid = (low + high) / 2
        sign = -1 if item.reverse else 1
        cells = []
        for k in range(len(codes)):
            u = rng.random()
            if u < missing_rate / 2 and answers.missing:
                dont_know = [m for m, kind in answers.missing.items() if kind == "dont_know" and isinstance(m, str)]
                cells.append("En osaa sanoa" if dont_know else None)
                continue
            if u < missing_rate:
                cells.append(None)
                continue
            raw = mid + sign * (trait[k] + item_shift.get(item.id, 0.0)) + rng.normal(0, 0.7)
            value = int(np.clip(np.rint(raw), low, high))
            cells.append(_label_for(instrument, item.id, value, rng, style))
        columns[str(item.match.value)] = cells
    for var in instrument.background:
        header = str(var.match.value)
        if var.type == "category":
            options = list(var.recode_labels.values())
            if header == "Ammattinimike":
                options = list(roles)
            values = [options[int(rng.integers(0, len(options)))] for _ in codes]
            columns[header] = values
            if var.other_text is not None:
                columns[str(var.other_text.value)] = [
                    ("perhetyöntekijä" if rng.random() < 0.5 else "nuorisotyöntekijä")
                    if normalize(v) == normalize("Muu, mikä?") else None for v in values]
        elif var.type == "number":
            low, high = (18, 25) if var.bands else (0, 30)
            columns[header] = [int(rng.integers(low, high + 1)) for _ in codes]
        else:
            columns[header] = [None for _ in codes]
    for open_item in instrument.open_items:
        columns[str(open_item.match.value)] = [
            "Yhteistyö toimii ihan hyvin, mutta aikaa on liian vähän." if rng.random() < 0.4 else None
            for _ in codes]
    columns["Hyväksyn tietojeni käytön tutkimuksessa"] = ["Kyllä"] * len(codes)
    frame = pd.DataFrame(columns, dtype=object)
    frame["source_row"] = np.arange(2, len(codes) + 2)
    return frame


def normalize(text: object) -> str:
    from analysis.survey.instrument import normalize_label

    return normalize_label(text)
