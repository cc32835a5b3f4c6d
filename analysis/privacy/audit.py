"""Disclosure audit: can a reader recover a suppressed cell from everything published?

Small-cell suppression (:mod:`analysis.privacy.suppress`) hides counts ``1 … k-1`` as
``"<k"``. A hidden count is still disclosed when the published numbers pin it down:
``n − n_valid − n_missing_code − n_empty`` in a row, the same count shown in another
table, a share printed with its ``n`` in a sentence, a sub-total of a subset. This module
does what statistics offices do with τ-ARGUS or sdcTable: an **interval audit by linear
programming**. Every published count is a variable; visible counts are fixed, ``"<k"`` is
``1 … k-1``, ``"x"`` (secondary suppression) is ``0 … ∞``; every additive relation
(``total = part + part + …``) and every revealed value is a linear constraint. For each
``"<k"`` cell :func:`scipy.optimize.linprog` finds the smallest and largest value the
cell can take given all of them.

Protection level
----------------
A count below ``k`` is **protected** when its feasible interval is at least as wide as
the ``1 … k-1`` that the marker ``"<k"`` itself says (width ``k-2``): for a ``"<k"`` cell
that means the published numbers add nothing to "fewer than k". A count below ``k`` can
also be published as ``"x"`` (when a sum of small cells would otherwise pin it down,
e.g. ``"<5"`` for a total of three ``"<5"`` cells says "3 or 4"); the registry records
that it is small, so it is audited just the same. Otherwise the cell is **exposed** and
the audit names the table, the row and the column. The LP relaxation is used, as in τ-ARGUS: intervals of
whole numbers are never wider than the LP's, so a cell found exposed is exposed, and a
cell found protected is protected against every linear inference from the declared
relations (not against relations nobody declared, see the README).

Cells are identified by an id. Two tables that publish the same quantity give it the same
id (``Registry.table(cell_ids=...)``), so it is one variable: shown in one and hidden in
the other, it is exposed.

Examples
--------
>>> problem = AuditProblem(k=5)
>>> problem.cell("t[0].n", 60, table="t", row=0, column="n")
>>> problem.cell("t[0].valid", 59, table="t", row=0, column="valid")
>>> problem.cell("t[0].empty", "<5", table="t", row=0, column="empty")
>>> problem.relation("t[0].n", ["t[0].valid", "t[0].empty"])
>>> [str(e) for e in problem.audit().exposed]
["table 't', row 0, column 'empty': a count below 5 is exactly 1 (interval 1…1, needs one at least as wide as 1…4)"]
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from analysis.errors import DataError

__all__ = ["AuditCell", "Exposure", "AuditResult", "AuditProblem", "cell_state", "INFINITE",
           "infer_row_relations", "infer_share_columns", "table_structure", "problem_from_structures",
           "related_candidates", "choose_secondary", "recheck_exposure", "audit_registries", "record_cells"]

#: Upper bound of a secondary ``"x"`` cell (no count in this project comes near it).
INFINITE = 10**7

_SMALL = re.compile(r"^<\s*(\d+)$")


def cell_state(value: Any, k: int) -> tuple[str, float, float]:
    """State of a published count cell: ``("shown"|"primary"|"secondary"|"blank", low, high)``.

    Examples
    --------
    >>> cell_state(12, 5), cell_state("<5", 5), cell_state("x", 5)
    (('shown', 12.0, 12.0), ('primary', 1.0, 4.0), ('secondary', 0.0, 10000000.0))
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "blank", 0.0, float(INFINITE)
    if isinstance(value, str):
        text = value.strip()
        match = _SMALL.match(text)
        if match:
            return "primary", 1.0, float(int(match.group(1)) - 1)
        if text == "x":
            return "secondary", 0.0, float(INFINITE)
        if text == "":
            return "blank", 0.0, float(INFINITE)
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise DataError(f"count cell {value!r} is neither a number nor a suppression marker",
                            location="disclosure audit") from None
        return "shown", number, number
    number = float(value)
    return "shown", number, number


@dataclass
class AuditCell:
    """One published count (a variable of the audit)."""

    id: str
    state: str
    low: float
    high: float
    where: list[tuple[str, Any, str]] = field(default_factory=list)  # (table, row, column)
    value: float | None = None  # the true value, when known to the publisher (for costs)
    shown_in: set[str] = field(default_factory=set)  # tables that show the value


@dataclass(frozen=True)
class Exposure:
    """A ``"<k"`` cell whose feasible interval is narrower than ``1 … k-1``."""

    table: str
    row: Any
    column: str
    low: float
    high: float
    k: int

    def __str__(self) -> str:
        lo, hi = int(round(self.low)), int(round(self.high))
        what = f"is exactly {lo}" if lo == hi else f"is known to lie in {lo}…{hi}"
        return (f"table '{self.table}', row {self.row}, column '{self.column}': a count below {self.k} {what} "
                f"(interval {lo}…{hi}, needs one at least as wide as 1…{self.k - 1})")


@dataclass
class AuditResult:
    """What the audit found.

    Attributes
    ----------
    n_cells : int
        Published count cells taken into account (shown and suppressed, after merging
        cells that several tables share).
    n_primary, n_secondary : int
        ``"<k"`` cells audited and ``"x"`` cells.
    n_relations : int
        Additive relations and revealed values used.
    exposed : list of Exposure
        Exposed cells (empty: the audit passed).
    intervals : dict
        Cell id → (low, high) of every audited ``"<k"`` cell.
    """

    n_cells: int
    n_primary: int
    n_secondary: int
    n_relations: int
    exposed: list[Exposure]
    intervals: dict[str, tuple[float, float]]

    @property
    def ok(self) -> bool:
        return not self.exposed


#: Feasible intervals already solved, by linear programme (the same equations, bounds and
#: cell give the same interval; HiGHS is deterministic). Bounded: cleared when full.
_INTERVALS: dict[tuple, tuple[float, float]] = {}
_INTERVALS_MAX = 100_000


