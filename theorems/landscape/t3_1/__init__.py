"""T3.1 (Theorem 3.1, Sec. 3.1; proof App. D.1, Eq. 10-23): DNC is not globally optimal for deep UFMs.

Statement.  Consider the max-margin problem (P_L) (Eq. 3): minimise
``½ (Σ_l ||W_l||_F² + ||H||_F²)`` s.t. every margin ``z_ci[c] - z_ci[c'] >= 1``.
By Lemma D.7 (App. D.7; claim L-D.7) its value at the best factorisation of a logit matrix Z is
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
* DNC remains a local minimum of (P_L) for every L (App. D.1, second half, Eq. 17-23; the paper proves
  that Z_DNC is a strict local minimum of Σσ^{2/(L+1)} over the feasible Z).  In the factors it is strict
  only modulo the orthogonal gauge: f and the margins are constant on the O(d)^L orbit of DNC.

The proof's steps, one module each (a check per piece):

1. ``constructions`` - ``constructions_symbolic`` (every K, n: margins and singular values derived in
   sympy) and ``constructions_on_factors`` (the factor matrices themselves, from each construction's
   closed-form SVD with random orthogonal gauges; margins exact, objective on the factors against the
   closed forms, to K = 1001, L = 50 in seconds); ``fuzz_constructions``.
2. ``thresholds`` - ``threshold_equivalence``: sympy shows the claimed threshold is *identically* the
   comparison V_CP / V_DNC < 1 and derives the exact forms (K even ``K^{L+1} < 2^{L-1} (K-1)^{L+1}``;
   odd plain: the even form at K - 1; odd centred, L >= 2: ``K (K-1)^L (1 - 2^{(1-L)/(1+L)})^{L+1} > 1``);
   ``region_all_k_l``: the region for every K >= 3, L >= 1 by monotonicity and exact corners (z3 re-decides
   the L = 1, 2, 3 rows); ``threshold_table`` (K <= 10^4, L <= 10^3 three ways); ``fuzz_large_k_l``.
3. ``shallow`` - L = 1: ``l1_uniform_dual_all_k`` (sympy, every K, n: the uniform multipliers certify DNC
   globally optimal) and ``l1_nuclear_norm_certificate`` (CLARABEL + a rigorous bracket).
4. ``second_order`` - DNC's local optimality for every K, L: ``dnc_second_order_symbolic`` (KKT
   multipliers and the second-order sufficient conditions modulo the gauge, derived in sympy with the
   S_K-isotypic block decomposition, plus a slice argument) and ``dnc_second_order_exact`` (the full
   Hessian of the Lagrangian from raw factor products, exact multipliers, a verified Cholesky certificate
   of the Finsler matrix, K, L <= 16).
5. ``local_min`` - ``local_perturbations`` (fuzz: feasible rank-preserving perturbations and segments never
   lower Σσ^{2/(L+1)}) and ``local_optimizer_returns`` (SLSQP on the factors returns to DNC).

Finding (from the negative control of ``local_optimizer_returns``): started near the
cross-polytope at (K, L) = (4, 2), SLSQP stays there (value 4.762 > V_DNC = 4.5): the
cross-polytope looks locally optimal there too, though not globally.
Finding (from the negative control of the second-order checks): "strict local minimum" in the factors,
as CLAIMS.md words it, is false for K >= 3 - the Hessian of the Lagrangian vanishes on the gauge orbit;
what holds is strictness modulo the gauge (and strictness of Z_DNC in the logit space, the paper's route).

To add a check (e.g. a formal Coq proof of a step), append a ``Check`` to ``CHECKS`` below.
"""

from __future__ import annotations

from ncdepth.formal import t3_1_region_check
from ncdepth.registry import Check, Claim, Domain, Level, Part, Serves

from ._common import PAPER_EXPONENT, WRONG_EXPONENT
from .constructions import FUZZ_SMALL_K, FUZZ_SMALL_L, constructions_on_factors, constructions_symbolic, fuzz_constructions
from .local_min import local_optimizer_returns, local_perturbations
from .second_order import dnc_second_order_exact, dnc_second_order_symbolic
from .shallow import l1_nuclear_norm_certificate, l1_uniform_dual_all_K
from .thresholds import FUZZ_DPS, FUZZ_LARGE_K, FUZZ_LARGE_L, GAP_BALL_BITS, GAP_VALUE_DIGITS, fuzz_large_k_l, region_for_all_K_L, threshold_equivalence, threshold_table

