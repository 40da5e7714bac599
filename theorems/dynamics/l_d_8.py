"""L-D.8 (App. D.4, used in the proof of Thm 4.3 (iii)): the alternating reduced flow.

Statement.  K = 2^m >= 4.  Let λ (modes k = 1..K-1) take the value a on odd k and
b on even k (K/2 a's and K/2 - 1 b's).  With the core form of T4.2,
``E_i = exp(-(2/K) Σ_{j>=1: H[i,j]=-1} λ_j)``,

    D = 1 + Σ_{i>=1} E_i = 1 + e^{-a} + (K-2) e^{-(a+b)/2},
    1 - ψ_odd  = 2 (e^{-a} + (K/2 - 1) e^{-(a+b)/2}) / D,
    1 - ψ_even = K e^{-(a+b)/2} / D,

so every odd mode has the same velocity, every even mode too, and the
alternating form is invariant under the flow (Eq. 6); it reduces to the 2-d ODE
``ȧ = (1-ψ_odd) a^β, ḃ = (1-ψ_even) b^β`` (paper Eq. 50).

Proof mirrored here.  Only two Hadamard counting facts are needed, both from
orthogonality of the rows of H (``Σ_j H[i,j] = K [i=0]``) and the product rule
``H[i,j] H[1,j] = H[i⊕1, j]`` (L-D.5), with ``(1 - H[1,j])/2 = [j odd]``:
(1) row i >= 1 has ``K/4 - (K/4)([i=0] - [i=1])`` minus signs on odd columns and
``K/4 - (K/4)([i=0] + [i=1])`` on even columns j >= 1: so ``E_1 = e^{-a}`` and
``E_i = e^{-(a+b)/2}`` for i >= 2;  (2) ``H[k,1] = -1`` iff k is odd, and row k
has ``K/2`` minus signs in all, so the sums defining ``1 - ψ_k`` pick ``E_1`` plus
``K/2 - 1`` of the others (k odd) or ``K/2`` of the others (k even).
The symbolic check carries these counts with a symbolic K; a brute-force check
rebuilds everything from the Sylvester matrix with symbolic a, b for K = 4, 8, 16;
a numeric check compares with :func:`numerics.reduced_flow.one_minus_psi`
(fast transform) up to K = 2^12; a dynamic check integrates the full K-1 mode flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import mpmath
import numpy as np
import sympy as sp

from ncdepth.formal import closed_forms_check, counting_check, proved_counts
from ncdepth.registry import Check, Claim, Context, Domain, Level, Outcome, Part, Serves
from numerics.symbolic_zero import zero_or_witness
from numerics.hadamard import sylvester
from numerics.ode import solve_recorded
from numerics.reduced_flow import beta, one_minus_psi, one_minus_psi_mp, reduced_rhs

# --------------------------------------------------------------------------- the statement
# Closed forms as functions of (K, a, b, exp): the claim and its wrong variants.
Forms = dict[str, Callable]


def _claimed(K, a, b, exp) -> tuple:
    D = 1 + exp(-a) + (K - 2) * exp(-(a + b) / 2)
    return D, 2 * (exp(-a) + (K / 2 - 1) * exp(-(a + b) / 2)) / D, K * exp(-(a + b) / 2) / D


def _even_miscounted(K, a, b, exp) -> tuple:
    """Wrong variant: the even modes pick up only the K-2 generic weights' half-count (K-2)."""
    D = 1 + exp(-a) + (K - 2) * exp(-(a + b) / 2)
    return D, 2 * (exp(-a) + (K / 2 - 1) * exp(-(a + b) / 2)) / D, (K - 2) * exp(-(a + b) / 2) / D


def _odd_counts_swapped(K, a, b, exp) -> tuple:
    """Wrong variant: (K/2-1) and K/2 swapped between odd and even rows."""
    D = 1 + exp(-a) + (K - 2) * exp(-(a + b) / 2)
    return D, 2 * (exp(-a) + (K / 2) * exp(-(a + b) / 2)) / D, (K - 2) * exp(-(a + b) / 2) / D


CLOSED_FORMS: dict[str, Callable] = {
    "claimed": _claimed,
    "even_miscounted": _even_miscounted,
    "odd_counts_swapped": _odd_counts_swapped,
}


