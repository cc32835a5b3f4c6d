"""Publication outputs: the findings registry, one figure style, the report writers.

Notebooks publish through :class:`Registry`; ``90_findings`` assembles every run's
registry into ``reports/findings.{md,html,docx}`` and ``reports/tables.xlsx`` with
:func:`analysis.findings.report.write_report`.
"""

from analysis.findings.registry import Registry, RunFindings, load_registries, read_registry

__all__ = ["Registry", "RunFindings", "load_registries", "read_registry"]
