"""The fast audit (components, witnesses, block programmes, trials) agrees with solving the whole problem."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

import analysis.privacy.audit as audit_module
from analysis.privacy.audit import AuditProblem, choose_secondary, record_cells, recheck_exposure


def _random_problem(seed: int, k: int = 5) -> AuditProblem:
    """Rows of counts n = a + b + c, some hidden, with column totals shared between rows (a few components)."""
    rng = np.random.default_rng(seed)
    problem = AuditProblem(k)
    for group in range(4):
        rows = int(rng.integers(2, 5))
        parts = rng.integers(0, 9, size=(rows, 3))
        for r in range(rows):
            for j, value in enumerate(parts[r]):
                published = f"<{k}" if 1 <= value < k and rng.random() < 0.8 else int(value)
                if published == int(value) and rng.random() < 0.15:
                    published = "x"
                problem.cell(f"g{group}r{r}c{j}", published, table=f"t{group}", row=r, column=f"c{j}", value=float(value))
            problem.cell(f"g{group}r{r}n", int(parts[r].sum()), table=f"t{group}", row=r, column="n")
            problem.relation(f"g{group}r{r}n", [f"g{group}r{r}c{j}" for j in range(3)])
        for j in range(3):
            problem.cell(f"g{group}T{j}", int(parts[:, j].sum()), table=f"t{group}", row="total", column=f"c{j}")
            problem.relation(f"g{group}T{j}", [f"g{group}r{r}c{j}" for r in range(rows)])
    return problem


def _whole(problem: AuditProblem) -> dict[str, tuple[float, float]]:
    """Every '<k' cell's interval from one programme over all cells and relations (no components, no cache)."""
    unknown, rows, rhs = problem.equations()
    a = np.zeros((len(rows), len(unknown)))
    for r, row in enumerate(rows):
        for i, coef in row.items():
            a[r, i] = coef
    bounds = [(problem.cells[c].low, problem.cells[c].high) for c in unknown]
    out = {}
    for cid, cell in problem.cells.items():
        if cell.state != "primary":
            continue
        if cid not in unknown:
            out[cid] = (cell.low, cell.high)
            continue
        c = np.zeros(len(unknown))
        c[unknown.index(cid)] = 1.0
        ends = [s * linprog(s * c, A_eq=a, b_eq=rhs, bounds=bounds, method="highs").fun for s in (1.0, -1.0)]
        out[cid] = (ends[0], ends[1])
    return out


def _same(found: dict, expected: dict) -> bool:
    return set(found) == set(expected) and all(
        abs(found[c][0] - expected[c][0]) < 1e-6 and abs(found[c][1] - expected[c][1]) < 1e-6 for c in expected)


@pytest.fixture(autouse=True)
def _fresh_caches(monkeypatch):
    monkeypatch.setattr(audit_module, "_INTERVALS", {})
    monkeypatch.setattr(audit_module, "_POINTS", {})


@pytest.mark.parametrize("seed", range(12))
def test_component_split_gives_the_whole_problems_intervals(seed):
    problem = _random_problem(seed)
    expected = _whole(problem)
    result = problem.audit()
    assert set(result.intervals) == set(expected)
    for cid, (low, high) in expected.items():
        assert result.intervals[cid] == pytest.approx((low, high), abs=1e-6), cid
    # exposed iff the whole problem says the interval is narrower than 1…k-1
    exposed = {cid for cid, (low, high) in expected.items() if high - low < problem.k - 2 - 1e-6}
    assert {(e.table, e.row, e.column) for e in result.exposed} == \
        {w for cid in exposed for w in problem.cells[cid].where}
    # again, from the caches and witnesses only: the same
    assert problem.audit().intervals == result.intervals


@pytest.mark.parametrize("seed", range(12))
def test_only_around_and_within_agree_with_the_full_audit(seed):
    problem = _random_problem(seed)
    full = problem.audit()
    audit_module._INTERVALS.clear()
    audit_module._POINTS.clear()
    some = [cid for cid in full.intervals][::2]
    assert _same(problem.audit(only=some).intervals, {c: full.intervals[c] for c in some})
    # around the cells of table t1: exactly the '<k' cells of its components
    around = problem.audit(around=[cid for cid, c in problem.cells.items() if c.where and c.where[0][0] == "t1"])
    assert set(around.intervals) == {cid for cid in full.intervals if cid.startswith("g1")}
    # a relaxed problem (one shown cell hidden) with the intervals of the tighter one as `within`
    shown = next(cid for cid, c in problem.cells.items() if c.state == "shown" and "c" in cid.split("r")[-1])
    cell = problem.cells[shown]
    cell.state, cell.low, cell.high = "secondary", 0.0, float(audit_module.INFINITE)
    relaxed = problem.audit(within=full.intervals).intervals
    audit_module._INTERVALS.clear()
    audit_module._POINTS.clear()
    assert _same(relaxed, _whole(problem))


def _sequential_choice(problem, exposure, candidates):
    """choose_secondary as it was: each candidate hidden in turn, a whole audit each time."""
    from analysis.privacy.audit import related_candidates

    where = (exposure.table, exposure.row, exposure.column)
    ids = {cid for cid, c in problem.cells.items() if c.state == "primary" and where in c.where}
    best = None
    for cid in related_candidates(problem, [exposure], candidates):
        cell = problem.cells[cid]
        saved = (cell.state, cell.low, cell.high)
        cell.state, cell.low, cell.high = "secondary", 0.0, float(audit_module.INFINITE)
        intervals = _whole(problem)
        cell.state, cell.low, cell.high = saved
        left = sum(1 for c in ids if intervals[c][1] - intervals[c][0] < problem.k - 2 - 1e-6)
        key = (left, candidates[cid], cid)
        best = key if best is None or key < best else best
        if left == 0:
            break
    return best[2] if best else None


@pytest.mark.parametrize("seed", range(12))
def test_batched_trials_choose_what_one_by_one_trials_choose(seed):
    problem = _random_problem(seed)
    result = problem.audit()
    candidates = {cid: c.value for cid, c in problem.cells.items() if c.state == "shown" and c.value is not None}
    for exposure in result.exposed:
        expected = _sequential_choice(problem, exposure, candidates)
        assert choose_secondary(problem, [exposure], candidates) == expected
        still, choice = recheck_exposure(problem, exposure, candidates, within=result.intervals)
        assert still and choice == expected


def test_record_cells_names_every_cell_of_a_record():
    record = {"cells": [["a", 3, "1", "n", 3.0, False]], "relations": [["a", ["b", "c"]]],
              "equations": [[{"d": 1.0, "a": -0.5}, 0.0]]}
    assert record_cells(record) == {"a", "b", "c", "d"}
    assert record_cells({}) == set()
