"""What the trainer logs, as small pure numpy functions of one logit matrix.

Conventions (CLAIMS.md): ``Z`` is K x N with columns in class order, ``n`` samples
per class.  The *mean logit matrix* ``Zbar`` (K x K) averages each class's columns.
Softmax is invariant to adding a constant to a column, so the geometric quantities
below are computed on the column-centred ``M_K Zbar`` (``M_K = I - 11^T/K``): the
all-ones direction carries no information about the classifier.  On that matrix the
DNC logits ``M_K`` have K-1 equal singular values.

- effective rank (paper Eq. 60): ``p_i = σ_i/Σσ``, ``erank = exp(-Σ p_i log p_i)``
  over the singular values above ``rel_floor · σ_max``;
- normalised margin (App. E.1): the smallest gap ``z_c - max_{c'≠c} z_{c'}`` of the
  normalised logits ``Z/||Z||_F`` over all samples;
- KL to DNC (Thm 4.3(iii)): ``Σ_k (1/(K-1)) log(1/((K-1) p_k))`` with ``p`` the top
  K-1 singular values of ``M_K Zbar`` normalised to sum one;
- distances to the ETF / cross-polytope: ``|| A/||A|| - B/||B|| ||_F`` between the
  centred mean logits and the target.
"""

from __future__ import annotations

import numpy as np

from numerics.deep_ufm import class_labels, etf
from numerics.hadamard import fwht, require_power_of_two
from numerics.schatten import min_margin

__all__ = [
    "mean_logits",
    "centred",
    "singular_values",
    "effective_rank",
    "normalised_margin",
    "kl_to_dnc",
    "distance_to_etf",
    "cross_polytope_logits",
    "greedy_pairing",
    "distance_to_cross_polytope",
    "hadamard_modes",
    "feature_angles",
    "circular_gaps",
    "structure_summary",
    "STRUCTURES",
]


def mean_logits(Z: np.ndarray, K: int, n: int) -> np.ndarray:
    """``Zbar[:, c]`` = mean of class c's n columns of ``Z`` (K x K)."""
    Z = np.asarray(Z, dtype=float)
    if Z.shape[-1] != K * n:
        raise ValueError(f"Z has {Z.shape[-1]} columns, expected K n = {K * n}")
    return Z.reshape(Z.shape[:-1] + (K, n)).mean(axis=-1)


def centred(Zbar: np.ndarray) -> np.ndarray:
    """``M_K Zbar``: each column shifted to mean zero (softmax-invariant)."""
    return Zbar - Zbar.mean(axis=-2, keepdims=True)


def singular_values(A: np.ndarray) -> np.ndarray:
    return np.linalg.svd(np.asarray(A, dtype=float), compute_uv=False)


def effective_rank(svals: np.ndarray, rel_floor: float = 1e-12) -> float:
    """``exp(entropy(σ/Σσ))`` over the non-zero singular values (Eq. 60)."""
    s = np.asarray(svals, dtype=float)
    if not np.all(np.isfinite(s)):
        raise ValueError("singular values must be finite")
    if s.size == 0 or s.max() <= 0:
        raise ValueError("effective rank of the zero matrix is undefined")
    s = s[s > rel_floor * s.max()]
    p = s / s.sum()
    return float(np.exp(-np.sum(p * np.log(p))))


def normalised_margin(Z: np.ndarray, K: int, n: int) -> float:
    """Smallest margin of ``Z/||Z||_F`` over all N samples."""
    Z = np.asarray(Z, dtype=float)
    return min_margin(Z / np.linalg.norm(Z), class_labels(K, n))


def kl_to_dnc(svals: np.ndarray, K: int) -> float:
    """KL divergence of the uniform law from the normalised top K-1 singular values."""
    s = np.sort(np.asarray(svals, dtype=float))[::-1][: K - 1]
    p = s / s.sum()
    if np.any(p <= 0):
        return float("inf")
    return float(np.sum(np.log(1.0 / ((K - 1) * p))) / (K - 1))


def _unit(A: np.ndarray) -> np.ndarray:
    return A / np.linalg.norm(A)


def distance_to_etf(Zbar: np.ndarray) -> float:
    K = Zbar.shape[0]
    return float(np.linalg.norm(_unit(centred(Zbar)) - _unit(etf(K))))


def cross_polytope_logits(pairing: np.ndarray) -> np.ndarray:
    """Mean logits of the cross-polytope for a pairing ``partner[c]`` (odd K: one singleton).

    ``Zbar[c, c] = 1``, ``Zbar[partner(c), c] = -1``; a singleton (``partner[c] == c``)
    gets the centred column ``e_c - 1/K`` (CLAIMS.md, Part 1).
    """
    partner = np.asarray(pairing)
    K = partner.size
    Z = np.zeros((K, K))
    for c in range(K):
        if partner[c] == c:
            Z[:, c] = -1.0 / K
            Z[c, c] += 1.0
        else:
            Z[c, c] = 1.0
            Z[partner[c], c] = -1.0
    return Z


