"""Helpers shared by the step modules of T3.1 (exponents, construction names, closed forms)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

from numerics.constructions import cross_polytope_mean_logits, pl_value, singular_values_claimed

PAPER_EXPONENT = "(1 - L)/(1 + L)"  # even threshold 2^{e(L)} < 1 - 1/K
WRONG_EXPONENT = "-L/(L + 1)"  # the negative control of the issue
L_SYM = sp.Symbol("L", positive=True)


def _exponent(expr: str) -> sp.Expr:
    return sp.sympify(expr, locals={"L": L_SYM})


def _cp_kind(K: int, singleton: str) -> str:
    return "cp_even" if K % 2 == 0 else f"cp_odd_{singleton}"


def _cp_mean_logits(K: int, singleton: str, exact_arith: bool = False) -> np.ndarray:
    return cross_polytope_mean_logits(K, singleton=singleton, exact_arith=exact_arith)



def _closed_form(kind: str, K: int, L: int, n: int, pair_sigma_sq_per_n) -> float:
    """The claimed closed forms of V_DNC / V_CP (Eq. 11, 15, 16), in float."""
    return pl_value(singular_values_claimed(kind, K, n, pair_sigma_sq_per_n=pair_sigma_sq_per_n), L)


def _pow2_less(e: sp.Rational, q: Fraction) -> bool:
    """Exactly: ``2^e < q`` for rational e and positive rational q (raise both sides to the denominator)."""
    e = sp.Rational(e)
    a, b = int(e.p), int(e.q)  # e = a/b, b > 0
    two_a = Fraction(2) ** a
    return two_a < q ** b



def _fuzz_grid(values, minimum: int, default: tuple[int, ...]) -> tuple[int, ...]:
    """The (K or L) values a fuzz check draws from: ctx's grid (the check's default, or the user's
    override) restricted to what the check supports (>= minimum, <= max of its default range)."""
    top = max(default)
    kept = tuple(v for v in values if minimum <= v <= top)
    if not kept:
        raise ValueError(f"no value of {tuple(values)[:20]} in the supported range [{minimum}, {top}]")
    return kept

