"""Every statistic the report publishes, computed by the workspace and by R, side by side.

The data sets below are generated here, deterministically, to have what real survey and
coding data have: ties, zero differences, missing values, unequal groups, small n (and
large enough n for the normal approximations). They are written to CSV files, ONE
``Rscript`` run computes the R values (psych, effectsize, rstatix, coin, lavaan and base
R), and each test compares.

* ``equal``: the definitions agree; required equal to 1e-6 (absolute).
* ``by definition``: the workspace follows another documented convention; the test pins
  the documented relation (e.g. the Pratt-zero r is computed in R by its formula, and
  r/SE equals coin's Pratt z). The README section "Statistics and their R equivalents"
  lists which is which and the R call for each.

The module skips, with the reason, when ``Rscript`` or one of the R packages is missing
(Debian: ``r-base-core r-cran-psych r-cran-rstatix r-cran-effectsize r-cran-coin
r-cran-lavaan r-cran-gparotation``; ``.ci/run`` installs them when it can).
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from analysis.coding.agreement import agreement_table, cohen_kappa, krippendorff_alpha
from analysis.coding.matrices import code_trend
from analysis.survey.compare import (
    adjust_pvalues,
    categorical_test,
    dunn_posthoc,
    kruskal_wallis,
    mann_whitney,
    wilcoxon_paired,
)
from analysis.survey.needs import wilson_ci
from analysis.survey.reliability import cronbach_alpha, item_statistics, omega_total
from analysis.text.participation import share_trend

R_PACKAGES = ("psych", "effectsize", "rstatix", "coin", "lavaan")  # and "boot" for the ε² CI, optional
TOL = 1e-6
RSCRIPT = shutil.which("Rscript")

pytestmark = [pytest.mark.skipif(
    RSCRIPT is None, reason="Rscript is not installed (Debian r-base-core and r-cran-*; see .ci/run)"),
    pytest.mark.slow]  # runs R


# ----------------------------------------------------------------------------- data sets


def _likert(rng: np.random.Generator, n: int, centre: float = 3.0, sd: float = 1.1) -> np.ndarray:
    return np.clip(np.round(rng.normal(centre, sd, size=n)), 1, 5)


def paired_sets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """before, after (NaN = a missing answer: the pair is dropped)."""
    rng = np.random.default_rng(101)
    sets = {
        # Hollander & Wolfe p. 29 (R ?wilcox.test): no ties, no zeros, n = 9 -> exact
        "hw": (np.array([0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]),
               np.array([1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30])),
        # n = 8 with 3 zeros and ties (the example)
        "zeros8": (np.array([3, 3, 3, 2, 4, 3, 2, 3.0]), np.array([3, 4, 3, 4, 5, 3, 3, 4.0])),
    }
    b = _likert(rng, 32)
    a = np.clip(b + rng.choice([-1, 0, 0, 0, 1, 1, 2], size=32), 1, 5)
    b[[3, 17]] = np.nan
    a[[9]] = np.nan
    sets["likert30"] = (b, a)  # many zeros and ties, missing values
    b = rng.normal(3, 1, size=60)
    sets["cont60"] = (b, b + rng.normal(0.25, 0.8, size=60))  # no ties, n >= 50 -> normal approximations
    b = _likert(rng, 90)
    a = np.clip(b + rng.choice([-1, 0, 1, 1], size=90), 1, 5)
    sets["likert90"] = (b, a)  # >= 50 non-zero differences with zeros: Pratt's normal approximation
    b = np.full(26, 3.0)
    a = b + np.array([0] * 13 + [1, 1, 1, 1, 1, 2, 1, 1, 1, 1, -1, 1, 2.0])
    sets["manyzeros"] = (b, a)  # more than half zeros, all changes up
    return sets


def two_group_sets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(202)
    vals = rng.permutation(np.arange(1, 19, dtype=float))
    x = np.sort(vals)[[1, 4, 6, 9, 11, 13, 14, 16, 17]]
    y = np.setdiff1d(np.arange(1, 19, dtype=float), x)
    sets = {
        # Hollander & Wolfe p. 69 (R ?wilcox.test)
        "perm": (np.array([0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]),
                 np.array([1.15, 0.88, 0.90, 0.74, 1.21])),
        "nine": (x, y),  # 9 vs 9, no ties: R's exact p
    }
    x = _likert(rng, 15, 3.4)
    y = _likert(rng, 6, 2.6)
    x[2] = np.nan
    sets["likert_uneq"] = (x, y)  # ties, unequal groups, a missing value
    sets["big"] = (rng.normal(0.3, 1, size=55), rng.normal(0, 1, size=52))  # normal approximation, no ties
    return sets


def kw_sets() -> dict[str, list[np.ndarray]]:
    rng = np.random.default_rng(303)
    return {
        "hw": [np.array([2.9, 3.0, 2.5, 2.6, 3.2]), np.array([3.8, 2.7, 4.0, 2.4]),
               np.array([2.8, 3.4, 3.7, 2.2, 2.0])],
        "likert4": [_likert(rng, 12, 3.5), np.append(_likert(rng, 7, 2.8), np.nan), _likert(rng, 20, 3.0),
                    _likert(rng, 4, 4.0)],
        "cont3": [rng.normal(0, 1, 30), rng.normal(0.5, 1, 25), rng.normal(1, 1, 8)],
    }


TABLES = {
    "t22": [[12, 5], [7, 15]],
    "agresti": [[762, 327, 468], [484, 239, 477]],
    "tea": [[3, 1], [1, 3]],
    "f33": [[3, 1, 2], [0, 4, 5], [2, 2, 0]],
    "f43": [[5, 2, 1], [1, 6, 2], [0, 3, 9], [2, 2, 3]],
    "job": np.array([[1, 2, 1, 0], [3, 3, 6, 1], [10, 10, 14, 9], [6, 7, 12, 11]]).T.tolist(),
}
PROPORTIONS = [(0, 10), (10, 10), (3, 17), (81, 263), (1, 2), (57, 60)]
PVALUES = [0.001, 0.04, 0.03, 0.2, 0.012, np.nan, 0.5]


def reliability_sets() -> dict[str, pd.DataFrame]:
    """Likert items of one factor with missing answers: n = 70 × 5 items, and a small n = 12 × 3."""
    out = {}
    for name, n, lams, holes, seed in (
            ("n70", 70, [0.9, 0.7, 0.5, 1.1, 0.3], [(3, "q1"), (10, "q2"), (10, "q3"), (25, "q5"), (40, "q4"),
                                                    (66, "q1")], 404),
            ("n12", 12, [1.0, 0.8, 0.6], [(2, "q2"), (7, "q3")], 405)):
        rng = np.random.default_rng(seed)
        f = rng.normal(size=n)
        data = pd.DataFrame({f"q{j + 1}": np.clip(np.round(3 + lam * f + rng.normal(size=n)), 1, 5)
                             for j, lam in enumerate(lams)})
        for row, col in holes:
            data.loc[row, col] = np.nan
        out[name] = data
    return out


def coder_data() -> tuple[np.ndarray, np.ndarray]:
    """Two coders' nominal codes (NaN = not coded), and a binary 3-coder matrix."""
    rng = np.random.default_rng(505)
    a = rng.choice([1.0, 2.0, 3.0], size=40, p=[0.5, 0.3, 0.2])
    b = np.where(rng.random(40) < 0.75, a, rng.choice([1.0, 2.0, 3.0], size=40))
    b[[4, 19]] = np.nan
    truth = (rng.random(50) < 0.3).astype(float)
    three = np.vstack([np.where(rng.random(50) < 0.85, truth, 1 - truth) for _ in range(3)])
    three[0, [2, 7]] = np.nan
    three[2, [11]] = np.nan
    return np.vstack([a, b]), three


