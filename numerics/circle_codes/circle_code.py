"""T3.2: the reduced objective, the K-gon's Gram matrix, the equal-norm search and the 2-D softmax code."""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize

from .basics import require_K

__all__ = ["reduced_objective", "kgon_norm_sq", "kgon_gram", "rank2_equal_norm_objective", "equal_norm_rank2_search",
           "one_vs_rest_margins", "softmax_code_search"]


def reduced_objective(K: int, delta, M, power=2, lib=math):
    """``(K² - M²) / (4 (1 - cos δ)^power)``; T3.2's reduced objective has ``power = 2`` and
    ``M = max |Σ e^{2iθ_k}|`` from L-D.3."""
    return (K * K - M * M) / (4 * (1 - lib.cos(delta)) ** power)


def kgon_norm_sq(K: int) -> float:
    """``|g|² = 1/(1 - cos(2π/K))``: the smallest norm at which the regular K-gon has margins 1."""
    return 1.0 / (1.0 - math.cos(2 * math.pi / require_K(K, 3)))


def kgon_gram(K: int, norm_sq: float | None = None, phases: np.ndarray | None = None) -> np.ndarray:
    """``Zbar = G^T G`` for ``g_k = |g| (cos θ_k, sin θ_k)``, θ the regular K-gon unless given."""
    K = require_K(K, 3)
    r2 = kgon_norm_sq(K) if norm_sq is None else float(norm_sq)
    theta = 2 * math.pi * np.arange(K) / K if phases is None else np.asarray(phases, dtype=float)
    G = math.sqrt(r2) * np.vstack([np.cos(theta), np.sin(theta)])
    return G.T @ G


def rank2_equal_norm_objective(Zbar: np.ndarray) -> float:
    """Product of the two largest singular values (the rank-2 limit objective of T3.2)."""
    s = np.linalg.svd(np.asarray(Zbar, dtype=float), compute_uv=False)
    return float(s[0] * s[1])


def equal_norm_rank2_search(K: int, rng: np.random.Generator, starts: int = 16, ftol: float = 1e-15,
                           maxiter: int = 1000) -> tuple[float, np.ndarray, float]:
    """Minimise ``σ1 σ2`` of ``Zbar = G^T G`` over ``G = r [cos θ; sin θ]`` with all margins >= 1.

    Variables ``(θ_1..θ_K, u = log r²)``; constraints ``Zbar[c,c] - Zbar[c',c] = r² (1 - cos(θ_c - θ_c')) >= 1``
    for every pair; objective ``log(r⁴ det Σ_k u_k u_k^T)``, the log of the product of the two non-zero
    eigenvalues of ``Zbar`` (re-evaluated on the returned point by an SVD of Zbar).  Starts: random
    gap vectors (Dirichlet(2)) with a random rotation and ``r²`` just large enough to be feasible.
    Returns (objective, angles, r²).
    """
    K = require_K(K, 3)
    iu = np.triu_indices(K, 1)

    def log_det_u(theta):
        c, s_ = np.cos(theta), np.sin(theta)
        return math.log(max(float(np.sum(c * c) * np.sum(s_ * s_) - np.sum(c * s_) ** 2), 1e-300))

    def f(x):
        return 2 * x[K] + log_det_u(x[:K])

    def f_grad(x):
        th = x[:K]
        c, s_ = np.cos(th), np.sin(th)
        a, b, cs = float(np.sum(c * c)), float(np.sum(s_ * s_)), float(np.sum(c * s_))
        det = max(a * b - cs * cs, 1e-300)
        ddet = b * (-np.sin(2 * th)) + a * np.sin(2 * th) - 2 * cs * np.cos(2 * th)
        return np.concatenate([ddet / det, [2.0]])

    def cons(x):
        d = x[:K][:, None] - x[:K][None, :]
        return np.exp(min(x[K], 700.0)) * (1 - np.cos(d[iu])) - 1

    rows = np.arange(len(iu[0]))

    def cons_jac(x):
        s = np.exp(min(x[K], 700.0))
        d = x[iu[0]] - x[iu[1]]
        J = np.zeros((len(rows), K + 1))
        J[rows, iu[0]] = s * np.sin(d)
        J[rows, iu[1]] = -s * np.sin(d)
        J[:, K] = s * (1 - np.cos(d))
        return J

    best = (math.inf, None, None)
    for _ in range(starts):
        theta0 = rng.uniform(0, 2 * math.pi) + np.concatenate([[0.0], np.cumsum(rng.dirichlet(2 * np.ones(K))[:-1])]) * 2 * math.pi
        d0 = (theta0[:, None] - theta0[None, :])[iu]
        u0 = math.log(1.05 / max(1e-6, float(np.min(1 - np.cos(d0)))))
        res = minimize(f, np.concatenate([theta0, [u0]]), jac=f_grad, method="SLSQP",
                       constraints=[{"type": "ineq", "fun": cons, "jac": cons_jac}], bounds=[(None, None)] * K + [(-50.0, 50.0)],
                       options={"ftol": ftol, "maxiter": maxiter})
        x = res.x
        slack = float(np.min(cons(x)))
        if slack < -1e-7:
            continue
        s = math.exp(x[K]) / (1 + min(0.0, slack))  # rescale to exact feasibility
        G = math.sqrt(s) * np.vstack([np.cos(x[:K]), np.sin(x[:K])])
        val = rank2_equal_norm_objective(G.T @ G)
        if val < best[0]:
            best = (val, x[:K].copy(), s)
    if best[1] is None:
        raise RuntimeError("no feasible end point in the equal-norm search")
    return best


