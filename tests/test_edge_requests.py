"""Requests no default grid uses (tiny, odd, huge K; L = 1), and the three-valued symbolic answers.

Each test pins a defect found by running ``ncdepth verify --only ID`` as a stranger would.
"""

from __future__ import annotations

import sympy as sp

from ncdepth.registry import Context, Verdict
from ncdepth.runner import RunOptions, resolve_grid, run_check
from numerics.smt import Z3_SEED, z3_settings, z3_solver
from numerics.symbolic_zero import zero_or_witness
from theorems import claims_by_id


def _check(claim_id: str, name: str):
    claim = claims_by_id()[claim_id]
    return claim, next(c for c in claim.checks if c.name == name)


# --------------------------------------------------------------------------- controls that need a sub-domain
def test_kkt_points_control_is_judged_at_an_odd_K_even_on_a_grid_without_one():
    # the plain and the centred singleton differ only at odd K >= 5: on --K 3,4 the check was UNSOUND
    claim, check = _check("L-D.1", "known_kkt_points")
    r = run_check(claim, check, RunOptions(K=(3, 4), L=(1,)))
    assert r.verdict == Verdict.PASS, r.summary()
    assert r.evidence["odd_witness_added_(K, L)"] == [[5, 1]]
    assert r.control["rejected"] is True and r.control["counterexample"]["K"] == 5


def test_local_optimizer_check_skips_where_its_control_is_true():
    # at L = 1 ((P_1) convex) and K = 3 a cross-polytope start returns to DNC: the control cannot be rejected there
    claim, check = _check("T3.1", "local_optimizer_returns")
    K, L, messages = resolve_grid(claim, check, RunOptions(K=(3, 4), L=(1, 2)))
    assert K == (4,) and L == (2,)
    assert any("K=3 < 4" in m for m in messages) and any("L=1 < 2" in m for m in messages)
    r = run_check(claim, check, RunOptions(K=(2, 3, 4), L=(1,)))
    assert r.verdict == Verdict.SKIP and "L >= 2" in r.message


def test_softmax_fuzz_survives_K_2():
    # a subnormal mode spread at K = 2 made the harness build infinite logits (ERROR)
    claim, check = _check("L-D.4", "float_softmax_extreme_logits")
    r = run_check(claim, check, RunOptions(K=(2, 4), L=(1,)))
    assert r.verdict == Verdict.PASS, r.summary()


def test_the_large_K_threshold_fuzz_rejects_its_control_where_the_decision_does_not_flip():
    # with σ² = 2n the cross-polytope still wins at (K, L) = (4096, 2): only the value shows the slip
    claim, check = _check("T3.1", "fuzz_large_k_l")
    r = run_check(claim, check, RunOptions(K=(4096,), L=(2,)))
    assert r.verdict == Verdict.PASS, r.summary()
    ce = r.control["counterexample"]
    assert ce["sign_agrees"] is True and ce["value_agrees"] is False


# --------------------------------------------------------------------------- three-valued symbolic answers
def test_zero_or_witness_is_three_valued():
    x, y = sp.symbols("x y", positive=True)
    assert zero_or_witness(sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1) == (True, None)
    same, witness = zero_or_witness(x * y - y)
    assert same is False and sp.Rational(witness["x"]) * sp.Rational(witness["y"]) != sp.Rational(witness["y"])
    # an expression that is zero only at the points tried is neither proved nor refuted
    vanishing_on_the_grid = sp.Piecewise((0, x < 100), (1, True))
    assert zero_or_witness(vanishing_on_the_grid) == (None, None)


def test_z3_solver_is_deterministic_and_bounded():
    import z3

    def model():
        s = z3_solver(timeout_ms=5000)
        a, b = z3.Reals("a b")
        s.add(a * a + b * b == 5, a > 0, b > 0)
        assert s.check() == z3.sat
        m = s.model()
        return str(m[a]), str(m[b])

    assert model() == model()
    assert z3_settings(5000) == {"z3_version": z3.get_version_string(), "seeds": Z3_SEED, "timeout_ms": 5000}


