"""The incremental leak gate: skips files found clean before, never files with findings."""

from __future__ import annotations

import os

import pytest

from analysis.privacy.gate import leak_gate
from analysis.privacy.keys import PseudonymKey


def test_gate_rescans_only_what_changed(tmp_path):
    out, keys, state = tmp_path / "reports", tmp_path / "keys", tmp_path / "reports" / ".cache" / "gate.json"
    out.mkdir()
    keys.mkdir()
    (out / "a.csv").write_text("kunta,n\nKemi,12\n", encoding="utf-8")
    (out / "b.md").write_text("Tulokset ilman tunnisteita.\n", encoding="utf-8")
    found, scanned, skipped = leak_gate([out], keys, state)
    assert (found, scanned, skipped) == ([], 2, 0)
    assert leak_gate([out], keys, state)[1:] == (0, 2)  # nothing changed: nothing scanned

    (out / "b.md").write_text("Soita 040 123 4567.\n", encoding="utf-8")
    found, scanned, _ = leak_gate([out], keys, state)
    assert scanned == 1 and [f.kind for f in found] == ["phone"]
    found, scanned, _ = leak_gate([out], keys, state)  # a file with a finding is scanned again
    assert scanned == 1 and len(found) == 1

    (out / "b.md").write_text("Aino kertoi kokemuksistaan.\n", encoding="utf-8")
    os.utime(out / "b.md", ns=(1, 1))
    assert leak_gate([out], keys, state)[0] == []
    key = PseudonymKey.load(keys)  # a new name in the key: every file is scanned again
    key.pseudonym("speaker", "Aino Korhonen", role="young_person")
    key.save()
    found, scanned, _ = leak_gate([out], keys, state)
    assert scanned == 2 and [(f.kind, f.file.endswith("b.md")) for f in found] == [("name", True)]


def test_report_is_scanned_in_staging_and_not_published_with_a_name(tmp_path):
    from analysis.errors import LeakError
    from analysis.privacy import PseudonymKey
    from analysis.privacy.gate import publish_gated

    keys = tmp_path / "keys"
    key = PseudonymKey.load(keys)
    key.pseudonym("speaker", "Aino Korhonen", role="young_person")
    key.save()
    out = tmp_path / "reports"
    published = publish_gated({"findings.md": b"# Tulokset\nKaikki hyvin.\n"}, out, keys)
    assert published["findings.md"].read_bytes() == b"# Tulokset\nKaikki hyvin.\n"
    with pytest.raises(LeakError, match="nothing was written"):
        publish_gated({"findings.md": b"# Tulokset\nSoitin KORHOSELLE.\n", "tables.csv": b"a\n1\n"}, out, keys)
    assert published["findings.md"].read_bytes() == b"# Tulokset\nKaikki hyvin.\n"   # the old report stays
    assert sorted(p.name for p in out.iterdir()) == ["findings.md"]                    # no staging left
