"""Angles on a circle: the cos(2θ) packing problem (L-D.3) and the circle code (T3.2).

Conventions.  ``K`` angles ``θ_k`` on the circle; their *circular gaps* are the
differences of consecutive sorted angles, the last one wrapping around (they sum
to 2π).  ``δ`` is a lower bound on every gap, ``0 < δ <= 2π/K``.

* :func:`ld3_closed_form` is the maximum of ``Σ_k cos(2θ_k)`` claimed by L-D.3
  (with the odd-K second case derived in ``theorems/landscape/l_d_3.py``);
  :func:`ld3_optimal_angles` builds a configuration attaining it.
* :func:`max_cos2_search` maximises ``Σ cos(2θ_k)`` numerically over *all* gap
  vectors (multi-start SLSQP); it knows nothing about clusters.
* :func:`rank2_equal_norm_objective` and :func:`equal_norm_rank2_search` are the
  rank-2 limit objective of T3.2 (product of the two non-zero singular values of
  ``Zbar = G^T G``) and a multi-start search over equal-norm configurations in R².
* :func:`one_vs_rest_margins` and :func:`softmax_code_search` compute the 2-D softmax
  code (Jiang et al. 2023) independently: maximise the minimum distance from each unit
  vector to the convex hull of the others.

Functions that take ``lib`` evaluate with floats (``lib=math``) or with arb balls
(``lib=ARB``): the same formula, two arithmetics.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Callable, Sequence

import numpy as np
from scipy.optimize import minimize

__all__ = [
    "ARB",
    "require_K",
    "require_delta",
    "circular_gaps",
    "ld3_regime",
    "ld3_closed_form",
    "ld3_optimal_gaps",
    "angles_from_gaps",
    "ld3_optimal_angles",
    "sum_cos2",
    "sum_exp2i_abs_sq",
    "flipped_cluster_gaps",
    "exact_gaps_from_angles",
    "max_cos2_search",
    "reduced_objective",
    "kgon_norm_sq",
    "kgon_gram",
    "rank2_equal_norm_objective",
    "equal_norm_rank2_search",
    "one_vs_rest_margins",
    "softmax_code_search",
    "cluster_offsets",
    "bisect_certify_negative",
    "certify_cos2_upper_bound",
    "sympy_run_sum",
    "sympy_is_zero",
    "z3_runs_on_circle",
]


class _ArbLib:
    """The few functions the closed forms need, on python-flint arb balls."""

    import flint as _flint

    @property
    def pi(self):
        return self._flint.arb.pi()  # at the current working precision

    @staticmethod
    def sin(x):
        return x.sin()

    @staticmethod
    def cos(x):
        return x.cos()


ARB = _ArbLib()


def require_K(K: Any, K_min: int = 2) -> int:
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or K < K_min:
        raise ValueError(f"K must be an integer >= {K_min}, got {K!r}")
    return int(K)


def require_delta(K: int, delta: float) -> float:
    """``0 < δ <= 2π/K`` (a float; a tiny relative slack is allowed at the top end)."""
    d = float(delta)
    if not math.isfinite(d) or d <= 0 or d > 2 * math.pi / K * (1 + 1e-12):
        raise ValueError(f"delta must lie in (0, 2π/K] = (0, {2 * math.pi / K:.6g}], got {delta!r}")
    return min(d, 2 * math.pi / K)


def circular_gaps(theta: np.ndarray) -> np.ndarray:
    """Gaps between consecutive sorted angles (mod 2π), the last one wrapping around."""
    t = np.sort(np.mod(np.asarray(theta, dtype=float), 2 * math.pi))
    return np.diff(np.concatenate([t, [t[0] + 2 * math.pi]]))


# --------------------------------------------------------------------------- L-D.3 closed forms
def ld3_regime(K: int, delta_over_pi: Fraction) -> str:
    """``"even"``, ``"odd_two_clusters"`` (δ <= 2π/(K+1)) or ``"odd_single_run"`` (δ > 2π/(K+1)).

    Decided exactly: ``δ = delta_over_pi · π`` with a rational ``delta_over_pi``.
    """
    K = require_K(K, 3)
    q = Fraction(delta_over_pi)
    if not (0 < q <= Fraction(2, K)):
        raise ValueError(f"delta/π = {q} must lie in (0, 2/K]")
    if K % 2 == 0:
        return "even"
    return "odd_two_clusters" if q <= Fraction(2, K + 1) else "odd_single_run"


def ld3_closed_form(K: int, delta, lib=math, regime: str | None = None):
    """The maximum of ``Σ_k cos(2θ_k)`` over K angles with all circular gaps >= δ.

    K even: ``2 sin(Kδ/2)/sin δ``.  K odd, δ <= 2π/(K+1): ``sin(Kδ/2)/sin(δ/2)``.
    K odd, 2π/(K+1) < δ <= 2π/K: ``-sin(Kδ)/sin δ`` (the derived second case: one run of
    K angles at spacing δ; see the L-D.3 module).  ``regime`` may be given (exact) or is
    decided from the float value of δ.
    """
    if not hasattr(K, "free_symbols"):  # sympy expressions (symbolic K) pass through unchecked
        K = require_K(K, 3)
    if regime is None:
        d = float(delta)
        regime = "even" if K % 2 == 0 else ("odd_two_clusters" if d <= 2 * math.pi / (K + 1) else "odd_single_run")
    if regime == "even":
        return 2 * lib.sin(K * delta / 2) / lib.sin(delta)
    if regime == "odd_two_clusters":
        return lib.sin(K * delta / 2) / lib.sin(delta / 2)
    if regime == "odd_single_run":
        return -lib.sin(K * delta) / lib.sin(delta)
    raise ValueError(f"unknown regime {regime!r}")


def ld3_optimal_gaps(K: int, delta_over_pi: Fraction) -> list[Fraction]:
    """The gaps, in units of π (exact), of the configuration attaining :func:`ld3_closed_form`.

    Two clusters of sizes ``ceil(K/2)``, ``floor(K/2)`` at spacing δ with centres 0 and π,
    or (odd K, δ > 2π/(K+1)) a single run of K angles at spacing δ and one large gap.
    """
    regime = ld3_regime(K, delta_over_pi)
    q = Fraction(delta_over_pi)
    if regime == "odd_single_run":
        return [q] * (K - 1) + [2 - (K - 1) * q]
    m1, m2 = (K + 1) // 2, K // 2
    # cluster 1 spans (m1-1)q centred at 0, cluster 2 spans (m2-1)q centred at π
    big = 1 - Fraction(m1 - 1, 2) * q - Fraction(m2 - 1, 2) * q
    return [q] * (m1 - 1) + [big] + [q] * (m2 - 1) + [big]


def angles_from_gaps(gaps: Sequence, start, lib=math) -> list:
    """Angles ``start, start+g_1, ...`` (K of them from K gaps; the last gap closes the circle)."""
    out, t = [], start
    for g in list(gaps)[:-1]:
        out.append(t)
        t = t + g
    out.append(t)
    return out


def ld3_optimal_angles(K: int, delta_over_pi: Fraction, lib=math) -> list:
    """Angles (floats or arb balls) of the configuration attaining the closed form, rotated to
    maximise ``Σ cos 2θ``: clusters centred at 0 and π, or the single run centred at π/2."""
    q = Fraction(delta_over_pi)
    regime = ld3_regime(K, q)
    pi = lib.pi
    gaps = [pi * g.numerator / g.denominator for g in ld3_optimal_gaps(K, q)]
    if regime == "odd_single_run":
        start = pi / 2 - pi * (q * Fraction(K - 1, 2)).numerator / (q * Fraction(K - 1, 2)).denominator
    else:
        h = q * Fraction((K + 1) // 2 - 1, 2)
        start = -pi * h.numerator / h.denominator
    return angles_from_gaps(gaps, start, lib)


def sum_cos2(theta: Sequence, lib=math):
    s = 0
    for t in theta:
        s = s + lib.cos(2 * t)
    return s


def sum_exp2i_abs_sq(gaps_over_pi: Sequence[Fraction]):
    """``|Σ_k e^{2iθ_k}|²`` as an arb ball for angles given by exact gaps (units of π), at the
    current working precision.  Rotation-invariant: the maximum of ``Σ cos 2θ_k`` over rotations
    is its square root."""
    import flint

    pi = flint.arb.pi()
    t = Fraction(0)
    C, S = flint.arb(0), flint.arb(0)
    for g in list(gaps_over_pi):
        a = 2 * pi * t.numerator / t.denominator
        C, S = C + a.cos(), S + a.sin()
        t += Fraction(g)
    return C * C + S * S


def flipped_cluster_gaps(K: int, delta_over_pi: Fraction) -> list[Fraction]:
    """Gaps (units of π) of the configuration a wrong derivation of L-D.3's odd third case imagines:
    the cluster of (K+1)/2 angles at spacing δ centred at π/2 ("the negative cluster rotated by π/2")
    and the cluster of (K-1)/2 centred at 0.  Its value is ``-cos(Kδ/2)/cos(δ/2)``; the gap between
    the clusters is ``π/2 - (K-2)δ/2``, below δ (even negative) as soon as ``Kδ > π``: infeasible."""
    K = require_K(K, 3)
    if K % 2 == 0:
        raise ValueError("the flipped configuration is an odd-K construction")
    q = Fraction(delta_over_pi)
    a, b = (K + 1) // 2, (K - 1) // 2
    between = Fraction(1, 2) - Fraction(K - 2, 2) * q
    return [q] * (b - 1) + [between] + [q] * (a - 1) + [2 - (K - 2) * q - between]


def exact_gaps_from_angles(theta: Sequence[float], delta_over_pi: Fraction,
                           denominator: int = 10 ** 15) -> list[Fraction] | None:
    """Round a float configuration to exact gaps (units of π) that are feasible exactly:
    every gap >= δ and Σ = 2.  The excesses over δ are rounded down to multiples of
    ``1/denominator`` and the remainder is added to the largest one.  None if the float gaps are not
    feasible to within 1e-9 (then there is nothing to certify)."""
    q = Fraction(delta_over_pi)
    g = circular_gaps(np.asarray(theta, dtype=float)) / math.pi
    if np.min(g) < float(q) - 1e-9:
        return None
    ex = [Fraction(math.floor(max(0.0, x - float(q)) * denominator), denominator) for x in g]
    rest = 2 - len(ex) * q - sum(ex)
    if rest < 0:
        return None
    k = int(np.argmax(g))
    ex[k] += rest
    return [q + e for e in ex]


# --------------------------------------------------------------------------- L-D.3 numerical search
def _project_simplex(V: np.ndarray, total: float) -> np.ndarray:
    """Euclidean projection of each row of V onto {x >= 0, Σ x = total} (sort-based)."""
    n = V.shape[1]
    U = -np.sort(-V, axis=1)
    css = np.cumsum(U, axis=1) - total
    idx = np.arange(1, n + 1)
    cond = U - css / idx > 0
    rho = n - 1 - np.argmax(cond[:, ::-1], axis=1)
    tau = css[np.arange(len(V)), rho] / (rho + 1)
    return np.maximum(V - tau[:, None], 0.0)


def max_cos2_search(K: int, delta: float, rng: np.random.Generator, starts: int = 64,
                    polish: int = 4, steps: int = 300, ftol: float = 1e-15,
                    maxiter: int = 500) -> tuple[float, np.ndarray]:
    """Multi-start maximum of ``Σ cos(2θ_k)`` over all configurations with circular gaps >= δ.

    Variables: the K gaps ``g = δ + e`` (``e >= 0``, ``Σ e = 2π - Kδ``) and a rotation ψ; the angles
    are ``ψ + cumulative gaps``.  ``starts`` random starts (gap excesses ``Dirichlet(α)`` with α = 1
    or 0.15, uniform ψ) run ``steps`` steps of a batched projected-gradient ascent; the ``polish`` best
    end points are refined by SLSQP (``ftol``, ``maxiter``; bounds ``g >= δ``, ``Σ g = 2π``) and
    repaired to exact feasibility.
    Nothing about clusters is assumed.  Returns the best value and its angles.
    """
    K = require_K(K, 2)
    delta = require_delta(K, delta)
    slack = 2 * math.pi - K * delta

    def angles(x):
        return x[..., K:K + 1] + np.concatenate([np.zeros(x.shape[:-1] + (1,)), np.cumsum(x[..., : K - 1], axis=-1)], axis=-1)

    def value(x):
        return np.sum(np.cos(2 * angles(x)), axis=-1)

    def grad(x):  # gradient of Σ cos 2θ with respect to (gaps, ψ)
        s = -2 * np.sin(2 * angles(x))
        g = np.zeros(x.shape)
        g[..., : K - 1] = np.cumsum(s[..., ::-1], axis=-1)[..., ::-1][..., 1:]  # gap i moves θ_j, j > i
        g[..., K] = np.sum(s, axis=-1)
        return g

    alpha = np.where(rng.uniform(size=starts) < 0.5, 1.0, 0.15)
    E = np.array([rng.dirichlet(a * np.ones(K)) for a in alpha]) * slack
    X = np.concatenate([delta + E, rng.uniform(0, 2 * math.pi, (starts, 1))], axis=1)
    if slack > 1e-14:
        step = 0.5 / (4.0 * K)
        for _ in range(steps):
            X = X + step * grad(X)
            X[:, :K] = delta + _project_simplex(X[:, :K] - delta, slack)
    order = np.argsort(-value(X))[: max(1, polish)]
    cons = [{"type": "eq", "fun": lambda x: float(np.sum(x[:K]) - 2 * math.pi),
             "jac": lambda x: np.concatenate([np.ones(K), [0.0]])}]
    bounds = [(delta, None)] * K + [(None, None)]
    best_val, best_theta = -math.inf, None
    for i in order:
        x = X[i]
        if slack > 1e-14:
            res = minimize(lambda y: -float(value(y)), x, jac=lambda y: -grad(y), method="SLSQP",
                           bounds=bounds, constraints=cons, options={"ftol": ftol, "maxiter": maxiter})
            if np.min(res.x[:K]) >= delta - 1e-7 and abs(np.sum(res.x[:K]) - 2 * math.pi) <= 1e-7:
                x = res.x
        # repair to exact feasibility (up to rounding): gaps >= δ, Σ gaps = 2π
        excess = np.maximum(x[:K] - delta, 0.0)
        gaps = delta + (excess * (slack / np.sum(excess)) if np.sum(excess) > 0 else excess)
        x = np.concatenate([gaps, x[K:]])
        val = float(value(x))
        if val > best_val:
            best_val, best_theta = val, angles(x)
    return best_val, best_theta


# --------------------------------------------------------------------------- T3.2
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


# --------------------------------------------------------------------------- certified monotonicity (T3.2)
def cluster_offsets(K: int, regime: str) -> list[Fraction]:
    """Offsets ``c`` (in units of δ) of the angles from their cluster centre, for L-D.3's two-cluster
    configuration: ``θ = c δ`` (cluster at 0) or ``π + c δ`` (cluster at π)."""
    K = require_K(K, 3)
    if regime not in ("even", "odd_two_clusters"):
        raise ValueError("cluster offsets exist for the two-cluster regimes only")
    out: list[Fraction] = []
    for m in ((K + 1) // 2, K // 2):
        out += [Fraction(2 * i - (m - 1), 2) for i in range(m)]
    return out


def bisect_certify_negative(fn, lo, hi, max_depth: int = 40, max_boxes: int = 200000,
                            progress: Callable[[int], None] | None = None):
    """Prove ``fn(x) < 0`` for every x in ``[lo, hi]`` (arb endpoints) by bisection.

    ``fn`` maps an arb ball to an arb ball enclosing the range.  Returns ``(status, boxes, witness)``
    with ``status`` one of ``"proved"`` (witness None), ``"refuted"`` (witness: a point where fn is
    certainly >= 0) or ``"undecided"`` (witness: the box that could not be decided at ``max_depth``,
    or the box budget that ran out, with how many boxes were done).  ``progress(boxes)`` is called
    every 256 boxes (a time budget may raise there).
    """
    stack = [(lo, hi, 0)]
    boxes = 0
    while stack:
        a, b, depth = stack.pop()
        boxes += 1
        if progress is not None and boxes % 256 == 0:
            progress(boxes)
        if boxes > max_boxes:
            return "undecided", boxes, {"undecided_box": (a.str(15), b.str(15)),
                                        "reason": f"box budget exhausted ({max_boxes} boxes)", "left": len(stack) + 1}
        box = a.union(b)
        if bool(fn(box) < 0):
            continue
        mid = (a + b) / 2
        val = fn(mid)
        if bool(val >= 0):
            return "refuted", boxes, {"delta": mid.str(20), "value": val.str(15), "reason": "certainly >= 0 here"}
        if depth >= max_depth:
            return "undecided", boxes, {"undecided_box": (a.str(15), b.str(15)), "reason": f"max depth {max_depth}"}
        stack.append((mid, b, depth + 1))
        stack.append((a, mid, depth + 1))
    return "proved", boxes, None


def certify_cos2_upper_bound(K: int, delta_over_pi: Fraction, claimed_sq, tol, max_boxes: int = 400000,
                             progress: Callable[[int], None] | None = None):
    """Branch-and-bound in arb: ``|Σ e^{2iθ_k}|² <= claimed_sq + tol`` over ALL configurations with gaps >= δ.

    Variables: the gap excesses ``e_k = g_k - δ >= 0`` (``Σ_k e_k = s = 2π - Kδ``), written by stick
    breaking ``e_1 = s u_1, e_2 = s (1-u_1) u_2, ...`` with ``u`` in the unit cube ``[0,1]^{K-1}`` (an exact
    parametrisation of the simplex: every box is feasible).  The rotation does not change the modulus.
    Each box is bounded by the mean-value form ``F(c) + Σ_i sup|∂F/∂u_i (box)| · halfwidth_i``; where
    ``∂F/∂u_i`` has a certain sign on a box, the box collapses onto the face where F is larger
    (monotonicity test).  Returns ``(status, boxes, witness)``: ``"proved"`` (witness None),
    ``"refuted"`` (witness: a point u of the cube, hence a feasible configuration, whose gaps are
    listed, with ``F > claimed_sq + tol`` certified) or ``"undecided"`` (the box budget ran out;
    the witness says how many boxes were done and how many were left).  ``progress(boxes)`` is
    called every 256 boxes (a time budget may raise there).
    """
    import flint

    K = require_K(K, 3)
    q = Fraction(delta_over_pi)
    pi = flint.arb.pi()
    d = pi * q.numerator / q.denominator
    slack_q = 2 - K * q  # units of π
    n = K - 1
    if slack_q == 0:
        return "proved", 0, None  # only the regular K-gon, whose value is 0 <= claimed_sq
    s = pi * slack_q.numerator / slack_q.denominator
    zero = flint.arb(0)

    def F_and_grad(u):
        # stick breaking: e_i = P_i u_i with P_i = s Π_{j<i} (1 - u_j)
        P = [s]
        for i in range(n - 1):
            P.append(P[-1] * (1 - u[i]))
        e = [P[i] * u[i] for i in range(n)]
        th = [zero]  # K angles: θ_0 = 0, θ_j = θ_{j-1} + δ + e_{j-1}
        for i in range(n):
            th.append(th[-1] + d + e[i])
        c2 = [(2 * t).cos() for t in th]
        s2 = [(2 * t).sin() for t in th]
        C, S = sum(c2, zero), sum(s2, zero)
        F = C * C + S * S
        # ∂F/∂e_k: e_k shifts θ_j for j > k
        gE = [2 * C * (-2 * sum(s2[k + 1:], zero)) + 2 * S * (2 * sum(c2[k + 1:], zero)) for k in range(n)]
        # ∂e_k/∂u_i = P_i (k = i); -P_i Π_{i<j<k}(1-u_j) u_k (k > i); 0 (k < i)
        gU = []
        for i in range(n):
            acc = gE[i] * P[i]
            prod = P[i]
            for k in range(i + 1, n):
                acc = acc - gE[k] * prod * u[k]
                prod = prod * (1 - u[k])
            gU.append(acc)
        return F, gU

    bound = claimed_sq + tol
    one = flint.arb(1)
    stack = [([zero] * n, [one] * n)]
    boxes = 0
    while stack:
        lo, hi = stack.pop()
        boxes += 1
        if progress is not None and boxes % 256 == 0:
            progress(boxes)
        if boxes > max_boxes:
            return "undecided", boxes, {"reason": f"box budget exhausted ({max_boxes} boxes)",
                                        "boxes_left": len(stack) + 1}
        box = [a.union(b) for a, b in zip(lo, hi)]
        _, g = F_and_grad(box)
        lo = [b if bool(gi > 0) else a for a, b, gi in zip(lo, hi, g)]  # F increases in u_i: face u_i = hi
        hi = [a if bool(gi < 0) else b for a, b, gi in zip(lo, hi, g)]  # F decreases in u_i: face u_i = lo
        mid = [(a + b) / 2 for a, b in zip(lo, hi)]
        half = [(b - a) / 2 for a, b in zip(lo, hi)]
        Fm, _ = F_and_grad(mid)
        if bool(Fm > bound):
            P, e = s, []
            for x in mid:
                e.append(P * x)
                P = P * (1 - x)
            gaps = [float((d + ei).mid()) for ei in e] + [float((2 * pi - d * n - sum(e, zero)).mid())]
            return "refuted", boxes, {"u": [float(x.mid()) for x in mid], "gaps": gaps,
                                      "sum_exp2i_abs_sq": Fm.str(15), "bound": bound.str(15),
                                      "reason": "a feasible configuration above the bound (certified)"}
        _, g = F_and_grad([a.union(b) for a, b in zip(lo, hi)])
        ub = Fm + sum((abs(gi) * h for gi, h in zip(g, half)), zero)
        if bool(ub <= bound):
            continue
        j = max(range(n), key=lambda i: float((hi[i] - lo[i]).mid()))
        m = mid[j]
        stack.append((lo, hi[:j] + [m] + hi[j + 1:]))
        stack.append((lo[:j] + [m] + lo[j + 1:], hi))
    return "proved", boxes, None


# --------------------------------------------------------------------------- symbolic machinery (L-D.3, T3.2 proofs)
def sympy_run_sum(m, delta, centre=0):
    """``Σ_{j<m} e^{2i(c + (j - (m-1)/2) δ)}`` summed by sympy for a symbolic (or integer) ``m``: the
    run of m angles at spacing δ centred at c.  The generic branch of sympy's Piecewise is kept
    (``e^{2iδ} != 1``: 0 < δ < π)."""
    import sympy as sp

    j = sp.Dummy("j", integer=True, nonnegative=True)
    S = sp.summation(sp.exp(2 * sp.I * (centre + (j - (m - 1) / sp.Integer(2)) * delta)), (j, 0, m - 1))
    return S.replace(lambda e: isinstance(e, sp.Piecewise), lambda e: e.args[-1][0])


def sympy_is_zero(expr, half_angle=None) -> bool:
    """True when sympy reduces ``expr`` to 0.  False means "not shown", never "shown non-zero".

    Tried in turn: ``simplify``; the exponential form with exponents factored (so that e.g.
    ``e^{iπ(m+1)/(m+1)}`` collapses); and, when ``half_angle`` (a positive symbol δ) is given, the
    substitution δ = 2u followed by ``expand_trig`` (identities between δ and δ/2)."""
    import sympy as sp

    if sp.simplify(expr) == 0:
        return True
    e = sp.expand(expr.rewrite(sp.exp))
    if sp.simplify(e) == 0:
        return True
    e = sp.powsimp(e, combine="exp")
    e = e.replace(sp.exp, lambda a: sp.exp(sp.factor(sp.expand(a))))
    if sp.simplify(e) == 0:
        return True
    if half_angle is not None:
        u = sp.Dummy("u", positive=True)
        e = sp.expand_trig(sp.expand(expr.subs(half_angle, 2 * u)))
        if sp.simplify(e) == 0 or sp.simplify(sp.expand(e.rewrite(sp.exp))) == 0:
            return True
    return False


def z3_runs_on_circle(runs: Sequence[str], extra: Callable | None = None) -> str:
    """Can runs of these kinds sit together on the circle?  z3 (linear real arithmetic), for every δ.

    A *run* is a maximal block of consecutive angles at spacing exactly δ; its length ``x = m δ``
    (m angles) is a real ``x >= δ``; distinct runs are separated by free gaps ``> δ``.  Kinds:
    ``"pos"`` (``x < π``: its Σ e^{2iθ} points along ``e^{2ic}`` with a positive factor, so a locally
    optimal run is centred at c ∈ {0, π}), ``"neg"`` (π < x < 2π: centred at π/2 or 3π/2) and
    ``"zero"`` (``x = π``: any centre).  Geometry, for every pair of runs i, j: the counter-clockwise
    arc from c_i to c_j, and the one back, each contain the halves ``(x_i - δ)/2`` and ``(x_j - δ)/2``
    and a free gap ``> δ``.  Besides, ``Σ x <= Kδ`` with ``3δ <= Kδ < 2π``.  ``π`` and ``Kδ`` are
    real unknowns too: the answer holds for every K >= 3 and δ.  ``extra(z3, env)`` may add
    constraints (``env``: ``p``, ``d``, ``X``, lists ``x``, ``c``).  Returns z3's ``"sat"`` /
    ``"unsat"`` / ``"unknown"``.
    """
    import z3

    p, d, X = z3.Reals("pi delta K_delta")
    s = z3.Solver()
    s.add(p > 0, d > 0, X >= 3 * d, X < 2 * p)
    xs, cs = [], []
    for i, kind in enumerate(runs):
        x, c = z3.Real(f"x{i}"), z3.Real(f"c{i}")
        s.add(x >= d)
        if kind == "pos":
            s.add(x < p, z3.Or(c == 0, c == p))
        elif kind == "neg":
            s.add(x > p, x < 2 * p, z3.Or(c == p / 2, c == 3 * p / 2))
        elif kind == "zero":
            s.add(x == p, c >= 0, c < 2 * p)
        else:
            raise ValueError(f"unknown run kind {kind!r}")
        xs.append(x)
        cs.append(c)
    s.add(z3.Sum(xs) <= X if len(xs) > 1 else xs[0] <= X)
    for i in range(len(runs)):
        for j in range(i + 1, len(runs)):
            D = z3.If(cs[j] - cs[i] >= 0, cs[j] - cs[i], cs[j] - cs[i] + 2 * p)
            half = (xs[i] - d) / 2 + (xs[j] - d) / 2
            g, h = z3.Real(f"g{i}_{j}"), z3.Real(f"h{i}_{j}")
            s.add(g > d, h > d, D >= half + g, 2 * p - D >= half + h)
    if extra is not None:
        s.add(extra(z3, {"p": p, "d": d, "X": X, "x": xs, "c": cs}))
    return str(s.check())