# Krippendorff (2011), section C: 4 coders × 12 units, nominal α = 0.743
KRIPP_2011 = np.array([[1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan, np.nan, np.nan],
                       [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, np.nan, 3],
                       [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, np.nan],
                       [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, np.nan]])


def share_data() -> dict[str, pd.DataFrame]:
    dates = pd.to_datetime(["2024-05-02", "2024-09-12", "2024-11-20", "2025-02-05", "2025-05-14",
                            "2025-09-30", "2026-01-21", "2026-05-06"])
    words = np.array([2100, 1800, 2500, 1950, 2300, 2050, 2400, 2200])
    # under-dispersed (Pearson χ²/df < 1): shares exactly on a logistic line, rounded
    p = 1 / (1 + np.exp(-(-1.6 + 0.25 * np.arange(8) / 2)))
    under = np.round(words * p).astype(int)
    over = np.array([300, 520, 260, 610, 330, 700, 450, 820])  # over-dispersed
    return {name: pd.DataFrame({"date": dates, "n_words": words, "n_words_role": role})
            for name, role in (("under", under), ("over", over))}


def timeline_data() -> pd.DataFrame:
    return pd.DataFrame({"code": "housing",
                         "quarter": ["2024Q2", "2024Q3", "2024Q4", "2025Q2", "2025Q3", "2026Q1"],
                         "n_entries": [11, 9, 14, 12, 8, 10], "n_coded": [2, 1, 4, 5, 3, 6]})


# ----------------------------------------------------------------------------- the R run

