"""Unit tests for numerics/constructions.py and numerics/certificates.py."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from numerics.certificates import (exact_margins, margin_multiplier_matrix, nuclear_norm_ball,
                                   operator_norm_ball, to_fractions)
from numerics.constructions import (centred_odd_gap_arb, cp_beats_dnc_exact, cross_polytope_mean_logits,
                                    dnc_mean_logits, even_form_crossing, even_form_holds,
                                    gauged_balanced_factors, logits_of, pl_value, singular_values_claimed)
from numerics.deep_ufm import class_labels
from numerics.schatten import pl_objective, product


@pytest.mark.parametrize("K", [3, 4, 5, 8, 9])
@pytest.mark.parametrize("singleton", ["plain", "centred"])
def test_cross_polytope_margins_exactly_one(K, singleton):
    Zbar = cross_polytope_mean_logits(K, singleton=singleton, exact_arith=True)
    ms = exact_margins(logits_of(Zbar, 2), class_labels(K, 2))
    assert min(ms) == 1 and all(m >= 1 for m in ms)


def test_dnc_margins_and_singular_values():
    K, n = 6, 3
    Z = logits_of(dnc_mean_logits(K, exact_arith=True), n)
    assert set(exact_margins(Z, class_labels(K, n))) == {Fraction(1)}
    s = np.linalg.svd(Z.astype(float), compute_uv=False)
    assert np.allclose(s[: K - 1], math.sqrt(n)) and abs(s[-1]) < 1e-12


def test_centred_singleton_singular_value():
    K = 7
    s = np.linalg.svd(cross_polytope_mean_logits(K, singleton="centred"), compute_uv=False)
    assert np.isclose(s[(K - 1) // 2], math.sqrt((K - 1) / K))


def test_gauged_factors_product_and_objective():
    rng = np.random.default_rng(0)
    K, L, n = 5, 3, 2
    Z = logits_of(cross_polytope_mean_logits(K, singleton="centred"), n)
    F = gauged_balanced_factors(Z, L, K + 2, rng)
    assert np.allclose(product(F), Z, atol=1e-12)
    v = pl_value(singular_values_claimed("cp_odd_centred", K, n), L)
    assert abs(pl_objective(F) - v) < 1e-12 * v


def test_even_form_small_cases():
    assert not even_form_holds(4, 2) and even_form_holds(5, 2)  # 64 > 54, 125 < 128
    assert even_form_crossing(1, 1000) is None
    assert even_form_crossing(2, 1000) == 5 and even_form_crossing(3, 1000) == 4


def test_cp_beats_dnc_regions_agree_on_small_grid():
    for L in range(1, 7):
        for K in range(3, 30):
            expect = (L == 2 and K >= 6) or (L >= 3 and K >= 4)
            if K % 2:
                assert cp_beats_dnc_exact(K, L, "plain") == expect == cp_beats_dnc_exact(K, L, "centred")
            else:
                assert cp_beats_dnc_exact(K, L) == expect


def test_centred_gap_ball_sign():
    assert centred_odd_gap_arb(5, 2) < 0 and centred_odd_gap_arb(7, 2) > 0


def test_bad_inputs():
    with pytest.raises(ValueError):
        cross_polytope_mean_logits(2)
    with pytest.raises(ValueError):
        dnc_mean_logits(1)
    with pytest.raises(ValueError):
        cross_polytope_mean_logits(5, singleton="middle")
    with pytest.raises(ValueError):
        logits_of(dnc_mean_logits(3), 0)
    with pytest.raises(ValueError):
        cp_beats_dnc_exact(4, 0)
    with pytest.raises(ValueError):
        to_fractions(np.array([1.0, np.nan]))


def test_certificate_norms_exact_cases():
    # diag(3, 4): nuclear 7, operator 4
    A = np.array([[Fraction(3), Fraction(0)], [Fraction(0), Fraction(4)]], dtype=object)
    assert nuclear_norm_ball(A).contains(7) and operator_norm_ball(A).contains(4)
    # the uniform multipliers' matrix is a multiple of DNC
    K, n = 4, 1
    mu = np.full((K, K * n), Fraction(1, K), dtype=object)
    G = margin_multiplier_matrix(mu, class_labels(K, n))
    assert np.all(G == dnc_mean_logits(K, exact_arith=True))


def test_nuclear_norm_bracket_on_exact_dnc():
    from numerics.certificates import nuclear_norm_bracket

    K, n = 5, 1
    labels = class_labels(K, n)
    Z = logits_of(dnc_mean_logits(K), n)
    mu = np.full((K, K * n), 1.0 / K)
    br = nuclear_norm_bracket(Z, mu, labels)
    assert br["lower"].contains(K - 1) and br["upper"].contains(K - 1) and br["repair_factor"] == 1


def test_nuclear_norm_bracket_repairs_scaled_primal():
    from numerics.certificates import nuclear_norm_bracket

    K, n = 4, 2
    labels = class_labels(K, n)
    Z = 0.5 * logits_of(dnc_mean_logits(K), n)  # margins 1/2: repaired by the factor 2
    mu = np.full((K, K * n), 1.0 / (K * math.sqrt(n)))
    br = nuclear_norm_bracket(Z, mu, labels)
    assert br["repair_factor"] == 2
    assert bool(br["lower"] <= br["upper"]) or br["lower"].overlaps(br["upper"])
