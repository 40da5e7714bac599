"""T3.1 (Theorem 3.1, Sec. 3; proof in App. D.1, Eq. 10-16): DNC is not globally optimal for deep UFMs.

Statement.  Consider the max-margin problem (P_L) (Eq. 3): minimise
``½ (Σ_l ||W_l||_F² + ||H||_F²)`` s.t. every margin ``z_ci[c] - z_ci[c'] >= 1``.
By Lemma D.7 its value at the best factorisation of a logit matrix Z is
``V(Z) = ((L+1)/2) Σ_i σ_i(Z)^{2/(L+1)}``.

* DNC (Eq. 10-11): ``Z = M_K ⊗ 1_n^T``, margins exactly 1, ``V_DNC = ((L+1)/2) (K-1) n^{1/(L+1)}``.
* cross-polytope, K even (Eq. 12-15): ``Zbar = I_{K/2} ⊗ [[1,-1],[-1,1]]``, margins >= 1
  (tight), σ = 2√n (multiplicity K/2), ``V_CP = ((L+1)/2) (K/2) (4n)^{1/(L+1)}``.
* K odd (Eq. 16): one singleton class, ``V = ((L+1)/2)[((K-1)/2)(4n)^{1/(L+1)} + n^{1/(L+1)}]``;
  the centred singleton (column ``e_K - 1/K``, σ = sqrt((K-1)n/K)) is also checked.
* CP beats DNC iff (K even) ``2^{(1-L)/(1+L)} < 1 - 1/K``, (K odd) ``((K-1)/2) 4^{1/(L+1)} + 1 < K - 1``.
  Hence, for K >= 4, DNC is not globally optimal when (L = 2, K >= 6) or (L >= 3, K >= 4);
  the construction does not decide (L = 2, K in {4, 5}); for L = 1 it never wins, and the
  L = 1 problem (a convex nuclear-norm program) has DNC as its global optimum.
* DNC remains a strict local minimum of (P_L) for every L (App. D.1, second half).

How it is checked (one check per piece of the proof):

1. ``constructions_on_factors``: the actual balanced factor matrices (random orthogonal
   gauges ``Q_l``, width d > rank) are built; margins are checked exactly in fractions,
   singular values against the claimed ones, and ½Σ||F||² on the factors against the
   closed forms.  Evidence per (K, L): ``dnc_objective``, ``cp_objective``, ``dnc_suboptimal``.
2. ``threshold_equivalence``: sympy shows the claimed threshold is *identically* the
   comparison ``V_CP / V_DNC < 1`` and derives the exact forms: K even
   ``K^{L+1} < 2^{L-1} (K-1)^{L+1}``; K odd, plain singleton ``(K-1)^{L+1} < 2^{L-1} (K-2)^{L+1}``
   (the even form at K-1); K odd, centred singleton (L >= 2)
   ``K (K-1)^L (1 - 2^{(1-L)/(1+L)})^{L+1} > 1`` (no integer form: two radicals).
3. ``region_all_k_l``: sympy proves the region for all K >= 3, L >= 1 by monotonicity
   of ``g(k, L) = log(rhs/lhs)`` in k and L plus exact corner values; z3 (nlsat, reals)
   independently decides the L = 2 and L = 3 rows.
4. ``threshold_table``: K <= 10^4, L <= 10^3 decided three ways (exact integer boundary per
   row, arb balls for the claimed threshold's crossing, float64 over all 10^7 cells).
5. ``l1_nuclear_norm_certificate``: CLARABEL solves the L = 1 program; the answer becomes a
   rigorous bracket (rounded multipliers + exactly repaired primal, flint root isolation).
6. ``l1_uniform_dual_all_k``: sympy, K and n symbolic: the uniform multipliers 1/(K sqrt n)
   certify that DNC is the global L = 1 optimum for every K, n.
7. ``local_perturbations`` (fuzz) and ``local_optimizer_returns``: DNC is a local minimum.  The
   perturbations are feasible and keep the rank (``U_r A V_r^T``) or follow segments toward other
   feasible points; a generic Gaussian perturbation would add a new small singular value and raise
   Σσ^{2/(L+1)} by ~ε^{2/(L+1)} at any point, minimum or not.  Control: the cross-polytope at L = 1.
8. ``fuzz_constructions`` / ``fuzz_large_k_l``: hypothesis over (K, L, n), factors built each
   time for small K; 60-digit values against the exact decision up to K = 10^4, L = 10^3.

Finding (from the negative control of ``local_optimizer_returns``): started near the
cross-polytope at (K, L) = (4, 2), SLSQP stays there (value 4.762 > V_DNC = 4.5): the
cross-polytope looks locally optimal there too, though not globally.
"""

