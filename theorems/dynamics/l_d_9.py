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

from ncdepth.fuzzing import search, st
from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Part, Serves
from numerics.hadamard import fwht_mp, sylvester
from numerics.reduced_jacobian import psi_jvp
from numerics.smt import z3_solver


# --------------------------------------------------------------------------- the statement
def cp_psi_values(K, a, exp):
    """(p, q) = (ψ_odd, ψ_even) at λ = a v (L-D.8 with b = 0)."""
    D = 1 + exp(-a) + (K - 2) * exp(-a / 2)
    return 1 - 2 * (exp(-a) + (K / 2 - 1) * exp(-a / 2)) / D, 1 - K * exp(-a / 2) / D


def parity_form(k_odd: bool, eps_k, S_odd, S_even, p, q, K, variant: str):
    """The first-order term of ψ_k at λ = a v + ε in the parity form, from ε_k, S_odd = Σ_{j odd} ε_j, S_even.

    ``variant="xor_minus_product"`` is the claim; ``"xor_only"`` drops the ``-ψ_k ψ_j`` term (forgetting the
    softmax normalisation), a wrong variant.  Works for numbers and sympy symbols alike.
    """
    if variant == "xor_minus_product":
        t = (1 - q) * eps_k + ((q - p * p) * S_odd + p * (1 - q) * S_even if k_odd else p * (1 - q) * S_odd + (q - q * q) * S_even)
    elif variant == "xor_only":
        t = (1 - q) * eps_k + (q * S_odd + p * S_even if k_odd else p * S_odd + q * S_even)
    else:
        raise ValueError(f"unknown variant {variant!r}")
    return t / K


def first_order_term(K: int, a, eps, variant: str, exp=np.exp):
    """The derived first-order term of ψ_k (k = 1..K-1) at λ = a v + ε (parity form, :func:`parity_form`)."""
    p, q = cp_psi_values(K, a, exp)
    odd = [(j % 2 == 1) for j in range(1, K)]
    S_odd = sum(e for e, o in zip(eps, odd) if o)
    S_even = sum(e for e, o in zip(eps, odd) if not o)
    return [parity_form(o, e, S_odd, S_even, p, q, K, variant) for e, o in zip(eps, odd)]


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