def alternating(K: int, a: float, b: float, pattern: str = "parity") -> np.ndarray:
    """λ on modes 1..K-1: a on odd k, b on even k (``pattern="parity"``, the claim).

    ``pattern="first_half"`` (a wrong variant for the invariance control): a on
    k = 1..K/2, b on k > K/2.  (Not "top bit": that set is the image of the odd
    set under a bit permutation, an automorphism of H, and *is* invariant.)
    """
    k = np.arange(1, K)
    if pattern == "parity":
        mask = k % 2 == 1
    elif pattern == "first_half":
        mask = k <= K // 2
    else:
        raise ValueError(f"unknown pattern {pattern!r}")
    return np.where(mask, float(a), float(b))


def _np_exp(x):
    return np.exp(x)


# --------------------------------------------------------------------------- the Hadamard counts
@dataclass(frozen=True)
class SignCounts:
    """The sign-set counts of the Sylvester matrix that L-D.8 uses, N(k) = {i : H[k,i] = -1}.

    ``row`` = |N(k)| for k >= 1, ``pair`` = |N(k) ∩ N(j)| for k != j, both >= 1 (as expressions in K);
    ``odd_row`` = the row whose sign set is exactly the odd indices (N(1) = {j odd}); 0 is in no N(k).
    ``source`` says where they come from (what the scope can cite).
    """

    row: sp.Expr
    pair: sp.Expr
    odd_row: int
    source: str


def derived_sign_counts(K: sp.Symbol) -> SignCounts:
    """|N(k)| = K/2 and |N(k) ∩ N(j)| = K/4, derived here for symbolic K (a cross-check of the Coq theorems).

    Derivation: with [i ∈ N(k)] = (1 - H[k,i])/2, |N(k)| = (K - Σ_i H[k,i])/2 and
    |N(k) ∩ N(j)| = Σ_i (1 - H[k,i])(1 - H[j,i])/4 = (K - Σ_i H[k,i] - Σ_i H[j,i] + Σ_i H[k⊕j,i])/4 (L-D.5,
    H symmetric), and every row k >= 1 sums to 0 (orthogonality to row 0), k ⊕ j >= 1 for k != j.  The odd row:
    H[1,j] = (-1)^{<1,j>} = (-1)^{j mod 2} (L-D.6).
    """
    row_sum = {"k=0": K, "k>=1": 0}  # Σ_i H[k,i] = K [k = 0]
    row = (K - row_sum["k>=1"]) / 2
    pair = (K - row_sum["k>=1"] - row_sum["k>=1"] + row_sum["k>=1"]) / 4
    return SignCounts(row=sp.simplify(row), pair=sp.simplify(pair), odd_row=1,
                      source="sympy from row orthogonality and L-D.5 (h_k ⊙ h_j = h_{k⊕j}); N(1) = odd indices by L-D.6")


def hadamard_sign_counts(K: sp.Symbol) -> SignCounts:
    """|N(k)| and |N(k) ∩ N(j)| as the Coq theorems count_odd and count_both_odd state them (formal/L_D_8.v,
    kernel-checked by this claim's formal check, which also verifies the divisors against the kernel's
    statements).  THE ONLY SOURCE OF THESE COUNTS IN L-D.8; :func:`derived_sign_counts` cross-checks them."""
    pc = proved_counts(K)
    return SignCounts(row=sp.simplify(pc["odd"]), pair=sp.simplify(pc["both_odd"]), odd_row=1,
                      source="Coq: " + ", ".join(pc["theorems"].values()) + "; N(1) = odd indices by L-D.6")


def confirm_sign_counts(counts: SignCounts, K: sp.Symbol, max_exp: int = 10) -> dict | None:
    """Exhaustive integer confirmation of the counts on Sylvester matrices K = 4 .. 2^max_exp; a mismatch, or None."""
    for m in range(2, max_exp + 1):
        Kn = 2**m
        N = sylvester(Kn) == -1  # N[k, i] = [i ∈ N(k)]
        Nf = N[1:].astype(float)
        inter = np.rint(Nf @ Nf.T).astype(np.int64)  # |N(k) ∩ N(j)|, k, j >= 1 (exact: integers < 2^53)
        want_row, want_pair = int(counts.row.subs(K, Kn)), int(counts.pair.subs(K, Kn))
        off = ~np.eye(Kn - 1, dtype=bool)
        if not (np.all(np.diag(inter) == want_row) and np.all(inter[off] == want_pair)):
            return {"K": Kn, "|N(k)|": np.diag(inter).tolist()[:8], "|N(k)∩N(j)| sample": inter[off][:8].tolist()}
        if not (np.array_equal(N[counts.odd_row], np.arange(Kn) % 2 == 1) and not N[:, 0].any()):
            return {"K": Kn, "fact": "N(1) = odd indices and 0 in no N(k)"}
    return None


