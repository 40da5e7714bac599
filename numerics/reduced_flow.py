"""The reduced gradient flow of Theorem 4.2 (paper Eq. 6) in the variables λ = σ/√n.

Under Hadamard initialisation the logit matrix stays ``Zbar = (1/K) H diag(λ) H``
(mode 0, the all-ones direction, only shifts every logit and is dropped), and

    λ̇_k = (1 - ψ_k(λ)) λ_k^β,   β = 2L/(L+1),   ψ = H softmax(H λ / K)      (Eq. 6)

for k = 1..K-1.  Everything here takes ``lam`` with the K-1 non-trivial modes on
the last axis (any batch shape in front) and uses the fast transform.

``1 - ψ_k`` is evaluated in the paper's *core form* (proof of Thm 4.2)

    1 - ψ_k = 2 Σ_{i>=1 : H[k,i] = -1} g_i,     g = softmax(H λ / K),

as a sum of non-negative terms: the odd part of :func:`numerics.hadamard.fwht_split`.
Nothing cancels, neither against 1 nor against the dominant probability, so the
right-hand side keeps full relative precision even when margins are large and
``1 - ψ_k ~ e^{-a}`` is many orders below the largest ``g_i`` (the earlier form
``S' - (H g')_k`` cancelled there: at λ = (111, 194, 88, 29), K = 4, it returned 0 for
``1 - ψ_1 ≈ 1e-47``).
"""

from __future__ import annotations

from typing import Callable, Sequence

import mpmath
import numpy as np

from .hadamard import fwht, fwht_mp, fwht_split, fwht_split_mp, require_power_of_two
from .softmax import require_finite, softmax

__all__ = [
    "beta",
    "require_depth",
    "with_mode_zero",
    "mean_logit_profile",
    "mean_logits",
    "psi",
    "one_minus_psi",
    "reduced_rhs",
    "layer_rhs",
    "softmax_profile_mp",
    "one_minus_psi_mp",
    "reduced_rhs_mp",
]


def require_depth(L: int) -> int:
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 1:
        raise ValueError(f"depth L must be an integer >= 1 (number of weight matrices), got {L!r}")
    return int(L)


def beta(L: int) -> float:
    """β = 2L/(L+1), the exponent of the reduced flow."""
    L = require_depth(L)
    return 2.0 * L / (L + 1)


def _K_of(lam: np.ndarray) -> int:
    K = lam.shape[-1] + 1
    require_power_of_two(K, minimum=2, what="K (= number of reduced modes + 1)")
    return K


def with_mode_zero(lam: np.ndarray, value=0.0) -> np.ndarray:
    """Prepend mode 0 (the all-ones direction) to the K-1 reduced modes."""
    lam = np.asarray(lam)
    pad = np.full(lam.shape[:-1] + (1,), value, dtype=lam.dtype if lam.dtype == object else float)
    return np.concatenate([pad, lam], axis=-1)


def mean_logit_profile(lam: np.ndarray) -> np.ndarray:
    """``f = H (0, λ) / K``: the logits of class 0's mean sample; class c's are ``f(i ⊕ c)``."""
    lam = require_finite(lam, "λ")
    K = _K_of(lam)
    return fwht(with_mode_zero(lam), axis=-1) / K


def mean_logits(lam: np.ndarray) -> np.ndarray:
    """The K x K mean-logit matrix ``Zbar[i, c] = f(i ⊕ c) = ((1/K) H diag(0,λ) H)[i, c]``."""
    f = mean_logit_profile(lam)
    K = f.shape[-1]
    idx = np.arange(K)
    return f[..., idx[:, None] ^ idx[None, :]]


def _softmax_profile(lam: np.ndarray) -> np.ndarray:
    return softmax(mean_logit_profile(lam), axis=-1)


def psi(lam: np.ndarray) -> np.ndarray:
    """ψ = H softmax(H λ / K) on all K modes (ψ_0 = 1)."""
    return fwht(_softmax_profile(lam), axis=-1)


def one_minus_psi(lam: np.ndarray) -> np.ndarray:
    """``1 - ψ_k = 2 Σ_{i: <k,i> odd} g_i`` for k = 1..K-1: a sum of non-negative terms (no cancellation)."""
    g = _softmax_profile(lam)
    _, odd = fwht_split(g, axis=-1)
    return 2.0 * odd[..., 1:]


def reduced_rhs(lam: np.ndarray, L: int) -> np.ndarray:
    """Right-hand side of Eq. 6: ``(1 - ψ(λ)) ⊙ λ^β`` (λ >= 0, modes 1..K-1)."""
    lam = require_finite(lam, "λ")
    if np.any(lam < 0):
        raise ValueError("the reduced flow is defined for λ >= 0 (singular values)")
    return one_minus_psi(lam) * np.power(lam, beta(L))


def layer_rhs(s: np.ndarray, n: int, one_minus_psi_fn: Callable[[np.ndarray], np.ndarray] = one_minus_psi) -> np.ndarray:
    """Per-layer singular-value flow in the model's own time (proof of Thm 4.2).

    ``s`` has shape (L+1, K): row l holds the K Hadamard-mode singular values of
    factor l (row 0 is H, row L is W_L), mode 0 included.  With
    ``σ_k = Π_l s_{l,k}`` and ``λ = σ/√n``:

        ṡ_{l,k} = √n (1 - ψ_k) Π_{i≠l} s_{i,k},     1 - ψ_0 = 0.

    Float64 or mpmath object arrays.  ``one_minus_psi_fn`` maps λ (modes 1..K-1)
    to ``1 - ψ``; it is the paper's by default (checks pass wrong variants).
    """
    s = require_finite(s, "s")
    root_n = mpmath.sqrt(n) if s.dtype == object else np.sqrt(n)
    sigma = np.prod(s, axis=0)
    omp = np.concatenate([np.zeros(1, dtype=s.dtype), one_minus_psi_fn(sigma[1:] / root_n)])
    others = np.stack([np.prod(np.delete(s, l, axis=0), axis=0) for l in range(s.shape[0])])
    return root_n * omp[None, :] * others


# ----------------------------------------------------------------------------- mpmath
def softmax_profile_mp(lam: Sequence) -> list:
    """``g = softmax(H (0, λ) / K)`` (all K entries) at the current mpmath precision."""
    lam = [mpmath.mpmathify(x) for x in lam]
    K = len(lam) + 1
    require_power_of_two(K, minimum=2)
    f = [x / K for x in fwht_mp([mpmath.mpf(0)] + lam)]
    fmax = max(f)
    e = [mpmath.exp(x - fmax) for x in f]
    Z = mpmath.fsum(e)
    return [x / Z for x in e]


def one_minus_psi_mp(lam: Sequence) -> list:
    """``1 - ψ_k`` (k = 1..K-1) at the current mpmath precision (core form, sums of non-negative terms)."""
    g = softmax_profile_mp(lam)
    _, odd = fwht_split_mp(g)
    return [2 * odd[k] for k in range(1, len(g))]


def reduced_rhs_mp(lam: Sequence, L: int) -> list:
    L = require_depth(L)
    b = mpmath.mpf(2 * L) / (L + 1)
    omp = one_minus_psi_mp(lam)
    return [o * mpmath.power(mpmath.mpmathify(x), b) for o, x in zip(omp, lam)]