R_SCRIPT = r"""
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
need <- c(%(packages)s)
missing <- need[!vapply(need, requireNamespace, logical(1), quietly = TRUE)]
out <- file.path(dir, "r_results.csv")
if (length(missing)) { writeLines(paste0("MISSING,", paste(missing, collapse = " ")), out); quit(status = 0) }
suppressMessages({library(psych); library(effectsize); library(rstatix); library(coin); library(lavaan)})
res <- list()
put <- function(key, value) res[[key]] <<- as.numeric(value)
rd <- function(name) read.csv(file.path(dir, name), stringsAsFactors = FALSE)

## Wilcoxon signed-rank
pr <- rd("paired.csv")
for (s in unique(pr$set)) {
  d <- pr[pr$set == s & !is.na(pr$before) & !is.na(pr$after), ]
  a <- d$after; b <- d$before; dd <- a - b
  w <- suppressWarnings(wilcox.test(a, b, paired = TRUE))
  put(paste0("wx.", s, ".V"), w$statistic); put(paste0("wx.", s, ".p"), w$p.value)
  rb <- suppressWarnings(rank_biserial(a, b, paired = TRUE))
  put(paste0("wx.", s, ".r_wilcox"), rb$r_rank_biserial)
  put(paste0("wx.", s, ".lo_wilcox"), rb$CI_low); put(paste0("wx.", s, ".hi_wilcox"), rb$CI_high)
  nnz <- sum(dd != 0)
  rw <- rank(abs(dd[dd != 0])); Sw <- nnz * (nnz + 1) / 2; r0 <- rb$r_rank_biserial
  sew <- sqrt(sum(rw^2)) / Sw
  put(paste0("wx.", s, ".lo_wilcox_doc"), tanh(atanh(r0) - qnorm(0.975) * sew))
  put(paste0("wx.", s, ".hi_wilcox_doc"), tanh(atanh(r0) + qnorm(0.975) * sew))
  n <- length(dd); sees <- sqrt((2 * n^3 + 3 * n^2 + n) / 6) / (n * (n + 1) / 2)
  put(paste0("wx.", s, ".lo_wilcox_es"), tanh(atanh(r0) - qnorm(0.975) * sees))
  put(paste0("wx.", s, ".hi_wilcox_es"), tanh(atanh(r0) + qnorm(0.975) * sees))
  put(paste0("wx.", s, ".ties_or_zeros"), as.numeric(any(dd == 0) || anyDuplicated(abs(dd)) > 0))
  df <- data.frame(a = a, b = b)
  pt <- wilcoxsign_test(a ~ b, data = df, zero.method = "Pratt",
                        distribution = if (nnz < 50) "exact" else "asymptotic")
  put(paste0("wx.", s, ".p_pratt"), pvalue(pt))
  za <- wilcoxsign_test(a ~ b, data = df, zero.method = "Pratt", distribution = "asymptotic")
  put(paste0("wx.", s, ".z_pratt"), statistic(za))
  # the Pratt matched-pairs r and its SE, by the documented formula
  N <- length(dd); rk <- rank(abs(dd)); S <- N * (N + 1) / 2
  r <- sum(sign(dd) * rk) / S; se <- sqrt(sum(rk[dd != 0]^2)) / S
  put(paste0("wx.", s, ".r_pratt"), r); put(paste0("wx.", s, ".se_pratt"), se)
  put(paste0("wx.", s, ".lo_pratt"), tanh(atanh(r) - qnorm(0.975) * se))
  put(paste0("wx.", s, ".hi_pratt"), tanh(atanh(r) + qnorm(0.975) * se))
}

## Mann-Whitney
mw <- rd("twogroups.csv")
for (s in unique(mw$set)) {
  x <- mw$value[mw$set == s & mw$group == "x"]; y <- mw$value[mw$set == s & mw$group == "y"]
  x <- x[!is.na(x)]; y <- y[!is.na(y)]
  w <- suppressWarnings(wilcox.test(x, y))
  put(paste0("mw.", s, ".W"), w$statistic); put(paste0("mw.", s, ".p"), w$p.value)
  rb <- rank_biserial(x, y)
  put(paste0("mw.", s, ".r"), rb$r_rank_biserial); put(paste0("mw.", s, ".lo"), rb$CI_low)
  put(paste0("mw.", s, ".hi"), rb$CI_high)
}

## Kruskal-Wallis, epsilon squared, Dunn-Holm
kw <- rd("kw.csv")
for (s in unique(kw$set)) {
  d <- kw[kw$set == s & !is.na(kw$value), ]
  d$group <- factor(d$group)
  k <- kruskal.test(value ~ group, data = d)
  put(paste0("kw.", s, ".H"), k$statistic); put(paste0("kw.", s, ".df"), k$parameter)
  put(paste0("kw.", s, ".p"), k$p.value)
  set.seed(1)
  has_boot <- requireNamespace("boot", quietly = TRUE)  # effectsize bootstraps the CI with boot
  e <- rank_epsilon_squared(d$value, d$group, alternative = "two.sided", iterations = 2000,
                            ci = if (has_boot) 0.95 else NULL)
  put(paste0("kw.", s, ".eps"), e$rank_epsilon_squared)
  put(paste0("kw.", s, ".eps_lo"), if (has_boot) e$CI_low else NA)
  put(paste0("kw.", s, ".eps_hi"), if (has_boot) e$CI_high else NA)
  put(paste0("kw.", s, ".eta2H"), kruskal_effsize(d, value ~ group)$effsize)
  dn <- as.data.frame(dunn_test(d, value ~ group, p.adjust.method = "holm"))
  for (i in seq_len(nrow(dn))) {
    put(paste0("dunn.", s, ".", dn$group1[i], "_", dn$group2[i], ".p"), dn$p[i])
    put(paste0("dunn.", s, ".", dn$group1[i], "_", dn$group2[i], ".padj"), dn$p.adj[i])
  }
}

## Holm and BH
pv <- rd("pvalues.csv")$p
ph <- p.adjust(pv, "holm"); pb <- p.adjust(pv, "BH")
for (i in seq_along(pv)) { put(paste0("holm.", i), ph[i]); put(paste0("bh.", i), pb[i]) }

## Wilson
pp <- rd("proportions.csv")
for (i in seq_len(nrow(pp))) {
  ci <- prop.test(pp$count[i], pp$n[i], correct = FALSE)$conf.int
  put(paste0("wilson.", i, ".lo"), ci[1]); put(paste0("wilson.", i, ".hi"), ci[2])
}

## chi-square, Fisher, Cramer's V
tb <- rd("tables.csv")
for (s in unique(tb$set)) {
  d <- tb[tb$set == s, ]
  m <- xtabs(count ~ row + col, data = d)
  ch <- suppressWarnings(chisq.test(m))
  put(paste0("tab.", s, ".chi2"), ch$statistic); put(paste0("tab.", s, ".chi2_p"), ch$p.value)
  put(paste0("tab.", s, ".fisher_p"), fisher.test(m, workspace = 2e8)$p.value)
  put(paste0("tab.", s, ".V"), suppressWarnings(cramers_v(m, adjust = FALSE))$Cramers_v)
}

## Cohen's kappa and Krippendorff's alpha (nominal; Krippendorff 2011, the coincidence matrix)
kripp <- function(m) {  # m: coders x units, NA = missing
  vals <- sort(unique(as.vector(m[!is.na(m)])))
  o <- matrix(0, length(vals), length(vals))
  for (u in seq_len(ncol(m))) {
    v <- m[!is.na(m[, u]), u]; mu <- length(v)
    if (mu < 2) next
    for (i in seq_along(v)) for (j in seq_along(v)) if (i != j) {
      a <- match(v[i], vals); b <- match(v[j], vals); o[a, b] <- o[a, b] + 1 / (mu - 1)
    }
  }
  nc <- rowSums(o); n <- sum(nc)
  1 - (n - 1) * (n - sum(diag(o))) / (n^2 - sum(nc^2))
}
cd <- as.matrix(rd("coders2.csv")); ok <- complete.cases(cd)
put("kappa.two", cohen.kappa(cd[ok, ])$kappa)
put("kripp.two", kripp(t(cd)))
c3 <- t(as.matrix(rd("coders3.csv")))
put("kripp.three", kripp(c3))
put("kappa.bin12", cohen.kappa(t(c3[1:2, ])[complete.cases(t(c3[1:2, ])), ])$kappa)
put("kripp.bin12", kripp(c3[1:2, ]))
put("kripp.k2011", kripp(t(as.matrix(rd("kripp2011.csv")))))
pairs <- combn(3, 2)
light <- mean(apply(pairs, 2, function(p) { m <- t(c3[p, ]); cohen.kappa(m[complete.cases(m), ])$kappa }))
put("kappa.light3", light)

## reliability
for (s in c(%(reliability_sets)s)) {
  x <- rd(paste0("reliability_", s, ".csv"))
  xc <- na.omit(x)
  key <- function(k) paste0("rel.", s, ".", k)
  al <- suppressWarnings(psych::alpha(xc))
  put(key("alpha"), al$total$raw_alpha); put(key("n"), nrow(xc))
  ci <- alpha.ci(al$total$raw_alpha, nrow(xc), ncol(xc))
  put(key("ci_lo"), ci$lower.ci); put(key("ci_hi"), ci$upper.ci)
  for (j in seq_len(ncol(x))) {
    put(key(paste0("rdrop.", j)), al$item.stats$r.drop[j])
    put(key(paste0("adrop.", j)), if (ncol(x) > 2) al$alpha.drop$raw_alpha[j] else NA)
  }
  put(key("alpha_pairwise"), suppressWarnings(psych::alpha(x))$total$raw_alpha)
  z <- as.data.frame(scale(xc)); names(z) <- paste0("i", seq_along(z))
  fit <- cfa(paste("f =~", paste(names(z), collapse = " + ")), data = z, std.lv = TRUE)
  ss <- standardizedSolution(fit)
  lam <- ss$est.std[ss$op == "=~"]; th <- ss$est.std[ss$op == "~~" & ss$lhs == ss$rhs & ss$lhs != "f"]
  put(key("omega"), sum(lam)^2 / (sum(lam)^2 + sum(th)))
  put(key("heywood"), as.numeric(any(th < 0)))
  fa <- factanal(covmat = cor(xc), factors = 1, n.obs = nrow(xc))
  l <- abs(fa$loadings[, 1])
  put(key("omega_factanal"), sum(l)^2 / (sum(l)^2 + sum(1 - l^2)))
  put(key("omega_psych"), suppressMessages(suppressWarnings(omega(xc, nfactors = 1, plot = FALSE)))$omega.tot)
}

## trend of a share: Spearman and the quasi-binomial GLM with dispersion >= 1
sh <- rd("shares.csv")
for (s in unique(sh$set)) {
  d <- sh[sh$set == s, ]
  t <- as.numeric(as.Date(d$date) - min(as.Date(d$date))) / 365.25
  sp <- cor.test(t, d$n_words_role / d$n_words, method = "spearman", exact = FALSE)
  put(paste0("trend.", s, ".rho"), sp$estimate); put(paste0("trend.", s, ".rho_p"), sp$p.value)
  fit <- glm(cbind(n_words_role, n_words - n_words_role) ~ t, family = quasibinomial, data = d,
             control = glm.control(epsilon = 1e-12, maxit = 200))
  put(paste0("trend.", s, ".phi_raw"), summary(fit)$dispersion)
  phi <- max(1, summary(fit)$dispersion)
  cf <- coef(summary(fit, dispersion = phi)); est <- cf[2, 1]; se <- cf[2, 2]; dfr <- df.residual(fit)
  put(paste0("trend.", s, ".slope"), est); put(paste0("trend.", s, ".phi"), phi)
  put(paste0("trend.", s, ".p"), 2 * pt(-abs(est / se), dfr))
  put(paste0("trend.", s, ".lo"), est - qt(0.975, dfr) * se); put(paste0("trend.", s, ".hi"), est + qt(0.975, dfr) * se)
}

## diary code trend: Cochran-Armitage and the odds ratio per year
tl <- rd("timeline.csv")
q <- tl$quarter; yr <- as.integer(substr(q, 1, 4)); qq <- as.integer(substr(q, 6, 6))
pos <- (yr - min(yr)) * 4 + qq - qq[which.min(yr * 4 + qq)]
pos <- pos - min(pos)
ca <- prop.trend.test(tl$n_coded, tl$n_entries, score = pos)
put("ctrend.ca_chi2", ca$statistic); put("ctrend.N", sum(tl$n_entries))
years <- pos / 4
fit <- glm(cbind(n_coded, n_entries - n_coded) ~ years, family = quasibinomial, data = cbind(tl, years = years),
           control = glm.control(epsilon = 1e-12, maxit = 200))
phi <- max(1, summary(fit)$dispersion)
cf <- coef(summary(fit, dispersion = phi)); dfr <- df.residual(fit)
put("ctrend.or", exp(cf[2, 1])); put("ctrend.phi", phi)
put("ctrend.or_lo", exp(cf[2, 1] - qt(0.975, dfr) * cf[2, 2])); put("ctrend.or_hi", exp(cf[2, 1] + qt(0.975, dfr) * cf[2, 2]))

lines <- vapply(names(res), function(k) sprintf("%%s,%%.17g", k, res[[k]]), character(1))
writeLines(lines, out)
"""