# --------------------------------------------------------------------------- checks
def general_K_from_counting(ctx: Context, closed_form: str) -> Outcome:
    """sympy with symbolic K: the core form evaluated with the counts of :func:`hadamard_sign_counts` equals the
    closed form, for every K = 2^m >= 4; since the velocity at an alternating point is then alternating, the
    alternating subspace is invariant (uniqueness of solutions: the flow is smooth on λ > 0)."""
    K, a, b = sp.symbols("K a b", positive=True)
    counts = hadamard_sign_counts(K)
    derived = derived_sign_counts(K)
    if sp.simplify(counts.row - derived.row) != 0 or sp.simplify(counts.pair - derived.pair) != 0:
        return Outcome.refuted({"proved_counts": [str(counts.row), str(counts.pair)],
                                "derived_counts": [str(derived.row), str(derived.pair)]}, {"counts_source": counts.source})
    mismatch = confirm_sign_counts(counts, K)
    if mismatch is not None:
        return Outcome.refuted({"sign_counts": mismatch}, {"counts_source": counts.source})
    # minus signs of row i on odd / even columns: the odd columns are N(1)
    minus = {"i=1": (counts.row, 0),  # N(1) is exactly the odd columns
             "i>=2": (counts.pair, counts.row - counts.pair)}  # |N(i) ∩ N(1)|, the rest of N(i)
    E1 = sp.exp(-(2 / K) * (minus["i=1"][0] * a + minus["i=1"][1] * b))
    Eg = sp.exp(-(2 / K) * (minus["i>=2"][0] * a + minus["i>=2"][1] * b))
    D = 1 + E1 + (K - 2) * Eg  # Σ_{i>=1} E_i: one E_1, K - 2 generic
    # 1 - ψ_k = 2 Σ_{i ∈ N(k), i >= 1} E_i; 1 ∈ N(k) iff k is odd (H symmetric, N(1) = odd), 0 never
    omp_odd = 2 * (E1 + (counts.row - 1) * Eg) / D
    omp_even = 2 * counts.row * Eg / D
    cD, codd, ceven = CLOSED_FORMS[closed_form](K, a, b, sp.exp)
    residuals = {name: sp.simplify(sp.powsimp(sp.expand(x - y), combine="exp"))
                 for name, x, y in (("D", D, cD), ("1-psi_odd", omp_odd, codd), ("1-psi_even", omp_even, ceven))}
    ev = {"counts": {"|N(k)|": str(counts.row), "|N(k)∩N(j)|": str(counts.pair), "N(1)": "odd indices"},
          "counts_source": counts.source, "counts_confirmed_exhaustively_for_K": "4..1024",
          "minus_signs_on_odd_even_columns": {k: [str(c) for c in v] for k, v in minus.items()},
          "residuals": {k: str(v) for k, v in residuals.items()},
          "invariance": "odd modes share (1-ψ_odd) a^β, even modes (1-ψ_even) b^β: the 2-d ODE (Eq. 50) lifted is the solution"}
    decided = {k: zero_or_witness(v) for k, v in residuals.items()}
    bad = {k: {"residual": str(residuals[k]), "at": w} for k, (same, w) in decided.items() if same is False}
    if bad:  # the closed form differs from the core form at an explicit (K, a, b)
        return Outcome.refuted({"nonzero_residuals": bad}, ev)
    not_shown = [k for k, (same, _) in decided.items() if same is None]
    if not_shown:
        return Outcome.undecided(f"sympy did not reduce the residual(s) {not_shown} to 0: not shown", ev)
    return Outcome.held(ev)


