"""workspace_segments: the one loader of segments and lemmas (notebooks 20, 30, 40 and the exports)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.coding.autocode import workspace_segments
from analysis.errors import DataError
from analysis.text.pipeline import segments_from_turns


def _processed(root):
    return root / "data" / "processed"


def test_turns_and_entries_come_from_the_cache_and_can_be_chosen(mini_workspace):
    processed = _processed(mini_workspace)
    cached = pd.read_parquet(processed / "workshop_segments.parquet")
    segments, tokens = workspace_segments(processed, unit="turn")
    pd.testing.assert_frame_equal(segments, cached.reset_index(drop=True))

    chosen, chosen_tokens = workspace_segments(processed, unit="turn", workshop_ids=["W03", "W01"])
    assert set(chosen["doc_id"]) == {"W01", "W03"} and chosen.index.equals(pd.RangeIndex(len(chosen)))
    assert chosen["segment_id"].tolist() == cached[cached["doc_id"].isin(["W01", "W03"])]["segment_id"].tolist()
    assert set(chosen_tokens["segment_id"]) == set(chosen["segment_id"])
    assert len(chosen_tokens) == tokens["segment_id"].isin(chosen["segment_id"]).sum()

    entries, entry_tokens = workspace_segments(processed, unit="diary_entry", entry_ids=["D0002", "D0000"])
    assert entries["segment_id"].tolist() == ["D0000", "D0002"]  # cache order (by date)
    assert set(entry_tokens["segment_id"]) == {"D0000", "D0002"}
    both, _ = workspace_segments(processed, unit="turn", include_diaries=True, workshop_ids=["W02"], entry_ids=["D0001"])
    assert both["doc_id"].tolist().count("D0001") == 1 and set(both["doc_id"]) == {"W02", "D0001"}


def test_sentences_are_cut_from_the_chosen_turns(mini_workspace):
    processed = _processed(mini_workspace)
    segments, tokens = workspace_segments(processed, unit="sentence", workshop_ids=["W02"])
    turns = pd.read_parquet(processed / "transcript_turns.parquet")
    expected = segments_from_turns(turns[turns["workshop_id"] == "W02"], unit="sentence",
                                   workshops=pd.read_parquet(processed / "workshops.parquet"))
    pd.testing.assert_frame_equal(segments, expected)
    assert (segments["unit"] == "sentence").all() and set(tokens["segment_id"]) <= set(segments["segment_id"])


@pytest.mark.parametrize("unit, kind, ids", [("turn", "workshop", {"workshop_ids": ["W04"]}),
                                             ("diary_entry", "diary", {"entry_ids": ["D0005", "D0006"]})])
def test_a_cache_without_the_unit_is_cut_from_the_source_tables(mini_workspace, unit, kind, ids):
    processed = _processed(mini_workspace)
    from_cache, cached_tokens = workspace_segments(processed, unit=unit, **ids)
    table = processed / f"{kind}_segments.parquet"
    pd.read_parquet(table).iloc[:0].to_parquet(table)  # a cache written before segments were cached
    rebuilt, rebuilt_tokens = workspace_segments(processed, unit=unit, **ids)
    assert len(rebuilt) and rebuilt["segment_id"].tolist() == from_cache["segment_id"].tolist()
    assert rebuilt["text"].tolist() == from_cache["text"].tolist()
    pd.testing.assert_frame_equal(rebuilt_tokens, cached_tokens.reset_index(drop=True), check_dtype=False)


def test_unknown_unit_and_missing_cache_are_errors(mini_workspace, tmp_path):
    with pytest.raises(DataError, match="unknown segment unit"):
        workspace_segments(_processed(mini_workspace), unit="paragraph")
    with pytest.raises(DataError, match="jakala ingest"):
        workspace_segments(tmp_path, unit="diary_entry")
