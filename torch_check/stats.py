"""Statistics for the empirical claims: permutation tests, bootstrap intervals, binomial intervals.

Every function is pure (a ``numpy.random.Generator`` is passed in, so results are
reproducible from the run's seed) and returns JSON-ready dicts that name the test, its
level and its sidedness, so that a check's evidence states exactly what was decided:

- :func:`trend_test`: is there a monotone trend of ``values`` along ``levels`` (depth,
  width, scale)?  Statistic: Spearman's ρ between level and value (average ranks for
  ties); one-sided p-value by permuting the level labels across runs (Monte Carlo with
  ``n_perm`` permutations, ``p = (1 + #{ρ_perm as extreme}) / (1 + n_perm)``, a valid
  p-value).  The effect size is the difference of the group means between the first and
  the last level, with a percentile bootstrap interval (runs resampled within levels).
- :func:`two_sample_test`: difference of means of two groups, one- or two-sided,
  permutation p-value (exact enumeration when the number of splits is at most ``n_perm``),
  with a bootstrap interval for the difference.
- :func:`mean_ci`, :func:`bootstrap_ci`: percentile bootstrap intervals.
- :func:`clopper_pearson`, :func:`wilson`, :func:`proportion`: binomial intervals for the
  fraction of runs that end in a structure.
- :func:`interval_meets_band`: the "consistent with a prediction" rule used by competing-
  prediction controls: a prediction ``target ± tolerance`` is *rejected* only when the
  confidence interval of the measured quantity lies entirely outside the band, so noisy
  data accept every prediction (and a control built on it then shows UNSOUND, not PASS).

Other helpers (E-1, E-5b, E-6, E-7, E-11 ...) can use the same functions; the keys of the
returned dicts are part of the API.
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import Callable, Sequence

import numpy as np
from scipy import stats as _st

__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_LEVEL",
    "spearman",
    "trend_test",
    "two_sample_test",
    "mean_ci",
    "bootstrap_ci",
    "clopper_pearson",
    "wilson",
    "proportion",
    "interval_meets_band",
]

DEFAULT_ALPHA = 0.01  # significance level of the permutation tests
DEFAULT_LEVEL = 0.95  # confidence level of the intervals


def _ranks(x: np.ndarray) -> np.ndarray:
    return _st.rankdata(x, axis=-1)


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation (average ranks for ties); 0 when either side is constant."""
    rx, ry = _ranks(np.asarray(x, float)), _ranks(np.asarray(y, float))
    rx, ry = rx - rx.mean(), ry - ry.mean()
    den = math.sqrt(float(np.sum(rx * rx) * np.sum(ry * ry)))
    return float(np.sum(rx * ry) / den) if den > 0 else 0.0