def brute_force_symbolic(ctx: Context, closed_form: str) -> Outcome:
    """sympy, symbolic a, b: core form from the Sylvester matrix itself for each K of the grid."""
    a, b = sp.symbols("a b", positive=True)
    ev = {}
    for K in ctx.K:
        H = sylvester(K)
        lam = [a if k % 2 == 1 else b for k in range(1, K)]
        E = [sp.exp(-sp.Rational(2, K) * sum(lam[j - 1] for j in range(1, K) if H[i, j] == -1)) for i in range(K)]
        D = 1 + sum(E[1:])
        cD, codd, ceven = CLOSED_FORMS[closed_form](sp.Integer(K), a, b, sp.exp)
        worst = []
        for k in range(1, K):
            omp = 2 * sum(E[i] for i in range(1, K) if H[k, i] == -1) / D
            target = codd if k % 2 == 1 else ceven
            r = sp.simplify(sp.powsimp(sp.expand(sp.together(omp - target)), combine="exp"))
            same, w = zero_or_witness(r)
            if same is False:
                return Outcome(False, ev, counterexample={"K": K, "mode": k, "residual": str(r), "at": w})
            if same is None:
                return Outcome.undecided(f"sympy did not reduce the residual at K={K}, mode {k} to 0: not shown", ev)
        rD = sp.simplify(sp.expand(D - cD))
        same, w = zero_or_witness(rD)
        if same is False:
            return Outcome(False, ev, counterexample={"K": K, "D_residual": str(rD), "at": w})
        if same is None:
            return Outcome.undecided(f"sympy did not reduce the D residual at K={K} to 0: not shown", ev)
        ev[f"K={K}"] = "all modes match (residual 0)"
    return Outcome(True, ev)


def numeric_against_fast_flow(ctx: Context, closed_form: str) -> Outcome:
    """float64 (fast transform, K up to 2^12) and mpmath 50 digits (K <= 256) vs the closed forms."""
    rng = ctx.rng(8)
    worst = 0.0
    ev: dict = {}
    for K in ctx.K:
        for _ in range(4):
            a, b = rng.uniform(0.01, 3.0 * np.log(K) + 5), rng.uniform(0.01, 3.0 * np.log(K) + 5)
            got = one_minus_psi(alternating(K, a, b))
            _, codd, ceven = CLOSED_FORMS[closed_form](K, a, b, _np_exp)
            want = np.where(np.arange(1, K) % 2 == 1, codd, ceven)
            rel = float(np.max(np.abs(got - want) / np.abs(want)))
            worst = max(worst, rel)
            if rel > 1e-11:
                return Outcome(False, {"max_rel_error": worst},
                               counterexample={"K": K, "a": a, "b": b, "max_rel_error": rel})
    ev["max_rel_error_float64"] = worst
    worst_mp = mpmath.mpf(0)
    with mpmath.workdps(50):
        for K in [k for k in ctx.K if k <= 256]:
            a, b = mpmath.mpf(rng.uniform(0.1, 20)), mpmath.mpf(rng.uniform(0.1, 20))
            got = one_minus_psi_mp([a if k % 2 else b for k in range(1, K)])
            _, codd, ceven = CLOSED_FORMS[closed_form](mpmath.mpf(K), a, b, mpmath.exp)
            for k in range(1, K):
                want = codd if k % 2 else ceven
                rel = abs(got[k - 1] - want) / abs(want)
                worst_mp = max(worst_mp, rel)
                if rel > mpmath.mpf(10) ** -45:
                    return Outcome(False, ev, counterexample={"K": K, "a": str(a), "b": str(b), "mode": k,
                                                              "rel_error_50_digits": mpmath.nstr(rel, 5)})
    ev["max_rel_error_mp50"] = mpmath.nstr(worst_mp, 5)
    return Outcome(True, ev)


INVARIANCE = {"t_max": 6.0, "n_out": 13, "rtol": 1e-11, "atol": 1e-13, "method": "DOP853", "start": (1.3, 0.4)}


