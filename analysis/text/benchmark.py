"""Benchmark of the Finnish lemmatiser: accuracy on public gold data and speed.

``python -m analysis.text.benchmark [--backend NAME]`` prints

* word accuracy on the UD Finnish-TDT and FTB development sets, tuning and held-out
  halves apart, with per-UPOS accuracy and the top error types
  (:mod:`analysis.text.evaluate`; skipped when ``<repo>/../shared/ud-finnish`` is absent);
* accuracy on the spoken-Finnish lists ``tests/data/spoken_tuning.tsv``,
  ``tests/data/spoken_heldout.tsv`` and ``tests/data/spoken_heldout_r3.tsv`` (a second
  held-out list, written before the round-3 rule changes) (normalise, then lemmatise), per
  pattern class;
* speed: the cold start (import of the analyser and the first word), words/s cold and
  warm through :func:`~analysis.text.lemmatise.lemmatise_many` on the running text of the
  dev sets (the tokens-table path), and words/s warm through :func:`lemmatise` called once
  per word, and tokens/s through :func:`~analysis.text.pipeline.tokens_table` on the
  dev-set sentences (tokenise, normalise, lemmatise, stopwords).

Timings come from this machine and are printed, never asserted by tests.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

from analysis.text import evaluate as ev
from analysis.text import lemmatise as lem
from analysis.text.normalise import load_spoken_forms, normalise_cached

REPO = Path(__file__).resolve().parents[2]
SPOKEN = {"tuning": REPO / "tests" / "data" / "spoken_tuning.tsv",
          "heldout": REPO / "tests" / "data" / "spoken_heldout.tsv",
          "heldout_r3": REPO / "tests" / "data" / "spoken_heldout_r3.tsv"}


def read_spoken(path: Path) -> list[tuple[str, str, str]]:
    """(form, gold lemma, class) rows of a spoken-forms list."""
    lines = [line.rstrip("\n") for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    rows = [tuple(line.split("\t")) for line in lines[1:]]
    return [r for r in rows if len(r) == 3]  # type: ignore[misc]


def spoken_lemma(form: str, backend: str | None = None) -> str:
    """Normalise (table, then rules, with ``backend``'s analyser deciding what is known, as the
    tokens table does) and lemmatise one spoken form."""
    backend = backend or lem.default_backend()
    parts = normalise_cached(form.strip().lower(), load_spoken_forms(), backend)
    return " ".join(lem.lemmatise(p, backend=backend) for p in parts)


def spoken_accuracy(path: Path, backend: str | None = None) -> tuple[int, int, dict, list]:
    """(correct, n, per-class [correct, n], failures) on one spoken list."""
    ok = 0
    by: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures = []
    rows = read_spoken(path)
    for form, gold, cls in rows:
        got = spoken_lemma(form, backend)
        good = got == gold
        ok += good
        by[cls][0] += good
        by[cls][1] += 1
        if not good:
            failures.append((form, got, gold))
    return ok, len(rows), dict(by), failures


def cold_start(backend: str) -> float:
    """Seconds from a fresh interpreter to the first lemma (imports and analyser load included)."""
    import subprocess
    import sys

    code = ("import time; t = time.perf_counter(); from analysis.text.lemmatise import lemmatise; "
            f"lemmatise('aloitus', backend={backend!r}); print(time.perf_counter() - t)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=REPO, env={**__import__("os").environ, "PYTHONPATH": str(REPO)})
    return float(done.stdout.strip().splitlines()[-1])


def sentences(path: Path) -> list[str]:
    """The ``# text =`` lines of a CoNLL-U file (running text for the tokens-table timing)."""
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("# text ="):
                out.append(line.split("=", 1)[1].strip())
    return out


