"""Integrating orbits of the reduced flow (Eq. 6), and the KL divergence to DNC.

Orbits, not clocks.  The questions asked of trajectories here (is KL monotone,
does a/b keep rising, where does λ/||λ|| go) depend only on the orbit, which
is unchanged by a positive rescaling of time.  At large scales the flow is
``e^{-a}``-slow ("lazy") and float64 underflows, so we integrate

    dλ/dτ = F(λ) / ρ(λ),     ρ(λ) = <λ, F(λ)> / ||λ||²  > 0,

computed as ``F̃ / (<λ, F̃>/||λ||²)`` with ``F̃ = F e^{-ℓ*}`` from
:func:`numerics.reduced_jacobian.scaled_rhs` (no underflow): ρ is smooth, and
the norm grows at unit logarithmic rate, ``||λ(τ)|| = e^τ ||λ(0)||``.  Along the orbit
``dKL/dt`` has the sign of ``dKL/dτ``.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from .reduced_jacobian import scaled_rhs
from .softmax import require_finite

__all__ = ["kl_to_dnc", "kl_rate", "orbit_rhs", "integrate_orbit"]


def kl_to_dnc(lam: np.ndarray) -> np.ndarray:
    """``KL(λ) = Σ_k (1/(K-1)) log(1/((K-1) p_k))``, ``p = λ/Σλ`` (last axis; λ > 0)."""
    lam = require_finite(np.asarray(lam, float), "λ")
    if np.any(lam <= 0):
        raise ValueError("KL to DNC needs strictly positive λ")
    n = lam.shape[-1]
    p = lam / np.sum(lam, axis=-1, keepdims=True)
    return -np.mean(np.log(n * p), axis=-1)


def kl_rate(lam: np.ndarray, velocity: np.ndarray) -> float:
    """``dKL/dt = Σ λ̇ / Σ λ - mean_k(λ̇_k / λ_k)`` for a velocity λ̇ (any positive time scale)."""
    lam = np.asarray(lam, float)
    return float(np.sum(velocity) / np.sum(lam) - np.mean(velocity / lam))


def orbit_rhs(lam: np.ndarray, L: int) -> np.ndarray:
    """``F(λ)/ρ(λ)``: the reduced flow with time rescaled so that ``||λ||`` grows at unit log-rate."""
    # trial stages of an explicit solver can dip a vanishing mode a rounding error below 0: clip there
    lam = np.maximum(np.asarray(lam, float), 0.0)
    F, _ = scaled_rhs(lam, L)
    rho = float(np.dot(lam, F) / np.dot(lam, lam))
    if not rho > 0:
        raise ValueError("the orbit has stalled (no mode grows)")
    return F / rho


def integrate_orbit(lam0: np.ndarray, L: int, tau_max: float, n_out: int = 200, *,
                    rtol: float = 1e-10, atol: float = 1e-12, method: str = "DOP853") -> tuple[np.ndarray, np.ndarray]:
    """Integrate the rescaled orbit from ``lam0`` over ``τ ∈ [0, tau_max]``; returns ``(τ, Λ)``, Λ of shape (n_out, K-1)."""
    lam0 = require_finite(np.asarray(lam0, float), "λ0")
    if np.any(lam0 < 0):
        raise ValueError("λ0 must be >= 0")
    t_eval = np.linspace(0.0, tau_max, n_out)
    sol = solve_ivp(lambda t, y: orbit_rhs(y, L), (0.0, tau_max), lam0, method=method, rtol=rtol,
                    atol=atol * max(1.0, float(np.max(lam0))), t_eval=t_eval)
    if not sol.success:
        raise RuntimeError(f"orbit integration failed: {sol.message}")
    return sol.t, sol.y.T