def invariance_along_flow(ctx: Context, pattern: str) -> Outcome:
    """Integrate the full (K-1)-mode flow (fast transform) from a two-valued start; the form must persist.

    Also compares (a(t), b(t)) with the 2-d ODE built from the closed forms (paper Eq. 50).  Settings in
    ``INVARIANCE``, recorded from the solver calls; spread within a class <= 1e-9 relative, 2-d deviation <= 1e-8.
    """
    ev: dict = {}
    settings: dict = {}
    a0, b0 = INVARIANCE["start"]
    t_eval = np.linspace(0.0, INVARIANCE["t_max"], INVARIANCE["n_out"])
    opts = {"method": INVARIANCE["method"], "rtol": INVARIANCE["rtol"], "atol": INVARIANCE["atol"], "t_eval": t_eval}
    for K, L in ctx.KL_pairs():
        ctx.report(0.0, f"K={K}, L={L}")
        lam0 = alternating(K, a0, b0, pattern)
        mask = lam0 == lam0[0]
        full = solve_recorded(lambda t, y: reduced_rhs(y, L), (0.0, INVARIANCE["t_max"]), lam0, what="full flow", **opts)
        settings["full_flow"] = full.settings
        Y = full.y
        spread = max(float(np.ptp(Y[:, mask], axis=1).max() / Y[:, mask].max()),
                     float(np.ptp(Y[:, ~mask], axis=1).max() / Y[:, ~mask].max()))
        ev[f"K={K},L={L}"] = {"spread_within_classes": spread}
        if spread > 1e-9:
            i = int(np.argmax(np.ptp(Y[:, mask], axis=1) + np.ptp(Y[:, ~mask], axis=1)))
            return Outcome.refuted({"K": K, "L": L, "pattern": pattern, "t": float(full.t[i]),
                                    "spread_within_classes": spread}, {"per_K_L": ev, "integration": settings})
        bt = beta(L)

        def rhs2(t, y):
            _, codd, ceven = _claimed(K, y[0], y[1], np.exp)
            return [codd * y[0] ** bt, ceven * y[1] ** bt]

        two = solve_recorded(rhs2, (0.0, INVARIANCE["t_max"]), [a0, b0], what="2-d ODE", **opts)
        settings["2d_ode"] = two.settings
        dev = float(np.max(np.abs(two.y[:, 0] - Y[:, 0]) + np.abs(two.y[:, 1] - Y[:, 1])))
        ev[f"K={K},L={L}"]["max_abs_dev_2d_ode"] = dev
        if dev > 1e-8:
            return Outcome.refuted({"K": K, "L": L, "pattern": pattern, "max_abs_dev_2d_ode": dev},
                                   {"per_K_L": ev, "integration": settings})
    return Outcome.held({"per_K_L": ev, "integration": settings, "start": {"a": a0, "b": b0},
                         "tolerances": {"spread": 1e-9, "2-d deviation": 1e-8}})