def _write_inputs(folder) -> None:
    rows = []
    for name, (b, a) in paired_sets().items():
        rows += [{"set": name, "before": x, "after": y} for x, y in zip(b, a)]
    pd.DataFrame(rows).to_csv(folder / "paired.csv", index=False, na_rep="NA")
    rows = []
    for name, (x, y) in two_group_sets().items():
        rows += [{"set": name, "group": "x", "value": v} for v in x]
        rows += [{"set": name, "group": "y", "value": v} for v in y]
    pd.DataFrame(rows).to_csv(folder / "twogroups.csv", index=False, na_rep="NA")
    rows = []
    for name, groups in kw_sets().items():
        for g, values in zip("abcdefg", groups):
            rows += [{"set": name, "group": g, "value": v} for v in values]
    pd.DataFrame(rows).to_csv(folder / "kw.csv", index=False, na_rep="NA")
    pd.DataFrame({"p": PVALUES}).to_csv(folder / "pvalues.csv", index=False, na_rep="NA")
    pd.DataFrame(PROPORTIONS, columns=["count", "n"]).to_csv(folder / "proportions.csv", index=False, na_rep="NA")
    rows = [{"set": name, "row": i, "col": j, "count": c}
            for name, table in TABLES.items() for i, line in enumerate(table) for j, c in enumerate(line)]
    pd.DataFrame(rows).to_csv(folder / "tables.csv", index=False, na_rep="NA")
    two, three = coder_data()
    pd.DataFrame(two.T, columns=["a", "b"]).to_csv(folder / "coders2.csv", index=False, na_rep="NA")
    pd.DataFrame(three.T, columns=["c1", "c2", "c3"]).to_csv(folder / "coders3.csv", index=False, na_rep="NA")
    pd.DataFrame(KRIPP_2011.T, columns=["c1", "c2", "c3", "c4"]).to_csv(folder / "kripp2011.csv", index=False, na_rep="NA")
    for name, data in reliability_sets().items():
        data.to_csv(folder / f"reliability_{name}.csv", index=False, na_rep="NA")
    pd.concat([d.assign(set=name, date=d["date"].dt.strftime("%Y-%m-%d")) for name, d in share_data().items()]
              ).to_csv(folder / "shares.csv", index=False, na_rep="NA")
    timeline_data().to_csv(folder / "timeline.csv", index=False, na_rep="NA")