PARTS = (
    Part("constructions", "DNC (Eq. 10-11) and the cross-polytope (Eq. 12-16; K odd with the plain or the centred "
                          "singleton) are feasible with tight margins, the stated singular values and (P_L) values"),
    Part("threshold", "V_CP < V_DNC iff 2^{(1-L)/(1+L)} < 1 - 1/K (K even), ((K-1)/2) 4^{1/(L+1)} + 1 < K - 1 "
                      "(K odd, plain; centred: ((K-1)/2) 4^{1/(L+1)} + ((K-1)/K)^{1/(L+1)} < K - 1)"),
    Part("region", "hence DNC is not globally optimal for (L = 2, K >= 6) and (L >= 3, K >= 4); the construction "
                   "does not decide (L = 2, K in {4, 5}) and never wins at L = 1"),
    Part("shallow", "L = 1: DNC is the global optimum of (P_1), a convex nuclear-norm program in Z"),
    Part("local", "DNC is a local minimum of (P_L) for every K and L, strict modulo the orthogonal gauge"),
)

_PAIR_CONTROL_WHY = ("the squared norm of a pair-block column, 1² + (-1)² = 2, taken for the block's squared singular "
                     "value (its eigenvalue is 2, so σ² = 4n): an easy slip between column norms and singular values")
_EXPONENT_CONTROL_WHY = ("what the comparison becomes with σ² = 2n for the pair block (2^{1/(L+1)} / 2 = 2^{-L/(L+1)}) "
                         "or with the numerator of the exponent off by one; it would let the cross-polytope win "
                         "already at L = 1 for K >= 4")
_GAUGE_CONTROL_WHY = ("CLAIMS.md says 'strict local minimum'; in the factors that is false for K >= 3, since f and the "
                      "margins are constant on the O(d)^L gauge orbit; a derivation that dropped the constraints' "
                      "curvature term -<G, D²Z> would see the Hessian I and accept it")


def _pairs(limit: int, limit_thorough: int):
    return lambda K, L, thorough: (L + 1) * K * K <= (limit_thorough if thorough else limit)


