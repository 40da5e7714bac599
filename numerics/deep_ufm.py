"""The full deep unconstrained feature model (UFM), independent of the reduction.

Conventions (CLAIMS.md): ``Z = W_L ... W_1 H`` with ``H`` (d x N), ``W_l`` (d x d)
for l < L and ``W_L`` (K x d); ``N = K n`` columns in class order; the loss is the
SUM of cross-entropies.  Factors are kept as a list ``F = [H, W_1, ..., W_L]``
(``F[j]`` is factor j, L+1 of them).

For ``G = ∂ℒ/∂Z = P - Y`` (``P`` the column softmax) the exact gradient is

    ∂ℒ/∂F_j = A_{>j}^T G B_{<j}^T,   A_{>j} = F_L ... F_{j+1},  B_{<j} = F_{j-1} ... F_0,

and under gradient flow the logits move with (paper Eq. 56)

    Ż = Σ_j A_{>j} Ḟ_j B_{<j} = -Σ_j A_{>j} A_{>j}^T G B_{<j}^T B_{<j}.

Every function accepts float64 arrays or object arrays of ``mpmath.mpf``; the
latter give the same formulas at any precision (used for the 1e-30 checks).
"""

from __future__ import annotations

from typing import Sequence

import mpmath
import numpy as np

from .hadamard import require_power_of_two, sylvester
from .softmax import cross_entropy_sum, require_finite, softmax

__all__ = [
    "class_labels",
    "one_hot",
    "etf",
    "chain",
    "logits",
    "loss",
    "loss_gradient",
    "logit_velocity",
    "random_orthogonal",
    "hadamard_bases",
    "hadamard_init",
    "to_mp",
]


def _check_sizes(K: int, n: int) -> None:
    if not isinstance(K, (int, np.integer)) or K < 2:
        raise ValueError(f"K (number of classes) must be an integer >= 2, got {K!r}")
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n (samples per class) must be an integer >= 1, got {n!r}")


def class_labels(K: int, n: int) -> np.ndarray:
    """Class of each of the N = K n columns (class order)."""
    _check_sizes(K, n)
    return np.repeat(np.arange(K), n)


def one_hot(K: int, n: int) -> np.ndarray:
    """``Y = I_K ⊗ 1_n^T``."""
    return np.kron(np.eye(K), np.ones((1, n)))


def etf(K: int) -> np.ndarray:
    """Simplex ETF matrix ``M_K = I_K - (1/K) 1 1^T``."""
    return np.eye(K) - np.ones((K, K)) / K


def chain(factors: Sequence[np.ndarray], start: int, stop: int, like: np.ndarray) -> np.ndarray:
    """``F_{stop-1} ... F_{start}`` (identity of the right size when empty)."""
    if stop <= start:
        size = like.shape[0]
        eye = np.eye(size)
        return eye.astype(object) * mpmath.mpf(1) if like.dtype == object else eye
    out = factors[start]
    for j in range(start + 1, stop):
        out = factors[j] @ out
    return out


def logits(factors: Sequence[np.ndarray]) -> np.ndarray:
    return chain(factors, 0, len(factors), factors[0])


def loss(factors: Sequence[np.ndarray], K: int, n: int):
    return cross_entropy_sum(logits(factors), class_labels(K, n))


def _prefix_suffix(factors: Sequence[np.ndarray], like: np.ndarray) -> tuple[list, list]:
    """``B[j] = F_{j-1} ... F_0`` and ``A[j] = F_L ... F_{j+1}`` for every j, in 2(L+1) products.

    ``B[0]`` is the identity of order N and ``A[L]`` that of order K (same dtype as ``like``).
    """
    n_f = len(factors)
    B = [chain(factors, 0, 0, factors[0].T)]
    for j in range(1, n_f):
        B.append(factors[j - 1] @ B[j - 1] if j > 1 else factors[0])
    A = [None] * n_f
    A[n_f - 1] = chain(factors, n_f, n_f, like)
    for j in range(n_f - 2, -1, -1):
        A[j] = A[j + 1] @ factors[j + 1] if j < n_f - 2 else factors[n_f - 1]
    return A, B