from __future__ import annotations

from ncdepth.registry import Check, Claim, Domain, Level

from ._common import PAPER_EXPONENT, WRONG_EXPONENT
from .constructions import FUZZ_SMALL_K, FUZZ_SMALL_L, constructions_on_factors, fuzz_constructions
from .local_min import local_optimizer_returns, local_perturbations
from .shallow import l1_nuclear_norm_certificate, l1_uniform_dual_all_K
from .thresholds import FUZZ_LARGE_K, FUZZ_LARGE_L, fuzz_large_k_l, region_for_all_K_L, threshold_equivalence, threshold_table

CLAIM = Claim(
    id="T3.1",
    title="DNC is not globally optimal for deep UFMs (cross-polytope beats it), yet stays a local minimum",
    statement=("For K >= 4: the cross-polytope has a strictly smaller (P_L) value than DNC iff "
               "2^{(1-L)/(1+L)} < 1 - 1/K (K even) or ((K-1)/2) 4^{1/(L+1)} + 1 < K - 1 (K odd); hence DNC is "
               "not globally optimal for (L = 2, K >= 6) and (L >= 3, K >= 4); L = 1 never (DNC is the global "
               "optimum of the convex L = 1 problem); DNC is a strict local minimum for every L."),
    latex=(r"V_{\rm DNC}=\tfrac{L+1}{2}(K-1)n^{\frac1{L+1}},\ V_{\rm CP}=\tfrac{L+1}{2}\tfrac K2(4n)^{\frac1{L+1}};\ "
           r"V_{\rm CP}<V_{\rm DNC}\iff 2^{\frac{1-L}{1+L}}<1-\tfrac1K\iff K^{L+1}<2^{L-1}(K-1)^{L+1}"),
    reference="Theorem 3.1, Sec. 3; proof App. D.1, Eq. (3), (10)-(16)",
    domain=Domain(K_min=3, L_min=1),
    depends_on=("L-D.7",),
    notes=("Uses L-D.7 (Schatten identity) for V(Z); the objective on the actual factors is also checked directly here. "
           "Evidence keys per (K, L): evidence['by_K_L']['K,L'] = {dnc_objective, cp_objective, dnc_suboptimal} "
           "(n = 1; for odd K cp_objective is the better, centred-singleton construction)."),
    checks=(
        Check(
            name="constructions_on_factors", level=Level.NUMERIC, fn=constructions_on_factors,
            description=("DNC and cross-polytope (K even; K odd plain and centred singleton) built as balanced "
                         "factors with random orthogonal gauges, d = K + 1, n in {1, 2, 3}; margins exact "
                         "(fractions) >= 1 and tight; singular values and ½Σ||F||² against the closed forms."),
            precision="margins exact (Fraction); SVD/objective float64, abs/rel tol 1e-11",
            statement={"pair_sigma_sq_per_n": 4},
            control={"pair_sigma_sq_per_n": 2},
            control_description="cross-polytope with a wrong singular value sqrt(2n) instead of 2 sqrt(n) in V_CP",
            K=(3, 4, 5, 6, 7, 8, 9, 12), L=(1, 2, 3, 5),
            thorough_K=tuple(range(3, 21)), thorough_L=tuple(range(1, 11)),
        ),
        Check(
            name="threshold_equivalence", level=Level.SYMBOLIC, fn=threshold_equivalence,
            description=("sympy: V_CP/V_DNC equals the claimed threshold's lhs/rhs identically (even, odd plain, "
                         "odd centred); raising to the power L+1 gives K^{L+1} < 2^{L-1}(K-1)^{L+1}; the odd "
                         "(plain) form is the even form at K-1."),
            precision="exact (sympy)",
            statement={"even_exponent": PAPER_EXPONENT},
            control={"even_exponent": WRONG_EXPONENT},
            control_description="threshold 2^{-L/(L+1)} < 1 - 1/K",
        ),
        Check(
            name="region_all_k_l", level=Level.SYMBOLIC, fn=region_for_all_K_L,
            description=("for every K >= 3, L >= 1: g = log(1-1/k) - e(L) log 2 is increasing in k and L "
                         "(sympy), corners decided exactly, z3 (nlsat) re-decides the L = 1, 2, 3 rows; the odd "
                         "forms are the even one at k = K-1; the centred singleton dominates but loses at L = 1, "
                         "K = 3 (convexity) and (5, 2) (arb)."),
            precision="exact (sympy, z3 over the reals, exact rationals; one arb ball at 128 bits)",
            statement={"even_exponent": PAPER_EXPONENT},
            control={"even_exponent": WRONG_EXPONENT},
            control_description="threshold 2^{-L/(L+1)} < 1 - 1/K (wins at L = 1, K >= 4)",
        ),
        Check(
            name="threshold_table", level=Level.CERTIFIED, fn=threshold_table,
            description=("K <= 10^4, L <= 10^3: per row the exact integer crossing (bisection, boundary "
                         "re-verified; rows are monotone by region_all_k_l) vs the arb crossing "
                         "1/(1 - 2^{e(L)}) of the claimed threshold; all 10^7 cells in float64 vs the exact rows; "
                         "the centred odd variant decided at every row's boundary in arb, directly and via its "
                         "algebraic form K (K-1)^L (1 - 2^{(1-L)/(1+L)})^{L+1} > 1."),
            precision="exact integers; arb 128 bits; float64 cross-check (cells with |g| < 1e-9 counted)",
            statement={"even_exponent": PAPER_EXPONENT},
            control={"even_exponent": WRONG_EXPONENT},
            control_description="threshold 2^{-L/(L+1)} < 1 - 1/K",
            K=(10**4,), L=(10**3,),
        ),
        Check(
            name="l1_nuclear_norm_certificate", level=Level.CERTIFIED, fn=l1_nuclear_norm_certificate,
            description=("L = 1, n in {1, 2}: CLARABEL minimises ||Z||_* under the margins; rounded multipliers "
                         "give a rigorous lower bound, the repaired (exactly feasible) primal a rigorous upper "
                         "bound (flint); the claimed optimum's value must lie in the bracket (width < 1e-7), "
                         "the solver's Z must have its shape (rel. 1e-5), and exactly feasible DNC must be "
                         "within 1e-9 of the certified lower bound (so V_DNC is the optimum to 1e-9)."),
            precision="CLARABEL tolerances 1e-12; certificate exact rationals + arb 200 bits",
            statement={"claimed_optimum": "dnc"},
            control={"claimed_optimum": "cross_polytope"},
            control_description="the cross-polytope (value K sqrt(n)) claimed optimal at L = 1",
            K=(3, 4, 6, 9, 12), L=(1,),
            thorough_K=tuple(range(3, 13)),
        ),
        Check(
            name="l1_uniform_dual_all_k", level=Level.SYMBOLIC, fn=l1_uniform_dual_all_K,
            description=("sympy, K and n symbolic: uniform multipliers 1/(K sqrt n) give G with G G^T = M_K (a projector, "
                         "||G||_op = 1) and Σμ = (K-1) sqrt(n) = ||Z_DNC||_*: DNC is the global L = 1 optimum for all K, n "
                         "(the exact form of the certificate the solver's multipliers round to)."),
            precision="exact (sympy, polynomials in J = 11^T modulo J^2 = K J)",
            statement={"claimed_optimum": "dnc"},
            control={"claimed_optimum": "cross_polytope"},
            control_description="the cross-polytope (value K sqrt(n)) claimed optimal at L = 1",
            K=(4,), L=(1,),
        ),
        Check(
            name="local_perturbations", level=Level.FUZZ, fn=local_perturbations,
            description=("hypothesis: feasible points near Z_DNC, of three kinds: Z + t U_r A V_r^T (stays in the "
                         "centred row/column spaces, so no new small singular value; divided by its min margin "
                         "when below 1), and segments (1-t) Z + t Z1 toward the cross-polytope and toward random "
                         "tight feasible points G + s M_K (t in [1e-4, 0.03]); Σσ^{2/(L+1)} always strictly larger; "
                         "(K, L) on both sides of the threshold."),
            precision=("float64; strict increase by more than 1e-12 relative; singular values below 1e-12 σ_max "
                       "counted as 0 (perturbations move them by >= ~1e-6)"),
            statement={"point": "dnc"},
            control={"point": "cross_polytope", "L": 1},
            control_description=("the cross-polytope claimed a local minimum at L = 1 (convex problem, DNC is the "
                                 "global optimum, so it is not)"),
            K=(4, 5, 6, 8), L=(1, 2, 3, 5),
        ),
        Check(
            name="local_optimizer_returns", level=Level.NUMERIC, fn=local_optimizer_returns,
            description=("SLSQP on all factors of (P_L) (d = K, n = 1) from DNC factors + 5% noise returns to "
                         "Z_DNC with value V_DNC, at (K, L) where DNC is globally beaten and where it is not."),
            precision="float64, SLSQP ftol 1e-13; accept rel. distance < 1e-4, value rel. 1e-6",
            statement={"start": "dnc"},
            control={"start": "cross_polytope"},
            control_description="started near the (centred) cross-polytope, it should also return to DNC",
            K=(4, 6), L=(2, 3),
        ),
        Check(
            name="fuzz_constructions", level=Level.FUZZ, fn=fuzz_constructions,
            description=("hypothesis over (K, L) from the grid (default K in 3..16, L in 1..12; values outside dropped), n in 1..6, gauges and odd variant: factors built, "
                         "margins exact, objective vs closed form, and which construction wins vs the exact threshold."),
            precision="float64 rel 1e-11; winner compared where the gap exceeds 1e-9 relative",
            statement={"pair_sigma_sq_per_n": 4},
            control={"pair_sigma_sq_per_n": 2},
            control_description="cross-polytope with a wrong singular value sqrt(2n) in V_CP",
            K=FUZZ_SMALL_K, L=FUZZ_SMALL_L,
        ),
        Check(
            name="fuzz_large_k_l", level=Level.FUZZ, fn=fuzz_large_k_l,
            description=("hypothesis over (K, L) from the grid (default K in 4..10^4, L in 1..10^3; values outside dropped), n in 1..10^3 and the odd variant: the sign of "
                         "V_DNC - V_CP at 60 digits (n kept, not cancelled) against the exact integer/arb decision."),
            precision="mpmath 60 digits; a gap below 1e-50 relative counts as undecided (a failure)",
            statement={"pair_sigma_sq_per_n": 4},
            control={"pair_sigma_sq_per_n": 2},
            control_description="cross-polytope with a wrong singular value sqrt(2n) in V_CP",
            K=FUZZ_LARGE_K, L=FUZZ_LARGE_L,
        ),
    ),
)

