"""Sentences for the survey notebooks, generated from the results (Finnish and English).

Each function returns ``{"fi": ..., "en": ...}`` so the notebook can print the sentence
in its language and register both with the findings registry. Counts below the
small-cell threshold ``k`` are written as "fewer than k" ("alle k").
"""

from __future__ import annotations

import pandas as pd

from analysis.survey.apa import format_decimal

__all__ = ["count_text", "sample_sentences", "missingness_sentences", "reliability_sentences",
           "change_sentences", "group_sentences", "methods_text", "prevalence_sentences"]

_WAVE = {"baseline": {"fi": "alkukartoitukseen", "en": "the baseline survey"},
         "followup": {"fi": "loppukartoitukseen", "en": "the follow-up survey"},
         "single": {"fi": "kyselyyn", "en": "the survey"}}


def count_text(n: int, k: int, language: str) -> str:
    """A count, or "fewer than k" when 0 < n < k (small-cell rule)."""
    if 0 < n < k:
        return f"alle {k}" if language == "fi" else f"fewer than {k}"
    return str(int(n))


def sample_sentences(respondents: pd.DataFrame, *, linked: int, k: int = 5,
                     waves: tuple[str, ...] = ("baseline", "followup")) -> dict[str, str]:
    """Who answered: n per wave and the number of respondents linked across waves."""
    counts = respondents.groupby("wave").size()
    fi, en = [], []
    for wave in waves:
        n = int(counts.get(wave, 0))
        label = _WAVE.get(wave, {"fi": wave, "en": wave})
        fi.append(f"{label['fi'].capitalize()} vastasi {count_text(n, k, 'fi')} ammattilaista")
        en.append(f"{count_text(n, k, 'en')} professionals answered {label['en']}")
    text_fi = " ja ".join(fi) + "."
    text_en = " and ".join(en) + "."
    if len(waves) > 1:
        text_fi += (f" Molempiin kyselyihin vastasi ja vastaajatunnuksen perusteella yhdistettiin "
                    f"{count_text(linked, k, 'fi')} vastaajaa.")
        text_en += f" {count_text(linked, k, 'en').capitalize()} respondents answered both and were linked by their code."
    return {"fi": text_fi, "en": text_en[0].upper() + text_en[1:]}


def missingness_sentences(missing: pd.DataFrame, instrument=None) -> dict[str, str]:
    """Item non-response: overall share, "don't know" share and the worst item.

    With ``instrument`` the worst item is named by its text, not by its id.
    """
    total = missing["n"].sum()
    if total == 0:
        return {"fi": "Vastauksia ei ollut.", "en": "There were no answers."}
    share = 1 - missing["n_valid"].sum() / total
    dk = missing["n_dont_know"].sum() / total
    worst = missing.sort_values("share_missing", ascending=False).iloc[0]

    def item_name(language: str) -> str:
        if instrument is None:
            return str(worst["item"])
        return f"”{instrument.item_text(worst['item'], language)}”" if language == "fi" else f"“{instrument.item_text(worst['item'], language)}”"

    return {
        "fi": (f"Väittämistä jäi vastaamatta tai vastattiin ”En osaa sanoa” {format_decimal(share * 100, 'fi', 1)} %:ssa "
               f"vastauksista (”En osaa sanoa” {format_decimal(dk * 100, 'fi', 1)} %). Eniten puuttuvia oli väittämässä "
               f"{item_name('fi')} ({format_decimal(worst['share_missing'] * 100, 'fi', 1)} %). Puuttuvia ei korvattu; "
               "summamuuttuja laskettiin vastattujen väittämien keskiarvona, kun vähintään mittarille määritelty "
               "osuus väittämistä oli vastattu."),
        "en": (f"{format_decimal(share * 100, 'en', 1)}% of item answers were missing or \"don't know\" "
               f"(\"don't know\" {format_decimal(dk * 100, 'en', 1)}%). Item {item_name('en')} had the most missing answers "
               f"({format_decimal(worst['share_missing'] * 100, 'en', 1)}%). Missing answers were not imputed; a scale "
               "score is the mean of the answered items when at least the scale's minimum share was answered."),
    }


