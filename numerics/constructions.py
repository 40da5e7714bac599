"""Logit constructions of Part 1 (App. D.1) and the thresholds that compare them.

Constructions (mean-logit matrices ``Zbar``, K x K; the logits are ``Z = Zbar ⊗ 1_n^T``):

* DNC (Def. 2.1): ``Zbar = M_K = I_K - (1/K) 1 1^T``; margins exactly 1.
* cross-polytope, K even (Eq. 12-14): ``Zbar = I_{K/2} ⊗ [[1, -1], [-1, 1]]``.
* cross-polytope, K odd, ``singleton="plain"``: ``blockdiag(I_{(K-1)/2} ⊗ [[1,-1],[-1,1]], [1])``.
* cross-polytope, K odd, ``singleton="centred"``: as "plain" with the last column
  replaced by ``e_K - (1/K) 1``.

Every function returns exact rationals (``fractions.Fraction`` object arrays) when
asked, so margins and singular values can be checked exactly; float64 otherwise.

Thresholds.  With ``p = L + 1`` and the (P_L) values
``V = (p/2) Σ_i σ_i^{2/p}``, the cross-polytope beats DNC (n cancels) iff

* K even:           ``K^p < 2^{L-1} (K-1)^p``                  (:func:`even_form_holds`)
* K odd, plain:     ``(K-1)^p < 2^{L-1} (K-2)^p``               (the even form at K-1)
* K odd, centred:   ``((K-1)/2) 4^{1/p} + ((K-1)/K)^{1/p} < K-1`` (algebraic; decided in arb);
  for L >= 2 equivalently ``K (K-1)^L (1 - 2^{(1-L)/(1+L)})^{L+1} > 1``; never for L = 1

The integer forms are derived in :func:`cp_beats_dnc_exact`'s docstring and proved
equivalent to ``V_CP < V_DNC`` symbolically in ``theorems/landscape/t3_1.py``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

import numpy as np

from .deep_ufm import random_orthogonal
from .intervals import arb, exact, working_precision
from .schatten import balanced_factors

__all__ = [
    "SINGLETONS",
    "require_classes",
    "require_depth",
    "dnc_mean_logits",
    "cross_polytope_mean_logits",
    "logits_of",
    "gauged_balanced_factors",
    "singular_values_claimed",
    "pl_value",
    "even_form_holds",
    "even_form_crossing",
    "cp_beats_dnc_exact",
    "centred_odd_gap_arb",
]

SINGLETONS = ("plain", "centred")


def require_classes(K, minimum: int = 2) -> int:
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)):
        raise ValueError(f"K (number of classes) must be an integer, got {K!r}")
    if K < minimum:
        raise ValueError(f"K must be >= {minimum}, got {K}")
    return int(K)


def require_depth(L) -> int:
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 1:
        raise ValueError(f"depth L must be an integer >= 1, got {L!r}")
    return int(L)


def _require_n(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n (samples per class) must be an integer >= 1, got {n!r}")
    return int(n)


def _as(M: np.ndarray, exact_arith: bool) -> np.ndarray:
    if exact_arith:
        return M
    return M.astype(float)


def dnc_mean_logits(K: int, *, exact_arith: bool = False) -> np.ndarray:
    """``M_K = I_K - (1/K) 1 1^T`` (the DNC mean logits, Def. 2.1)."""
    K = require_classes(K)
    M = np.array([[Fraction(int(i == j)) - Fraction(1, K) for j in range(K)] for i in range(K)], dtype=object)
    return _as(M, exact_arith)


def cross_polytope_mean_logits(K: int, *, singleton: str = "plain", exact_arith: bool = False) -> np.ndarray:
    """The cross-polytope mean logits (Eq. 14); for odd K, the singleton class is the last one.

    Needs K >= 3 (at K = 2 the "cross-polytope" is 2 M_2, DNC doubled, with margins 2).
    """
    K = require_classes(K, 3)
    if singleton not in SINGLETONS:
        raise ValueError(f"singleton must be one of {SINGLETONS}, got {singleton!r}")
    Z = np.array([[Fraction(0)] * K for _ in range(K)], dtype=object)
    for b in range(K // 2):
        i, j = 2 * b, 2 * b + 1
        Z[i, i] = Z[j, j] = Fraction(1)
        Z[i, j] = Z[j, i] = Fraction(-1)
    if K % 2 == 1:
        if singleton == "plain":
            Z[K - 1, K - 1] = Fraction(1)
        else:
            for i in range(K):
                Z[i, K - 1] = Fraction(int(i == K - 1)) - Fraction(1, K)
    return _as(Z, exact_arith)


def logits_of(mean_logits: np.ndarray, n: int) -> np.ndarray:
    """``Z = Zbar ⊗ 1_n^T`` (columns in class order)."""
    n = _require_n(n)
    return np.repeat(mean_logits, n, axis=1)


def gauged_balanced_factors(Z: np.ndarray, L: int, d: int, rng: np.random.Generator | None) -> list[np.ndarray]:
    """Balanced factors ``[H, W_1, ..., W_L]`` of Z as in Eq. (10)/(12): ``W_L = U S Q_L^T``,
    ``W_l = Q_{l+1} S Q_l^T``, ``H = Q_1 S V^T`` with random orthogonal ``Q_l`` (d x d).

    ``rng=None`` gives ``Q_l = I``.  The gauge leaves the product and every factor's
    singular values unchanged; it makes the factors generic rather than diagonal.
    """
    L = require_depth(L)
    F = balanced_factors(np.asarray(Z, dtype=float), L, d)
    if rng is None:
        return F
    Q = [random_orthogonal(d, rng) for _ in range(L)]  # Q_1 .. Q_L
    out = [Q[0] @ F[0]]
    for l in range(1, L):
        out.append(Q[l] @ F[l] @ Q[l - 1].T)
    out.append(F[L] @ Q[L - 1].T)
    return out


def singular_values_claimed(construction: str, K: int, n, *, pair_sigma_sq_per_n=4) -> list[tuple]:
    """The claimed non-zero squared singular values of a construction, as (value², multiplicity).

    ``construction`` in {"dnc", "cp_even", "cp_odd_plain", "cp_odd_centred"}; ``n`` may be
    a number or a sympy symbol; ``pair_sigma_sq_per_n`` is the claimed σ²/n of each
    cross-polytope pair block (4 in the paper: σ = 2√n); negative controls change it.
    """
    if isinstance(K, (int, np.integer)):
        half_even, half_odd = int(K) // 2, (int(K) - 1) // 2
    else:  # a sympy symbol: the caller states the parity
        half_even, half_odd = K / 2, (K - 1) / 2
    if construction == "dnc":
        return [(n, K - 1)]
    if construction == "cp_even":
        return [(pair_sigma_sq_per_n * n, half_even)]
    if construction == "cp_odd_plain":
        return [(pair_sigma_sq_per_n * n, half_odd), (n, 1)]
    if construction == "cp_odd_centred":
        return [(pair_sigma_sq_per_n * n, half_odd), (Fraction(K - 1, K) * n if isinstance(n, int) else (K - 1) * n / K, 1)]
    raise ValueError(f"unknown construction {construction!r}")


def pl_value(sigma_sq: Sequence[tuple], L, root=None):
    """``((L+1)/2) Σ mult · (σ²)^{1/(L+1)}`` for squared singular values with multiplicities.

    ``root(x, p)`` computes ``x^{1/p}`` (default: float power); pass a sympy/mpmath/arb
    root to evaluate exactly or rigorously.
    """
    p = L + 1
    if root is None:
        def root(x, q):
            return float(x) ** (1.0 / q)
    return sum(m * root(s, p) for s, m in sigma_sq) * p / 2


# --------------------------------------------------------------------------- thresholds
def even_form_holds(k: int, L: int) -> bool:
    """Exact integers: ``k^{L+1} < 2^{L-1} (k-1)^{L+1}``."""
    k, L = int(k), require_depth(L)
    return k ** (L + 1) < 2 ** (L - 1) * (k - 1) ** (L + 1)


def even_form_crossing(L: int, k_max: int) -> int | None:
    """Smallest integer ``k`` in ``[3, k_max]`` where the even form holds, by exact bisection.

    Valid because the even form is monotone increasing in k for k >= 3 (proved in T3.1's
    symbolic check); the boundary ``k*-1`` fails / ``k*`` holds is re-verified exactly.
    Returns None when it fails on all of ``[3, k_max]``.
    """
    L = require_depth(L)
    if not even_form_holds(k_max, L):
        return None
    if even_form_holds(3, L):
        return 3
    lo, hi = 3, k_max  # fails at lo, holds at hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if even_form_holds(mid, L):
            hi = mid
        else:
            lo = mid
    assert not even_form_holds(hi - 1, L) and even_form_holds(hi, L)
    return hi


def centred_odd_gap_arb(K: int, L: int, prec: int = 128):
    """Ball for ``(K-1) - [((K-1)/2) 4^{1/p} + ((K-1)/K)^{1/p}]`` (> 0 iff the centred odd
    cross-polytope beats DNC), p = L + 1."""
    p = require_depth(L) + 1
    with working_precision(prec):
        one_over_p = exact(Fraction(1, p))
        return arb(K - 1) - (arb(K - 1) / 2 * arb(4) ** one_over_p + exact(Fraction(K - 1, K)) ** one_over_p)


def cp_beats_dnc_exact(K: int, L: int, singleton: str = "plain") -> bool:
    """Whether the cross-polytope's (P_L) value is strictly below DNC's, decided exactly.

    Derivation (p = L + 1; n cancels since every σ² carries the factor n):
    even: ``(K/2) 4^{1/p} < K - 1  ⟺  (K/2)^p 4 < (K-1)^p  ⟺  K^p < 2^{L-1} (K-1)^p``;
    odd plain: ``((K-1)/2) 4^{1/p} + 1 < K - 1  ⟺  ((K-1)/2) 4^{1/p} < K - 2``, the even form
    at ``K - 1`` (for K = 3 the right side is 1 and the left > 1);
    odd centred: no integer form (two radicals); decided by arb balls, with precision
    raised until the sign is certain.
    """
    K, L = require_classes(K, 3), require_depth(L)
    if K % 2 == 0:
        return even_form_holds(K, L)
    if singleton == "plain":
        return even_form_holds(K - 1, L)
    if singleton != "centred":
        raise ValueError(f"singleton must be one of {SINGLETONS}, got {singleton!r}")
    for prec in (64, 128, 512, 2048):
        g = centred_odd_gap_arb(K, L, prec)
        if g > 0:
            return True
        if g < 0:
            return False
    raise ArithmeticError(f"could not decide the centred odd threshold at K={K}, L={L}")
