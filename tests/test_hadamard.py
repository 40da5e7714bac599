"""Unit tests of numerics.hadamard: the fast transform against the dense recursion."""

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics.hadamard import (
    HadamardDomainError, bit_dot, fwht, fwht_mp, require_power_of_two, sylvester, sylvester_entry,
)


@pytest.mark.parametrize("K", [1, 2, 4, 8, 64, 256])
def test_fwht_of_identity_is_the_recursive_matrix(K):
    assert np.array_equal(fwht(np.eye(K, dtype=np.int64)), sylvester(K))


def test_sylvester_is_orthogonal_up_to_K():
    H = sylvester(32)
    assert np.array_equal(H @ H.T, 32 * np.eye(32, dtype=np.int64))


@given(st.integers(1, 9), st.integers(0, 2**31 - 1))
def test_fwht_matches_dense_product_on_batches(m, seed):
    K = 2**m
    x = np.random.default_rng(seed).standard_normal((3, K))
    assert np.allclose(fwht(x), x @ sylvester(K).T, atol=1e-9 * K)
    assert np.allclose(fwht(x.T, axis=0), sylvester(K) @ x.T, atol=1e-9 * K)


def test_fwht_involution():
    x = np.random.default_rng(0).standard_normal(1024)
    assert np.allclose(fwht(fwht(x)) / 1024, x)


def test_fwht_mp_agrees_with_float():
    x = np.random.default_rng(1).standard_normal(16)
    with mpmath.workdps(40):
        y = fwht_mp([mpmath.mpf(float(v)) for v in x])
    assert np.allclose([float(v) for v in y], fwht(x))


def test_entry_walk_agrees_with_bit_dot_formula_by_brute_force():
    K = 64
    H = sylvester(K)
    for i in range(K):
        for j in range(K):
            assert sylvester_entry(i, j, K) == H[i, j] == (-1) ** bit_dot(i, j)


@pytest.mark.parametrize("bad", [0, 3, 6, 12, -4, 2.0, "8", True])
def test_non_powers_of_two_are_rejected_clearly(bad):
    with pytest.raises((HadamardDomainError, TypeError)) as info:
        require_power_of_two(bad)
    assert "power of two" in str(info.value) or ">=" in str(info.value)


def test_fwht_rejects_bad_length_with_message():
    with pytest.raises(HadamardDomainError, match="not a power of two"):
        fwht(np.ones(12))
    with pytest.raises(HadamardDomainError):
        sylvester(12)


# --------------------------------------------------------------------------- symbolic machinery for every m
import sympy as sp
from fractions import Fraction

from numerics.hadamard_symbolic import (
    E, Et, H, K_SYM, N_SYM, Q, Qt, R, diag, doubling_lemmas, layer_product, layer_s, softmax_diagonalisation_proof,
)


def test_doubling_lemmas_hold_and_a_wrong_block_sign_breaks_them(monkeypatch):
    assert all(v["holds"] for v in doubling_lemmas().values())
    import numerics.hadamard_symbolic as hs
    monkeypatch.setitem(hs.SIGN, (1, 0), -1)  # [[H, H], [-H, -H]]: not Sylvester's doubling
    broken = {k for k, v in hs.doubling_lemmas().items() if not v["holds"]}
    assert {"symmetric", "circulant"} <= broken


def test_group_algebra_rewriting_separates_the_lemma_from_its_variant():
    assert softmax_diagonalisation_proof(K_SYM)["equal"]
    assert not softmax_diagonalisation_proof(1)["equal"]
    assert not softmax_diagonalisation_proof(2 * K_SYM)["equal"]


def test_word_calculus_rules_and_shapes():
    assert (H @ H - H.scale(0) - diag(1).scale(K_SYM)).is_zero()  # H H = K I
    assert (R @ R.T - diag(1).scale(N_SYM)).is_zero()  # R R^T = n I_K
    assert not (R.T @ R).is_zero()  # R^T R is a projection, not a multiple of I_N
    assert (Et @ E - diag(1)).is_zero()
    assert not (E @ Et).is_zero()  # E E^T is not the identity when d > K
    assert (Qt("1") @ Q("1") @ E - E).is_zero()
    assert not (Qt("1") @ Q("2") @ E - E).is_zero()  # different Q's do not cancel
    with pytest.raises(ValueError, match="shape"):
        H @ E  # K x K times d x K
    x, y = sp.symbols("x y")
    assert (diag(x) @ diag(y) - diag(x * y)).is_zero()


