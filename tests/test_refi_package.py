"""The layout of the ``analysis.coding.refi`` package: the public API stays where it was, the
modules import each other without cycles, and the shared base imports no sibling."""

from __future__ import annotations

import analysis.coding.refi as refi
from tests.package_layout import check_public_api, import_order, sibling_imports

#: The public names of ``analysis/coding/refi.py`` before the split (notebooks, the CLI and
#: coding_sheet import them from the package).
PUBLIC = {
    "NS_PROJECT", "NS_CODEBOOK", "GUID_NAMESPACE", "DEFAULT_VARIABLES", "QdaProject", "stable_guid",
    "normalise_text", "project_xml", "codebook_xml", "export_qdpx", "export_qdc", "import_qdpx", "import_qdc",
    "map_codings_to_segments", "workspace_documents", "export_workspace_qdpx", "CoderConfig", "load_coders",
    "coder_id",
}


def _sibling_imports() -> dict[str, set[str]]:
    """Module name → the sibling modules of the package it imports (``from analysis.coding.refi.X``)."""
    return sibling_imports(refi)


def test_public_api_is_unchanged():
    assert set(refi.__all__) == PUBLIC
    check_public_api(refi, PUBLIC)


def test_modules_import_each_other_without_cycles():
    graph = _sibling_imports()
    assert {"_common", "coders", "export", "import_", "offsets", "mapping", "workspace"} <= set(graph)
    import_order(graph)


def test_the_shared_base_and_the_offsets_import_no_sibling():
    graph = _sibling_imports()
    assert graph["_common"] == set()
    assert graph["offsets"] == set()
    assert graph["coders"] == set()