def _spearman_rows(rx: np.ndarray, ry_rows: np.ndarray) -> np.ndarray:
    rx = rx - rx.mean()
    ry = ry_rows - ry_rows.mean(axis=1, keepdims=True)
    den = np.sqrt(np.sum(rx * rx) * np.sum(ry * ry, axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (ry @ rx) / den
    return np.where(den > 0, out, 0.0)


def trend_test(levels: Sequence[float], values: Sequence[float], direction: str, rng: np.random.Generator,
               alpha: float = DEFAULT_ALPHA, n_perm: int = 20000, level: float = DEFAULT_LEVEL,
               n_boot: int = 4000) -> dict:
    """One-sided permutation test of a monotone trend; ``direction`` is 'falls' or 'rises'.

    ``levels[i]`` is run i's setting (e.g. its depth), ``values[i]`` its measured value.
    Returns the test's name, α, ρ, p, ``significant`` (p <= α with ρ of the predicted sign),
    and the effect size ``mean(first level) - mean(last level)`` ('falls'; reversed for
    'rises', so a positive effect is the predicted one) with its bootstrap interval.
    """
    if direction not in ("falls", "rises"):
        raise ValueError(f"direction must be 'falls' or 'rises', got {direction!r}")
    x, y = np.asarray(levels, float), np.asarray(values, float)
    if x.shape != y.shape or x.ndim != 1 or x.size < 3:
        raise ValueError("need matching 1-d levels and values with at least 3 runs")
    sign = -1.0 if direction == "falls" else 1.0
    rx, ry = _ranks(x), _ranks(y)
    rho = spearman(x, y)
    perms = rng.permuted(np.tile(ry, (n_perm, 1)), axis=1)
    rho_perm = _spearman_rows(rx, perms)
    extreme = int(np.sum(sign * rho_perm >= sign * rho - 1e-12))
    p = (1 + extreme) / (1 + n_perm)
    uniq = np.unique(x)
    groups = [y[x == u] for u in uniq]
    effect_fn = (lambda g: float(np.mean(g[0]) - np.mean(g[-1]))) if direction == "falls" else \
        (lambda g: float(np.mean(g[-1]) - np.mean(g[0])))
    effect = effect_fn(groups)
    lo, hi = bootstrap_ci(groups, effect_fn, rng, level=level, n_boot=n_boot)
    return {"test": "one-sided permutation test of Spearman's rho (level labels permuted across runs)",
            "direction": direction, "alpha": alpha, "n_permutations": n_perm, "runs": int(x.size),
            "levels": [float(u) for u in uniq], "spearman_rho": rho, "p_value": p,
            "significant": bool(p <= alpha and sign * rho > 0),
            "effect": ("mean(first level) - mean(last level)" if direction == "falls"
                       else "mean(last level) - mean(first level)"),
            "effect_size": effect, "effect_interval": [lo, hi], "interval_level": level,
            "interval": f"percentile bootstrap, {n_boot} resamples within levels"}


def two_sample_test(a: Sequence[float], b: Sequence[float], rng: np.random.Generator, alternative: str = "greater",
                    alpha: float = DEFAULT_ALPHA, n_perm: int = 20000, level: float = DEFAULT_LEVEL,
                    n_boot: int = 4000) -> dict:
    """Permutation test of ``mean(a) - mean(b)``; ``alternative`` 'greater', 'less' or 'two-sided'.

    Exact (every split enumerated) when there are at most ``n_perm`` splits, else Monte Carlo.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.size < 2 or b.size < 2:
        raise ValueError("each group needs at least 2 runs")
    pooled = np.concatenate([a, b])
    na, N = a.size, pooled.size
    obs = float(a.mean() - b.mean())
    n_splits = math.comb(N, na)
    if n_splits <= n_perm:
        idx = np.array(list(combinations(range(N), na)))
        mask = np.zeros((len(idx), N), bool)
        mask[np.arange(len(idx))[:, None], idx] = True
        exact = True
    else:
        mask = np.zeros((n_perm, N), bool)
        order = rng.permuted(np.tile(np.arange(N), (n_perm, 1)), axis=1)
        mask[np.arange(n_perm)[:, None], order[:, :na]] = True
        exact = False
    sa = (mask * pooled).sum(axis=1)
    diffs = sa / na - (pooled.sum() - sa) / (N - na)
    tol = 1e-12 * max(1.0, abs(obs))
    if alternative == "greater":
        count = np.sum(diffs >= obs - tol)
    elif alternative == "less":
        count = np.sum(diffs <= obs + tol)
    elif alternative == "two-sided":
        count = np.sum(np.abs(diffs) >= abs(obs) - tol)
    else:
        raise ValueError(f"alternative must be 'greater', 'less' or 'two-sided', got {alternative!r}")
    p = count / len(diffs) if exact else (1 + count) / (1 + len(diffs))
    right_sign = {"greater": obs > 0, "less": obs < 0, "two-sided": obs != 0}[alternative]
    lo, hi = bootstrap_ci([a, b], lambda g: float(np.mean(g[0]) - np.mean(g[1])), rng, level=level, n_boot=n_boot)
    return {"test": f"permutation test of the difference of means ({'exact' if exact else 'Monte Carlo'}, "
                    f"{alternative})", "alpha": alpha, "n_splits": int(len(diffs)), "sizes": [int(na), int(N - na)],
            "difference_of_means": obs, "p_value": float(p), "significant": bool(p <= alpha and right_sign),
            "difference_interval": [lo, hi], "interval_level": level,
            "interval": f"percentile bootstrap, {n_boot} resamples within groups"}


def bootstrap_ci(groups: Sequence[Sequence[float]], statistic: Callable[[list], float], rng: np.random.Generator,
                 level: float = DEFAULT_LEVEL, n_boot: int = 4000) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic(groups)``, each group resampled with replacement."""
    gs = [np.asarray(g, float) for g in groups]
    draws = np.empty(n_boot)
    idx = [rng.integers(0, g.size, size=(n_boot, g.size)) for g in gs]
    for i in range(n_boot):
        draws[i] = statistic([g[j[i]] for g, j in zip(gs, idx)])
    q = (1 - level) / 2
    return float(np.quantile(draws, q)), float(np.quantile(draws, 1 - q))


def mean_ci(x: Sequence[float], rng: np.random.Generator, level: float = DEFAULT_LEVEL, n_boot: int = 4000) -> dict:
    """Mean, standard deviation and percentile bootstrap interval of the mean."""
    v = np.asarray(x, float)
    lo, hi = bootstrap_ci([v], lambda g: float(np.mean(g[0])), rng, level=level, n_boot=n_boot)
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if v.size > 1 else 0.0, "runs": int(v.size),
            "interval": [lo, hi], "interval_level": level, "method": f"percentile bootstrap, {n_boot} resamples"}


def clopper_pearson(k: int, n: int, level: float = DEFAULT_LEVEL) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval for a binomial proportion k/n."""
    if not (0 <= k <= n) or n < 1:
        raise ValueError(f"need 0 <= k <= n, n >= 1, got k={k}, n={n}")
    a = 1 - level
    lo = 0.0 if k == 0 else float(_st.beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(_st.beta.ppf(1 - a / 2, k + 1, n - k))
    return lo, hi


def wilson(k: int, n: int, level: float = DEFAULT_LEVEL) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion k/n."""
    if not (0 <= k <= n) or n < 1:
        raise ValueError(f"need 0 <= k <= n, n >= 1, got k={k}, n={n}")
    z = float(_st.norm.ppf(1 - (1 - level) / 2))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def proportion(k: int, n: int, level: float = DEFAULT_LEVEL, method: str = "clopper-pearson") -> dict:
    """``{"k", "n", "fraction", "interval", "method", "interval_level"}`` for k of n runs."""
    if n == 0:
        return {"k": 0, "n": 0, "fraction": None, "interval": [0.0, 1.0], "method": method, "interval_level": level}
    fn = {"clopper-pearson": clopper_pearson, "wilson": wilson}[method]
    lo, hi = fn(k, n, level)
    return {"k": int(k), "n": int(n), "fraction": k / n, "interval": [lo, hi], "method": method,
            "interval_level": level}


def interval_meets_band(interval: Sequence[float], target: float, tolerance: float) -> bool:
    """True unless the interval lies entirely outside ``[target - tolerance, target + tolerance]``."""
    lo, hi = float(interval[0]), float(interval[1])
    return not (lo > target + tolerance or hi < target - tolerance)