def test_telescoping_products():
    j, L = sp.symbols("j L", integer=True)
    assert sp.simplify(layer_s(j) * layer_product(j + 1, L) - layer_product(j, L)) == 0
    assert layer_product(0, -1) == 1 and layer_product(L + 1, L) == 1


# --------------------------------------------------------------------------- exact full-model instances
from numerics.deep_ufm import hadamard_init, loss_gradient
from numerics.exact_ufm import cayley_orthogonal, gradient_identity_exact
from numerics.reduced_flow import layer_rhs, one_minus_psi


def _to_float(M):
    return np.array([[float(Fraction(int(M[i, j].p), int(M[i, j].q))) for j in range(M.ncols())] for i in range(M.nrows())])


@pytest.mark.parametrize("K,L,n,d", [(2, 1, 1, 3), (4, 2, 4, 5), (8, 1, 1, 8)])
def test_exact_instance_agrees_with_float64_and_its_witness_is_the_float_residual(K, L, n, d):
    rng = np.random.default_rng([5, K, L])
    s = [[Fraction(int(rng.integers(2, 7)), 4) for _ in range(K)] for _ in range(L + 1)]
    Qs = [cayley_orthogonal(d, rng) for _ in range(L)]
    assert gradient_identity_exact(s, n, d, Qs, psi_divisor=K)["zero"]
    bad = gradient_identity_exact(s, n, d, Qs, psi_divisor=1)  # ψ without the 1/K
    assert not bad["zero"]
    w = bad["witness"]
    # the same residual in float64 through numerics.deep_ufm and numerics.reduced_flow
    sf = np.array([[float(x) for x in row] for row in s])
    Qf = [_to_float(Q_) for Q_ in Qs]
    grads = loss_gradient(hadamard_init(sf, n, d, Qf), K, n)
    sdot = layer_rhs(sf, n, one_minus_psi_fn=lambda lam: one_minus_psi(K * lam))
    pred = hadamard_init(sdot, n, d, Qf)
    j, (a, b) = w["factor"], w["entry"]
    assert abs((-grads[j] - pred[j])[a, b] - float(w["value"])) < 1e-10


# --------------------------------------------------------------------------- the split transform
from numerics.hadamard import fwht_split, fwht_split_mp


@given(st.integers(1, 8), st.integers(0, 2**31 - 1))
def test_fwht_split_parts_recombine_to_the_transform(m, seed):
    K = 2**m
    x = np.random.default_rng(seed).standard_normal((2, K))
    e, o = fwht_split(x)
    assert np.allclose(e - o, fwht(x), atol=1e-12 * K)
    assert np.allclose(e + o, np.sum(x, axis=-1, keepdims=True), atol=1e-12 * K)
    H = sylvester(K)
    assert np.allclose(o, x @ (H.T < 0), atol=1e-12 * K)  # odd part = sum over H[k, i] = -1


def test_fwht_split_keeps_tiny_odd_parts_that_the_difference_form_loses():
    x = np.array([1.0, 1e-40, 1e-300, 1e-80])  # dominant term at i = 0 (always even)
    _, o = fwht_split(x)
    with mpmath.workdps(400):
        _, o_mp = fwht_split_mp([mpmath.mpf(v) for v in x])
        for k in range(4):
            assert abs(o[k] - float(o_mp[k])) <= 1e-15 * float(o_mp[k]) if o_mp[k] else o[k] == 0
    assert (np.sum(x) - fwht(x))[1] / 2 == 0.0  # the cancelling form returns 0 for 1e-40 + 1e-300


def test_one_minus_psi_resolves_large_margins():
    from numerics.reduced_flow import one_minus_psi, one_minus_psi_mp
    lam = np.array([194.08404606196717, 87.54791978003172, 28.96067385713032])  # K = 4
    with mpmath.workdps(120):
        ref = one_minus_psi_mp([mpmath.mpf(v) for v in lam])
        np.testing.assert_allclose(one_minus_psi(lam), [float(v) for v in ref], rtol=1e-13)