class AuditProblem:
    """The published counts of one run and the linear relations between them.

    Parameters
    ----------
    k : int
        The small-cell limit: ``"<k"`` cells must keep the interval ``1 … k-1``.
    """

    def __init__(self, k: int = 5) -> None:
        self.k = int(k)
        self.cells: dict[str, AuditCell] = {}
        self.relations: list[tuple[dict[str, float], float, str]] = []  # (coefficients, rhs, origin)
        # cell id → the relations naming it, for :meth:`equations` with ``only`` (kept up to date
        # with the relations appended since; relations are only ever appended)
        self._naming: dict[str, list[int]] = {}
        self._named = 0

    # -------------------------------------------------------------- building
    def cell(self, cell_id: str, published: Any, *, table: str, row: Any, column: str,
             value: float | None = None, sensitive: bool = False) -> None:
        """Add a published count; the same id seen again is the same quantity.

        Shown in one place and hidden in another, the cell becomes known (that is the
        "same cell in two tables" exposure). Two different shown values for one id are a
        declaration error.
        """
        state, low, high = cell_state(published, self.k)
        if state == "primary":
            high = float(self.k - 1) if high > self.k - 1 else high
        elif sensitive and state in ("secondary", "blank"):
            state = "primary"  # a count below k published as "x": still protected, with the bounds of "x"
        existing = self.cells.get(cell_id)
        if existing is None:
            self.cells[cell_id] = AuditCell(cell_id, state, low, high, [(table, row, column)], value,
                                            {table} if state == "shown" else set())
            return
        if state == "shown":
            existing.shown_in.add(table)
        existing.where.append((table, row, column))
        if existing.value is None:
            existing.value = value
        new_low, new_high = max(existing.low, low), min(existing.high, high)
        if new_low > new_high + 1e-9:
            raise DataError(f"cell '{cell_id}' is published with values that contradict each other "
                            f"({existing.where[0][0]} and {table})", location="disclosure audit",
                            hint="Two tables give the same cell id to different quantities; fix cell_ids.")
        # a small count anywhere must be protected everywhere; otherwise shown beats hidden
        if "primary" in (state, existing.state):
            existing.state = "primary"
        elif "shown" in (state, existing.state):
            existing.state = "shown"
        elif "secondary" in (state, existing.state):
            existing.state = "secondary"
        existing.low, existing.high = new_low, new_high

    def relation(self, total: str, parts: Iterable[str], origin: str = "") -> None:
        """Declare ``total = sum(parts)`` (cell ids)."""
        coefficients: dict[str, float] = {total: -1.0}
        for part in parts:
            coefficients[part] = coefficients.get(part, 0.0) + 1.0
        self.relations.append((coefficients, 0.0, origin))

    def inequality(self, coefficients: dict[str, float], rhs: float = 0.0, origin: str = "") -> None:
        """Declare ``sum(coefficient × cell) ≤ rhs`` (e.g. a subset's count ≤ the main run's count).

        Added as an equation with a slack cell in ``0 … ∞``.
        """
        slack = f"slack:{len(self.relations)}"
        self.cells[slack] = AuditCell(slack, "blank", 0.0, float(INFINITE), [])
        self.relations.append(({**coefficients, slack: coefficients.get(slack, 0.0) + 1.0}, float(rhs), origin))

    def equation(self, coefficients: dict[str, float], rhs: float, origin: str = "",
                 tolerance: float = 0.0) -> None:
        """Declare ``sum(coefficient × cell) = rhs ± tolerance`` (e.g. a rounded share with its n)."""
        coefficients = dict(coefficients)
        if tolerance > 0:  # a rounded number: the equation holds up to a slack in ±tolerance
            slack = f"slack:{len(self.relations)}"
            self.cells[slack] = AuditCell(slack, "blank", -float(tolerance), float(tolerance), [])
            coefficients[slack] = 1.0
        self.relations.append((coefficients, float(rhs), origin))

    # -------------------------------------------------------------- solving
    def equations(self, only: Iterable[str] | None = None,
                  around: Iterable[str] | None = None) -> tuple[list[str], list[dict[int, float]], list[float]]:
        """The relations as sparse equations over the cells not yet known.

        Parameters
        ----------
        only : iterable of str, optional
            Cell ids: only the relations of their connected components (through cells
            not yet known) are read; the others cannot change their intervals. Their
            consistency is then not checked (the full problem, ``only=None``, checks it).
        around : iterable of str, optional
            Cell ids, known or not: like ``only``, with the components of the unknown
            cells that share a relation with a known one too (the components whose
            equations a published value of these cells enters).

        Returns
        -------
        unknown : list of str
            Ids of the cells whose value is not fixed (``low < high``), in insertion order
            (with ``only``: those of the components read).
        rows : list of dict
            One per relation that involves an unknown cell, in the order declared:
            unknown index → coefficient (no zero coefficients).
        rhs : list of float
            Its right-hand side, with the known cells moved over.

        Raises
        ------
        DataError
            When a relation names a cell nobody published, or the published values
            contradict a relation of known cells only.
        """
        cells = self.cells
        if only is None and around is None:
            unknown = [cid for cid, c in cells.items() if c.low < c.high]
            relations = range(len(self.relations))
        else:
            unknown, relations = self._reachable([*(only or ()), *(around or ())], set(around or ()))
        index = {cid: i for i, cid in enumerate(unknown)}
        rows: list[dict[int, float]] = []
        rhs: list[float] = []
        for r in relations:
            coefficients, constant, origin = self.relations[r]
            row: dict[int, float] = {}
            value = constant
            for cid, coef in coefficients.items():
                i = index.get(cid)
                if i is not None:
                    row[i] = row.get(i, 0.0) + coef
                    continue
                cell = cells.get(cid)
                if cell is None:
                    missing = [c for c in coefficients if c not in cells]
                    raise DataError(f"relation {origin or ''} refers to cells that were not published: "
                                    f"{', '.join(missing[:3])}", location="disclosure audit")
                value -= coef * cell.low
            row = {i: coef for i, coef in row.items() if coef != 0}
            if row:
                rows.append(row)
                rhs.append(value)
            elif abs(value) > 1e-6:
                raise DataError(f"published values contradict the relation {origin}",
                                location="disclosure audit",
                                hint="Check the additive structure declared for the table.")
        return unknown, rows, rhs

    def _positions(self) -> dict[str, int]:
        """Cell id → its position among the cells (cells are only ever added)."""
        position = self.__dict__.get("_position")
        if position is None or len(position) != len(self.cells):
            position = self.__dict__["_position"] = {cid: i for i, cid in enumerate(self.cells)}
        return position

    def _relations_naming(self) -> dict[str, list[int]]:
        """Cell id → the positions of the relations naming it (kept up to date as relations are added)."""
        naming = self._naming
        for r in range(self._named, len(self.relations)):
            for cid in self.relations[r][0]:
                naming.setdefault(cid, []).append(r)
        self._named = len(self.relations)
        return naming

    def _reachable(self, only: Iterable[str], known: set[str] = frozenset()) -> tuple[list[str], list[int]]:
        """Unknown cells (insertion order) and relations (declared order) of the components of ``only``.

        A known cell of ``known`` adds the components of the unknown cells it shares a relation with.
        """
        naming = self._relations_naming()
        cells = self.cells

        def unknown(cid: str) -> bool:
            cell = cells.get(cid)
            return cell is not None and cell.low < cell.high

        frontier = [cid for cid in dict.fromkeys(only) if unknown(cid)]
        seen, relations = set(frontier), set()
        for cid in known:
            if not unknown(cid):  # a published value: the unknown cells of its relations
                for r in naming.get(cid, ()):
                    relations.add(r)
                    for other in self.relations[r][0]:
                        if other not in seen and unknown(other):
                            seen.add(other)
                            frontier.append(other)
        while frontier:
            cid = frontier.pop()
            for r in naming.get(cid, ()):
                if r in relations:
                    continue
                relations.add(r)
                for other in self.relations[r][0]:
                    if other not in seen and unknown(other):
                        seen.add(other)
                        frontier.append(other)
        return [cid for cid in cells if cid in seen], sorted(relations)

    def audit(self, only: Iterable[str] | None = None,
              within: dict[str, tuple[float, float]] | None = None,
              around: Iterable[str] | None = None) -> AuditResult:
        """Compute the feasible interval of every ``"<k"`` cell (or of the cells ``only``).

        Each cell is solved in its connected component of the relations (the cells it
        shares an equation with, and theirs…): cells of other components cannot change
        its interval. A side of the interval that a feasible point already found for the
        component reaches (the cell at its own bound) needs no programme of its own; the
        others are solved together, as one programme of independent blocks (one block
        per cell and side: each block's optimum is that side).

        Parameters
        ----------
        only : iterable of str, optional
            The ``"<k"`` cells to audit (default: all).
        within : dict, optional
            Cell id → an interval the cell is known to reach in a problem that this one
            relaxes (the same relations, every bound at least as wide): a side of it at
            the cell's bound is that side here too, with no programme.
        around : iterable of str, optional
            Audit only the ``"<k"`` cells whose intervals these cells (published or not)
            can change: those of the connected components of their relations. Adding a
            table to an audited problem, these are its cells; every other component is
            the same as before, with the same intervals. Only the relations read are
            checked for consistency (see :meth:`equations`).

        Returns
        -------
        AuditResult

        Raises
        ------
        DataError
            When the relations contradict the published values (a wrong declaration).
        """
        pending = self.plan(only, within, around)
        return pending.finish(_solve_sides(pending.sides))

    def plan(self, only: Iterable[str] | None = None, within: dict[str, tuple[float, float]] | None = None,
             around: Iterable[str] | None = None) -> "_Pending":
        """The programmes :meth:`audit` needs, to solve with those of other audits (:func:`_solve_sides`).

        Everything that depends on the cells' current bounds and states is taken now: the
        problem may change before :meth:`_Pending.finish`.
        """
        if around is not None:
            around = set(around)
        within = within or {}
        unknown, rows, rhs = self.equations(only, around)
        index = {cid: i for i, cid in enumerate(unknown)}
        if only is not None:  # in the order of the cells
            position = self._positions()
            primary = sorted((cid for cid in set(only) if cid in position and self.cells[cid].state == "primary"),
                             key=position.__getitem__)
        else:
            primary = [cid for cid, c in self.cells.items() if c.state == "primary"]
        if around is not None:
            primary = [cid for cid in primary if cid in index or cid in around]
        # connected components: a cell is only constrained by relations it shares
        components = _components(len(unknown), rows)
        programmes: dict[int, _Component] = {}  # component root → its programme, built once
        cells: list[tuple[str, Any]] = []  # (cell id, its interval or (programme, column, known ends))
        sides: list[tuple[_Component, int, float, str]] = []
        for cid in primary:
            cell = self.cells[cid]
            i = index.get(cid)
            if i is None or not components[i][2]:
                cells.append((cid, (cell.low, cell.high)))
                continue
            root, members, eqs = components[i]
            programme = programmes.get(root)
            if programme is None:
                programme = programmes[root] = _Component.build(members, eqs, rows, rhs, unknown, self.cells)
            j = programme.local[i]
            found = _INTERVALS.get((*programme.key, j))
            if found is not None:  # the same component is audited again with every table the run adds
                cells.append((cid, found))
                continue
            ends = programme.reached(j, within.get(cid))
            sides += [(programme, j, sign, cid) for sign, end in zip((1.0, -1.0), ends) if end is None]
            cells.append((cid, (programme, j, ends)))
        n_secondary = sum(1 for c in self.cells.values() if c.state == "secondary")
        return _Pending(self, cells, sides, AuditResult(n_cells=len(self.cells), n_primary=len(primary),
                                                        n_secondary=n_secondary, n_relations=len(self.relations),
                                                        exposed=[], intervals={}))