def greedy_pairing(Zbar: np.ndarray) -> np.ndarray:
    """Pair classes greedily by the most negative symmetrised logit (odd K: one singleton)."""
    A = centred(Zbar)
    S = A + A.T
    K = S.shape[0]
    partner = np.arange(K)
    free = set(range(K))
    order = np.dstack(np.unravel_index(np.argsort(S, axis=None), S.shape))[0]
    for i, j in order:
        if i != j and i in free and j in free:
            partner[i], partner[j] = j, i
            free -= {int(i), int(j)}
        if len(free) <= 1:
            break
    return partner


def distance_to_cross_polytope(Zbar: np.ndarray, pairing: np.ndarray | None = None) -> float:
    """Distance to the cross-polytope with the given pairing (default: greedy from Zbar)."""
    partner = greedy_pairing(Zbar) if pairing is None else np.asarray(pairing)
    target = centred(cross_polytope_logits(partner))
    return float(np.linalg.norm(_unit(centred(Zbar)) - _unit(target)))


def hadamard_modes(Zbar: np.ndarray) -> np.ndarray:
    """``λ_k = (H Zbar H)_{kk} / K`` for k = 1..K-1 (so ``Zbar = H diag(0, λ) H / K``).

    Computed with two fast transforms.  Under the Hadamard initialisation the mean
    logits stay diagonal in this basis (Thm 4.2) and λ are the reduced variables.
    """
    K = Zbar.shape[-1]
    require_power_of_two(K, minimum=2)
    HZH = fwht(fwht(Zbar, axis=-2), axis=-1)
    return np.diagonal(HZH, axis1=-2, axis2=-1)[..., 1:] / K


def feature_angles(Zbar: np.ndarray, rank: int = 2) -> tuple[np.ndarray, float]:
    """Polar angles of the K class vectors of the rank-2 part of ``M_K Zbar``.

    With ``M_K Zbar ≈ U S V^T`` (top two singular triples), class c is represented by
    the column ``g_c = S^{1/2} V^T e_c`` (the Gram factor of App. E.1).  Returns the
    sorted angles and the relative size of the discarded singular values.
    """
    A = centred(Zbar)
    U, S, Vt = np.linalg.svd(A)
    G = np.sqrt(S[:rank])[:, None] * Vt[:rank]
    residual = float(np.sqrt(np.sum(S[rank:] ** 2)) / np.sqrt(np.sum(S**2)))
    return np.sort(np.arctan2(G[1], G[0])), residual


def circular_gaps(angles: np.ndarray) -> np.ndarray:
    """Gaps between consecutive sorted angles, around the circle (sum 2π)."""
    a = np.sort(np.asarray(angles))
    return np.diff(np.concatenate([a, [a[0] + 2 * np.pi]]))


STRUCTURES = ("rank 2, regular K-gon", "rank 2, not a K-gon", "rank 3", "rank >= 4")


def structure_summary(Zbar: np.ndarray, rank_tol: float = 0.02, kgon_tol: float = 0.1) -> dict:
    """Which structure a mean logit matrix has (for the fractions of E-3, E-3b, E-7).

    ``rank``: singular values of ``M_K Zbar`` above ``rank_tol · σ_max``; the Gram-factor angles
    of its rank-2 part, their gaps, the largest deviation from 2π/K and the angle spread
    (largest minus smallest gap); ``label`` one of :data:`STRUCTURES` (a rank-2 matrix is a
    regular K-gon when every gap is within ``kgon_tol`` radians of 2π/K).
    """
    K = Zbar.shape[-1]
    sv = singular_values(centred(Zbar))
    rank = int(np.sum(sv > rank_tol * sv.max()))
    angles, residual = feature_angles(Zbar, rank=2)
    gaps = circular_gaps(angles)
    dev = float(np.max(np.abs(gaps - 2 * np.pi / K)))
    if rank <= 2:
        label = STRUCTURES[0] if dev <= kgon_tol else STRUCTURES[1]
    else:
        label = STRUCTURES[2] if rank == 3 else STRUCTURES[3]
    return {"rank": rank, "effective_rank": effective_rank(sv), "rank2_residual": residual,
            "gaps_over_2pi_by_K": (gaps / (2 * np.pi / K)).round(5).tolist(), "max_gap_deviation_rad": dev,
            "angle_spread_rad": float(gaps.max() - gaps.min()), "label": label}
