"""Unit tests for numerics.reduced_jacobian and numerics.ode (JVPs, tangent spectra, orbits, KL)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from numerics.hadamard import HadamardDomainError
from numerics.ode import integrate_orbit, kl_rate, kl_to_dnc
from numerics.reduced_flow import one_minus_psi, psi, reduced_rhs, reduced_rhs_mp
from numerics.reduced_jacobian import (dense_rhs_jacobian, lanczos_extremes, psi_jvp, rhs_jvp_mp, scaled_one_minus_psi,
                                       scaled_rhs, scaled_rhs_jvp, tangent_jvp_arb, tangent_rayleigh_mp, tangent_spectrum)


@pytest.mark.parametrize("K,L", [(4, 1), (16, 3), (256, 2)])
def test_scaled_rhs_matches_reduced_flow(K, L):
    lam = np.random.default_rng(K).uniform(0.2, 4.0, K - 1)
    F, ell = scaled_rhs(lam, L)
    np.testing.assert_allclose(F * np.exp(ell), reduced_rhs(lam, L), rtol=1e-12)
    omp, ell2 = scaled_one_minus_psi(lam)
    np.testing.assert_allclose(omp * np.exp(ell2), one_minus_psi(lam), rtol=1e-12)


@pytest.mark.parametrize("K,L", [(4, 1), (8, 2), (64, 5)])
def test_jvp_matches_central_differences(K, L):
    rng = np.random.default_rng(1)
    lam = rng.uniform(0.5, 3.0, K - 1)
    w = rng.standard_normal(K - 1)
    h = 1e-6
    fd = (reduced_rhs(lam + h * w, L) - reduced_rhs(lam - h * w, L)) / (2 * h)
    jw, ell = scaled_rhs_jvp(lam, w, L)
    np.testing.assert_allclose(jw * np.exp(ell), fd, rtol=1e-6, atol=1e-9)
    fdpsi = (psi(lam + h * w) - psi(lam - h * w))[..., 1:] / (2 * h)
    np.testing.assert_allclose(psi_jvp(lam, w), fdpsi, rtol=1e-6, atol=1e-9)


def test_jvp_mp_matches_float():
    K, L = 16, 3
    rng = np.random.default_rng(2)
    lam = rng.uniform(0.5, 3.0, K - 1)
    w = rng.standard_normal(K - 1)
    with mpmath.workdps(30):
        F, Jw = rhs_jvp_mp([mpmath.mpf(x) for x in lam], [mpmath.mpf(x) for x in w], L)
        Fr = reduced_rhs_mp([mpmath.mpf(x) for x in lam], L)
    jw, ell = scaled_rhs_jvp(lam, w, L)
    np.testing.assert_allclose(np.array([float(x) for x in Jw]), jw * np.exp(ell), rtol=1e-10)
    assert max(abs(a - b) for a, b in zip(F, Fr)) < mpmath.mpf(10) ** -25


def test_dense_jacobian_is_columns_of_jvp():
    lam = np.random.default_rng(3).uniform(0.5, 2.0, 7)
    J, ell = dense_rhs_jacobian(lam, 2)
    w = np.random.default_rng(4).standard_normal(7)
    np.testing.assert_allclose(J @ w, scaled_rhs_jvp(lam, w, 2)[0], rtol=1e-12, atol=1e-14)


def test_no_underflow_at_large_scale():
    K, L = 4096, 3
    lam = np.full(K - 1, 3000.0)  # e^{-3000} underflows in float64
    F, ell = scaled_rhs(lam, L)
    assert np.all(np.isfinite(F)) and np.all(F > 0) and ell < -700


def test_tangent_spectrum_dnc_matches_derived_eigenvalue():
    K, L = 64, 3
    b = 2 * L / (L + 1)
    for a in (10.0, 50.0):
        s = tangent_spectrum(np.full(K - 1, a), L, symmetric=True)
        omp, ell = scaled_one_minus_psi(np.full(K - 1, a))
        mu = omp[0] * a ** (b - 1) * (b - 1 - a / K)
        assert s["krylov_closed"] and abs(s["max"] - mu) <= 1e-10 * abs(mu)


def test_lanczos_extremes_on_a_diagonal_matrix():
    d = np.linspace(-3.0, 5.0, 50)
    r = lanczos_extremes(lambda x: d * x, np.ones(50), steps=50)
    assert abs(r["max"] - 5.0) < 1e-8 and abs(r["min"] + 3.0) < 1e-8


def test_mp_and_arb_rayleigh_agree():
    K, L, a = 8, 2, 3.5
    lam = [a] * (K - 1)
    w = [1, -1] + [0] * (K - 3)
    with mpmath.workdps(30):
        R, res = tangent_rayleigh_mp([mpmath.mpf(x) for x in lam], w, L)
    _, Rb = tangent_jvp_arb([str(a)] * (K - 1), w, L)
    assert abs(float(R) - float(Rb.mid())) < 1e-12 * abs(float(R))
    assert res < mpmath.mpf(10) ** -20


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(HadamardDomainError):
        scaled_rhs(np.ones(5), 2)  # K = 6
    with pytest.raises(ValueError):
        scaled_rhs(np.array([1.0, np.nan, 1.0]), 2)
    with pytest.raises(ValueError):
        scaled_rhs(np.array([1.0, -1.0, 1.0]), 2)
    with pytest.raises(ValueError):
        scaled_rhs(np.ones(3), 0)  # L < 1
    with pytest.raises(ValueError):
        kl_to_dnc(np.array([1.0, 0.0, 2.0]))


def test_kl_and_orbit():
    lam = np.array([1.0, 2.0, 3.0])
    p = lam / lam.sum()
    assert abs(kl_to_dnc(lam) - np.mean(np.log(1 / (3 * p)))) < 1e-15
    assert abs(kl_to_dnc(np.full(7, 2.0))) < 1e-15
    tau, Y = integrate_orbit(np.array([0.5, 1.0, 1.5]), 1, tau_max=2.0, n_out=11)
    assert np.allclose(np.linalg.norm(Y, axis=1), np.linalg.norm(Y[0]) * np.exp(tau), rtol=1e-7)
    F, _ = scaled_rhs(lam, 1)
    assert kl_rate(lam, F) < 0  # L = 1: KL decreases