@dataclass
class _Pending:
    """An audit planned by :meth:`AuditProblem.plan`: its cells and the sides to solve."""

    problem: AuditProblem
    cells: list[tuple[str, Any]]
    sides: list[tuple["_Component", int, float, str]]
    result: AuditResult

    def finish(self, solved: dict[tuple, float]) -> AuditResult:
        """The result, given the solved sides (``(programme key, column, sign)`` → optimum)."""
        intervals, exposed = {}, []
        k = self.problem.k
        for cid, found in self.cells:
            if len(found) == 3:
                programme, j, ends = found
                low, high = (end if end is not None else solved[(programme.key, j, sign)]
                             for end, sign in zip(ends, (1.0, -1.0)))
                found = programme.remember(j, (low, high))
            intervals[cid] = found
            low, high = found
            if high - low < k - 2 - 1e-6:  # narrower than the 1…k-1 that "<k" says
                for table, row, column in self.problem.cells[cid].where:
                    exposed.append(Exposure(table, row, column, low, high, k))
        return AuditResult(n_cells=self.result.n_cells, n_primary=self.result.n_primary,
                           n_secondary=self.result.n_secondary, n_relations=self.result.n_relations,
                           exposed=exposed, intervals=intervals)


#: Feasible points found for a component's programme, reused as witnesses: a cell that one
#: of them puts at its lower (upper) bound has that bound as its minimum (maximum). Kept as
#: key → (smallest, largest value of each column over the points). Cleared with :data:`_INTERVALS`.
_POINTS: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

#: A witness counts as reaching a bound when within this of it (HiGHS' feasibility
#: tolerance is 1e-7; the protection test allows 1e-6).
_AT_BOUND = 1e-9

#: Fewest sides to solve for which :func:`_solve_sides` looks for witnesses first (an extra
#: call of HiGHS, worth it only when it spares many blocks).
_WITNESS_SIDES = 16

#: Most columns of one programme of blocks (:func:`_solve_sides`); more are solved in several.
_BLOCK_COLUMNS = 20_000


@dataclass
class _Component:
    """The linear programme of one connected component: ``A x = b``, ``low ≤ x ≤ high``."""

    a: np.ndarray
    b: np.ndarray
    bounds: list[tuple[float, float]]
    local: dict[int, int]  # unknown index → column of a
    key: tuple

    @classmethod
    def build(cls, members: list[int], eqs: list[int], rows: list[dict[int, float]], rhs: list[float],
              unknown: list[str], cells: dict[str, AuditCell]) -> "_Component":
        local = {m: j for j, m in enumerate(members)}
        a = np.zeros((len(eqs), len(members)))
        for r, e in enumerate(eqs):
            for m, coef in rows[e].items():
                a[r, local[m]] = coef
        b = np.array([rhs[e] for e in eqs], dtype=float)
        bounds = [(cells[unknown[m]].low, cells[unknown[m]].high) for m in members]
        return cls(a, b, bounds, local, (a.shape, a.tobytes(), b.tobytes(), tuple(bounds)))

    def reached(self, j: int, within: tuple[float, float] | None = None) -> list[float | None]:
        """The bounds of column ``j`` that a witness reaches (lower, upper; None: not reached).

        A witness is a feasible point found before for this programme, or ``within``: an
        interval the cell is known to reach (see :meth:`AuditProblem.audit`).
        """
        seen = _POINTS.get(self.key)
        ends: list[float | None] = []
        for side, sign in ((0, 1.0), (1, -1.0)):
            bound = self.bounds[j][side]
            hit = (within is not None and sign * (within[side] - bound) <= _AT_BOUND) \
                or (seen is not None and sign * (seen[side][j] - bound) <= _AT_BOUND)
            ends.append(bound if hit else None)  # a feasible point sits at the bound: it is the optimum
        return ends

    def witness(self, point: np.ndarray) -> None:
        """Keep a feasible point of the programme (:meth:`reached`)."""
        seen = _POINTS.get(self.key)
        if seen is None:
            _POINTS[self.key] = (point.copy(), point.copy())
        else:
            np.minimum(seen[0], point, out=seen[0])
            np.maximum(seen[1], point, out=seen[1])

    def remember(self, j: int, interval: tuple[float, float]) -> tuple[float, float]:
        """Keep the interval of column ``j`` for the next audit of the same programme."""
        if len(_INTERVALS) >= _INTERVALS_MAX:
            _INTERVALS.clear()
            _POINTS.clear()
        _INTERVALS[(*self.key, j)] = interval
        return interval

    def solve(self, c: np.ndarray, cid: str) -> tuple[float, np.ndarray]:
        """Minimise ``c · x``: the optimum and the point (HiGHS, deterministic)."""
        from scipy.optimize import linprog

        res = linprog(c, A_eq=self.a, b_eq=self.b, bounds=self.bounds, method="highs")
        if res.status != 0:
            raise DataError(f"the published values of cell '{cid}' and its relations are "
                            f"inconsistent ({res.message})", location="disclosure audit",
                            hint="Check the additive structure declared for the table.")
        return float(res.fun), np.asarray(res.x, dtype=float)


def _solve_sides(sides: list[tuple[_Component, int, float, str]]) -> dict[tuple, float]:
    """Solve the sides ``(programme, column, sign, cell id)``: the smallest (sign 1) or largest (-1) value.

    The sides are solved together as one linear programme of independent blocks, one per
    side (the programme, with the objective ``sign × x[column]``): its optimum is the sum
    of the blocks' optima, so each block's part of the solution is optimal for its side.
    One call of HiGHS instead of one per side. Before that (when there are many), where a
    programme has several sides of one sign to solve, one block optimises their sum: each cell that its
    solution puts at its bound has that bound as its optimum (a witness), and needs no
    block of its own. Each block's solution is kept as a witness
    (:meth:`_Component.reached`). When a programme of blocks is infeasible, the sides are
    solved one by one, so that the error names the cell.

    Returns
    -------
    dict
        ``(programme key, column, sign)`` → the optimum (the value of the cell).
    """
    unique: dict[tuple, tuple[_Component, int, float, str]] = {}
    for programme, j, sign, cid in sides:
        unique.setdefault((programme.key, j, sign), (programme, j, sign, cid))
    solved: dict[tuple, float] = {}
    # witnesses first: one block per programme and sign with several sides, optimising their sum
    groups: dict[tuple, list[tuple[_Component, int, float, str]]] = {}
    for (key, _, sign), side in unique.items():
        groups.setdefault((key, sign), []).append(side)
    sums = []
    for (_, sign), group in groups.items():
        if len(group) > 1 and len(unique) >= _WITNESS_SIDES:
            c = np.zeros(group[0][0].a.shape[1])
            c[[j for _, j, _, _ in group]] = sign
            sums.append((group[0][0], c, group[0][3]))
    if sums:
        _solve_blocks(sums)
        for key, (programme, j, sign, _) in list(unique.items()):
            end = programme.reached(j)[0 if sign > 0 else 1]
            if end is not None:
                solved[key] = end
                del unique[key]
    blocks = []
    for programme, j, sign, cid in unique.values():
        c = np.zeros(programme.a.shape[1])
        c[j] = sign
        blocks.append((programme, c, cid))
    for (key, (_, j, _, _)), point in zip(unique.items(), _solve_blocks(blocks)):
        solved[key] = float(point[j])
    return solved


def _solve_blocks(blocks: list[tuple[_Component, np.ndarray, str]]) -> list[np.ndarray]:
    """Minimise ``c · x`` over each ``(programme, c, cell id)``: the solutions, kept as witnesses.

    Solved as few programmes of independent blocks (at most :data:`_BLOCK_COLUMNS`
    columns each; a lone block as itself); one infeasible is solved block by block, so
    that the error names the cell.
    """
    from scipy import sparse
    from scipy.optimize import linprog

    points: list[np.ndarray] = []
    batch: list[tuple[_Component, np.ndarray, str]] = []

    def flush() -> None:
        res = None
        if len(batch) > 1:
            res = linprog(np.concatenate([c for _, c, _ in batch]),
                          A_eq=sparse.block_diag([sparse.csr_array(p.a) for p, _, _ in batch], format="csr"),
                          b_eq=np.concatenate([p.b for p, _, _ in batch]),
                          bounds=[bound for p, _, _ in batch for bound in p.bounds], method="highs")
        if res is not None and res.status == 0:
            x, offset = np.asarray(res.x, dtype=float), 0
            for programme, _, _ in batch:
                points.append(x[offset:offset + programme.a.shape[1]].copy())
                offset += programme.a.shape[1]
        else:  # a lone block, or which block fails (raises, naming the cell)
            points.extend(programme.solve(c, cid)[1] for programme, c, cid in batch)
        for (programme, _, _), point in zip(batch, points[len(points) - len(batch):]):
            programme.witness(point)
        batch.clear()

    columns = 0
    for block in blocks:
        if batch and columns + block[0].a.shape[1] > _BLOCK_COLUMNS:
            flush()
            columns = 0
        batch.append(block)
        columns += block[0].a.shape[1]
    if batch:
        flush()
    return points


