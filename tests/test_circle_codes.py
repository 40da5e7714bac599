"""Unit tests for numerics.circle_codes (L-D.3, T3.2 machinery)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from numerics.circle_codes import (
    ARB,
    bisect_certify_negative,
    certify_cos2_upper_bound,
    exact_gaps_from_angles,
    flipped_cluster_gaps,
    sum_exp2i_abs_sq,
    sympy_is_zero,
    sympy_run_sum,
    z3_runs_on_circle,
    circular_gaps,
    cluster_offsets,
    equal_norm_rank2_search,
    kgon_gram,
    kgon_norm_sq,
    ld3_closed_form,
    ld3_optimal_angles,
    ld3_optimal_gaps,
    ld3_regime,
    angles_from_gaps,
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
        status, boxes, wit = bisect_certify_negative(lambda x: x * x - 4, arb(-1), arb(1))
        assert status == "proved" and wit is None
        status, boxes, wit = bisect_certify_negative(lambda x: x - 1, arb(0), arb(2))
        assert status == "refuted" and wit is not None
        # x² - 1 < 0 on [-1/2, 1) fails only at the open end: undecided at the depth limit, never refuted
        status, boxes, wit = bisect_certify_negative(lambda x: x * x - 1, arb(-1) / 2, arb(1), max_depth=12)
        assert status == "undecided" and "max depth" in wit["reason"]
        status, boxes, wit = bisect_certify_negative(lambda x: x * x - 1, arb(-1) / 2, arb(1), max_boxes=5)
        assert status == "undecided" and "budget" in wit["reason"]


def test_upper_bound_statuses():
    """Proved, refuted with a feasible witness, and undecided when the box budget runs out."""
    q = Fraction(1, 3)  # K = 3, δ = π/3 (two-cluster regime): max Σ cos 2θ = sin(π/2)/sin(π/6) = 2
    with working_precision(64):
        best = ld3_closed_form(3, arb.pi() / 3, ARB, "odd_two_clusters")
        status, boxes, wit = certify_cos2_upper_bound(3, q, best ** 2, arb("0.01"))
        assert status == "proved" and wit is None
        status, boxes, wit = certify_cos2_upper_bound(3, q, arb(1), arb("0.01"))  # 1 < 4: refuted
        assert status == "refuted" and min(wit["gaps"]) >= math.pi / 3 - 1e-12
        assert abs(sum(wit["gaps"]) - 2 * math.pi) < 1e-9
        status, boxes, wit = certify_cos2_upper_bound(3, q, best ** 2, arb("0.01"), max_boxes=3)
        assert status == "undecided" and "budget" in wit["reason"]


def test_sum_exp2i_and_exact_gaps():
    with working_precision(128):
        for K, frac in ((4, Fraction(1, 2)), (5, Fraction(9, 10)), (7, Fraction(1, 4))):
            q = frac * Fraction(2, K)
            v = sum_exp2i_abs_sq(ld3_optimal_gaps(K, q))
            f = ld3_closed_form(K, arb.pi() * q.numerator / q.denominator, ARB, ld3_regime(K, q))
            assert bool(abs(v - f * f) < arb(2) ** -100)
    th = np.array(ld3_optimal_angles(5, Fraction(1, 5)))
    g = exact_gaps_from_angles(th + 1e-13, Fraction(1, 5))
    assert g is not None and sum(g) == 2 and min(g) >= Fraction(1, 5)
    assert exact_gaps_from_angles(np.array([0.0, 0.1, 3.0]), Fraction(1, 2)) is None  # a gap below δ


def test_flipped_configuration_is_infeasible_with_its_value():
    K, q = 5, Fraction(9, 10) * Fraction(2, 5)  # single-run regime
    g = flipped_cluster_gaps(K, q)
    assert sum(g) == 2 and min(g) < q
    th = np.array(angles_from_gaps([float(x) * math.pi for x in g], 0.0))
    d = float(q) * math.pi
    val = abs(np.sum(np.exp(2j * th)))
    assert abs(val - abs(-math.cos(K * d / 2) / math.cos(d / 2))) < 1e-12


def test_z3_run_geometry():
    assert z3_runs_on_circle(["neg", "pos"]) == "unsat"
    assert z3_runs_on_circle(["zero", "pos", "pos"]) == "unsat"
    assert z3_runs_on_circle(["pos", "pos"]) == "sat"
    assert z3_runs_on_circle(["pos", "pos"], lambda z3, env: env["c"][0] == env["c"][1]) == "unsat"
    with pytest.raises(ValueError):
        z3_runs_on_circle(["huge"])


def test_sympy_helpers():
    import sympy as sp

    m = sp.Symbol("m", positive=True, integer=True)
    d = sp.Symbol("delta", positive=True)
    assert sympy_is_zero(sympy_run_sum(m, d) - sp.sin(m * d) / sp.sin(d))
    assert not sympy_is_zero(sympy_run_sum(m, d) - sp.sin(m * d) / sp.sin(d / 2))
    assert sympy_is_zero((1 - sp.cos(d)) / sp.sin(d) - sp.tan(d / 2), half_angle=d)


def test_ld3_box_budget_miss_is_inconclusive_not_fail(monkeypatch):
    """Issue 8: the branch-and-bound running out of boxes is INCONCLUSIVE (how far it got), never FAIL."""
    import theorems.landscape.l_d_3 as ld3
    from ncdepth.registry import Verdict
    from ncdepth.runner import RunOptions, run_check

    monkeypatch.setattr(ld3, "BNB_MAX_BOXES", 5)
    check = next(c for c in ld3.CLAIM.checks if c.name == "upper_bound_certified")
    result = run_check(ld3.CLAIM, check, RunOptions(K=(4,)))
    assert result.verdict == Verdict.INCONCLUSIVE, result.summary()
    assert "budget" in result.message and "cases proved" in result.message
    result = run_check(ld3.CLAIM, check, RunOptions(K=(5, 7)))
    assert result.verdict == Verdict.SKIP and "K <= 4" in result.message


def test_bisection_decides_on_the_whole_box_not_its_endpoints():
    """f(x) = 1/100 - (x - 1/2)² is negative at both ends of [0, 1] and positive in the middle;
    a proof must enclose f over each box, so this is refuted, and the witness is a point where f >= 0."""
    with working_precision(64):
        bump = lambda x: arb(1) / 100 - (x - arb(1) / 2) ** 2  # noqa: E731
        status, _, wit = bisect_certify_negative(bump, arb(0), arb(1))
        assert status == "refuted" and bool(bump(arb(wit["delta"])) >= 0)
        # and a function negative everywhere on the box, though only barely at one end, is proved
        status, _, wit = bisect_certify_negative(lambda x: x - arb(101) / 100, arb(0), arb(1))
        assert status == "proved" and wit is None
