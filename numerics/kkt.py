"""KKT conditions of the max-margin problem (P_L) at explicit factors (Lemma D.1, L1-SADDLE).

(P_L) (Eq. 3): minimise ``½ Σ_j ||F_j||_F²`` over ``F = [H, W_1, ..., W_L]`` subject to
``z_i[y_i] - z_i[c'] >= 1`` for every sample i and wrong class c'.  With one multiplier
``μ_{i,c'} >= 0`` per constraint, zero unless the constraint is active, stationarity of the
Lagrangian reads, for every factor j,

    F_j = A_{>j}^T G B_{<j}^T,      G = Σ_{i,c'} μ_{i,c'} (e_{y_i} - e_{c'}) e_i^T   (K x N),

with ``A_{>j} = F_L ... F_{j+1}`` and ``B_{<j} = F_{j-1} ... F_0`` (identities when empty).
This is the gradient of ``Σ μ (margin - 1)`` (the chain rule of :mod:`numerics.deep_ufm` with
``G`` in place of ``P - Y``).

:func:`kkt_residual` rescales the factors so that the smallest margin is 1 (the logits are
homogeneous of degree L+1), takes the constraints within ``active_tol`` of 1 as active, finds
the best ``μ >= 0`` by non-negative least squares, and returns the relative misfit
``||F - Φ μ|| / ||F||`` (``Φ`` the linear map μ -> stacked ``A^T G B^T``): 0 at a KKT point.
Everything is float64 numpy; the matrix Φ has one column per active constraint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.optimize import nnls

from .deep_ufm import chain, class_labels
from .schatten import margins

__all__ = [
    "normalise_to_margin",
    "constraint_margins",
    "stationarity_columns",
    "KKTResult",
    "kkt_residual",
    "smoothed_margin",
    "normalised_margin_product",
]


def constraint_margins(Z: np.ndarray, K: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All ``N (K-1)`` constraint values ``z_i[y_i] - z_i[c']`` with their sample i and class c'."""
    Z = np.asarray(Z, dtype=float)
    y = class_labels(K, n)
    N = Z.shape[1]
    ii, cc = [], []
    for i in range(N):
        for c in range(K):
            if c != y[i]:
                ii.append(i)
                cc.append(c)
    ii, cc = np.array(ii), np.array(cc)
    vals = Z[y[ii], ii] - Z[cc, ii]
    return vals, ii, cc


def normalise_to_margin(factors: Sequence[np.ndarray], K: int, n: int) -> tuple[list[np.ndarray], float]:
    """Factors scaled by ``m^{-1/(L+1)}`` (m the smallest margin, > 0) so that the smallest margin is 1."""
    F = [np.asarray(f, dtype=float) for f in factors]
    Z = chain(F, 0, len(F), F[0])
    m = float(np.min(margins(Z, class_labels(K, n))))
    if not m > 0:
        raise ValueError(f"the smallest margin is {m:.3g} <= 0: (P_L) feasibility needs every margin positive")
    s = m ** (-1.0 / len(F))
    return [s * f for f in F], m


def stationarity_columns(factors: Sequence[np.ndarray], K: int, n: int, samples: np.ndarray,
                         classes: np.ndarray) -> np.ndarray:
    """Matrix Φ whose column k is the stacked ``A_{>j}^T (e_{y_i} - e_{c'}) e_i^T B_{<j}^T`` over j."""
    F = list(factors)
    y = class_labels(K, n)
    blocks = []
    for j in range(len(F)):
        A = chain(F, j + 1, len(F), np.zeros((K, 1)))  # K x rows(F_j)
        B = chain(F, 0, j, F[0].T)  # cols(F_j) x N
        left = A[y[samples]] - A[classes]  # (k, rows): A^T (e_y - e_c') as rows
        right = B[:, samples].T  # (k, cols): (B e_i)^T
        blocks.append(np.einsum("kr,kc->rck", left, right).reshape(-1, len(samples)))
    return np.concatenate(blocks, axis=0)


@dataclass
class KKTResult:
    residual: float  # ||F - Φμ|| / ||F|| at the NNLS optimum
    active: int  # number of constraints taken as active
    constraints: int
    multipliers: np.ndarray  # μ >= 0 on the active constraints
    active_samples: np.ndarray
    active_classes: np.ndarray
    min_margin_before: float  # smallest margin of the factors as given
    objective: float  # ½ Σ ||F_j||² after rescaling to smallest margin 1
    active_tol: float
    max_active_margin: float  # largest margin counted as active (<= 1 + active_tol)


def kkt_residual(factors: Sequence[np.ndarray], K: int, n: int, active_tol: float = 1e-2) -> KKTResult:
    """Relative KKT misfit of (P_L) at the rescaled factors (0 exactly at a KKT point)."""
    F, m = normalise_to_margin(factors, K, n)
    Z = chain(F, 0, len(F), F[0])
    vals, ii, cc = constraint_margins(Z, K, n)
    act = vals <= 1.0 + active_tol
    Phi = stationarity_columns(F, K, n, ii[act], cc[act])
    target = np.concatenate([f.ravel() for f in F])
    mu, rnorm = nnls(Phi, target, maxiter=50 * Phi.shape[1] + 100)
    res = float(np.linalg.norm(Phi @ mu - target) / np.linalg.norm(target))
    return KKTResult(residual=res, active=int(act.sum()), constraints=int(vals.size), multipliers=mu,
                     active_samples=ii[act], active_classes=cc[act], min_margin_before=m,
                     objective=0.5 * float(target @ target), active_tol=float(active_tol),
                     max_active_margin=float(vals[act].max()))


def smoothed_margin(log_loss_value: float, loss_value: float, rho: float, degree: int) -> float:
    """Lyu & Li's smoothed normalised margin ``log(1/(e^ℒ - 1)) / ρ^degree`` (needs ℒ < log 2).

    ``log(1/(e^ℒ - 1)) = -log(expm1(ℒ))``; for tiny ℒ it is ``-log ℒ - ℒ/2 + ...``, so it is
    computed from ``log ℒ`` when ℒ underflows.
    """
    if loss_value >= np.log(2.0):
        raise ValueError("the smoothed margin needs ℒ < log 2 (every margin positive)")
    if loss_value > 1e-8:
        q = -np.log(np.expm1(loss_value))
    else:
        q = -log_loss_value - loss_value / 2.0
    return float(q / rho**degree)


def normalised_margin_product(factors: Sequence[np.ndarray], K: int, n: int) -> float:
    """Smallest margin divided by ``Π_j ||F_j||_F`` (degree-0 homogeneous)."""
    F = [np.asarray(f, dtype=float) for f in factors]
    Z = chain(F, 0, len(F), F[0])
    m = float(np.min(margins(Z, class_labels(K, n))))
    return m / float(np.prod([np.linalg.norm(f) for f in F]))
