"""Finnish text processing and lexical analysis of workshop transcripts and diaries.

Modules
-------
tokenize       NLTK RegexpTokenizer with a Finnish pattern; mark stripping; Punkt sentences.
normalise      spoken Finnish -> standard forms (config/text/spoken_forms.tsv).
lemmatise      one memoised ``lemmatise(word)``; the backend is the setting in
               config/text/lemmatiser.yaml (default: pyvoikko + simplemma + UD prior),
               corrected by config/text/lexicon.tsv and config/text/compounds.txt.
evaluate       accuracy on UD Finnish CoNLL-U gold lemmas (tune / held-out halves).
benchmark      ``python -m analysis.text.benchmark``: accuracy and speed in one report.
stopwords      curated function words, fillers and project words (config/text/*.txt).
pipeline       segments (turn / sentence / diary entry) and the tokens table.
lexical        frequencies by group, keyness (G², log ratio), collocations, KWIC.
participation  turns and words per role, young people's share of talk with CI, trend.
plots          figures of the above (Finnish labels by default).

Usage: ``from analysis.text.pipeline import tokens_table`` (submodules are not
imported here, so ``import analysis.text`` stays cheap).
"""

__all__ = ["tokenize", "normalise", "lemmatise", "stopwords", "pipeline", "lexical", "participation", "plots",
           "evaluate", "benchmark"]