@pytest.fixture(scope="module")
def r(tmp_path_factory) -> dict[str, float]:
    folder = tmp_path_factory.mktemp("r_crosscheck")
    _write_inputs(folder)
    script = folder / "crosscheck.R"
    script.write_text(R_SCRIPT % {"packages": ", ".join(f'"{p}"' for p in R_PACKAGES),
                                  "reliability_sets": ", ".join(f'"{n}"' for n in reliability_sets())},
                      encoding="utf-8")
    proc = subprocess.run([RSCRIPT, "--vanilla", str(script), str(folder)], capture_output=True, text=True,
                          timeout=600)
    if proc.returncode != 0:
        raise AssertionError(f"Rscript failed:\n{proc.stderr[-3000:]}")
    lines = (folder / "r_results.csv").read_text(encoding="utf-8").splitlines()
    if lines and lines[0].startswith("MISSING,"):
        pytest.skip(f"R package(s) not installed: {lines[0].split(',', 1)[1]} (Debian r-cran-*; see .ci/run)")
    out = {}
    for line in lines:
        key, value = line.rsplit(",", 1)
        out[key] = float("nan") if value == "NA" else float(value)
    return out


def approx(value, tol=TOL):
    """Equal to 1e-6: absolute for values up to 1, relative for larger ones (e.g. a χ² of 30)."""
    return pytest.approx(value, abs=tol, rel=tol, nan_ok=True)


