"""Shared basics: arb as a ``lib``, argument checks, circular gaps."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["ARB", "require_K", "require_delta", "circular_gaps"]


class _ArbLib:
    """The few functions the closed forms need, on python-flint arb balls."""

    import flint as _flint

    @property
    def pi(self):
        return self._flint.arb.pi()  # at the current working precision

    @staticmethod
    def sin(x):
        return x.sin()

    @staticmethod
    def cos(x):
        return x.cos()


ARB = _ArbLib()


def require_K(K: Any, K_min: int = 2) -> int:
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or K < K_min:
        raise ValueError(f"K must be an integer >= {K_min}, got {K!r}")
    return int(K)


def require_delta(K: int, delta: float) -> float:
    """``0 < δ <= 2π/K`` (a float; a tiny relative slack is allowed at the top end)."""
    d = float(delta)
    if not math.isfinite(d) or d <= 0 or d > 2 * math.pi / K * (1 + 1e-12):
        raise ValueError(f"delta must lie in (0, 2π/K] = (0, {2 * math.pi / K:.6g}], got {delta!r}")
    return min(d, 2 * math.pi / K)


def circular_gaps(theta: np.ndarray) -> np.ndarray:
    """Gaps between consecutive sorted angles (mod 2π), the last one wrapping around."""
    t = np.sort(np.mod(np.asarray(theta, dtype=float), 2 * math.pi))
    return np.diff(np.concatenate([t, [t[0] + 2 * math.pi]]))