def reliability_sentences(table: pd.DataFrame) -> dict[str, str]:
    """Range of α and ω over the scales."""
    if table.empty:
        return {"fi": "Mittareiden reliabiliteettia ei voitu arvioida.", "en": "Reliability could not be assessed."}
    lo, hi = table["alpha"].min(), table["alpha"].max()
    wlo, whi = table["omega_total"].min(), table["omega_total"].max()
    weakest = table.sort_values("alpha").iloc[0]
    return {
        "fi": (f"Summamuuttujien Cronbachin alfat vaihtelivat välillä {format_decimal(lo, 'fi', 2)}–"
               f"{format_decimal(hi, 'fi', 2)} ja McDonaldin omegat välillä {format_decimal(wlo, 'fi', 2)}–"
               f"{format_decimal(whi, 'fi', 2)}; heikoin oli {weakest['label_fi'].lower()} "
               f"(α = {format_decimal(weakest['alpha'], 'fi', 2)})."),
        "en": (f"Cronbach's alpha of the scales ranged from {format_decimal(lo, 'en', 2)} to {format_decimal(hi, 'en', 2)} "
               f"and McDonald's omega from {format_decimal(wlo, 'en', 2)} to {format_decimal(whi, 'en', 2)}; the lowest "
               f"was {weakest['label_en'].lower()} (α = {format_decimal(weakest['alpha'], 'en', 2)})."),
    }


def change_sentences(paired: pd.DataFrame, alpha: float = 0.05, k: int = 5) -> dict[str, str]:
    """One sentence per scale on the baseline–follow-up change of linked respondents.

    A scale with fewer than ``k`` pairs gets no statistic, only "fewer than k pairs"
    (:func:`analysis.privacy.suppress.suppress_small_statistics`).
    """
    from analysis.privacy.suppress import suppress_small_statistics

    fi, en = [], []
    for row in suppress_small_statistics(paired, k).itertuples():
        if row.withheld:
            fi.append(f"{row.label_fi}: alle {k} vastaajaparia, muutosta ei testattu.")
            en.append(f"{row.label_en}: fewer than {k} pairs, change not tested.")
            continue
        significant = row.p_adjusted < alpha
        up = row.effect > 0
        if significant:
            fi.append(f"{row.label_fi} {'parani' if up else 'heikkeni'} alkukartoituksesta loppukartoitukseen "
                      f"({row.apa_fi}).")
            en.append(f"{row.label_en} {'improved' if up else 'declined'} from baseline to follow-up ({row.apa_en}).")
        else:
            fi.append(f"{row.label_fi}: ei tilastollisesti merkitsevää muutosta ({row.apa_fi}).")
            en.append(f"{row.label_en}: no statistically significant change ({row.apa_en}).")
    return {"fi": " ".join(fi), "en": " ".join(en)}


def group_sentences(results: pd.DataFrame, group_label: dict[str, str], alpha: float = 0.05,
                    k: int = 5) -> dict[str, str]:
    """Sentences on group differences (e.g. by role) per scale; no test of a group under ``k``."""
    from analysis.privacy.suppress import suppress_small_statistics

    fi, en = [], []
    for row in suppress_small_statistics(results, k).itertuples():
        if row.test == "not_tested":
            continue
        if row.withheld:
            fi.append(f"{row.label_fi}: jossakin ryhmässä alle {k} vastaajaa, eroa ei testattu.")
            en.append(f"{row.label_en}: a group has fewer than {k} respondents, not tested.")
            continue
        if row.p_adjusted < alpha:
            fi.append(f"{row.label_fi}: ryhmien ({group_label['fi']}) välillä oli ero ({row.apa_fi}).")
            en.append(f"{row.label_en}: the groups ({group_label['en']}) differed ({row.apa_en}).")
        else:
            fi.append(f"{row.label_fi}: ei merkitsevää eroa ({row.apa_fi}).")
            en.append(f"{row.label_en}: no significant difference ({row.apa_en}).")
    return {"fi": " ".join(fi) or "Ryhmävertailuja ei voitu tehdä.",
            "en": " ".join(en) or "Group comparisons could not be made."}


