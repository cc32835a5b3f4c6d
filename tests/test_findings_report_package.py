"""The layout of the ``analysis.findings.report`` package: the public API stays where it was,
the modules import each other without cycles, the document model and the renderers know
nothing of the registries, and each renderer imports no other renderer."""

from __future__ import annotations

import analysis.findings.report as report
from tests.package_layout import check_public_api, import_order, module_imports, sibling_imports

#: The public names of ``analysis/findings/report.py`` before the split (the notebook 90_findings,
#: the CLI and the tests import them from the package).
PUBLIC = {
    "FIXED_DATE", "DOCX_LANGUAGES", "TABLE_STYLE", "NOTE_STYLE", "SOURCE_STYLE", "APPENDIX", "ReportDocument",
    "load_report_config", "build_report", "render_markdown", "render_html", "render_docx", "render_xlsx",
    "write_report",
}

RENDERERS = {"to_markdown", "to_html", "to_docx", "to_xlsx"}


def test_public_api_is_unchanged():
    check_public_api(report, PUBLIC)


def test_modules_import_each_other_without_cycles():
    graph = sibling_imports(report)
    assert {"config", "document", "assemble", "cells", "provenance", "write"} | RENDERERS <= set(graph)
    order = import_order(graph)
    assert order.index("document") < min(order.index(r) for r in RENDERERS) < order.index("write")


def test_the_model_and_the_renderers_read_only_the_document():
    siblings = sibling_imports(report)
    assert siblings["document"] == set()
    imports = module_imports(report)
    for renderer in RENDERERS:
        assert siblings[renderer] == {"document"}, renderer  # no renderer imports another, or the assembly
        assert not any(d.startswith(("analysis.findings.registry", "analysis.workspace")) for d in imports[renderer]), renderer