def xor_reduction(ctx: Context, variant: str) -> Outcome:
    """Every K = 2^m >= 4: the derivative (*) and the parity form reduced to K-independent identities.

    (a) the softmax Jacobian ∂g_i/∂f_l = g_i([i=l] - g_l) in any dimension (sympy: two coordinates and a symbol R for
        the sum over all the others);  (b) the chain rule ∂ψ_k/∂λ_j = h_k^T (diag g - g g^T) h_j / K expands to
        (h_k^T diag(g) h_j - (h_k^T g)(g^T h_j))/K (sympy, matrix symbols of symbolic size), and h_k^T diag(g) h_j =
        Σ_i H[k,i]H[j,i] g_i = Σ_i H[k⊕j,i] g_i = ψ_{k⊕j} termwise by L-D.5 (H symmetric): (*) holds;  (c) the bit
        facts k ⊕ j = 0 iff k = j and (k ⊕ j) mod 2 = (k mod 2) xor (j mod 2), for all 64-bit k, j (z3);  (d) at
        λ = a v, ψ_0 = 1, ψ_odd = p, ψ_even = q (L-D.8 at b = 0), so by (c) the coefficient of ε_j in (*) is
        (1 - p²), (q - p²), p(1 - q) (k odd; j = k, j odd, j even) and (1 - q²), p(1 - q), (q - q²) (k even); summed
        against ε they give the parity form (sympy, symbols p, q, K, ε_k, S_odd, S_even).
    """
    import z3

    ev: dict = {}
    ok: dict = {}
    # (a) softmax Jacobian, any dimension
    fi, fl, R = sp.symbols("f_i f_l R", positive=True)
    Z = sp.exp(fi) + sp.exp(fl) + R
    gi, gl = sp.exp(fi) / Z, sp.exp(fl) / Z
    ok["a: dg_i/df_i = g_i - g_i^2"] = sp.simplify(sp.diff(gi, fi) - (gi - gi**2)) == 0
    ok["a: dg_i/df_l = -g_i g_l"] = sp.simplify(sp.diff(gi, fl) + gi * gl) == 0
    # (b) chain rule in matrix form, symbolic size
    n = sp.Symbol("n", integer=True, positive=True)
    hk, hj, g = (sp.MatrixSymbol(name, n, 1) for name in ("h_k", "h_j", "g"))
    Dg = sp.MatrixSymbol("Dg", n, n)
    expanded = (hk.T * (Dg - g * g.T) * hj).expand()
    diff = sp.simplify(expanded - (hk.T * Dg * hj - (hk.T * g) * (g.T * hj)))
    ok["b: h_k^T (Dg - g g^T) h_j = h_k^T Dg h_j - (h_k^T g)(g^T h_j)"] = diff == 0 or bool(getattr(diff, "is_ZeroMatrix", False))
    ev["b"] = {"expanded": str(expanded), "termwise (L-D.5)": "h_k^T diag(g) h_j = Σ_i H[k⊕j,i] g_i = ψ_{k⊕j}"}
    # (c) bit facts for every 64-bit k, j
    k, j = z3.BitVecs("k j", 64)
    solver = z3_solver()
    solver.add(z3.Not(z3.And(((k ^ j) & 1) == ((k & 1) ^ (j & 1)), (k ^ j == 0) == (k == j))))
    verdict = solver.check()
    ok["c: parity and zero of k xor j (z3, 64-bit)"] = verdict == z3.unsat
    ev["c"] = {"z3": str(verdict)}
    # (d) the parity form from (*)
    p, q, K, ek, So, Se = sp.symbols("p q K epsilon_k S_odd S_even")
    psi_of = {"zero": 1, "odd": p, "even": q}
    forms = {}
    for k_odd in (True, False):
        pk = p if k_odd else q
        par = lambda j_odd: "odd" if (k_odd != j_odd) else "even"  # parity of k xor j (j != k)
        diag = (psi_of["zero"] - pk * pk) / K  # j = k: k xor j = 0
        c_odd = (psi_of[par(True)] - pk * p) / K  # j odd, j != k
        c_even = (psi_of[par(False)] - pk * q) / K  # j even, j >= 2
        if k_odd:
            derived = diag * ek + c_odd * (So - ek) + c_even * Se
        else:
            derived = diag * ek + c_odd * So + c_even * (Se - ek)
        claimed = parity_form(k_odd, ek, So, Se, p, q, K, variant)
        res = sp.simplify(sp.expand(derived - claimed))
        forms["k odd" if k_odd else "k even"] = {"derived_from_(*)": str(sp.factor_terms(sp.expand(derived))),
                                                 "claimed": str(claimed), "residual": str(res)}
        ok[f"d: parity form, {'k odd' if k_odd else 'k even'}"] = res == 0
    ev["d"] = forms
    ev["verified"] = {name: bool(v) for name, v in ok.items()}
    ev["uses"] = "L-D.5 (h_k ⊙ h_j = h_{k⊕j}) and L-D.8 at b = 0 (ψ_odd = p, ψ_even = q), both for every K"
    failed = [name for name, v in ok.items() if not v]
    # (d) compares two polynomials in p, q, K, ε_k, S_odd, S_even after expansion (a canonical form): a non-zero
    # residual is a disproof of the claimed form.  (a)-(c) not going through (sympy not reducing to 0, z3 not
    # answering unsat) is a step not shown: undecided, never a refutation.
    not_shown = [name for name in failed if not name.startswith("d:")]
    if not_shown:
        return Outcome.undecided(f"step(s) not shown by sympy/z3: {not_shown}", ev)
    if failed:
        return Outcome.refuted({"steps_failing": failed, **{k_: v["residual"] for k_, v in forms.items()}}, ev)
    return Outcome.held(ev)


def _psi_mp(lam: list) -> list:
    K = len(lam) + 1
    f = [x / K for x in fwht_mp([mpmath.mpf(0)] + list(lam))]
    m = max(f)
    e = [mpmath.exp(x - m) for x in f]
    Z = mpmath.fsum(e)
    return fwht_mp([x / Z for x in e])


FD_DPS, FD_STEP, FD_TOL = 60, "1e-20", "1e-30"


