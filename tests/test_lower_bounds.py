"""numerics.lower_bounds and X-OPEN: the certificates are right, and they reject what they must."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from ncdepth.registry import Context
from numerics.constructions import cross_polytope_mean_logits, dnc_mean_logits
from numerics.intervals import arb, exact, working_precision
from numerics.lower_bounds import (
    centre_columns,
    k3_cauchy_binet_identity,
    k3_columns,
    k3_cyclic_forms,
    k3_margin_map,
    k3_region_certificates,
    k3_symbols,
    min_column_margin,
    phi_lower,
    random_feasible_logits,
    relaxed_bound,
    sliced_relaxed_bound,
    cone_gamma_squared,
)
from numerics.schatten import schatten_sum
from theorems.beyond.x_open import k3_global_optimality, open_cases_lower_bound


def test_centring_keeps_margins_and_does_not_raise_singular_values():
    rng = np.random.default_rng(0)
    for K in (3, 4, 5):
        Z, labels = random_feasible_logits(K, 2, rng)
        C = centre_columns(Z)
        assert min_column_margin(Z, labels) >= 1
        assert min_column_margin(C, labels) == pytest.approx(min_column_margin(Z, labels), abs=1e-12)
        s, sc = np.linalg.svd(Z, compute_uv=False), np.linalg.svd(C, compute_uv=False)
        assert np.all(sc <= s + 1e-12)
        assert sc[-1] < 1e-9  # rank <= K-1 after centring


def test_k3_parametrisation_margins_are_the_coordinates():
    mm = k3_margin_map()
    u, v = mm["symbols"]
    assert mm["centred"]
    for c in range(3):
        assert {mm["margins"][(c, d)] for d in range(3) if d != c} == {u[c], v[c]}


def test_k3_parametrisation_reproduces_dnc_and_a_numeric_column():
    u, v = k3_symbols()
    Z = k3_columns(u, v)
    at_one = np.array(Z.subs({s: 1 for s in (*u, *v)}).tolist(), dtype=float)
    assert np.allclose(at_one, dnc_mean_logits(3))
    vals = {u[0]: 2, u[1]: 3, u[2]: 1, v[0]: 5, v[1]: 1, v[2]: 4}
    Zn = np.array(Z.subs(vals).tolist(), dtype=float)
    s = np.linalg.svd(Zn, compute_uv=False)
    F = sum(float(x.subs(vals)) ** 2 for x in k3_cyclic_forms(u, v))
    assert s[0] * s[1] == pytest.approx(np.sqrt(F / 3), rel=1e-12)  # Cauchy-Binet, numerically


def test_cauchy_binet_scale_one_third_only():
    assert k3_cauchy_binet_identity(Fraction(1, 3))["identity"]
    wrong = k3_cauchy_binet_identity(Fraction(1))
    assert not wrong["identity"] and wrong["lhs_at_dnc"] == 1 and wrong["rhs_at_dnc"] == 3


def test_k3_region_certificates_hold_and_reject_a_raised_target():
    target, regions = k3_region_certificates()
    assert target == 3 and len(regions) == 8 and all(r.certified for r in regions)
    assert sum(r.bad_index is not None for r in regions) == 6  # every pattern except all-equal signs
    _, raised = k3_region_certificates(sp.Rational(301, 100))
    assert not any(r.certified for r in raised)  # u = v = 1 lies in every region: F(1) - target < 0


def test_k3_pdet_at_random_feasible_points():
    rng = np.random.default_rng(1)
    for n in (1, 2, 3):
        for _ in range(200):
            Z, _ = random_feasible_logits(3, n, rng, spread=float(rng.uniform(0.2, 5)))
            s = np.linalg.svd(centre_columns(Z), compute_uv=False)
            assert s[0] * s[1] >= n * (1 - 1e-12)


def test_top_two_singular_values_bound_for_k_ge_4():
    """The input σ1σ2 >= 1 of the relaxation, on random feasible points and the cross-polytope (σ = 2, 2)."""
    rng = np.random.default_rng(2)
    for K in (4, 5, 6):
        for _ in range(100):
            Z, _ = random_feasible_logits(K, 1, rng, spread=float(rng.uniform(0.2, 5)))
            s = np.linalg.svd(Z, compute_uv=False)
            assert s[0] * s[1] >= 1 - 1e-12 and s.sum() >= K - 1 - 1e-9
        s = np.linalg.svd(cross_polytope_mean_logits(K, singleton="centred"), compute_uv=False)
        assert s[0] * s[1] >= 1


def test_sliced_relaxation_inputs_at_random_feasible_points():
    """Mirsky (Σ (σ_i - 1)² <= ||PZ - M||_F²), the triple bound e_2(σ²) >= K(K-1)/6, <M, D> >= γ ||D||."""
    from itertools import combinations

    rng = np.random.default_rng(4)
    for K in (3, 4, 5, 6):
        M = dnc_mean_logits(K)
        g = np.sqrt(float(cone_gamma_squared(K)))
        for _ in range(100):
            Z = centre_columns(random_feasible_logits(K, 1, rng, spread=float(rng.uniform(0.1, 3)))[0])
            s = np.linalg.svd(Z, compute_uv=False)[: K - 1]
            rho = np.linalg.norm(Z - M)
            assert np.sum((s - 1) ** 2) <= rho ** 2 * (1 + 1e-12) + 1e-12
            e2 = sum(s[i] ** 2 * s[j] ** 2 for i, j in combinations(range(K - 1), 2))
            assert e2 >= K * (K - 1) / 6 * (1 - 1e-12)
            assert np.sum(M * (Z - M)) >= g * rho * (1 - 1e-12)


def test_phi_lower_is_below_phi_inside_the_box():
    rng = np.random.default_rng(3)
    with working_precision(64):
        for _ in range(200):
            K, L = int(rng.integers(4, 7)), int(rng.integers(2, 6))
            p = 2 / (L + 1)
            a1, a2 = (Fraction(int(x), 100) for x in rng.integers(1, 400, size=2))
            b1, b2 = a1 + Fraction(int(rng.integers(1, 100)), 100), a2 + Fraction(int(rng.integers(1, 100)), 100)
            lo = phi_lower((a1, b1, a2, b2), K, 2, L + 1, Fraction(K - 1))
            s1, s2 = float(a1 + (b1 - a1) * Fraction(int(rng.integers(0, 11)), 10)), float(a2 + (b2 - a2) * Fraction(int(rng.integers(0, 11)), 10))
            phi = s1 ** p + s2 ** p + max(0.0, K - 1 - s1 - s2) * s2 ** (p - 1)
            assert bool(lo.lower() <= arb(phi) * (1 + 1e-12))


@pytest.mark.parametrize("K,L", [(4, 2), (5, 2), (4, 3), (6, 2)])
def test_relaxed_bound_is_below_feasible_values(K, L):
    rb = relaxed_bound(K, L, nuclear_floor=Fraction(K - 1), max_boxes=20000, tolerance=Fraction(1, 10**6), prec=96)
    assert rb.finished
    B = float(rb.lower.mid())
    assert B <= rb.best_upper_sample + 1e-12 < K - 1  # a gap: the relaxation does not reach DNC
    rng = np.random.default_rng(K * 10 + L)
    values = [schatten_sum(random_feasible_logits(K, 1, rng)[0], L) for _ in range(100)]
    values += [schatten_sum(dnc_mean_logits(K), L), schatten_sum(cross_polytope_mean_logits(K), L)]
    assert B <= min(values)


def test_relaxed_bound_budget_miss_is_still_a_valid_smaller_bound():
    full = relaxed_bound(4, 2, nuclear_floor=Fraction(3), max_boxes=20000, tolerance=Fraction(1, 10**6), prec=96)
    cut = relaxed_bound(4, 2, nuclear_floor=Fraction(3), max_boxes=5, tolerance=Fraction(1, 10**6), prec=96)
    assert full.finished and not cut.finished
    assert bool(cut.lower <= full.lower)


@pytest.mark.parametrize("K", [4, 5])
def test_sliced_bound_is_valid_and_improves_on_the_sigma_relaxation(K):
    sb = sliced_relaxed_bound(K, 2, max_boxes=3000, prec=96)
    rb = relaxed_bound(K, 2, nuclear_floor=Fraction(K - 1), max_boxes=20000, tolerance=Fraction(1, 10**6), prec=96)
    assert bool(sb.lower > rb.lower) and bool(sb.lower < K - 1)
    rng = np.random.default_rng(K)
    values = [schatten_sum(random_feasible_logits(K, 1, rng, spread=float(rng.uniform(0.3, 3)))[0], 2) for _ in range(200)]
    values += [schatten_sum(cross_polytope_mean_logits(K), 2), schatten_sum(dnc_mean_logits(K), 2)]
    assert float(sb.lower.mid()) <= min(values)


def test_cone_gamma_is_attained_by_a_feasible_direction():
    """γ² = 1/(K(K-1)): the direction D = r e_c^T along one ray of column c's cone attains <M, D> = γ ||D||."""
    for K in (3, 4, 5, 7):
        g2 = cone_gamma_squared(K)
        assert g2 == Fraction(1, K * (K - 1))
        M = dnc_mean_logits(K)
        D = np.zeros((K, K))
        D[:, 0] = 1.0
        D[1, 0] = 1.0 - K
        Z = M + 0.7 * D
        assert min_column_margin(Z, np.arange(K)) >= 1 - 1e-12
        assert np.sum(M * D) == pytest.approx(np.sqrt(float(g2)) * np.linalg.norm(D), rel=1e-12)


