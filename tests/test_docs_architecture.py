"""docs/architecture.md names every module under analysis/ (every .py file and package), and no module that is gone."""

from __future__ import annotations

import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
DOC = PROJECT / "docs" / "architecture.md"


def modules() -> set[str]:
    """Dotted names of every module and package below ``analysis/``."""
    out = set()
    for file in (PROJECT / "analysis").rglob("*.py"):
        parts = list(file.relative_to(PROJECT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.add(".".join(parts))
    return out


def documented() -> set[str]:
    """The first column of the table under ``## Modules``."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("\n## Modules", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(analysis[\w.]*)` \|", section, flags=re.M))


def test_every_module_is_described():
    missing = sorted(modules() - documented())
    assert not missing, f"docs/architecture.md (## Modules) does not describe: {', '.join(missing)}"


def test_no_described_module_is_gone():
    gone = sorted(documented() - modules())
    assert not gone, f"docs/architecture.md (## Modules) describes modules that do not exist: {', '.join(gone)}"


def test_the_check_sees_the_whole_package():
    found = modules()
    assert {"analysis", "analysis.config", "analysis.survey.instrument", "analysis.__main__"} <= found
    assert len(found) > 50
