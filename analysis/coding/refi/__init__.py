"""REFI-QDA exchange: export coded documents to ATLAS.ti / NVivo / MAXQDA / QualCoder and read
their manual codings back.

The exchange follows the REFI-QDA standard 1.5 (https://www.qdasoftware.org): a ``.qdpx``
project is a zip holding ``project.qde`` (XML in the namespace ``urn:QDA-XML:project:1.0``,
schema ``Project-mrt2019.xsd``) and a flat ``sources/`` folder of ``<GUID>.txt`` plain texts.
A ``.qdc`` file is a bare codebook (``urn:QDA-XML:codebook:1.0``).

The package has one module per concern; everything public is re-exported here, so
``from analysis.coding.refi import export_qdpx`` is the way to use it:

* :mod:`~analysis.coding.refi.export` writes ``.qdpx`` projects and ``.qdc`` codebooks
  (:func:`export_qdpx`, :func:`export_qdc`, :func:`project_xml`, :func:`codebook_xml`).
* :mod:`~analysis.coding.refi.import_` reads them back into tidy tables
  (:func:`import_qdpx`, :func:`import_qdc`, :class:`QdaProject`).
* :mod:`~analysis.coding.refi.offsets` guesses how a tool counted its selection offsets
  (code points, UTF-8 bytes, UTF-16 units, CRLF as one or two, a counted BOM).
* :mod:`~analysis.coding.refi.mapping` maps imported selections to the workspace's
  segments by the majority-overlap rule (:func:`map_codings_to_segments`).
* :mod:`~analysis.coding.refi.coders` knows who the coders are: ``config/coders.yaml``,
  display names → coder ids (:func:`load_coders`, :func:`coder_id`, :class:`CoderConfig`).
* :mod:`~analysis.coding.refi.workspace` is the glue to the workspace's processed tables
  (:func:`workspace_documents`, :func:`export_workspace_qdpx`, ``jakala qdpx``).
* :mod:`~analysis.coding.refi._common` holds what they share: namespaces, stable GUIDs
  (:func:`stable_guid`), text normalisation (:func:`normalise_text`), XML helpers and the
  input checks of codebook and documents.
"""

from __future__ import annotations

from analysis.coding.refi._common import GUID_NAMESPACE, NS_CODEBOOK, NS_PROJECT, normalise_text, stable_guid
from analysis.coding.refi.coders import CoderConfig, coder_id, load_coders
from analysis.coding.refi.export import DEFAULT_VARIABLES, codebook_xml, export_qdc, export_qdpx, project_xml
from analysis.coding.refi.import_ import QdaProject, import_qdc, import_qdpx
from analysis.coding.refi.mapping import map_codings_to_segments
from analysis.coding.refi.workspace import export_workspace_qdpx, workspace_documents

__all__ = [
    "NS_PROJECT",
    "NS_CODEBOOK",
    "GUID_NAMESPACE",
    "DEFAULT_VARIABLES",
    "QdaProject",
    "stable_guid",
    "normalise_text",
    "project_xml",
    "codebook_xml",
    "export_qdpx",
    "export_qdc",
    "import_qdpx",
    "import_qdc",
    "map_codings_to_segments",
    "workspace_documents",
    "export_workspace_qdpx",
    "CoderConfig",
    "load_coders",
    "coder_id",
]