# ----------------------------------------------------------------------------- Wilcoxon


@pytest.mark.parametrize("name", list(paired_sets()))
def test_wilcoxon_statistic_is_rs_v(r, name):
    b, a = paired_sets()[name]
    for method in ("pratt", "wilcox", "zsplit"):
        assert wilcoxon_paired(b, a, zero_method=method)["statistic"] == approx(r[f"wx.{name}.V"])


@pytest.mark.parametrize("name", list(paired_sets()))
def test_wilcoxon_zeros_dropped_equals_wilcox_test_and_effectsize(r, name):
    b, a = paired_sets()[name]
    res = wilcoxon_paired(b, a, zero_method="wilcox")
    assert res["p"] == approx(r[f"wx.{name}.p"])
    assert res["effect"] == approx(r[f"wx.{name}.r_wilcox"])
    # CI: the documented SE √(Σ rᵢ²)/(d(d + 1)/2) over the non-zero differences (computed in R)
    assert res["ci_low"] == approx(r[f"wx.{name}.lo_wilcox_doc"])
    assert res["ci_high"] == approx(r[f"wx.{name}.hi_wilcox_doc"])
    if r[f"wx.{name}.ties_or_zeros"] == 0:  # no ties, no zeros: effectsize's CI exactly
        assert res["ci_low"] == approx(r[f"wx.{name}.lo_wilcox"])
        assert res["ci_high"] == approx(r[f"wx.{name}.hi_wilcox"])
    else:  # effectsize 0.8 uses the no-ties SE with n = all pairs: pinned in R
        assert r[f"wx.{name}.lo_wilcox"] == approx(r[f"wx.{name}.lo_wilcox_es"])
        assert r[f"wx.{name}.hi_wilcox"] == approx(r[f"wx.{name}.hi_wilcox_es"])


@pytest.mark.parametrize("name", list(paired_sets()))
def test_wilcoxon_pratt_equals_coin_and_its_documented_r(r, name):
    b, a = paired_sets()[name]
    for method in ("pratt", "zsplit"):
        res = wilcoxon_paired(b, a, zero_method=method)
        # p: coin::wilcoxsign_test(zero.method = "Pratt"), exact below 50 non-zero differences
        assert res["p"] == approx(r[f"wx.{name}.p_pratt"])
        # z of the test: coin's asymptotic Pratt statistic
        assert res["z"] == approx(r[f"wx.{name}.z_pratt"])
        # r and its CI by the documented formula (computed in R)
        assert res["effect"] == approx(r[f"wx.{name}.r_pratt"])
        assert res["ci_low"] == approx(r[f"wx.{name}.lo_pratt"])
        assert res["ci_high"] == approx(r[f"wx.{name}.hi_pratt"])
        # the CI is consistent with the test: r / SE is the Pratt z
        assert r[f"wx.{name}.r_pratt"] / r[f"wx.{name}.se_pratt"] == approx(r[f"wx.{name}.z_pratt"])


def test_pratt_ci_excludes_zero_when_the_pratt_test_is_significant(r):
    # the case: many zero differences, all changes in one direction
    b, a = paired_sets()["manyzeros"]
    res = wilcoxon_paired(b, a)
    assert res["n_zero"] == 13 and res["p"] < 0.05
    assert res["ci_low"] > 0


# ----------------------------------------------------------------------------- Mann–Whitney


