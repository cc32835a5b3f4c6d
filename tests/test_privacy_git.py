"""Git hygiene: nothing confidential or executed is tracked, and data folders are ignored."""

import json
import subprocess
from pathlib import Path

import pytest

from analysis.privacy.hetu import find_hetus

ROOT = Path(__file__).resolve().parents[1]
# Files that must hold example identity codes to test the detectors (DVV's public
# example 131052-308T and codes made up for the tests).
ALLOWED_WITH_CODES = ("tests/", "analysis/privacy/", "analysis/synthetic/", "docs/")


def _git(*args):
    try:
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        pytest.skip("git not available")
    if result.returncode not in (0, 1):
        pytest.skip("not a git work tree")
    return result


@pytest.fixture(scope="module")
def tracked():
    return [line for line in _git("ls-files", "-z").stdout.split("\0") if line]


@pytest.mark.parametrize("path", ["data/raw/x.xlsx", "data/processed/turns.parquet",
                                  "data/keys/pseudonym_key.json", "data/keys/names.yaml",
                                  "reports/findings.docx", "figures/run1/fig1.svg",
                                  ".ipynb_checkpoints/x.ipynb"])
def test_confidential_locations_are_ignored(path):
    assert _git("check-ignore", "-q", path).returncode == 0, f"{path} is not git-ignored"


def test_no_confidential_file_is_tracked(tracked):
    allowed = {"README.md", ".gitkeep"}
    bad = [p for p in tracked
           if p.startswith(("data/raw/", "data/processed/", "data/keys/", "reports/", "figures/"))
           and Path(p).name not in allowed]
    assert bad == []


def test_no_identity_code_in_tracked_files(tracked):
    leaks = []
    for path in tracked:
        if path.startswith(ALLOWED_WITH_CODES):
            continue
        file = ROOT / path
        if not file.is_file() or file.stat().st_size > 5_000_000:
            continue
        raw = file.read_bytes()
        if b"\x00" in raw[:8192]:
            continue
        text = raw.decode("utf-8", errors="replace")
        leaks += [f"{path}: {code[:2]}****" for _, _, code in find_hetus(text)]
    assert leaks == []


def test_tracked_notebooks_have_no_outputs(tracked):
    executed = []
    for path in tracked:
        if not path.endswith(".ipynb") or not (ROOT / path).is_file():
            continue
        notebook = json.loads((ROOT / path).read_text(encoding="utf-8"))
        for number, cell in enumerate(notebook.get("cells", []), start=1):
            if cell.get("outputs") or cell.get("execution_count") is not None:
                executed.append(f"{path} cell {number}")
    assert executed == [], "strip outputs before committing (jupyter nbconvert --clear-output)"
