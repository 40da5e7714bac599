"""Unit tests: stable softmax, the reduced flow against dense formulas, the deep UFM gradient."""

import mpmath
import numpy as np
import pytest

from numerics.deep_ufm import hadamard_init, loss, loss_gradient, random_orthogonal
from numerics.hadamard import sylvester
from numerics.reduced_flow import (
    beta, layer_rhs, mean_logits, one_minus_psi, one_minus_psi_mp, psi, reduced_rhs, reduced_rhs_mp,
)
from numerics.softmax import cross_entropy_sum, log_softmax, softmax


def test_softmax_survives_margins_of_a_thousand():
    z = np.array([[1000.0, -1000.0], [0.0, 1000.0], [-1000.0, 999.0]])
    p = softmax(z, axis=0)
    assert np.all(np.isfinite(p)) and np.allclose(p.sum(axis=0), 1.0)
    assert np.all(np.isfinite(log_softmax(z, axis=0)))
    assert np.isfinite(cross_entropy_sum(z, np.array([0, 1])))


def test_softmax_rejects_nothing_silently_with_nan():
    with pytest.raises(ValueError, match="non-finite"):
        reduced_rhs(np.array([1.0, np.nan, 1.0]), 2)


def test_mean_logits_is_the_dense_hadamard_product():
    rng = np.random.default_rng(3)
    lam = rng.uniform(0, 5, 7)
    H = sylvester(8)
    dense = H @ np.diag(np.r_[0.0, lam]) @ H / 8
    assert np.allclose(mean_logits(lam), dense)


def test_one_minus_psi_core_form_equals_one_minus_psi():
    lam = np.random.default_rng(4).uniform(0, 3, 15)
    assert np.allclose(one_minus_psi(lam), 1 - psi(lam)[1:], atol=1e-14)


def test_core_form_keeps_relative_precision_at_large_margins():
    lam = np.full(7, 60.0)  # 1 - ψ ~ e^{-60/4 ...}: cancellation against 1 would give 0
    w = one_minus_psi(lam)
    with mpmath.workdps(60):
        exact = [float(x) for x in one_minus_psi_mp([mpmath.mpf(60)] * 7)]
    assert np.all(w > 0)
    assert np.allclose(w, exact, rtol=1e-12)


def test_reduced_rhs_agrees_with_mpmath():
    lam = np.random.default_rng(5).uniform(0.1, 4, 31)
    with mpmath.workdps(40):
        ref = [float(x) for x in reduced_rhs_mp([mpmath.mpf(float(v)) for v in lam], 3)]
    assert np.allclose(reduced_rhs(lam, 3), ref, rtol=1e-12)


def test_reduced_rhs_large_margins_is_finite_and_zero():
    out = reduced_rhs(np.full(15, 1e3), 4)
    assert np.all(np.isfinite(out)) and np.all(out >= 0)


@pytest.mark.parametrize("bad_L", [0, -1, 1.5, True])
def test_depth_must_be_a_positive_integer(bad_L):
    with pytest.raises(ValueError, match="L must be an integer"):
        beta(bad_L)


def test_bad_K_in_reduced_flow():
    with pytest.raises(ValueError, match="power of two"):
        reduced_rhs(np.ones(10), 2)  # K = 11


def test_loss_gradient_against_central_differences():
    rng = np.random.default_rng(6)
    K, L, n, d = 4, 3, 2, 6
    s = rng.uniform(0.5, 1.5, (L + 1, K))
    F = hadamard_init(s, n, d, [random_orthogonal(d, rng) for _ in range(L)])
    F = [f + 0.1 * rng.standard_normal(f.shape) for f in F]  # leave the Hadamard manifold
    grads = loss_gradient(F, K, n)
    eps = 1e-6
    for j in range(L + 1):
        E = rng.standard_normal(F[j].shape)
        plus = [f.copy() for f in F]
        minus = [f.copy() for f in F]
        plus[j] += eps * E
        minus[j] -= eps * E
        fd = (loss(plus, K, n) - loss(minus, K, n)) / (2 * eps)
        assert abs(fd - np.sum(grads[j] * E)) < 1e-6 * max(1.0, abs(fd))


