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

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from scipy.integrate import solve_ivp

from .reduced_jacobian import scaled_rhs
from .softmax import require_finite

__all__ = ["kl_to_dnc", "kl_rate", "orbit_rhs", "Solution", "solve_recorded", "solve_orbit", "integrate_orbit"]


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


@dataclass
class Solution:
    """An integrated trajectory and the solver settings that produced it.

    ``settings`` is built from the very values handed to :func:`scipy.integrate.solve_ivp`
    (method, rtol, the absolute atol, the time span, the number of output points) plus what
    the solver reports (function evaluations, status), so evidence records cannot drift from
    what ran.
    """

    t: np.ndarray
    y: np.ndarray  # shape (n_out, dim)
    settings: dict[str, Any] = field(default_factory=dict)


def solve_recorded(fun: Callable, t_span: tuple[float, float], y0: np.ndarray, *, method: str, rtol: float,
                   atol: float, t_eval: np.ndarray, what: str = "integration", event: Callable | None = None) -> Solution:
    """``solve_ivp`` with its settings recorded; a failed integration raises (never a silent partial orbit).

    ``event(t, y)``, if given, is a terminal event (its ``direction`` attribute is honoured): the solution then
    stops at its first zero, ``settings["event_t"]`` says where (None if it never fired).
    """
    t_span = (float(t_span[0]), float(t_span[1]))
    sol = solve_ivp(fun, t_span, y0, method=method, rtol=rtol, atol=atol, t_eval=t_eval,
                    events=[event] if event is not None else None)
    if not sol.success:
        raise RuntimeError(f"{what} failed: {sol.message}")
    settings = {"solver": f"scipy solve_ivp {method}", "rtol": float(rtol), "atol": float(atol),
                "t_span": list(t_span), "n_out": int(len(t_eval)), "nfev": int(sol.nfev), "status": int(sol.status)}
    if event is not None:
        fired = sol.t_events[0]
        settings["event_t"] = float(fired[0]) if len(fired) else None
    return Solution(sol.t, sol.y.T, settings)


def solve_orbit(lam0: np.ndarray, L: int, tau_max: float, n_out: int = 200, *,
                rtol: float = 1e-10, atol: float = 1e-12, method: str = "DOP853") -> Solution:
    """The rescaled orbit from ``lam0`` over ``τ ∈ [0, tau_max]`` (``||λ(τ)|| = e^τ ||λ(0)||``), with its settings.

    ``atol`` is relative to the largest entry of ``lam0`` (the absolute value passed to the solver
    is recorded in ``settings["atol"]``).
    """
    lam0 = require_finite(np.asarray(lam0, float), "λ0")
    if np.any(lam0 < 0):
        raise ValueError("λ0 must be >= 0")
    t_eval = np.linspace(0.0, tau_max, n_out)
    out = solve_recorded(lambda t, y: orbit_rhs(y, L), (0.0, tau_max), lam0, method=method, rtol=rtol,
                         atol=atol * max(1.0, float(np.max(lam0))), t_eval=t_eval, what="orbit integration")
    out.settings.update({"time": "orbit time τ (||λ|| = e^τ ||λ(0)||)", "L": int(L), "K": int(lam0.size + 1)})
    return out


def integrate_orbit(lam0: np.ndarray, L: int, tau_max: float, n_out: int = 200, *,
                    rtol: float = 1e-10, atol: float = 1e-12, method: str = "DOP853") -> tuple[np.ndarray, np.ndarray]:
    """Integrate the rescaled orbit from ``lam0`` over ``τ ∈ [0, tau_max]``; returns ``(τ, Λ)``, Λ of shape (n_out, K-1)."""
    sol = solve_orbit(lam0, L, tau_max, n_out, rtol=rtol, atol=atol, method=method)
    return sol.t, sol.y