def loss_gradient(factors: Sequence[np.ndarray], K: int, n: int) -> list:
    """``[∂ℒ/∂F_0, ..., ∂ℒ/∂F_L]`` (exact, by the chain rule above).

    The partial products ``A_{>j}`` and ``B_{<j}`` are formed once each (prefix and suffix
    products), so the cost is O(L) matrix products, not O(L²).
    """
    Z = require_finite(logits(factors), "logits")
    G = softmax(Z, axis=0) - one_hot(K, n)
    A, B = _prefix_suffix(factors, G)
    return [A[j].T @ G @ B[j].T for j in range(len(factors))]


def logit_velocity(factors: Sequence[np.ndarray], K: int, n: int) -> np.ndarray:
    """``Ż`` under gradient flow (Eq. 56), assembled from the factor velocities."""
    Z = require_finite(logits(factors), "logits")
    G = softmax(Z, axis=0) - one_hot(K, n)
    A, B = _prefix_suffix(factors, G)
    Zdot = None
    for j in range(len(factors)):
        g = A[j].T @ G @ B[j].T
        term = -(A[j] @ g @ B[j])
        Zdot = term if Zdot is None else Zdot + term
    return Zdot


def to_mp(a: np.ndarray) -> np.ndarray:
    """Object array of ``mpmath.mpf`` at the current precision."""
    return np.frompyfunc(mpmath.mpf, 1, 1)(np.asarray(a, dtype=object))


def random_orthogonal(d: int, rng: np.random.Generator, *, mp: bool = False) -> np.ndarray:
    """A random d x d orthogonal matrix as a product of d Householder reflections.

    Orthogonal to working precision in float64 and in mpmath (no inverse, no QR
    pivoting), so the 100-digit checks are not limited by the basis.
    """
    eye = np.eye(d)
    Q = to_mp(eye) if mp else eye
    for _ in range(d):
        v = rng.standard_normal(d)
        v = to_mp(v) if mp else v
        vv = np.sum(v * v)
        Q = Q - np.outer(v, (2 / vv) * (v @ Q))
    return Q


def hadamard_bases(K: int, n: int, *, mp: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``U = H_K/√K`` (K x K) and ``V = (H_K ⊗ 1_n^T)^T/√(K n)`` (N x K)."""
    require_power_of_two(K, minimum=2)
    _check_sizes(K, n)
    H = sylvester(K)
    V = np.kron(H, np.ones((1, n))).T
    if mp:
        return to_mp(H) / mpmath.sqrt(K), to_mp(V) / mpmath.sqrt(K * n)
    return H / np.sqrt(K), V / np.sqrt(K * n)


def hadamard_init(
    s: np.ndarray,
    n: int,
    d: int,
    Qs: Sequence[np.ndarray],
    *,
    mp: bool = False,
) -> list:
    """Factors of the Hadamard initialisation of Theorem 4.2.

    ``s`` has shape (L+1, K): row l is the diagonal of factor l's singular values
    (row 0: H, row L: W_L), in the Hadamard modes k = 0..K-1.  ``Qs`` holds the
    L orthogonal d x d matrices ``Q_1 .. Q_L``.  Returns ``[H, W_1, ..., W_L]`` with

        W_L = U S_L Q_L^T,  W_l = Q_{l+1} S_l Q_l^T,  H = Q_1 S_0 V^T.
    """
    s = np.asarray(s, dtype=object if mp else float)
    Lp1, K = s.shape
    L = Lp1 - 1
    if L < 1:
        raise ValueError("need L >= 1 weight matrices (s must have at least 2 rows)")
    if d < K:
        raise ValueError(f"Hadamard initialisation needs width d >= K, got d={d} < K={K}")
    if len(Qs) != L:
        raise ValueError(f"need L={L} orthogonal matrices Q_1..Q_L, got {len(Qs)}")
    U, V = hadamard_bases(K, n, mp=mp)
    zero = mpmath.mpf(0) if mp else 0.0

    def padded(row: np.ndarray, rows: int, cols: int) -> np.ndarray:
        S = np.full((rows, cols), zero, dtype=object if mp else float)
        for k in range(K):
            S[k, k] = row[k]
        return S

    factors = [Qs[0] @ padded(s[0], d, K) @ V.T]
    for l in range(1, L):
        factors.append(Qs[l] @ padded(s[l], d, d) @ Qs[l - 1].T)
    factors.append(U @ padded(s[L], K, d) @ Qs[L - 1].T)
    return factors
