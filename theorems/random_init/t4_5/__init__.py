"""T4.5 (Sec. 4.4, proof in App. D.6): width and random initialisation bias early training to DNC.

Statement.  Initialise the deep UFM as ``W_l = s A_l`` (l = 1..L), ``H = s A_0``, every
entry of every ``A`` i.i.d. ``N(0, 1/d)``.  Under gradient flow the logits move with (Eq. 56)

    Ż = -Σ_{j=0}^{L} A_{>j} A_{>j}^T (P - Y) B_{<j}^T B_{<j},

``A_{>j} = F_L ... F_{j+1}``, ``B_{<j} = F_{j-1} ... F_0`` (products of the scaled factors).
As ``d -> ∞`` and ``s -> 0``, ``Ż/||Ż||_F -> (M_K ⊗ 1_n^T)/||M_K ⊗ 1_n^T||_F`` in probability;
the metric of Eq. 61, ``|| Ż/||Ż||_F - M/||M||_F ||_F²`` (``M = M_K ⊗ 1_n^T``), falls as d grows.

Proof mirrored here, in three modules.
``eq56``: (1) Eq. 56 is the chain rule (checked against three routes that share no code with it);
(3) ``Z = s^{L+1} A_L ... A_0`` is small, the softmax of small logits is ``1/K + (1/K) M_K Z + O(Z²)``
(sympy, K symbolic), so ``P - Y -> -(M_K ⊗ 1_n^T)``.  With (2) the Grams of the unscaled products
tending to I (Lemma D.11) this gives ``Ż ≈ (L+1) s^{2L} M``.
``constant``: the rate (the paper gives none).  ``d · E[metric] -> c(K, n, L, s)`` with

    c = S_L [(K-1)(K+N+2) - 4] / ((L+1)² (K-1))  +  s^{2L+2} [(K-1)N - 1] / (K² n (K-1)),

``S_L = L(L+1)(2L+1)/6``, derived symbolically in K, n, L, s from the Gaussian moments of
Lemmas D.10 and D.11 (the leading order of the second-order expansion of the metric), and again
from dense integer matrices at given (K, n, L).  The limit needs ``d -> ∞`` only: at fixed s the
logits are ``O(s^{L+1}/sqrt(d))``; ``s -> 0`` removes the second term.
``monte_carlo``: ``d · E[metric]`` up to d = 4096 (16384 thorough) with an O(d)-per-layer sampler
of the exact law (checked against the direct d x d products), slope -1 and constant c.

What is proved and what is numerical (the scope says the same): proved symbolically, Eq. 56's
ingredients (softmax expansion for every K) and the leading-order constant c for every K, n, L, s;
numerical, the d -> ∞ convergence in probability (Monte Carlo means falling like c/d; by Markov's
inequality a vanishing mean of the nonnegative metric is convergence in probability) and that
``d · E[metric]`` approaches c (the delta-method remainder is argued by hand, not checked).
"""

from __future__ import annotations

from ncdepth.registry import Check, Claim, Domain, Level, Part, Serves

from .constant import CONSTANT_DOC_RANGE, leading_constant_explicit, leading_constant_symbolic
from .eq56 import ROUTE_TOLS, FUZZ_RTOL, eq56_fuzz, eq56_routes, small_scale_residual_orders, softmax_small_scale
from .monte_carlo import (
    CONSTANT_RTOL,
    CONSTANT_Z,
    DS,
    DS_THOROUGH,
    SAMPLER_DS,
    SAMPLER_KS_P,
    SAMPLER_SEEDS,
    SAMPLER_Z,
    SEEDS,
    SEEDS_THOROUGH,
    SLOPE_TOL,
    sampler_matches_direct,
    velocity_alignment,
)

_MC = f"d ∈ {{{DS[0]}..{DS[-1]}}} ({SEEDS} seeds per d; thorough {DS_THOROUGH[0]}..{DS_THOROUGH[-1]}, {SEEDS_THOROUGH})"
_MC_PRECISION = (f"float64 Monte Carlo, {_MC}; slope within {SLOPE_TOL} of the claimed rate; constant within "
                 f"{CONSTANT_Z:g} s.e. + {CONSTANT_RTOL:.0%} of the claimed c")
