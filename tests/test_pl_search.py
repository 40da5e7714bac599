"""numerics.pl_search: symmetry orders of known matrices, exact rational factors, the low-rank polish."""

import math

import numpy as np
import pytest

from numerics.constructions import cross_polytope_mean_logits, dnc_mean_logits
from numerics.landscape import _clean, min_column_margin, pd_kgon_mean_logits, schatten_pl_value
from numerics.pl_search import (exact_margins, gram_logits, polish_lowrank, polyhedral_configurations,
                                rational_factors, symmetry_order)


@pytest.mark.parametrize("K", [3, 4, 5])
def test_symmetry_order_of_dnc_is_K_factorial(K):
    assert symmetry_order(dnc_mean_logits(K)) == math.factorial(K)


@pytest.mark.parametrize("K", [5, 6, 8])
def test_symmetry_order_of_kgon_is_dihedral(K):
    assert symmetry_order(pd_kgon_mean_logits(K)) == 2 * K


def test_symmetry_order_of_cross_polytope_is_hyperoctahedral():
    # K = 6: three antipodal pairs, the group of the octahedron's vertex labels: 2^3 * 3! = 48
    assert symmetry_order(cross_polytope_mean_logits(6)) == 48


def test_symmetry_order_of_a_generic_matrix_is_one():
    Z = np.random.default_rng(0).standard_normal((6, 6))
    assert symmetry_order(Z) == 1


def test_rational_factors_have_exact_margin_one_and_the_rank():
    Z = pd_kgon_mean_logits(7)
    A, B = rational_factors(Z)
    assert len(B) == 2 and len(A) == 7
    assert min(exact_margins(A, B)) == 1
    Zf = np.array([[float(sum(A[i][k] * B[k][j] for k in range(2))) for j in range(7)] for i in range(7)])
    assert np.allclose(Zf, Z, atol=1e-6)


def test_polish_from_a_perturbed_square_antiprism_beats_the_kgon_and_cross_polytope_at_K8_L4():
    G = polyhedral_configurations(8)["antiprism_4(h=0.45)"]
    Z0 = gram_logits(G) + 0.05 * np.random.default_rng(1).standard_normal((8, 8))
    v, Z = _clean(polish_lowrank(Z0, 4), 4, 2.0)
    assert min_column_margin(Z) >= 1 - 1e-9
    assert v < schatten_pl_value(pd_kgon_mean_logits(8), 4)
    assert v < schatten_pl_value(cross_polytope_mean_logits(8), 4)


def _cell(Z, K, L):
    from numerics.pl_search import numerical_rank

    A, B = rational_factors(Z)
    s = np.linalg.svd(Z, compute_uv=False)[: numerical_rank(Z)]
    return {"K": K, "L": L, "family": "test", "A": [[str(x) for x in r] for r in A], "B": [[str(x) for x in r] for r in B],
            "singular_values": [float(x) for x in s], "symmetry_order": symmetry_order(Z), "symmetry_tol": 1e-6}


def test_grid_certificate_accepts_the_kgon_at_large_L_and_rejects_a_worse_point():
    from numerics.intervals import working_precision
    from theorems.beyond.x_pd import certify_grid_cell

    with working_precision(128):
        good = certify_grid_cell(_cell(pd_kgon_mean_logits(7), 7, 8))
        assert good["margins_ok"] and good["rank_certified"] and good["closed_forms_beating_stored"] == []
        # a feasible but worse point (DNC with one extra off-diagonal shift): the closed forms beat it
        Z = dnc_mean_logits(5).copy()
        Z[0, 1] -= 0.5
        bad = certify_grid_cell(_cell(Z, 5, 3))
        assert bad["margins_ok"] and "DNC" in bad["closed_forms_beating_stored"]


def test_exact_margins_are_column_margins_of_a_non_symmetric_matrix():
    """Z[c,c] - Z[c',c] (column c, class c's own sample), against the float min_column_margin, on a
    non-symmetric rational product where row and column margins differ."""
    from fractions import Fraction

    A = [[Fraction(2), Fraction(0)], [Fraction(0), Fraction(1)], [Fraction(-1), Fraction(-1)]]
    B = [[Fraction(1), Fraction(0), Fraction(-1)], [Fraction(0), Fraction(3), Fraction(-1, 2)]]
    Z = np.array([[float(sum(A[i][k] * B[k][j] for k in range(2))) for j in range(3)] for i in range(3)])
    assert not np.allclose(Z, Z.T)
    margins = exact_margins(A, B)
    assert [float(m) for m in margins] == [Z[c, c] - Z[cp, c] for c in range(3) for cp in range(3) if cp != c]
    assert float(min(margins)) == pytest.approx(min_column_margin(Z))
    assert sorted(margins) != sorted(Z[c, c] - Z[c, cp] for c in range(3) for cp in range(3) if cp != c)
