"""Rigorous certificates for convex programs solved in floating point.

The L = 1 problem of Part 1 is convex: minimise the nuclear norm ``||Z||_*`` of a
K x N logit matrix subject to the margin constraints ``Z[c_i, i] - Z[c', i] >= 1``.
A floating-point solver (cvxpy/CLARABEL) returns a primal ``Z`` and multipliers
``μ >= 0``.  This module turns them into a rigorous bracket of the optimum:

* lower bound (weak duality): for any ``μ >= 0`` put ``G = Σ_j μ_j ∇a_j``
  (column i: ``Σ_{c'} μ_{c',i} (e_{c_i} - e_{c'})``).  For every feasible Z,
  ``||Z||_* >= <Z, G> / ||G||_op = Σ_j μ_j a_j(Z) / ||G||_op >= Σ_j μ_j / ||G||_op``.
  ``μ`` is rounded to exact fractions and ``||G||_op² = λ_max(G G^T)`` is enclosed by
  isolating the roots of the exact characteristic polynomial (flint, rigorous).
* upper bound: the solver's Z is rounded to fractions and divided by its exact
  minimum margin when that is below 1 (the repair), so it is exactly feasible; its
  nuclear norm ``Σ sqrt(λ_i(Z Z^T))`` is enclosed the same way.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

import flint
import numpy as np

from .intervals import arb, working_precision

__all__ = [
    "to_fractions",
    "exact_margins",
    "margin_multiplier_matrix",
    "gram_eigenvalue_balls",
    "nuclear_norm_ball",
    "operator_norm_ball",
    "nuclear_norm_bracket",
    "certify_positive_definite",
    "integer_nullspace",
]


def to_fractions(A: np.ndarray, max_denominator: int = 10**8) -> np.ndarray:
    """Round a float array entrywise to nearby fractions (object array)."""
    A = np.asarray(A, dtype=float)
    if not np.all(np.isfinite(A)):
        raise ValueError("cannot round non-finite values to fractions")
    f = np.frompyfunc(lambda x: Fraction(x).limit_denominator(max_denominator), 1, 1)
    return f(A)


def exact_margins(Z: np.ndarray, labels: Sequence[int]) -> list[Fraction]:
    """``Z[c_i, i] - max_{c' != c_i} Z[c', i]`` per column, exactly."""
    K, N = Z.shape
    out = []
    for i in range(N):
        c = int(labels[i])
        out.append(Z[c, i] - max(Z[r, i] for r in range(K) if r != c))
    return out


def margin_multiplier_matrix(mu: np.ndarray, labels: Sequence[int]) -> np.ndarray:
    """``G`` with column i equal to ``Σ_{c' != c_i} μ[c', i] (e_{c_i} - e_{c'})`` (exact if μ is).

    ``mu`` is K x N with ``mu[c_i, i]`` ignored (the own-class entry carries no constraint).
    """
    K, N = mu.shape
    G = np.empty((K, N), dtype=object)
    for i in range(N):
        c = int(labels[i])
        total = 0
        for r in range(K):
            if r == c:
                continue
            G[r, i] = -mu[r, i]
            total = total + mu[r, i]
        G[c, i] = total
    return G


def _fmpq_mat(A: np.ndarray) -> flint.fmpq_mat:
    rows, cols = A.shape
    return flint.fmpq_mat(rows, cols, [flint.fmpq(Fraction(x).numerator, Fraction(x).denominator)
                                       for x in A.ravel()])


def gram_eigenvalue_balls(A: np.ndarray, prec: int = 200) -> list:
    """Rigorous balls for the eigenvalues of ``A A^T`` (A exact rational), with multiplicity.

    Roots of the exact characteristic polynomial are isolated by flint; all are real
    (``A A^T`` is symmetric), so the real parts of the complex balls are returned.
    """
    M = _fmpq_mat(A)
    gram = M * M.transpose()
    poly = gram.charpoly()
    with working_precision(prec):
        roots = poly.complex_roots()
        out = []
        for r, mult in roots:
            out.extend([r.real] * mult)
    return out


def _sqrt_nonneg(x):
    """``sqrt`` of a ball known to enclose a non-negative number (clipped at 0)."""
    lo = arb(x.lower())
    hi = arb(x.upper())
    if hi < 0:
        raise ArithmeticError("eigenvalue of a Gram matrix enclosed below 0")
    lo_s = arb(0) if not (lo > 0) else lo.sqrt()
    hi_s = hi.sqrt()
    return lo_s.union(hi_s)


def nuclear_norm_ball(A: np.ndarray, prec: int = 200):
    """A ball enclosing ``||A||_* = Σ sqrt(λ_i(A A^T))`` for an exact rational matrix."""
    with working_precision(prec):
        total = arb(0)
        for lam in gram_eigenvalue_balls(A, prec):
            total += _sqrt_nonneg(lam)
        return total


def operator_norm_ball(A: np.ndarray, prec: int = 200):
    """A ball enclosing ``||A||_op = sqrt(λ_max(A A^T))``."""
    with working_precision(prec):
        lams = gram_eigenvalue_balls(A, prec)
        hi = max(arb(l.upper()) for l in lams)
        lo = max(arb(l.lower()) for l in lams)
        return _sqrt_nonneg(lo.union(hi))


def nuclear_norm_bracket(Z_float: np.ndarray, mu_float: np.ndarray, labels: Sequence[int],
                         max_denominator: int = 10**8, prec: int = 200) -> dict:
    """Rigorous ``[lower, upper]`` for ``min ||Z||_*`` s.t. margins >= 1, from a float solution.

    Returns the balls, the exact repair factor, and the exact multipliers' sum.
    """
    labels = [int(c) for c in labels]
    K, N = Z_float.shape
    mu = to_fractions(np.maximum(mu_float, 0.0), max_denominator)
    for i, c in enumerate(labels):
        mu[c, i] = Fraction(0)
    G = margin_multiplier_matrix(mu, labels)
    mu_sum = sum((mu[r, i] for r in range(K) for i in range(N) if r != labels[i]), Fraction(0))
    Zq = to_fractions(Z_float, max_denominator)
    m = min(exact_margins(Zq, labels))
    if m <= 0:
        raise ArithmeticError("the rounded primal has a non-positive margin: cannot repair by scaling")
    repair = Fraction(1) if m >= 1 else 1 / m
    Zrep = Zq * repair
    assert min(exact_margins(Zrep, labels)) >= 1
    with working_precision(prec):
        op = operator_norm_ball(G, prec)
        lower = arb(mu_sum.numerator) / arb(mu_sum.denominator) / op
        upper = nuclear_norm_ball(Zrep, prec)
    return {"lower": lower, "upper": upper, "repair_factor": repair, "mu_sum": mu_sum,
            "distinct_multipliers": len({mu[r, i] for r in range(K) for i in range(N) if r != labels[i]})}


# --------------------------------------------------------------------------- positive definiteness
UNIT_ROUNDOFF = 2.0**-53


def _exact_residual_rowsum(A: np.ndarray, tau: int, R: np.ndarray) -> tuple[int, int]:
    """Exactly (flint integers): ``R~ = round(2^t R)``, ``E = 2^{2t}(A - τI) - R~ R~^T``;
    returns ``(max_i Σ_j |E_ij|, 2^{2t})``.  Then ``2^{2t} A = R~ R~^T + 2^{2t} τ I + E``."""
    rmax = float(np.max(np.abs(R))) if R.size else 1.0
    t = 50 - int(np.ceil(np.log2(rmax if rmax > 0 else 1.0)))
    Rt = np.rint(np.ldexp(R, t)).astype(np.int64)
    big = flint.fmpz(2) ** (2 * t)
    shifted = A.astype(np.int64) - int(tau) * np.eye(A.shape[0], dtype=np.int64)
    Ai = flint.fmpz_mat([[int(v) for v in row] for row in shifted.tolist()])
    Rm = flint.fmpz_mat(Rt.tolist())
    E = Ai * big - Rm * Rm.transpose()
    worst = max((sum(abs(int(v)) for v in row) for row in E.tolist()), default=0)
    return int(worst), int(big)


def certify_positive_definite(A: np.ndarray, tau: int, *, exact_max_dim: int = 1200) -> dict:
    """A rigorous proof that the symmetric integer-valued matrix A satisfies A ≻ 0 (indeed
    λ_min(A) >= τ - ||E|| > 0), or a report that the attempt failed (never a claim that A is not PD).

    Float64 Cholesky ``A - τI = R R^T + E``; then ``A = R R^T + τI + E ⪰ (τ - ||E||_2) I`` and
    ``||E||_2 <= max_i Σ_j |E_ij|`` (E symmetric).  The residual bound is computed
    * exactly (``route="exact"``, dim <= ``exact_max_dim``): R rounded to integers at 2^t, E in flint integers;
    * else by the a-priori rounding-error bound of floating-point dot products (``route="float a priori"``):
      with u = 2^-53 and γ_n = n u / (1 - n u), ``|fl(R R^T) - R R^T| <= γ_n |R| |R|^T`` entrywise (Higham,
      Accuracy and Stability, eq. 3.13; any summation order, FMA or not), the one rounding of the
      subtraction, and the rounding of the row sums (non-negative terms: fl(Σ) >= (1 - γ_n) Σ), an
      absolute n 2^-1022 per entry for underflow; the final inequality is decided in arb.
    Requires A exactly representable (integers below 2^52) and τ a positive integer.
    """
    A = np.asarray(A, dtype=np.float64)
    n = A.shape[0]
    if not np.array_equal(A, A.T):
        raise ValueError("A must be symmetric")
    if not np.all(A == np.rint(A)) or (n and np.max(np.abs(A)) >= 2.0**52):
        raise ValueError("A must be integer-valued with entries below 2^52 (exact in float64)")
    out = {"dimension": n, "tau": int(tau)}
    try:
        R = np.linalg.cholesky(A - tau * np.eye(n))
    except np.linalg.LinAlgError:
        out.update(certified=False, reason="float64 Cholesky of A - τI failed")
        return out
    if n <= exact_max_dim:
        worst, big = _exact_residual_rowsum(A, tau, R)
        out.update(route="exact", residual_rowsum_bound=worst / big, certified=bool(worst < int(tau) * big))
        return out
    gamma = n * UNIT_ROUNDOFF / (1 - n * UNIT_ROUNDOFF)
    S = R @ R.T
    D = (A - tau * np.eye(n)) - S
    W = np.abs(R) @ np.abs(R).T
    rowD = np.sum(np.abs(D), axis=1)
    rowW = np.sum(W, axis=1)
    with working_precision(128):
        g = arb(n) * arb(UNIT_ROUNDOFF)
        g = g / (1 - g)
        u = arb(UNIT_ROUNDOFF)
        tiny = arb(n) * arb(n) * arb(2) ** -1022
        # every row at once: the bound is monotone in rowD_i and rowW_i, so their maxima bound all rows
        b_all = (arb(float(np.max(rowD))) / ((1 - u) * (1 - g)) + g / (1 - g) * arb(float(np.max(rowW))) / (1 - g)
                 + tiny)
        certified = bool(b_all < arb(int(tau)))
        out.update(route="float a priori", residual_rowsum_bound=float(b_all.upper()), certified=certified,
                   gamma_n=float(gamma))
    return out


def integer_nullspace(M: np.ndarray) -> list[np.ndarray]:
    """An exact basis (integer vectors) of the null space of an integer-valued matrix (flint)."""
    Mi = flint.fmpz_mat([[int(v) for v in row] for row in np.asarray(M).astype(np.int64).tolist()])
    X, nullity = Mi.nullspace()
    vecs = []
    entries = X.tolist()
    for k in range(int(nullity)):
        vecs.append(np.array([int(entries[r][k]) for r in range(X.nrows())], dtype=object))
    return vecs
