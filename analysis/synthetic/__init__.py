"""Deterministic synthetic demo data in the real formats (see :mod:`analysis.synthetic.generator`).

>>> from analysis.synthetic import generate, planted_identifiers   # doctest: +SKIP
>>> generate(Path("data/raw"), seed=2024, scale=1)                  # doctest: +SKIP
PosixPath('data/raw/manifest.yaml')
"""

from analysis.synthetic.generator import PLANTED_IDENTIFIERS, coding_rows, generate, planted_identifiers
from analysis.synthetic.identifiers import is_valid_hetu

__all__ = ["generate", "planted_identifiers", "PLANTED_IDENTIFIERS", "coding_rows", "is_valid_hetu"]