_MC_SERVES = Serves(K_max=8, L_max=4, K_max_thorough=16, L_max_thorough=6, what="Monte Carlo with the reduced sampler",
                    cost="seeds x Σd x L (N + K) N flops")

CLAIM = Claim(
    id="T4.5",
    title="Large width and random initialisation align the initial logit velocity with the ETF",
    statement=("With W_l = s A_l, H = s A_0 and all entries i.i.d. N(0, 1/d), the logit velocity of Eq. 56 "
               "satisfies Ż/||Ż||_F -> (M_K ⊗ 1_n^T)/||M_K ⊗ 1_n^T||_F in probability as d -> ∞, s -> 0; "
               "the metric of Eq. 61 falls as d grows (derived here: d·E[metric] -> c(K,n,L,s))."),
    latex=(r"\dot Z = -\sum_{j=0}^{L} A_{>j}A_{>j}^\top (P-Y) B_{<j}^\top B_{<j},\qquad "
           r"\Big\|\tfrac{\dot Z}{\|\dot Z\|_F} - \tfrac{M_K\otimes 1_n^\top}{\|M_K\otimes 1_n^\top\|_F}\Big\|_F^2"
           r" \xrightarrow{P} 0,\quad d\,\mathbb E[\cdot] \to c(K,n,L,s)"),
    reference=("Theorem 4.5, Sec. 4.4; proof App. D.6 (logit velocity Eq. (56), Lemma D.11 quoted there); "
               "metric Eq. (61), App. E.1 (Figure 5)"),
    domain=Domain(K_min=2, L_min=1),
    depends_on=("L-D.10", "L-D.11"),
    notes=("Finding: with N(0, 1/d) entries the logits are O(s^{L+1}/sqrt(d)), so the limit holds as d -> ∞ at "
           "ANY fixed s; s -> 0 only removes the softmax term s^{2L+2}[(K-1)N-1]/(K² n (K-1)) from the "
           "constant (checked at s = 1.5).  The rate d^-1 and the constant c are ncdepth's; the paper states no rate."),
    parts=(
        Part("eq56", "Eq. 56: under gradient flow Ż = -Σ_j A_{>j}A_{>j}^T (P - Y) B_{<j}^T B_{<j}"),
        Part("softmax_limit", "as the logits shrink, P - Y -> -(M_K ⊗ 1_n^T), with first-order term (1/K) M_K Z"),
        Part("limit", "Ż/||Ż||_F -> (M_K ⊗ 1_n^T)/||M_K ⊗ 1_n^T||_F in probability as d -> ∞"),
        Part("rate", "d·E[Eq. 61 metric] -> c(K,n,L,s) = S_L[(K-1)(K+N+2)-4]/((L+1)²(K-1)) + "
                     "s^{2L+2}[(K-1)N-1]/(K² n (K-1)) as d -> ∞"),
    ),
    uncovered=(
        "limit: convergence in probability is numerical only (Monte Carlo means of the metric falling like c/d, "
        "d <= 4096; Markov's inequality); the paper's argument (Lemma D.11 + continuity) is not machine-checked",
        "rate: proved symbolically is c = lim d·E||Δ_⊥||²/((L+1)²||M||²) for the first-order term Δ of Ż/s^{2L}; "
        "the expansion metric = ||Δ_⊥||²/||(L+1)M||² + O_P(d^-3/2), and that d·E[metric] has the same limit (the "
        "metric is bounded by 4), are argued by hand (the Monte Carlo agrees to a few percent); the logit moments "
        "and their parity are machine-checked on instances (d = 2, L = 1, 2), E[W^T X W] = tr(X) I/d for sizes <= 3",
    ),
    checks=(
        Check(
            name="small_scale_softmax_limit", level=Level.SYMBOLIC, fn=softmax_small_scale,
            description=("sympy, with a symbolic number K of classes (Sum over k = 1..K): softmax(t z)_c has zeroth "
                         "order 1/K and first order (z_c - z̄)/K; and (1/K) - δ_kc = -(M_K)_kc (Kronecker-delta "
                         "algebra), so P - Y -> -(M_K ⊗ 1_n^T) as the logits shrink."),
            precision="exact (sympy)",
            statement={"first_order": "centred"},
            control={"first_order": "uncentred"},
            control_description="claims the first-order term is t z_c/K (no centring by the mean logit)",
            control_why=("linearising exp(t z_c)/Σ_k exp(t z_k) as (1 + t z_c)/K forgets the first-order term of the "
                         "denominator; the uncentred term is the usual slip"),
            serves=Serves(what="sympy with a symbolic K", cost="nothing: one symbolic derivation"),
            covers=("softmax_limit",), for_all="all K", method="sympy Sum over a symbolic number of classes",
        ),
        Check(
            name="small_scale_residual_orders", level=Level.NUMERIC, fn=small_scale_residual_orders,
            description=("fixed Gaussian A's (d = 16), s^{L+1} from 1e-4 to 1e-2: log-log slope of ||P - Y + M_K ⊗ 1_n^T||_F "
                         "is L+1 (the logits are s^{L+1} A_L...A_0) and, after subtracting the first-order term "
                         "(1/K) M_K Z, at least 2(L+1) (exactly 2(L+1) for K >= 3; 3(L+1) for K = 2, where the "
                         "second-order softmax term vanishes)."),
            precision="float64; slope tolerances in the evidence",
            statement={"logit_order": "L+1"},
            control={"logit_order": "L"},
            control_description="claims the logits (hence P - 1/K) scale like s^L",
            control_why="counting only the L weight matrices and forgetting that the features H = s A_0 are scaled too",
            K=(2, 3, 4), L=(1, 2, 3),
            serves=Serves(K_max=64, L_max=16, what="float64 residual slopes at d = 16", cost="K² n L d flops per scale"),
            covers=("softmax_limit",), method="float64 log-log slopes",
        ),
        Check(
            name="eq56_three_independent_routes", level=Level.NUMERIC, fn=eq56_routes,
            description=("Eq. 56 from the two Gram matrices vs numerics.deep_ufm.logit_velocity (assembled from the "
                         "factor gradients), vs torch reverse-mode gradients + forward-mode jvp of the logits along "
                         "-grad, vs central finite differences of the loss and of the logits; d in {3, 7}, s in {0.5, 2}."),
            precision=(f"float64; rel. max error <= {ROUTE_TOLS['deep_ufm']:g} (deep_ufm, autograd), "
                       f"<= {ROUTE_TOLS['finite_difference']:g} (finite differences)"),
            statement={"terms": "all"},
            control={"terms": "weights_only"},
            control_description="Eq. 56 without the j = 0 term (features H treated as frozen)",
            control_why="the unconstrained features H are trained too; dropping their term is the fixed-features slip",
            K=(2, 4), L=(1, 3),
            serves=Serves(K_max=8, L_max=6, what="finite differences of every parameter at d <= 7",
                          cost="(d N + (L-1) d² + K d) loss evaluations"),
            covers=("eq56",), method="three independent routes",
        ),
        Check(
            name="eq56_random_shapes", level=Level.FUZZ, fn=eq56_fuzz,
            description="hypothesis over K, n <= 3, L, d <= 9, s in [0.05, 3] and the seed: Eq. 56 vs torch autograd + jvp",
            precision=f"float64, rel. max error <= {FUZZ_RTOL:g}",
            statement={"terms": "all"},
            control={"terms": "weights_only"},
            control_description="Eq. 56 without the j = 0 term (features H treated as frozen)",
            control_why="the unconstrained features H are trained too; dropping their term is the fixed-features slip",
            K=(2, 3, 4, 5, 8), L=(1, 2, 3, 4),
            serves=Serves(K_max=16, L_max=16, what="torch autograd + jvp at d <= 9", cost="examples x L K² n d²"),
            covers=("eq56",),
        ),
        Check(
            name="leading_constant_symbolic", level=Level.SYMBOLIC, fn=leading_constant_symbolic,
            description=("sympy derivation of c = lim d E||Δ_⊥||²/((L+1)²||M||²) from the moments: the one-layer "
                         "Gram-tensor map from Lemma D.10's covariance, its closed form for m layers (induction, "
                         "symbolic m; d(α_m-1) -> 0, dβ_m -> m), the depth sums Σ_{j,j'}(L - max) = Σ min = S_L "
                         "(symbolic L), the left-right cross covariance d Var(tr G/d) -> 0, the logit moments and "
                         "parity (exact Gaussian moments on instances), and the contraction with M_K ⊗ 1_n^T as "
                         "exact polynomials in K and n (Kronecker-delta algebra); then equality with the claimed "
                         f"closed form, and numerics.predicted_metric_constant against it on {CONSTANT_DOC_RANGE}."),
            precision="exact (sympy); the float formula within 1e-12 relative",
            statement={"variant": "derived"},
            control={"variant": "independent_terms"},
            control_description="claims c with L(L+1)/2 in place of S_L = L(L+1)(2L+1)/6",
            control_why=("treating the Gram fluctuations of the L+1 terms of Eq. 56 as independent (each with its own "
                         "variance) instead of nested: the terms share layers, so their fluctuations add coherently"),
            serves=Serves(what="sympy, symbolic K, n, L, s", cost="nothing grows: one symbolic derivation"),
            covers=("rate",), for_all="all K, n, L, s (leading order as d -> ∞)",
            method="Gaussian moments + Kronecker-delta contraction",
        ),
        Check(
            name="leading_constant_explicit", level=Level.SYMBOLIC, fn=leading_constant_explicit,
            description=("the same constant by another route: the leading covariances of the fluctuations (depth limits "
                         "by iterating the one-layer map, no closed form) as dense integer matrices, Δ as a dense "
                         "linear map, E||Δ_⊥||² as a trace, exactly (int64 + fractions), for n = 1, 2, 3 and "
                         "s = 0, 1/2, 3/2 at each (K, L); compared exactly with the claimed closed form."),
            precision="exact (integers and fractions)",
            statement={"variant": "derived"},
            control={"variant": "no_projection"},
            control_description=("claims c without the projection orthogonal to M: S_L (K+N+2)/(L+1)² + s^{2L+2}/K "
                                 "(the relative error of Ż to (L+1) s^{2L} M, not the error of its direction)"),
            control_why=("the fluctuation along M only rescales Ż and leaves its direction alone; forgetting to remove "
                         "it is the natural slip when expanding ||Ż/||Ż|| - M/||M|| ||²"),
            K=(2, 3, 4, 5), L=(1, 2, 3, 4), thorough_K=(2, 3, 4, 5, 6, 7, 8), thorough_L=(1, 2, 3, 4, 5, 6, 7, 8),
            serves=Serves(K_max=8, L_max=8, K_max_thorough=12, L_max_thorough=12,
                          what="dense integer matrices for n = 1, 2, 3", cost="(K² n)² (K² + K² n²) integer operations"),
            covers=("rate",), method="dense integer contraction",
        ),
        Check(
            name="reduced_sampler_matches_direct", level=Level.NUMERIC, fn=sampler_matches_direct,
            description=(f"the O(d)-per-layer sampler of the Monte Carlo checks vs the direct product of d x d Gaussian "
                         f"factors, d in {SAMPLER_DS}, {SAMPLER_SEEDS} draws each, s = 1, n = 2: means of the Eq. 61 "
                         "metric, ||A_>0 A_>0^T - I||², ||B_<L^T B_<L - I||², ||Z||² (two-sample z) and their exact "
                         "values (Lemma D.11's recursion, E||Z̃||² = KN/d; one-sample z), and a KS test on the metric."),
            precision=f"float64 Monte Carlo; |z| <= {SAMPLER_Z} per statistic, KS p >= {SAMPLER_KS_P:g}",
            statement={"variant": "exact"},
            control={"variant": "no_cholesky"},
            control_description="the reduced sampler without the Cholesky factor of A_>j A_>j^T (rows taken orthonormal)",
            control_why=("the rows of A_>j are orthonormal only in the limit d -> ∞; dropping their Gram when drawing "
                         "A_>j F_j^⊥ is the tempting shortcut, and it loses the fluctuations of the later layers"),
            K=(4,), L=(2, 3), thorough_K=(2, 3, 4, 8), thorough_L=(2, 3, 4),
            serves=Serves(K_max=8, L_min=2, L_max=6, what="two-sample Monte Carlo at small d (the control differs "
                          "from the exact sampler only for L >= 2)", cost="seeds x L d³ flops (direct products)"),
            covers=("limit", "rate"), method="two-sample and exact-moment z-tests",
        ),
        Check(
            name="etf_alignment_rate", level=Level.NUMERIC, fn=velocity_alignment,
            description=(f"Eq. 61 against M_K ⊗ 1_n^T over {_MC}, n = 2, s = 0.01: pooled log-log OLS slope within "
                         f"{SLOPE_TOL} of -1, and d·E[metric] extrapolated to d = ∞ (weighted fit c + b/d) equal to the "
                         "derived c."),
            precision=_MC_PRECISION,
            statement={"target": "etf", "rate": -1.0, "scale": 0.01},
            control={"target": "wrong_centring", "rate": -1.0, "scale": 0.01},
            control_description="predicts the direction Y - 1 1^T/N (labels centred by the number of samples, not classes)",
            control_why=("centring the one-hot labels by their mean over the N = K n samples instead of over the K "
                         "classes gives a nearby direction (the same for n = 1) that differs by a multiple of 1 1^T"),
            K=(4,), L=(1, 2), thorough_K=(3, 8), thorough_L=(1, 3),
            serves=_MC_SERVES, covers=("limit", "rate"), method="Monte Carlo, reduced sampler",
        ),
        Check(
            name="metric_rate_exponent", level=Level.NUMERIC, fn=velocity_alignment,
            description="same draws as etf_alignment_rate; the claimed exponent is the derived one (-1)",
            precision=_MC_PRECISION,
            statement={"target": "etf", "rate": -1.0, "scale": 0.01},
            control={"target": "etf", "rate": -0.5, "scale": 0.01},
            control_description="claims the metric falls like d^-1/2",
            control_why="the Gram deviations fall like d^-1/2 (Lemma D.10); the metric is their square",
            K=(4,), L=(1, 2), thorough_K=(3, 8), thorough_L=(1, 3),
            serves=_MC_SERVES, covers=("rate",), method="Monte Carlo, reduced sampler",
        ),
        Check(
            name="constant_accumulates_over_depth", level=Level.NUMERIC, fn=velocity_alignment,
            description="same draws as etf_alignment_rate, L >= 2: the constant has S_L, the fluctuations being nested",
            precision=_MC_PRECISION,
            statement={"target": "etf", "rate": -1.0, "scale": 0.01, "constant": "derived"},
            control={"target": "etf", "rate": -1.0, "scale": 0.01, "constant": "independent_terms"},
            control_description="claims c with L(L+1)/2 in place of S_L (40% smaller at L = 2)",
            control_why=("treating the Gram fluctuations of the L+1 terms of Eq. 56 as independent instead of nested "
                         "(the terms share layers); the two agree at L = 1, so the check serves L >= 2"),
            K=(4,), L=(2,), thorough_K=(3, 8), thorough_L=(3,),
            serves=Serves(K_max=8, L_min=2, L_max=4, K_max_thorough=16, L_max_thorough=6,
                          what="Monte Carlo with the reduced sampler (the control equals the statement at L = 1)",
                          cost="seeds x Σd x L (N + K) N flops"),
            covers=("rate",), method="Monte Carlo, reduced sampler",
        ),
        Check(
            name="finite_scale_constant", level=Level.NUMERIC, fn=velocity_alignment,
            description=("s = 1.5 (no s -> 0): the metric still falls like 1/d, with the constant c(K,n,L,s) that "
                         "includes the first-order softmax term s^{2L+2}[(K-1)N-1]/(K² n (K-1))."),
            precision=_MC_PRECISION,
            statement={"target": "etf", "rate": -1.0, "scale": 1.5, "constant": "derived"},
            control={"target": "etf", "rate": -1.0, "scale": 1.5, "constant": "s_to_zero"},
            control_description="uses the s -> 0 constant (Gram part only) at s = 1.5",
            control_why="the theorem is stated as s -> 0; carrying its constant over to a finite scale ignores the logits",
            K=(4,), L=(1,), thorough_K=(3, 4), thorough_L=(1, 2),
            serves=_MC_SERVES, covers=("limit", "rate"), method="Monte Carlo, reduced sampler",
        ),
    ),
)
