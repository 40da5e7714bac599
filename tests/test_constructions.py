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


# --------------------------------------------------------------------------- structured constructions
@pytest.mark.parametrize("kind,K", [("dnc", 2), ("dnc", 7), ("cp_even", 6), ("cp_odd_plain", 5), ("cp_odd_centred", 5),
                                    ("cp_odd_centred", 9)])
def test_integer_mean_logits_and_known_svd_match_the_constructions(kind, K):
    from numerics.constructions import exact_column_margins, integer_mean_logits, known_svd

    Zint, D = integer_mean_logits(kind, K)
    ref = dnc_mean_logits(K, exact_arith=True) if kind == "dnc" else \
        cross_polytope_mean_logits(K, singleton="centred" if kind.endswith("centred") else "plain", exact_arith=True)
    assert all(Fraction(int(Zint[i, j]), D) == ref[i, j] for i in range(K) for j in range(K))
    assert min(exact_column_margins(Zint, D)) == 1
    U, s, V = known_svd(kind, K)
    assert np.allclose(U.T @ U, np.eye(len(s)), atol=1e-14) and np.allclose(V.T @ V, np.eye(len(s)), atol=1e-14)
    assert np.allclose((U * s) @ V.T, Zint / D, atol=1e-14)
    assert np.allclose(np.sort(s)[::-1], np.linalg.svd(Zint / D, compute_uv=False)[: len(s)], atol=1e-13)


def test_exact_column_margins_sees_a_violation():
    from numerics.constructions import exact_column_margins

    Z = np.array([[2, 1], [1, 3]])
    assert exact_column_margins(Z, 2) == [Fraction(1, 2), Fraction(1)]


@pytest.mark.parametrize("reflections", [1, 2])
def test_balanced_factor_stream_is_balanced_and_exact(reflections):
    from numerics.constructions import balanced_factor_stream, known_svd

    rng = np.random.default_rng(3)
    K, L, n, d = 7, 4, 2, 9
    U, s, V = known_svd("cp_odd_centred", K)
    F = list(balanced_factor_stream(U, s, V, n, L, d, rng, reflections=reflections))
    Z = logits_of(cross_polytope_mean_logits(K, singleton="centred"), n)
    assert np.allclose(product(F), Z, atol=1e-13)
    for a, b in zip(F[:-1], F[1:]):
        assert np.allclose(b.T @ b, a @ a.T, atol=1e-13)
    v = pl_value(singular_values_claimed("cp_odd_centred", K, n), L)
    assert abs(pl_objective(F) - v) < 1e-12 * v
    assert not np.allclose(F[1], np.diag(np.diag(F[1])))  # the gauge makes the factors non-diagonal


def test_structured_bad_inputs():
    from numerics.constructions import integer_mean_logits, known_svd

    with pytest.raises(ValueError):
        integer_mean_logits("cp_even", 5)
    with pytest.raises(ValueError):
        known_svd("cp_odd_plain", 6)
    with pytest.raises(ValueError):
        integer_mean_logits("kgon", 5)


# --------------------------------------------------------------------------- positive-definiteness certificates
@pytest.mark.parametrize("exact_max_dim", [1000, 0])
def test_certify_positive_definite_both_routes(exact_max_dim):
    from numerics.certificates import certify_positive_definite

    rng = np.random.default_rng(5)
    B = rng.integers(-3, 4, size=(12, 12)).astype(float)
    A = B @ B.T + 4 * np.eye(12)  # λ_min >= 4
    cert = certify_positive_definite(A, 2, exact_max_dim=exact_max_dim)
    assert cert["certified"] and cert["route"] == ("exact" if exact_max_dim else "float a priori")
    singular = B[:, :6] @ B[:, :6].T  # rank 6: not positive definite
    assert not certify_positive_definite(singular, 1, exact_max_dim=exact_max_dim)["certified"]


