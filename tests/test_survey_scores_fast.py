"""scale_scores (one item matrix, array slices) equals its definition scale by scale.

The definition: for each scale, the item matrix of its items only (respondents with at
least one row for those items), the mean of the answered reverse-coded items, NaN below
``min_answered``. Compared on synthetic survey exports (generated, not hand-written) with
answers blanked at random and with respondents who skipped whole scales.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.survey import load_instrument, scale_scores
from analysis.survey.scores import SCORE_COLUMNS, item_matrix
from analysis.workspace import PACKAGE_PROJECT_DIR


def reference_scores(responses: pd.DataFrame, inst, scale_ids) -> pd.DataFrame:
    frames = []
    for scale_id in scale_ids:
        scale = inst.scale(scale_id)
        wide = item_matrix(responses, inst, scale.items)
        n_answered = wide.notna().sum(axis=1)
        enough = n_answered / len(scale.items) >= scale.min_answered - 1e-9
        frames.append(pd.DataFrame({
            "wave": wide.index.get_level_values("wave"), "respondent": wide.index.get_level_values("respondent"),
            "scale": scale_id, "score": wide.mean(axis=1).where(enough).to_numpy(dtype=float),
            "n_items": len(scale.items), "n_answered": n_answered.to_numpy(dtype=int)}))
    return pd.concat(frames, ignore_index=True)[SCORE_COLUMNS]


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    from analysis.survey import apply_instrument
    from analysis.io.tables import read_table
    from analysis.synthetic.generator import generate

    raw = tmp_path_factory.mktemp("raw")
    generate(raw, seed=2024, scale=1)
    inst = load_instrument(PACKAGE_PROJECT_DIR / "config" / "instrument_professionals.yaml")
    parts = []
    for wave, pattern in (("baseline", "*alku*"), ("followup", "*loppu*")):
        path = sorted((raw / "surveys").glob(pattern))[0]
        tables = apply_instrument(read_table(path).data, inst, source_id=wave, source_file=path, wave=wave)
        parts.append(tables.responses)
    return inst, pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scale_scores_equal_the_scale_by_scale_definition(survey, seed):
    inst, responses = survey
    rng = np.random.default_rng(seed)
    responses = responses.copy()
    responses.loc[rng.random(len(responses)) < 0.15, "value"] = np.nan  # item non-response
    rcol = "respondent" if "respondent" in responses.columns else "respondent_code"
    first_scale = set(inst.scale(inst.scale_ids[0]).items)
    skipped = responses[rcol].drop_duplicates().sample(10, random_state=seed)  # skipped a whole scale
    responses = responses[~(responses[rcol].isin(skipped) & responses["item"].isin(first_scale))]
    scale_ids = list(rng.permutation(inst.scale_ids))
    fast = scale_scores(responses, inst, scale_ids)
    reference = reference_scores(responses, inst, scale_ids)
    assert fast["score"].isna().any() and fast["score"].notna().sum() > 100
    pd.testing.assert_frame_equal(fast, reference, check_exact=True)
    assert scale_scores(responses, inst, []).columns.tolist() == SCORE_COLUMNS
