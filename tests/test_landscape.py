"""Unit tests for numerics.landscape (X-PD machinery)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from numerics.landscape import (
    describe_structure,
    known_constructions,
    margin_matrix,
    min_column_margin,
    pl_global_search,
    schatten_pl_value,
)
from numerics.constructions import cross_polytope_mean_logits, dnc_mean_logits
from numerics.schatten import pl_value_of_logits


@pytest.mark.parametrize("K", [3, 4, 5, 6])
def test_known_constructions_are_feasible_and_match_schatten(K):
    for name, Z in known_constructions(K).items():
        assert min_column_margin(Z) >= 1 - 1e-12, name
        for L in (1, 3):
            assert abs(schatten_pl_value(Z, L) - pl_value_of_logits(Z, L)) < 1e-12


def test_construction_values_against_closed_forms():
    K, L = 5, 3
    e = 1 / (L + 1)
    assert abs(schatten_pl_value(dnc_mean_logits(K), L) - (L + 1) / 2 * (K - 1)) < 1e-12
    odd = (L + 1) / 2 * (2 * 4 ** e + 1)
    centred = (L + 1) / 2 * (2 * 4 ** e + ((K - 1) / K) ** e)
    assert abs(schatten_pl_value(cross_polytope_mean_logits(K), L) - odd) < 1e-12
    assert abs(schatten_pl_value(cross_polytope_mean_logits(K, singleton="centred"), L) - centred) < 1e-12


def test_margin_matrix_matches_direct_margins():
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((4, 4))
    A = margin_matrix(4)
    assert abs(np.min(A @ Z.ravel()) - min_column_margin(Z)) < 1e-12


def test_search_small_cases():
    rng = np.random.default_rng(2)
    r = pl_global_search(3, 1, rng, 1)
    assert abs(r.value - 2.0) < 1e-9 and min_column_margin(r.Zbar) >= 1 - 1e-9
    r = pl_global_search(4, 4, rng, 1)
    cp = schatten_pl_value(cross_polytope_mean_logits(4), 4)
    assert r.value <= cp * (1 + 1e-9) and describe_structure(r.Zbar, 4)["rank"] == 2


def test_bad_inputs():
    with pytest.raises(ValueError):
        dnc_mean_logits(1)
    with pytest.raises(ValueError):
        known_constructions(1)
    with pytest.raises(ValueError):
        schatten_pl_value(np.eye(3), 0)
    with pytest.raises(ValueError):
        schatten_pl_value(np.array([[np.nan]]), 1)


# --------------------------------------------------------------------------- exact second order of (P_L)
@pytest.mark.parametrize("K,L,d", [(3, 1, 3), (3, 2, 4), (4, 3, 4)])
def test_exact_second_order_at_dnc(K, L, d):
    from numerics.landscape import exact_dnc_factors, pl_second_order_exact

    data = pl_second_order_exact(exact_dnc_factors(K, L, d), list(range(K)))
    assert set(data.margins) == {1} and set(data.multipliers) == {Fraction(1, K)} and data.stationarity_exact
    H = data.hessian / data.scale_h
    J = data.jacobian.toarray() / data.scale_j
    G = data.gauge.toarray() / data.scale_g
    assert np.allclose(H @ G.T, 0, atol=1e-12) and np.allclose(J @ G.T, 0, atol=1e-12)  # gauge: flat, in the cone
    # against a finite-difference Hessian of the Lagrangian ½||θ||² - <G_mult, Z(θ)> along random directions
    rng = np.random.default_rng(1)
    theta = data.theta
    shapes = [(d, K)] + [(d, d)] * (L - 1) + [(K, d)]

    def lagrangian(x):
        out, pos, F = None, 0, []
        for a, b in shapes:
            F.append(x[pos:pos + a * b].reshape(a, b))
            pos += a * b
        Z = F[0]
        for W in F[1:]:
            Z = W @ Z
        return 0.5 * float(x @ x) - float(np.sum((np.eye(K) - 1.0 / K) * Z))  # G = (1/K) Σ_{c' != c} (e_c - e_c') = M_K

    for _ in range(3):
        v = rng.standard_normal(theta.size)
        h = 1e-4
        fd = (lagrangian(theta + h * v) - 2 * lagrangian(theta) + lagrangian(theta - h * v)) / h**2
        assert abs(fd - v @ H @ v) < 1e-5 * max(1.0, abs(fd))


def test_finsler_matrix_scales():
    from numerics.landscape import exact_dnc_factors, pl_second_order_exact

    data = pl_second_order_exact(exact_dnc_factors(3, 2), [0, 1, 2])
    A, S = data.finsler(3)
    A0, S0 = data.finsler(3, with_gauge=False)
    assert np.all(A == np.rint(A)) and np.linalg.eigvalsh(A / S).min() > 0.5
    assert abs(np.linalg.eigvalsh(A0 / S0).min()) < 1e-9  # the gauge directions are flat without the Γ term


def test_exact_dnc_factors_bad_inputs():
    from numerics.landscape import exact_dnc_factors

    with pytest.raises(ValueError):
        exact_dnc_factors(4, 2, d=3)
    with pytest.raises(ValueError):
        exact_dnc_factors(4, 0)


def _brute_column_margins(Z: np.ndarray) -> list[float]:
    """``Z[c, c] - max_{c' != c} Z[c', c]`` for every column c, by two plain loops."""
    K = Z.shape[0]
    return [Z[c, c] - max(Z[r, c] for r in range(K) if r != c) for c in range(K)]


@pytest.mark.parametrize("K", [3, 4, 5])
def test_margin_rows_and_min_column_margin_on_non_symmetric_matrices(K):
    """On symmetric constructions rows and columns cannot be told apart; on the centred odd
    cross-polytope (not symmetric) and on random integer matrices they can."""
    rng = np.random.default_rng(K)
    mats = [rng.integers(-5, 6, size=(K, K)).astype(float) for _ in range(5)]
    if K % 2 == 1:
        mats.append(cross_polytope_mean_logits(K, singleton="centred"))
    A = margin_matrix(K)
    for Z in mats:
        exact = _brute_column_margins(np.asarray(Z, dtype=float))
        assert abs(min_column_margin(Z) - min(exact)) < 1e-12
        # every row of A is one constraint Zbar[c,c] - Zbar[c',c]: all K (K-1) of them, per column
        values = A @ np.asarray(Z, dtype=float).ravel()
        per_col = [min(values[c * (K - 1):(c + 1) * (K - 1)]) for c in range(K)]
        assert np.allclose(per_col, exact)
