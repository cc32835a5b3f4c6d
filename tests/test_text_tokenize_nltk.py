"""tokenize() without importing NLTK gives exactly NLTK's RegexpTokenizer tokens."""

from __future__ import annotations

import re

from nltk.tokenize import RegexpTokenizer

from analysis.text.tokenize import TOKEN_PATTERN, blank_marks, tokenize


def test_tokens_equal_nltk_regexp_tokenizer_on_the_synthetic_transcripts(tmp_path):
    from analysis.io.detect import read_text
    from analysis.synthetic.generator import generate

    generate(tmp_path, seed=7, scale=1)
    lines = [line for path in sorted((tmp_path / "workshops").glob("*.txt")) + sorted((tmp_path / "workshops").glob("*.vtt"))
             for line in read_text(path)[0].splitlines() if line.strip()]
    lines += ["EU:n sosiaali- ja terveyspalvelut 5.3.2024 klo 12.30, 18-vuotiaat ja 2024:n — TP2C:ssä",
              "Mä en (.) tiiä [naurua] -- oon ollu 1,5 v. Jäkälä-hankkeessa ’t’", "", "\n\n  \t"]
    assert len(lines) > 200
    nltk = RegexpTokenizer(TOKEN_PATTERN, flags=re.UNICODE | re.MULTILINE | re.DOTALL | re.VERBOSE)
    for line in lines:
        assert tokenize(line) == nltk.tokenize(blank_marks(line)), line
        assert tokenize(line, marks=True) == nltk.tokenize(line), line


def test_importing_the_tokenizer_does_not_import_nltk():
    import subprocess
    import sys

    code = "import sys, analysis.text.tokenize as t; t.tokenize('Mä oon tässä.'); print('nltk' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
