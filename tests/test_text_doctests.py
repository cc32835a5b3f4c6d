"""The examples in the docstrings of analysis.text run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import matplotlib
import pytest

matplotlib.use("Agg")

MODULES = ["tokenize", "normalise", "lemmatise", "stopwords", "pipeline", "lexical", "participation", "plots", "evaluate"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"analysis.text.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"analysis.text.{name} has no examples"
    assert result.failed == 0
