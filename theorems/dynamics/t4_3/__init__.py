"""T4.3 (Sec. 4.2, App. D.4): stability of DNC and of the cross-polytope; KL to DNC.

Setting.  K = 2^m >= 4, the reduced flow (Eq. 6) ``λ̇_k = (1 - ψ_k) λ_k^β``,
β = 2L/(L+1), k = 1..K-1.

What "linearly stable" means here (the *normalised* flow).  A direction
``u = λ/||λ||`` is what the theorem is about; ``u̇ = P_u F(λ)/||λ||``.  On a ray
where ``F(λ) ∥ λ`` (DNC: λ ≡ a; the cross-polytope: λ = a v) the linearisation in
a tangent direction w ⊥ u at the current radius is

    G w = P_u J w - (<u, F>/||λ||) w,

J the Jacobian of F: a perturbation shrinks *relative to the radius* iff the
eigenvalue of G is negative.  The radius only grows, so "stable above a
threshold in a" means: every tangent eigenvalue is negative for all larger a.

(i) DNC.  By (*) of L-D.9, at λ ≡ a (every ψ_k = ψ*, ψ_0 = 1)
``J = (1-ψ*) a^{β-1} [(β - a/K) I - (aψ*/K) 1 1^T]``, so G is a multiple of the
identity on 1^⊥ with eigenvalue ``μ = (1-ψ*) a^{β-1} (β - 1 - a/K)``, and
equivalently ``d/dt log(λ_k/λ_j) = (ε_k - ε_j)(1-ψ*) a^{β-2} (K(L-1)/(L+1) - a)/K``
to first order: DNC is stable iff ``a > K(L-1)/(L+1)``; for L = 1 at every a > 0.
(ii) Cross-polytope, λ = a v (v = 1 on odd modes).  With p = ψ_odd, q = ψ_even
(L-D.8/L-D.9): odd-mode perturbations (Σ ε_odd = 0) have
``μ_odd = a^{β-1}[(β-1)(1-p) - a(1-q)/K]`` which vanishes iff
``a = ((L-1)/(L+1))(K - 2 + 2e^{-a/2})`` (root a_cp); even modes have
``μ_even = -(1-p) a^{β-1} < 0`` for L >= 2 (the λ^β factor kills their linear
growth) and ``(1-q) - (1-p) = 2(e^{-a/2} - e^{-a})/D > 0`` for L = 1.
``K(L-1)/(L+1) >= a_cp`` since ``K - 2 + 2e^{-a/2} < K``.
(iii) KL.  L = 1: ``dKL/dt <= 0`` at every positive λ (a Lyapunov function).
L >= 2, alternating (a, b): ``d log(a/b)/dt`` has the sign of
``(a/b)^{(L-1)/(L+1)} (K - 2 + 2e^{-(a-b)/2}) - K`` (exact), which holds whenever
``a/b > (K/(K-2))^{(L+1)/(L-1)}`` (sufficient, and then for ever); KL of an
alternating vector is increasing in a/b for a/b > 1, so KL rises monotonically to ∞.

Every threshold is computed two ways: from its formula, and as the sign change of
the tangent Jacobian of the raw flow found by root-finding (mpmath 50 digits via
chain-rule JVPs; float64 Lanczos/Arnoldi via scaled JVPs up to K = 2^12, 2^16
thorough); signs just below/above are certified in arb.
"""


from __future__ import annotations

from ncdepth.registry import Check, Claim, Domain, Level

from .cross_polytope import cp_linearisation, cp_signs_arnoldi, cp_signs_certified, cp_threshold_mp50
from .dnc import dnc_linearisation, dnc_signs_certified, dnc_threshold_lanczos, dnc_threshold_mp50
from .kl import (kl_alternating_trajectories, kl_l1_trajectories, kl_lyapunov_l1, kl_non_monotone, kl_ratio_conditions,
                 kl_ratio_fuzz)