@pytest.mark.parametrize("name", list(two_group_sets()))
def test_mann_whitney_equals_wilcox_test_and_effectsize(r, name):
    x, y = two_group_sets()[name]
    res = mann_whitney(x, y)
    assert res["statistic"] == approx(r[f"mw.{name}.W"])
    assert res["p"] == approx(r[f"mw.{name}.p"])
    assert res["effect"] == approx(r[f"mw.{name}.r"])
    assert res["ci_low"] == approx(r[f"mw.{name}.lo"])
    assert res["ci_high"] == approx(r[f"mw.{name}.hi"])


def test_mann_whitney_nine_vs_nine_uses_the_exact_p(r):
    x, y = two_group_sets()["nine"]
    assert mann_whitney(x, y)["p_method"] == "exact"


# ----------------------------------------------------------------------------- Kruskal–Wallis, Dunn


@pytest.mark.parametrize("name", list(kw_sets()))
def test_kruskal_wallis_and_epsilon_squared_equal_r(r, name):
    groups = kw_sets()[name]
    res = kruskal_wallis(groups, n_boot=2000)
    assert res["statistic"] == approx(r[f"kw.{name}.H"])
    assert res["df"] == r[f"kw.{name}.df"]
    assert res["p"] == approx(r[f"kw.{name}.p"])
    assert res["effect"] == approx(r[f"kw.{name}.eps"])
    # rstatix::kruskal_effsize is eta²_H = (H − k + 1)/(n − k): a different index, pinned here
    n, k = res["n"], len(groups)
    assert (res["statistic"] - k + 1) / (n - k) == approx(r[f"kw.{name}.eta2H"])
    # the CI is a percentile bootstrap in both; effectsize resamples all rows together,
    # we resample within groups (fixed group sizes): equal within bootstrap error only
    if np.isnan(r[f"kw.{name}.eps_lo"]):
        pytest.skip("R package boot is missing: effectsize gives no ε² CI to compare")
    assert res["ci_low"] == pytest.approx(r[f"kw.{name}.eps_lo"], abs=0.06)
    assert res["ci_high"] == pytest.approx(r[f"kw.{name}.eps_hi"], abs=0.12)


@pytest.mark.parametrize("name", list(kw_sets()))
def test_dunn_holm_equals_rstatix(r, name):
    groups = kw_sets()[name]
    data = pd.DataFrame([{"v": v, "g": g} for g, values in zip("abcdefg", groups) for v in values]).dropna()
    table = dunn_posthoc(data, "v", "g", p_adjust="holm")
    assert len(table) == len(groups) * (len(groups) - 1) // 2
    for row in table.itertuples():
        assert row.p == approx(r[f"dunn.{name}.{row.group_a}_{row.group_b}.p"])
        assert row.p_adjusted == approx(r[f"dunn.{name}.{row.group_a}_{row.group_b}.padj"])


def test_holm_and_bh_equal_p_adjust(r):
    holm, bh = adjust_pvalues(PVALUES, "holm"), adjust_pvalues(PVALUES, "bh")
    for i in range(len(PVALUES)):
        assert holm[i] == approx(r[f"holm.{i + 1}"])
        assert bh[i] == approx(r[f"bh.{i + 1}"])


# ----------------------------------------------------------------------------- proportions, tables


def test_wilson_equals_prop_test_without_correction(r):
    for i, (count, n) in enumerate(PROPORTIONS, start=1):
        low, high = wilson_ci(count, n)
        assert low == approx(r[f"wilson.{i}.lo"])
        assert high == approx(r[f"wilson.{i}.hi"])


@pytest.mark.parametrize("name", list(TABLES))
def test_chi_square_fisher_and_cramers_v_equal_r(r, name):
    res = categorical_test(TABLES[name])
    assert res["effect"] == approx(r[f"tab.{name}.V"])
    if res["test"] == "chi2":
        assert res["statistic"] == approx(r[f"tab.{name}.chi2"])
        assert res["p"] == approx(r[f"tab.{name}.chi2_p"])
    elif res["test"] == "fisher":
        assert res["p"] == approx(r[f"tab.{name}.fisher_p"])
    else:  # too many tables to enumerate: Monte Carlo p of 20 000 tables (SE ≈ 0.003)
        assert res["test"] == "fisher_mc"
        assert res["p"] == pytest.approx(r[f"tab.{name}.fisher_p"], abs=0.012)


# ----------------------------------------------------------------------------- coders


def test_cohen_kappa_equals_psych(r):
    two, three = coder_data()
    assert cohen_kappa(two[0], two[1]) == approx(r["kappa.two"])
    assert cohen_kappa(three[0], three[1]) == approx(r["kappa.bin12"])


def test_krippendorff_alpha_equals_the_formula_in_r(r):
    two, three = coder_data()
    assert krippendorff_alpha(two) == approx(r["kripp.two"])
    assert krippendorff_alpha(three) == approx(r["kripp.three"])
    assert krippendorff_alpha(KRIPP_2011) == approx(r["kripp.k2011"])
    assert r["kripp.k2011"] == pytest.approx(0.743, abs=5e-4)  # the published value