def test_x_open_k3_check_and_control():
    ctx = Context(K=(3,), L=(1, 2, 7))
    ok = k3_global_optimality(ctx, minor_scale="1/3")
    assert ok.holds is True and [r["L"] for r in ok.evidence["per_L"]] == [1, 2, 7]
    bad = k3_global_optimality(ctx, minor_scale="1")
    assert bad.holds is False and bad.counterexample["scale_times_sum_at_dnc"] == "3"


def test_x_open_bound_check_reports_gap_and_control_is_rejected():
    ctx = Context(K=(4, 5), L=(2,))
    st = open_cases_lower_bound(ctx, objective_scale="(L+1)/2")
    assert st.holds is None and "gap" in st.note and "NOT proved" in st.note
    for cell in st.evidence["cells"]:
        assert cell["sigma_relaxation"]["finished"]
    ctl = open_cases_lower_bound(ctx, objective_scale="L+1")
    assert ctl.holds is False and "broken bound" in ctl.counterexample["why"]


def test_taylor_radius_points_inside_do_not_beat_dnc():
    from numerics.lower_bounds import taylor_radius

    rng = np.random.default_rng(5)
    for K, L in ((4, 2), (5, 2), (4, 5)):
        r = float(taylor_radius(K, L, 128))
        assert 0.3 < r < 1
        M = dnc_mean_logits(K)
        for _ in range(200):
            # a random direction in the cone of margin-non-negative centred directions, scaled to length <= r
            D = np.zeros((K, K))
            for c in range(K):
                lam = rng.exponential(size=K) * (rng.random(K) < 0.6)
                lam[c] = 0
                D[:, c] = sum(lam[c2] * (1 - K * np.eye(K)[c2]) for c2 in range(K))
            if np.linalg.norm(D) == 0:
                continue
            D *= r * rng.random() / np.linalg.norm(D)
            Z = M + D
            assert min_column_margin(Z, np.arange(K)) >= 1 - 1e-12
            assert schatten_sum(Z, L) >= (K - 1) * (1 - 1e-12)