def test_hadamard_init_rejects_narrow_width():
    with pytest.raises(ValueError, match="d >= K"):
        hadamard_init(np.ones((3, 8)), 1, 4, [np.eye(4), np.eye(4)])


def test_layer_rhs_mode_zero_does_not_move():
    s = np.random.default_rng(7).uniform(0.5, 1.5, (3, 8))
    assert np.all(layer_rhs(s, 2)[:, 0] == 0)


# --------------------------------------------------------------------------- softmax at extreme logits
from hypothesis import given, settings
from hypothesis import strategies as hst


@hst.composite
def _mixed_scale_logits(draw):
    """K x N logits, each column with its own scale 10^a (a in [-3, 4]) and offset up to ±1e4."""
    K = draw(hst.integers(2, 9))
    N = draw(hst.integers(1, 6))
    cols = []
    for _ in range(N):
        scale = 10.0 ** draw(hst.floats(-3, 4))
        offset = draw(hst.sampled_from([0.0, 5e2, -5e2, 1e4, -1e4]))
        u = draw(hst.lists(hst.floats(-1, 1, allow_nan=False), min_size=K, max_size=K))
        cols.append(offset + scale * np.asarray(u))
    return np.stack(cols, axis=1)


def _mp_softmax_column(z):
    with mpmath.workdps(60):
        e = [mpmath.exp(mpmath.mpf(float(x))) for x in z]  # no shift: mpmath's exponent range suffices
        tot = mpmath.fsum(e)
        return [x / tot for x in e], [mpmath.log(x / tot) for x in e]


@settings(max_examples=60, deadline=None)
@given(_mixed_scale_logits(), hst.sampled_from([0, 1]))
def test_softmax_matches_mpmath_at_gaps_up_to_1e4_and_mixed_column_scales(Z, axis):
    """Catches exp-then-normalise, a max taken along the wrong axis or over the whole array, log(softmax)."""
    X = Z if axis == 0 else Z.T
    P, LP = softmax(X, axis=axis), log_softmax(X, axis=axis)
    P, LP = (P, LP) if axis == 0 else (P.T, LP.T)
    eps = np.finfo(float).eps
    for c in range(Z.shape[1]):
        p_ref, lp_ref = _mp_softmax_column(Z[:, c])
        for i in range(Z.shape[0]):
            tol_lp = 64 * eps * (abs(float(lp_ref[i])) + np.max(np.abs(Z[:, c])) + 1)
            assert abs(float(LP[i, c] - lp_ref[i])) <= tol_lp
            if p_ref[i] > 1e-290:
                assert abs(float((P[i, c] - p_ref[i]) / p_ref[i])) <= tol_lp
            else:
                assert P[i, c] <= 1e-280
    labels = np.arange(Z.shape[1]) % Z.shape[0]
    ref = -mpmath.fsum(_mp_softmax_column(Z[:, c])[1][labels[c]] for c in range(Z.shape[1]))
    assert abs(cross_entropy_sum(Z, labels) - float(ref)) <= 64 * eps * (abs(float(ref)) + np.sum(np.abs(Z)) + 1)


def test_softmax_fuzz_catches_a_row_max_bug():
    """The same comparison, against a planted wrong-axis max: the fuzz above must be able to fail."""
    Z = np.array([[1e4, 0.0], [1e4 - 1.0, 1.0]])
    wrong_m = np.max(Z, axis=1, keepdims=True)  # max over the wrong axis
    with np.errstate(all="ignore"):
        e = np.exp(Z - wrong_m)
        bad = e / np.sum(e, axis=0, keepdims=True)
    p_ref, _ = _mp_softmax_column(Z[:, 1])
    assert not np.allclose(bad[:, 1], [float(x) for x in p_ref])
    assert np.allclose(softmax(Z, axis=0)[:, 1], [float(x) for x in p_ref], rtol=1e-14)
