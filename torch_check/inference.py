"""Statistical tests for the new empirical claims (L-D.1, E-5b, E-6, E-7, E-11).

Small, pure functions (a ``numpy.random.Generator`` is passed in, so every result is
reproducible from the run's seed); each returns a JSON-ready dict naming the test, its
level and its sidedness, so that a check's evidence says exactly what was decided.

- :func:`clopper_pearson`: exact binomial interval for a fraction of runs;
- :func:`spearman`: rank correlation (average ranks for ties);
- :func:`trend_test`: one-sided permutation test of Spearman's ρ between a setting (depth,
  width, training progress) and a measured value; ``strata`` permutes within groups (e.g.
  within each seed's trajectory), otherwise across all runs;
- :func:`two_sample_test`: one-sided permutation test of a difference of means;
- :func:`bootstrap_ci`: percentile bootstrap interval of any statistic of a sample.

(The experiments helper keeps its own ``torch_check/stats.py``; these are separate so
that the two branches merge cleanly.  The keys of the returned dicts are part of the API.)
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import Callable, Sequence

import numpy as np
from scipy import stats as _st

__all__ = ["ALPHA", "LEVEL", "clopper_pearson", "spearman", "trend_test", "two_sample_test", "bootstrap_ci"]

ALPHA = 0.01  # level of the permutation tests
LEVEL = 0.95  # confidence level of the intervals


def clopper_pearson(k: int, n: int, level: float = LEVEL) -> dict:
    """Exact (Clopper-Pearson) two-sided interval for a binomial proportion k / n."""
    if not (0 <= k <= n and n >= 1):
        raise ValueError(f"need 0 <= k <= n, n >= 1; got k={k}, n={n}")
    a = 1.0 - level
    lo = 0.0 if k == 0 else float(_st.beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(_st.beta.ppf(1 - a / 2, k + 1, n - k))
    return {"k": int(k), "n": int(n), "fraction": k / n, "interval": [lo, hi], "level": level,
            "interval_kind": "Clopper-Pearson (exact binomial)"}


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    rx, ry = _st.rankdata(np.asarray(x, float)), _st.rankdata(np.asarray(y, float))
    rx, ry = rx - rx.mean(), ry - ry.mean()
    den = math.sqrt(float(np.sum(rx * rx) * np.sum(ry * ry)))
    return float(np.sum(rx * ry) / den) if den > 0 else 0.0


def trend_test(levels: Sequence[float], values: Sequence[float], direction: str, rng: np.random.Generator,
               strata: Sequence[int] | None = None, alpha: float = ALPHA, n_perm: int = 10000) -> dict:
    """One-sided permutation test that ``values`` fall (or rise) with ``levels``.

    Statistic: Spearman's ρ.  Null: the values are exchangeable across levels (within each
    stratum when ``strata`` is given).  ``p = (1 + #{ρ_perm at least as extreme}) / (1 + n_perm)``.
    ``significant`` means p <= α with ρ of the predicted sign.
    """
    if direction not in ("falls", "rises"):
        raise ValueError(f"direction must be 'falls' or 'rises', got {direction!r}")
    x, y = np.asarray(levels, float), np.asarray(values, float)
    if x.shape != y.shape or x.ndim != 1 or x.size < 3:
        raise ValueError("need matching 1-d levels and values with at least 3 entries")
    sign = -1.0 if direction == "falls" else 1.0
    rho = spearman(x, y)
    groups = [np.arange(x.size)] if strata is None else [np.nonzero(np.asarray(strata) == s)[0]
                                                         for s in np.unique(strata)]
    count = 0
    for _ in range(n_perm):
        yp = y.copy()
        for g in groups:
            yp[g] = y[rng.permutation(g)]
        if sign * spearman(x, yp) >= sign * rho - 1e-12:
            count += 1
    p = (1 + count) / (1 + n_perm)
    return {"test": "one-sided permutation test of Spearman's rho"
                    + (" (values permuted within strata)" if strata is not None else " (values permuted across runs)"),
            "direction": direction, "alpha": alpha, "n_permutations": n_perm, "entries": int(x.size),
            "spearman_rho": rho, "p_value": p, "significant": bool(p <= alpha and sign * rho > 0)}


def two_sample_test(a: Sequence[float], b: Sequence[float], rng: np.random.Generator, alternative: str = "greater",
                    alpha: float = ALPHA, n_perm: int = 20000) -> dict:
    """Permutation test of ``mean(a) - mean(b)`` (exact when the splits number at most n_perm)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.size < 2 or b.size < 2:
        raise ValueError("each group needs at least 2 values")
    if alternative not in ("greater", "less"):
        raise ValueError("alternative must be 'greater' or 'less'")
    pooled = np.concatenate([a, b])
    obs = float(a.mean() - b.mean())
    sign = 1.0 if alternative == "greater" else -1.0
    N, na = pooled.size, a.size
    if math.comb(N, na) <= n_perm:
        diffs = []
        for idx in combinations(range(N), na):
            m = np.zeros(N, bool)
            m[list(idx)] = True
            diffs.append(pooled[m].mean() - pooled[~m].mean())
        diffs = np.array(diffs)
        p = float(np.mean(sign * diffs >= sign * obs - 1e-12))
        exact = True
    else:
        diffs = np.array([(lambda q: q[:na].mean() - q[na:].mean())(rng.permutation(pooled)) for _ in range(n_perm)])
        p = (1 + int(np.sum(sign * diffs >= sign * obs - 1e-12))) / (1 + n_perm)
        exact = False
    return {"test": f"one-sided permutation test of the difference of means ({'exact' if exact else 'Monte Carlo'})",
            "alternative": alternative, "alpha": alpha, "difference": obs, "p_value": p,
            "significant": bool(p <= alpha and sign * obs > 0)}


def bootstrap_ci(sample: Sequence, statistic: Callable[[np.ndarray], float], rng: np.random.Generator,
                 level: float = LEVEL, n_boot: int = 4000) -> dict:
    """Percentile bootstrap interval of ``statistic`` over resamples of ``sample`` (rows)."""
    s = np.asarray(sample, float)
    est = float(statistic(s))
    idx = rng.integers(0, len(s), size=(n_boot, len(s)))
    boots = np.array([statistic(s[i]) for i in idx])
    a = (1 - level) / 2
    return {"estimate": est, "interval": [float(np.quantile(boots, a)), float(np.quantile(boots, 1 - a))],
            "level": level, "interval_kind": f"percentile bootstrap, {n_boot} resamples"}