# --------------------------------------------------------------------------- the claim
_KL_SMALL = (4, 8, 16, 64)
CLAIM = Claim(
    id="T4.3",
    title="Stability of DNC and the cross-polytope under depth; the KL divergence to DNC",
    statement=("β = 2L/(L+1), reduced flow (Eq. 6). (i) Along λ ≡ a, the DNC direction is linearly stable (normalised flow) iff "
               "a > K(L-1)/(L+1), unstable below; L = 1: stable at every scale. (ii) L >= 2: at λ = a v (v = 1 on odd modes) even "
               "modes shrink relative to odd ones (grow for L = 1) and odd-mode perturbations decay iff a > a_cp(K, L), the root of "
               "a = ((L-1)/(L+1))(K - 2 + 2e^{-a/2}); a >= K(L-1)/(L+1) suffices. (iii) L = 1: KL(λ) to DNC decreases along every "
               "positive trajectory. L >= 2: from alternating starts with a/b > (K/(K-2))^{(L+1)/(L-1)}, a/b and KL increase for ever "
               "and λ/||λ|| -> v/||v||; exact condition for d(a/b)/dt > 0: (a/b)^{(L-1)/(L+1)}(K - 2 + 2e^{-(a-b)/2}) > K."),
    latex=(r"a_{\rm DNC} = \frac{K(L-1)}{L+1},\quad a_{\rm cp} = \frac{L-1}{L+1}\left(K-2+2e^{-a_{\rm cp}/2}\right),\quad "
           r"\frac{a}{b} > \Big(\frac{K}{K-2}\Big)^{\frac{L+1}{L-1}}"),
    reference="Theorem 4.3, Sec. 4.2; proof App. D.4 (Eqs. 43-52)",
    domain=Domain(K_min=4, K_power_of_two=True),
    checks=(
        Check(
            name="dnc_linearisation", level=Level.SYMBOLIC, fn=dnc_linearisation,
            description=("sympy, symbolic K, L, a, ψ*: d/dt log(λ_k/λ_j) linearised at λ ≡ a with ∂ψ_k/∂λ_j = (ψ_{k⊕j} - ψ_kψ_j)/K "
                         "(L-D.9) depends only on ε_k - ε_j, with coefficient (1-ψ*) a^{β-2}/K · (K(L-1)/(L+1) - a); its root in a "
                         "is compared with the threshold; for L = 1 it is -a"),
            precision="exact (sympy)",
            statement={"threshold": "K(L-1)/(L+1)"}, control={"threshold": "KL/(L+1)"},
            control_description="DNC threshold K L/(L+1)",
            K=(4,), L=(1,),
        ),
        Check(
            name="dnc_threshold_mp50", level=Level.NUMERIC, fn=dnc_threshold_mp50,
            description=("mpmath 50 digits: Rayleigh quotient of the tangent Jacobian of the raw flow (chain-rule JVPs) at λ ≡ a, "
                         "w = e_1 - e_2; its sign change is bracketed on a geometric grid of a (without the formula) and root-found, "
                         "then compared with the formula; a random tangent vector is checked to be an eigenvector too"),
            precision="mpmath 50 digits; |root - formula| <= 1e-40; eigen-residual <= 1e-40",
            statement={"threshold": "K(L-1)/(L+1)"}, control={"threshold": "K(L-1)/L"},
            control_description="DNC threshold K(L-1)/L",
            K=(4, 8, 16, 32), L=(1, 2, 3, 5, 10), thorough_K=(4, 8, 16, 32, 64, 128), thorough_L=(1, 2, 3, 4, 5, 8, 10, 20),
        ),
        Check(
            name="dnc_threshold_lanczos", level=Level.NUMERIC, fn=dnc_threshold_lanczos,
            description=("float64 at large K: largest tangent eigenvalue by Lanczos (full reorthogonalisation) driven only by scaled "
                         "Jacobian-vector products (fast transform), bracketed by quadrupling a and root-found by brentq; the Krylov space "
                         "of a random tangent vector closes after one step (G = μ I on the tangent space)"),
            precision="float64 scaled JVPs, Lanczos breakdown 1e-10, brentq xtol 1e-12 rel; |root - formula| <= 1e-6 rel (float64 cancellation near the crossing reaches ~1e-8 at K = 64, L = 10)",
            statement={"threshold": "K(L-1)/(L+1)"}, control={"threshold": "KL/(L+1)"},
            control_description="DNC threshold K L/(L+1)",
            K=(4, 64, 4096), L=(1, 3), thorough_K=(4, 64, 1024, 4096, 16384, 65536), thorough_L=(1, 2, 3, 5, 10, 64),
        ),
        Check(
            name="dnc_signs_certified", level=Level.CERTIFIED, fn=dnc_signs_certified,
            description=("arb ball arithmetic (128 bits): the tangent Rayleigh quotient of the raw flow at λ ≡ a is certainly > 0 at "
                         "a = t(1 - 10^-6) and certainly < 0 at a = t(1 + 10^-6); L = 1: certainly < 0 at a in {1/100, 1, 10, K, 10K}"),
            precision="arb, 128-bit balls; only True comparisons count",
            statement={"threshold": "K(L-1)/(L+1)"}, control={"threshold": "KL/(L+1)"},
            control_description="DNC threshold K L/(L+1)",
            K=(4, 16, 64, 256), L=(1, 2, 3, 5, 10), thorough_K=(4, 16, 64, 256, 1024, 4096), thorough_L=(1, 2, 3, 4, 5, 8, 10, 20, 64),
        ),
        Check(
            name="cp_linearisation", level=Level.SYMBOLIC, fn=cp_linearisation,
            description=("sympy: odd-mode tangent eigenvalue at a v from L-D.8/L-D.9, μ_odd = a^{β-1}[(β-1)(1-p) - a(1-q)/K]; its zero is "
                         "a = (β-1)K(1-p)/(1-q), simplified and compared with the claimed equation; the sufficiency gap, uniqueness "
                         "of the root and the L = 1 even-mode growth are proved symbolically"),
            precision="exact (sympy)",
            statement={"equation": "claimed"}, control={"equation": "exp_minus_a"},
            control_description="a = ((L-1)/(L+1))(K - 2 + 2e^{-a}) (wrong exponent in the correction)",
            K=(4,), L=(2,),
        ),
        Check(
            name="cp_threshold_mp50", level=Level.NUMERIC, fn=cp_threshold_mp50,
            description=("mpmath 50 digits: a_cp from its equation (findroot) vs the sign change of the odd-mode tangent Rayleigh "
                         "quotient (w = e_1 - e_3) of the raw flow at a v; even-mode (w = e_2) signs at a in {0.1, 1, 10, K}; "
                         "K(L-1)/(L+1) certified sufficient (negative there)"),
            precision="mpmath 50 digits; |root - a_cp| <= 1e-40",
            statement={"equation": "claimed"}, control={"equation": "sufficient_as_exact"},
            control_description="claim that the sufficient bound K(L-1)/(L+1) is the exact threshold",
            K=(4, 8, 16, 32), L=(1, 2, 3, 5, 10), thorough_K=(4, 8, 16, 32, 64, 128), thorough_L=(1, 2, 3, 4, 5, 8, 10, 20),
        ),
        Check(
            name="cp_signs_certified", level=Level.CERTIFIED, fn=cp_signs_certified,
            description=("arb ball arithmetic (128 bits) at λ = a v: the odd-mode tangent Rayleigh quotient (w = e_1 - e_3) of the raw "
                         "flow is certainly > 0 at a_cp(1 - 1e-6), certainly < 0 at a_cp(1 + 1e-6) and at K(L-1)/(L+1); the even-mode "
                         "one (w = e_2) certainly < 0"),
            precision="arb, 128-bit balls; a_cp from mpmath at 40 digits, rounded to 35",
            statement={"equation": "claimed"}, control={"equation": "sufficient_as_exact"},
            control_description="claim that the sufficient bound K(L-1)/(L+1) is the exact threshold",
            K=(4, 16, 64, 256), L=(2, 3, 5, 10), thorough_K=(4, 16, 64, 256, 1024, 4096), thorough_L=(2, 3, 4, 5, 8, 10, 20, 64),
        ),
        Check(
            name="cp_signs_arnoldi", level=Level.NUMERIC, fn=cp_signs_arnoldi,
            description=("float64 at large K: the largest real part over the whole tangent space at a v (ARPACK eigs on scaled JVPs) is "
                         "> 0 at a_cp(1 - 1e-6) and < 0 at a_cp(1 + 1e-6) and at K(L-1)/(L+1); for L = 1 it is > 0 (even modes grow)"),
            precision="float64 scaled JVPs, ARPACK tol 1e-12",
            statement={"equation": "claimed"}, control={"equation": "sufficient_as_exact"},
            control_description="claim that K(L-1)/(L+1) is the exact cross-polytope threshold",
            K=(16, 256, 4096), L=(1, 2, 5), thorough_K=(16, 256, 4096, 65536), thorough_L=(1, 2, 3, 10),
        ),
        Check(
            name="kl_ratio_conditions", level=Level.SYMBOLIC, fn=kl_ratio_conditions,
            description=("sympy: d log(a/b)/dt from L-D.8 equals a positive factor times (a/b)^{(L-1)/(L+1)}(K-2+2e^{-(a-b)/2}) - K; "
                         "at a/b = (K/(K-2))^e the sufficient condition is tight iff e = (L+1)/(L-1); KL(a/b) is increasing for a/b > 1"),
            precision="exact (sympy)",
            statement={"exponent": "(L+1)/(L-1)"}, control={"exponent": "(L-1)/(L+1)"},
            control_description="exponent flipped in the sufficient ratio condition: (K/(K-2))^{(L-1)/(L+1)}",
            K=(4,), L=(2,),
        ),
        Check(
            name="kl_alternating_orbits", level=Level.NUMERIC, fn=kl_alternating_trajectories,
            description=("full K-1 mode reduced flow (fast transform, orbit time) from a/b = (K/(K-2))^{(L+1)/(L-1)}(1 + 1e-3) at "
                         "b0 in {0.01, 1, K/2}: a/b, KL strictly increase and ||λ/||λ|| - v/||v|| || strictly decreases at every "
                         "output point; d log(a/b)/dt > 0 pointwise"),
            precision="DOP853 rtol 1e-11, atol 1e-14; strict monotonicity at 61 output points",
            statement={"exponent": "(L+1)/(L-1)"}, control={"exponent": "(L-1)/(L+1)"},
            control_description="start just above the exponent-flipped threshold (K/(K-2))^{(L-1)/(L+1)}",
            K=(4, 16, 256), L=(2, 3, 8), thorough_K=(4, 16, 256, 4096), thorough_L=(2, 3, 5, 8, 16),
        ),
        Check(
            name="kl_non_monotone", level=Level.NUMERIC, fn=kl_non_monotone,
            description=("search for orbits along which KL rises and then falls (alternating starts, a/b in {1.01, 1.001, 1.0001}, "
                         "b0 in {0.1, 1}, norm grown by e^8): found for every (K, L >= 2) of the grid, and reported"),
            precision="DOP853 rtol 1e-10; counted when KL rises > 1% above its start and then falls > 1% below its peak",
            statement={"depth": "L>=2"}, control={"depth": "L=1"},
            control_description="the same search at L = 1 (KL is a Lyapunov function there: no non-monotone orbit may be found)",
            K=(4, 16, 256), L=(2, 3), thorough_K=(4, 16, 64, 256), thorough_L=(2, 3, 5),
        ),
        Check(
            name="kl_l1_orbits", level=Level.NUMERIC, fn=kl_l1_trajectories,
            description="L = 1: orbits from random positive starts at scales 0.01, 1, 5, tight tolerances: KL non-increasing, dKL/dt <= 0 pointwise",
            precision="DOP853 rtol 1e-10 atol 1e-14; KL increments <= 1e-10; dKL/dt <= 1e-12 x mean log-rate",
            statement={"depth": 1}, control={"depth": 3},
            control_description="the same orbits at L = 3",
            K=(4, 16, 256), L=(1,), thorough_K=(4, 16, 256, 4096),
        ),
        Check(
            name="kl_lyapunov_fuzz", level=Level.FUZZ, fn=kl_lyapunov_l1,
            description="hypothesis over K, scale 10^[-3,3] and log-normal spread: dKL/dt <= 0 at random positive λ for L = 1 (full flow, scaled)",
            precision="float64 scaled rhs; dKL/dt <= 1e-12 x mean rate",
            statement={"depth": 1}, control={"depth": 2},
            control_description="claim KL is a Lyapunov function at L = 2",
            K=(4, 8, 16, 64, 256, 1024, 4096), L=(1,), thorough_K=tuple(2**m for m in range(2, 17)),
        ),
        Check(
            name="kl_ratio_fuzz", level=Level.FUZZ, fn=kl_ratio_fuzz,
            description=("hypothesis over K, L >= 2, scale b and a/b above the sufficient threshold: d(a/b)/dt > 0 in the full flow; "
                         "and at random a/b the exact condition predicts the sign of d(a/b)/dt"),
            precision="float64 scaled rhs; exact condition compared where |margin| > 1e-9 K",
            statement={"exponent": "(L+1)/(L-1)"}, control={"exponent": "(L-1)/(L+1)"},
            control_description="exponent flipped in the sufficient ratio condition",
            K=(4, 8, 16, 64, 256, 1024, 4096), L=(2, 3, 4, 8, 16, 64), thorough_K=tuple(2**m for m in range(2, 17)),
        ),
    ),
    depends_on=("L-D.8", "L-D.9", "T4.2"),
    notes=("'Linearly stable' is for the normalised flow: tangent Jacobian "
           "G = P_u J - (<u,F>/||λ||) I on u^⊥ at a ray where F ∥ λ (frozen radius); every threshold in CLAIMS.md Part 2 was "
           "rebuilt independently and agrees."),
)