CHECKS = (
    Check(
        name="constructions_symbolic", level=Level.SYMBOLIC, fn=constructions_symbolic,
        description=("sympy, K and n symbolic: M_K² = M_K (mod J² = K J), trace K - 1, margins 1; the pair block "
                     "B² = 2B (σ = 2), margins 2 and 1; the centred column has squared norm (K-1)/K and is "
                     "orthogonal to the pairs; derived squared singular values and multiplicities of every "
                     "construction against the claimed ones."),
        precision="exact (sympy)",
        statement={"pair_sigma_sq_per_n": 4},
        control={"pair_sigma_sq_per_n": 2},
        control_description="cross-polytope pair block with σ = sqrt(2n) instead of 2 sqrt(n)",
        control_why=_PAIR_CONTROL_WHY,
        covers=("constructions",), for_all="all K >= 3, n >= 1", method="sympy",
        serves=Serves(what="symbolic, parameters kept as symbols (a requested K, L changes nothing)"),
    ),
    Check(
        name="constructions_on_factors", level=Level.NUMERIC, fn=constructions_on_factors,
        description=("DNC and cross-polytope (K even; K odd plain and centred singleton) built as balanced factor "
                     "matrices from their closed-form SVDs with a random Householder gauge per inner space, "
                     "d = K + 1, n in {1, 2, 3} (above K = 64: n = 1, odd K without the plain singleton); margins exact (integers) >= 1 and tight; "
                     "singular values of Zbar (dense up to K = 256, else the closed-form SVD the next two tests "
                     "verify) against the claimed ones; the product of the factors against Z (every column when "
                     "N <= 64, else 4 Gaussian probes); Eq. 2 balancedness on probes; ½Σ||F||² on the factors "
                     "against the closed forms; which construction wins against the exact threshold."),
        precision="margins exact (integers); float64, relative tolerance 1e-11",
        statement={"pair_sigma_sq_per_n": 4},
        control={"pair_sigma_sq_per_n": 2},
        control_description="cross-polytope with a wrong singular value sqrt(2n) instead of 2 sqrt(n) in V_CP",
        control_why=_PAIR_CONTROL_WHY,
        K=(3, 4, 5, 6, 7, 8, 9, 12), L=(1, 2, 3, 5),
        thorough_K=tuple(range(3, 21)) + (64, 257), thorough_L=tuple(range(1, 11)) + (50,),
        serves=Serves(K_max=1024, L_max=64, pair=lambda K, L, thorough: (L + 1) * (K + 1) ** 2 <= 6 * 10**7,
                      pair_text="(L+1)(K+1)² <= 6·10^7", cost="(L+1)(K+1)² per construction and n (dense factors) "
                      "plus K³ (the spectrum of Zbar)", what="dense factor matrices"),
        covers=("constructions",), method="balanced factor matrices, float64",
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
        control_why=_EXPONENT_CONTROL_WHY,
        covers=("threshold",), for_all="all K, L (given the singular values of the constructions)",
        method="sympy identities",
        serves=Serves(what="symbolic, parameters kept as symbols (a requested K, L changes nothing)"),
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
        control_why=_EXPONENT_CONTROL_WHY,
        covers=("region",), for_all="all K >= 3, L >= 1", method="sympy monotonicity + exact corners, z3",
        serves=Serves(what="symbolic, parameters kept as symbols (a requested K, L changes nothing)"),
    ),
    Check(
        name="threshold_table", level=Level.CERTIFIED, fn=threshold_table,
        description=("K <= K_max, L <= L_max (the largest requested values; default 10^4 and 10^3): per row the "
                     "exact integer crossing (bisection, boundary re-verified; rows are monotone by "
                     "region_all_k_l) vs the arb crossing 1/(1 - 2^{e(L)}) of the claimed threshold; every cell in "
                     "float64 vs the exact rows; the centred odd variant decided at every row's boundary in arb, "
                     "directly and via its algebraic form K (K-1)^L (1 - 2^{(1-L)/(1+L)})^{L+1} > 1."),
        precision="exact integers; arb 128 bits; float64 cross-check (cells with |g| < 1e-9 counted)",
        statement={"even_exponent": PAPER_EXPONENT},
        control={"even_exponent": WRONG_EXPONENT},
        control_description="threshold 2^{-L/(L+1)} < 1 - 1/K",
        control_why=_EXPONENT_CONTROL_WHY,
        K=(10**4,), L=(10**3,),
        serves=Serves(K_max=2 * 10**4, L_max=2 * 10**3, K_min=4,
                      pair=lambda K, L, thorough: K * L <= 2 * 10**7, pair_text="K·L <= 2·10^7 table cells",
                      cost="K·L float64 cells and L exact rows", what="a table of every K <= K_max, L <= L_max"),
        covers=("threshold", "region"), method="exact integer rows, arb crossings",
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
        control_why=("the construction that wins at depth, carried over to the shallow problem: a natural "
                     "over-generalisation of the deep result"),
        K=(3, 4, 6, 9, 12), L=(1,),
        thorough_K=tuple(range(3, 17)),
        serves=Serves(K_max=16, L_max=1, cost="an SDP with K² n variables and K(K-1)n constraints",
                      what="a conic solve + exact bracket, L = 1 only"),
        covers=("shallow",), method="CLARABEL + rigorous dual/primal bracket",
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
        control_why=("the construction that wins at depth, carried over to the shallow problem: a natural "
                     "over-generalisation of the deep result"),
        K=(4,), L=(1,),
        serves=Serves(L_max=1, what="the L = 1 problem (K, n symbolic)"),
        covers=("shallow",), for_all="all K >= 2, n >= 1 (L = 1)", method="sympy weak-duality certificate",
    ),
    Check(
        name="dnc_second_order_symbolic", level=Level.SYMBOLIC, fn=dnc_second_order_symbolic,
        description=("sympy: every constraint active, multipliers λ = n^{-L/(L+1)}/K > 0 unique (strict "
                     "complementarity); the second-order expansion of Z along the factors by induction on the "
                     "layers (non-commutative blocks for R^K = col(U) ⊕ 1 and range ⊕ null); on the critical cone "
                     "q = Σ 2||sym a_j||² + Σ||b_{i+1} - c_i^T||² + (other blocks)² with kernel exactly the gauge "
                     "tangent (dimensions L[r(r-1)/2 + r(d-r)] agree); the slice argument gives local optimality, "
                     "strict modulo O(d)^L, for every K, L, n and width d >= K - 1."),
        precision="exact (sympy, commutative and non-commutative symbols)",
        statement={"quotient": "orthogonal gauge"},
        control={"quotient": "none"},
        control_description="DNC a strict local minimum in θ itself (the Hessian positive definite on the whole cone)",
        control_why=_GAUGE_CONTROL_WHY,
        covers=("local",), for_all="all K, L (n >= 1, width d >= K - 1)",
        method="sympy: KKT + second-order sufficient conditions modulo the gauge",
        serves=Serves(what="symbolic, parameters kept as symbols (a requested K, L changes nothing)"),
    ),
    Check(
        name="dnc_second_order_exact", level=Level.CERTIFIED, fn=dnc_second_order_exact,
        description=("at the rational balanced DNC factors (H = [M_K; 0], W_l = diag(M_K, 0); n = 1, d = K and "
                     "d = K + 1 when small): the full Hessian of the Lagrangian from raw factor products, the margin "
                     "Jacobian J and the gauge generators Γ, all exact; the multipliers recovered from "
                     "∇f = J^T λ and verified exactly; S(∇²ℒ + ρ(J^T J + Γ^T Γ)) - τI = R R^T + E by float64 "
                     "Cholesky with |E| bounded exactly (flint integers, <= 800 parameters) or by the a-priori "
                     "rounding bound: q ≻ 0 on C ∩ T^⊥."),
        precision="exact rationals; residual exact or rigorous float64 bound, final comparison in arb",
        statement={"quotient": "orthogonal gauge"},
        control={"quotient": "none"},
        control_description="DNC a strict local minimum in θ itself (no gauge term; an exact kernel vector refutes it)",
        control_why=_GAUGE_CONTROL_WHY,
        K=(3, 4, 6, 8), L=(1, 2, 4),
        thorough_K=(3, 4, 5, 6, 8, 12, 16), thorough_L=(1, 2, 3, 4, 6, 8, 12, 16),
        serves=Serves(K_max=16, L_max=16, pair=_pairs(600, 4352),
                      pair_text="(L+1)K² <= 600 parameters (<= 4352 with --profile thorough)",
                      cost="((L+1)K²)³ (Cholesky and residual of the Finsler matrix)",
                      what="the full Hessian of the Lagrangian"),
        covers=("local",), method="exact KKT + verified Cholesky",
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
        control_why=("the cross-polytope does look locally optimal at depth (local_optimizer_returns' finding); "
                     "claiming the same at L = 1, where Σσ is convex and DNC its unique minimiser, is the natural "
                     "over-generalisation"),
        K=(4, 5, 6, 8), L=(1, 2, 3, 5),
        serves=Serves(K_max=64, L_max=64, cost="one K x K SVD per example", what="perturbations of K x K logits"),
        covers=("local",),
    ),
    Check(
        name="local_optimizer_returns", level=Level.NUMERIC, fn=local_optimizer_returns,
        description=("SLSQP on all factors of (P_L) (d = K, n = 1) from DNC factors + 5% noise returns to "
                     "Z_DNC with value V_DNC, at (K, L) where DNC is globally beaten and where it is not."),
        precision="float64, SLSQP ftol 1e-13; accept rel. distance < 1e-4, value rel. 1e-6",
        statement={"start": "dnc"},
        control={"start": "cross_polytope"},
        control_description="started near the (centred) cross-polytope, it should also return to DNC",
        control_why=("'every nearby start flows to DNC', the benign-landscape picture of L = 1 carried over to "
                     "depth; near the cross-polytope the optimiser stays there"),
        K=(4, 6), L=(2, 3),
        # K >= 4, L >= 2: only there is the control wrong (the cross-polytope a local minimum that is not DNC); at L = 1
        # (P_1) is convex and at K = 3 the centred cross-polytope start also descends to DNC (measured: SLSQP returns to
        # Z_DNC from it at (3, 1), (3, 2), (3, 3), (4, 1)), so there the check could not fail.  DNC at L = 1 is covered
        # by the shallow part's global certificate; at K = 3 by local_perturbations and the second-order checks.
        serves=Serves(K_min=4, L_min=2, K_max=12, L_max=8, pair=_pairs(200, 400),
                      pair_text="(L+1)K² <= 200 variables (<= 400 thorough)",
                      cost="SLSQP with (L+1)K² variables (dense QP steps)",
                      what="a local solve on all factors, where a cross-polytope start stays put (K >= 4, L >= 2)"),
        covers=("local",), method="SLSQP on the factors",
    ),
    Check(
        name="fuzz_constructions", level=Level.FUZZ, fn=fuzz_constructions,
        description=("hypothesis over (K, L) from the grid (default K in 3..16, L in 1..12), n in 1..6, gauges and "
                     "odd variant: factors built, margins exact, objective vs closed form, and which construction "
                     "wins vs the exact threshold."),
        precision="float64 rel 1e-11; winner compared where the gap exceeds 1e-9 relative",
        statement={"pair_sigma_sq_per_n": 4},
        control={"pair_sigma_sq_per_n": 2},
        control_description="cross-polytope with a wrong singular value sqrt(2n) in V_CP",
        control_why=_PAIR_CONTROL_WHY,
        K=FUZZ_SMALL_K, L=FUZZ_SMALL_L,
        serves=Serves(K_min=3, K_max=max(FUZZ_SMALL_K), L_max=max(FUZZ_SMALL_L),
                      cost="(L+1)K² per example", what="factors built per example"),
        covers=("constructions", "threshold"),
    ),
    Check(
        name="fuzz_large_k_l", level=Level.FUZZ, fn=fuzz_large_k_l,
        description=("hypothesis over (K, L) from the grid (default K in 4..10^4, L in 1..10^3), n in 1..10^3 and "
                     "the odd variant: the sign of V_DNC - V_CP at 60 digits (n kept, not cancelled) against the "
                     "exact integer/arb decision, and its value (normalised by (p/2) n^{1/p}) against an arb ball of "
                     "the threshold formula's gap, for every construction (so a wrong singular value is seen at "
                     "every (K, L), also where it does not flip the decision)."),
        precision=f"mpmath {FUZZ_DPS} digits; a gap below 1e-50 relative counts as undecided (a failure); the values "
                  f"agree to 1e-{GAP_VALUE_DIGITS} K with a {GAP_BALL_BITS}-bit ball",
        statement={"pair_sigma_sq_per_n": 4},
        control={"pair_sigma_sq_per_n": 2},
        control_description="cross-polytope with a wrong singular value sqrt(2n) in V_CP",
        control_why=_PAIR_CONTROL_WHY,
        K=FUZZ_LARGE_K, L=FUZZ_LARGE_L,
        serves=Serves(K_min=4, K_max=max(FUZZ_LARGE_K), L_max=max(FUZZ_LARGE_L),
                      cost="60-digit roots per example", what="closed forms at 60 digits"),
        covers=("threshold",),
    ),
    t3_1_region_check(),
)