def _components(n: int, rows: list[dict[int, float]]) -> dict[int, tuple[int, list[int], list[int]]]:
    """Variable index → (component root, variables of its component, equations of its component).

    Variables and equations are listed in index order.
    """
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for row in rows:
        nz = iter(row)
        first = find(next(nz))
        for j in nz:
            other = find(j)
            if other != first:
                parent[first] = other
                first = other
    members: dict[int, list[int]] = {}
    for i in range(n):
        members.setdefault(find(i), []).append(i)
    eqs: dict[int, list[int]] = {}
    for e, row in enumerate(rows):
        eqs.setdefault(find(next(iter(row))), []).append(e)
    return {i: (root, members[root], eqs.get(root, [])) for root, group in members.items() for i in group}


# ------------------------------------------------------------------ tables → audit
def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        and not (isinstance(value, float) and math.isnan(value))


def infer_row_relations(raw, count_columns: list[str], max_parts: int = 6) -> list[dict]:
    """Additive relations that hold in every row of the unsuppressed table.

    A count column equal to the sum of two or more other count columns in every row
    (``n = n_valid + n_dont_know + n_missing_code + n_empty``, ``n_segments = n_coded +
    n_uncoded``) is a relation any reader can see; it is audited even when nobody
    declared it. Only relations with at least one row where two parts are non-zero are
    kept (a column of zeros adds nothing).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"n": [10, 8], "a": [7, 5], "b": [3, 3], "c": [0, 1]})
    >>> infer_row_relations(t, ["n", "a", "b", "c"])
    [{'total': 'n', 'parts': ['a', 'b']}]
    """
    from itertools import combinations

    import pandas as pd

    numeric = {}
    for column in count_columns:
        values = pd.to_numeric(raw[column], errors="coerce")
        if values.isna().any() or len(values) == 0:
            continue
        numeric[column] = values.to_numpy(dtype=float)
    found: list[dict] = []
    columns = list(numeric)
    if len(columns) > 9:
        return found
    for total in columns:
        others = [c for c in columns if c != total]
        for size in range(2, min(max_parts, len(others)) + 1):
            for parts in combinations(others, size):
                stack = np.vstack([numeric[p] for p in parts])
                if not np.allclose(stack.sum(axis=0), numeric[total]):
                    continue
                if not ((stack > 0).sum(axis=0) >= 2).any():
                    continue
                if any(set(f["parts"]) < set(parts) and f["total"] == total for f in found):
                    continue
                found.append({"total": total, "parts": list(parts)})
    return found


def infer_share_columns(raw, count_columns: list[str], other_columns: list[str]) -> list[dict]:
    """Columns that are a share of two count columns (``share = n_coded / n_segments``).

    A share shown with its denominator reveals the numerator; the audit adds
    ``numerator − share × denominator = 0`` for every row where the share is shown.
    Shares in per cent (×100) are recognised too.
    """
    import pandas as pd

    found = []
    counts = {c: pd.to_numeric(raw[c], errors="coerce").to_numpy(dtype=float) for c in count_columns}
    for column in other_columns:
        share = pd.to_numeric(raw[column], errors="coerce").to_numpy(dtype=float)
        if np.isnan(share).all():
            continue
        for num, a in counts.items():
            for den, b in counts.items():
                if num == den:
                    continue
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratio = a / b
                shown = ~np.isnan(share)
                # a share is num / den on every row it is shown: a zero denominator under a non-zero
                # numerator means it is not (0 / 0 shown as 0 is left out of the check)
                if (shown & ~np.isfinite(ratio) & ~((a == 0) & (b == 0))).any():
                    continue
                ok = shown & np.isfinite(ratio)
                if ok.sum() == 0:
                    continue
                for scale in (1.0, 100.0):
                    if np.allclose(share[ok], scale * ratio[ok], rtol=1e-6, atol=0.051 if scale == 100 else 5e-4):
                        found.append({"share": column, "numerator": num, "denominator": den, "scale": scale})
                        break
    return found


def _row_label(row: dict, position: int, count_columns: list[str]) -> str:
    """``"3 (social_worker, baseline)"``: the row's number and its first three texts."""
    parts = []
    for column, value in row.items():
        if column in count_columns:
            continue
        if isinstance(value, str) and value and len(parts) < 3:
            parts.append(value)
    return f"{position + 1}" + (f" ({', '.join(parts)})" if parts else "")


def _rows(frame) -> list[dict]:
    """The rows of ``frame`` as ``{column: value}``, with the values ``frame.iloc[i]`` gives.

    One conversion of the whole frame (the dtypes interleaved as ``iloc`` interleaves
    them: all-numeric rows as floats, mixed rows as objects) instead of one ``iloc`` a
    row, which costs a conversion of the row each time (seconds for a table of
    thousands of rows).
    """
    values = frame.to_numpy()
    columns = [str(c) for c in frame.columns]
    return [dict(zip(columns, row)) for row in values]


