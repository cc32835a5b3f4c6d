"""The checks at the end of every batch: the leak gate and the disclosure audit.

:func:`run_batch <analysis.pipeline.run.run_batch>` runs both after its last run (unless
``scan=False``, ``jakala run --no-scan``), so the batch called from Python is gated
exactly as ``jakala run`` is:

* the **leak gate** (:func:`analysis.privacy.gate.leak_gate`) scans what changed in
  ``reports/``, ``figures/`` and ``data/processed/`` for identity codes, phone numbers,
  e-mail addresses and the key's names;
* the **disclosure audit** (:func:`analysis.privacy.audit.audit_registries`) checks by
  linear programming that no suppressed count cell can be recovered from everything the
  registries published, and fails on a figure registered without what it draws.

Both always run (a failed gate does not hide the audit). The result is an
:class:`OutputChecks`; its :meth:`~OutputChecks.lines` are what ``jakala run`` prints.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from analysis.workspace import Workspace


@dataclass(frozen=True)
class LeakGateResult:
    """What the leak gate found.

    Attributes
    ----------
    findings : list of LeakFinding
        Possible identifiers (masked when printed); empty when the gate passed.
    scanned, skipped : int
        Files scanned, and files skipped as unchanged since a clean scan.
    targets : list of Path
        The folders scanned.
    prescanned : int
        Of ``scanned``, the files scanned while the batch ran, as their run finished
        (:class:`Prescanner`), and unchanged since.
    """

    findings: list[Any]
    scanned: int
    skipped: int
    targets: list[Path]
    prescanned: int = 0

    @property
    def ok(self) -> bool:
        return not self.findings

    def lines(self) -> list[str]:
        """The report of the gate, as ``jakala run`` prints it (a blank line first)."""
        if self.findings:
            from analysis.privacy import format_findings

            return ["", "Leak gate: FAILED", format_findings(self.findings)]
        early = f" ({self.prescanned} of them as their runs finished)" if self.prescanned else ""
        return ["", f"Leak gate: passed ({self.scanned} changed file(s) scanned{early}, {self.skipped} unchanged since a "
                    f"clean scan; {', '.join(str(t) for t in self.targets)})"]  # fmt: skip


@dataclass(frozen=True)
class DisclosureAuditResult:
    """What the disclosure audit found.

    Attributes
    ----------
    audits : list of RunAudit
        One per run's registry (:func:`analysis.privacy.audit.audit_registries`).
    unaudited : list of str
        ``run/figure`` of each published figure registered without what it draws
        (:func:`unaudited_figures`). Each fails the audit: the audit cannot vouch for
        counts it has not seen.
    """

    audits: list[Any]
    unaudited: list[str] = field(default_factory=list)

    @property
    def exposed(self) -> list[Any]:
        """Every suppressed cell a reader could recover, over all runs."""
        return [e for a in self.audits for e in a.result.exposed]

    @property
    def ok(self) -> bool:
        return not self.exposed and not self.unaudited

    def lines(self) -> list[str]:
        """The report of the audit, as ``jakala run`` prints it."""
        exposed = self.exposed
        if exposed or self.unaudited:
            lines = ["", "Disclosure audit: FAILED", *(f"  {exposure}" for exposure in exposed)]
            if self.unaudited:
                lines += [f"  Figures registered without what they draw ({len(self.unaudited)}): {', '.join(self.unaudited)}",
                          "  Pass Registry.figure(..., data=<the counts it draws, or the id of the table it draws>) "
                          "or no_counts=\"<why it draws no counts>\"."]  # fmt: skip
            return lines
        audits = self.audits
        cells = sum(a.result.n_cells for a in audits)
        primary = sum(a.result.n_primary for a in audits)
        secondary = sum(a.result.n_secondary for a in audits)
        added = sum(a.n_audit_secondary for a in audits)
        cost = sum(a.audit_cost for a in audits)
        lines = [f"Disclosure audit: passed ({cells} count cells of {len(audits)} run(s) checked by linear programming: "
                 f"{primary} '<k' cells keep their whole interval; {secondary} secondary 'x' cells, {added} of them "
                 f"added by the audit, hiding {cost:g} counted units)"]  # fmt: skip
        return lines


@dataclass(frozen=True)
class OutputChecks:
    """The leak gate and the disclosure audit of one batch."""

    leak_gate: LeakGateResult
    disclosure: DisclosureAuditResult

    @property
    def ok(self) -> bool:
        return self.leak_gate.ok and self.disclosure.ok

    def lines(self) -> list[str]:
        """Both reports, gate first, as ``jakala run`` prints them."""
        return self.leak_gate.lines() + self.disclosure.lines()


def scan_targets(ws: Workspace) -> list[Path]:
    """The folders the leak gate scans: ``reports/``, ``figures/`` and ``data/processed/`` that exist."""
    return [p for p in (ws.reports, ws.figures, ws.processed) if p.exists()]


#: The leak gate's record of clean files (``reports/.cache/``).
GATE_STATE = "leak_gate.json"


def leak_gate(ws: Workspace, prescanned: Iterable[Path] = ()) -> LeakGateResult:
    """Scan the workspace's outputs that changed since their last clean scan (:func:`analysis.privacy.gate.leak_gate`).

    Parameters
    ----------
    ws : Workspace
    prescanned : iterable of Path
        Files a :class:`Prescanner` scanned during the batch; those still unchanged are
        counted as scanned (they were, by the same scan) rather than as unchanged.
    """
    from analysis.privacy.gate import leak_gate as scan_changed

    targets = scan_targets(ws)
    state = ws.reports / ".cache" / GATE_STATE
    early = {str(p) for p in prescanned}
    if early:  # clean as scanned while the batch ran: the gate skips them unless they changed since
        try:
            recorded = set(json.loads(state.read_text(encoding="utf-8")).get("clean", {}))
        except (OSError, json.JSONDecodeError):
            recorded = set()
        early &= recorded
    found, scanned, skipped = scan_changed(targets, ws.keys, state)
    unchanged_early = min(len(early), skipped)
    return LeakGateResult(list(found), scanned + unchanged_early, skipped - unchanged_early, targets, unchanged_early)


class Prescanner:
    """Scan each finished run's outputs in a background thread while the batch goes on.

    The leak gate at the end of the batch then finds them recorded clean and unchanged
    and skips them (:func:`analysis.privacy.gate.prescan`): the scan is the same, it is
    only done earlier, on a core the batch leaves idle while its last runs execute. A
    file with a finding is not recorded, so the gate scans and reports it. The thread
    holds the gate's record alone until :meth:`close`.

    Parameters
    ----------
    ws : Workspace
    """

    def __init__(self, ws: Workspace) -> None:
        import queue
        import threading

        self.ws = ws
        self.scanned: set[Path] = set()
        self.error: BaseException | None = None
        self._queue: "queue.Queue[list[Path] | None]" = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="jakala-prescan", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        from analysis.privacy.gate import prescan

        while True:
            files = self._queue.get()
            if files is None:
                return
            if self.error is not None:
                continue
            try:
                self.scanned.update(prescan(files, self.ws.keys, self.ws.reports / ".cache" / GATE_STATE))
            except BaseException as exc:  # noqa: BLE001 - the gate at the end scans everything anyway
                self.error = exc

    def submit(self, files: Iterable[Path]) -> None:
        """Queue files (a finished run's outputs) for scanning."""
        self._queue.put([Path(f) for f in files])

    def close(self) -> set[Path]:
        """Wait for the queued scans; return the files scanned (none after an error: the gate scans them)."""
        self._queue.put(None)
        self._thread.join()
        return set() if self.error is not None else self.scanned


#: Where a passed audit is kept with the hash of everything it read (``reports/.cache/``).
AUDIT_CACHE = "disclosure_audit.pickle"

#: Runs that publish no tables of their own (the assembly of the draft): the audit leaves
#: them out, so it can run while they still execute.
AUDIT_EXCLUDE = ("findings",)


def audit_inputs_hash(ws: Workspace) -> str:
    """SHA-256 of everything the disclosure audit reads.

    The registries (``reports/registry/*.json``), the runs' notebooks and parameters in the
    provenance record (which runs are subsets of which), the tables of ``data/processed``
    (the numbers of the methods text) and the source of the ``analysis`` package (the
    audit itself). Equal hashes mean the audit would find exactly what it found before.
    """
    from analysis.provenance.hashes import package_source_hash, sha256_file
    from analysis.provenance.record import load_provenance

    digest = hashlib.sha256(package_source_hash().encode())
    folders = [(ws.reports / "registry", "*.json"), (ws.processed, "*")]
    for folder, pattern in folders:
        for path in sorted(folder.glob(pattern)) if folder.is_dir() else []:
            if path.is_file() and not (folder.name == "registry" and path.stem in AUDIT_EXCLUDE):
                digest.update(f"{path.relative_to(ws.root)}={sha256_file(path)};".encode())
    runs = {name: [record.get("notebook"), record.get("parameters")]
            for name, record in sorted((load_provenance(ws).get("runs") or {}).items()) if name not in AUDIT_EXCLUDE}
    digest.update(json.dumps(runs, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def disclosure_audit(ws: Workspace) -> DisclosureAuditResult:
    """Audit every saved registry of the workspace (:func:`analysis.privacy.audit.audit_registries`).

    A passed audit is kept in ``reports/.cache/disclosure_audit.pickle`` with
    :func:`audit_inputs_hash`; while that hash is unchanged (a batch that re-ran nothing)
    the kept result is returned instead of solving the same linear programmes again. A
    failed audit is never kept.
    """
    from analysis.privacy.audit import audit_registries

    cache = ws.reports / ".cache" / AUDIT_CACHE
    key = audit_inputs_hash(ws)
    try:
        kept_key, audits = pickle.loads(cache.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        kept_key, audits = None, None
    if kept_key != key:
        audits = audit_registries(ws.root, exclude=AUDIT_EXCLUDE)
    result = DisclosureAuditResult(audits, unaudited_figures(ws.root))
    if kept_key != key and not result.exposed:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps((key, audits)))
        tmp.replace(cache)
    return result


def check_outputs(ws: Workspace, prescanned: Iterable[Path] = ()) -> OutputChecks:
    """Run the leak gate and the disclosure audit (both, whatever the first finds).

    ``prescanned``: files a :class:`Prescanner` scanned during the batch (see :func:`leak_gate`).
    """
    return OutputChecks(leak_gate(ws, prescanned), disclosure_audit(ws))


def audit_ahead(root: str, project: str) -> bool:
    """Run the disclosure audit now, in a worker process, so the batch's own call finds it kept.

    The batch starts this when only runs of :data:`AUDIT_EXCLUDE` are left (the
    assembly of the draft), which the audit does not read. A passed audit is kept with
    the hash of its inputs (:func:`disclosure_audit`); the check at the end of the batch
    computes that hash again and uses the kept result only if nothing it reads changed
    meanwhile. A failed audit is not kept, so the end of the batch audits again and
    reports it.

    Returns
    -------
    bool
        Whether the audit passed.
    """
    return disclosure_audit(Workspace(root=Path(root), project=Path(project))).ok


def unaudited_figures(root: str | Path) -> list[str]:
    """``run/figure`` of every published figure recorded without its drawn data (``data=``/``no_counts=``)."""
    found = []
    for path in sorted((Path(root) / "reports" / "registry").glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        found += [f"{doc.get('run', path.stem)}/{item['id']}" for item in doc.get("items", [])
                  if item.get("kind") == "figure" and (item.get("data") or {}).get("audited") is False]
    return found


__all__ = ["AUDIT_EXCLUDE", "DisclosureAuditResult", "LeakGateResult", "OutputChecks", "Prescanner", "audit_ahead",
           "check_outputs", "disclosure_audit", "leak_gate", "scan_targets", "unaudited_figures"]  # fmt: skip
