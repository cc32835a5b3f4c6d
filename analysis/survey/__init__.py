"""Survey analysis: instruments as YAML, scale scores, reliability, comparisons, needs, figures.

Modules: :mod:`~analysis.survey.instrument` (YAML → typed instrument, column matching),
:mod:`~analysis.survey.apply` (raw export → tidy tables + quarantine),
:mod:`~analysis.survey.scores`, :mod:`~analysis.survey.reliability`,
:mod:`~analysis.survey.compare`, :mod:`~analysis.survey.apa`,
:mod:`~analysis.survey.needs`, :mod:`~analysis.survey.summary`,
:mod:`~analysis.survey.plots` (import it explicitly; it loads matplotlib).
"""

from analysis.survey.apply import SurveyTables, apply_instrument, normalize_code
from analysis.survey.instrument import (
    AnswerSet,
    BackgroundVariable,
    ColumnMatch,
    Instrument,
    Item,
    Match,
    OpenItem,
    Scale,
    load_instrument,
    match_columns,
)
from analysis.survey.scores import item_matrix, reverse_code, scale_scores

__all__ = [
    "AnswerSet", "BackgroundVariable", "ColumnMatch", "Instrument", "Item", "Match", "OpenItem", "Scale",
    "SurveyTables", "apply_instrument", "item_matrix", "load_instrument", "match_columns", "normalize_code",
    "reverse_code", "scale_scores",
]