def table_structure(table_id: str, raw, published, count_columns: list[str], *,
                    additive: list[dict] | None = None, cell_ids: dict[str, str] | None = None,
                    infer: bool = True, value_columns: list[str] | None = None,
                    public_totals: list[str] | None = None, totals_by: list[str] | None = None,
                    k: int = 5, sums: list[dict] | None = None) -> dict:
    """The audit record of one published table (JSON-friendly, stored in the registry).

    Parameters
    ----------
    table_id : str
        ``"<run>/<table>"``.
    raw, published : DataFrame
        The table before and after suppression (same rows and columns).
    count_columns : list of str
        The count columns.
    additive : list of dict, optional
        Declared relations within a row: ``{"total": column, "parts": [columns]}``.
    cell_ids : dict, optional
        ``{column: template}``: the id of the quantity a cell holds, formatted with the
        row's values (``"segments/{speaker_role}"``), so tables publishing the same
        quantity share one variable. Other cells get ``"<table>[<row>].<column>"``.
    infer : bool
        Also add the row relations and shares found in the data
        (:func:`infer_row_relations`, :func:`infer_share_columns`).
    value_columns : list of str, optional
        Non-count columns to look for shares in (default: the other numeric columns).
    public_totals : list of str, optional
        Count columns whose total (over the table, or over each group of ``totals_by``)
        is taken as public although the table does not show it (the registry's
        cautious default): ``sum(column) = total`` with the total known.
    totals_by : list of str, optional
        Group columns of those totals (e.g. ``["wave"]``). A total below ``k`` is not
        taken as public (it would itself be suppressed).
    k : int
        The small-cell limit.
    sums : list of dict, optional
        Sums over rows that equal a quantity published elsewhere:
        ``{"column": "n_segments", "by": ["code"], "total": "segments/code/{code}"}`` says
        that the ``n_segments`` of the rows of each code add up to the cell with that id
        (e.g. the code's total in another table). ``by`` may be empty (the whole column).

    Returns
    -------
    dict
        ``{"cells": [[id, published, row label, column, true value]], "relations":
        [[total id, [part ids]]], "equations": [[{id: coefficient}, rhs]]}``. The true
        values are used only for the cost of secondary suppression; they are not
        written to the registry.
    """
    import pandas as pd

    relations_spec = list(additive or [])
    for spec in relations_spec:
        if not isinstance(spec, dict) or "total" not in spec or "parts" not in spec:
            raise DataError(f"additive relation {spec!r} must be {{'total': column, 'parts': [columns]}}",
                            location=f"table '{table_id}'")
        for column in [spec["total"], *spec["parts"]]:
            if column not in count_columns:
                raise DataError(f"additive relation names {column!r}, which is not a count column",
                                location=f"table '{table_id}'", hint=f"Count columns: {count_columns}.")
    shares: list[dict] = []
    if infer and len(raw):
        inferred = infer_row_relations(raw, count_columns)
        declared = {(s["total"], tuple(sorted(s["parts"]))) for s in relations_spec}
        relations_spec += [r for r in inferred if (r["total"], tuple(sorted(r["parts"]))) not in declared]
        if value_columns is None:
            value_columns = [c for c in raw.columns if c not in count_columns
                             and pd.api.types.is_numeric_dtype(raw[c]) and not pd.api.types.is_bool_dtype(raw[c])]
        shares = infer_share_columns(raw, count_columns, value_columns)
    ids: list[dict[str, str]] = []
    cells = []
    published_rows, raw_rows = _rows(published), _rows(raw)
    for position in range(len(published)):
        row_values, raw_row = published_rows[position], raw_rows[position]
        published_row = row_values
        label = _row_label(row_values, position, [str(c) for c in count_columns])
        row_ids = {}
        for column in count_columns:
            template = (cell_ids or {}).get(column)
            if template:
                try:
                    cid = template.format(**{k: ("" if v is None else v) for k, v in row_values.items()})
                except (KeyError, IndexError, ValueError) as exc:
                    raise DataError(f"cell_ids template {template!r} of column {column!r} cannot be filled ({exc})",
                                    location=f"table '{table_id}'",
                                    hint="Use {column} placeholders of the table's own columns.") from None
            else:
                cid = f"{table_id}[{position}].{column}"
            row_ids[column] = cid
            true = raw_row[str(column)]
            true = float(true) if _is_number(true) else None
            published_value = published_row[str(column)]
            if _is_number(published_value):
                published_value = float(published_value)
            elif published_value is None or (isinstance(published_value, float) and math.isnan(published_value)):
                published_value = None
            else:
                published_value = str(published_value)
            sensitive = true is not None and 1 <= true < k
            cells.append([cid, published_value, label, column, true, sensitive])
        ids.append(row_ids)
    relations = []
    for row_ids in ids:
        for spec in relations_spec:
            relations.append([row_ids[spec["total"]], [row_ids[p] for p in spec["parts"]]])
    for spec in sums or []:
        if not isinstance(spec, dict) or spec.get("column") not in count_columns or "total" not in spec:
            raise DataError(f"sums entry {spec!r} must be {{'column': count column, 'by': [columns], 'total': id}}",
                            location=f"table '{table_id}'")
        by = list(spec.get("by") or [])
        groups = (raw.groupby(by, sort=False, dropna=False).indices.values() if by else [np.arange(len(raw))])
        for positions in groups:
            positions = list(positions)
            values = raw_rows[positions[0]]
            try:
                total = str(spec["total"]).format(**values)
            except (KeyError, IndexError, ValueError) as exc:
                raise DataError(f"sums total {spec['total']!r} cannot be filled ({exc})",
                                location=f"table '{table_id}'") from None
            relations.append([total, [ids[i][spec["column"]] for i in positions]])
    equations = []
    for column in public_totals or []:
        values = pd.to_numeric(raw[column], errors="coerce")
        if values.isna().all():
            continue
        if totals_by:
            groups = raw.groupby(list(totals_by), sort=False, dropna=False).indices.values()
        else:
            groups = [np.arange(len(raw))]
        for positions in groups:
            positions = list(positions)
            if len(positions) < 2 or values.iloc[positions].isna().any():
                continue
            if 0 < float(values.iloc[positions].sum()) < k:
                continue  # a small total would be suppressed itself: not known to the reader
            coefficients = {}
            for position in positions:
                coefficients[ids[position][column]] = coefficients.get(ids[position][column], 0.0) + 1.0
            equations.append([coefficients, float(values.iloc[positions].sum())])
    for spec in shares:
        for position, row_ids in enumerate(ids):
            share = published_rows[position][str(spec["share"])]
            if not _is_number(share):
                continue
            factor = float(share) / spec["scale"]
            equations.append([{row_ids[spec["numerator"]]: 1.0, row_ids[spec["denominator"]]: -factor}, 0.0])
    return {"cells": cells, "relations": relations, "equations": equations,
            "declared": [s for s in relations_spec], "shares": shares}


def record_cells(record: dict) -> set[str]:
    """Every cell id an audit record names: its cells and those of its relations and equations.

    Examples
    --------
    >>> sorted(record_cells({"cells": [["t[0].n", 9, "1", "n", 9.0, False]],
    ...                      "relations": [["t[0].n", ["t[0].a", "t[0].b"]]], "equations": [[{"m": 1.0}, 3.0]]}))
    ['m', 't[0].a', 't[0].b', 't[0].n']
    """
    ids = {str(c[0]) for c in record.get("cells", [])}
    for total, parts in record.get("relations", []):
        ids.add(total)
        ids.update(parts)
    for coefficients, *_ in record.get("equations", []):
        ids.update(coefficients)
    return ids


def problem_from_structures(structures: Iterable[tuple[str, dict]], k: int) -> AuditProblem:
    """Build one :class:`AuditProblem` from the records of several tables and numbers."""
    problem = AuditProblem(k)
    pending = []
    for table, record in structures:
        for cid, published, row, column, true, *flag in record.get("cells", []):
            problem.cell(cid, published, table=table, row=row, column=column, value=true,
                         sensitive=bool(flag and flag[0]))
        pending.append((table, record))
    for table, record in pending:
        for total, parts in record.get("relations", []):
            for cid in [total, *parts]:
                if cid not in problem.cells:  # a quantity nobody published (yet): unknown, 0…∞
                    problem.cell(cid, None, table=table, row="–", column=cid)
            problem.relation(total, parts, origin=f"of table '{table}'")
        for coefficients, rhs, *tolerance in record.get("equations", []):
            if all(cid in problem.cells for cid in coefficients):
                problem.equation(coefficients, rhs, origin=f"of '{table}'",
                                 tolerance=float(tolerance[0]) if tolerance else 0.0)
    return problem


def related_candidates(problem: AuditProblem, exposures: list[Exposure], candidates: dict[str, float]) -> list[str]:
    """Shown cells (of ``candidates``, id → value) in a relation with an exposed cell, cheapest first."""
    exposed_where = {(e.table, e.row, e.column) for e in exposures}
    exposed_ids = {cid for cid, c in problem.cells.items() if c.state == "primary"
                   and not exposed_where.isdisjoint(c.where)}
    # cells in relations with the exposed cells, or with hidden cells connected to them
    related: set[str] = set()
    frontier, seen = set(exposed_ids), set(exposed_ids)
    naming = problem._relations_naming()
    while frontier:
        reached: set[str] = set()
        for r in {r for cid in frontier for r in naming.get(cid, ())}:
            reached.update(problem.relations[r][0])
        related |= reached
        frontier = {cid for cid in reached - seen if problem.cells[cid].state != "shown"}
        seen |= frontier
    usable = [cid for cid in candidates if cid in related and problem.cells[cid].state == "shown"]
    return sorted(usable, key=lambda cid: (candidates[cid], cid))


def choose_secondary(problem: AuditProblem, exposures: list[Exposure], candidates: dict[str, float],
                     intervals: dict[str, tuple[float, float]] | None = None) -> str | None:
    """The shown cell to hide next: the one that leaves the fewest exposed cells, then the cheapest.

    Candidates are shown cells of the table being published (id → true value; the value
    is the information lost by hiding it). Only cells in a relation with an exposed cell
    are tried, cheapest first; each is hidden in the problem and the exposed cells
    audited again (in their components only; the trials of a few candidates at a time
    are solved together). Returns None when no candidate can help.

    ``intervals`` may give the exposed cells' intervals in ``problem`` as it is
    (:attr:`AuditResult.intervals`; else they are computed): hiding a cell only widens
    them, so a side already at the cell's bound needs no programme in a trial.
    """
    exposed_where = {(e.table, e.row, e.column) for e in exposures}
    exposed_ids = {cid for cid, c in problem.cells.items() if c.state == "primary"
                   and not exposed_where.isdisjoint(c.where)}
    if intervals is None or not exposed_ids <= set(intervals):
        intervals = problem.audit(only=exposed_ids).intervals
    base = {cid: intervals[cid] for cid in exposed_ids}
    best: tuple[int, float, str] | None = None
    order = related_candidates(problem, exposures, candidates)
    start, size = 0, 1
    while start < len(order):
        # the trials of a few candidates at a time (1, 2, 4… of them), their programmes solved together
        chunk, pending = order[start:start + size], []
        for cid in chunk:
            cell = problem.cells[cid]
            saved = (cell.state, cell.low, cell.high)
            cell.state, cell.low, cell.high = "secondary", 0.0, float(INFINITE)
            # hiding the cell relaxes the problem when its bounds only widen: the base intervals are reached
            relaxes = saved[1] >= 0.0 and saved[2] <= float(INFINITE)
            try:
                pending.append(problem.plan(only=exposed_ids, within=base if relaxes else None))
            finally:
                cell.state, cell.low, cell.high = saved
        solved = _solve_sides([side for p in pending for side in p.sides])
        for cid, trial in zip(chunk, pending):
            left = len(trial.finish(solved).exposed)
            key = (left, candidates[cid], cid)
            if best is None or key < best:
                best = key
            if left == 0:
                return cid  # cheapest first: nothing later can beat a full fix at a lower cost
        start, size = start + size, size * 2
    return best[2] if best is not None else None


