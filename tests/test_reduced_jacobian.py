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


def test_tangent_spectrum_dense_at_K4_matches_derived_cross_polytope_eigenvalues():
    # ARPACK cannot run at K = 4 (ncv must satisfy k + 1 < ncv <= n = 3): the dense path must
    K, L, a = 4, 2, 3.0
    lam = np.array([a, 0.0, a])
    spec = tangent_spectrum(lam, L, symmetric=False)
    assert spec["method"].startswith("dense")
    omp, _ = scaled_one_minus_psi(lam)
    c = (L - 1) / (L + 1)
    mu_odd = a**c * (c * omp[0] - a * omp[1] / K)
    mu_even = -omp[0] * a**c
    assert abs(spec["max"] - max(mu_odd, mu_even)) <= 1e-12 * abs(mu_even)
    assert abs(spec["min"] - min(mu_odd, mu_even)) <= 1e-12 * abs(mu_even)


def test_tangent_spectrum_dense_and_arnoldi_agree():
    lam = np.random.default_rng(5).uniform(0.5, 3.0, 63)
    dense = tangent_spectrum(lam, 3, symmetric=False, ends=("max",))
    arpack = tangent_spectrum(lam, 3, symmetric=False, ends=("max",), dense_max=8)
    assert dense["method"].startswith("dense") and arpack["method"].startswith("ARPACK")
    assert abs(dense["max"] - arpack["max"]) <= 1e-8 * abs(dense["max"])


def test_jvp_by_mp_differences_matches_chain_rule_at_generic_lambda():
    from numerics.reduced_jacobian import rhs_jvp_fd_mp

    rng = np.random.default_rng(6)
    lam = 0.3 * np.exp(rng.standard_normal(15))
    w = lam * rng.standard_normal(15)
    with mpmath.workdps(40):
        lm, wm = [mpmath.mpf(float(x)) for x in lam], [mpmath.mpf(float(x)) for x in w]
        fd = rhs_jvp_fd_mp(lm, wm, 2)
        _, jw = rhs_jvp_mp(lm, wm, 2)
        assert max(abs(x - y) for x, y in zip(fd, jw)) < mpmath.mpf(10) ** -20
    jf, ell = scaled_rhs_jvp(lam, w, 2)
    np.testing.assert_allclose(jf * np.exp(ell), [float(x) for x in jw], rtol=1e-10)


def test_solve_recorded_records_what_ran_and_stops_at_an_event():
    from numerics.ode import solve_orbit, solve_recorded

    sol = solve_orbit(np.array([0.5, 1.0, 1.5]), 1, tau_max=1.0, n_out=5, rtol=1e-9, atol=1e-12, method="LSODA")
    assert sol.settings["rtol"] == 1e-9 and sol.settings["atol"] == 1.5e-12 and sol.settings["t_span"] == [0.0, 1.0]
    assert sol.settings["solver"] == "scipy solve_ivp LSODA" and sol.settings["n_out"] == 5

    def event(t, y):
        return y[0] - 2.0
    event.terminal, event.direction = True, 1
    out = solve_recorded(lambda t, y: [1.0], (0.0, 5.0), [0.0], method="RK45", rtol=1e-10, atol=1e-12,
                         t_eval=np.linspace(0, 5, 11), event=event)
    assert abs(out.settings["event_t"] - 2.0) < 1e-9 and out.t[-1] <= 2.0
