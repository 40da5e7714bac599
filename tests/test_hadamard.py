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
