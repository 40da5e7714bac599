"""numerics.certificates: enclosures checked against exact values, decisions against their own evidence.

Independent routes: the singular values of the test matrices are known in closed form
(computed here by mpmath at 300 digits from the formula, not by the module), and every
ball must contain them at every working precision, including very low ones where a
rounding-direction slip (an upper end taken from a lower end) is wider than the ball.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
from flint import arb

from numerics import certificates as cert
from numerics.intervals import working_precision

with mpmath.workdps(300):  # the constants carry 300 digits; the global mpmath precision is left alone
    SQRT5 = mpmath.sqrt(5)
    PHI = (1 + SQRT5) / 2  # A = [[1, 1], [0, 1]]: A A^T = [[2, 1], [1, 1]], eigenvalues (3 ± √5)/2
    SHEAR_GRAM_EIG = ((3 - SQRT5) / 2, (3 + SQRT5) / 2)
    SYM_EIG = ((5 + SQRT5) / 6, (5 - SQRT5) / 6)  # B = [[2, 1], [1, 3]] / 3: eigenvalues (5 ± √5)/6
    SYM_NUCLEAR = mpmath.mpf(5) / 3
SHEAR = np.array([[Fraction(1), Fraction(1)], [Fraction(0), Fraction(1)]], dtype=object)
SYM = np.array([[Fraction(2, 3), Fraction(1, 3)], [Fraction(1, 3), Fraction(1)]], dtype=object)
PRECISIONS = (6, 10, 16, 53, 200)


def _contains(ball, value: mpmath.mpf) -> bool:
    """The ball contains ``value`` (a 300-digit number, compared through an arb at 1000 bits)."""
    with working_precision(1000), mpmath.workdps(300):
        return bool(ball.contains(arb(mpmath.nstr(value, 290))))


@pytest.mark.parametrize("prec", PRECISIONS)
def test_operator_norm_ball_contains_the_exact_value(prec):
    assert _contains(cert.operator_norm_ball(SHEAR, prec), PHI)
    assert _contains(cert.operator_norm_ball(SYM, prec), SYM_EIG[0])


@pytest.mark.parametrize("prec", PRECISIONS)
def test_nuclear_norm_ball_contains_the_exact_value(prec):
    assert _contains(cert.nuclear_norm_ball(SHEAR, prec), SQRT5)  # φ + 1/φ
    assert _contains(cert.nuclear_norm_ball(SYM, prec), SYM_NUCLEAR)


@pytest.mark.parametrize("prec", PRECISIONS)
def test_gram_eigenvalue_balls_contain_the_exact_eigenvalues(prec):
    balls = sorted(cert.gram_eigenvalue_balls(SHEAR, prec), key=lambda b: float(b.mid()))
    assert _contains(balls[0], SHEAR_GRAM_EIG[0]) and _contains(balls[1], SHEAR_GRAM_EIG[1])


def test_a_poor_float_factor_is_not_certified(monkeypatch):
    """The PD certificate's decision follows its own residual bound: a Cholesky factor that is
    off by 10 % leaves a residual far above τ, which must not certify (whatever the matrix)."""
    A = np.array([[10, 2, 0], [2, 10, 1], [0, 1, 10]], dtype=float)
    good = cert.certify_positive_definite(A, 1)
    assert good["certified"] and good["residual_rowsum_bound"] < 1
    true_cholesky = np.linalg.cholesky
    monkeypatch.setattr(np.linalg, "cholesky", lambda M: 0.9 * true_cholesky(M))
    bad = cert.certify_positive_definite(A, 1)
    assert bad["residual_rowsum_bound"] > 1  # ||A - τI - R R^T|| with R 10 % small: about 0.19 ||A||
    assert bad["certified"] is False


def test_nuclear_norm_bracket_brackets_the_exact_minimum():
    """K = 3: Z = M_3 = I - 11^T/3 has every margin 1 and ||M_3||_* = 2 (singular values 1, 1, 0);
    μ = 1/3 on each of the 6 wrong-class constraints gives G = M_3, ||G||_op = 1 and Σμ = 2, so the
    exact minimum 2 must lie in [lower, upper], both within rounding of 2."""
    K = 3
    Z = np.eye(K) - np.ones((K, K)) / K
    mu = np.full((K, K), 1.0 / K)
    out = cert.nuclear_norm_bracket(Z, mu, list(range(K)))
    assert out["mu_sum"] == Fraction(2)
    assert not bool(out["lower"] > 2) and not bool(out["upper"] < 2)
    assert abs(float(out["lower"].mid()) - 2) < 1e-6 and abs(float(out["upper"].mid()) - 2) < 1e-6