def test_optimality_radius_stays_below_a_known_better_point():
    """At (4, 3) the cross-polytope beats DNC (T3.1) at distance sqrt(3): the certified radius must be smaller."""
    from numerics.lower_bounds import dnc_optimality_radius

    cp = cross_polytope_mean_logits(4)
    assert schatten_sum(cp, 3) < 3
    dist = np.linalg.norm(centre_columns(cp) - dnc_mean_logits(4))
    assert dist == pytest.approx(np.sqrt(3))
    r = dnc_optimality_radius(4, 3, max_boxes=3000, prec=96)
    assert r.taylor_radius <= r.radius and float(r.radius) < dist


def test_x_open_bound_check_rejects_an_inflated_radius(monkeypatch):
    import theorems.beyond.x_open as xo
    from numerics.lower_bounds import OptimalityRadius

    monkeypatch.setattr(xo, "dnc_optimality_radius",
                        lambda K, L, **kw: OptimalityRadius(Fraction(2), Fraction(1, 2), 0, False))
    out = xo.open_cases_lower_bound(Context(K=(4,), L=(3,)), objective_scale="(L+1)/2")
    assert out.holds is False and "broken radius" in out.counterexample["why"]


def test_rational_square_roots_round_to_the_safe_side():
    """_sqrt_lower(x)² <= x <= _sqrt_upper(x)², tight to 10^-digits, on perfect and non-perfect squares."""
    from numerics.lower_bounds import _sqrt_lower, _sqrt_upper

    rng = np.random.default_rng(5)
    cases = [Fraction(4), Fraction(9, 4), Fraction(2), Fraction(1, 3), Fraction(10**6 + 1, 7)]
    cases += [Fraction(int(a), int(b)) for a, b in rng.integers(1, 10**9, size=(20, 2))]
    for x in cases:
        lo, hi = _sqrt_lower(x, 20), _sqrt_upper(x, 20)
        assert lo * lo <= x <= hi * hi
        assert hi - lo <= Fraction(1, 10**20)
    assert _sqrt_lower(Fraction(9, 4), 20) == Fraction(3, 2) == _sqrt_upper(Fraction(9, 4), 20)
