"""T4.2 (Thm 4.2, Sec. 4.1, Eq. 6): gradient flow from a Hadamard initialisation reduces to K-1 ODEs.

Statement.  Let ``K = 2^m``, ``d >= K`` and initialise

    W_L = U S_L Q_L^T,   W_l = Q_{l+1} S_l Q_l^T,   H = Q_1 S_0 V^T,
    U = H_K/√K,   V = (H_K ⊗ 1_n^T)^T/√(K n),   Q_l orthogonal,  S_l diagonal (padded).

Then along the gradient flow of the summed cross-entropy the singular vectors stay
fixed, ``s_{l+1,k}² - s_{l,k}²`` is conserved, and

    ṡ_{l,k} = √n (1 - ψ_k) Π_{i≠l} s_{i,k},    ψ = H softmax(H λ / K),   λ = σ/√n,  σ_k = Π_l s_{l,k}.

With balanced ``s_k`` this is ``σ̇_k = (L+1) √n (1-ψ_k) σ_k^{2L/(L+1)}`` and, in the
variables λ with time rescaled by ``(L+1) n^{β/2}``, Eq. 6:
``λ̇_k = (1 - ψ_k(λ)) λ_k^β``, ``β = 2L/(L+1)``.

Proof (App. D.3, Eq. 37-42) mirrored here.  ``Z = U diag(σ) V^T = (1/K) H diag(λ) H ⊗ 1_n^T``;
by L-D.4 ``P = (1/K) H diag(ψ) H ⊗ 1_n^T`` and ``Y = (1/K) H H ⊗ 1_n^T``, so
``U^T (P - Y) V = √n diag(ψ - 1)`` is diagonal.  The gradient of each factor,
``A_{>j}^T (P-Y) B_{<j}^T``, is therefore ``-√n (1-ψ) Π_{i≠j} s_i`` in the bases of
that factor: the bases never move, and ``d(s_{l+1}² - s_l²)/dt = 0``.

Steps, one module each:

* :mod:`.general` — the proof for every K = 2^m, n, d >= K and L, symbolically (word calculus
  of :mod:`numerics.hadamard_symbolic`; L-D.4 and the Hadamard facts proved for every m by
  induction on the doubling): U^T (P - Y) V, the per-layer flow (symbolic j and L), the
  conservation law, Eq. 6.
* :mod:`.instances` — concrete (K, L) from the full model with actual matrices in exact
  arithmetic (rationals and Q(e^{1/D})), no step of the reduction used; and with symbolic
  singular values for the smallest cases.
* :mod:`.numeric` — float64 / 100-digit gradients of the full model against the reduced flow
  as the downstream code implements it (numerics.reduced_flow), Eq. 6's ``reduced_rhs`` against
  the full model's logit velocity, hypothesis over (K, L, n, d).
* :mod:`.trajectory` — the full gradient flow integrated, against the reduced ODE.
"""

from __future__ import annotations

from ncdepth.registry import Check, Claim, Domain, Level, Part, Serves

from .general import conservation_general, eq6_general, layer_flow_general, logit_gradient_general
from .instances import exact_instances, exact_pair_rule, symbolic_derivation, symbolic_pair_rule
from .numeric import (
    eq6_against_full_model, eq6_pair_rule, float64_gradients, float_pair_rule, fuzz_pair_rule, large_margin_flow, fuzz_gradients, mp_gradients, mp_pair_rule,
)
from .trajectory import trajectory_invariants

_CONTROL = {"variant": "no_1_over_K"}
_CONTROL_TEXT = "ψ = H softmax(Hλ) (the 1/K of Eq. 6 dropped)"
_CONTROL_WHY = ("the paper writes ψ = H softmax(Hσ/(K√n)); with λ = σ/√n absorbed it is easy to drop the 1/K "
                "together with the √n (the 1/K of Zbar = (1/K) H diag(λ) H is the one that survives)")

