"""Unit tests for numerics.landscape (X-PD machinery)."""

from __future__ import annotations

import numpy as np
import pytest

from numerics.landscape import (
    describe_structure,
    known_constructions,
    margin_matrix,
    min_column_margin,
    pl_global_search,
    schatten_pl_value,
)
from numerics.constructions import cross_polytope_mean_logits, dnc_mean_logits
from numerics.schatten import pl_value_of_logits


@pytest.mark.parametrize("K", [3, 4, 5, 6])
def test_known_constructions_are_feasible_and_match_schatten(K):
    for name, Z in known_constructions(K).items():
        assert min_column_margin(Z) >= 1 - 1e-12, name
        for L in (1, 3):
            assert abs(schatten_pl_value(Z, L) - pl_value_of_logits(Z, L)) < 1e-12


def test_construction_values_against_closed_forms():
    K, L = 5, 3
    e = 1 / (L + 1)
    assert abs(schatten_pl_value(dnc_mean_logits(K), L) - (L + 1) / 2 * (K - 1)) < 1e-12
    odd = (L + 1) / 2 * (2 * 4 ** e + 1)
    centred = (L + 1) / 2 * (2 * 4 ** e + ((K - 1) / K) ** e)
    assert abs(schatten_pl_value(cross_polytope_mean_logits(K), L) - odd) < 1e-12
    assert abs(schatten_pl_value(cross_polytope_mean_logits(K, singleton="centred"), L) - centred) < 1e-12


def test_margin_matrix_matches_direct_margins():
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((4, 4))
    A = margin_matrix(4)
    assert abs(np.min(A @ Z.ravel()) - min_column_margin(Z)) < 1e-12


def test_search_small_cases():
    rng = np.random.default_rng(2)
    r = pl_global_search(3, 1, rng, 1)
    assert abs(r.value - 2.0) < 1e-9 and min_column_margin(r.Zbar) >= 1 - 1e-9
    r = pl_global_search(4, 4, rng, 1)
    cp = schatten_pl_value(cross_polytope_mean_logits(4), 4)
    assert r.value <= cp * (1 + 1e-9) and describe_structure(r.Zbar, 4)["rank"] == 2


def test_bad_inputs():
    with pytest.raises(ValueError):
        dnc_mean_logits(1)
    with pytest.raises(ValueError):
        known_constructions(1)
    with pytest.raises(ValueError):
        schatten_pl_value(np.eye(3), 0)
    with pytest.raises(ValueError):
        schatten_pl_value(np.array([[np.nan]]), 1)