def methods_text(*, zero_method: str, correction: str, alpha: float, min_cell_size: int) -> dict[str, str]:
    """The methods paragraph of the survey analysis."""
    corr_fi = {"holm": "Holmin", "bh": "Benjamini–Hochbergin", "fdr_bh": "Benjamini–Hochbergin",
               "bonferroni": "Bonferronin", "none": "ei"}.get(correction, correction)
    corr_en = {"holm": "Holm", "bh": "Benjamini–Hochberg", "fdr_bh": "Benjamini–Hochberg",
               "bonferroni": "Bonferroni", "none": "no"}.get(correction, correction)
    zero_fi = {"pratt": "Prattin menetelmällä (nollaerot otetaan mukaan järjestyslukuihin)",
               "wilcox": "jättämällä nollaerot pois", "zsplit": "jakamalla nollaerojen järjestysluvut"}[zero_method]
    zero_en = {"pratt": "by Pratt's method (zero differences are ranked, then left out of the statistic)",
               "wilcox": "by dropping them", "zsplit": "by splitting their ranks"}[zero_method]
    return {
        "fi": ("Summamuuttujien sisäistä johdonmukaisuutta arvioitiin Cronbachin alfalla (95 %:n luottamusväli "
               "Feldtin menetelmällä), McDonaldin omegalla (yhden faktorin malli), korjatuilla osio–kokonaispistemäärä-"
               "korrelaatioilla ja alfalla, jos osio poistetaan. Ryhmiä verrattiin Mann–Whitneyn U-testillä "
               "(vaikutuskokona järjestysbiseriaalinen korrelaatio r) tai Kruskal–Wallisin testillä (ε², "
               "bootstrap-luottamusväli) ja Dunnin parivertailuilla Holmin korjauksella. Alku- ja loppukartoitusta "
               "verrattiin molempiin vastanneilla Wilcoxonin merkittyjen sijalukujen testillä (parittainen "
               f"järjestysbiseriaalinen r); nollaerot käsiteltiin {zero_fi}. Vain toiseen kyselyyn vastanneita "
               f"verrattiin Mann–Whitneyn testillä. Mittareiden välisiin p-arvoihin tehtiin {corr_fi} korjaus; "
               f"merkitsevyystaso oli {format_decimal(alpha, 'fi', 2)}. Taulukoissa alle {min_cell_size} vastaajan "
               "solut on peitetty."),
        "en": ("Internal consistency was assessed with Cronbach's alpha (95% CI by Feldt's method), McDonald's omega "
               "total (one-factor model), corrected item–total correlations and alpha if item deleted. Groups were "
               "compared with the Mann–Whitney U test (rank-biserial correlation r) or the Kruskal–Wallis test "
               "(ε² with a bootstrap CI) followed by Dunn's test with Holm adjustment. Baseline and follow-up were "
               "compared for respondents who answered both with the Wilcoxon signed-rank test (matched-pairs "
               f"rank-biserial r); zero differences were handled {zero_en}. Respondents who answered only one wave "
               f"were compared with the Mann–Whitney test. P values were adjusted across scales with the {corr_en} "
               f"method; the significance level was {format_decimal(alpha, 'en', 2)}. Table cells with fewer than "
               f"{min_cell_size} respondents are suppressed."),
    }


def prevalence_sentences(prev: pd.DataFrame, k: int = 5) -> dict[str, str]:
    """The most and least common needs with their Wilson CIs."""
    if prev.empty:
        return {"fi": "Tarpeista ei ollut vastauksia.", "en": "There were no answers on needs."}
    top, low = prev.iloc[0], prev.iloc[-1]

    def pct(row, lang):
        return (f"{format_decimal(row['share'] * 100, lang, 0)} % [{format_decimal(row['ci_low'] * 100, lang, 0)}"
                f"{'; ' if lang == 'fi' else ', '}{format_decimal(row['ci_high'] * 100, lang, 0)}]") if lang == "fi" else \
               (f"{format_decimal(row['share'] * 100, lang, 0)}% [{format_decimal(row['ci_low'] * 100, lang, 0)}, "
                f"{format_decimal(row['ci_high'] * 100, lang, 0)}]")
    n = int(prev["n"].max())
    return {
        "fi": (f"Tarvekyselyyn vastasi {count_text(n, k, 'fi')} nuorta. Yleisin tuen tarve oli "
               f"{top['label_fi'].lower()} ({pct(top, 'fi')}) ja harvinaisin {low['label_fi'].lower()} "
               f"({pct(low, 'fi')}; 95 %:n Wilsonin luottamusvälit)."),
        "en": (f"{count_text(n, k, 'en').capitalize()} young people answered the needs survey. The most common need "
               f"was {top['label_en'].lower()} ({pct(top, 'en')}) and the least common "
               f"{low['label_en'].lower()} ({pct(low, 'en')}; 95% Wilson CIs)."),
    }