PARTS = (
    Part("logit_gradient", "U^T (P - Y) V = √n diag(ψ - 1), ψ = H softmax(Hλ/K), λ = σ/√n (the diagonalised loss gradient of App. D.3)"),
    Part("layer_flow", "every factor's velocity keeps its Hadamard form (singular vectors fixed), with ṡ_{l,k} = √n (1 - ψ_k) Π_{i≠l} s_{i,k}"),
    Part("conservation", "s_{l+1,k}² - s_{l,k}² is conserved along the flow"),
    Part("eq6", "balanced factors: σ̇_k = (L+1)√n(1-ψ_k)σ_k^{2L/(L+1)}; in λ = σ/√n and τ = (L+1)n^{β/2}t, λ̇_k = (1-ψ_k(λ))λ_k^β, β = 2L/(L+1) (Eq. 6); mode 0 does not move"),
)

CLAIM = Claim(
    id="T4.2",
    title="Hadamard initialisation: gradient flow reduces to K-1 singular-value ODEs",
    statement=("For K = 2^m, d >= K and the Hadamard initialisation W_L = U S Q_L^T, W_l = Q_{l+1} S Q_l^T, H = Q_1 S V^T "
               "(U = H_K/√K, V = (H_K ⊗ 1_n^T)^T/√(Kn)), the singular vectors stay fixed, s_{l+1,k}² - s_{l,k}² is conserved, "
               "and with balanced factors the logit singular values obey σ̇_k = (L+1)√n(1-ψ_k)σ_k^{2L/(L+1)}, "
               "ψ = H softmax(Hσ/(K√n)); in λ = σ/√n and rescaled time, λ̇_k = (1-ψ_k(λ)) λ_k^β, β = 2L/(L+1) (Eq. 6)."),
    latex=r"\dot\lambda_k = \big(1-\psi_k(\lambda)\big)\lambda_k^{\frac{2L}{L+1}},\quad \psi = H\operatorname{softmax}(H\lambda/K)",
    reference="Theorem 4.2, Sec. 4.1 (Eq. 6); proof in App. D.3 (Eq. 37-42), using Lemmas D.4-D.6 (stated in App. D.7)",
    domain=Domain(K_min=2, K_power_of_two=True, L_min=1),
    depends_on=("L-D.4", "L-D.5", "L-D.6"),
    parts=PARTS,
    uncovered=("that the lifted solution of the reduced ODE is THE gradient-flow solution is the uniqueness theorem for "
               "ODEs with a locally Lipschitz (here real-analytic) right-hand side, cited, not checked "
               "(trajectory_invariants checks it numerically)",),
    checks=(
        # ---------------------------------------------------------------- for every K, L (symbolic)
        Check(
            name="logit_gradient_general_k", level=Level.SYMBOLIC, fn=logit_gradient_general,
            description=("for symbolic K = 2^m and n, in the word calculus of numerics.hadamard_symbolic: Z = U diag(σ) V^T "
                         "normalises to (1/K) H diag(σ/√n) H R; L-D.4 (proved for every m in the group algebra of F_2^m, "
                         "re-run here) gives P; U^T (P - R) V normalises to √n diag(ψ - 1) using only H H = K I and "
                         "H^T = H (induction on the doubling) and R R^T = n I"),
            precision="exact (sympy), no K or n instantiated",
            statement={"variant": "claim"}, control=_CONTROL, control_description=_CONTROL_TEXT, control_why=_CONTROL_WHY,
            covers=("logit_gradient",), for_all="all K = 2^m and n >= 1",
            method="induction on the Sylvester doubling + word calculus",
            serves=Serves(what="symbolic, parameters kept as symbols (a requested K, L changes nothing)"),
        ),
        Check(
            name="layer_flow_general_l", level=Level.SYMBOLIC, fn=layer_flow_general,
            description=("symbolic K, n, layer index j and depth L: the partial products A_{>j} = U diag(Π_{i>j}s_i) E^T Q_{j+1}^T and "
                         "B_{<j} = Q_j E diag(Π_{i<j}s_i) V^T by induction on j (base and step), then -A_{>j}^T (P - Y) B_{<j}^T equals "
                         "Q_{j+1} E diag(√n(1-ψ)Π_{i≠j}s_i) E^T Q_j^T for a middle factor and the analogous form at both ends "
                         "(products telescoped through prefix products)"),
            precision="exact (sympy), no K, n, d, L instantiated",
            statement={"variant": "claim"}, control={"variant": "one_over_root_n"},
            control_description="ṡ_{l,k} = (1-ψ_k) Π_{i≠l} s_{i,k} / √n (√n in the denominator)",
            control_why=("λ = σ/√n divides by √n; carrying that division into the per-layer flow instead of the √n that "
                         "V's normalisation 1/√(Kn) and the n repeated columns leave behind is an easy slip, invisible at n = 1"),
            covers=("layer_flow",), for_all="all K = 2^m, n >= 1, d >= K, L >= 1",
            method="induction on the layer index + word calculus",
            serves=Serves(what="symbolic, parameters kept as symbols (a requested K, L changes nothing)"),
        ),
        Check(
            name="conservation_law_general_l", level=Level.SYMBOLIC, fn=conservation_general,
            description="from the per-layer flow, d/dt (s_{j+1,k}² - s_{j,k}²) = 2√n(1-ψ_k)(s_{j+1}Π_{i≠j+1}s_i - s_jΠ_{i≠j}s_i) cancels to 0 for symbolic j and L (telescoped products)",
            precision="exact (sympy)",
            statement={"conserved": "squares"}, control={"conserved": "differences"},
            control_description="s_{l+1,k} - s_{l,k} (not squared) claimed conserved",
            control_why="for linear networks the balancedness invariant is W_{l+1}^T W_{l+1} - W_l W_l^T, quadratic; "
                        "reading 'balanced' as equal increments (s_{l+1} - s_l fixed) is a common misreading",
            covers=("conservation",), for_all="all L >= 1 (and every K, n, given the per-layer flow)",
            method="symbolic differentiation, telescoped products",
            serves=Serves(what="symbolic, parameters kept as symbols (a requested K, L changes nothing)"),
        ),
        Check(
            name="eq6_balanced_general_l", level=Level.SYMBOLIC, fn=eq6_general,
            description="for symbolic L and n: the per-layer flow with equal factors gives σ̇ = (L+1)√n(1-ψ)σ^{2L/(L+1)}, and λ = σ/√n in time τ = (L+1)n^{β/2}t obeys λ̇ = (1-ψ)λ^β; mode 0 has 1-ψ_0 = 0 (row 0 of H all ones, by induction)",
            precision="exact (sympy)",
            statement={"depth_offset": 0}, control={"depth_offset": 1},
            control_description="Eq. 6 at depth L+1 (β = 2(L+1)/(L+2), counting the L+1 factors instead of the L weight matrices)",
            control_why="the model has L+1 factors (H and W_1..W_L); using L+1 as 'the depth' in β is an off-by-one that the notation invites",
            covers=("eq6",), for_all="all L >= 1 and n >= 1",
            method="symbolic differentiation",
            serves=Serves(what="symbolic, parameters kept as symbols (a requested K, L changes nothing)"),
        ),
        # ---------------------------------------------------------------- concrete instances, full model, exact
        Check(
            name="full_model_exact_instances", level=Level.SYMBOLIC, fn=exact_instances,
            description=("the full model with actual matrices in exact arithmetic, no step of the reduction used: rational "
                         "singular values, exact rational orthogonal Q's (Cayley), logits as the product of the factors, the "
                         "column softmax with exp(Z) = t^{DZ} (t = e^{1/D} transcendental, so equality in Q(t) is equality at "
                         "the real point), the chain-rule gradient of every factor against the reduced flow in that factor's "
                         "form; n = 1, d = K and n = 4, d = K+1 at each (K, L)"),
            precision="exact (rationals, Q(t)); python-flint",
            statement={"variant": "claim"}, control=_CONTROL, control_description=_CONTROL_TEXT, control_why=_CONTROL_WHY,
            K=(2, 4, 8), L=(1, 2, 3), thorough_K=(2, 4, 8, 16), thorough_L=(1, 2, 3, 4, 6),
            serves=Serves(pair=exact_pair_rule, pair_text="K <= 16, L <= 8 (K <= 32, L <= 12 with --profile thorough)",
                          cost="K³ (L+1) x the number of distinct logits", what="exact full-model instances"),
            covers=("logit_gradient", "layer_flow"), method="exact arithmetic, full model",
        ),
        Check(
            name="full_model_symbolic_singular_values", level=Level.SYMBOLIC, fn=symbolic_derivation,
            description="sympy, exact: the full model with SYMBOLIC per-layer singular values s_{l,k} and exact rational orthogonal Q's; every factor's -∂ℒ/∂F in its Hadamard bases equals diag(√n(1-ψ)Π_{i≠l}s_i) entry by entry (off-diagonals 0), as rational functions of the s_{l,k} and their exponentials",
            precision="exact (sympy)",
            statement={"variant": "claim"}, control=_CONTROL, control_description=_CONTROL_TEXT, control_why=_CONTROL_WHY,
            K=(2, 4), L=(1, 2), thorough_K=(2, 4), thorough_L=(1, 2, 3, 4),
            serves=Serves(pair=symbolic_pair_rule, pair_text="K²L <= 16 (<= 32 with --profile thorough)",
                          cost="K² L sympy exponential terms", what="symbolic derivation"),
            covers=("logit_gradient", "layer_flow"), method="symbolic singular values, full model",
        ),
        # ---------------------------------------------------------------- numerics of the code downstream checks use
        Check(
            name="full_gradient_float64", level=Level.NUMERIC, fn=float64_gradients,
            description="the full model's exact gradient (chain rule, numerics.deep_ufm) at random Hadamard initialisations (random orthogonal Q's; balanced and unbalanced; n = 1, 2, 3; d = K .. K+3; σ in [0.3, 4] at every depth) against the reduced per-layer flow (numerics.reduced_flow.layer_rhs), and U^T Ż V against diag((L+1)√n(1-ψ)σ^β)",
            precision="float64, relative error <= 1e-12",
            statement={"variant": "claim"}, control=_CONTROL, control_description=_CONTROL_TEXT, control_why=_CONTROL_WHY,
            K=(2, 4, 8, 16, 32), L=(1, 2, 3, 5), thorough_K=(2, 4, 8, 16, 32, 64, 128), thorough_L=(1, 2, 3, 4, 6, 8, 50, 64),
            serves=Serves(L_max=64, pair=float_pair_rule, pair_text="(L+1) K³ <= 1e8 (<= 1e9 with --profile thorough)",
                          cost="(L+1) K³ flops; beyond L = 64 float64 rounding in the chains of unbalanced factors "
                               "grows past the tolerance (1e-11 at L = 200), so larger L is left to the symbolic checks",
                          what="dense float64 gradients"),
            covers=("layer_flow", "eq6"), method="float64",
        ),
        Check(
            name="full_gradient_100_digits", level=Level.NUMERIC, fn=mp_gradients,
            description="the same comparison in 100-digit mpmath (object arrays through the same code), unbalanced starts, n = 2, d = K+1",
            precision="mpmath 100 digits, relative error <= 1e-30",
            statement={"variant": "claim"}, control=_CONTROL, control_description=_CONTROL_TEXT, control_why=_CONTROL_WHY,
            K=(2, 4, 8), L=(1, 2, 3),
            serves=Serves(L_max=1000, pair=mp_pair_rule, pair_text="(L+1) K³ <= 2e4 (<= 2e5 with --profile thorough)",
                          cost="(L+1) K³ 100-digit operations", what="100-digit gradients"),
            covers=("layer_flow",), method="mpmath 100 digits",
        ),
        Check(
            name="large_margin_float_flow", level=Level.NUMERIC, fn=large_margin_flow,
            description=("at margins 20..200 (1 - ψ_k down to e^-200): the float64 per-layer flow of numerics.reduced_flow "
                         "(the core form of 1 - ψ that T4.3/T4.4/E-ODE rely on at large margins) against the full model's "
                         "gradient at a precision set from the largest margin (digits = margin/ln 10 + 40), every mode of "
                         "every factor relative to its own size"),
            precision="float64 vs mpmath (>= 40 guard digits), relative error per mode <= 1e-12",
            statement={"variant": "claim"}, control=_CONTROL, control_description=_CONTROL_TEXT, control_why=_CONTROL_WHY,
            K=(2, 4, 8), L=(1, 2, 3),
            serves=Serves(L_max=64, pair=mp_pair_rule, pair_text="(L+1) K³ <= 2e4 (<= 2e5 with --profile thorough)",
                          cost="(L+1) K³ high-precision operations", what="large-margin flow"),
            covers=("layer_flow",), method="float64 vs high-precision full model",
        ),
        Check(
            name="eq6_reduced_rhs_vs_full_model", level=Level.NUMERIC, fn=eq6_against_full_model,
            description="Eq. 6 exactly as the downstream checks use it (numerics.reduced_rhs, exponent β = 2L/(L+1), time rescaled by (L+1)n^{β/2}) against the diagonal of U^T Ż V of the full model at balanced Hadamard starts (n = 1, 3)",
            precision="float64, relative error <= 1e-12",
            statement={"depth_offset": 0}, control={"depth_offset": 1},
            control_description="Eq. 6 at depth L+1 (β = 2(L+1)/(L+2): counting factors instead of weight matrices)",
            control_why="the model has L+1 factors (H and W_1..W_L); using L+1 as 'the depth' in β is an off-by-one that the notation invites",
            K=(2, 4, 8, 16, 64), L=(1, 2, 3, 6),
            serves=Serves(L_max=64, pair=eq6_pair_rule, pair_text="(L+1) K³ <= 2e8 (<= 2e9 with --profile thorough)",
                          cost="(L+1) K³ flops (float64 rounding limits L as for full_gradient_float64)",
                          what="dense float64 logit velocity"),
            covers=("eq6",), method="float64",
        ),
        Check(
            name="trajectory_invariants", level=Level.NUMERIC, fn=trajectory_invariants,
            description="integrate the FULL gradient flow (every factor entry) from an unbalanced Hadamard start: off-diagonal mass in the initial bases stays ~0 (singular vectors fixed), s_{l+1,k}² - s_{l,k}² stays constant, and the diagonal tracks the independently integrated reduced ODE",
            precision="DOP853 rtol 1e-11 atol 1e-13 to t = 4; drifts <= 1e-8 relative",
            statement={"conserved": "squares"}, control={"conserved": "differences"},
            control_description="s_{l+1,k} - s_{l,k} (not squared) claimed conserved",
            control_why="for linear networks the balancedness invariant is quadratic; reading 'balanced' as equal increments is a common misreading",
            K=(4,), L=(1, 2), thorough_K=(4, 8), thorough_L=(1, 2, 3),
            serves=Serves(K_max=16, L_max=4, K_max_thorough=32, L_max_thorough=6,
                          cost="the number of factor entries (d² L) x stiff steps", what="full gradient-flow integration"),
            covers=("layer_flow", "conservation"), method="ODE integration of the full model",
        ),
        Check(
            name="random_configurations", level=Level.FUZZ, fn=fuzz_gradients,
            description="hypothesis draws K, L from the grids, n <= 3, extra width <= 3, balanced or not, and an init seed; full gradient vs reduced flow",
            precision="float64, relative error <= 1e-11",
            statement={"variant": "claim"}, control=_CONTROL, control_description=_CONTROL_TEXT, control_why=_CONTROL_WHY,
            K=(2, 4, 8, 16, 32, 64), L=(1, 2, 3, 4, 5, 6),
            serves=Serves(K_max=128, L_max=64, pair=fuzz_pair_rule, pair_text="(L+1) K³ <= 4e6", cost="(L+1) K³ flops per example",
                          what="fuzzed float64 gradients"),
            covers=("layer_flow",), method="hypothesis",
        ),
    ),
)
