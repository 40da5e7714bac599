"""Sylvester Hadamard matrices and the fast Walsh-Hadamard transform.

Conventions (CLAIMS.md): ``H_1 = [1]``, ``H_{2k} = [[H_k, H_k], [H_k, -H_k]]``, so
``H_K`` is defined for ``K = 2^m``; indices ``0..K-1`` are read in binary,
``i ⊕ j`` is bitwise XOR and ``<i, j>`` the mod-2 dot product of the bit vectors.

Everything on a hot path uses :func:`fwht` (``O(K log K)``); :func:`sylvester`
builds the dense matrix by the *recursive definition* and exists for small-K
checks, tests and benchmarks only.
"""

from __future__ import annotations

from typing import Sequence

import mpmath
import numpy as np

__all__ = [
    "HadamardDomainError",
    "is_power_of_two",
    "require_power_of_two",
    "log2_exact",
    "sylvester",
    "sylvester_entry",
    "fwht",
    "fwht_mp",
    "fwht_split",
    "fwht_split_mp",
    "xor",
    "bit_dot",
    "popcount",
]


class HadamardDomainError(ValueError):
    """Raised when Hadamard structure is requested for an order that is not 2^m."""


def is_power_of_two(K: int) -> bool:
    """True iff ``K = 2^m`` for an integer ``m >= 0``."""
    return isinstance(K, (int, np.integer)) and K >= 1 and (int(K) & (int(K) - 1)) == 0


def require_power_of_two(K: int, *, minimum: int = 1, what: str = "K") -> int:
    """Return ``m = log2 K`` or raise a clear :class:`HadamardDomainError`."""
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)):
        raise HadamardDomainError(f"{what} must be an integer power of two, got {K!r}")
    if K < minimum:
        raise HadamardDomainError(f"{what} must be >= {minimum}, got {K}")
    if not is_power_of_two(K):
        raise HadamardDomainError(
            f"{what}={K} is not a power of two: the Sylvester Hadamard matrix H_K exists only for K = 2^m"
        )
    return int(K).bit_length() - 1


def log2_exact(K: int) -> int:
    """``m`` with ``K = 2^m`` (raises for other K)."""
    return require_power_of_two(K)


def sylvester(K: int, dtype=np.int64) -> np.ndarray:
    """Dense Sylvester Hadamard matrix ``H_K`` built by the doubling recursion.

    ``O(K^2)`` memory: for checks and tests, never for hot paths.
    """
    m = require_power_of_two(K)
    H = np.ones((1, 1), dtype=dtype)
    for _ in range(m):
        H = np.block([[H, H], [H, -H]])
    return H


def sylvester_entry(i: int, j: int, K: int) -> int:
    """``H_K[i, j]`` by the recursive definition alone (no bit formula).

    Walks down the doubling recursion: the (i, j) entry lies in block
    ``(i >= K/2, j >= K/2)``, which carries a minus sign only when both are set.
    """
    require_power_of_two(K)
    if not (0 <= i < K and 0 <= j < K):
        raise IndexError(f"index ({i}, {j}) outside H_{K}")
    sign = 1
    while K > 1:
        half = K // 2
        if i >= half and j >= half:
            sign = -sign
        i, j, K = i % half, j % half, half
    return sign


def popcount(x: int) -> int:
    return bin(int(x)).count("1")


def xor(i: int, j: int) -> int:
    """``i ⊕ j``: bitwise XOR of the binary indices."""
    return int(i) ^ int(j)


def bit_dot(i: int, j: int) -> int:
    """``<i, j>``: the mod-2 dot product of the binary digits of i and j."""
    return popcount(int(i) & int(j)) & 1