CLAIM = Claim(
    id="T3.1",
    title="DNC is not globally optimal for deep UFMs (cross-polytope beats it), yet stays a local minimum",
    statement=("For K >= 4: the cross-polytope has a strictly smaller (P_L) value than DNC iff "
               "2^{(1-L)/(1+L)} < 1 - 1/K (K even) or ((K-1)/2) 4^{1/(L+1)} + 1 < K - 1 (K odd); hence DNC is "
               "not globally optimal for (L = 2, K >= 6) and (L >= 3, K >= 4); L = 1 never (DNC is the global "
               "optimum of the convex L = 1 problem); DNC is a local minimum for every L, strict modulo the "
               "orthogonal gauge of the factors."),
    latex=(r"V_{\rm DNC}=\tfrac{L+1}{2}(K-1)n^{\frac1{L+1}},\ V_{\rm CP}=\tfrac{L+1}{2}\tfrac K2(4n)^{\frac1{L+1}};\ "
           r"V_{\rm CP}<V_{\rm DNC}\iff 2^{\frac{1-L}{1+L}}<1-\tfrac1K\iff K^{L+1}<2^{L-1}(K-1)^{L+1}"),
    reference="Theorem 3.1, Sec. 3.1; proof App. D.1, Eq. (3), (10)-(23); uses Lemma D.7 (App. D.7)",
    domain=Domain(K_min=3, L_min=1),
    depends_on=("L-D.7",),
    notes=("Uses L-D.7 (Schatten identity) for V(Z); the objective on the actual factors is also checked directly here. "
           "Evidence keys per (K, L): evidence['by_K_L']['K,L'] = {dnc_objective, cp_objective, dnc_suboptimal} "
           "(n = 1; for odd K cp_objective is the better, centred-singleton construction)."),
    parts=PARTS,
    uncovered=("V(Z) = ((L+1)/2) Σσ^{2/(L+1)} for the best factorisation is Lemma D.7 (claim L-D.7), imported",
               "the local part's last step uses two standard theorems stated in the proof, not machine-checked: "
               "the second-order sufficient condition (Nocedal & Wright Thm 12.6) and the slice through a compact "
               "group orbit (a three-line argument in second_order.py)",
               "whether DNC is globally optimal at (L = 2, K in {4, 5}) (the paper does not claim it)"),
    checks=CHECKS,
)
