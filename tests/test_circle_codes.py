"""Unit tests for numerics.circle_codes (L-D.3, T3.2 machinery)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from numerics.circle_codes import (
    ARB,
    bisect_certify_negative,
    circular_gaps,
    cluster_offsets,
    equal_norm_rank2_search,
    kgon_gram,
    kgon_norm_sq,
    ld3_closed_form,
    ld3_optimal_angles,
    ld3_optimal_gaps,
    ld3_regime,
    max_cos2_search,
    one_vs_rest_margins,
    rank2_equal_norm_objective,
    sum_cos2,
)
from numerics.intervals import arb, working_precision


def test_circular_gaps_sum_to_two_pi():
    th = np.array([0.1, 3.0, 5.0, -1.0])
    g = circular_gaps(th)
    assert g.min() > 0 and abs(g.sum() - 2 * math.pi) < 1e-12


@pytest.mark.parametrize("K", [3, 4, 7, 10])
@pytest.mark.parametrize("frac", [Fraction(1, 10), Fraction(1, 2), Fraction(95, 100), Fraction(1)])
def test_optimal_configuration_attains_closed_form(K, frac):
    q = frac * Fraction(2, K)
    gaps = ld3_optimal_gaps(K, q)
    assert sum(gaps) == 2 and min(gaps) >= q  # exact feasibility
    th = ld3_optimal_angles(K, q)
    assert abs(sum_cos2(th) - ld3_closed_form(K, float(q) * math.pi)) < 1e-12
    assert circular_gaps(np.array(th)).min() >= float(q) * math.pi - 1e-12


def test_closed_form_limits():
    # δ -> 0: every angle at 0 or π, Σ cos 2θ -> K; δ = 2π/K: the regular K-gon, Σ = 0 for K >= 3
    for K in (3, 4, 5, 6):
        assert abs(ld3_closed_form(K, 1e-6) - K) < 1e-9
        assert abs(ld3_closed_form(K, 2 * math.pi / K)) < 1e-12


def test_regimes_and_junction_continuity():
    assert ld3_regime(6, Fraction(1, 3)) == "even"
    assert ld3_regime(5, Fraction(1, 3)) == "odd_two_clusters"
    assert ld3_regime(5, Fraction(2, 5)) == "odd_single_run"
    K = 7
    d = 2 * math.pi / (K + 1)
    assert abs(ld3_closed_form(K, d, regime="odd_two_clusters") - 1) < 1e-12
    assert abs(ld3_closed_form(K, d, regime="odd_single_run") - 1) < 1e-12


def test_search_matches_closed_form_small_case():
    rng = np.random.default_rng(0)
    for K, d in ((5, 0.9 * 2 * math.pi / 5), (4, 0.5)):
        val, th = max_cos2_search(K, d, rng, 32)
        assert circular_gaps(th).min() >= d - 1e-12
        assert abs(val - ld3_closed_form(K, d)) < 1e-8


def test_arb_closed_form_brackets_float():
    with working_precision(100):
        d = arb.pi() / 7
        v = ld3_closed_form(5, d, ARB, "odd_two_clusters")
        assert abs(float(v.mid()) - ld3_closed_form(5, math.pi / 7)) < 1e-14


def test_bad_inputs():
    with pytest.raises(ValueError):
        ld3_closed_form(2, 0.1)
    with pytest.raises(ValueError):
        max_cos2_search(4, 2.0, np.random.default_rng(0))  # δ > 2π/K
    with pytest.raises(ValueError):
        max_cos2_search(4, float("nan"), np.random.default_rng(0))
    with pytest.raises(ValueError):
        ld3_regime(5, Fraction(1, 2))
    with pytest.raises(ValueError):
        one_vs_rest_margins(np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]]))  # not unit vectors


def test_kgon_margins_are_one_and_objective_formula():
    for K in (3, 5, 8):
        Z = kgon_gram(K)
        diag = np.diag(Z)
        off = Z - np.diag(diag) - np.diag(np.full(K, np.inf))
        assert abs(np.min(diag - np.max(off, axis=0)) - 1) < 1e-12
        target = K ** 2 / (4 * (1 - math.cos(2 * math.pi / K)) ** 2)
        assert abs(rank2_equal_norm_objective(Z) - target) < 1e-9 * target
        assert abs(kgon_norm_sq(K) - 1 / (1 - math.cos(2 * math.pi / K))) < 1e-15


def test_equal_norm_search_finds_kgon_for_small_K():
    rng = np.random.default_rng(1)
    best, theta, s = equal_norm_rank2_search(5, rng, 6)
    assert abs(best - rank2_equal_norm_objective(kgon_gram(5))) < 1e-8 * best
    assert np.ptp(circular_gaps(theta)) < 1e-6


def test_one_vs_rest_margin_square():
    th = np.array([0, 0.5, 1, 1.5]) * math.pi
    m = one_vs_rest_margins(np.vstack([np.cos(th), np.sin(th)]))
    assert np.allclose(m, 1.0)  # from (1, 0) to the chord x = 0 through the neighbours


def test_cluster_offsets_and_bisection():
    assert cluster_offsets(5, "odd_two_clusters") == [Fraction(-1), Fraction(0), Fraction(1), Fraction(-1, 2), Fraction(1, 2)]
    with working_precision(64):
        ok, boxes, wit = bisect_certify_negative(lambda x: x * x - 4, arb(-1), arb(1))
        assert ok and wit is None
        ok, boxes, wit = bisect_certify_negative(lambda x: x - 1, arb(0), arb(2))
        assert not ok and wit is not None