def recheck_exposure(problem: AuditProblem, exposure: Exposure, candidates: dict[str, float],
                     ids: Iterable[str] | None = None,
                     within: dict[str, tuple[float, float]] | None = None) -> tuple[bool, str | None]:
    """Whether ``exposure`` is still exposed in ``problem`` and, if so, the cell to hide.

    The same as ``problem.audit(only=ids)`` and then, when it is not ok,
    :func:`choose_secondary` (its answer, None when no candidate helps); the check and the
    trial of the cheapest candidate are solved together (one call of HiGHS, the trial
    wasted when the check passes).

    Parameters
    ----------
    problem, exposure, candidates
        As for :func:`choose_secondary` (one exposure).
    ids : iterable of str, optional
        The ``"<k"`` cells the exposure names (default: found from its table, row and column).
    within : dict, optional
        Intervals reached in a problem that ``problem`` relaxes (:meth:`AuditProblem.audit`).
    """
    where = (exposure.table, exposure.row, exposure.column)
    if ids is None:
        ids = [cid for cid, c in problem.cells.items() if c.state == "primary" and where in c.where]
    ids = list(ids)
    check = problem.plan(only=ids, within=within)
    trial = None
    order = related_candidates(problem, [exposure], candidates) if check.sides else []
    if order:
        cell = problem.cells[order[0]]
        saved = (cell.state, cell.low, cell.high)
        cell.state, cell.low, cell.high = "secondary", 0.0, float(INFINITE)
        relaxes = saved[1] >= 0.0 and saved[2] <= float(INFINITE)
        try:
            trial = problem.plan(only=ids, within=within if relaxes else None)
        finally:
            cell.state, cell.low, cell.high = saved
    solved = _solve_sides(check.sides + (trial.sides if trial is not None else []))
    now = check.finish(solved)
    if trial is not None:
        trial.finish(solved)  # its intervals are kept: choose_secondary's first trial needs no programme
    if now.ok:
        return False, None
    return True, choose_secondary(problem, [exposure], candidates, intervals=now.intervals)


# ------------------------------------------------------------------ the batch audit
def _printed_methods_numbers(root, k: int) -> list[dict]:
    """The numbers the methods section prints from ``data/processed`` (none without it)."""
    from pathlib import Path

    if not (Path(root) / "data" / "processed").is_dir():
        return []
    from analysis.findings.methods import methods_numbers

    return methods_numbers(root, k)


@dataclass
class RunAudit:
    """The audit of one run's registry.

    ``result`` holds the exposures found in the run's own publications and, when the run
    belongs to a family of runs over the same people (:func:`subset_families`), those
    found when the family is audited together (``joint_with`` names the other runs).
    """

    run: str
    result: AuditResult
    n_audit_secondary: int
    audit_cost: float
    n_shown: int
    joint_with: tuple[str, ...] = ()
    n_joint_relations: int = 0


#: Parameters that name a run or where it writes, not whom it analyses.
_RUN_ONLY_PARAMETERS = frozenset({"run_name", "project_root", "out_dir"})


def subset_filter(subset: dict, main: dict) -> tuple[str, ...] | None:
    """The parameters by which run ``subset`` is a declared filter of run ``main``, or None.

    Both are parameter dicts of the same notebook (as in ``reports/provenance.json``). The
    subset filters the main population when every parameter is equal except list-valued
    ones (``municipalities``, ``roles``, ``waves``…) that the subset narrows: the main
    run's list is empty (all) or a strict superset of the subset's.

    Examples
    --------
    >>> subset_filter({"municipalities": ["Kemi"], "language": "fi"}, {"language": "fi"})
    ('municipalities',)
    >>> subset_filter({"municipalities": ["Kemi"]}, {"municipalities": ["Kemi", "Simo"]})
    ('municipalities',)
    >>> subset_filter({"language": "en"}, {"language": "fi"}) is None
    True
    """
    narrowed = []
    for key in sorted((set(subset) | set(main)) - _RUN_ONLY_PARAMETERS):
        a, b = subset.get(key), main.get(key)
        if a == b or (a in (None, [], "") and b in (None, [], "")):
            continue
        if not isinstance(a, list) or not a or (b not in (None, []) and not isinstance(b, list)):
            return None
        if b in (None, []) or (set(map(str, a)) < set(map(str, b))):
            narrowed.append(key)
            continue
        return None
    return tuple(narrowed) or None


def subset_families(runs: dict[str, dict]) -> list[tuple[str, list[str], bool]]:
    """Groups of runs over the same people: ``(main run, subset runs, disjoint siblings)``.

    Parameters
    ----------
    runs : dict
        Run name → ``{"notebook": ..., "parameters": {...}}`` (the ``runs`` of
        ``reports/provenance.json``).

    Returns
    -------
    list of tuple
        For each main run with subsets: its name, the subset runs (each a declared
        filter of it, :func:`subset_filter`) and whether the subsets filter by the same
        single parameter with pairwise disjoint values (so that they may add up to the
        main run: the grid of ``pipeline.yaml``). A run that is itself a subset of
        another run is not a main run.

    Examples
    --------
    >>> runs = {"survey": {"notebook": "10.ipynb", "parameters": {}},
    ...         "survey-a": {"notebook": "10.ipynb", "parameters": {"municipalities": ["Kemi"]}},
    ...         "survey-b": {"notebook": "10.ipynb", "parameters": {"municipalities": ["Simo"]}}}
    >>> subset_families(runs)
    [('survey', ['survey-a', 'survey-b'], True)]
    """
    def params(name: str) -> dict:
        return dict((runs[name] or {}).get("parameters") or {})

    families = []
    names = sorted(runs)
    subsets_of = {name: [] for name in names}
    for main in names:
        for other in names:
            if other != main and runs[other].get("notebook") == runs[main].get("notebook") \
                    and subset_filter(params(other), params(main)):
                subsets_of[main].append(other)
    is_subset = {s for subs in subsets_of.values() for s in subs}
    for main in names:
        subs = subsets_of[main]
        if main in is_subset or not subs:
            continue
        keys = {subset_filter(params(s), params(main)) for s in subs}
        disjoint = False
        if len(keys) == 1 and len(next(iter(keys))) == 1:
            key = next(iter(keys))[0]
            values = [set(map(str, params(s)[key])) for s in subs]
            disjoint = all(not (a & b) for i, a in enumerate(values) for b in values[i + 1:])
        families.append((main, subs, disjoint))
    return families


def _prefixed(record: dict, prefix: str) -> dict:
    """An audit record with every cell id prefixed (the runs of a joint audit stay apart)."""
    return {
        "cells": [[prefix + c[0], *c[1:]] for c in record.get("cells", [])],
        "relations": [[prefix + total, [prefix + p for p in parts]] for total, parts in record.get("relations", [])],
        "equations": [[{prefix + cid: coef for cid, coef in eq[0].items()}, *eq[1:]] for eq in record.get("equations", [])],
    }


def _label_key(label: Any) -> str:
    """The key of a row from its audit label ``"3 (co1, Kemi)"`` → ``"co1, Kemi"`` (no position)."""
    text = str(label)
    return text.split(" ", 1)[1] if " " in text else ""


def _keys_of(record: dict, prefix: str = "") -> dict[str, dict[str, str]]:
    """Row key → column → cell id of a table's audit record; rows whose key repeats are left out.

    The key is what the row label says (its first text columns: ``wave``, ``role``,
    ``item``, ``scale``…), so the same row of the same table in another run has the same key.
    """
    rows: dict[str, dict[str, str]] = {}
    labels: dict[str, set[str]] = {}
    for cid, _, label, column, *_ in record.get("cells", []):
        key = _label_key(label)
        labels.setdefault(key, set()).add(str(label))
        rows.setdefault(key, {})[column] = prefix + str(cid)
    return {key: cols for key, cols in rows.items() if len(labels[key]) == 1}


