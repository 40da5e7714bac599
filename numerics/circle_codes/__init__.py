"""Angles on a circle: the cos(2θ) packing problem (L-D.3) and the circle code (T3.2).

Conventions.  ``K`` angles ``θ_k`` on the circle; their *circular gaps* are the
differences of consecutive sorted angles, the last one wrapping around (they sum
to 2π).  ``δ`` is a lower bound on every gap, ``0 < δ <= 2π/K``.  Exact
configurations are given by their gaps in units of π (Fractions).

* :mod:`.ld3`: :func:`ld3_closed_form` (the maximum of ``Σ_k cos(2θ_k)`` claimed by L-D.3, with
  the odd-K third case derived in ``theorems/landscape/l_d_3/``), the configurations attaining it
  (:func:`ld3_optimal_gaps`, :func:`ld3_optimal_angles`), ``|Σ e^{2iθ}|²`` in arb for exact gaps,
  the rounding of a float configuration to exact feasible gaps, and :func:`max_cos2_search`, a
  multi-start search over *all* gap vectors that knows nothing about clusters.
* :mod:`.circle_code`: T3.2's reduced objective, the K-gon's Gram matrix, the rank-2 limit
  objective with a multi-start search over equal-norm configurations in R², and the 2-D softmax
  code (Jiang et al. 2023) computed independently (:func:`softmax_code_search`).
* :mod:`.certify`: arb certifiers (a bisection for a sign, a branch-and-bound for
  ``|Σ e^{2iθ}|²``) answering proved / refuted (with a witness) / undecided (a budget ran out).
* :mod:`.symbolic`: the sympy run sum and zero test, and the z3 encoding of runs on the circle,
  used by the L-D.3 and T3.2 proofs.

Functions that take ``lib`` evaluate with floats (``lib=math``), with arb balls (``lib=ARB``) or
symbolically (``lib=sympy``): the same formula, three arithmetics.
"""

from __future__ import annotations

from .basics import ARB, circular_gaps, require_delta, require_K
from .certify import bisect_certify_negative, certify_cos2_upper_bound
from .circle_code import (
    equal_norm_rank2_search,
    kgon_gram,
    kgon_norm_sq,
    one_vs_rest_margins,
    rank2_equal_norm_objective,
    reduced_objective,
    softmax_code_search,
)
from .ld3 import (
    angles_from_gaps,
    cluster_offsets,
    exact_gaps_from_angles,
    flipped_cluster_gaps,
    ld3_closed_form,
    ld3_optimal_angles,
    ld3_optimal_gaps,
    ld3_regime,
    max_cos2_search,
    sum_cos2,
    sum_exp2i_abs_sq,
)
from .symbolic import sympy_is_zero, sympy_run_sum, z3_runs_on_circle

__all__ = [
    "ARB", "require_K", "require_delta", "circular_gaps",
    "ld3_regime", "ld3_closed_form", "ld3_optimal_gaps", "angles_from_gaps", "ld3_optimal_angles", "sum_cos2",
    "sum_exp2i_abs_sq", "flipped_cluster_gaps", "exact_gaps_from_angles", "max_cos2_search", "cluster_offsets",
    "reduced_objective", "kgon_norm_sq", "kgon_gram", "rank2_equal_norm_objective", "equal_norm_rank2_search",
    "one_vs_rest_margins", "softmax_code_search",
    "bisect_certify_negative", "certify_cos2_upper_bound",
    "sympy_run_sum", "sympy_is_zero", "z3_runs_on_circle",
]
