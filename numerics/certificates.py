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
