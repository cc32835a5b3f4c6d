"""APA-style result strings in English and Finnish.

Conventions
-----------
English (APA 7): decimal point; *p* without a leading zero (``p = .034``), ``p < .001``
below .001; effect sizes and CIs with two decimals and a leading zero as in
``r = 0.32 [0.05, 0.55]`` (the project's chosen form); test statistics with two
decimals (``H(2) = 5.21``), *U*, *W* and *V* for rank sums as whole numbers (one
decimal when a tie makes them end in .5).

Finnish: the same layout with a **decimal comma**; because the comma is the decimal
mark, the two CI limits are separated by a **semicolon** (``[0,05; 0,55]``), and *p*
keeps its leading zero (``p = 0,034``, ``p < 0,001``), as is usual in Finnish
theses and in the style guides of Finnish universities. The minus sign is the ASCII
hyphen-minus so the strings can be searched and pasted anywhere. Thousands are not
grouped (``U = 1234``) in either language.

Examples
--------
>>> apa_test("U", 123, 0.0341, effect_name="r", effect=0.3214, ci=(0.05, 0.55))
'U = 123, p = .034, r = 0.32 [0.05, 0.55]'
>>> apa_test("U", 123, 0.0341, effect_name="r", effect=0.3214, ci=(0.05, 0.55), language="fi")
'U = 123, p = 0,034, r = 0,32 [0,05; 0,55]'
"""

from __future__ import annotations

import math

__all__ = ["format_decimal", "format_p", "format_ci", "format_statistic", "apa_test", "apa_both", "LANGUAGES"]

LANGUAGES = ("fi", "en")


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language must be 'fi' or 'en', got {language!r}")


def format_decimal(value: float, language: str = "en", decimals: int = 2, *, leading_zero: bool = True) -> str:
    """Format a number with a fixed number of decimals in ``language``, APA style.

    Thousands are not grouped and the minus is the ASCII hyphen-minus (see the module
    notes); for numbers in running text and tables (thousands grouped) use
    :func:`analysis.findings.style.format_number`. The arguments come in the same order.

    Examples
    --------
    >>> format_decimal(0.3214), format_decimal(0.3214, "fi"), format_decimal(-0.5, "en", 2, leading_zero=False)
    ('0.32', '0,32', '-.50')
    >>> format_decimal(1234.5, "fi", 1)
    '1234,5'
    """
    _check_language(language)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:.{decimals}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]  # no "-0.00"
    if not leading_zero:
        text = text.replace("0.", ".", 1) if text.lstrip("-").startswith("0.") else text
    return text.replace(".", ",") if language == "fi" else text


def format_p(p: float, language: str = "en", decimals: int = 3) -> str:
    """Format a p value: ``p = .034`` / ``p < .001`` (English), ``p = 0,034`` (Finnish).

    Examples
    --------
    >>> format_p(0.0004), format_p(0.0004, "fi"), format_p(0.5)
    ('p < .001', 'p < 0,001', 'p = .500')
    """
    _check_language(language)
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "p = –"
    threshold = 10 ** (-decimals)
    leading = language == "fi"
    if p < threshold:
        return f"p < {format_decimal(threshold, language, decimals, leading_zero=leading)}"
    return f"p = {format_decimal(min(p, 1.0), language, decimals, leading_zero=leading)}"


def format_ci(low: float, high: float, decimals: int = 2, language: str = "en") -> str:
    """Format a confidence interval: ``[0.05, 0.55]`` / ``[0,05; 0,55]``.

    Examples
    --------
    >>> format_ci(0.05, 0.55), format_ci(0.05, 0.55, language="fi")
    ('[0.05, 0.55]', '[0,05; 0,55]')
    """
    sep = "; " if language == "fi" else ", "
    return f"[{format_decimal(low, language, decimals)}{sep}{format_decimal(high, language, decimals)}]"


def format_statistic(value: float, language: str = "en", decimals: int = 2, *, rank_sum: bool = False) -> str:
    """Format a test statistic; rank sums (U, W, V) as whole numbers (``.5`` kept).

    Examples
    --------
    >>> format_statistic(123.0, rank_sum=True), format_statistic(40.5, "fi", rank_sum=True), format_statistic(5.2123)
    ('123', '40,5', '5.21')
    """
    if rank_sum and value is not None and not math.isnan(value):
        if float(value).is_integer():
            return str(int(value))
        return format_decimal(value, language, 1)
    return format_decimal(value, language, decimals)


_RANK_SUMS = {"U", "W", "V", "T"}


def apa_test(
    statistic_name: str,
    statistic: float,
    p: float,
    *,
    df: float | str | None = None,
    effect_name: str | None = None,
    effect: float | None = None,
    ci: tuple[float, float] | None = None,
    n: int | None = None,
    language: str = "en",
    p_adjusted: float | None = None,
) -> str:
    """One APA-style result string.

    Parameters
    ----------
    statistic_name : str
        ``"U"``, ``"W"``, ``"V"``, ``"H"``, ``"χ²"``, ``"z"``.
    statistic : float
    p : float
        The (unadjusted) p value.
    df : float or str, optional
        Degrees of freedom, written in parentheses: ``H(2)``.
    effect_name, effect, ci : optional
        Effect size, its name (``r``, ``ε²``, ``V``) and its confidence interval.
    n : int, optional
        Written as ``N = n`` inside the parentheses (χ² style).
    language : {"en", "fi"}
    p_adjusted : float, optional
        Appended as ``p_adj = ...`` (Holm/BH-adjusted p).

    Returns
    -------
    str

    Examples
    --------
    >>> apa_test("H", 5.2123, 0.0738, df=2, effect_name="ε²", effect=0.05, ci=(0.0, 0.18))
    'H(2) = 5.21, p = .074, ε² = 0.05 [0.00, 0.18]'
    >>> apa_test("χ²", 30.07, 2.95e-7, df=2, n=2757, language="fi")
    'χ²(2, N = 2757) = 30,07, p < 0,001'
    """
    _check_language(language)
    inside = []
    if df is not None:
        if isinstance(df, str):
            inside.append(df)
        elif float(df).is_integer():
            inside.append(str(int(df)))
        else:
            inside.append(format_decimal(float(df), language, 2))
    if n is not None:
        inside.append(f"N = {int(n)}")
    head = statistic_name + (f"({', '.join(inside)})" if inside else "")
    parts = [f"{head} = {format_statistic(statistic, language, rank_sum=statistic_name in _RANK_SUMS)}",
             format_p(p, language)]
    if p_adjusted is not None and not (isinstance(p_adjusted, float) and math.isnan(p_adjusted)):
        parts.append(format_p(p_adjusted, language).replace("p ", "p_adj ", 1))
    if effect_name is not None and effect is not None:
        text = f"{effect_name} = {format_decimal(effect, language, 2)}"
        if ci is not None:
            text += f" {format_ci(ci[0], ci[1], 2, language)}"
        parts.append(text)
    return ", ".join(parts)


def apa_both(*args, **kwargs) -> dict[str, str]:
    """:func:`apa_test` in both languages: ``{"fi": ..., "en": ...}``."""
    kwargs.pop("language", None)
    return {lang: apa_test(*args, language=lang, **kwargs) for lang in ("fi", "en")}
