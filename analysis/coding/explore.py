"""Interactive tools for qualitative analysis in JupyterLab: a concordance browser and a rule tester.

The notebooks call these in cells marked *exploration*: they display, they never publish
(nothing here writes a file or touches the findings registry). Both work on the
segments and tokens cached at ingestion, i.e. on lemmas, exactly as the auto-coder does.

* :func:`concordance` — keyword in context (KWIC) for one or more lemmas, filtered by
  speaker role, document or any segment column, sorted by the words left or right of
  the keyword, one page at a time; :func:`concordance_html` shows it with the keyword
  aligned in the middle, as in a QDA program's KWIC view.
* :func:`test_rules` — edit a theme's rules (the ``rules:`` mapping of
  ``config/codebook.yaml``), see the segments the new rules code and what changed from
  the previous rules (segments gained, lost, kept), and, when human codings are given,
  how precision and recall against the human coders move.

Examples
--------
>>> import pandas as pd
>>> from analysis.coding.codebook import Codebook
>>> cb = Codebook.from_dict({"version": 1, "themes": [
...     {"id": "housing", "name": {"fi": "Asuminen", "en": "Housing"}, "colour": "#DDCC77",
...      "rules": {"lemmas": ["asunto"]}}]})
>>> segments = pd.DataFrame({"segment_id": ["s1", "s2"], "unit": "turn",
...                          "text": ["Etsin asuntoa.", "Tukiasunto löytyi."]})
>>> tokens = pd.DataFrame({"segment_id": ["s1", "s1", "s2", "s2"], "position": [0, 1, 0, 1],
...                        "token": ["Etsin", "asuntoa", "Tukiasunto", "löytyi"],
...                        "lemma": ["etsiä", "asunto", "tukiasunto", "löytyä"]})
>>> result = test_rules(segments, tokens, cb, "housing", {"lemmas": ["*asunto"]})
>>> result.summary()["n_before"], result.summary()["n_after"], result.gained["segment_id"].tolist()
(1, 2, ['s2'])
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from typing import Any, Iterable

import pandas as pd

from analysis.coding.autocode import autocode
from analysis.coding.codebook import Codebook, _parse_rules, as_codebook
from analysis.errors import DataError
from analysis.text.lexical import kwic

#: Columns of a concordance, in display order (segment columns that are missing are left out).
CONCORDANCE_COLUMNS = ["segment_id", "doc_id", "speaker", "speaker_role", "left", "keyword", "right"]

#: How a concordance can be sorted.
SORT_KEYS = ("text", "left", "right", "keyword")


def _lemma_list(terms: str | Iterable[str]) -> list[str]:
    if isinstance(terms, str):
        terms = terms.replace(",", " ").split()
    found = [str(t).strip().lower() for t in terms if str(t).strip()]
    if not found:
        raise DataError("no lemma to look for", location="concordance(terms=...)",
                        hint='Give one or more lemmas (base forms), e.g. "asunto" or ["asunto", "vuokra"].')
    return found


def _casefold(column: pd.Series) -> pd.Series:
    return column.astype(str).str.casefold() if pd.api.types.is_string_dtype(column) else column


def concordance(
    tokens: pd.DataFrame,
    segments: pd.DataFrame,
    terms: str | Iterable[str],
    *,
    width: int = 6,
    where: dict[str, Any] | None = None,
    sort: str = "text",
    page: int = 1,
    per_page: int = 25,
) -> pd.DataFrame:
    """One page of a keyword-in-context concordance, filtered and sorted.

    Parameters
    ----------
    tokens : DataFrame
        The tokens table (``segment_id``, ``position``, ``token``, ``lemma``, offsets).
    segments : DataFrame
        The segments table (``segment_id``, ``text`` and the columns to filter on:
        ``speaker_role``, ``doc_id``, ``work_package``, …).
    terms : str or list of str
        Lemma(s), e.g. ``"asunto"`` or ``"asunto vuokra"``; inflected forms are found
        through the lemmas (asunnon, asuntoa, …).
    width : int
        Words of context on each side.
    where : dict, optional
        Filters on segment columns: ``{"speaker_role": "young_person"}`` or a list of
        allowed values ``{"doc_id": ["W01", "W04"]}``.
    sort : {"text", "left", "right", "keyword"}
        ``text``: reading order; ``left``: by the words just before the keyword (nearest
        first); ``right``: by the words after it; ``keyword``: by the form as written.
    page, per_page : int
        Which page of hits to return (1-based).

    Returns
    -------
    DataFrame
        :data:`CONCORDANCE_COLUMNS` (those present) plus ``hit`` (1-based number in the
        sorted list). ``attrs["n_hits"]`` holds the number of hits on all pages and
        ``attrs["n_pages"]`` the number of pages.

    Raises
    ------
    DataError
        No lemma given, an unknown filter column or sort key, or a page out of range.
    """
    lemmas = _lemma_list(terms)
    if sort not in SORT_KEYS:
        raise DataError(f"unknown sort {sort!r}", location="concordance(sort=...)",
                        hint=f"Use one of: {', '.join(SORT_KEYS)}.")
    if per_page < 1 or page < 1:
        raise DataError("page and per_page must be at least 1", location="concordance")
    selected = segments
    for column, allowed in (where or {}).items():
        if column not in segments.columns:
            raise DataError(f"no segment column {column!r} to filter on", location="concordance(where=...)",
                            hint=f"Segment columns: {', '.join(map(str, segments.columns))}.")
        values = [allowed] if isinstance(allowed, (str, int, float)) else list(allowed)
        selected = selected[selected[column].isin(values)]
    hits = kwic(tokens[tokens["segment_id"].isin(selected["segment_id"])], lemmas, width=width, segments=selected)
    if sort == "left":
        hits = hits.assign(_key=hits["left"].map(lambda s: " ".join(reversed(str(s).lower().split()))))
        hits = hits.sort_values(["_key", "segment_id", "position"], kind="stable").drop(columns="_key")
    elif sort == "right":
        hits = hits.sort_values(["right", "segment_id", "position"], kind="stable",
                                key=_casefold)
    elif sort == "keyword":
        hits = hits.sort_values(["keyword", "segment_id", "position"], kind="stable",
                                key=_casefold)
    n_hits = len(hits)
    n_pages = max(1, -(-n_hits // per_page))
    if page > n_pages:
        raise DataError(f"page {page} does not exist: {n_hits} hits make {n_pages} page(s)",
                        location="concordance(page=...)")
    hits = hits.reset_index(drop=True)
    hits.insert(0, "hit", range(1, n_hits + 1))
    shown = hits.iloc[(page - 1) * per_page: page * per_page]
    out = shown[["hit", *[c for c in CONCORDANCE_COLUMNS if c in shown.columns]]].reset_index(drop=True)
    out.attrs.update(n_hits=n_hits, n_pages=n_pages, page=page, terms=lemmas)
    return out


def concordance_html(view: pd.DataFrame) -> str:
    """An HTML table of a concordance page with the keywords aligned in one column.

    Parameters
    ----------
    view : DataFrame
        A page from :func:`concordance`.

    Returns
    -------
    str
        HTML (all cell text escaped), headed by the number of hits and pages.

    Examples
    --------
    >>> view = pd.DataFrame({"hit": [1], "speaker": ["Nuori 1"], "left": ["mä etin"],
    ...                      "keyword": ["asuntoa"], "right": ["<Kemistä>"]})
    >>> "<b>asuntoa</b>" in concordance_html(view) and "&lt;Kemistä&gt;" in concordance_html(view)
    True
    """
    meta = view.attrs
    head = (f"<p><b>{html.escape(', '.join(meta.get('terms', [])))}</b>: {meta.get('n_hits', len(view))} "
            f"osumaa / hits, sivu / page {meta.get('page', 1)}/{meta.get('n_pages', 1)}</p>")
    extra = [c for c in view.columns if c not in ("hit", "left", "keyword", "right")]
    cells = "".join(f"<th>{html.escape(str(c))}</th>" for c in ["#", *extra]) + "<th></th><th></th><th></th>"
    rows = []
    for row in view.itertuples(index=False):
        values = row._asdict()
        info = "".join(f"<td>{html.escape(str(values[c]))}</td>" for c in extra)
        rows.append(
            f"<tr><td>{values['hit']}</td>{info}"
            f'<td style="text-align:right;white-space:nowrap">{html.escape(str(values["left"]))}</td>'
            f'<td style="text-align:center"><b>{html.escape(str(values["keyword"]))}</b></td>'
            f'<td style="text-align:left;white-space:nowrap">{html.escape(str(values["right"]))}</td></tr>'
        )
    return f"{head}<table><thead><tr>{cells}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def show_concordance(tokens: pd.DataFrame, segments: pd.DataFrame, terms: str | Iterable[str], **options: Any) -> pd.DataFrame:
    """Display a concordance page in the notebook (aligned HTML) and return it.

    Takes the arguments of :func:`concordance`. Change ``terms``, ``where``, ``sort`` or
    ``page`` and re-run the cell to browse.
    """
    from IPython.display import HTML, display

    view = concordance(tokens, segments, terms, **options)
    display(HTML(concordance_html(view)))
    return view


# --------------------------------------------------------------------------- rule tester
def current_rules(codebook: Codebook | str, code: str) -> dict:
    """The ``rules:`` mapping of theme ``code`` as written in the codebook file (a copy to edit).

    Parameters
    ----------
    codebook : Codebook or path
        A codebook read from a file (its ``source``), or the file's path.
    code : str

    Returns
    -------
    dict
        E.g. ``{"lemmas": ["*asunto", ...], "regex": [...]}``; ``{}`` for a theme without
        own rules.

    Examples
    --------
    >>> from analysis.workspace import Workspace
    >>> rules = current_rules(Workspace.discover().resolve_config("config/codebook.yaml"), "housing")
    >>> "*asunto" in rules["lemmas"]
    True
    """
    import copy

    from analysis.config import load_yaml

    cb = as_codebook(codebook)
    if code not in cb:
        raise DataError(f"no code {code!r} in the codebook", location="current_rules(code=...)",
                        hint=f"Codes: {', '.join(cb.ids)}.")
    if not cb.source:
        raise DataError("the codebook was not read from a file", location="current_rules",
                        hint="Pass the codebook's path, e.g. 'config/codebook.yaml'.")
    stack = list(load_yaml(cb.source).get("themes") or [])
    while stack:
        theme = stack.pop(0)
        if isinstance(theme, dict) and theme.get("id") == code:
            return copy.deepcopy(theme.get("rules") or {})
        if isinstance(theme, dict):
            stack.extend(theme.get("children") or [])
    raise DataError(f"theme {code!r} not found in {cb.source}", location="current_rules")  # pragma: no cover


def with_rules(codebook: Codebook, code: str, rules: dict | None) -> Codebook:
    """A copy of ``codebook`` in which theme ``code`` has ``rules`` instead of its own.

    Parameters
    ----------
    codebook : Codebook
    code : str
        A code id of the codebook.
    rules : dict or None
        A ``rules:`` mapping as written in ``config/codebook.yaml`` (``lemmas``, ``all``,
        ``regex``, ``exclude``); ``None`` removes the theme's own rules (it is then
        coded only through its sub-themes).

    Raises
    ------
    ConfigError
        When the rules do not validate (same messages as the codebook file).
    DataError
        When ``code`` is not in the codebook.
    """
    if code not in codebook:
        raise DataError(f"no code {code!r} in the codebook", location="test_rules(code=...)",
                        hint=f"Codes: {', '.join(codebook.ids)}.")
    positive, exclude = _parse_rules(rules, file="rules under test", where=f"{code}.rules")
    codes = [replace(c, rules=positive, exclude_rules=exclude) if c.id == code else c for c in codebook]
    return Codebook(codes, version=f"{codebook.version}+test", source=codebook.source,
                    digest=f"untested rules for {code}", title=codebook.title)


@dataclass
class RuleTest:
    """The outcome of :func:`test_rules`.

    Attributes
    ----------
    code : str
        The theme whose rules were edited.
    coded : DataFrame
        Segments the new rules code: ``segment_id``, ``matched`` (what fired),
        ``change`` (``"gained"`` or ``"kept"``), ``text`` and the segment's speaker and
        document columns.
    gained, lost : DataFrame
        Segments coded now but not before, and before but not now (``lost`` shows the
        previous ``matched``).
    against_human : DataFrame or None
        Precision, recall and F1 of the theme against each human coder, before and after
        (when human codings were given).
    """

    code: str
    coded: pd.DataFrame
    gained: pd.DataFrame
    lost: pd.DataFrame
    n_before: int
    n_segments: int
    against_human: pd.DataFrame | None = None

    def summary(self) -> dict[str, Any]:
        """Counts of the change: segments before, after, gained, lost and kept."""
        n_after = len(self.coded)
        return {"code": self.code, "n_segments": self.n_segments, "n_before": self.n_before, "n_after": n_after,
                "gained": len(self.gained), "lost": len(self.lost), "kept": n_after - len(self.gained)}

    def show(self, rows: int = 15) -> None:
        """Display the summary, the gained and lost segments and the change against the coders."""
        from IPython.display import Markdown, display

        s = self.summary()
        display(Markdown(
            f"**{s['code']}**: {s['n_before']} → {s['n_after']} segmenttiä / segments "
            f"(of {s['n_segments']}): **+{s['gained']}** uutta / gained, **−{s['lost']}** pois / lost, "
            f"{s['kept']} ennallaan / kept"))
        if self.against_human is not None:
            display(self.against_human)
        for title, frame in (("Uudet / gained", self.gained), ("Pois jääneet / lost", self.lost)):
            if len(frame):
                display(Markdown(f"*{title}* (first {min(rows, len(frame))} of {len(frame)})"))
                display(frame.head(rows))


def _scores(auto: set[str], human: set[str]) -> tuple[float | None, float | None, float | None]:
    tp = len(auto & human)
    precision = tp / len(auto) if auto else None
    recall = tp / len(human) if human else None
    if precision is None or recall is None:
        return precision, recall, None
    return precision, recall, (2 * precision * recall / (precision + recall) if tp else 0.0)


def test_rules(
    segments: pd.DataFrame,
    tokens: pd.DataFrame,
    codebook: Codebook | str,
    code: str,
    rules: dict | None,
    *,
    unit: str | None = None,
    human: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
) -> RuleTest:
    """Code the segments with edited rules for one theme and compare with the current rules.

    Parameters
    ----------
    segments, tokens : DataFrame
        The segments and their tokens (e.g. from
        :func:`analysis.coding.autocode.workspace_segments`).
    codebook : Codebook or path
        The current codebook (the "previous rules").
    code : str
        The theme to edit.
    rules : dict or None
        The new ``rules:`` mapping for that theme, as in the YAML file. When the result
        is right, copy it into ``config/codebook.yaml``: nothing is saved here.
    unit : str, optional
        The coding unit (see :func:`analysis.coding.autocode.autocode`).
    human : DataFrame, optional
        Manual codings ``segment_id, coder, code`` (a sub-theme counts for its theme);
        precision and recall of ``code`` against each coder are computed on the
        segments that coder read.
    coverage : DataFrame, optional
        ``segment_id, coder``: the segments each coder read (as returned by
        :func:`analysis.coding.coding_sheet.read_codings_folder`); default: the segments
        the coder gave any code.

    Returns
    -------
    RuleTest

    Notes
    -----
    Parents inherit from their sub-themes as in the auto-coder, so testing a parent
    theme's rules shows the segments it gets from its own rules and from its children.
    """
    before_cb = as_codebook(codebook)
    after_cb = with_rules(before_cb, code, rules)
    before = autocode(segments, tokens, before_cb, unit=unit)
    after = autocode(segments, tokens, after_cb, unit=unit)
    before = before[before["code"] == code].set_index("segment_id")["matched"]
    after = after[after["code"] == code].set_index("segment_id")["matched"]
    info_cols = [c for c in ("doc_id", "speaker", "speaker_role", "text") if c in segments.columns]
    info = segments.assign(segment_id=segments["segment_id"].astype(str)).set_index("segment_id")[info_cols]

    def frame(matched: pd.Series, ids: list[str], change: str | None = None) -> pd.DataFrame:
        out = pd.DataFrame({"segment_id": ids, "matched": [matched[i] for i in ids]})
        if change is not None:
            out["change"] = [change if i not in before.index else "kept" for i in ids]
        return out.merge(info, left_on="segment_id", right_index=True, how="left").reset_index(drop=True)

    after_ids, before_ids = list(after.index), list(before.index)
    coded = frame(after, after_ids, change="gained")
    gained = coded[coded["change"] == "gained"].drop(columns="change").reset_index(drop=True)
    lost = frame(before, [i for i in before_ids if i not in after.index])
    against = None
    if human is not None and len(human):
        missing = {"segment_id", "coder", "code"} - set(human.columns)
        if missing:
            raise DataError(f"the human codings lack column(s) {sorted(missing)}", location="test_rules(human=...)",
                            hint="Pass the manual codings table: segment_id, coder, code.")
        family = {code, *[c for c in before_cb.ids if code in before_cb.ancestors(c)]}
        rows = []
        for coder, group in human.groupby("coder", sort=True):
            read = set(group["segment_id"].astype(str))
            if coverage is not None:
                read |= set(coverage.loc[coverage["coder"] == coder, "segment_id"].astype(str))
            truth = set(group.loc[group["code"].isin(family), "segment_id"].astype(str))
            for label, ids in (("before", set(before_ids)), ("after", set(after_ids))):
                p, r, f = _scores(ids & read, truth)
                rows.append({"coder": coder, "rules": label, "n_auto": len(ids & read), "n_human": len(truth),
                             "precision": p, "recall": r, "f1": f})
        against = pd.DataFrame(rows)
    return RuleTest(code=code, coded=coded, gained=gained, lost=lost, n_before=len(before_ids),
                    n_segments=int(segments["segment_id"].nunique()), against_human=against)


test_rules.__test__ = False  # not a pytest test, despite its name
RuleTest.__test__ = False

__all__ = ["CONCORDANCE_COLUMNS", "RuleTest", "concordance", "concordance_html", "current_rules", "show_concordance",
           "test_rules", "with_rules"]
