"""Unit tests for numerics/random_init.py (Theorem 4.5, Lemmas D.10 and D.11 machinery)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from numerics.deep_ufm import etf, logit_velocity
from numerics.random_init import (
    DeltaPoly,
    autograd_logit_velocity,
    gram_covariance_expr,
    gram_tensor_coefficients,
    initial_velocity_samples,
    metric_constant_expr,
    reduced_factor_grams,
    velocity_from_grams,
    entry_std,
    etf_logit_direction,
    finite_difference_logit_velocity,
    gaussian_deviation_samples,
    gaussian_expectation,
    gaussian_factors,
    gram_deviation_constant,
    gram_form_velocity,
    left_grams,
    loglog_fit,
    normalised_velocity_metric,
    predicted_metric_constant,
    product_gram_second_moment,
    right_grams,
)


def test_factor_shapes_and_batch():
    rng = np.random.default_rng(0)
    F = gaussian_factors(3, 2, 5, 3, 0.5, rng)
    assert [f.shape for f in F] == [(5, 6), (5, 5), (5, 5), (3, 5)]
    Fb = gaussian_factors(3, 2, 5, 1, 0.5, rng, seeds=4)
    assert [f.shape for f in Fb] == [(4, 5, 6), (4, 3, 5)]


def test_entry_variance_is_s_squared_over_d():
    F = gaussian_factors(2, 1, 400, 2, 0.5, np.random.default_rng(1))
    var = F[1].var()
    assert abs(var - 0.25 / 400) < 0.05 * 0.25 / 400  # 160000 samples: relative s.e. ~ 0.4%
    assert entry_std(400, "1") == 1.0 and entry_std(400) == pytest.approx(0.05)


@pytest.mark.parametrize("kwargs, match", [
    ({"K": 1}, "K"), ({"L": 0}, "L"), ({"s": 0.0}, "scale"), ({"s": float("nan")}, "scale"),
    ({"d": 0}, "width"), ({"n": 0}, "n"),
])
def test_bad_factor_inputs(kwargs, match):
    args = {"K": 3, "n": 1, "d": 4, "L": 2, "s": 1.0}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        gaussian_factors(args["K"], args["n"], args["d"], args["L"], args["s"], np.random.default_rng(0))


def test_bad_entry_variance():
    with pytest.raises(ValueError, match="entry_variance"):
        entry_std(4, "2/d")


def test_etf_direction():
    M = etf_logit_direction(4, 3)
    assert M.shape == (4, 12)
    np.testing.assert_allclose(M[:, ::3], etf(4))
    np.testing.assert_allclose(M.sum(axis=0), 0, atol=1e-15)


def test_grams_match_direct_products():
    rng = np.random.default_rng(2)
    F = gaussian_factors(3, 1, 4, 3, 1.3, rng)  # [H, W1, W2, W3]
    lefts, rights = left_grams(F), right_grams(F)
    np.testing.assert_allclose(lefts[3], np.eye(3))
    np.testing.assert_allclose(rights[0], np.eye(3))
    A1 = F[3] @ F[2]  # A_{>1}
    np.testing.assert_allclose(lefts[1], A1 @ A1.T, rtol=1e-13)
    B2 = F[1] @ F[0]  # B_{<2}
    np.testing.assert_allclose(rights[2], B2.T @ B2, rtol=1e-13)


def test_gram_form_matches_factor_gradients_and_batches():
    rng = np.random.default_rng(3)
    Fb = gaussian_factors(3, 2, 4, 2, 0.8, rng, seeds=3)
    batched = gram_form_velocity(Fb, 3, 2)
    for i in range(3):
        single = [f[i] for f in Fb]
        np.testing.assert_allclose(batched[i], logit_velocity(single, 3, 2), rtol=1e-12, atol=1e-15)


def test_weights_only_variant_differs():
    F = gaussian_factors(3, 1, 4, 2, 1.0, np.random.default_rng(4))
    full = gram_form_velocity(F, 3, 1)
    partial = gram_form_velocity(F, 3, 1, terms="weights_only")
    assert np.max(np.abs(full - partial)) > 1e-3 * np.max(np.abs(full))
    with pytest.raises(ValueError, match="terms"):
        gram_form_velocity(F, 3, 1, terms="some")


def test_autograd_and_finite_differences_agree():
    F = gaussian_factors(3, 1, 3, 2, 1.5, np.random.default_rng(5))
    ref = gram_form_velocity(F, 3, 1)
    np.testing.assert_allclose(autograd_logit_velocity(F, 3, 1), ref, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(finite_difference_logit_velocity(F, 3, 1), ref, rtol=1e-5, atol=1e-8)


def test_velocity_rejects_nonfinite():
    F = gaussian_factors(2, 1, 3, 1, 1.0, np.random.default_rng(6))
    F[0][0, 0] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        gram_form_velocity(F, 2, 1)


def test_metric_values():
    M = etf_logit_direction(3, 2)
    assert normalised_velocity_metric(7.0 * M, M) == pytest.approx(0.0, abs=1e-15)
    assert normalised_velocity_metric(-M, M) == pytest.approx(4.0)
    Y = np.kron(np.eye(3), np.ones((1, 2)))
    # ||Y/|Y| - M/|M|||² = 2 - 2 <Y, M>/(|Y||M|) = 2 - 2 sqrt((K-1)/K)
    assert normalised_velocity_metric(Y, M) == pytest.approx(2 - 2 * math.sqrt(2 / 3))
    with pytest.raises(ValueError, match="zero"):
        normalised_velocity_metric(np.zeros_like(M), M)
    with pytest.raises(ValueError, match="non-finite"):
        normalised_velocity_metric(M * np.inf, M)


def test_predicted_constant_by_hand():
    # K = 2, n = 1, L = 1: S = 1, ((K-1)(K+N+2) - 4)/((L+1)²(K-1)) = (6 - 4)/4 = 1/2
    assert predicted_metric_constant(2, 1, 1) == pytest.approx(0.5)
    # softmax term: s^4 ((K-1)N - 1)/(K² n (K-1)) = s^4 (2 - 1)/4
    assert predicted_metric_constant(2, 1, 1, s=2.0) == pytest.approx(0.5 + 16 / 4)
    # L = 2: S = 5, (L+1)² = 9
    assert predicted_metric_constant(4, 2, 2) == pytest.approx(5 * (3 * 14 - 4) / (9 * 3))


def test_second_moment_recursion():
    for j in range(5):
        assert product_gram_second_moment(1, j, 10.0) == pytest.approx((1 + 2 / 10) ** j - 1)
    assert product_gram_second_moment(5, 1, 7.0) == pytest.approx(5 * 6 / 7)
    assert product_gram_second_moment(5, 3, 7.0, "one_layer") == pytest.approx(5 * 6 / 7)
    with pytest.raises(ValueError):
        product_gram_second_moment(5, 3, 7.0, "other")


def test_gram_deviation_constant_monte_carlo():
    R = np.array([[1.0, 0.2], [0.0, 0.5]])
    fro, op = gaussian_deviation_samples(R, 20, 4000, np.random.default_rng(7))
    C = gram_deviation_constant(R.T @ R)
    est = 20 * np.mean(fro**2)
    se = 20 * np.std(fro**2) / np.sqrt(fro.size)
    assert abs(est - C) < 4 * se
    assert np.all(op <= fro + 1e-12)


def test_loglog_fit_recovers_exponent():
    x = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    fit = loglog_fit(x, 3.0 * x**-0.5 * np.exp(np.array([0.01, -0.01, 0.0, 0.01, -0.01])))
    assert fit.slope == pytest.approx(-0.5, abs=0.01)
    assert fit.contains(fit.slope) and fit.ci_low < fit.ci_high
    with pytest.raises(ValueError):
        loglog_fit([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError):
        loglog_fit([1.0, 2.0, 3.0], [1.0, -2.0, 3.0])


def test_gaussian_expectation_moments():
    x, y = sp.symbols("x y")
    v = sp.Symbol("v", positive=True)
    assert gaussian_expectation(x**2, [x, y], v) == v
    assert gaussian_expectation(x**4, [x, y], v) == 3 * v**2
    assert gaussian_expectation(x * y + x**3, [x, y], v) == 0
    assert gaussian_expectation(x**2 * y**2 + 1, [x, y], v) == v**2 + 1


def test_velocity_from_grams_is_eq56():
    F = gaussian_factors(3, 2, 5, 3, 0.9, np.random.default_rng(11), seeds=2)
    Z = F[0]
    for f in F[1:]:
        Z = f @ Z
    np.testing.assert_allclose(velocity_from_grams(left_grams(F), right_grams(F), Z, 3, 2), gram_form_velocity(F, 3, 2),
                               rtol=1e-14)
    with pytest.raises(ValueError, match="logits"):
        velocity_from_grams(left_grams(F), right_grams(F), Z[..., :5], 3, 2)


def test_reduced_sampler_shapes_and_inputs():
    lefts, rights, Z = reduced_factor_grams(3, 2, 8, 3, 0.5, np.random.default_rng(0), seeds=4)
    assert [g.shape for g in lefts] == [(4, 3, 3)] * 4 and [g.shape for g in rights] == [(4, 6, 6)] * 4
    assert Z.shape == (4, 3, 6)
    np.testing.assert_allclose(lefts[3], np.broadcast_to(np.eye(3), (4, 3, 3)))
    np.testing.assert_allclose(rights[0], np.broadcast_to(np.eye(6), (4, 6, 6)))
    with pytest.raises(ValueError, match="d >= N"):
        reduced_factor_grams(3, 2, 5, 2, 1.0, np.random.default_rng(0), seeds=1)
    with pytest.raises(ValueError, match="variant"):
        reduced_factor_grams(3, 2, 8, 2, 1.0, np.random.default_rng(0), seeds=1, variant="other")


def test_reduced_sampler_has_the_exact_second_moments():
    """E||A_>0 A_>0^T - I||², E||B_<L^T B_<L - I||² (Lemma D.11's recursion), E||Z||² = KN/d at d = 12."""
    K, n, d, L, seeds = 3, 2, 12, 3, 6000
    r = initial_velocity_samples(K, n, d, L, 1.0, np.random.default_rng(12), seeds, {})
    for name, exact in (("left_dev_sq", product_gram_second_moment(K, L, d)),
                        ("right_dev_sq", product_gram_second_moment(K * n, L, d)), ("logit_sq", K * K * n / d)):
        x = r[name]
        assert abs(x.mean() - exact) < 4.5 * x.std() / np.sqrt(seeds), name
    wrong = initial_velocity_samples(K, n, d, L, 1.0, np.random.default_rng(12), seeds, {}, variant="no_cholesky")
    x = wrong["left_dev_sq"]
    assert abs(x.mean() - product_gram_second_moment(K, L, d)) > 10 * x.std() / np.sqrt(seeds)


def test_reduced_and_direct_samplers_agree_on_the_metric():
    K, n, d, L, seeds = 2, 2, 10, 2, 4000
    T = {"etf": etf_logit_direction(K, n)}
    a = initial_velocity_samples(K, n, d, L, 0.8, np.random.default_rng(13), seeds, T)["etf"]
    b = initial_velocity_samples(K, n, d, L, 0.8, np.random.default_rng(14), seeds, T, sampler="direct")["etf"]
    assert abs(a.mean() - b.mean()) < 4.5 * np.sqrt(a.var() / seeds + b.var() / seeds)


def test_delta_poly_contractions():
    K, n = sp.symbols("K n", positive=True)
    D = DeltaPoly.delta
    assert D("i", "i").scalar() == 1
    assert D("i", "j").sum_over("i", K).sum_over("j", K).scalar() == K
    assert (D("i", "j") * D("j", "k") * D("i", "k")).sum_all({"i": K, "j": K, "k": K}).scalar() == K
    assert (D("i", "j") * D("i", "j")).terms == D("i", "j").terms
    # ||M_K||_F² = K - 1 and tr M_K = K - 1, M_K = I - 1 1^T / K
    MK = lambda a, b: D(a, b) - 1 / K  # noqa: E731
    assert sp.simplify((MK("a", "b") * MK("a", "b")).sum_all({"a": K, "b": K}).scalar() - (K - 1)) == 0
    assert sp.simplify(MK("a", "a").sum_over("a", K).scalar() - (K - 1)) == 0
    assert (D("a", "b") * 3).rename({"b": "a"}).scalar() == 3
    with pytest.raises(ValueError, match="free"):
        D("a", "b").scalar()
    assert (D("a", "b") - D("b", "a")).terms == {}


def test_gram_tensor_coefficients_match_the_map():
    d = sp.Integer(5)
    a, b = sp.Integer(1), sp.Integer(0)
    for depth in range(5):
        al, be = gram_tensor_coefficients(depth, d)
        assert sp.simplify(al - a) == 0 and sp.simplify(be - b) == 0
        a, b = a + 2 * b / d, b + (a + b) / d
    # E||G - I||² = (α - 1) N + β N (N + 1) equals the (a, b) recursion
    al, be = gram_tensor_coefficients(3, d)
    assert sp.simplify((al - 1) * 4 + be * 20 - product_gram_second_moment(4, 3, d)) == 0


def test_metric_constant_expression_and_variants():
    for K, n, L, s in ((2, 1, 1, 0.0), (4, 2, 3, 1.5), (7, 3, 2, 0.5)):
        for variant in ("derived", "independent_terms", "no_projection"):
            assert float(metric_constant_expr(K, n, L, sp.nsimplify(s), variant)) == pytest.approx(
                predicted_metric_constant(K, n, L, s, variant), rel=1e-13)
    assert predicted_metric_constant(3, 2, 1, 0.0, "independent_terms") == pytest.approx(predicted_metric_constant(3, 2, 1))
    assert predicted_metric_constant(3, 2, 2, 0.0, "independent_terms") < 0.7 * predicted_metric_constant(3, 2, 2)
    assert predicted_metric_constant(3, 2, 2, 0.0, "no_projection") > predicted_metric_constant(3, 2, 2)
    with pytest.raises(ValueError, match="variant"):
        predicted_metric_constant(3, 2, 2, 0.0, "other")


def test_covariance_claims():
    G = np.array([[2.0, 0.5], [0.5, 1.0]])
    assert gram_deviation_constant(G) == pytest.approx(9 + 5.5)
    assert gram_deviation_constant(G, "chi_square") == pytest.approx(11.0)
    g = sp.Matrix(G)
    assert gram_covariance_expr(g, 0, 0, 0, 0, 4) == pytest.approx(gram_covariance_expr(g, 0, 0, 0, 0, 4, "chi_square"))
    assert gram_covariance_expr(g, 0, 1, 0, 1, 4) == pytest.approx((2 + 0.25) / 4)
    assert gram_covariance_expr(g, 0, 1, 0, 1, 4, "chi_square") == pytest.approx(0.5 / 4)
    assert product_gram_second_moment(1, 3, 9.0, "scalar_chi_square") == pytest.approx(product_gram_second_moment(1, 3, 9.0))
    assert product_gram_second_moment(3, 1, 9.0, "scalar_chi_square") == pytest.approx(3 * 2 / 9)