def finite_differences_mp(ctx: Context, variant: str) -> Outcome:
    """mpmath, 60 digits: central differences (h = 1e-20) of ψ along random ε vs the first-order term."""
    rng = ctx.rng(9)
    worst = mpmath.mpf(0)
    ev: dict = {}
    with mpmath.workdps(FD_DPS):
        h = mpmath.mpf(FD_STEP)
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
                if err > mpmath.mpf(FD_TOL):
                    return Outcome(False, {"max_rel_error": mpmath.nstr(worst, 5)},
                                   counterexample={"K": K, "a": str(a), "rel_error": mpmath.nstr(err, 5),
                                                   "eps_seed": ctx.seed})
    ev["max_rel_error"] = mpmath.nstr(worst, 5)
    ev.update(step_h=FD_STEP, mp_dps=FD_DPS, tolerance=FD_TOL)
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
    reference="Lemma D.9, stated in App. D.7; used in App. D.4 (proof of Thm 4.3 (ii), Eqs. 46-48)",
    domain=Domain(uses_L=False, K_min=4, K_power_of_two=True),
    parts=(
        Part("derivative", "∂ψ_k/∂λ_j = (ψ_{k⊕j} - ψ_k ψ_j)/K at every λ (ψ_0 = 1)"),
        Part("parity_form", "at λ = a v + ε, to first order: k odd: p + [(1-q)ε_k + (q-p²)S_odd + p(1-q)S_even]/K, "
                            "k even: q + [(1-q)ε_k + p(1-q)S_odd + (q-q²)S_even]/K"),
    ),
    checks=(
        Check(
            name="xor_reduction", level=Level.SYMBOLIC, fn=xor_reduction,
            description=("every K: the softmax Jacobian in any dimension (sympy, the other coordinates as one symbol), the chain "
                         "rule in matrix symbols of symbolic size with the termwise XOR rule of L-D.5 give (*); the bit facts "
                         "about k ⊕ j (z3, all 64-bit k, j) and the values p, q of L-D.8 reduce the parity form to a "
                         "K-independent identity in p, q, ε_k, S_odd, S_even (sympy)"),
            precision="exact (sympy, z3)",
            statement={"variant": "xor_minus_product"},
            control={"variant": "xor_only"},
            control_description="drop the -ψ_k ψ_j term (forget the softmax normalisation's derivative)",
            control_why="taking the softmax Jacobian as diag(g) is the classic slip; it keeps the XOR structure intact",
            K=(4,), for_all="all K = 2^m >= 4", covers=("derivative", "parity_form"),
            method="sympy and z3, K-independent identities",
            serves=Serves(what="symbolic, parameters kept as symbols (a requested K, L changes nothing)"),
        ),
        Check(
            name="symbolic_derivative", level=Level.SYMBOLIC, fn=symbolic_derivative,
            description=("sympy: ∂ψ_k/∂λ_j = (ψ_{k⊕j} - ψ_kψ_j)/K at a fully symbolic λ (K = 4), and the parity form "
                         "against dψ/dε at ε = 0 with symbolic a for each K of the grid"),
            precision="exact (sympy)",
            statement={"variant": "xor_minus_product"},
            control={"variant": "xor_only"},
            control_description="drop the -ψ_k ψ_j term (forget the softmax normalisation's derivative)",
            control_why="taking the softmax Jacobian as diag(g) is the classic slip; it keeps the XOR structure intact",
            K=(4,), thorough_K=(4, 8),
            serves=Serves(K_max=8, K_max_thorough=16, what="sympy on the Sylvester matrix", cost="K² derivatives of K-term sums"),
            method="sympy on the Sylvester matrix",
        ),
        Check(
            name="finite_differences_mp60", level=Level.NUMERIC, fn=finite_differences_mp,
            description="mpmath at 60 digits: central differences with h = 1e-20 along random ε at random a vs the first-order term",
            precision="mpmath 60 digits, h = 1e-20, rel 1e-30",
            statement={"variant": "xor_minus_product"},
            control={"variant": "xor_only"},
            control_description="drop the -ψ_k ψ_j term",
            control_why="taking the softmax Jacobian as diag(g) is the classic slip; it keeps the XOR structure intact",
            K=(4, 8, 16, 64, 256), thorough_K=(4, 8, 16, 64, 256, 1024),
            serves=Serves(K_max=1024, K_max_thorough=4096, what="mpmath differences", cost="K log K mpmath operations, 2 per K"),
            covers=("parity_form",), method="mpmath 60 digits",
        ),
        Check(
            name="fuzz_against_chain_rule", level=Level.FUZZ, fn=fuzz_against_chain_rule,
            description=("hypothesis over K, a in [0.05, 30] and ε: the parity form vs the chain-rule Jacobian-vector "
                         "product of ψ (fast transform, numerics.reduced_jacobian.psi_jvp)"),
            precision="float64, rel 1e-9",
            statement={"variant": "xor_minus_product"},
            control={"variant": "xor_only"},
            control_description="drop the -ψ_k ψ_j term",
            control_why="taking the softmax Jacobian as diag(g) is the classic slip; it keeps the XOR structure intact",
            K=(4, 8, 16, 64, 256, 1024, 4096), thorough_K=tuple(2**m for m in range(2, 17)),
            serves=Serves(K_max_thorough=2**16), covers=("parity_form",),
        ),
    ),
    depends_on=("L-D.8", "L-D.5", "T4.2"),
    notes=("Uses L-D.5 (h_k ⊙ h_j = h_{k⊕j}), L-D.8 at b = 0 (ψ_odd = p, ψ_even = q) and the reduced flow of T4.2. "
           "The numeric checks compare the derived form with the chain-rule JVP (numerics.reduced_jacobian.psi_jvp) and with "
           "differences of ψ: independent routes that never use (*)."),
)
