"""L-D.3: the closed forms, the configurations attaining them, exact gaps, and the global search."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Sequence

import numpy as np
from scipy.optimize import minimize

from .basics import circular_gaps, require_delta, require_K

__all__ = ["ld3_regime", "ld3_closed_form", "ld3_optimal_gaps", "angles_from_gaps", "ld3_optimal_angles", "sum_cos2",
           "sum_exp2i_abs_sq", "flipped_cluster_gaps", "exact_gaps_from_angles", "max_cos2_search", "cluster_offsets"]


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