CLAIM = Claim(
    id="L-D.8",
    title="Alternating singular values: closed-form softmax modes and an invariant form",
    statement=("K = 2^m >= 4, λ_k = a for odd k and b for even k (k = 1..K-1; K/2 a's, K/2-1 b's). Then "
               "D = 1 + e^{-a} + (K-2) e^{-(a+b)/2}, 1 - ψ_odd = 2(e^{-a} + (K/2-1) e^{-(a+b)/2})/D, "
               "1 - ψ_even = K e^{-(a+b)/2}/D, and the alternating form is invariant under the reduced flow (Eq. 6)."),
    latex=(r"D = 1 + e^{-a} + (K-2)e^{-(a+b)/2},\quad 1-\psi_{\rm odd} = \frac{2(e^{-a} + (K/2-1)e^{-(a+b)/2})}{D},"
           r"\quad 1-\psi_{\rm even} = \frac{K e^{-(a+b)/2}}{D}"),
    reference="Lemma D.8, stated in App. D.7; used in App. D.4 (proof of Thm 4.3 (iii), Eqs. 49-50)",
    domain=Domain(K_min=4, K_power_of_two=True),
    parts=(
        Part("counts", "the counting facts it rests on: for k != 0, #{i : <i,k> odd} = K/2; for distinct non-zero j, k, "
                       "#{i : <i,j>, <i,k> odd} = K/4 (row 1 has K/2 minus signs on odd columns, none on even ones; rows i >= 2 K/4 on each)"),
        Part("closed_forms", "D = 1 + e^{-a} + (K-2) e^{-(a+b)/2}, 1 - ψ_odd = 2(e^{-a} + (K/2-1) e^{-(a+b)/2})/D, "
                             "1 - ψ_even = K e^{-(a+b)/2}/D at alternating λ"),
        Part("invariant", "the alternating form is invariant under the reduced flow (Eq. 6), which reduces to the 2-d ODE (Eq. 50)"),
    ),
    checks=(
        Check(
            name="general_k_counting", level=Level.SYMBOLIC, fn=general_K_from_counting,
            description=("sympy with symbolic K: minus-sign counts K/2, K/4 from the Coq theorems count_odd, count_both_odd "
                         "(ncdepth.formal.proved_counts; confirmed exhaustively in exact integers for K = 4..1024), then the core form of T4.2 "
                         "simplifies to the closed forms (residual 0)"),
            precision="exact (sympy); exhaustive integer counts",
            statement={"closed_form": "claimed"},
            control={"closed_form": "even_miscounted"},
            control_description="1 - ψ_even = (K-2) e^{-(a+b)/2} / D (even rows counted like the K-2 generic weights)",
            control_why=("an even row has K/2 minus signs, none at i = 1; counting it like the K - 2 generic weights of D is "
                         "an easy slip"),
            K=(4,), L=(), for_all="all K = 2^m >= 4", covers=("closed_forms", "invariant"),
            method="sympy, symbolic K, from |N(k)| = K/2, |N(k) ∩ N(j)| = K/4",
            serves=Serves(what="symbolic, parameters kept as symbols (a requested K, L changes nothing)"),
        ),
        Check(
            name="brute_force_symbolic_a_b", level=Level.SYMBOLIC, fn=brute_force_symbolic,
            description="sympy with symbolic a, b: every mode's core form built from the Sylvester matrix, against the closed forms",
            precision="exact (sympy)",
            statement={"closed_form": "claimed"},
            control={"closed_form": "odd_counts_swapped"},
            control_description="counts K/2 and K/2-1 swapped between odd and even rows",
            control_why="whether E_1 is one of a row's K/2 minus signs decides K/2 vs K/2 - 1: an off-by-one between parities",
            K=(4, 8, 16), L=(), thorough_K=(4, 8, 16, 32),
            serves=Serves(K_max=32, K_max_thorough=64, what="sympy on the Sylvester matrix", cost="K² sympy exponentials"),
            covers=("closed_forms",), method="sympy, symbolic a, b, from the Sylvester matrix",
        ),
        Check(
            name="against_fast_flow", level=Level.NUMERIC, fn=numeric_against_fast_flow,
            description=("numerics.reduced_flow.one_minus_psi (fast transform, core form) at random (a, b) against the "
                         "closed forms, float64 for every K of the grid and mpmath 50 digits for K <= 256"),
            precision="float64 rel 1e-11; mpmath 50 digits rel 1e-45",
            statement={"closed_form": "claimed"},
            control={"closed_form": "even_miscounted"},
            control_description="1 - ψ_even = (K-2) e^{-(a+b)/2} / D",
            control_why=("an even row has K/2 minus signs, none at i = 1; counting it like the K - 2 generic weights of D is "
                         "an easy slip"),
            K=(4, 8, 16, 64, 256, 4096), L=(), thorough_K=(4, 8, 16, 64, 256, 4096, 65536),
            serves=Serves(K_max=2**16, what="fast transform (float64), mpmath for K <= 256", cost="K log K per point"),
            covers=("closed_forms",), method="float64 and mpmath 50 digits",
        ),
        Check(
            name="invariant_under_flow", level=Level.NUMERIC, fn=invariance_along_flow,
            description=("the full K-1 mode reduced flow integrated from (a, b) = (1.3, 0.4): odd modes stay equal, even modes "
                         "stay equal, and (a, b) follows the 2-d ODE of the closed forms (paper Eq. 50)"),
            precision="DOP853 rtol 1e-11 atol 1e-13 (recorded from the solver calls); spread <= 1e-9 rel; 2-d ODE deviation <= 1e-8",
            statement={"pattern": "parity"},
            control={"pattern": "first_half"},
            control_description="a on modes 1..K/2 and b on the rest: a two-valued start that is not invariant",
            control_why=("'alternating' read in the natural order of the modes rather than by parity; (the top-bit split would "
                         "be invariant: it is the parity split under a bit permutation, an automorphism of H)"),
            K=(4, 16, 256), L=(1, 3), thorough_K=(4, 16, 256, 4096), thorough_L=(1, 2, 3, 8),
            serves=Serves(K_max=4096, K_max_thorough=16384, what="full-flow integration", cost="K log K per evaluation"),
            covers=("invariant",), method="full-flow integration",
        ),
        counting_check(),
        closed_forms_check(),
    ),
    depends_on=("T4.2", "L-D.5"),
    notes=("Uses T4.2 (reduced flow, core form), L-D.5 (h_k ⊙ h_j = h_{k⊕j}) and L-D.6 (N(1) = odd indices).  The only "
           "Hadamard facts used, |N(k)| = K/2 and |N(k) ∩ N(j)| = K/4, come from hadamard_sign_counts (one function: the Coq theorems "
           "count_odd, count_both_odd, cross-checked against a sympy derivation).  Verified independently of CLAIMS.md: the counts 'K/2 a's, K/2-1 b's' and all three "
           "formulas are correct."),
)
