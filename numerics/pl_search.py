"""A structured + random multi-start search for the best (P_L) point of a cell (K, L), n = 1 (X-PD).

Problem (Lemma D.7, n = 1): minimise ``((L+1)/2) Σ_i σ_i(Zbar)^{2/(L+1)}`` over K x K matrices with
every column margin ``Zbar[c,c] - Zbar[c',c] >= 1`` (c' != c).

Local solver.  A start ``Z0`` of rank r is written ``Z = U V^T`` (U, V: K x r) and SLSQP minimises the
smoothed objective ``Σ (σ² + ε²)^{p/2}`` (p = 2/(L+1), σ the singular values of U V^T, gradient
``U_Z diag(p σ (σ²+ε²)^{p/2-1}) V_Z^T`` pulled back to U and V) under the bilinear margin constraints
``(U[c] - U[c']) · V[c] >= 1`` with their exact Jacobians, along a decreasing ε path.  Every end point
is cleaned by :func:`numerics.landscape._clean` (rank truncation, exact rescaling to margins >= 1), so
every value reported is the objective of an explicit feasible matrix.

Starts (:func:`structured_starts`): DNC, the cross-polytope (both odd variants), the K-gon, and the
Gram matrices ``G^T G`` of point configurations in R^3 and R^4: antiprisms, prisms, pyramids,
bipyramids, capped / bicapped antiprisms, the icosahedron family, and the best min-angle spherical
codes of K points in R^3 (Tammes problem) and R^4, computed here by a max-min-angle search
(:func:`tammes_code`) whose min angles are compared with published values in X-SC.  The driver
(``python -m numerics.pl_search``) adds random rank-r starts and continuation in L (the best points
of the cells (K, L-1) and (K, L+1) as starts) and writes the grid.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from scipy.optimize import minimize

from .landscape import _clean, known_constructions, min_column_margin, schatten_pl_value

__all__ = [
    "gram_logits", "structured_starts", "tammes_code", "polish_lowrank", "search_cell", "CellResult",
    "symmetry_order", "numerical_rank", "rational_factors", "exact_margins",
]


# ----------------------------------------------------------------------------------------------- starts

def gram_logits(G: np.ndarray) -> np.ndarray:
    """``Z = G^T G`` for points G (r x K, columns), rescaled so that the smallest column margin is 1."""
    Z = G.T @ G
    m = min_column_margin(Z)
    if not m > 1e-9:
        raise ValueError("configuration has a non-positive margin (two points coincide or one is inside)")
    return Z / m


def _ring(m: int, z: float, phase: float = 0.0, radius: float = 1.0) -> np.ndarray:
    t = phase + 2 * math.pi * np.arange(m) / m
    return np.vstack([radius * np.cos(t), radius * np.sin(t), np.full(m, z)])


def _unit(G: np.ndarray) -> np.ndarray:
    return G / np.linalg.norm(G, axis=0, keepdims=True)


def polyhedral_configurations(K: int) -> dict[str, np.ndarray]:
    """Point configurations (3 x K) from the families named in issue 13, at a few layer heights."""
    out: dict[str, np.ndarray] = {}
    if K % 2 == 0 and K >= 6:
        m = K // 2
        for h in (0.45, 0.8):
            out[f"antiprism_{m}(h={h})"] = _unit(np.hstack([_ring(m, h), _ring(m, -h, math.pi / m)]))
    for h in (0.6,):
        if K % 2 == 0 and K >= 6:
            m = K // 2
            out[f"prism_{m}(h={h})"] = _unit(np.hstack([_ring(m, h), _ring(m, -h)]))
        if K >= 5:
            out[f"pyramid_{K - 1}(h={h})"] = _unit(np.hstack([_ring(K - 1, -h / 3), [[0], [0], [1]]]))
        if K >= 5 and (K - 1) % 2 == 0 and K - 1 >= 6:
            m = (K - 1) // 2
            out[f"capped_antiprism_{m}(h={h})"] = _unit(np.hstack([_ring(m, h - 0.2), _ring(m, -h - 0.2, math.pi / m),
                                                                  [[0], [0], [1]]]))
        if K >= 8 and (K - 2) % 2 == 0:
            m = (K - 2) // 2
            out[f"bicapped_antiprism_{m}(h={h})"] = _unit(np.hstack([_ring(m, h), _ring(m, -h, math.pi / m),
                                                                    [[0, 0], [0, 0], [1, -1]]]))
        if K >= 9 and (K - 3) % 3 == 0:
            m = (K - 3) // 2 if (K - 3) % 2 == 0 else None
            if m:
                out[f"tricapped_prism_{m}(h={h})"] = _unit(np.hstack([_ring(m, h), _ring(m, -h),
                                                                     _ring(3, 0.0, math.pi / 3)]))[:, :K]
    if K >= 5:
        out[f"bipyramid_{K - 2}"] = np.hstack([_ring(K - 2, 0.0), [[0, 0], [0, 0], [1, -1]]])
    if K >= 4:
        out["layers_1_%d_%d" % ((K - 1) // 2, K - 1 - (K - 1) // 2)] = _unit(np.hstack(
            [[[0], [0], [1]], _ring((K - 1) // 2, 0.2), _ring(K - 1 - (K - 1) // 2, -0.6, 0.3)]))
    if K == 12:
        phi = (1 + math.sqrt(5)) / 2
        pts = [(0, s1, s2 * phi) for s1 in (1, -1) for s2 in (1, -1)]
        pts = [p for q in pts for p in (q, (q[1], q[2], q[0]), (q[2], q[0], q[1]))]
        out["icosahedron"] = _unit(np.array(pts, dtype=float).T)
    return out


def tammes_code(K: int, dim: int, rng: np.random.Generator, starts: int = 6) -> tuple[float, np.ndarray]:
    """Best min-angle code of K unit vectors in R^dim found by SLSQP (maximise t s.t. x_i·x_j <= 1 - t,
    |x_i|² = 1) from ``starts`` random starts.  Returns (min angle in degrees, dim x K points)."""
    pairs = list(itertools.combinations(range(K), 2))
    I = np.array([i for i, _ in pairs])
    J = np.array([j for _, j in pairs])

    def ineq(x):
        X = x[:-1].reshape(dim, K)
        return 1.0 - x[-1] - np.sum(X[:, I] * X[:, J], axis=0)

    def ineq_jac(x):
        X = x[:-1].reshape(dim, K)
        Jm = np.zeros((len(pairs), dim * K + 1))
        for q, (i, j) in enumerate(pairs):
            Jm[q, np.arange(dim) * K + i] = -X[:, j]
            Jm[q, np.arange(dim) * K + j] = -X[:, i]
        Jm[:, -1] = -1.0
        return Jm

    def eq(x):
        X = x[:-1].reshape(dim, K)
        return np.sum(X * X, axis=0) - 1.0

    def eq_jac(x):
        X = x[:-1].reshape(dim, K)
        Jm = np.zeros((K, dim * K + 1))
        for i in range(K):
            Jm[i, np.arange(dim) * K + i] = 2 * X[:, i]
        return Jm

    best = (-1.0, None)
    for _ in range(starts):
        X0 = _unit(rng.standard_normal((dim, K)))
        x0 = np.concatenate([X0.ravel(), [0.0]])
        res = minimize(lambda x: -x[-1], x0, jac=lambda x: np.concatenate([np.zeros(dim * K), [-1.0]]),
                       method="SLSQP", constraints=[{"type": "ineq", "fun": ineq, "jac": ineq_jac},
                                                    {"type": "eq", "fun": eq, "jac": eq_jac}],
                       options={"maxiter": 400, "ftol": 1e-13})
        X = _unit(res.x[:-1].reshape(dim, K))
        cmax = float(np.max(np.sum(X[:, I] * X[:, J], axis=0)))
        ang = math.degrees(math.acos(min(1.0, cmax)))
        if ang > best[0]:
            best = (ang, X)
    return best


def structured_starts(K: int, rng: np.random.Generator, tammes_starts: int = 4) -> list[tuple[str, np.ndarray]]:
    """(family name, feasible Zbar) for every structured family at K."""
    out = [(name, Z.copy()) for name, Z in known_constructions(K).items()]
    for name, G in polyhedral_configurations(K).items():
        try:
            out.append((name, gram_logits(G)))
        except ValueError:
            continue
    for dim in (3, 4):
        if K > dim + 1:
            _, X = tammes_code(K, dim, rng, tammes_starts)
            out.append((f"tammes_code_R{dim}", gram_logits(X)))
    return out


# ----------------------------------------------------------------------------------------------- local solver

def _margin_index(K: int) -> tuple[np.ndarray, np.ndarray]:
    """(c, c') for every margin, c' != c, c-major."""
    pairs = [(c, cp) for c in range(K) for cp in range(K) if cp != c]
    return np.array([c for c, _ in pairs]), np.array([cp for _, cp in pairs])


def _margin_jacobian(U: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Margins (U[c] - U[c']) · V[c] (c' != c, c-major) and their Jacobian wrt vec(U), vec(V) (row-major)."""
    K, r = U.shape
    C, Cp = _margin_index(K)
    D = U[C] - U[Cp]
    vals = np.sum(D * V[C], axis=1)
    q = np.arange(len(C))[:, None]
    cols = np.arange(r)[None, :]
    Jm = np.zeros((len(C), 2 * K * r))
    Jm[q, C[:, None] * r + cols] += V[C]
    Jm[q, Cp[:, None] * r + cols] -= V[C]
    Jm[q, K * r + C[:, None] * r + cols] = D
    return vals, Jm


def polish_lowrank(Z0: np.ndarray, L: int, r: int | None = None,
                   eps_path: tuple[float, ...] = (1e-2, 1e-3, 1e-5), maxiter: int = 150) -> np.ndarray:
    """SLSQP on ``Σ(σ²+ε²)^{p/2}`` over rank-r factors ``Z = U V^T`` of a start Z0 (see module docstring)."""
    K = Z0.shape[0]
    Uz, s, Vt = np.linalg.svd(Z0)
    if r is None:
        r = max(1, int(np.sum(s > 1e-9 * s[0])))
    root = np.sqrt(s[:r])
    x = np.concatenate([(Uz[:, :r] * root).ravel(), (Vt[:r].T * root).ravel()])
    p = 2.0 / (L + 1)

    def split(x):
        return x[:K * r].reshape(K, r), x[K * r:].reshape(K, r)

    def f_and_grad(x, eps):
        U, V = split(x)
        A, sv, Bt = np.linalg.svd(U @ V.T)
        w = sv * sv + eps * eps
        G = (A * (p * sv * w ** (p / 2 - 1))) @ Bt
        return float(np.sum(w ** (p / 2))), np.concatenate([(G @ V).ravel(), (G.T @ U).ravel()])

    cons = [{"type": "ineq", "fun": lambda x: _margin_jacobian(*split(x))[0] - 1.0,
             "jac": lambda x: _margin_jacobian(*split(x))[1]}]
    for eps in eps_path:
        res = minimize(f_and_grad, x, args=(eps,), jac=True, method="SLSQP", constraints=cons,
                       options={"maxiter": maxiter, "ftol": 1e-13})
        if np.all(np.isfinite(res.x)):
            x = res.x
    U, V = split(x)
    return U @ V.T


@dataclass
class CellResult:
    K: int
    L: int
    value: float
    Zbar: np.ndarray
    start: str
    values_by_start: dict[str, float] = field(default_factory=dict)
    random_starts: int = 0
    best_random_value: float = math.inf


def search_cell(K: int, L: int, starts: list[tuple[str, np.ndarray]], rng: np.random.Generator,
                random_starts: int, random_ranks: tuple[int, ...] = (2, 3, 4),
                max_polish_rank: int = 5) -> CellResult:
    """Polish every start of rank <= ``max_polish_rank`` (higher-rank starts such as DNC are candidates as
    they are) and ``random_starts`` random rank-r factorisations (r cycling through
    ``random_ranks``, r < K); keep the best cleaned value.  Every start is also a candidate as it is."""
    cand = list(starts)
    ranks = [r for r in random_ranks if r < K] or [1]
    for i in range(random_starts):
        r = ranks[i % len(ranks)]
        cand.append((f"random{i}(rank{r})", rng.standard_normal((K, r)) @ rng.standard_normal((r, K))))
    values: dict[str, float] = {}
    best = (math.inf, None, "")
    best_random = math.inf
    for name, Z0 in cand:
        v, Zc = math.inf, None
        if numerical_rank(Z0) <= max_polish_rank:
            try:
                v, Zc = _clean(polish_lowrank(Z0, L), L, 2.0)
            except (np.linalg.LinAlgError, ValueError):
                pass
        if not name.startswith("random"):
            v0, Z0c = _clean(Z0, L, 2.0)
            if v0 < v:
                v, Zc = v0, Z0c
        values[name] = v
        if name.startswith("random"):
            best_random = min(best_random, v)
        if v < best[0] * (1 - 1e-10):
            best = (v, Zc, name)
    return CellResult(K, L, best[0], best[1], best[2], values, random_starts, best_random)


# ----------------------------------------------------------------------------------------------- structure

def numerical_rank(Z: np.ndarray, rtol: float = 1e-8) -> int:
    s = np.linalg.svd(Z, compute_uv=False)
    return int(np.sum(s > rtol * s[0]))


def symmetry_order(Z: np.ndarray, tol: float = 1e-6) -> int:
    """Order of the group G of class permutations π with ``Z[π(i), π(j)] = Z[i, j]`` for all i, j
    (simultaneous row and column permutation, entries equal within ``tol`` times max |Z|): the symmetry
    of the logit matrix as a labelled weighted digraph.

    By the orbit-stabiliser theorem along the chain G ⊇ G_0 ⊇ G_{0,1} ⊇ ... (G_{0..i-1}: the
    permutations fixing 0, ..., i-1), ``|G| = Π_i |orbit of i under G_{0..i-1}|``; j is in that orbit iff
    some automorphism fixes 0..i-1 and sends i to j, decided by a backtracking search for one extension.
    """
    Z = np.asarray(Z, dtype=float)
    K = Z.shape[0]
    t = tol * float(np.max(np.abs(Z)))

    def compatible(perm: list[int], i: int, j: int) -> bool:
        if abs(Z[j, j] - Z[i, i]) > t:
            return False
        return all(abs(Z[j, perm[k]] - Z[i, k]) <= t and abs(Z[perm[k], j] - Z[k, i]) <= t for k in range(i))

    def extends(perm: list[int], used: set[int]) -> bool:
        i = len(perm)
        if i == K:
            return True
        for j in range(K):
            if j not in used and compatible(perm, i, j):
                perm.append(j)
                used.add(j)
                ok = extends(perm, used)
                perm.pop()
                used.discard(j)
                if ok:
                    return True
        return False

    order = 1
    for i in range(K):
        prefix = list(range(i))
        orbit = sum(1 for j in range(i, K) if compatible(prefix, i, j) and extends(prefix + [j], set(prefix) | {j}))
        order *= orbit
    return order


# ----------------------------------------------------------------------------------------------- exact data

def _frac(x: float, max_den: int) -> Fraction:
    return Fraction(float(x)).limit_denominator(max_den)


def exact_margins(A: list[list[Fraction]], B: list[list[Fraction]]) -> list[Fraction]:
    """All K(K-1) column margins ``Z[c,c] - Z[c',c]`` of ``Z = A B`` in exact arithmetic."""
    K, r = len(A), len(B)
    Z = [[sum(A[i][k] * B[k][j] for k in range(r)) for j in range(K)] for i in range(K)]
    return [Z[c][c] - Z[cp][c] for c in range(K) for cp in range(K) if cp != c]


def rational_factors(Z: np.ndarray, max_den: int = 10**9) -> tuple[list[list[Fraction]], list[list[Fraction]]]:
    """Rational A (K x r), B (r x K), r = numerical rank, with ``A B ≈ Z`` and the smallest margin of A B
    EXACTLY 1 (A rescaled by the exact reciprocal of the smallest margin of the rounded product)."""
    U, s, Vt = np.linalg.svd(Z)
    r = numerical_rank(Z)
    root = np.sqrt(s[:r])
    A = [[_frac(x, max_den) for x in row] for row in (U[:, :r] * root)]
    B = [[_frac(x, max_den) for x in row] for row in (root[:, None] * Vt[:r])]
    m = min(exact_margins(A, B))
    if m <= 0:
        raise ArithmeticError("rounding destroyed feasibility")
    A = [[x / m for x in row] for row in A]
    return A, B
