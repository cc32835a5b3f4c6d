"""Pytest settings for the docstring examples of ``analysis/`` (``--doctest-modules``, see pyproject.toml).

Every example runs in an empty temporary folder, so no example depends on the current
folder or writes into the repository. The test fixtures live in ``tests/conftest.py``.
"""

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _examples_run_in_an_empty_folder(request, monkeypatch):
    if type(request.node).__name__ == "DoctestItem":
        monkeypatch.chdir(request.getfixturevalue("tmp_path"))
