"""numerics.kkt on hand-built points whose KKT status is known in closed form.

K = 2, n = 1, L = 1, width 1: Z = W H = σ u v^T with u = (1, -1)/√2, v = (a, -b)/||(a, b)||.
The margins are 2a and 2b.  Stationarity (W = G H^T, H = W^T G) holds with the multipliers
μ = (a, b)/(√2 ||(a, b)||), both positive, whatever a, b > 0.  So the point is a KKT point of
(P_1) exactly when both constraints are active (a = b = 1/2); with a = 1/2, b = 1 the second
constraint is slack (margin 2) yet needs a positive multiplier: complementary slackness fails.
"""

from __future__ import annotations

import numpy as np

from numerics.deep_ufm import class_labels, logits
from numerics.kkt import kkt_residual, normalise_to_margin
from numerics.schatten import margins


def rank_one_point(a: float, b: float, scale: float = 1.0) -> list[np.ndarray]:
    u = np.array([1.0, -1.0]) / np.sqrt(2)
    v = np.array([a, -b]) / np.hypot(a, b)
    s = np.sqrt(2) * np.hypot(a, b)
    return [scale * np.sqrt(s) * v[None, :], scale * np.sqrt(s) * u[:, None]]  # [H (1 x 2), W (2 x 1)]


def test_both_constraints_active_is_kkt():
    F = rank_one_point(0.5, 0.5)
    assert np.allclose(margins(logits(F), class_labels(2, 1)), [1.0, 1.0])
    assert kkt_residual(F, 2, 1).residual < 1e-12


def test_a_slack_constraint_with_a_needed_multiplier_is_not_kkt():
    """Stationary only with a multiplier on the slack constraint: the active set must exclude it."""
    F = rank_one_point(0.5, 1.0)
    assert np.allclose(margins(logits(F), class_labels(2, 1)), [1.0, 2.0])
    r = kkt_residual(F, 2, 1)
    assert r.active == 1 and r.residual > 0.5  # exactly sqrt(2/3) = 0.816...: the H-block cannot be matched


def test_normalisation_puts_the_smallest_margin_at_one_and_the_residual_is_scale_free():
    for L_factors, scale in ((2, 3.0), (2, 0.25)):
        F = rank_one_point(0.5, 0.5, scale)
        G, m = normalise_to_margin(F, 2, 1)
        assert abs(m - scale ** L_factors) < 1e-12  # margins are homogeneous of degree len(F) in the factors
        assert abs(float(np.min(margins(logits(G), class_labels(2, 1)))) - 1.0) < 1e-12
        assert kkt_residual(F, 2, 1).residual < 1e-12
