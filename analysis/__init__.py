"""Jäkälä analysis workspace: the importable logic behind the notebooks."""

__version__ = "0.1.0"
