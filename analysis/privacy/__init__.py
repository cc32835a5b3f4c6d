"""Data protection: pseudonymisation, identifier redaction, small-cell control, leak gate.

Typical use at ingestion::

    key = PseudonymKey.load(ws.keys)
    speaker = key.pseudonym("speaker", "Aino Korhonen", role="young_person")  # e.g. 'Nuori 14' (random)
    respondent = key.pseudonym("respondent", "4711")                            # e.g. 'R4821' (random)
    text = Redactor(key).redact(raw_text).text
    key.save()

and before publication::

    table = suppress_small_cells(table, k=5, count_columns=["n"], derived_columns=["%"])
    assert_no_leaks([ws.reports, ws.figures], key)   # raises LeakError
    write_archive(ws, "archive/", instruments=[...], codebooks=[...])
"""

from analysis.privacy.archive import write_archive
from analysis.privacy.hetu import find_hetus, is_valid_hetu, mask_hetu
from analysis.privacy.keys import ROLE_PREFIXES, PseudonymKey, names_from_original
from analysis.privacy.redact import (
    LABELS,
    Match,
    RedactionResult,
    Redactor,
    Replacement,
    find_addresses,
    find_emails,
    find_phones,
    name_stems,
    redact_text,
)
from analysis.privacy.scan import (
    LeakFinding,
    assert_no_leaks,
    format_findings,
    mask_identifier,
    scan_paths,
    scan_text,
)
from analysis.privacy.suppress import (
    groups_below_k,
    has_small_cells,
    suppress_small_cells,
    suppression_note,
)

__all__ = [
    "LABELS",
    "ROLE_PREFIXES",
    "LeakFinding",
    "Match",
    "PseudonymKey",
    "RedactionResult",
    "Redactor",
    "Replacement",
    "assert_no_leaks",
    "find_addresses",
    "find_emails",
    "find_hetus",
    "find_phones",
    "format_findings",
    "groups_below_k",
    "has_small_cells",
    "is_valid_hetu",
    "mask_hetu",
    "mask_identifier",
    "name_stems",
    "names_from_original",
    "redact_text",
    "scan_paths",
    "scan_text",
    "suppress_small_cells",
    "suppression_note",
    "write_archive",
]