def _published_items(data: dict) -> list[tuple[str, dict, dict]]:
    """(audit name, item, stored audit record) of every item of a registry with an audit record.

    Any kind of item may carry one in the registry's table format (tables, numbers, the
    data drawn in figures): ``{"cells": [[id, published, row, column, small]], "relations":
    [...], "equations": [...]}``.
    """
    run = str(data.get("run"))
    out = []
    for item in data.get("items", []):
        record = item.get("audit")
        if not record:
            continue
        kind = item.get("kind", "table")
        name = f"{run}/{item['id']}" if kind == "table" else f"{run}/{kind} {item['id']}"
        cells = [[*c[:4], None, bool(c[4]) if len(c) > 4 else False] for c in record.get("cells", [])]
        out.append((name, item, {**record, "cells": cells}))
    return out


def _joint_relations(root, problem: AuditProblem, main: str, subsets: list[str], disjoint: bool,
                     registries: dict[str, dict]) -> int:
    """Add to ``problem`` what the runs of one family say about each other; return how many.

    A cell of a subset run is matched with the main run's cell of the same table, row key
    (the text columns of the row label) and column. Then ``subset ≤ main``; and, for subsets that filter by disjoint values of
    one parameter, ``Σ subsets ≤ main``, or ``Σ subsets = main`` (main − one subset is the
    sum of the others) when every cell shown in all of them adds up, as a reader can see.
    A table column where a shown subset count exceeds the main count is not a count of
    members and gets no relation.
    """
    def cell_map(run: str) -> dict[str, dict[str, dict[str, str]]]:
        return {name.split("/", 1)[1]: _keys_of(record, f"{run}::")
                for name, item, record in _published_items(registries[run]) if item.get("kind") == "table"}

    maps = {run: cell_map(run) for run in [main, *subsets]}
    added = 0

    def shown(cid: str) -> float | None:
        cell = problem.cells.get(cid)
        return cell.low if cell is not None and cell.state == "shown" else None

    for table, rows in maps[main].items():
        columns = sorted({c for cols in rows.values() for c in cols})
        by_column = {}
        for column in columns:
            pairs = []  # (main id, [subset id or None per subset])
            for key, cols in rows.items():
                if column not in cols:
                    continue
                pairs.append((cols[column], [maps[s].get(table, {}).get(key, {}).get(column) for s in subsets]))
            if not any(any(ids) for _, ids in pairs):
                continue
            # a subset count above the main count: not a count of members, nothing to relate
            if any(shown(m) is not None and shown(s) is not None and shown(s) > shown(m) + 1e-9
                   for m, ids in pairs for s in ids if s):
                continue
            by_column[column] = pairs
        # the subsets add up to the main run when every row shown in all of them does (the
        # reader sees it in the table): then main − one subset is the sum of the others
        partition = False
        if disjoint and len(subsets) > 1:
            full = [(shown(m), [shown(s) for s in ids]) for pairs in by_column.values() for m, ids in pairs
                    if shown(m) is not None and all(s is not None and shown(s) is not None for s in ids)]
            partition = bool(full) and all(abs(m - sum(parts)) < 1e-9 for m, parts in full)
        for column, pairs in by_column.items():
            origin = f"of the runs {main} and {', '.join(subsets)} (table '{table}', column '{column}')"
            for main_id, ids in pairs:
                for sub_id in ids:
                    if sub_id:
                        problem.inequality({sub_id: 1.0, main_id: -1.0}, 0.0, origin)
                        added += 1
                present = [s for s in ids if s]
                if disjoint and len(present) > 1 and not partition:
                    problem.inequality({**{s: 1.0 for s in present}, main_id: -1.0}, 0.0, origin)
                    added += 1
                elif partition and present:
                    parts = []
                    for run, sub_id in zip(subsets, ids):
                        if sub_id is None:  # a row the subset does not show: an unknown count 0…∞
                            sub_id = f"{run}::absent:{main_id}"
                            problem.cell(sub_id, None, table=f"{run}/{table}", row="–", column=column)
                        parts.append(sub_id)
                    problem.relation(main_id, parts, origin)
                    added += 1
    return added


def _methods_records(numbers: list[dict], structures: dict[str, list[tuple[str, dict]]],
                     k: int) -> tuple[dict[str, list[tuple[str, dict]]], list[Exposure]]:
    """Audit records (per run) of the numbers the methods text prints, and the small counts it shows.

    A number that ``reveals`` ``(run, glob)`` is the sum of the run's published cells whose
    ids match the glob (the ids tables declare with ``cell_ids``): a relation of that run.
    A count of persons printed below ``k`` is an exposure by itself.
    """
    import fnmatch

    records: dict[str, list[tuple[str, dict]]] = {}
    exposed = []
    for number in numbers:
        published = number.get("published")
        if number.get("persons") and isinstance(published, (int, float)) and 1 <= published < k:
            exposed.append(Exposure("methods", number["id"], "value", float(published), float(published), k))
        reveals = number.get("reveals")
        if not reveals or reveals[0] not in structures:
            continue
        run, pattern = reveals
        ids = sorted({c[0] for _, record in structures[run] for c in record.get("cells", [])
                      if fnmatch.fnmatchcase(str(c[0]), pattern)})
        if not ids:
            continue
        cid = f"methods/{number['id']}"
        shown = published if isinstance(published, (int, float)) else str(published)
        records.setdefault(run, []).append((f"{run}/methods {number['id']}", {
            "cells": [[cid, shown, "methods", number["id"], None, False]],
            "relations": [[cid, ids]], "equations": []}))
    return records, exposed


def audit_registries(root, exclude: tuple[str, ...] = ("findings",),
                     runs: dict[str, dict] | None = None, methods: list[dict] | None = None,
                     extra: dict[str, list[tuple[str, dict]]] | None = None) -> list[RunAudit]:
    """Audit every saved registry of a workspace (``reports/registry/*.json``).

    Rebuilds, from what the registries record, the published count cells of each run's
    tables, their relations and the numbers (and any other item carrying an audit record
    in the registry's table format) that reveal cells, and audits them together
    (:class:`AuditProblem`). This is the check of the batch, next to the leak gate: it
    sees exactly what was published.

    Runs over the same people are then audited jointly: a thesis subset run (the same
    notebook with ``municipalities``, ``roles``… narrowed, :func:`subset_families`)
    publishes counts of a subset of the main run's people, so each of its counts is at
    most the main run's count of the same table, row and column, and subsets by disjoint
    values of one parameter add up to at most (or, when the published numbers show it,
    exactly) the main count: main − subset is then the other subsets' count.

    Parameters
    ----------
    root : path
        Workspace root.
    exclude : tuple of str
        Runs that publish no tables of their own.
    runs : dict, optional
        Run name → ``{"notebook": ..., "parameters": {...}}``; default: the ``runs`` of
        ``reports/provenance.json`` (without it, no joint audit).
    methods : list of dict, optional
        The numbers the methods text prints from the data
        (:func:`analysis.findings.methods.methods_numbers`; default: computed from
        ``data/processed`` as the report prints them). Each that reveals published cells
        joins its run's audit; a count of persons printed below ``k`` fails by itself (an
        extra entry ``RunAudit("methods", ...)``).
    extra : dict, optional
        Run name → ``[(name, record)]``: more audit records of a run in the registry's
        table format (``{"cells": [[id, published, row, column, small]], "relations":
        [[total, [parts]]], "equations": [[{id: coefficient}, rhs]]}``), audited with it.

    Returns
    -------
    list of RunAudit
        One per run, in file-name order.
    """
    import json
    from pathlib import Path

    folder = Path(root) / "reports" / "registry"
    audits = []
    registries: dict[str, dict] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        data = json.loads(path.read_text(encoding="utf-8"))
        run = str(data.get("run", path.stem))
        if run in exclude:
            continue
        registries[run] = {**data, "run": run}
    structures_of = {run: [(name, record) for name, _, record in _published_items(data)]
                     for run, data in registries.items()}
    for run, records in (extra or {}).items():
        if run in structures_of:  # stored format [id, published, row, column, small] as in the registry JSON
            structures_of[run].extend(
                (name, {**record, "cells": [[*c[:4], None, bool(c[4]) if len(c) > 4 else False] if len(c) <= 5 else c
                                            for c in record.get("cells", [])]})
                for name, record in records)
    k_all = min([int(d.get("min_cell_size", 5)) for d in registries.values()] or [5])
    if methods is None:
        methods = _printed_methods_numbers(root, k_all)
    methods_records, methods_exposed = _methods_records(methods, structures_of, k_all)
    for run, records in methods_records.items():
        structures_of[run].extend(records)
    for run, data in registries.items():
        k = int(data.get("min_cell_size", 5))
        n_secondary, cost = 0, 0.0
        for _, item, _ in _published_items(data):
            counts = item.get("n_suppressed") or {}
            n_secondary += int(counts.get("audit_secondary", 0) or 0)
            cost += float(counts.get("audit_cost", 0) or 0)
        problem = problem_from_structures(structures_of[run], k)
        shown = sum(1 for c in problem.cells.values() if c.state == "shown")
        audits.append(RunAudit(run, problem.audit(), n_secondary, cost, shown))
    if methods:
        audits.append(RunAudit("methods", AuditResult(n_cells=len(methods), n_primary=0, n_secondary=0,
                                                      n_relations=sum(len(r) for r in methods_records.values()),
                                                      exposed=methods_exposed, intervals={}), 0, 0.0,
                               sum(1 for m in methods if isinstance(m.get("published"), (int, float)))))
    if runs is None:
        provenance = Path(root) / "reports" / "provenance.json"
        try:
            runs = (json.loads(provenance.read_text(encoding="utf-8")).get("runs") or {}) if provenance.is_file() else {}
        except (OSError, ValueError):
            runs = {}
    by_run = {a.run: a for a in audits}
    known = {name: spec for name, spec in (runs or {}).items() if name in registries}
    for main, subsets, disjoint in subset_families(known):
        family = [main, *subsets]
        k = min(int(registries[r].get("min_cell_size", 5)) for r in family)
        structures = [(name, _prefixed(record, f"{run}::")) for run in family
                      for name, record in structures_of[run]]
        problem = problem_from_structures(structures, k)
        added = _joint_relations(root, problem, main, subsets, disjoint, registries)
        result = problem.audit()
        for run in family:
            audit = by_run[run]
            audit.joint_with = tuple(r for r in family if r != run)
            audit.n_joint_relations = added
            seen = {(e.table, str(e.row), e.column) for e in audit.result.exposed}
            for exposure in result.exposed:
                if exposure.table.split("/", 1)[0] == run and (exposure.table, str(exposure.row), exposure.column) not in seen:
                    audit.result.exposed.append(exposure)
                    seen.add((exposure.table, str(exposure.row), exposure.column))
    return audits


