"""Readers for every real-world input format: one file in, one tidy DataFrame out.

Readers *read*; they do not judge content (Likert ranges, respondent codes) and do not
pseudonymise (that is :mod:`analysis.ingest` with :mod:`analysis.privacy`). Every
problem with a file is a :class:`analysis.errors.DataError` naming the file, the row
or line and what to do. They import nothing from ``analysis`` except ``analysis.errors``.
"""

from analysis.io.detect import check_file, decode_bytes, read_text, sniff_delimiter
from analysis.io.diaries import DIARY_COLUMNS, PROBLEM_COLUMNS, diary_problems, read_diary_folder, read_diary_form
from analysis.io.tables import RawTable, normalise_header, parse_date, read_table
from analysis.io.transcripts import RawTranscript, read_transcript

__all__ = [
    "DIARY_COLUMNS",
    "PROBLEM_COLUMNS",
    "RawTable",
    "RawTranscript",
    "check_file",
    "decode_bytes",
    "diary_problems",
    "normalise_header",
    "parse_date",
    "read_diary_folder",
    "read_diary_form",
    "read_table",
    "read_text",
    "read_transcript",
    "sniff_delimiter",
]
