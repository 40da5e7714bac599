"""The exact polynomial helpers of numerics.exact_ufm and the K = 2 softmax witness of
numerics.hadamard_symbolic, against sympy's own polynomial arithmetic and closed forms.

In the shipped exact instances every softmax column has the same denominator, so the
cofactor products multiply by 1 and a slip in ``poly_mul`` could not show there; these
tests pin the helpers on polynomials with colliding exponents.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from numerics.exact_ufm import poly_add, poly_eval_mp, poly_mul
from numerics.hadamard_symbolic import psi_at_K2

t = sp.Symbol("t")


def _random_poly(rng: np.random.Generator, terms: int) -> dict[int, Fraction]:
    exps = rng.choice(8, size=terms, replace=False)
    return {int(e): Fraction(int(rng.integers(-9, 10)) or 1, int(rng.integers(1, 5))) for e in exps}


def _sympy(p: dict[int, Fraction]) -> sp.Expr:
    return sum((sp.Rational(c.numerator, c.denominator) * t**e for e, c in p.items()), sp.Integer(0))


def _from_sympy(expr: sp.Expr) -> dict[int, Fraction]:
    poly = sp.Poly(sp.expand(expr), t)
    return {int(m[0]): Fraction(int(c.p), int(c.q)) for m, c in zip(poly.monoms(), poly.coeffs()) if c != 0}


@pytest.mark.parametrize("seed", range(6))
def test_poly_mul_and_add_agree_with_sympy(seed):
    rng = np.random.default_rng(seed)
    a, b = _random_poly(rng, 4), _random_poly(rng, 3)
    assert poly_mul(a, b) == _from_sympy(_sympy(a) * _sympy(b))
    scale = Fraction(-3, 2)
    assert poly_add(a, b, scale) == _from_sympy(_sympy(a) + sp.Rational(-3, 2) * _sympy(b))


def test_poly_mul_collects_equal_exponents():
    # (1 + t)^2 = 1 + 2t + t^2: the two cross terms land on the same exponent
    assert poly_mul({0: Fraction(1), 1: Fraction(1)}, {0: Fraction(1), 1: Fraction(1)}) == {0: 1, 1: 2, 2: 1}


def test_poly_eval_matches_sympy():
    import mpmath

    p = {0: Fraction(1, 3), 2: Fraction(-2), 5: Fraction(7, 4)}
    assert abs(poly_eval_mp(p, mpmath.mpf("1.5")) - float(_sympy(p).subs(t, sp.Rational(3, 2)))) < 1e-12


@pytest.mark.parametrize("scale", [1, 2, 3])
def test_psi_at_K2_is_tanh(scale):
    """K = 2: softmax((λ, -λ)/s) = (e^{λ/s}, e^{-λ/s})/(2 cosh(λ/s)), so ψ_1 = g_0 - g_1 = tanh(λ/s)."""
    lam = sp.Symbol("lambda", positive=True)
    assert sp.simplify((psi_at_K2(lam, scale) - sp.tanh(lam / scale)).rewrite(sp.exp)) == 0
