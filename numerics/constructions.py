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
equivalent to ``V_CP < V_DNC`` symbolically in ``theorems/landscape/t3_1/thresholds.py``.
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
    "cp_gap_arb",
    "CONSTRUCTIONS",
    "integer_mean_logits",
    "exact_column_margins",
    "known_svd",
    "householder_vectors",
    "balanced_factor_stream",
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


def cp_gap_arb(K: int, L: int, singleton: str = "plain", prec: int = 128):
    """Ball for ``(V_DNC - V_CP) / ((p/2) n^{1/p})`` from the threshold formulas (p = L + 1):

    even K: ``(K-1) - (K/2) 4^{1/p}``; odd plain: ``(K-1) - [((K-1)/2) 4^{1/p} + 1]``;
    odd centred: :func:`centred_odd_gap_arb`.  Positive iff the cross-polytope beats DNC.  Written
    from the thresholds, not from :func:`singular_values_claimed`: the two are compared in T3.1.
    """
    K, p = require_classes(K, 3), require_depth(L) + 1
    if K % 2 == 1 and singleton == "centred":
        return centred_odd_gap_arb(K, L, prec)
    if K % 2 == 1 and singleton != "plain":
        raise ValueError(f"singleton must be one of {SINGLETONS}, got {singleton!r}")
    with working_precision(prec):
        four_root = arb(4) ** exact(Fraction(1, p))
        if K % 2 == 0:
            return arb(K - 1) - arb(K) / 2 * four_root
        return arb(K - 1) - (arb(K - 1) / 2 * four_root + 1)


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


# --------------------------------------------------------------------------- structured constructions
CONSTRUCTIONS = ("dnc", "cp_even", "cp_odd_plain", "cp_odd_centred")


def _construction(construction: str, K: int) -> int:
    K = require_classes(K, 2 if construction == "dnc" else 3)
    if construction not in CONSTRUCTIONS:
        raise ValueError(f"construction must be one of {CONSTRUCTIONS}, got {construction!r}")
    if construction == "cp_even" and K % 2:
        raise ValueError(f"cp_even needs an even K, got {K}")
    if construction.startswith("cp_odd") and K % 2 == 0:
        raise ValueError(f"{construction} needs an odd K, got {K}")
    return K