def one_vs_rest_margins(U: np.ndarray) -> np.ndarray:
    """For unit vectors ``U[:, k]`` in R²: the distance from each to the convex hull of the others.

    Points on the unit circle are all vertices of their convex hull, in angular order; so the hull
    of the others is the polygon through them in angular order, and a point of the circle distinct
    from them lies outside it.  The distance is the smallest distance to one of its edges.
    """
    U = np.asarray(U, dtype=float)
    if U.ndim != 2 or U.shape[0] != 2 or U.shape[1] < 3:
        raise ValueError("U must be 2 x K with K >= 3")
    if not np.all(np.isfinite(U)) or np.max(np.abs(np.hypot(U[0], U[1]) - 1)) > 1e-9:
        raise ValueError("the columns of U must be finite unit vectors")
    K = U.shape[1]
    order = np.argsort(np.arctan2(U[1], U[0]))
    out = np.empty(K)
    for pos, k in enumerate(order):
        others = np.concatenate([order[:pos], order[pos + 1:]])
        A = U[:, others].T
        B = np.roll(A, -1, axis=0)
        if K - 1 == 2:  # the hull of two points is one segment
            A, B = A[:1], B[:1]
        p = U[:, k]
        AB = B - A
        t = np.clip(np.sum((p - A) * AB, axis=1) / np.maximum(np.sum(AB * AB, axis=1), 1e-300), 0.0, 1.0)
        D = p - (A + t[:, None] * AB)
        out[k] = float(np.min(np.hypot(D[:, 0], D[:, 1])))
    return out


def softmax_code_search(K: int, rng: np.random.Generator, starts: int = 8, ftol: float = 1e-14,
                        maxiter: int = 500) -> tuple[float, np.ndarray]:
    """Maximise ``min_k dist(u_k, conv{u_j : j != k})`` over K unit vectors ``u_k = (cos θ_k, sin θ_k)``.

    Epigraph form: maximise t subject to every one-vs-rest margin >= t (SLSQP, finite-difference
    Jacobians), multi-start from uniform random angles.  Returns (best min margin, its angles).
    """
    K = require_K(K, 3)

    def margins_of(theta):
        return one_vs_rest_margins(np.vstack([np.cos(theta), np.sin(theta)]))

    best = (-math.inf, None)
    for _ in range(starts):
        th0 = rng.uniform(0, 2 * math.pi, K)
        x0 = np.concatenate([th0, [0.5 * float(np.min(margins_of(th0)))]])
        res = minimize(lambda x: -x[K], x0, jac=lambda x: np.concatenate([np.zeros(K), [-1.0]]),
                       method="SLSQP", constraints=[{"type": "ineq", "fun": lambda x: margins_of(x[:K]) - x[K]}],
                       options={"ftol": ftol, "maxiter": maxiter})
        theta = res.x[:K]
        val = float(np.min(margins_of(theta)))  # re-evaluated: the constraint slack is not trusted
        if val > best[0]:
            best = (val, theta)
    return best