def table_speed(texts: list[str], backend: str) -> dict[str, float]:
    """Tokens per second through :func:`analysis.text.pipeline.tokens_table` (cold, then warm)."""
    import pandas as pd

    from analysis.text.pipeline import tokens_table

    segs = pd.DataFrame({"segment_id": [f"s{i}" for i in range(len(texts))], "text": texts})
    lem.clear_cache()
    started = time.perf_counter()
    table = tokens_table(segs, backend=backend)
    cold = time.perf_counter() - started
    warm = float("inf")
    for _ in range(3):  # best of three: the machine is shared
        started = time.perf_counter()
        tokens_table(segs, backend=backend)
        warm = min(warm, time.perf_counter() - started)
    return {"tokens": len(table), "cold": len(table) / cold, "warm": len(table) / warm}


def speed(words: list[str], backend: str) -> dict[str, float]:
    """Cold start and words/s (see the module docstring)."""
    first = cold_start(backend)
    lem.clear_cache()
    started = time.perf_counter()
    lem.lemmatise_many(words, backend=backend)
    cold = time.perf_counter() - started
    lem.lemmatise("aloitus")  # the configured default is warm too
    runs = 5
    started = time.perf_counter()
    for _ in range(runs):
        lem.lemmatise_many(words, backend=backend)
    warm_many = time.perf_counter() - started
    one = lem.lemmatise
    started = time.perf_counter()
    for w in words:
        one(w, backend=backend)
    warm_one = time.perf_counter() - started
    started = time.perf_counter()
    for w in words:
        one(w)
    warm_default = time.perf_counter() - started
    n = len(words)
    return {"cold_start_s": first, "cold_words_per_s": n / cold, "warm_many_words_per_s": runs * n / warm_many,
            "warm_lemmatise_words_per_s": n / warm_one, "warm_lemmatise_default_words_per_s": n / warm_default}


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m analysis.text.benchmark", description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default=None, help="backend (default: config/text/lemmatiser.yaml)")
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args(argv)
    backend = args.backend or lem.default_backend()
    info = lem.backend_info(backend)
    print(f"# backend {backend}: {info['version']}")
    files = sorted(ev.default_ud_dir().glob("*-dev.conllu"))
    words: list[str] = []
    texts: list[str] = []
    if not files:
        print(f"# UD dev sets not found in {ev.default_ud_dir()}: treebank accuracy skipped")
    for path in files:
        all_words = ev.read_conllu(path)
        words.extend(w.form for w in ev.scored(all_words))
        texts.extend(sentences(path))
        for split in ("tune", "heldout"):
            for how in ("normalise + lemmatise", "lemmatiser only"):
                lem.clear_cache()
                fn = ((lambda forms: ev.workspace_lemmas(forms, backend)) if how.startswith("normalise")
                      else (lambda forms: lem.lemmatise_many(forms, backend=backend)))
                res = ev.score(list(ev.iter_split(all_words, split)), fn, name=f"{path.name} [{split}] {how}")
                print(ev.format_result(res, args.top))
    for name, path in SPOKEN.items():
        ok, n, by, failures = spoken_accuracy(path, backend)
        print(f"== spoken {name} ({path.name}): {ok}/{n} = {ok / n:.1%}  per class: "
              + ", ".join(f"{c} {a}/{b}" for c, (a, b) in sorted(by.items())))
        print("   fails (form -> got / gold): " + ", ".join(f"{f}->{g}/{e}" for f, g, e in failures))
    if words:
        s = speed(words, backend)
        print(f"== speed on {len(words):,} running words of the dev sets: cold start {s['cold_start_s']:.2f} s; "
              f"lemmatise_many {s['cold_words_per_s']:,.0f} words/s cold, {s['warm_many_words_per_s']:,.0f} warm; "
              f"lemmatise() per word {s['warm_lemmatise_words_per_s']:,.0f} warm "
              f"({s['warm_lemmatise_default_words_per_s']:,.0f} with the configured default)")
        t = table_speed(texts, backend)
        print(f"== tokens_table on the {len(texts):,} dev-set sentences ({t['tokens']:,} tokens): "
              f"{t['cold']:,.0f} tokens/s cold, {t['warm']:,.0f} tokens/s warm")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