# ------------------------------------------------------------------ a subset run protects itself
@dataclass
class JointContext:
    """What a subset run's registry audits its tables against: the main run and earlier siblings.

    Attributes
    ----------
    run, main : str
        This (subset) run and the run of the whole population it filters.
    earlier : list of str
        Subset runs of the same main run with disjoint filter values that this run needs
        (published before it in the batch).
    structures : list of (name, record)
        Their published audit records, cell ids prefixed ``"<run>::"``.
    keys : dict
        Run → table → row key → column → prefixed cell id.
    """

    run: str
    main: str
    earlier: list[str]
    structures: list[tuple[str, dict]]
    keys: dict[str, dict[str, dict[str, dict[str, str]]]]

    def shown(self, cid: str) -> float | None:
        for _, record in self.structures:
            for c in record.get("cells", []):
                if c[0] == cid:
                    return float(c[1]) if isinstance(c[1], (int, float)) and not isinstance(c[1], bool) else None
        return None


def joint_context(root, run: str, plan: dict[str, dict] | None = None) -> JointContext | None:
    """The :class:`JointContext` of ``run`` when it is a subset run of the batch, else None.

    The run's notebook, parameters and ``needs`` come from ``pipeline.yaml`` (or ``plan``:
    run name → ``{"notebook", "parameters", "needs"}``); the main run and the earlier
    siblings must be among its ``needs`` (so they are published first and the outputs do
    not depend on stale files), with their registries saved.
    """
    import json
    from pathlib import Path

    if plan is None:
        try:
            from analysis.pipeline.plan import load_pipeline
            from analysis.provenance.reads import not_recorded
            from analysis.workspace import Workspace

            # not an input of the run: what the plan says about the family reaches the run
            # through its needs (the registries it reads are recorded; a change of the main
            # run's parameters re-runs the main run and so every run that needs it)
            with not_recorded():
                pipeline = load_pipeline(Workspace.discover(root=root))
            plan = {r.name: {"notebook": str(r.notebook), "parameters": dict(r.parameters), "needs": list(r.needs)}
                    for r in pipeline.runs}
        except Exception:  # no pipeline (a scratch workspace, a test): nothing to audit against
            return None
    if run not in plan:
        return None
    folder = Path(root) / "reports" / "registry"
    specs = plan
    needed = [n for n in plan[run].get("needs") or [] if (folder / f"{n}.json").is_file() and n in specs]
    mine = specs[run]
    mains = [n for n in needed if specs[n]["notebook"] == mine["notebook"]
             and subset_filter(mine["parameters"], specs[n]["parameters"])
             and not any(subset_filter(specs[n]["parameters"], specs[o]["parameters"])
                         for o in specs if o != n and specs[o]["notebook"] == mine["notebook"])]
    if not mains:
        return None
    main = mains[0]
    key = subset_filter(mine["parameters"], specs[main]["parameters"])
    earlier = []
    for other in needed:
        if other == main or specs[other]["notebook"] != mine["notebook"]:
            continue
        if subset_filter(specs[other]["parameters"], specs[main]["parameters"]) != key or len(key) != 1:
            continue
        if not set(map(str, specs[other]["parameters"][key[0]])) & set(map(str, mine["parameters"][key[0]])):
            earlier.append(other)
    structures, keys = [], {}
    for name in [main, *earlier]:
        data = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        data["run"] = name
        keys[name] = {}
        for item_name, item, record in _published_items(data):
            prefixed = _prefixed(record, f"{name}::")
            structures.append((item_name, prefixed))
            if item.get("kind") == "table":
                keys[name][item_name.split("/", 1)[1]] = _keys_of(record, f"{name}::")
    return JointContext(run, main, earlier, structures, keys)


def joint_record(context: JointContext, table: str, record: dict, k: int) -> dict:
    """Relations between a subset run's table (its audit record) and the same table of the family.

    For each cell with a matching cell in the main run: ``main = this + earlier siblings +
    rest``, the rest (the people of the main run in no subset published so far) an
    unknown count ``0 … ∞``. The rest is a small cell itself when the main count and the
    siblings' are shown and the rest's true value is ``1 … k-1``: then this run must not
    show what gives it away (main − subset). A column where this run's count exceeds the
    main run's shown count is not a count of members and gets no relation.
    """
    cells, relations = [], []
    own = _keys_of(record)
    true = {c[0]: c[4] for c in record.get("cells", [])}
    shown_here = {c[0]: float(c[1]) for c in record.get("cells", [])
                  if isinstance(c[1], (int, float)) and not isinstance(c[1], bool)}
    main_rows = context.keys.get(context.main, {}).get(table, {})
    partition = _partition_shown(context, table, own, main_rows, shown_here)
    for key, columns in own.items():
        for column, cid in columns.items():
            main_id = main_rows.get(key, {}).get(column)
            if main_id is None:
                continue
            siblings = [context.keys[s].get(table, {}).get(key, {}).get(column) for s in context.earlier]
            siblings = [s for s in siblings if s]
            shown_main = context.shown(main_id)
            value = true.get(cid)
            if shown_main is not None and value is not None and value > shown_main + 1e-9:
                continue
            shown_siblings = [context.shown(s) for s in siblings]
            rest_true = None
            if shown_main is not None and value is not None and all(v is not None for v in shown_siblings):
                rest_true = shown_main - value - sum(shown_siblings)
            rest = f"rest::{context.main}::{table}::{key}::{column}"
            small = rest_true is not None and 1 <= rest_true < k
            # the subsets cover the main run (what a reader sees): the rest is known to be none
            cells.append([rest, 0.0 if partition else None, f"– (rest of {context.main}: {key})", column,
                          0.0 if partition else rest_true, False if partition else small])
            relations.append([main_id, [cid, *siblings, rest]])
    return {"cells": cells, "relations": relations, "equations": []}


def _partition_shown(context: JointContext, table: str, own: dict, main_rows: dict, shown_here: dict) -> bool:
    """Whether this subset and its earlier siblings visibly add up to the main run in ``table``.

    As the batch's audit decides it (:func:`_joint_relations`): the subsets filter by
    disjoint values of one parameter, and every cell shown in the main run, in every
    sibling and in this run adds up (at least one does). A reader then knows that the
    people of the main run in no subset number none, so main − the others is this run's
    count exactly, not at most: the last subset of a grid must be audited with that.
    """
    if not context.earlier:
        return False
    full = []
    for key, columns in own.items():
        for column, cid in columns.items():
            main_id = main_rows.get(key, {}).get(column)
            here = shown_here.get(cid)
            if main_id is None or here is None:
                continue
            siblings = [context.keys[s].get(table, {}).get(key, {}).get(column) for s in context.earlier]
            values = [context.shown(s) if s else None for s in siblings]
            main_value = context.shown(main_id)
            if main_value is None or any(v is None for v in values):
                continue
            full.append((main_value, here + sum(values)))
    return bool(full) and all(abs(m - total) < 1e-9 for m, total in full)
