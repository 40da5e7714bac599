"""L-D.9 (App. D.4, used in the proof of Thm 4.3 (ii)): ψ to first order around the cross-polytope.

Statement (derived here; the paper's formula did not survive).  K = 2^m >= 4,
``v_k = 1`` for odd k and 0 for even k (k = 1..K-1), ``λ = a v + ε``.  For every λ,

    ∂ψ_k / ∂λ_j = (ψ_{k⊕j} - ψ_k ψ_j) / K            (ψ_0 = 1),                     (*)

because ``ψ = H g``, ``g = softmax(H λ / K)``, ``∂g/∂f = diag(g) - g g^T`` and
``Σ_i H[k,i] H[i,j] g_i = Σ_i H[k⊕j, i] g_i = ψ_{k⊕j}`` (L-D.5).  At ``λ = a v``,
ψ takes two values off mode 0 (L-D.8 with b = 0):

    p = ψ_odd  = 1 - 2 (e^{-a} + (K/2-1) e^{-a/2}) / D,   q = ψ_even = 1 - K e^{-a/2} / D,
    D = 1 + e^{-a} + (K-2) e^{-a/2},

and ``k ⊕ j`` is odd iff exactly one of k, j is odd, so with ``S_odd = Σ_{j odd} ε_j``,
``S_even = Σ_{j even} ε_j``, to first order in ε:

    k odd :  ψ_k = p + [ (1 - q) ε_k + (q - p²) S_odd + p (1 - q) S_even ] / K,
    k even:  ψ_k = q + [ (1 - q) ε_k + p (1 - q) S_odd + (q - q²) S_even ] / K.

(The diagonal terms: ``(1 - p²) - (q - p²) = 1 - q`` and ``(1 - q²) - (q - q²) = 1 - q``.)
Checks: sympy differentiates ψ built from the Sylvester matrix (symbolic λ for
K = 4, symbolic a for K = 4, 8) against (*) and the parity form; mpmath central
differences at 60 digits; a fuzz check against the chain-rule JVP of
:mod:`numerics.reduced_jacobian` (an independent route: it never uses (*)).
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from ncdepth.fuzzing import powers_of_two, search, st
from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome
from numerics.hadamard import fwht_mp, sylvester
from numerics.reduced_jacobian import psi_jvp


# --------------------------------------------------------------------------- the statement
def cp_psi_values(K, a, exp):
    """(p, q) = (ψ_odd, ψ_even) at λ = a v (L-D.8 with b = 0)."""
    D = 1 + exp(-a) + (K - 2) * exp(-a / 2)
    return 1 - 2 * (exp(-a) + (K / 2 - 1) * exp(-a / 2)) / D, 1 - K * exp(-a / 2) / D


def first_order_term(K: int, a, eps, variant: str, exp=np.exp):
    """The derived first-order term of ψ_k (k = 1..K-1) at λ = a v + ε (parity form).

    ``variant="xor_minus_product"`` is the claim; ``"xor_only"`` drops the
    ``-ψ_k ψ_j`` term (forgetting the softmax normalisation), a wrong variant.
    """
    p, q = cp_psi_values(K, a, exp)
    odd = [(j % 2 == 1) for j in range(1, K)]
    S_odd = sum(e for e, o in zip(eps, odd) if o)
    S_even = sum(e for e, o in zip(eps, odd) if not o)
    out = []
    for e, o in zip(eps, odd):
        if variant == "xor_minus_product":
            t = (1 - q) * e + ((q - p * p) * S_odd + p * (1 - q) * S_even if o else p * (1 - q) * S_odd + (q - q * q) * S_even)
        elif variant == "xor_only":
            t = (1 - q) * e + (q * S_odd + p * S_even if o else p * S_odd + q * S_even)
        else:
            raise ValueError(f"unknown variant {variant!r}")
        out.append(t / K)
    return out


# --------------------------------------------------------------------------- checks
def _psi_symbolic(lam: list) -> list:
    K = len(lam) + 1
    H = sylvester(K)
    lt = [sp.Integer(0)] + list(lam)
    f = [sum(int(H[i, j]) * lt[j] for j in range(K)) / K for i in range(K)]
    e = [sp.exp(x) for x in f]
    Z = sum(e)
    return [sum(int(H[k, i]) * e[i] for i in range(K)) / Z for k in range(K)]


def symbolic_derivative(ctx: Context, variant: str) -> Outcome:
    """sympy: (*) at a fully symbolic λ (K = 4), and the parity form at λ = a v (symbolic a) for the K grid."""
    ev: dict = {}
    # (*) with symbolic λ for K = 4
    # every exponent is a multiple of λ_j/4: with λ_j = 4 log y_j the residuals are rational in y (exact cancel)
    l1, l2, l3 = sp.symbols("lambda1:4", positive=True)
    ys = sp.symbols("y1:4", positive=True)
    to_y = {l: 4 * sp.log(y) for l, y in zip((l1, l2, l3), ys)}
    psi = _psi_symbolic([l1, l2, l3])
    lam = [l1, l2, l3]
    for k in range(1, 4):
        for j in range(1, 4):
            lhs = sp.diff(psi[k], lam[j - 1])
            rhs = (psi[k ^ j] - psi[k] * psi[j]) / 4 if variant == "xor_minus_product" else psi[k ^ j] / 4
            r = sp.cancel((lhs - rhs).subs(to_y))
            if r != 0:
                return Outcome(False, ev, counterexample={"K": 4, "k": k, "j": j, "residual": str(r)})
    ev["identity_K4_symbolic_lambda"] = "residual 0 for all k, j"
    x = sp.symbols("x", positive=True)
    for K in ctx.K:
        a = 2 * K * sp.log(x)  # every exponent is a multiple of a/(2K): with this a all terms are rational in x
        eps = sp.symbols(f"e1:{K}")
        psi = _psi_symbolic([a * (k % 2) + eps[k - 1] for k in range(1, K)])
        claimed = first_order_term(sp.Integer(K), a, list(eps), variant, exp=sp.exp)
        at0 = {e: 0 for e in eps}
        for k in range(1, K):
            for j in range(1, K):
                lhs = sp.diff(psi[k], eps[j - 1]).subs(at0)
                rhs = sp.diff(claimed[k - 1], eps[j - 1])
                r = sp.cancel(lhs - rhs)
                if r != 0:
                    return Outcome(False, ev, counterexample={"K": K, "k": k, "j": j, "residual": str(r),
                                                              "substitution": f"a = {2 * K} log x"})
        ev[f"K={K}"] = "parity form matches dψ_k/dε_j at ε = 0 for all k, j"
    return Outcome(True, ev)


def _psi_mp(lam: list) -> list:
    K = len(lam) + 1
    f = [x / K for x in fwht_mp([mpmath.mpf(0)] + list(lam))]
    m = max(f)
    e = [mpmath.exp(x - m) for x in f]
    Z = mpmath.fsum(e)
    return fwht_mp([x / Z for x in e])


def finite_differences_mp(ctx: Context, variant: str) -> Outcome:
    """mpmath, 60 digits: central differences (h = 1e-20) of ψ along random ε vs the first-order term."""
    rng = ctx.rng(9)
    worst = mpmath.mpf(0)
    ev: dict = {}
    with mpmath.workdps(60):
        h = mpmath.mpf(10) ** -20
        for K in ctx.K:
            for _ in range(2):
                a = mpmath.mpf(str(rng.uniform(0.1, 30.0)))
                eps = [mpmath.mpf(str(x)) for x in rng.standard_normal(K - 1)]
                base = [a * (k % 2) for k in range(1, K)]
                plus = _psi_mp([x + h * e for x, e in zip(base, eps)])
                minus = _psi_mp([x - h * e for x, e in zip(base, eps)])
                fd = [(plus[k] - minus[k]) / (2 * h) for k in range(1, K)]
                lin = first_order_term(K, a, eps, variant, exp=mpmath.exp)
                scale = max(abs(x) for x in fd)
                err = max(abs(x - y) for x, y in zip(fd, lin)) / scale
                worst = max(worst, err)
                if err > mpmath.mpf(10) ** -30:
                    return Outcome(False, {"max_rel_error": mpmath.nstr(worst, 5)},
                                   counterexample={"K": K, "a": str(a), "rel_error": mpmath.nstr(err, 5),
                                                   "eps_seed": ctx.seed})
    ev["max_rel_error"] = mpmath.nstr(worst, 5)
    ev["step_h"] = "1e-20"
    return Outcome(True, ev)


def fuzz_against_chain_rule(ctx: Context, variant: str) -> Outcome:
    """hypothesis over K (from ctx.K), a and ε: parity form (float64) vs the chain-rule JVP ``psi_jvp``."""
    strategy = st.tuples(st.sampled_from(sorted(ctx.K)), st.floats(0.05, 30.0), st.integers(0, 2**31 - 1))

    def prop(x):
        K, a, s = x
        eps = np.random.default_rng(s).standard_normal(K - 1)
        lam = a * (np.arange(1, K) % 2)
        jvp = psi_jvp(lam, eps)
        lin = np.array(first_order_term(K, a, eps, variant))
        err = float(np.max(np.abs(jvp - lin)) / np.max(np.abs(jvp)))
        return err < 1e-9, {"rel_error": err}

    r = search(strategy, prop, examples=ctx.examples, seed=ctx.seed)
    ev = {"examples_run": r.examples_run, "K_drawn_from": sorted(ctx.K)}
    if r.holds:
        return Outcome(True, ev)
    K, a, s = r.counterexample
    return Outcome(False, ev, counterexample={"K": K, "a": a, "eps": f"np.random.default_rng({s}).standard_normal({K - 1})",
                                              **r.detail})


CLAIM = Claim(
    id="L-D.9",
    title="First-order expansion of ψ around the cross-polytope direction",
    statement=("K = 2^m >= 4, v = 1 on odd modes and 0 on even modes, λ = a v + ε. To first order, "
               "ψ_k = ψ_k(av) + (1/K) Σ_j (ψ_{k⊕j} - ψ_k ψ_j) ε_j with ψ_0 = 1, ψ_odd(av) = p, ψ_even(av) = q (L-D.8 at b = 0); "
               "explicitly k odd: p + [(1-q)ε_k + (q-p²)S_odd + p(1-q)S_even]/K, k even: q + [(1-q)ε_k + p(1-q)S_odd + (q-q²)S_even]/K."),
    latex=(r"\psi_k(a v + \varepsilon) = \psi_k(a v) + \tfrac1K \sum_j (\psi_{k\oplus j} - \psi_k\psi_j)\,\varepsilon_j + O(\|\varepsilon\|^2)"),
    reference="Lemma D.9, App. D.4 (proof of Thm 4.3 (ii), Eqs. 46-48)",
    domain=Domain(uses_L=False, K_min=4, K_power_of_two=True),
    checks=(
        Check(
            name="symbolic_derivative", level=Level.SYMBOLIC, fn=symbolic_derivative,
            description=("sympy: ∂ψ_k/∂λ_j = (ψ_{k⊕j} - ψ_kψ_j)/K at a fully symbolic λ (K = 4), and the parity form "
                         "against dψ/dε at ε = 0 with symbolic a for each K of the grid"),
            precision="exact (sympy)",
            statement={"variant": "xor_minus_product"},
            control={"variant": "xor_only"},
            control_description="drop the -ψ_k ψ_j term (forget the softmax normalisation's derivative)",
            K=(4,), thorough_K=(4, 8),
        ),
        Check(
            name="finite_differences_mp60", level=Level.NUMERIC, fn=finite_differences_mp,
            description="mpmath at 60 digits: central differences with h = 1e-20 along random ε at random a vs the first-order term",
            precision="mpmath 60 digits, h = 1e-20, rel 1e-30",
            statement={"variant": "xor_minus_product"},
            control={"variant": "xor_only"},
            control_description="drop the -ψ_k ψ_j term",
            K=(4, 8, 16, 64, 256), thorough_K=(4, 8, 16, 64, 256, 1024),
        ),
        Check(
            name="fuzz_against_chain_rule", level=Level.FUZZ, fn=fuzz_against_chain_rule,
            description=("hypothesis over K, a in [0.05, 30] and ε: the parity form vs the chain-rule Jacobian-vector "
                         "product of ψ (fast transform, numerics.reduced_jacobian.psi_jvp)"),
            precision="float64, rel 1e-9",
            statement={"variant": "xor_minus_product"},
            control={"variant": "xor_only"},
            control_description="drop the -ψ_k ψ_j term",
            K=(4, 8, 16, 64, 256, 1024, 4096), thorough_K=tuple(2**m for m in range(2, 17)),
        ),
    ),
    depends_on=("L-D.8", "L-D.5", "T4.2"),
    notes="Uses L-D.5 (h_k ⊙ h_j = h_{k⊕j}) and the reduced flow of T4.2.",
)
