"""Inter-coder agreement at the segment level, and the auto-coder against the humans.

The unit of analysis is the segment (a turn, a sentence or a diary entry). Every code is
a binary variable: for a segment and a coder it is 1 (the coder applied the code), 0 (the
coder judged the segment and did not apply it) or missing (the coder did not judge the
segment). Which segments a coder judged is the *coverage*:

``"all"``
    every coder judged every unit (the default when all coders coded the same sample);
``"rows"``
    a coder judged the segments they have a row for; a coding-sheet row with an empty code
    means "judged, no code" (see :mod:`analysis.coding.coding_sheet`);
``"document"``
    a coder judged every segment of each document in which they made at least one coding
    (what a QDA project tells: the coder worked through those documents);
a DataFrame ``segment_id, coder``
    explicit.

Per code the table gives percent agreement (share of agreeing coder pairs over all
pairable values), Cohen's κ (two coders; with more coders the mean of pairwise Cohen's κ,
Light 1971, which is also what NLTK's ``AnnotationTask.kappa`` computes) and
Krippendorff's α for nominal data (any number of coders, missing values allowed;
Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability"). The ``overall`` row
pools every (segment, code) decision into one binary variable (the multi-label decisions
taken together); the ``mean`` row is the unweighted mean over the codes. α and κ are not
defined for a code nobody used (no variation): they are NaN, and percent agreement is 1.

Confidence intervals are percentile bootstrap intervals over **segments** (a segment is
resampled with all its codes and coders; fixed seed), computed from per-segment
coincidence/confusion contributions so 1000 resamples take milliseconds.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.errors import DataError

__all__ = [
    "DEFAULT_SEED",
    "OVERALL",
    "MEAN",
    "krippendorff_alpha",
    "cohen_kappa",
    "percent_agreement",
    "coverage_table",
    "reliability_data",
    "agreement_table",
    "auto_vs_human",
    "disagreements",
    "plot_precision_recall",
]

DEFAULT_SEED = 20240301
#: Row label of the pooled (all codes together) result.
OVERALL = "overall"
#: Row label of the unweighted mean over codes.
MEAN = "mean"

_LABELS = {
    "fi": {"precision": "Tarkkuus", "recall": "Saanti", "f1": "F1", "code": "Koodi", "value": "Arvo",
           "title": "Automaattikoodauksen tarkkuus ja saanti ihmiskoodaajaan verrattuna"},
    "en": {"precision": "Precision", "recall": "Recall", "f1": "F1", "code": "Code", "value": "Value",
           "title": "Auto-coding precision and recall against the human coder"},
}


# ----------------------------------------------------------------------------- core statistics


def _as_matrix(data: object) -> np.ndarray:
    frame = pd.DataFrame(data)
    return frame.to_numpy(dtype=object)


def _unit_counts(matrix: np.ndarray) -> tuple[np.ndarray, list]:
    """Value counts per unit: (units × categories), categories sorted."""
    flat = [v for v in matrix.ravel() if not pd.isna(v)]
    categories = sorted(set(flat), key=lambda v: (str(type(v)), v))
    index = {c: i for i, c in enumerate(categories)}
    counts = np.zeros((matrix.shape[1], len(categories)))
    for coder_row in matrix:
        for unit, value in enumerate(coder_row):
            if not pd.isna(value):
                counts[unit, index[value]] += 1
    return counts, categories


def _coincidences(counts: np.ndarray) -> np.ndarray:
    """Per-unit coincidence matrices (units × C × C); units with < 2 values contribute zero."""
    m = counts.sum(axis=1)
    pairable = m >= 2
    out = np.zeros((counts.shape[0], counts.shape[1], counts.shape[1]))
    if pairable.any():
        c = counts[pairable]
        outer = c[:, :, None] * c[:, None, :]
        idx = np.arange(c.shape[1])
        outer[:, idx, idx] -= c
        out[pairable] = outer / (m[pairable] - 1)[:, None, None]
    return out


def _alpha_from_coincidence(o: np.ndarray) -> np.ndarray:
    """Nominal α from summed coincidence matrices (… × C × C)."""
    n_c = o.sum(axis=-1)
    n = n_c.sum(axis=-1)
    observed = n - np.trace(o, axis1=-2, axis2=-1)
    expected = n**2 - (n_c**2).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1 - (n - 1) * observed / expected
    return np.where(expected > 0, alpha, np.nan)


def krippendorff_alpha(data: object) -> float:
    """Krippendorff's α for nominal data, any number of coders, missing values allowed.

    Parameters
    ----------
    data : array-like, coders × units
        Values (any hashable labels); ``NaN``/``None`` is missing.

    Returns
    -------
    float
        α (NaN when there is no variation or fewer than two pairable values).

    Examples
    --------
    Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
    4 coders × 12 units, nominal α = 0.743.

    >>> import numpy as np
    >>> nan = np.nan
    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...         [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    >>> round(krippendorff_alpha(data), 3)
    0.743
    """
    counts, categories = _unit_counts(_as_matrix(data))
    if not categories:
        return float("nan")
    return float(_alpha_from_coincidence(_coincidences(counts).sum(axis=0)))


def _kappa_from_confusion(conf: np.ndarray) -> np.ndarray:
    """Cohen's κ from confusion matrices (… × C × C)."""
    n = conf.sum(axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        p_o = np.trace(conf, axis1=-2, axis2=-1) / n
        p_e = (conf.sum(axis=-1) * conf.sum(axis=-2)).sum(axis=-1) / n**2
        kappa = (p_o - p_e) / (1 - p_e)
    return np.where((n > 0) & (p_e < 1), kappa, np.nan)


def cohen_kappa(a: Sequence, b: Sequence) -> float:
    """Cohen's κ of two coders over the units both coded (missing values skipped).

    Examples
    --------
    The 50 grant proposals read by two readers (Wikipedia, "Cohen's kappa"): 20 yes/yes,
    5 yes/no, 10 no/yes, 15 no/no → κ = 0.4.

    >>> a = ["yes"] * 25 + ["no"] * 25
    >>> b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    >>> round(cohen_kappa(a, b), 3)
    0.4
    """
    if len(a) != len(b):
        raise DataError(f"the two coders have {len(a)} and {len(b)} values", file="cohen_kappa",
                        hint="Pass one value per unit for each coder.")
    pairs = [(x, y) for x, y in zip(a, b) if not pd.isna(x) and not pd.isna(y)]
    if not pairs:
        return float("nan")
    categories = sorted({v for p in pairs for v in p}, key=lambda v: (str(type(v)), v))
    index = {c: i for i, c in enumerate(categories)}
    conf = np.zeros((len(categories), len(categories)))
    for x, y in pairs:
        conf[index[x], index[y]] += 1
    return float(_kappa_from_confusion(conf))


def percent_agreement(data: object) -> float:
    """Share of agreeing coder pairs among all pairs of values given to the same unit.

    With two coders and no missing values this is the plain share of units they agree on.

    Examples
    --------
    >>> percent_agreement([[1, 0, 1, 1], [1, 1, 1, 0]])
    0.5
    """
    counts, _ = _unit_counts(_as_matrix(data))
    m = counts.sum(axis=1)
    pairs = (m * (m - 1) / 2).sum()
    agreeing = (counts * (counts - 1) / 2).sum()
    return float(agreeing / pairs) if pairs else float("nan")


# ----------------------------------------------------------------------------- from codings


def _check_codings(codings: pd.DataFrame, name: str = "codings") -> pd.DataFrame:
    missing = [c for c in ("segment_id", "code", "coder") if c not in codings.columns]
    if missing:
        raise DataError(f"the {name} table lacks column(s) {', '.join(missing)}", file=name,
                        hint="Pass a DataFrame with columns segment_id, code, coder.")
    out = codings[["segment_id", "code", "coder"]].copy()
    out = out.dropna(subset=["segment_id", "coder"])
    out["segment_id"] = out["segment_id"].astype(str)
    out["coder"] = out["coder"].astype(str)
    out["code"] = out["code"].where(out["code"].isna(), out["code"].astype(str))
    return out.reset_index(drop=True)


def _rollup(codings: pd.DataFrame, codebook_table: pd.DataFrame | None) -> pd.DataFrame:
    """Add every ancestor code of each coding (a sub-theme implies its theme)."""
    if codebook_table is None:
        return codings
    parent = {str(c): (None if pd.isna(p) else str(p)) for c, p in zip(codebook_table["code"], codebook_table["parent"])}
    rows = [codings]
    current = codings.dropna(subset=["code"])
    while True:
        up = current.assign(code=current["code"].map(parent)).dropna(subset=["code"])
        if up.empty:
            break
        rows.append(up)
        current = up
    return pd.concat(rows, ignore_index=True).drop_duplicates(["segment_id", "code", "coder"])


def coverage_table(
    codings: pd.DataFrame,
    units: Sequence[str],
    *,
    coders: Sequence[str],
    how: str | pd.DataFrame = "all",
    segments: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Which coder judged which unit: a DataFrame ``segment_id, coder``.

    Parameters
    ----------
    codings : DataFrame
        ``segment_id, code, coder`` (``code`` may be empty: judged, not coded).
    units : sequence of str
        The segments under study.
    coders : sequence of str
    how : {"all", "rows", "document"} or DataFrame
        See the module docstring. ``"document"`` needs ``segments`` (``segment_id, doc_id``).
    segments : DataFrame, optional

    Returns
    -------
    DataFrame
    """
    units = [str(u) for u in units]
    if isinstance(how, pd.DataFrame):
        cov = how[["segment_id", "coder"]].astype(str)
    elif how == "all":
        cov = pd.DataFrame(list(itertools.product(units, coders)), columns=["segment_id", "coder"])
    elif how == "rows":
        cov = codings[["segment_id", "coder"]]
    elif how == "document":
        if segments is None or "doc_id" not in segments.columns:
            raise DataError("coverage 'document' needs the segments table with doc_id", file="coverage",
                            hint="Pass segments=..., or use coverage='all' or 'rows'.")
        seg = segments[["segment_id", "doc_id"]].astype(str)
        docs = codings[["segment_id", "coder"]].merge(seg, on="segment_id")[["doc_id", "coder"]].drop_duplicates()
        cov = docs.merge(seg, on="doc_id")[["segment_id", "coder"]]
    else:
        raise DataError(f"unknown coverage '{how}'", file="coverage",
                        hint="Use 'all', 'rows', 'document' or a DataFrame segment_id, coder.")
    cov = cov[cov["segment_id"].isin(units) & cov["coder"].isin(list(coders))]
    return cov.drop_duplicates().reset_index(drop=True)


def _resolve(codings: pd.DataFrame, units, coders, codes, segments, codebook_table) -> tuple[list, list, list]:
    if units is None:
        units = segments["segment_id"].astype(str).tolist() if segments is not None else \
            list(dict.fromkeys(codings["segment_id"]))
    units = list(dict.fromkeys(str(u) for u in units))
    if coders is None or len(coders) == 0:
        coders = sorted(codings["coder"].unique())
    coders = [str(c) for c in coders]
    if codes is None or len(codes) == 0:
        used = set(codings["code"].dropna())
        if codebook_table is not None:
            codes = [c for c in codebook_table["code"].astype(str) if c in used] + sorted(used - set(codebook_table["code"]))
        else:
            codes = sorted(used)
    return units, coders, [str(c) for c in codes]


def reliability_data(
    codings: pd.DataFrame,
    units: Sequence[str] | None = None,
    *,
    coders: Sequence[str] | None = None,
    codes: Sequence[str] | None = None,
    coverage: str | pd.DataFrame = "all",
    segments: pd.DataFrame | None = None,
    codebook_table: pd.DataFrame | None = None,
    rollup: bool = False,
) -> pd.DataFrame:
    """Binary reliability data in long form: one row per code × segment × coder.

    Parameters
    ----------
    codings : DataFrame
        ``segment_id, code, coder``.
    units : sequence of str, optional
        Segments under study (default: all of ``segments``, else those in ``codings``).
    coders, codes : sequence of str, optional
        Default: all found (codes in codebook order when ``codebook_table`` is given).
    coverage : str or DataFrame
        See :func:`coverage_table`.
    segments : DataFrame, optional
    codebook_table : DataFrame, optional
        The codes with their ``parent`` (and ``name_fi``, ``name_en``), e.g.
        :attr:`Codebook.codes <analysis.coding.codebook.Codebook.codes>`.
    rollup : bool
        Count a sub-theme's coding also for its parent themes (needs ``codebook_table``).

    Returns
    -------
    DataFrame
        ``code, segment_id, coder, value`` with value 1.0, 0.0 or NaN (not judged).
    """
    cod = _check_codings(codings)
    if rollup:
        cod = _rollup(cod, codebook_table)
    units, coders, codes = _resolve(cod, units, coders, codes, segments, codebook_table)
    cov = coverage_table(cod, units, coders=coders, how=coverage, segments=segments)
    grid = pd.MultiIndex.from_product([codes, units, coders], names=["code", "segment_id", "coder"])
    frame = pd.DataFrame(index=grid).reset_index()
    covered = frame.merge(cov.assign(_cov=1.0), on=["segment_id", "coder"], how="left")["_cov"].to_numpy()
    present = frame.merge(cod.dropna(subset=["code"]).drop_duplicates().assign(_hit=1.0),
                          on=["code", "segment_id", "coder"], how="left")["_hit"].fillna(0.0).to_numpy()
    frame["value"] = np.where(np.isnan(covered), np.nan, present)
    return frame


def _cube(data: pd.DataFrame, codes: list, units: list, coders: list) -> np.ndarray:
    """codes × units × coders array of 1/0/NaN."""
    return data["value"].to_numpy(dtype=float).reshape(len(codes), len(units), len(coders))


def _binary_parts(cube: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per code and unit: value counts (…×2), coincidences (…×2×2), confusions per pair (…×P×2×2)."""
    ones = np.nansum(cube == 1, axis=-1).astype(float)
    zeros = np.nansum(cube == 0, axis=-1).astype(float)
    counts = np.stack([zeros, ones], axis=-1)
    n_codes, n_units, _ = counts.shape
    coin = _coincidences(counts.reshape(-1, 2)).reshape(n_codes, n_units, 2, 2)
    pairs = list(itertools.combinations(range(cube.shape[-1]), 2))
    conf = np.zeros((n_codes, n_units, len(pairs), 2, 2))
    for p, (i, j) in enumerate(pairs):
        a, b = cube[..., i], cube[..., j]
        both = ~np.isnan(a) & ~np.isnan(b)
        for x in (0, 1):
            for y in (0, 1):
                conf[:, :, p, x, y] = (both & (a == x) & (b == y)).astype(float)
    return counts, coin, conf


def _pct(counts: np.ndarray) -> np.ndarray:
    m = counts.sum(axis=-1)
    pairs = (m * (m - 1) / 2).sum(axis=-1)
    agreeing = (counts * (counts - 1) / 2).sum(axis=(-1, -2))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pairs > 0, agreeing / pairs, np.nan)


def _light_kappa(conf: np.ndarray) -> np.ndarray:
    """Mean pairwise Cohen's κ (Light 1971) from summed confusions (… × P × 2 × 2)."""
    kappas = _kappa_from_confusion(conf)
    if kappas.shape[-1] == 0:
        return np.full(kappas.shape[:-1], np.nan)
    return _nanmean(kappas, axis=-1)


def _nanmean(values: np.ndarray, axis: int) -> np.ndarray:
    """``np.nanmean`` without the all-NaN warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=axis)


def _ci(samples: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    tail = (1 - confidence) / 2 * 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low = np.nanpercentile(samples, tail, axis=0)
        high = np.nanpercentile(samples, 100 - tail, axis=0)
    return low, high


def agreement_table(
    codings: pd.DataFrame,
    units: Sequence[str] | None = None,
    *,
    coders: Sequence[str] | None = None,
    codes: Sequence[str] | None = None,
    coverage: str | pd.DataFrame = "all",
    segments: pd.DataFrame | None = None,
    codebook_table: pd.DataFrame | None = None,
    rollup: bool = False,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """Agreement between coders per code, pooled (``overall``) and averaged (``mean``).

    Parameters
    ----------
    codings : DataFrame
        ``segment_id, code, coder`` of the coders to compare (leave the auto-coder out, or
        include it to treat it as one more coder).
    units, coders, codes, coverage, segments, codebook_table, rollup
        See :func:`reliability_data`.
    n_boot : int
        Bootstrap resamples of segments (0: no intervals).
    confidence : float
        Level of the percentile intervals.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    DataFrame
        ``code, name_fi, name_en, n_coders, n_units, n_values, n_positive, prevalence,
        percent_agreement, kappa, kappa_ci_low, kappa_ci_high, alpha, alpha_ci_low,
        alpha_ci_high``; ``n_units`` counts segments judged by at least two coders,
        ``n_positive`` the values 1.

    Examples
    --------
    >>> import pandas as pd
    >>> cod = pd.DataFrame({"segment_id": ["s1", "s2", "s1", "s3"], "code": ["housing"] * 4,
    ...                     "coder": ["K1", "K1", "K2", "K2"]})
    >>> table = agreement_table(cod, ["s1", "s2", "s3", "s4"], n_boot=0)
    >>> table.loc[0, "code"], float(table.loc[0, "percent_agreement"])
    ('housing', 0.5)
    """
    cod = _check_codings(codings)
    if rollup:
        cod = _rollup(cod, codebook_table)
    units, coders, codes = _resolve(cod, units, coders, codes, segments, codebook_table)
    if len(coders) < 2:
        raise DataError(f"agreement needs at least two coders, found {len(coders)} ({', '.join(coders) or 'none'})",
                        file="codings", hint="Add the codings of a second coder or choose coders=[...].")
    data = reliability_data(cod, units, coders=coders, codes=codes, coverage=coverage, segments=segments)
    cube = _cube(data, codes, units, coders)
    counts, coin, conf = _binary_parts(cube)

    alpha = _alpha_from_coincidence(coin.sum(axis=1))
    kappa = _light_kappa(conf.sum(axis=1))
    pct = _pct(counts)
    overall_alpha = _alpha_from_coincidence(coin.sum(axis=(0, 1)))
    overall_kappa = _light_kappa(conf.sum(axis=(0, 1)))
    overall_pct = _pct(counts.reshape(1, -1, 2))[0]

    n_codes = len(codes)
    ci = {k: np.full(n_codes + 2, np.nan) for k in ("a_lo", "a_hi", "k_lo", "k_hi")}
    if n_boot and len(units):
        rng = np.random.default_rng(seed)
        weights = rng.multinomial(len(units), np.full(len(units), 1 / len(units)), size=n_boot).astype(float)
        coin_b = np.einsum("bu,cuxy->bcxy", weights, coin)
        conf_b = np.einsum("bu,cupxy->bcpxy", weights, conf)
        alpha_b = _alpha_from_coincidence(coin_b)
        kappa_b = _light_kappa(conf_b)
        alpha_mean_b = _nanmean(alpha_b, axis=1)
        kappa_mean_b = _nanmean(kappa_b, axis=1)
        all_alpha = np.column_stack([alpha_b, _alpha_from_coincidence(coin_b.sum(axis=1)), alpha_mean_b])
        all_kappa = np.column_stack([kappa_b, _light_kappa(conf_b.sum(axis=1)), kappa_mean_b])
        ci["a_lo"], ci["a_hi"] = _ci(all_alpha, confidence)
        ci["k_lo"], ci["k_hi"] = _ci(all_kappa, confidence)

    m = counts.sum(axis=-1)
    rows = []
    for i, code in enumerate(codes):
        rows.append({"code": code, "n_units": int((m[i] >= 2).sum()), "n_values": int(m[i].sum()),
                     "n_positive": int(counts[i, :, 1].sum()), "percent_agreement": pct[i],
                     "kappa": kappa[i], "alpha": alpha[i]})
    rows.append({"code": OVERALL, "n_units": int((m >= 2).any(axis=0).sum()), "n_values": int(m.sum()),
                 "n_positive": int(counts[..., 1].sum()), "percent_agreement": overall_pct,
                 "kappa": overall_kappa, "alpha": overall_alpha})
    rows.append({"code": MEAN, "n_units": rows[-1]["n_units"], "n_values": int(m.sum()),
                 "n_positive": int(counts[..., 1].sum()),
                 "percent_agreement": float(_nanmean(pct, axis=0)) if n_codes else np.nan,
                 "kappa": float(_nanmean(kappa, axis=0)) if n_codes else np.nan,
                 "alpha": float(_nanmean(alpha, axis=0)) if n_codes else np.nan})
    table = pd.DataFrame(rows)
    table.insert(1, "n_coders", len(coders))
    table["prevalence"] = np.where(table["n_values"] > 0, table["n_positive"] / table["n_values"].where(table["n_values"] > 0), np.nan)
    table["kappa_ci_low"], table["kappa_ci_high"] = ci["k_lo"], ci["k_hi"]
    table["alpha_ci_low"], table["alpha_ci_high"] = ci["a_lo"], ci["a_hi"]
    table = _add_names(table, codebook_table)
    columns = ["code", "name_fi", "name_en", "n_coders", "n_units", "n_values", "n_positive", "prevalence",
               "percent_agreement", "kappa", "kappa_ci_low", "kappa_ci_high", "alpha", "alpha_ci_low", "alpha_ci_high"]
    for column in ("percent_agreement", "kappa", "alpha", "prevalence"):
        table[column] = table[column].astype(float)
    return table[columns]


_SUMMARY_NAMES = {OVERALL: ("Kaikki koodit yhdessä", "All codes pooled"),
                  MEAN: ("Koodien keskiarvo", "Mean over codes")}


def _add_names(table: pd.DataFrame, codebook_table: pd.DataFrame | None) -> pd.DataFrame:
    names = {}
    if codebook_table is not None:
        for code, fi, en in zip(codebook_table["code"].astype(str), codebook_table.get("name_fi", codebook_table["code"]),
                                codebook_table.get("name_en", codebook_table["code"])):
            names[code] = (fi, en)
    names.update(_SUMMARY_NAMES)
    table["name_fi"] = [names.get(c, (c, c))[0] for c in table["code"]]
    table["name_en"] = [names.get(c, (c, c))[1] for c in table["code"]]
    return table


# ----------------------------------------------------------------------------- auto vs human


def _auto_human_frame(codings, auto_coder, coders, codes, units, coverage, segments, codebook_table, rollup):
    cod = _check_codings(codings)
    if rollup:
        cod = _rollup(cod, codebook_table)
    humans = [c for c in (coders or sorted(cod["coder"].unique())) if c != auto_coder]
    if not humans:
        raise DataError("no human coder found in the codings", file="codings",
                        hint=f"Add manual codings; coder '{auto_coder}' is the auto-coder.")
    units, _, codes = _resolve(cod, units, humans + [auto_coder], codes, segments, codebook_table)
    human_cov = coverage_table(cod, units, coders=humans, how=coverage, segments=segments)
    auto_cov = pd.DataFrame({"segment_id": units, "coder": auto_coder})
    data = reliability_data(cod, units, coders=humans + [auto_coder], codes=codes,
                            coverage=pd.concat([human_cov, auto_cov]), segments=segments)
    wide = data.pivot_table(index=["code", "segment_id"], columns="coder", values="value", dropna=False)
    return wide, humans, units, codes


def auto_vs_human(
    codings: pd.DataFrame,
    *,
    auto_coder: str = "auto",
    coders: Sequence[str] | None = None,
    codes: Sequence[str] | None = None,
    units: Sequence[str] | None = None,
    coverage: str | pd.DataFrame = "all",
    segments: pd.DataFrame | None = None,
    codebook_table: pd.DataFrame | None = None,
    rollup: bool = False,
) -> pd.DataFrame:
    """Precision, recall and F1 of the auto-coder against each human coder, per code.

    The human coder is the reference. Only segments the human judged count (``coverage``);
    the auto-coder judged every unit. Precision is NaN when the auto-coder never used the
    code, recall when the human never did. The ``overall`` rows pool all codes (micro
    average).

    Parameters
    ----------
    codings : DataFrame
        ``segment_id, code, coder`` holding both the auto-coder and the humans.
    auto_coder : str
        The coder id of the auto-coder.
    coders : sequence of str, optional
        Human coders (default: every coder but ``auto_coder``).
    codes, units, coverage, segments, codebook_table, rollup
        See :func:`reliability_data`.

    Returns
    -------
    DataFrame
        ``coder, code, name_fi, name_en, n_units, tp, fp, fn, tn, precision, recall, f1, kappa``.

    Examples
    --------
    >>> import pandas as pd
    >>> cod = pd.DataFrame({"segment_id": ["s1", "s2", "s1"], "code": ["money"] * 3,
    ...                     "coder": ["auto", "auto", "K1"]})
    >>> auto_vs_human(cod, units=["s1", "s2", "s3"]).loc[0, ["precision", "recall"]].tolist()
    [0.5, 1.0]
    """
    wide, humans, units, codes = _auto_human_frame(codings, auto_coder, coders, codes, units, coverage,
                                                   segments, codebook_table, rollup)
    rows = []
    for human in humans:
        both = wide[[human, auto_coder]].dropna()
        for code in codes + [OVERALL]:
            part = both if code == OVERALL else both.loc[both.index.get_level_values("code") == code]
            h, a = part[human].to_numpy(), part[auto_coder].to_numpy()
            tp, fp = int(((a == 1) & (h == 1)).sum()), int(((a == 1) & (h == 0)).sum())
            fn, tn = int(((a == 0) & (h == 1)).sum()), int(((a == 0) & (h == 0)).sum())
            conf = np.array([[tn, fn], [fp, tp]], dtype=float)
            rows.append({"coder": human, "code": code,
                         "n_units": int(part.index.get_level_values("segment_id").nunique()),
                         "tp": tp, "fp": fp, "fn": fn, "tn": tn,
                         "precision": tp / (tp + fp) if tp + fp else np.nan,
                         "recall": tp / (tp + fn) if tp + fn else np.nan,
                         "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else np.nan,
                         "kappa": float(_kappa_from_confusion(conf))})
    table = _add_names(pd.DataFrame(rows), codebook_table)
    return table[["coder", "code", "name_fi", "name_en", "n_units", "tp", "fp", "fn", "tn",
                  "precision", "recall", "f1", "kappa"]]


def disagreements(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    auto_coder: str = "auto",
    coders: Sequence[str] | None = None,
    codes: Sequence[str] | None = None,
    units: Sequence[str] | None = None,
    coverage: str | pd.DataFrame = "all",
    codebook_table: pd.DataFrame | None = None,
    rollup: bool = False,
) -> pd.DataFrame:
    """Segments where the auto-coder and a human coder disagree, for tuning the codebook rules.

    Parameters
    ----------
    codings : DataFrame
        ``segment_id, code, coder``.
    segments : DataFrame
        ``segment_id, text`` (and ``doc_id`` for coverage ``"document"``).
    auto_coder, coders, codes, units, coverage, codebook_table, rollup
        See :func:`auto_vs_human`. ``units`` defaults to all segments.

    Returns
    -------
    DataFrame
        ``segment_id, code, coder, auto, human, kind, text``; ``auto``/``human`` are booleans
        and ``kind`` is ``"auto_only"`` (a false positive of the rules) or ``"human_only"``
        (a miss). Ordered by code, then as the segments.
    """
    if "text" not in segments.columns:
        raise DataError("the segments table has no column 'text'", file="segments",
                        hint="Pass data/processed/segments.parquet.")
    wide, humans, units, codes = _auto_human_frame(codings, auto_coder, coders, codes, units, coverage,
                                                   segments, codebook_table, rollup)
    order = {u: i for i, u in enumerate(units)}
    code_order = {c: i for i, c in enumerate(codes)}
    text = dict(zip(segments["segment_id"].astype(str), segments["text"]))
    rows = []
    for human in humans:
        both = wide[[human, auto_coder]].dropna()
        diff = both[both[human] != both[auto_coder]]
        for (code, segment_id), values in diff.iterrows():
            auto = bool(values[auto_coder] == 1)
            rows.append({"segment_id": segment_id, "code": code, "coder": human, "auto": auto,
                         "human": bool(values[human] == 1), "kind": "auto_only" if auto else "human_only",
                         "text": text.get(segment_id)})
    out = pd.DataFrame(rows, columns=["segment_id", "code", "coder", "auto", "human", "kind", "text"])
    if len(out):
        out = out.assign(_c=out["code"].map(code_order), _s=out["segment_id"].map(order))
        out = out.sort_values(["_c", "_s", "coder"], kind="stable").drop(columns=["_c", "_s"])
    return out.reset_index(drop=True)


# ----------------------------------------------------------------------------- figure


def plot_precision_recall(scores: pd.DataFrame, *, language: str = "fi", include_overall: bool = True,
                          ax=None):
    """Dot plot of precision and recall per code (one row per code, colours per human coder).

    Parameters
    ----------
    scores : DataFrame
        Output of :func:`auto_vs_human`.
    language : {"fi", "en"}
        Language of the labels (code names from ``name_fi``/``name_en``).
    include_overall : bool
        Show the pooled ``overall`` row at the bottom.
    ax : matplotlib Axes, optional
        Where to draw; by default a new figure sized to the number of codes.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on (its figure is ``ax.figure``).
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    if language not in _LABELS:
        raise DataError(f"unknown language '{language}'", file="plot_precision_recall", hint="Use 'fi' or 'en'.")
    labels = _LABELS[language]
    data = scores if include_overall else scores[scores["code"] != OVERALL]
    codes = list(dict.fromkeys(data["code"]))
    name_col = f"name_{language}" if f"name_{language}" in data.columns else "code"
    names = dict(zip(data["code"], data[name_col]))
    coders = list(dict.fromkeys(data["coder"]))
    own = ax is None
    if own:
        ax = Figure(figsize=(7.5, 0.45 * len(codes) + 1.6)).add_subplot()
    palette = ["#1B9E77", "#D95F02", "#7570B3", "#E7298A", "#66A61E", "#E6AB02"]
    y_of = {code: len(codes) - 1 - i for i, code in enumerate(codes)}
    offset = np.linspace(0.18, -0.18, len(coders)) if len(coders) > 1 else [0.0]
    for k, coder in enumerate(coders):
        part = data[data["coder"] == coder]
        ys = np.array([y_of[c] for c in part["code"]]) + offset[k]
        colour = palette[k % len(palette)]
        ax.scatter(part["precision"], ys, marker="o", color=colour, zorder=3)
        ax.scatter(part["recall"], ys, marker="^", facecolors="none", edgecolors=colour, zorder=3)
        for y, p, r in zip(ys, part["precision"], part["recall"]):
            if not (pd.isna(p) or pd.isna(r)):
                ax.plot([p, r], [y, y], color=colour, linewidth=0.8, alpha=0.6, zorder=2)
    ax.set_yticks(list(y_of.values()), [names[c] for c in y_of])
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel(labels["value"])
    ax.grid(axis="x", linewidth=0.4, alpha=0.5)
    handles = [Line2D([], [], marker="o", linestyle="", color="0.3", label=labels["precision"]),
               Line2D([], [], marker="^", linestyle="", markerfacecolor="none", color="0.3", label=labels["recall"])]
    handles += [Line2D([], [], marker="s", linestyle="", color=palette[k % len(palette)], label=c)
                for k, c in enumerate(coders)]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=min(len(handles), 5),
              frameon=False, fontsize="small")
    if own and ax.figure.get_layout_engine() is None:  # the house style already uses constrained layout
        ax.figure.tight_layout()
    return ax