def integer_mean_logits(construction: str, K: int) -> tuple[np.ndarray, int]:
    """``(Zint, D)`` with the mean logits ``Zbar = Zint / D`` exactly (int64; D = K for DNC and the centred
    singleton, 1 otherwise); O(K²), the same matrices as :func:`dnc_mean_logits` and
    :func:`cross_polytope_mean_logits`."""
    K = _construction(construction, K)
    if construction == "dnc":
        return K * np.eye(K, dtype=np.int64) - np.ones((K, K), dtype=np.int64), K
    D = K if construction == "cp_odd_centred" else 1
    Z = np.zeros((K, K), dtype=np.int64)
    b = np.arange(K // 2)
    Z[2 * b, 2 * b] = Z[2 * b + 1, 2 * b + 1] = D
    Z[2 * b, 2 * b + 1] = Z[2 * b + 1, 2 * b] = -D
    if construction == "cp_odd_plain":
        Z[K - 1, K - 1] = 1
    elif construction == "cp_odd_centred":
        Z[:, K - 1] = -1
        Z[K - 1, K - 1] = K - 1
    return Z, D


def exact_column_margins(Zint: np.ndarray, D: int) -> list[Fraction]:
    """``Zbar[c, c] - max_{c' != c} Zbar[c', c]`` for ``Zbar = Zint / D``, exactly (integer arithmetic)."""
    Zint = np.asarray(Zint, dtype=np.int64)
    K = Zint.shape[0]
    off = Zint.copy()
    off[np.arange(K), np.arange(K)] = np.iinfo(np.int64).min
    gaps = np.diag(Zint) - off.max(axis=0)
    return [Fraction(int(g), int(D)) for g in gaps]


def known_svd(construction: str, K: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The closed-form thin SVD ``Zbar = U diag(σ) V^T`` of a construction (float64, O(K²)):

    * DNC: ``U = V`` = the first K-1 columns of the Householder reflection swapping ``e_K`` and
      ``1/√K`` (an orthonormal basis of ``1^⊥``), σ = 1;
    * cross-polytope pairs: ``u = v = (e_{2b} - e_{2b+1})/√2``, σ = 2;
    * odd plain singleton: ``u = v = e_K``, σ = 1; odd centred singleton: ``u = M_K e_K / ||M_K e_K||``,
      ``v = e_K``, ``σ = sqrt((K-1)/K)`` (u is orthogonal to every pair vector, v to every pair column).
    """
    K = _construction(construction, K)
    if construction == "dnc":
        w = np.full(K, 1.0 / np.sqrt(K))
        w[K - 1] -= 1.0
        w /= np.linalg.norm(w)
        Q = np.eye(K) - 2.0 * np.outer(w, w)
        U = Q[:, : K - 1]
        return U, np.ones(K - 1), U.copy()
    pairs = K // 2
    U = np.zeros((K, pairs + (K % 2)))
    b = np.arange(pairs)
    U[2 * b, b] = 1 / np.sqrt(2.0)
    U[2 * b + 1, b] = -1 / np.sqrt(2.0)
    sigma = [2.0] * pairs
    V = U.copy()
    if construction == "cp_odd_plain":
        U[K - 1, pairs] = V[K - 1, pairs] = 1.0
        sigma.append(1.0)
    elif construction == "cp_odd_centred":
        u = -np.ones(K) / K
        u[K - 1] += 1.0
        U[:, pairs] = u / np.linalg.norm(u)
        V[K - 1, pairs] = 1.0
        sigma.append(float(np.sqrt((K - 1) / K)))
    return U, np.array(sigma), V


def householder_vectors(d: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """k random unit vectors (rows): the orthogonal gauge ``Q = (I - 2 w_1 w_1^T) ... (I - 2 w_k w_k^T)``."""
    W = rng.standard_normal((k, d))
    return W / np.linalg.norm(W, axis=1, keepdims=True)


# The O(d²) steps below are memory-bound; they use einsum, not BLAS level 1-2 calls, whose thread pools
# stall badly when the machine is oversubscribed (measured: 5-10x slower at load 8 on 2 cores).
def _vec_mat(w: np.ndarray, X: np.ndarray) -> np.ndarray:
    return np.einsum("i,ij->j", w, X)


def _mat_vec(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.einsum("ij,j->i", X, w)


def _reflect_left(Ws: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``Q X`` for ``Q = H_1 ... H_k``, H_i = I - 2 w_i w_i^T, in O(k d cols) (a copy of X is updated)."""
    X = np.array(X, dtype=float, copy=True)
    for w in Ws[::-1]:
        X -= 2.0 * np.outer(w, _vec_mat(w, X))
    return X


def _reflect_right_transpose(X: np.ndarray, Ws: np.ndarray) -> np.ndarray:
    """``X Q^T`` for ``Q = H_1 ... H_k`` (Q^T = H_k ... H_1), in O(k rows d)."""
    X = np.array(X, dtype=float, copy=True)
    for w in Ws[::-1]:  # X H_k first, then H_{k-1}, ..., H_1 (each H_i symmetric)
        X -= 2.0 * np.outer(_mat_vec(X, w), w)
    return X


def balanced_factor_stream(U: np.ndarray, sigma: np.ndarray, V: np.ndarray, n: int, L: int, d: int,
                           rng: np.random.Generator | None, reflections: int = 1):
    """Yield the balanced factors ``F_0 = H, F_1, ..., F_L`` of ``Z = (U diag(σ) V^T) ⊗ 1_n^T`` one at a time
    (dense arrays; O(d² + dN) memory), with orthogonal gauges ``Q_l`` that are products of ``reflections``
    random Householder reflections (identity when ``rng`` is None):
    ``H = Q_1 [S Ṽ^T; 0]``, ``W_l = Q_{l+1} diag(S, 0) Q_l^T``, ``W_L = [U S, 0] Q_L^T`` with
    ``S = (√n σ)^{1/(L+1)}`` and ``Ṽ = (V ⊗ 1_n)/√n`` (so Z = U (√n σ) Ṽ^T)."""
    L, n = require_depth(L), _require_n(n)
    K, r = U.shape
    if d < r:
        raise ValueError(f"width d={d} is below the rank {r}")
    root = (np.sqrt(n) * np.asarray(sigma, dtype=float)) ** (1.0 / (L + 1))
    gauges = [householder_vectors(d, reflections, rng) if rng is not None else np.zeros((0, d)) for _ in range(L)]
    core = np.zeros((d, V.shape[0] * n))
    core[:r] = root[:, None] * (np.repeat(V.T, n, axis=1) / np.sqrt(n))
    yield _reflect_left(gauges[0], core)
    diag = np.zeros(d)
    diag[:r] = root
    for l in range(1, L):
        if reflections == 1 and rng is not None:
            # Q' D Q^T with Q = I - 2 w w^T, Q' = I - 2 w' w'^T: D - 2 (Dw) w^T - 2 w' b^T, b = Q D^T w'
            w, w2 = gauges[l - 1][0], gauges[l][0]
            a = diag * w
            b = diag * w2 - 2.0 * w * float(np.einsum("i,i->", a, w2))
            W = np.outer(a, w)
            W += np.outer(w2, b)
            W *= -2.0
            W[np.arange(d), np.arange(d)] += diag
            yield W
        else:
            yield _reflect_left(gauges[l], _reflect_right_transpose(np.diag(diag), gauges[l - 1]))
    WL = np.zeros((K, d))
    WL[:, :r] = U * root[None, :]
    yield _reflect_right_transpose(WL, gauges[L - 1])