def test_a_linearisation_not_shown_is_undecided_not_refuted(monkeypatch):
    # if sympy cannot reduce a side fact to 0, T4.3's symbolic check must say "not shown", never FAIL
    from theorems.dynamics.t4_3 import cross_polytope

    real = cross_polytope.sp.simplify
    calls = {"n": 0}

    def weak_simplify(e, *a, **k):  # the fifth simplification (a side fact) "fails"
        calls["n"] += 1
        out = real(e, *a, **k)
        return out + sp.Symbol("unreduced") if calls["n"] == 5 else out

    monkeypatch.setattr(cross_polytope.sp, "simplify", weak_simplify)
    out = cross_polytope.cp_linearisation(Context(K=(4,), L=(2,)), "claimed")
    assert out.holds is None and "not shown" in out.note


def test_T4_3_thresholds_tell_their_controls_apart_on_a_depth_1_request():
    # at L = 1 every threshold and its wrong variants are 0: --L 1 made three numeric checks UNSOUND
    from theorems import claims_by_id as _claims

    claim = _claims()["T4.3"]
    for name in ("dnc_threshold_mp50", "cp_threshold_mp50", "cp_signs_arnoldi"):
        check = next(c for c in claim.checks if c.name == name)
        r = run_check(claim, check, RunOptions(K=(4,), L=(1,)))
        assert r.verdict == Verdict.PASS, r.summary()
        assert r.evidence["witness_depth_added"] == [2]


def test_E7_margin_check_tells_its_control_apart_outside_the_region():
    # on --K 3,4 --L 1 DNC has the lower objective and the larger margin, as the control says: it was UNSOUND
    claim, check = _check("E-7", "dnc_max_normalised_margin")
    r = run_check(claim, check, RunOptions(K=(3, 4), L=(1,)))
    assert r.verdict == Verdict.PASS, r.summary()
    assert r.evidence["region_witness_added_(K, L)"] == [[4, 3]]
    assert r.control["counterexample"]["K"] == 4 and r.control["counterexample"]["L"] == 3


def test_kl_proof_control_is_rejected_on_a_large_K_grid():
    # at (K, L) = (4096, 2) the flipped exponent has no exit point on the grid: the search also tries (4, 2)
    claim, check = _check("T4.3", "kl_alternating_proof")
    r = run_check(claim, check, RunOptions(K=(4096,), L=(2,)))
    assert r.verdict == Verdict.PASS, r.summary()
    assert (r.control["counterexample"]["K"], r.control["counterexample"]["L"]) == (4, 2)


def test_E1_distance_rule_tells_its_control_apart_inside_the_region():
    # at K = 5, 7, 9, L = 3 (inside T3.1's region) "larger norm" and T3.1 predict the same: it was UNSOUND
    claim, check = _check("E-1", "constructed_factors")
    r = run_check(claim, check, RunOptions(K=(5, 7, 9), L=(3,)))
    assert r.verdict == Verdict.PASS, r.summary()
    assert r.evidence["outside_region_witness_added_(K, L)"] == [[4, 1]]
    assert (r.control["counterexample"]["K"], r.control["counterexample"]["L"]) == (4, 1)


def test_non_monotone_kl_search_is_not_fooled_by_a_stiff_l1_orbit():
    # at L = 1, K = 4 and large λ DOP853 split the symmetric modes and showed a spurious KL bump (UNSOUND at
    # --K 4,16 --L 1,2,3); a candidate now counts only when an implicit integration reproduces it
    claim, check = _check("T4.3", "kl_non_monotone")
    r = run_check(claim, check, RunOptions(K=(4, 16), L=(1, 2, 3)))
    assert r.verdict == Verdict.PASS, r.summary()
    assert r.control["rejected"] is True
    assert any(c["K"] == 4 and c["L"] == 1 for c in r.control["evidence"]["unconfirmed_candidates"])
