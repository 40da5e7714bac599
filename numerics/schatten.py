"""Schatten quasi-norm objectives, balanced factorisations and margins (Part 1 of CLAIMS.md).

By Lemma D.7, ``min {Σ_j ||A_j||_F² : A_{L+1} ... A_1 = Z} = (L+1) Σ_i σ_i(Z)^{2/(L+1)}``,
so the objective of (P_L) at its best factorisation of Z is
``((L+1)/2) Σ_i σ_i(Z)^{2/(L+1)}``.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .softmax import require_finite

__all__ = [
    "schatten_sum",
    "pl_value_of_logits",
    "pl_objective",
    "balanced_factors",
    "product",
    "margins",
    "min_margin",
    "min_norm_completion",
    "wide_factorisation_descent",
]


def _depth(L: int) -> int:
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 1:
        raise ValueError(f"depth L must be an integer >= 1, got {L!r}")
    return int(L)


def schatten_sum(Z: np.ndarray, L: int, *, rtol: float = 1e-12) -> float:
    """``Σ_i σ_i(Z)^{2/(L+1)}`` over the singular values above ``rtol * σ_max``."""
    L = _depth(L)
    s = np.linalg.svd(require_finite(Z, "Z"), compute_uv=False)
    if s.size == 0 or s[0] == 0:
        return 0.0
    s = s[s > rtol * s[0]]
    return float(np.sum(s ** (2.0 / (L + 1))))


def pl_value_of_logits(Z: np.ndarray, L: int) -> float:
    """Optimal (P_L) objective over factorisations of Z: ``((L+1)/2) Σ σ^{2/(L+1)}``."""
    return 0.5 * (_depth(L) + 1) * schatten_sum(Z, L)


def pl_objective(factors: Sequence[np.ndarray]) -> float:
    """The (P_L) objective ``½ Σ_j ||F_j||_F²`` of explicit factors."""
    return 0.5 * float(sum(np.sum(np.asarray(F) ** 2) for F in factors))


def product(factors: Sequence[np.ndarray]) -> np.ndarray:
    """``F_L ... F_1 F_0`` for factors listed first-applied first (``[H, W_1, ..., W_L]``)."""
    out = factors[0]
    for F in factors[1:]:
        out = F @ out
    return out


def balanced_factors(Z: np.ndarray, L: int, d: int | None = None, *, rtol: float = 1e-12) -> list[np.ndarray]:
    """Balanced factors ``[H, W_1, ..., W_L]`` of Z from its SVD ``U diag(σ) V^T``.

    Every factor has singular values ``σ^{1/(L+1)}``: ``H = [S^{1/(L+1)} V^T; 0]`` (d x N),
    ``W_l = diag(S^{1/(L+1)}, 0)`` (d x d), ``W_L = [U S^{1/(L+1)}, 0]`` (K x d).
    Needs ``d >= rank Z`` (default: ``d = rank Z``).
    """
    L = _depth(L)
    U, s, Vt = np.linalg.svd(require_finite(Z, "Z"), full_matrices=False)
    r = int(np.sum(s > rtol * s[0])) if s.size and s[0] > 0 else 0
    d = r if d is None else int(d)
    if d < r:
        raise ValueError(f"width d={d} is below rank(Z)={r}")
    root = s[:r] ** (1.0 / (L + 1))
    K, N = Z.shape
    H = np.zeros((d, N))
    H[:r] = root[:, None] * Vt[:r]
    middle = np.zeros((d, d))
    middle[np.arange(r), np.arange(r)] = root
    WL = np.zeros((K, d))
    WL[:, :r] = U[:, :r] * root[None, :]
    return [H] + [middle.copy() for _ in range(L - 1)] + [WL]


def margins(Z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-sample margin ``z[y] - max_{c != y} z[c]`` of a K x N logit matrix."""
    Z = require_finite(Z, "Z")
    labels = np.asarray(labels)
    N = Z.shape[1]
    cols = np.arange(N)
    own = Z[labels, cols]
    other = Z.copy().astype(float)
    other[labels, cols] = -np.inf
    return own - np.max(other, axis=0)


def min_margin(Z: np.ndarray, labels: np.ndarray) -> float:
    return float(np.min(margins(Z, labels)))


def min_norm_completion(Z: np.ndarray, P: np.ndarray) -> np.ndarray:
    """The least-norm A with ``A P = Z`` for P (d x N) of full column rank N: ``Z (P^T P)^{-1} P^T``."""
    return np.linalg.solve(P.T @ P, Z.T).T @ P.T


def wide_factorisation_descent(Z: np.ndarray, L: int, d: int, rng: np.random.Generator, *,
                               scale: float = 1.0, options: dict | None = None, rtol: float = 1e-12):
    """Minimise ``Σ_j ||A_j||_F²`` over exact factorisations ``A_{L+1} A_L ... A_1 = Z`` whose inner widths
    are all ``d`` (larger than r = rank Z), from a generic Gaussian start.

    Free: ``B`` (d x r) with ``A_1 = B V_r^T`` (rows in row(Z): no loss, projecting A_1 there keeps the product
    and lowers ||A_1||; for full column rank Z, r = N and A_1 is arbitrary) and ``A_2..A_L`` (d x d).  With
    ``C = A_L ... A_2 B`` (d x r, full column rank generically) the last factor is the least-norm completion
    ``A_{L+1} = U_r Σ C^+`` (so the product is exactly Z), of cost ``tr(Σ² (C^T C)^{-1})``.
    Returns ``(factors first-applied first, start factors, scipy result)``."""
    from scipy.optimize import minimize

    L = _depth(L)
    U, sv, Vt = np.linalg.svd(require_finite(Z, "Z"), full_matrices=False)
    r = int(np.sum(sv > rtol * sv[0]))
    U, sv, V = U[:, :r], sv[:r], Vt[:r].T
    if d < r:
        raise ValueError(f"width d={d} is below rank(Z)={r}")
    S2 = sv**2
    shapes = [(d, r)] + [(d, d)] * (L - 1)
    sizes = [a * b for a, b in shapes]

    def unpack(x):
        out, pos = [], 0
        for (a, b), m in zip(shapes, sizes):
            out.append(x[pos:pos + m].reshape(a, b))
            pos += m
        return out

    def fg(x):
        F = unpack(x)
        C = product(F)
        M = np.linalg.inv(C.T @ C)
        val = float(x @ x) + float(np.sum(np.diag(M) * S2))
        gC = -2.0 * C @ (M * S2[None, :]) @ M
        grads = []
        for j in range(L):
            above = product(F[j + 1:]) if j < L - 1 else np.eye(d)
            below = product(F[:j]) if j > 0 else np.eye(r)
            grads.append((2.0 * F[j] + above.T @ gC @ below.T).ravel())
        return val, np.concatenate(grads)

    def factors(x):
        F = unpack(x)
        C = product(F)
        last = (U * sv[None, :]) @ np.linalg.solve(C.T @ C, C.T)
        return [F[0] @ V.T] + F[1:] + [last]

    x0 = scale * rng.standard_normal(sum(sizes)) / np.sqrt(d)
    opts = {"maxiter": 4000, "ftol": 1e-16, "gtol": 1e-12, "maxcor": 30} if options is None else options
    res = minimize(fg, x0, jac=True, method="L-BFGS-B", options=opts)
    return factors(res.x), factors(x0), res
