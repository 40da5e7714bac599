"""A multi-start global search of (P_L) in its Schatten form, for the phase diagram (X-PD).

By Lemma D.7 the global minimum of (P_L) with NC1 logits ``Z = Zbar ⊗ 1_n^T`` and n = 1 is

    min { ((L+1)/2) Σ_i σ_i(Zbar)^{2/(L+1)} : Zbar[c,c] - Zbar[c',c] >= 1 for all c' != c }.

The margin constraints are LINEAR in Zbar; the objective is a Schatten quasi-norm (p = 2/(L+1) <= 1),
concave in the singular values, so the problem is non-convex for L >= 2.  The search minimises a
smoothed objective ``Σ (σ² + ε²)^{p/2}`` by SLSQP along a decreasing ε homotopy from many starts,
then cleans every end point: for each rank r it truncates the SVD to rank r and rescales to exact
feasibility (margins >= 1), and keeps the best.  Every value it reports is the exact objective of an
explicit, feasible matrix.

The known constructions come from numerics.constructions (shared with T3.1): DNC ``M_K = I - 11^T/K``;
the cross-polytope ``I_{K/2} ⊗ [[1,-1],[-1,1]]`` (K even) and, for K odd, its block-diagonal
completion with the singleton ``[1]`` or the centred singleton column ``e_K - 1/K``; the K-gon
circle code from numerics.circle_codes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

from .constructions import cross_polytope_mean_logits, dnc_mean_logits, require_classes, require_depth
from .softmax import require_finite

__all__ = [
    "pd_kgon_mean_logits",
    "schatten_pl_value",
    "margin_matrix",
    "min_column_margin",
    "known_constructions",
    "SearchResult",
    "pl_global_search",
    "factor_penalty_descent",
    "describe_structure",
]


_K = require_classes  # K an integer >= 2, else ValueError
_L = require_depth  # L an integer >= 1, else ValueError


def schatten_pl_value(Zbar: np.ndarray, L: int, exponent_numerator: float = 2.0, *, rtol: float = 1e-12) -> float:
    """``((L+1)/2) Σ σ_i^{a/(L+1)}`` over σ_i > rtol σ_max (a = 2 is (P_L) by L-D.7)."""
    L = _L(L)
    s = np.linalg.svd(require_finite(Zbar, "Zbar"), compute_uv=False)
    if s[0] == 0:
        return 0.0
    s = s[s > rtol * s[0]]
    return 0.5 * (L + 1) * float(np.sum(s ** (exponent_numerator / (L + 1))))


def margin_matrix(K: int) -> np.ndarray:
    """Rows ``a`` with ``a · vec(Zbar) = Zbar[c,c] - Zbar[c',c]`` (row-major vec), one per c' != c."""
    K = _K(K)
    rows = []
    for c in range(K):
        for cp in range(K):
            if cp != c:
                a = np.zeros(K * K)
                a[c * K + c] = 1.0
                a[cp * K + c] = -1.0
                rows.append(a)
    return np.array(rows)


def min_column_margin(Zbar: np.ndarray) -> float:
    """``min_c (Zbar[c,c] - max_{c' != c} Zbar[c',c])``."""
    Z = np.asarray(Zbar, dtype=float)
    K = Z.shape[0]
    off = Z.copy()
    off[np.arange(K), np.arange(K)] = -np.inf
    return float(np.min(np.diag(Z) - np.max(off, axis=0)))


def pd_kgon_mean_logits(K: int) -> np.ndarray:
    """T3.2's circle code: ``Zbar = G^T G`` with G's columns a regular K-gon of ``|g|² = 1/(1 - cos(2π/K))``
    (rank 2, every margin exactly 1); K >= 3."""
    from .circle_codes import kgon_gram

    return kgon_gram(_K(K))


def known_constructions(K: int) -> dict[str, np.ndarray]:
    """DNC, the cross-polytope (both odd variants) and, for K >= 3, the K-gon circle code of T3.2."""
    K = _K(K)
    out = {"DNC": dnc_mean_logits(K)}
    if K == 2:  # the 2-class "cross-polytope" [[1,-1],[-1,1]] is 2 M_2 (constructions builds it for K >= 3)
        out["cross_polytope"] = 2 * dnc_mean_logits(K)
    elif K % 2 == 0:
        out["cross_polytope"] = cross_polytope_mean_logits(K)
    else:
        out["cross_polytope_odd"] = cross_polytope_mean_logits(K, singleton="plain")
        out["cross_polytope_odd_centred"] = cross_polytope_mean_logits(K, singleton="centred")
    if K >= 3:
        out["kgon"] = pd_kgon_mean_logits(K)
    return out


def _clean(Z: np.ndarray, L: int, a: float) -> tuple[float, np.ndarray]:
    """Best exactly-feasible rank-r truncation of Z (rescaled so that every margin is >= 1)."""
    U, s, Vt = np.linalg.svd(Z)
    best = (math.inf, Z)
    for r in range(1, len(s) + 1):
        Zr = (U[:, :r] * s[:r]) @ Vt[:r]
        m = min_column_margin(Zr)
        if m <= 1e-9:
            continue
        Zr = Zr / m  # every margin >= 1 now (the smallest is exactly 1 up to rounding)
        v = schatten_pl_value(Zr, L, a)
        if v < best[0]:
            best = (v, Zr)
    return best


@dataclass
class SearchResult:
    value: float
    Zbar: np.ndarray
    start: str
    best_random_value: float
    values_by_start: dict[str, float] = field(default_factory=dict)


def factor_penalty_descent(K: int, L: int, width: int, rng: np.random.Generator,
                           mus: tuple[float, ...] = (10.0, 100.0, 1e3, 1e4), iters: int = 40) -> np.ndarray:
    """Train the L+1 factors of width ``width`` on ``½ Σ ||A_j||_F² + μ Σ relu(1 - margin)²`` (L-BFGS,
    float64, μ increasing) from a random start; return the product ``Zbar`` (not yet feasible: clean it)."""
    import torch

    K, L = _K(K), _L(L)
    shapes = [(width, K)] + [(width, width)] * (L - 1) + [(K, width)]
    gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
    params = [torch.nn.Parameter(torch.randn(*s, generator=gen, dtype=torch.float64) * (1.5 / math.sqrt(s[1])))
              for s in shapes]
    eye = torch.eye(K, dtype=torch.bool)

    def product():
        Z = params[0]
        for W in params[1:]:
            Z = W @ Z
        return Z

    for mu in mus:
        opt = torch.optim.LBFGS(params, lr=1.0, max_iter=iters, tolerance_grad=1e-10, tolerance_change=1e-14,
                                line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            Z = product()
            marg = torch.diagonal(Z)[None, :] - Z  # [c', c] = Z[c,c] - Z[c',c]
            viol = torch.relu(1.0 - marg[~eye])
            loss = 0.5 * sum((W * W).sum() for W in params) + mu * (viol * viol).sum()
            loss.backward()
            return loss

        opt.step(closure)
    with torch.no_grad():
        return product().numpy().copy()


def _polish(Z0: np.ndarray, L: int, a: float, eps_path: tuple[float, ...]) -> np.ndarray:
    """SLSQP on the smoothed objective Σ(σ² + ε²)^{p/2} under the linear margin constraints, along ε."""
    K = Z0.shape[0]
    p = a / (L + 1)
    A = margin_matrix(K)
    cons = [{"type": "ineq", "fun": lambda z: A @ z - 1.0, "jac": lambda z: A}]

    def f_and_grad(z, eps):
        U, s, Vt = np.linalg.svd(z.reshape(K, K))
        w = s * s + eps * eps
        return float(np.sum(w ** (p / 2))), ((U * (p * s * w ** (p / 2 - 1))) @ Vt).ravel()

    z = Z0.ravel().copy()
    for eps in eps_path:
        res = minimize(f_and_grad, z, args=(eps,), jac=True, method="SLSQP", constraints=cons,
                       options={"maxiter": 80, "ftol": 1e-12})
        if np.all(np.isfinite(res.x)):
            z = res.x
    return z.reshape(K, K)


def pl_global_search(K: int, L: int, rng: np.random.Generator, random_starts: int = 6,
                     exponent_numerator: float = 2.0,
                     eps_path: tuple[float, ...] = (1e-3, 1e-4)) -> SearchResult:
    """Multi-start search of ``min ((L+1)/2) Σσ^{a/(L+1)}`` over margin-feasible K x K Zbar.

    Starts: the known constructions (as they are, and perturbed by noise 0.3) and ``random_starts``
    random deep factorisations of random width 1..K trained on the penalised (P_L) objective
    (:func:`factor_penalty_descent`; with a = 2 its objective is (P_L) itself).  Every end point is
    polished by SLSQP on the smoothed Schatten objective along ``eps_path`` and cleaned by
    :func:`_clean` (rank-r truncation, rescaled to exact feasibility); the start itself is also a
    candidate.  ``values_by_start`` records every cleaned value; ``best_random_value`` the best
    among the random starts only.
    """
    K, L = _K(K), _L(L)
    a = float(exponent_numerator)
    starts: list[tuple[str, np.ndarray]] = []
    for name, Z0 in known_constructions(K).items():
        starts.append((name, Z0.copy()))
        starts.append((name + "+noise", Z0 + 0.3 * rng.standard_normal((K, K))))
    for i in range(random_starts):
        width = int(rng.integers(1, K + 1))
        if a == 2.0:
            Zf = factor_penalty_descent(K, L, width, rng)
        else:  # factor training minimises the a = 2 objective; for other exponents start from noise
            Zf = rng.standard_normal((K, width)) @ rng.standard_normal((width, K))
        starts.append((f"random{i}(width{width})", Zf))

    values: dict[str, float] = {}
    best = (math.inf, None, "")
    best_random = math.inf
    for name, Z0 in starts:
        v, Zc = _clean(_polish(Z0, L, a, eps_path), L, a)
        v0, Z0c = _clean(Z0, L, a)
        if v0 < v:
            v, Zc = v0, Z0c
        values[name] = v
        if name.startswith("random"):
            best_random = min(best_random, v)
        if v < best[0]:
            best = (v, Zc, name)
    return SearchResult(value=best[0], Zbar=best[1], start=best[2], best_random_value=best_random,
                        values_by_start=values)


def describe_structure(Zbar: np.ndarray, L: int, tol: float = 1e-4) -> dict:
    """Rank, singular values and the nearest known shape of a (cleaned) search end point."""
    Z = np.asarray(Zbar, dtype=float)
    K = Z.shape[0]
    s = np.linalg.svd(Z, compute_uv=False)
    rank = int(np.sum(s > 1e-9 * s[0]))
    sv = [round(float(x), 6) for x in s[:rank]]
    shape = f"other (rank {rank})"
    if np.linalg.norm(Z - dnc_mean_logits(K)) < tol:
        shape = "DNC"
    else:
        for name, C in known_constructions(K).items():
            sc = np.linalg.svd(C, compute_uv=False)
            if name != "DNC" and len(sc) == len(s) and np.allclose(np.sort(s), np.sort(sc), atol=tol):
                shape = name + " (same singular values)"
                break
        else:
            if rank == 2:
                shape = "rank 2 (circle-code type)"
    sym = bool(np.linalg.norm(Z - Z.T) < tol * max(1.0, np.linalg.norm(Z)))
    return {"rank": rank, "singular_values": sv, "shape": shape, "symmetric": sym}
