"""Deterministic synthetic demo data in the real formats (see :mod:`analysis.synthetic.generator`).

>>> import tempfile
>>> from pathlib import Path
>>> from analysis.synthetic import generate
>>> manifest = generate(Path(tempfile.mkdtemp()) / "raw", seed=2024, scale=1)
>>> manifest.name
'manifest.yaml'
"""

from analysis.synthetic.generator import PLANTED_IDENTIFIERS, coding_rows, generate, planted_identifiers
from analysis.synthetic.identifiers import is_valid_hetu

__all__ = ["generate", "planted_identifiers", "PLANTED_IDENTIFIERS", "coding_rows", "is_valid_hetu"]