def fwht(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Fast Walsh-Hadamard transform ``H_K x`` along ``axis`` (unnormalised).

    ``K = x.shape[axis]`` must be a power of two.  ``m = log2 K`` vectorised
    butterfly stages, ``O(K log K)`` work; works on any batch shape and on
    float, complex or object (e.g. ``mpmath.mpf``) arrays.  Sylvester ordering:
    the stage of width ``h`` splits indices on bit ``log2 h``, and the stages
    commute, so the result is exactly ``sylvester(K) @ x``.
    """
    x = np.asarray(x)
    K = x.shape[axis]
    require_power_of_two(K, what="length of the transformed axis")
    y = np.moveaxis(x, axis, -1)
    batch = y.shape[:-1]
    y = y.reshape(-1, K)
    if y.dtype.kind in "iub":
        y = y.astype(np.int64)
    h = 1
    while h < K:
        y = y.reshape(-1, K // (2 * h), 2, h)
        a = y[:, :, 0, :]
        b = y[:, :, 1, :]
        y = np.stack((a + b, a - b), axis=2)
        h *= 2
    y = y.reshape(batch + (K,))
    return np.moveaxis(y, -1, axis)


def fwht_split(x: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """``(E, O)`` with ``E_k = Σ_{i: <k,i> even} x_i`` and ``O_k = Σ_{i: <k,i> odd} x_i``; ``H x = E - O``.

    The same butterfly as :func:`fwht` carried on the pair (even part, odd part): at the stage
    splitting on bit t, an output index with bit t = 0 keeps the parity of both halves
    (``E = aE + bE``, ``O = aO + bO``), one with bit t = 1 flips it for the upper half
    (``E = aE + bO``, ``O = aO + bE``).  Only additions: for ``x >= 0`` nothing cancels, so
    ``O_k`` keeps full relative precision even when it is many orders below ``Σ x``
    (``1 - ψ_k = 2 O_k(g)`` for a probability vector g).  ``O(K log K)``.
    """
    x = np.asarray(x)
    K = x.shape[axis]
    require_power_of_two(K, what="length of the transformed axis")
    y = np.moveaxis(x, axis, -1)
    batch = y.shape[:-1]
    e = y.reshape(-1, K).astype(float if y.dtype.kind in "iub" else y.dtype)
    o = np.zeros_like(e)
    h = 1
    while h < K:
        e = e.reshape(-1, K // (2 * h), 2, h)
        o = o.reshape(-1, K // (2 * h), 2, h)
        ae, be, ao, bo = e[:, :, 0, :], e[:, :, 1, :], o[:, :, 0, :], o[:, :, 1, :]
        e, o = np.stack((ae + be, ae + bo), axis=2), np.stack((ao + bo, ao + be), axis=2)
        h *= 2
    e = np.moveaxis(e.reshape(batch + (K,)), -1, axis)
    o = np.moveaxis(o.reshape(batch + (K,)), -1, axis)
    return e, o


def fwht_split_mp(x: Sequence) -> tuple[list, list]:
    """:func:`fwht_split` for a sequence of mpmath numbers (current precision)."""
    e = [mpmath.mpmathify(t) for t in x]
    K = len(e)
    require_power_of_two(K, what="length of the transformed vector")
    o = [mpmath.mpf(0)] * K
    h = 1
    while h < K:
        for start in range(0, K, 2 * h):
            for t in range(start, start + h):
                ae, be, ao, bo = e[t], e[t + h], o[t], o[t + h]
                e[t], e[t + h] = ae + be, ae + bo
                o[t], o[t + h] = ao + bo, ao + be
        h *= 2
    return e, o


def fwht_mp(x: Sequence) -> list:
    """``H_K x`` for a sequence of mpmath numbers, at the current ``mpmath.mp`` precision."""
    v = [mpmath.mpmathify(t) for t in x]
    K = len(v)
    require_power_of_two(K, what="length of the transformed vector")
    h = 1
    while h < K:
        for start in range(0, K, 2 * h):
            for t in range(start, start + h):
                a, b = v[t], v[t + h]
                v[t], v[t + h] = a + b, a - b
        h *= 2
    return v