def test_agreement_table_alpha_and_kappa_equal_r(r):
    _, three = coder_data()
    units = [f"s{i}" for i in range(three.shape[1])]
    rows = []
    for coder, line in zip(["K1", "K2"], three[:2]):
        for unit, value in zip(units, line):
            if not np.isnan(value):
                rows.append({"segment_id": unit, "coder": coder, "code": "housing" if value == 1 else None})
    codings = pd.DataFrame(rows)
    table = agreement_table(codings, units, coders=["K1", "K2"], coverage="rows", n_boot=0).set_index("code")
    assert table.loc["housing", "alpha"] == approx(r["kripp.bin12"])
    assert table.loc["housing", "kappa"] == approx(r["kappa.bin12"])
    # three coders: α over all, κ = Light's mean of the pairwise Cohen's κ (psych::cohen.kappa per pair)
    rows = [{"segment_id": unit, "coder": coder, "code": "housing" if value == 1 else None}
            for coder, line in zip(["K1", "K2", "K3"], three) for unit, value in zip(units, line)
            if not np.isnan(value)]
    table = agreement_table(pd.DataFrame(rows), units, coders=["K1", "K2", "K3"], coverage="rows",
                            n_boot=0).set_index("code")
    assert table.loc["housing", "alpha"] == approx(r["kripp.three"])
    assert table.loc["housing", "kappa"] == approx(r["kappa.light3"])


# ----------------------------------------------------------------------------- reliability


@pytest.mark.parametrize("name", list(reliability_sets()))
def test_alpha_feldt_item_statistics_equal_psych(r, name):
    data = reliability_sets()[name]
    res = cronbach_alpha(data, missing="listwise")
    assert res["n"] == r[f"rel.{name}.n"]
    assert res["alpha"] == approx(r[f"rel.{name}.alpha"])
    assert res["ci_low"] == approx(r[f"rel.{name}.ci_lo"])
    assert res["ci_high"] == approx(r[f"rel.{name}.ci_hi"])
    items = item_statistics(data)
    for j, row in enumerate(items.itertuples(), start=1):
        assert row.item_rest_r == approx(r[f"rel.{name}.rdrop.{j}"])
        assert row.alpha_if_deleted == approx(r[f"rel.{name}.adrop.{j}"])
    assert cronbach_alpha(data, missing="pairwise")["alpha"] == approx(r[f"rel.{name}.alpha_pairwise"])


@pytest.mark.parametrize("name", list(reliability_sets()))
def test_omega_total_equals_lavaan_one_factor(r, name):
    data = reliability_sets()[name]
    # ML with uniquenesses bounded at 0.005, as factanal
    assert omega_total(data) == approx(r[f"rel.{name}.omega_factanal"])
    if r[f"rel.{name}.heywood"] == 0:  # a proper solution: lavaan's too
        assert omega_total(data) == approx(r[f"rel.{name}.omega"])
    else:  # a Heywood case (3 items, n = 12): lavaan lets a residual variance go negative
        assert name == "n12"
    # psych::omega(nfactors = 1) (minres, observed total variance) differs slightly by design
    assert omega_total(data) == pytest.approx(r[f"rel.{name}.omega_psych"], abs=0.05)


# ----------------------------------------------------------------------------- trends


@pytest.mark.parametrize("name", ["under", "over"])
def test_share_trend_equals_glm_quasibinomial_with_dispersion_at_least_one(r, name):
    shares = share_data()[name]
    table = share_trend(shares.assign(share=shares.n_words_role / shares.n_words)).set_index("method")
    spear, glm = table.loc["spearman"], table.loc["glm_quasibinomial"]
    assert spear["statistic"] == approx(r[f"trend.{name}.rho"])
    assert spear["p"] == approx(r[f"trend.{name}.rho_p"])
    assert glm["statistic"] == approx(r[f"trend.{name}.slope"])
    assert glm["dispersion"] == approx(r[f"trend.{name}.phi"])
    assert glm["p"] == approx(r[f"trend.{name}.p"])
    assert glm["ci_low"] == approx(r[f"trend.{name}.lo"])
    assert glm["ci_high"] == approx(r[f"trend.{name}.hi"])
    if name == "under":  # the data are less variable than binomial: the floor is used
        assert r["trend.under.phi_raw"] < 1 and glm["dispersion"] == 1.0
    else:
        assert r["trend.over.phi_raw"] > 1


def test_code_trend_equals_prop_trend_test_and_glm(r):
    row = code_trend(timeline_data()).iloc[0]
    n = r["ctrend.N"]
    # statsmodels' linear-by-linear z² = Cochran–Armitage X² × (N − 1)/N
    assert row["statistic"] == approx(r["ctrend.ca_chi2"] * (n - 1) / n)
    assert row["odds_ratio_year"] == approx(r["ctrend.or"])
    assert row["dispersion"] == approx(r["ctrend.phi"])
    assert row["or_ci_low"] == approx(r["ctrend.or_lo"])
    assert row["or_ci_high"] == approx(r["ctrend.or_hi"])
