"""Initial reduced modes λ for the Hadamard starts of Thm 4.2 (modes k = 1..K-1).

- ``uniform_lambda``: near-uniform, ``λ_k = a (1 + jitter · u_k)``, u ~ U[-1, 1] (DNC direction
  plus a small perturbation: the rich-get-richer start of T4.4 / E-4);
- ``random_lambda``: entries U[0, 1], rescaled to Euclidean norm ``scale`` (App. E, Fig. 4/9);
- ``alternating_lambda``: a on odd k, b on even k (L-D.8, the start of T4.3(iii) / E-10).
"""

from __future__ import annotations

import numpy as np

from numerics.hadamard import require_power_of_two

__all__ = ["uniform_lambda", "random_lambda", "alternating_lambda"]


def uniform_lambda(K: int, a: float, jitter: float, rng: np.random.Generator) -> np.ndarray:
    require_power_of_two(K, minimum=2)
    if not (a > 0 and 0 <= jitter < 1):
        raise ValueError(f"need a > 0 and 0 <= jitter < 1, got a={a}, jitter={jitter}")
    return a * (1.0 + jitter * rng.uniform(-1.0, 1.0, K - 1))


def random_lambda(K: int, scale: float, rng: np.random.Generator) -> np.ndarray:
    require_power_of_two(K, minimum=2)
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    lam = rng.uniform(0.0, 1.0, K - 1)
    lam = np.maximum(lam, 1e-3)  # keep every mode alive (the flow never revives a zero mode)
    return scale * lam / np.linalg.norm(lam)


def alternating_lambda(K: int, a: float, b: float) -> np.ndarray:
    require_power_of_two(K, minimum=4)
    if not (a > 0 and b > 0):
        raise ValueError("alternating start needs a, b > 0")
    k = np.arange(1, K)
    return np.where(k % 2 == 1, a, b).astype(float)