def test_certify_positive_definite_rejects_inexact_input():
    from numerics.certificates import certify_positive_definite

    with pytest.raises(ValueError):
        certify_positive_definite(np.eye(3) / 3, 1)
    with pytest.raises(ValueError):
        certify_positive_definite(np.array([[2.0, 1.0], [0.0, 2.0]]), 1)


def test_integer_nullspace():
    from numerics.certificates import integer_nullspace

    M = np.array([[1, 2, 3], [2, 4, 6]])
    basis = integer_nullspace(M)
    assert len(basis) == 2
    for v in basis:
        assert all(sum(int(M[i, j]) * int(v[j]) for j in range(3)) == 0 for i in range(2))


@pytest.mark.parametrize("seed", range(6))
def test_certificate_bounds_against_exact_residuals(seed):
    """Exact route: its residual row sum equals an independent Python-integer computation with the same rounding
    of R.  Float route: its bound is at least the exact max row sum of |A - τI - R R^T| (R the float factor)."""
    from numerics.certificates import _exact_residual_rowsum, certify_positive_definite

    rng = np.random.default_rng(seed)
    n = 10
    B = rng.integers(-50, 51, size=(n, n)).astype(float)
    A = B @ B.T + 3 * np.eye(n)
    tau = 2
    R = np.linalg.cholesky(A - tau * np.eye(n))
    t = 50 - int(np.ceil(np.log2(float(np.max(np.abs(R))))))
    Rt = [[int(v) for v in row] for row in np.rint(np.ldexp(R, t)).astype(np.int64)]
    E = [[(int(A[i, j]) - (tau if i == j else 0)) * 4**t - sum(Rt[i][k] * Rt[j][k] for k in range(n))
          for j in range(n)] for i in range(n)]
    assert _exact_residual_rowsum(A, tau, R) == (max(sum(abs(v) for v in row) for row in E), 4**t)
    Rq = [[Fraction(float(x)) for x in row] for row in R]
    exact = max(sum(abs(Fraction(int(A[i, j])) - (tau if i == j else 0) - sum(Rq[i][k] * Rq[j][k] for k in range(n)))
                    for j in range(n)) for i in range(n))
    cert = certify_positive_definite(A, tau, exact_max_dim=0)
    assert cert["certified"] and cert["route"] == "float a priori"
    assert cert["residual_rowsum_bound"] >= float(exact), (cert, float(exact))


def test_cp_gap_ball_matches_the_singular_value_route_for_every_construction():
    # the threshold formula's gap (arb) against V_DNC - V_CP from the stated singular values (mpmath), normalised
    import mpmath

    from numerics.constructions import cp_gap_arb, pl_value, singular_values_claimed

    for K, L, singleton, kind in ((6, 2, "plain", "cp_even"), (7, 3, "plain", "cp_odd_plain"),
                                  (7, 2, "centred", "cp_odd_centred"), (5, 2, "centred", "cp_odd_centred")):
        with mpmath.workdps(40):
            root = lambda v, q: mpmath.root(mpmath.mpf(v.numerator) / v.denominator if hasattr(v, "numerator") else v, q)  # noqa: E731
            p = L + 1
            gap = (pl_value(singular_values_claimed("dnc", K, 1), L, root)
                   - pl_value(singular_values_claimed(kind, K, 1), L, root)) / (mpmath.mpf(p) / 2)
            ball = cp_gap_arb(K, L, singleton, 200)
            assert abs(mpmath.mpf(ball.mid().str(45, radius=False)) - gap) < mpmath.mpf(10) ** -30, (K, L, singleton)
            assert (ball > 0) == cp_beats_dnc_exact(K, L, singleton)
    # a wrong pair singular value (σ² = 2n) moves the value even where the decision does not flip
    with mpmath.workdps(40):
        wrong = (pl_value(singular_values_claimed("dnc", 4096, 1), 2)
                 - pl_value(singular_values_claimed("cp_even", 4096, 1, pair_sigma_sq_per_n=2), 2)) / 1.5
    assert abs(float(cp_gap_arb(4096, 2).mid()) - wrong) > 1.0
